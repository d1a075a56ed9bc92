//! `ox-store`: the append-only, bitemporal event log of Argon tenants and its
//! storage backends.
//!
//! The store knows tenants, forks, transactions, axiom ids, valid time and
//! supersession; event bodies are opaque bytes. Every read and write takes a
//! [`TenantId`] first, so no code path can reach another tenant's events.
//!
//! Backends: [`MemBackend`] (tests, REPL) and [`SqliteBackend`] (embedded,
//! durable, the default), both behind [`StorageBackend`]; pick one by name with
//! [`open_backend`]. Both pass the shared suite in `conformance` (feature
//! `conformance`).
//!
//! # Decisions (ours where the spec is silent)
//!
//! - `tx` is a per-tenant counter shared by all forks; one non-empty append is
//!   one `tx`. An empty append writes nothing and returns the current `tx` and
//!   generation (its `committed_at` is that of the last `tx`, or now if none);
//!   the generation check still applies to it.
//! - Supersession is keyed by (tenant, fork, axiom id, standpoint): a new event
//!   closes the current one (`tx_to = tx`), whatever its op. A retraction is
//!   stored already closed (`tx_to` = its own `tx`), so it is never visible.
//! - Timestamps are kept at microsecond precision (finer ones are truncated);
//!   `committed_at` never goes backwards within a tenant, even if the clock does.
//! - Refused before anything is written ([`StoreError::InvalidEvent`]): an empty
//!   axiom id or kind, an empty standpoint name (`None` is the default layer),
//!   a `valid_to` not after `valid_from`.
//! - Only [`MAIN_FORK`] exists until fork creation lands: any other fork name is
//!   [`StoreError::UnknownFork`] on every call.
//! - sqlite stores timestamps as integer microseconds since the Unix epoch, the
//!   default standpoint as `''`, event ids as text; current reads go through a
//!   partial index over current rows only, as-of reads through it plus an index
//!   of closed rows by closing `tx`.

mod backend;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod event;
mod export;
mod fork;
mod log;
mod mem;
mod pg;
mod records;
mod sqlite;
mod tenant;

pub use backend::{
    open_backend, BackendConfig, StorageBackend, StoredResponse, DEFAULT_SQLITE_PATH,
};
pub use error::StoreError;
pub use event::{
    content_id, AppendRequest, AsOf, Committed, Event, IdempotencyRecord, NewEvent, Op,
    SchemaScope, TxPoint, ValidPoint, MAIN_FORK,
};
pub use fork::{validate_fork_name, ForkDiff, ForkRecord, ForkState, Promotion, MAX_FORK_NAME_LEN};
pub use mem::MemBackend;
pub use pg::PgBackend;
pub use records::{ForgetReceipt, ForgetSelector, SchemaChange};
pub use sqlite::SqliteBackend;
pub use tenant::{TenantId, DEFAULT_TENANT, MAX_TENANT_LEN};
