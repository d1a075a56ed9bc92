//! `ox-store`: the append-only, bitemporal event log of Argon tenants and its
//! storage backends.
//!
//! The store knows tenants, forks, transactions, axiom ids, valid time and
//! supersession; event bodies are opaque bytes. Every read and write takes a
//! [`TenantId`] first, so no code path can reach another tenant's events.
//!
//! Backends: [`MemBackend`] (tests, REPL), [`SqliteBackend`] (embedded,
//! durable, the default) and [`PgBackend`] (PostgreSQL, several replicas), all
//! behind [`StorageBackend`]; open one with [`BackendConfig::open`] (or
//! [`open_backend`] for `mem`/`sqlite`). All pass the shared suite in
//! `conformance` (feature `conformance`). The fork, supersession, diff and
//! promotion algorithms are written once (module `log`) over two small
//! traits each backend implements inside its own transaction.
//!
//! # Decisions (ours where the spec is silent)
//!
//! - `tx` is a per-tenant counter shared by all forks; one non-empty append or
//!   promotion is one `tx`. An empty append writes no events and returns the
//!   current `tx` and generation (its `committed_at` is that of the last `tx`,
//!   or now if none); the generation check still applies to it.
//! - Supersession is keyed by (tenant, fork, axiom id, standpoint) and is
//!   interval-aware: a new event closes (`tx_to = tx`) every current record of
//!   its key whose valid interval overlaps its own and re-appends, in the same
//!   tx and written by it, the uncovered remainders of those intervals. A
//!   retraction does the same and is stored already closed (`tx_to` = its own
//!   `tx`), so it is never visible. An ordinary update at t therefore keeps the
//!   old value valid on [t0, t).
//! - Forks: a fork created at `at_tx` (default the last tx) has
//!   `fork_point_tx = at_tx + 1` and sees its parent's events with
//!   `tx < fork_point_tx`. The first write of a key in a fork copies the
//!   parent's visible records of that key into the fork (copy-on-write, same
//!   tx), so supersession and valid time work within the fork; any own event of
//!   a key hides the parent's records of it. Promotion replaces, on the
//!   parent, every key the fork owns by the fork's current records (a
//!   `fork_retraction` where it has none) and appends a closed `fork_promoted`
//!   record `{"fork", "sourceEventIds"}`; it conflicts when the parent has own
//!   events of those keys at or after the fork point. Forks are promoted into
//!   their parent (`main` for forks of `main`).
//! - `forget` erases within the fork given, bumps the generation of every fork
//!   of the tenant (their caches may hold the erased facts) and keeps the
//!   receipt's `tx` at the tenant's last tx (erasure is not a transaction of
//!   the log).
//! - Idempotency records are kept at least 24 hours: each keyed write prunes
//!   the tenant's older ones.
//! - Exports are of one fork's own log; imports restore `main` into an empty
//!   tenant (its `main` generation becomes 1).
//! - Timestamps are kept at microsecond precision (finer ones are truncated);
//!   `committed_at` never goes backwards within a tenant, even if the clock does.
//! - Refused before anything is written ([`StoreError::InvalidEvent`]): an empty
//!   axiom id or kind, an empty standpoint name (`None` is the default layer),
//!   a `valid_to` not after `valid_from`.
//! - sqlite stores timestamps as integer microseconds since the Unix epoch,
//!   Postgres as `timestamptz`; the default standpoint as `''`. Current reads go
//!   through partial indexes over current rows only (open intervals apart from
//!   bounded ones, so ended intervals cost nothing), as-of reads through them
//!   plus an index of closed rows by closing `tx`.

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
