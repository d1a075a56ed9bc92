//! The backend trait and the factory that picks a backend by name.

use std::path::Path;
use std::sync::Arc;

use crate::{
    AppendRequest, AsOf, Committed, Event, MemBackend, SchemaScope, SqliteBackend, StoreError,
    TenantId,
};

/// Where the sqlite store lives in a project when nothing else is configured.
pub const DEFAULT_SQLITE_PATH: &str = ".ox/store.sqlite";

/// One storage backend (`mem`, `sqlite`, later `pg`). Every method takes the
/// tenant first (except [`StorageBackend::schema_scopes`], which lists tenants
/// for the schema-change gate and reads no events).
pub trait StorageBackend: Send + Sync {
    /// The backend's name: `"mem"` or `"sqlite"`.
    fn kind(&self) -> &'static str;

    /// Cheap reachability probe, for readiness checks.
    fn ping(&self) -> Result<(), StoreError>;

    /// Writes `req.events` as one atomic transaction.
    ///
    /// Fails with [`StoreError::Conflict`] (writing nothing) when
    /// `req.expected_generation` is not the current generation of
    /// (tenant, fork). Otherwise assigns `tx = last_tx(tenant) + 1` to every
    /// event, supersedes (sets `tx_to = tx` on) the current event with the same
    /// axiom id and standpoint, stores retractions already closed
    /// (`tx_to = tx`), bumps the generation by one and records the tenant's
    /// schema scope. An empty `events` list writes nothing and returns the
    /// current `tx` and generation.
    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError>;

    /// The assert events of (tenant, fork) visible in the snapshot `as_of`
    /// (see [`Event::visible_at`]), ordered by (tx, position within tx).
    fn visible_events(
        &self,
        tenant: &TenantId,
        fork: &str,
        as_of: AsOf,
    ) -> Result<Vec<Event>, StoreError>;

    /// The generation of (tenant, fork): 0 for one never written.
    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError>;

    /// The tenant's last transaction number: 0 if none.
    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError>;

    /// For every tenant that holds data, the `schemaHash` of its last write,
    /// ordered by tenant id.
    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError>;
}

/// Opens a backend by name: `"mem"` (ignores `data_path`) or `"sqlite"`
/// (needs `data_path`, the database file; see [`DEFAULT_SQLITE_PATH`]).
pub fn open_backend(
    kind: &str,
    data_path: Option<&Path>,
) -> Result<Arc<dyn StorageBackend>, StoreError> {
    match kind {
        "mem" => Ok(Arc::new(MemBackend::new())),
        "sqlite" => match data_path {
            Some(path) => Ok(Arc::new(SqliteBackend::open(path)?)),
            None => Err(StoreError::InvalidConfig(format!(
                "the sqlite backend needs a database file path (the project default is `{DEFAULT_SQLITE_PATH}`)"
            ))),
        },
        other => Err(StoreError::InvalidConfig(format!(
            "unknown storage backend `{}` (expected `mem` or `sqlite`)",
            other.escape_debug()
        ))),
    }
}
