//! The backend trait and the factory that picks a backend by configuration.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    AppendRequest, AsOf, Committed, Event, ForgetReceipt, ForgetSelector, ForkDiff, ForkRecord,
    ForkState, MemBackend, PgBackend, Promotion, SchemaChange, SchemaScope, SqliteBackend,
    StoreError, TenantId, ValidPoint,
};

/// Where the sqlite store lives in a project when nothing else is configured.
pub const DEFAULT_SQLITE_PATH: &str = ".ox/store.sqlite";

/// What an idempotency key replays: the request's fingerprint, the stored
/// response and the transaction it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// SHA-256 of the canonical request.
    pub fingerprint: [u8; 32],
    /// The serialised response.
    pub response: Vec<u8>,
    /// The transaction written with it (for an empty append: the tenant's
    /// last tx then).
    pub tx: u64,
}

/// One storage backend (`mem`, `sqlite`, `pg`). Every method takes the tenant
/// first, except the schema-scope listing and re-stamping of the schema-change
/// gate, which read no events.
///
/// Semantics every backend shares (checked by `ox_store::conformance`):
///
/// - `tx` is a per-tenant counter shared by all forks; one non-empty append,
///   one promotion = one `tx`.
/// - An event for (fork, axiom id, standpoint) with valid interval `[vf, vt)`
///   closes (`tx_to = tx`) every current record of that key whose valid
///   interval overlaps it and re-appends, in the same tx, the uncovered
///   remainders of those intervals; a retraction does the same and is stored
///   closed (history only).
/// - A fork sees its own events plus its parent chain's events with `tx`
///   below the fork points; its own record of a key hides the parent's. The
///   first write of a key in a fork copies the parent's records of it into the
///   fork (copy-on-write), so supersession works within the fork.
pub trait StorageBackend: Send + Sync {
    /// The backend's name: `"mem"`, `"sqlite"` or `"pg"`.
    fn kind(&self) -> &'static str;

    /// Cheap reachability probe, for readiness checks.
    fn ping(&self) -> Result<(), StoreError>;

    /// Writes `req.events` (and `req.idempotency`) as one atomic transaction.
    ///
    /// Fails, writing nothing, with [`StoreError::Conflict`] when
    /// `req.expected_generation` is not the generation of (tenant, fork),
    /// [`StoreError::UnknownFork`] / [`StoreError::ForkClosed`] for a fork that
    /// does not exist or is closed, [`StoreError::IdempotencyReplay`] when the
    /// key is stored already. Otherwise assigns `tx = last_tx(tenant) + 1`,
    /// supersedes as described on the trait, bumps the generation by one and
    /// records the tenant's schema scope. An empty `events` list writes no
    /// events and returns the current `tx` and generation (it still stores the
    /// idempotency record).
    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError>;

    /// The assert events of (tenant, fork) in the snapshot `as_of`, ordered by
    /// (tx, position within tx).
    fn visible_events(
        &self,
        tenant: &TenantId,
        fork: &str,
        as_of: AsOf,
    ) -> Result<Vec<Event>, StoreError>;

