//! The error type shared by every backend.

use thiserror::Error;

/// Everything a storage operation can fail with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The (tenant, fork) generation moved since the caller read it: nothing was
    /// written; the caller re-reads and retries.
    #[error("write conflict: expected generation {expected}, but the store is at generation {actual}; re-read and retry")]
    Conflict {
        /// The generation the caller based its write on.
        expected: u64,
        /// The generation the store holds now.
        actual: u64,
    },
    /// A tenant id that breaks the rules (1–128 characters of `A–Z a–z 0–9 . _ : -`).
    #[error("invalid tenant id: {0}")]
    InvalidTenant(String),
    /// A fork that does not exist.
    #[error("unknown fork `{0}`")]
    UnknownFork(String),
    /// A fork name that breaks the rules (the tenant-id alphabet), or a fork
    /// operation that makes no sense (e.g. promoting `main`).
    #[error("invalid fork: {0}")]
    InvalidFork(String),
    /// Creating a fork that exists.
    #[error("fork `{0}` already exists")]
    ForkExists(String),
    /// Writing to a promoted or aborted fork.
    #[error("fork `{0}` is closed to writes (promoted or aborted)")]
    ForkClosed(String),
    /// The parent changed what the fork changed since the fork point.
    #[error("promotion conflicts: the parent changed {} since the fork point", axioms.join(", "))]
    PromoteConflict {
        /// The axiom ids changed on both sides.
        axioms: Vec<String>,
    },
    /// The idempotency key is already stored for (tenant, fork): a concurrent
    /// request with the same key won; read its stored response.
    #[error("idempotency key `{0}` is already used")]
    IdempotencyReplay(String),
    /// An import into a tenant that already holds data, or an unreadable export.
    #[error("cannot import: {0}")]
    Import(String),
    /// An event the store refuses before writing anything (empty axiom id, empty
    /// kind, empty standpoint name, `valid_to` not after `valid_from`).
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// A backend name or data path that cannot be used.
    #[error("invalid storage configuration: {0}")]
    InvalidConfig(String),
    /// The store cannot be reached or used right now: I/O failure, a locked or
    /// unwritable database, a file that is not a database.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data that does not decode or breaks the store's invariants.
    #[error("storage corrupt: {0}")]
    Corrupt(String),
}
