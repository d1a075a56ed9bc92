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
    /// A fork that does not exist (only `main` exists for now).
    #[error("unknown fork `{0}`")]
    UnknownFork(String),
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