    /// The earliest valid-time instant after `after` at which a current record
    /// of the fork (or of an ancestor it reads) starts to be valid, if any: a
    /// cache of the state valid at `after` stays right until then or until a
    /// visible record's interval ends. May be earlier than the true change.
    fn next_valid_change(
        &self,
        tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The generation of (tenant, fork): 0 for one never written.
    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError>;

    /// The tenant's last transaction number: 0 if none.
    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError>;

    /// The last transaction committed at or before `time` (0 if none): maps a
    /// wall-clock as-of point to a transaction.
    fn last_tx_at(&self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError>;

    /// For every tenant that holds data, the `schemaHash` of its last write,
    /// ordered by tenant id.
    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError>;

    /// The `schemaHash` of the tenant's last write, `None` if it holds no data.
    fn schema_scope(&self, tenant: &TenantId) -> Result<Option<String>, StoreError>;

    /// Re-stamps every scope whose hash differs from `new_hash` and appends a
    /// [`SchemaChange`] record per scope (old hash, new hash, now, principal,
    /// host); returns the records written.
    fn restamp_schema_scopes(
        &self,
        new_hash: &str,
        principal: &str,
        host: &str,
    ) -> Result<Vec<SchemaChange>, StoreError>;

    /// The schema-change records of a tenant, oldest first.
    fn schema_changes(&self, tenant: &TenantId) -> Result<Vec<SchemaChange>, StoreError>;

    /// Creates fork `name` of `parent` in O(1). The child sees the parent's
    /// events with `tx <= at_tx` (default: the tenant's last tx), i.e. its
    /// `fork_point_tx` is `at_tx + 1`. Errors: [`StoreError::InvalidFork`] for a
    /// bad name or an `at_tx` after the last tx, [`StoreError::ForkExists`],
    /// [`StoreError::UnknownFork`] for the parent.
    fn create_fork(
        &self,
        tenant: &TenantId,
        name: &str,
        parent: &str,
        at_tx: Option<u64>,
        principal: &str,
    ) -> Result<ForkRecord, StoreError>;

    /// A fork's record (`main` always exists); `None` for an unknown fork.
    fn fork(&self, tenant: &TenantId, name: &str) -> Result<Option<ForkRecord>, StoreError>;

    /// Every fork of the tenant, `main` first, then by name.
    fn forks(&self, tenant: &TenantId) -> Result<Vec<ForkRecord>, StoreError>;

    /// Closes an open fork (`Aborted`); its events stay readable. `main`
    /// cannot be closed ([`StoreError::InvalidFork`]); a closed fork is
    /// [`StoreError::ForkClosed`].
    fn close_fork(
        &self,
        tenant: &TenantId,
        name: &str,
        state: ForkState,
        principal: &str,
    ) -> Result<ForkRecord, StoreError>;

    /// The events visible (latest, every valid interval) in one fork and not
    /// the other since their common ancestor, in O(changes).
    fn diff(&self, tenant: &TenantId, a: &str, b: &str) -> Result<ForkDiff, StoreError>;

    /// The events the fork's parent would show (latest, at `valid`) after
    /// promoting the fork: for validating a promotion before doing it.
    fn promoted_view(
        &self,
        tenant: &TenantId,
        fork: &str,
        valid: ValidPoint,
    ) -> Result<Vec<Event>, StoreError>;

    /// Promotes an open fork into its parent in one transaction: checks that
    /// the parent did not change the same axioms since the fork point (else
    /// [`StoreError::PromoteConflict`]), re-stamps the fork's current records
    /// onto the parent at a new tx with a `fork_promoted` record naming the
    /// source events, marks the fork `Promoted`.
    fn promote(
        &self,
        tenant: &TenantId,
        fork: &str,
        principal: &str,
        schema_hash: &str,
    ) -> Result<Promotion, StoreError>;

    /// The stored response of an idempotency key (kept at least 24 hours).
    fn idempotent_response(
        &self,
        tenant: &TenantId,
        fork: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError>;

    /// Physically erases the fork's events selected by `selector` in one
    /// transaction, bumps the generation of every fork of the tenant and
    /// stores a receipt without erased content. The only operation that
    /// deletes.
    fn forget(
        &self,
        tenant: &TenantId,
        fork: &str,
        selector: &ForgetSelector,
        actor: &str,
        reason: &str,
    ) -> Result<ForgetReceipt, StoreError>;

    /// The forget receipts of a tenant, oldest first.
    fn forget_receipts(&self, tenant: &TenantId) -> Result<Vec<ForgetReceipt>, StoreError>;

    /// Every event of the fork's own log (all columns, closed ones and
    /// retractions included), in (tx, position) order: for exports and audits.
    fn history(&self, tenant: &TenantId, fork: &str) -> Result<Vec<Event>, StoreError>;

    /// Restores events exported from `main` into an empty tenant, keeping tx
    /// numbers, event ids, `tx_to` and valid times ([`StoreError::Import`] if
    /// the tenant holds data).
    fn restore(
        &self,
        tenant: &TenantId,
        last_tx: u64,
        schema_hash: Option<&str>,
        events: &[Event],
    ) -> Result<(), StoreError>;

    /// Writes the fork's own log as JSON lines (a header, then every event
    /// with all columns, body in base64); returns the number of events.
    fn export(
        &self,
        tenant: &TenantId,
        fork: &str,
        out: &mut dyn Write,
    ) -> Result<u64, StoreError> {
        let events = self.history(tenant, fork)?;
        let header = crate::export::Header::new(
            tenant,
            fork,
            self.last_tx(tenant)?,
            self.schema_scope(tenant)?,
        );
        crate::export::write(out, &header, &events)
    }

    /// Reads an export of `main` (see [`StorageBackend::export`]) into the
    /// empty `tenant`; returns the number of events restored.
    fn import(&self, tenant: &TenantId, input: &mut dyn BufRead) -> Result<u64, StoreError> {
        let (header, events) = crate::export::read(input, tenant)?;
        self.restore(
            tenant,
            header.last_tx,
            header.schema_hash.as_deref(),
            &events,
        )?;
        Ok(events.len() as u64)
    }
}

/// How to open a backend: its kind and what that kind needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendConfig {
    /// `"mem"`, `"sqlite"` or `"pg"`.
    pub kind: String,
    /// The sqlite database file (see [`DEFAULT_SQLITE_PATH`]).
    pub sqlite_path: Option<PathBuf>,
    /// The PostgreSQL URL (`postgres://user@host:5432/db`).
    pub database_url: Option<String>,
}

impl BackendConfig {
    /// Opens the configured backend (connecting and migrating for `pg`).
    pub fn open(&self) -> Result<Arc<dyn StorageBackend>, StoreError> {
        match self.kind.as_str() {
            "pg" => match &self.database_url {
                Some(url) => Ok(Arc::new(PgBackend::connect(url)?)),
                None => Err(StoreError::InvalidConfig(
                    "the pg backend needs a database URL (--database-url or DATABASE_URL)".into(),
                )),
            },
            kind => open_backend(kind, self.sqlite_path.as_deref()),
        }
    }
}

/// Opens `"mem"` (ignores `data_path`) or `"sqlite"` (needs `data_path`, the
/// database file; see [`DEFAULT_SQLITE_PATH`]). For `"pg"`, which needs a URL,
/// use [`BackendConfig::open`].
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
        "pg" => Err(StoreError::InvalidConfig(
            "the pg backend needs a database URL: open it with BackendConfig { kind: \"pg\", database_url, .. }".into(),
        )),
        other => Err(StoreError::InvalidConfig(format!(
            "unknown storage backend `{}` (expected `mem`, `sqlite` or `pg`)",
            other.escape_debug()
        ))),
    }
}
