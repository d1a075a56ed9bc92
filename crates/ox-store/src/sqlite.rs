//! The embedded sqlite backend: one file, WAL journal, fsync at every commit.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior};
use uuid::Uuid;

use crate::backend::StoredResponse;
use crate::event::{commit_time, prepare};
use crate::log::{self, erased_txs, Key, LogRead, LogWrite, TxStamp};
use crate::mem::{check_closing, fork_point, promote_target, IDEMPOTENCY_TTL_HOURS};
use crate::{
    validate_fork_name, AppendRequest, AsOf, Committed, Event, ForgetReceipt, ForgetSelector,
    ForkDiff, ForkRecord, ForkState, Op, Promotion, SchemaChange, SchemaScope, StorageBackend,
    StoreError, TenantId, ValidPoint, MAIN_FORK,
};

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 4;

/// Versioned schema migrations, applied in order at open. Never edit an entry
/// once released: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE tenants (
        tenant_id         TEXT    NOT NULL PRIMARY KEY,
        last_tx           INTEGER NOT NULL,
        last_committed_at INTEGER NOT NULL,
        schema_hash       TEXT    NOT NULL
    );
    CREATE TABLE forks (
        tenant_id  TEXT    NOT NULL,
        fork_id    TEXT    NOT NULL,
        generation INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT    NOT NULL,
        PRIMARY KEY (tenant_id, fork_id)
    );
    CREATE TABLE events (
        tenant_id     TEXT    NOT NULL,
        fork_id       TEXT    NOT NULL,
        tx            INTEGER NOT NULL,
        seq           INTEGER NOT NULL,
        event_id      TEXT    NOT NULL,
        axiom_id      TEXT    NOT NULL,
        kind          TEXT    NOT NULL,
        op            TEXT    NOT NULL CHECK (op IN ('assert', 'retract')),
        body          BLOB    NOT NULL,
        content_id    BLOB    NOT NULL CHECK (length(content_id) = 32),
        standpoint_id TEXT    NOT NULL,
        valid_from    INTEGER NOT NULL,
        valid_to      INTEGER,
        tx_to         INTEGER,
        principal_id  TEXT    NOT NULL,
        schema_hash   TEXT    NOT NULL,
        committed_at  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, fork_id, tx, seq)
    );
    -- the current-state projection: at most one current row per fact
    CREATE UNIQUE INDEX events_current_axiom
        ON events (tenant_id, fork_id, axiom_id, standpoint_id) WHERE tx_to IS NULL;
    -- current rows in log order, so current reads never touch history
    CREATE INDEX events_current_order
        ON events (tenant_id, fork_id, tx, seq) WHERE tx_to IS NULL;
    -- closed rows by closing tx, for as-of reads
    CREATE INDEX events_superseded
        ON events (tenant_id, fork_id, tx_to) WHERE tx_to IS NOT NULL;
    CREATE UNIQUE INDEX events_event_id ON events (tenant_id, event_id);",
    ),
    (
        2,
        "-- valid-time intervals: several current rows per fact (one per interval)
    DROP INDEX events_current_axiom;
    CREATE INDEX events_current_key
        ON events (tenant_id, fork_id, axiom_id, standpoint_id) WHERE tx_to IS NULL;
    -- every row of one fact, for fork ownership and key reads
    CREATE INDEX events_key ON events (tenant_id, fork_id, axiom_id, standpoint_id, tx);
    -- current rows whose valid interval is open / bounded, for reads at a valid time
    CREATE INDEX events_current_open
        ON events (tenant_id, fork_id, tx, seq) WHERE tx_to IS NULL AND valid_to IS NULL;
    CREATE INDEX events_current_bounded
        ON events (tenant_id, fork_id, valid_to) WHERE tx_to IS NULL AND valid_to IS NOT NULL;
    -- wall-clock as-of points
    CREATE INDEX events_committed ON events (tenant_id, committed_at, tx);
    ALTER TABLE forks ADD COLUMN parent_id TEXT;
    ALTER TABLE forks ADD COLUMN fork_point_tx INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE forks ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
    CREATE INDEX events_current_valid_from
        ON events (tenant_id, fork_id, valid_from) WHERE tx_to IS NULL;
    CREATE TABLE idempotency (
        tenant_id   TEXT    NOT NULL,
        fork_id     TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        fingerprint BLOB    NOT NULL,
        response    BLOB    NOT NULL,
        tx          INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, fork_id, key)
    );
    CREATE INDEX idempotency_age ON idempotency (tenant_id, created_at);
    CREATE TABLE schema_changes (
        tenant_id TEXT    NOT NULL,
        seq       INTEGER NOT NULL,
        old_hash  TEXT    NOT NULL,
        new_hash  TEXT    NOT NULL,
        at        INTEGER NOT NULL,
        principal TEXT    NOT NULL,
        host      TEXT    NOT NULL,
        PRIMARY KEY (tenant_id, seq)
    );
    CREATE TABLE forget_receipts (
        tenant_id  TEXT    NOT NULL,
        receipt_id TEXT    NOT NULL,
        at         INTEGER NOT NULL,
        receipt    TEXT    NOT NULL,
        PRIMARY KEY (tenant_id, receipt_id)
    );",
    ),
    (
        3,
        "-- closed rows by their own tx, for as-of reads far in the past
    CREATE INDEX events_closed_by_tx
        ON events (tenant_id, fork_id, tx, seq) WHERE tx_to IS NOT NULL;",
    ),
];

/// Columns of an event row, in the order [`RawEvent::from_row`] reads them.
macro_rules! event_columns {
    () => {
        "tx, fork_id, event_id, axiom_id, kind, op, body, content_id, standpoint_id, valid_from, \
         valid_to, tx_to, principal_id, schema_hash, committed_at"
    };
}

/// The current records of (tenant ?1, fork ?2) with tx >= ?3: served by
/// `events_current_order` alone, never touching history.
const CURRENT_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events INDEXED BY events_current_order \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND tx >= ?3 AND op = 'assert' \
     ORDER BY tx, seq"
);

/// The current records of (tenant ?1, fork ?2) with tx >= ?3 valid at ?4: open
/// intervals through `events_current_open`, bounded ones through
/// `events_current_bounded` (only those not yet ended), so the records of
/// ended intervals cost nothing.
const CURRENT_VALID_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", seq FROM events INDEXED BY events_current_open \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND valid_to IS NULL \
     AND tx >= ?3 AND valid_from <= ?4 AND op = 'assert' \
     UNION ALL SELECT ",
    event_columns!(),
    ", seq FROM events INDEXED BY events_current_bounded \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND valid_to IS NOT NULL \
     AND valid_to > ?4 AND tx >= ?3 AND valid_from <= ?4 AND op = 'assert' \
     ORDER BY tx, seq"
);

/// The records of (tenant ?1, fork ?2) right after tx ?3 with tx >= ?4:
/// current rows written by then, plus rows closed after it; its cost grows
/// with the changes after ?3, not with superseded versions from before it.
const AS_OF_TX_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", seq FROM events INDEXED BY events_current_order \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND tx <= ?3 AND tx >= ?4 \
     AND op = 'assert' \
     UNION ALL SELECT ",
    event_columns!(),
    ", seq FROM events INDEXED BY events_superseded \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to > ?3 AND tx <= ?3 AND tx >= ?4 \
     AND op = 'assert' \
     ORDER BY tx, seq"
);

/// [`AS_OF_TX_SQL`] for a point in the older half of the log: the closed rows
/// are found by their own `tx` (those written up to ?3), not by their closing
/// tx, so versions written after the point cost nothing.
const AS_OF_OLD_TX_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", seq FROM events INDEXED BY events_current_order \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND tx <= ?3 AND tx >= ?4 \
     AND op = 'assert' \
     UNION ALL SELECT ",
    event_columns!(),
    ", seq FROM events INDEXED BY events_closed_by_tx \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NOT NULL AND tx <= ?3 AND tx >= ?4 \
     AND tx_to > ?3 AND op = 'assert' \
     ORDER BY tx, seq"
);

/// Every assert of one key of (tenant ?1, fork ?2).
const KEY_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events INDEXED BY events_key \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND axiom_id = ?3 AND standpoint_id = ?4 \
     AND op = 'assert' ORDER BY tx, seq"
);

/// Every own event of (tenant ?1, fork ?2), in log order.
const HISTORY_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE tenant_id = ?1 AND fork_id = ?2 ORDER BY tx, seq"
);

/// The sqlite backend.
///
/// Writes go through one connection behind a mutex, each in a
/// `BEGIN IMMEDIATE` transaction (so appends from several processes are
/// serialised too); reads use their own connections in a read transaction
/// (one consistent snapshot), which WAL lets run alongside a writer.
#[derive(Debug)]
pub struct SqliteBackend {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path`, with its parent
    /// directories, and applies pending schema migrations.
    ///
    /// A file that is not a sqlite database, a locked database or an
    /// unwritable location yields [`StoreError::Unavailable`].
    pub fn open(path: &Path) -> Result<SqliteBackend, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!(
                    "{}: cannot create directory {}: {e}",
                    path.display(),
                    parent.display()
                ))
            })?;
        }
        let mut writer = connect(path)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| db_error(path, "enabling WAL", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "{}: cannot switch the journal to WAL (got `{mode}`)",
                path.display()
            )));
        }
        migrate(path, &mut writer)?;
        Ok(SqliteBackend {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn poisoned(&self) -> StoreError {
        StoreError::Unavailable(format!(
            "{}: connection lock poisoned by a panicked caller",
            self.path.display()
        ))
    }

    fn writer(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.writer.lock().map_err(|_| self.poisoned())
    }

    /// Runs `f` on a read connection from the pool (opening one if none is
    /// idle), inside one read transaction.
    fn read<T>(
        &self,
        f: impl FnOnce(&mut Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.readers.lock().map_err(|_| self.poisoned())?.pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = connect(&self.path)?;
                conn.pragma_update(None, "query_only", true)
                    .map_err(|e| db_error(&self.path, "opening a read connection", e))?;
                conn
            }
        };
        let result = (|| {
            let txn = conn
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(|e| db_error(&self.path, "starting a read transaction", e))?;
            let out = f(&mut Db {
                conn: &txn,
                path: &self.path,
            })?;
            txn.finish()
                .map_err(|e| db_error(&self.path, "ending a read transaction", e))?;
            Ok(out)
        })();
        let mut idle = self.readers.lock().map_err(|_| self.poisoned())?;
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` write transaction, committed when
    /// `f` succeeds and rolled back otherwise.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer()?;
        let txn = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, "starting the write transaction", e))?;
        let out = f(&mut Db {
            conn: &txn,
            path: &self.path,
        })?;
        txn.commit()
            .map_err(|e| db_error(&self.path, "committing the write transaction", e))?;
        Ok(out)
    }
}

/// Opens one connection with the store's settings.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| db_error(path, "opening", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(path, "setting busy_timeout", e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| db_error(path, "setting synchronous=FULL", e))?;
    Ok(conn)
}

/// Applies the pending [`MIGRATIONS`] in one transaction.
fn migrate(path: &Path, conn: &mut Connection) -> Result<(), StoreError> {
    let err = |doing: &str, e| db_error(path, doing, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err("starting migrations", e))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER NOT NULL PRIMARY KEY,
            applied_at INTEGER NOT NULL
        )",
    )
    .map_err(|e| err("creating schema_migrations", e))?;
    let current: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|e| err("reading the schema version", e))?;
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > latest {
        return Err(StoreError::Unavailable(format!(
            "{}: database schema version {current} is newer than this ox-store supports ({latest})",
            path.display()
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.execute_batch(sql)
            .map_err(|e| err(&format!("applying migration {version}"), e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, Utc::now().timestamp_micros()],
        )
        .map_err(|e| err(&format!("recording migration {version}"), e))?;
    }
    tx.commit().map_err(|e| err("committing migrations", e))
}

/// Maps a sqlite error to a [`StoreError`] naming the file and what was being done.
fn db_error(path: &Path, doing: &str, e: rusqlite::Error) -> StoreError {
    let at = format!("{} ({doing})", path.display());
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                StoreError::Unavailable(format!(
                    "{at}: database is locked by another writer (waited {} s): {e}",
                    BUSY_TIMEOUT.as_secs()
                ))
            }
            ErrorCode::NotADatabase => {
                StoreError::Unavailable(format!("{at}: file is not a sqlite database: {e}"))
            }
            ErrorCode::DatabaseCorrupt => {
                StoreError::Unavailable(format!("{at}: database file is corrupt: {e}"))
            }
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                StoreError::Unavailable(format!("{at}: cannot open or write the database: {e}"))
            }
            ErrorCode::ConstraintViolation => {
                StoreError::Corrupt(format!("{at}: store invariant violated: {e}"))
            }
            _ => StoreError::Unavailable(format!("{at}: {e}")),
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => {
            StoreError::Corrupt(format!("{at}: undecodable row: {e}"))
        }
        _ => StoreError::Unavailable(format!("{at}: {e}")),
    }
}

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} out of range")))
}

fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what} {value}")))
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(value: i64, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| StoreError::Corrupt(format!("{what} {value} µs is not a valid time")))
}

/// An event row as stored, before decoding.
struct RawEvent {
    tx: i64,
    fork: String,
    event_id: String,
    axiom_id: String,
    kind: String,
    op: String,
    body: Vec<u8>,
    content_id: Vec<u8>,
    standpoint: String,
    valid_from: i64,
    valid_to: Option<i64>,
    tx_to: Option<i64>,
    principal: String,
    schema_hash: String,
    committed_at: i64,
}

impl RawEvent {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            tx: r.get(0)?,
            fork: r.get(1)?,
            event_id: r.get(2)?,
            axiom_id: r.get(3)?,
            kind: r.get(4)?,
            op: r.get(5)?,
            body: r.get(6)?,
            content_id: r.get(7)?,
            standpoint: r.get(8)?,
            valid_from: r.get(9)?,
            valid_to: r.get(10)?,
            tx_to: r.get(11)?,
            principal: r.get(12)?,
            schema_hash: r.get(13)?,
            committed_at: r.get(14)?,
        })
    }

    fn decode(self, tenant: &TenantId) -> Result<Event, StoreError> {
        let content_id: [u8; 32] = self.content_id.as_slice().try_into().map_err(|_| {
            StoreError::Corrupt(format!(
                "event {}: content_id has {} bytes, expected 32",
                self.event_id,
                self.content_id.len()
            ))
        })?;
        Ok(Event {
            event_id: Uuid::parse_str(&self.event_id).map_err(|e| {
                StoreError::Corrupt(format!("bad event_id `{}`: {e}", self.event_id))
            })?,
            op: self.op.parse::<Op>()?,
            tx: to_u64(self.tx, "tx")?,
            tx_to: self.tx_to.map(|t| to_u64(t, "tx_to")).transpose()?,
            valid_from: from_micros(self.valid_from, "valid_from")?,
            valid_to: self
                .valid_to
                .map(|t| from_micros(t, "valid_to"))
                .transpose()?,
            committed_at: from_micros(self.committed_at, "committed_at")?,
            standpoint: (!self.standpoint.is_empty()).then_some(self.standpoint),
            axiom_id: self.axiom_id,
            kind: self.kind,
            body: self.body,
            content_id,
            tenant: tenant.clone(),
            fork: self.fork,
            principal: self.principal,
            schema_hash: self.schema_hash,
        })
    }
}

/// One connection inside an open transaction: the log primitives.
struct Db<'c> {
    conn: &'c Connection,
    path: &'c Path,
}

fn tx_param(tx: Option<u64>) -> i64 {
    tx.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn min_param(tx: u64) -> i64 {
    i64::try_from(tx).unwrap_or(i64::MAX)
}

impl Db<'_> {
    fn err(&self, doing: &str, e: rusqlite::Error) -> StoreError {
        db_error(self.path, doing, e)
    }

    fn events(
        &self,
        tenant: &TenantId,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Event>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_map(params, RawEvent::from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| self.err("reading events", e))?;
        raw.into_iter().map(|r| r.decode(tenant)).collect()
    }

    /// The tenant's last tx and commit time, if it was ever written.
    fn tenant_row(&self, tenant: &TenantId) -> Result<Option<(u64, DateTime<Utc>)>, StoreError> {
        let row: Option<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT last_tx, last_committed_at FROM tenants WHERE tenant_id = ?1")
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.err("reading the tenant", e))?;
        row.map(|(tx, at)| Ok((to_u64(tx, "last_tx")?, from_micros(at, "commit time")?)))
            .transpose()
    }

    fn schema_hash(&self, tenant: &TenantId) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT schema_hash FROM tenants WHERE tenant_id = ?1")
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str()], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err("reading the schema scope", e))
    }

    /// Records a commit: the tenant's last tx, time and schema hash.
    fn commit_tenant(
        &self,
        tenant: &TenantId,
        tx: u64,
        at: DateTime<Utc>,
        schema_hash: &str,
    ) -> Result<(), StoreError> {
        let tx = to_i64(tx, "tx")?;
        self.conn
            .prepare_cached(
                "INSERT INTO tenants (tenant_id, last_tx, last_committed_at, schema_hash) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET \
                 last_tx = excluded.last_tx, last_committed_at = excluded.last_committed_at, \
                 schema_hash = excluded.schema_hash",
            )
            .and_then(|mut s| s.execute(params![tenant.as_str(), tx, micros(at), schema_hash]))
            .map(|_| ())
            .map_err(|e| self.err("updating the tenant", e))
    }

    /// Bumps the fork's generation (creating `main`'s row on its first write).
    fn bump(
        &self,
        tenant: &TenantId,
        fork: &str,
        principal: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let g: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO forks (tenant_id, fork_id, generation, created_at, created_by) \
                 VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (tenant_id, fork_id) DO UPDATE SET \
                 generation = generation + 1 RETURNING generation",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), fork, micros(at), principal], |r| {
                    r.get(0)
                })
            })
            .map_err(|e| self.err("bumping the generation", e))?;
        to_u64(g, "generation")
    }

    fn set_state(&self, tenant: &TenantId, fork: &str, state: ForkState) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE forks SET state = ?3, generation = generation + 1 \
                 WHERE tenant_id = ?1 AND fork_id = ?2",
            )
            .and_then(|mut s| s.execute(params![tenant.as_str(), fork, state.as_str()]))
            .map(|_| ())
            .map_err(|e| self.err("closing the fork", e))
    }

    fn remember(
        &self,
        tenant: &TenantId,
        fork: &str,
        record: &crate::IdempotencyRecord,
        at: DateTime<Utc>,
        tx: u64,
    ) -> Result<(), StoreError> {
        let tx = to_i64(tx, "tx")?;
        let horizon = at - chrono::Duration::hours(IDEMPOTENCY_TTL_HOURS);
        self.conn
            .prepare_cached("DELETE FROM idempotency WHERE tenant_id = ?1 AND created_at < ?2")
            .and_then(|mut s| s.execute(params![tenant.as_str(), micros(horizon)]))
            .map_err(|e| self.err("pruning idempotency keys", e))?;
        self.conn
            .prepare_cached(
                "INSERT INTO idempotency (tenant_id, fork_id, key, fingerprint, response, created_at, tx) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    tenant.as_str(),
                    fork,
                    record.key,
                    record.fingerprint.as_slice(),
                    record.response,
                    micros(at),
                    tx
                ])
            })
            .map(|_| ())
            .map_err(|e| match &e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
                    StoreError::IdempotencyReplay(record.key.clone())
                }
                _ => self.err("storing the idempotency key", e),
            })
    }

    fn stored_response(
        &self,
        tenant: &TenantId,
        fork: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = self
            .conn
            .prepare_cached(
                "SELECT fingerprint, response, tx FROM idempotency \
                 WHERE tenant_id = ?1 AND fork_id = ?2 AND key = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), fork, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(|e| self.err("reading an idempotency key", e))?;
        row.map(|(fp, response, tx)| {
            let fingerprint: [u8; 32] = fp.as_slice().try_into().map_err(|_| {
                StoreError::Corrupt(format!("idempotency fingerprint of {} bytes", fp.len()))
            })?;
            Ok(StoredResponse {
                fingerprint,
                response,
                tx: to_u64(tx, "tx")?,
            })
        })
        .transpose()
    }

    fn fork_rows(
        &self,
        tenant: &TenantId,
        name: Option<&str>,
    ) -> Result<Vec<ForkRecord>, StoreError> {
        type Raw = (String, Option<String>, i64, i64, String, String, i64);
        let raw: Vec<Raw> = self
            .conn
            .prepare_cached(
                "SELECT fork_id, parent_id, fork_point_tx, created_at, created_by, state, generation \
                 FROM forks WHERE tenant_id = ?1 AND (?2 IS NULL OR fork_id = ?2) ORDER BY fork_id",
            )
            .and_then(|mut s| {
                s.query_map(params![tenant.as_str(), name], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| self.err("reading forks", e))?;
        raw.into_iter()
            .map(|(name, parent, fp, at, by, state, generation)| {
                Ok(ForkRecord {
                    name,
                    parent,
                    fork_point_tx: to_u64(fp, "fork_point_tx")?,
                    created_at: Some(from_micros(at, "created_at")?),
                    created_by: by,
                    state: state.parse()?,
                    generation: to_u64(generation, "generation")?,
                })
            })
            .collect()
    }
}

impl LogRead for Db<'_> {
    fn fork_record(
        &mut self,
        tenant: &TenantId,
        fork: &str,
    ) -> Result<Option<ForkRecord>, StoreError> {
        let found = self.fork_rows(tenant, Some(fork))?.into_iter().next();
        Ok(match found {
            None if fork == MAIN_FORK => Some(ForkRecord::implicit_main()),
            other => other,
        })
    }

    fn tx_at(&mut self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        let tx: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MAX(tx) FROM events INDEXED BY events_committed \
                 WHERE tenant_id = ?1 AND committed_at <= ?2",
            )
            .and_then(|mut s| s.query_row(params![tenant.as_str(), micros(time)], |r| r.get(0)))
            .map_err(|e| self.err("mapping a time to a tx", e))?;
        tx.map_or(Ok(0), |t| to_u64(t, "tx"))
    }

    fn own_visible(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        tx: Option<u64>,
        valid: ValidPoint,
        min_tx: u64,
        key: Option<&Key>,
    ) -> Result<Vec<Event>, StoreError> {
        let t = tenant.as_str();
        let min = min_param(min_tx);
        let events = match (key, tx, valid) {
            (Some((axiom, standpoint)), _, _) => self.events(
                tenant,
                KEY_SQL,
                params![t, fork, axiom, standpoint.as_deref().unwrap_or("")],
            )?,
            (None, None, ValidPoint::All) => {
                self.events(tenant, CURRENT_SQL, params![t, fork, min])?
            }
            (None, None, ValidPoint::At(vt)) => {
                self.events(tenant, CURRENT_VALID_SQL, params![t, fork, min, micros(vt)])?
            }
            (None, Some(n), _) => {
                // closed rows: scan those closed after n, or those written up
                // to n, whichever half of the log is smaller
                let last = self.tenant_row(tenant)?.map_or(0, |(tx, _)| tx);
                let sql = if n.saturating_mul(2) < last {
                    AS_OF_OLD_TX_SQL
                } else {
                    AS_OF_TX_SQL
                };
                self.events(tenant, sql, params![t, fork, tx_param(tx), min])?
            }
        };
        Ok(events
            .into_iter()
            .filter(|e| e.tx >= min_tx && e.visible_at(tx, valid))
            .collect())
    }

    fn own_next_valid_from(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let t: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MIN(valid_from) FROM events INDEXED BY events_current_valid_from \
                 WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND valid_from > ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), fork, micros(after)], |r| r.get(0))
            })
            .map_err(|e| self.err("reading the next valid-time change", e))?;
        t.map(|t| from_micros(t, "valid_from")).transpose()
    }

    fn own_keys(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        max_tx: Option<u64>,
        min_tx: u64,
    ) -> Result<HashSet<Key>, StoreError> {
        let rows: Vec<(String, String)> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT axiom_id, standpoint_id FROM events \
                 WHERE tenant_id = ?1 AND fork_id = ?2 AND tx >= ?3 AND tx <= ?4",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![tenant.as_str(), fork, min_param(min_tx), tx_param(max_tx)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| self.err("reading a fork's keys", e))?;
        Ok(rows
            .into_iter()
            .map(|(a, s)| (a, (!s.is_empty()).then_some(s)))
            .collect())
    }

    fn owns_key(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        key: &Key,
        max_tx: Option<u64>,
    ) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM events INDEXED BY events_key WHERE tenant_id = ?1 AND fork_id = ?2 \
                 AND axiom_id = ?3 AND standpoint_id = ?4 AND tx <= ?5 LIMIT 1",
            )
            .and_then(|mut s| {
                s.exists(params![
                    tenant.as_str(),
                    fork,
                    key.0,
                    key.1.as_deref().unwrap_or(""),
                    tx_param(max_tx)
                ])
            })
            .map_err(|e| self.err("checking a fork's key", e))
    }
}

impl LogWrite for Db<'_> {
    fn close_events(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        ids: &[Uuid],
        tx: u64,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "UPDATE events SET tx_to = ?1 WHERE tenant_id = ?2 AND event_id = ?3 \
                 AND fork_id = ?4 AND tx_to IS NULL",
            )
            .map_err(|e| self.err("preparing supersession", e))?;
        let tx = to_i64(tx, "tx")?;
        for id in ids {
            stmt.execute(params![tx, tenant.as_str(), id.to_string(), fork])
                .map_err(|e| db_error(self.path, "superseding", e))?;
        }
        Ok(())
    }

    fn insert_events(&mut self, rows: &[Event]) -> Result<(), StoreError> {
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO events (tenant_id, fork_id, tx, seq, event_id, axiom_id, kind, op, \
                 body, content_id, standpoint_id, valid_from, valid_to, tx_to, principal_id, \
                 schema_hash, committed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .map_err(|e| self.err("preparing insert", e))?;
        let mut seq_of_tx: Option<(u64, i64)> = None;
        for e in rows {
            let seq = match seq_of_tx {
                Some((tx, n)) if tx == e.tx => n + 1,
                _ => 0,
            };
            seq_of_tx = Some((e.tx, seq));
            insert
                .execute(params![
                    e.tenant.as_str(),
                    e.fork,
                    to_i64(e.tx, "tx")?,
                    seq,
                    e.event_id.to_string(),
                    e.axiom_id,
                    e.kind,
                    e.op.as_str(),
                    e.body,
                    e.content_id.as_slice(),
                    e.standpoint.as_deref().unwrap_or(""),
                    micros(e.valid_from),
                    e.valid_to.map(micros),
                    e.tx_to.map(|t| to_i64(t, "tx_to")).transpose()?,
                    e.principal,
                    e.schema_hash,
                    micros(e.committed_at),
                ])
                .map_err(|err| db_error(self.path, "inserting an event", err))?;
        }
        Ok(())
    }
}

impl StorageBackend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.read(|db| {
            db.conn
                .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|_| ())
                .map_err(|e| db.err("ping", e))
        })
    }

    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError> {
        self.write(|db| {
            let chain = log::writable_fork(db, req.tenant, req.fork)?;
            let actual = chain[0].generation;
            if actual != req.expected_generation {
                return Err(StoreError::Conflict {
                    expected: req.expected_generation,
                    actual,
                });
            }
            let last = db.tenant_row(req.tenant)?;
            let (last_tx, last_at) = last.map_or((0, None), |(tx, at)| (tx, Some(at)));
            let now = commit_time(last_at);
            if req.events.is_empty() {
                if let Some(record) = &req.idempotency {
                    db.remember(req.tenant, req.fork, record, now, last_tx)?;
                }
                return Ok(Committed {
                    tx: last_tx,
                    generation: actual,
                    committed_at: last_at.unwrap_or(now),
                    event_ids: Vec::new(),
                });
            }
            let tx = last_tx.checked_add(1).ok_or_else(|| {
                StoreError::Corrupt(format!("tenant {}: tx counter overflow", req.tenant))
            })?;
            let prepared = prepare(req.events, now)?;
            let stamp = TxStamp {
                tenant: req.tenant,
                fork: req.fork,
                tx,
                committed_at: now,
                principal: req.principal,
                schema_hash: req.schema_hash,
            };
            if let Some(record) = &req.idempotency {
                db.remember(req.tenant, req.fork, record, now, tx)?;
            }
            let event_ids = log::apply_append(db, &chain, &stamp, prepared)?;
            db.commit_tenant(req.tenant, tx, now, req.schema_hash)?;
            let generation = db.bump(req.tenant, req.fork, req.principal, now)?;
            Ok(Committed {
                tx,
                generation,
                committed_at: now,
                event_ids,
            })
        })
    }

    fn visible_events(
        &self,
        tenant: &TenantId,
        fork: &str,
        as_of: AsOf,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(|db| log::visible(db, tenant, fork, as_of, 0, None))
    }

    fn next_valid_change(
        &self,
        tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|db| log::next_valid_change(db, tenant, fork, after))
    }

    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError> {
        self.read(|db| {
            db.fork_record(tenant, fork)?
                .map(|r| r.generation)
                .ok_or_else(|| StoreError::UnknownFork(fork.escape_debug().to_string()))
        })
    }

    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.read(|db| Ok(db.tenant_row(tenant)?.map_or(0, |(tx, _)| tx)))
    }

    fn last_tx_at(&self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        self.read(|db| db.tx_at(tenant, time))
    }

    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError> {
        self.read(|db| {
            let rows = db
                .conn
                .prepare_cached("SELECT tenant_id, schema_hash FROM tenants ORDER BY tenant_id")
                .and_then(|mut s| {
                    s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(|e| db.err("listing schema scopes", e))?;
            rows.into_iter()
                .map(|(tenant, schema_hash)| {
                    let tenant = TenantId::parse(&tenant)
                        .map_err(|e| StoreError::Corrupt(format!("stored tenant id: {e}")))?;
                    Ok(SchemaScope {
                        tenant,
                        schema_hash,
                    })
                })
                .collect()
        })
    }

    fn schema_scope(&self, tenant: &TenantId) -> Result<Option<String>, StoreError> {
        self.read(|db| db.schema_hash(tenant))
    }

    fn restamp_schema_scopes(
        &self,
        new_hash: &str,
        principal: &str,
        host: &str,
    ) -> Result<Vec<SchemaChange>, StoreError> {
        let scopes = self.schema_scopes()?;
        self.write(|db| {
            let mut changes = Vec::new();
            for scope in scopes.into_iter().filter(|s| s.schema_hash != new_hash) {
                let at = commit_time(None);
                let t = scope.tenant.as_str();
                db.conn
                    .prepare_cached(
                        "INSERT INTO schema_changes (tenant_id, seq, old_hash, new_hash, at, principal, host) \
                         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM schema_changes WHERE tenant_id = ?1), \
                         ?2, ?3, ?4, ?5, ?6)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![t, scope.schema_hash, new_hash, micros(at), principal, host])
                    })
                    .and_then(|_| {
                        db.conn
                            .prepare_cached("UPDATE tenants SET schema_hash = ?2 WHERE tenant_id = ?1")?
                            .execute(params![t, new_hash])
                    })
                    .map_err(|e| db.err("re-stamping a schema scope", e))?;
                changes.push(SchemaChange {
                    tenant: scope.tenant,
                    old_hash: scope.schema_hash,
                    new_hash: new_hash.to_owned(),
                    at,
                    principal: principal.to_owned(),
                    host: host.to_owned(),
                });
            }
            Ok(changes)
        })
    }

    fn schema_changes(&self, tenant: &TenantId) -> Result<Vec<SchemaChange>, StoreError> {
        self.read(|db| {
            let rows: Vec<(String, String, i64, String, String)> = db
                .conn
                .prepare_cached(
                    "SELECT old_hash, new_hash, at, principal, host FROM schema_changes \
                     WHERE tenant_id = ?1 ORDER BY seq",
                )
                .and_then(|mut s| {
                    s.query_map(params![tenant.as_str()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(|e| db.err("reading schema changes", e))?;
            rows.into_iter()
                .map(|(old_hash, new_hash, at, principal, host)| {
                    Ok(SchemaChange {
                        tenant: tenant.clone(),
                        old_hash,
                        new_hash,
                        at: from_micros(at, "schema change time")?,
                        principal,
                        host,
                    })
                })
                .collect()
        })
    }

    fn create_fork(
        &self,
        tenant: &TenantId,
        name: &str,
        parent: &str,
        at_tx: Option<u64>,
        principal: &str,
    ) -> Result<ForkRecord, StoreError> {
        validate_fork_name(name)?;
        self.write(|db| {
            if db.fork_record(tenant, name)?.is_some() {
                return Err(StoreError::ForkExists(name.to_owned()));
            }
            if db.fork_record(tenant, parent)?.is_none() {
                return Err(StoreError::UnknownFork(parent.escape_debug().to_string()));
            }
            let last_tx = db.tenant_row(tenant)?.map_or(0, |(tx, _)| tx);
            let fork_point_tx = fork_point(last_tx, at_tx)?;
            let at = commit_time(None);
            let point = to_i64(fork_point_tx, "fork point")?;
            db.conn
                .prepare_cached(
                    "INSERT INTO forks (tenant_id, fork_id, generation, created_at, created_by, \
                     parent_id, fork_point_tx, state) VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, 'open')",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        tenant.as_str(),
                        name,
                        micros(at),
                        principal,
                        parent,
                        point
                    ])
                })
                .map_err(|e| db.err("creating a fork", e))?;
            Ok(ForkRecord {
                name: name.to_owned(),
                parent: Some(parent.to_owned()),
                fork_point_tx,
                created_at: Some(at),
                created_by: principal.to_owned(),
                state: ForkState::Open,
                generation: 0,
            })
        })
    }

    fn fork(&self, tenant: &TenantId, name: &str) -> Result<Option<ForkRecord>, StoreError> {
        self.read(|db| db.fork_record(tenant, name))
    }

    fn forks(&self, tenant: &TenantId) -> Result<Vec<ForkRecord>, StoreError> {
        self.read(|db| {
            let rows = db.fork_rows(tenant, None)?;
            let main = rows
                .iter()
                .find(|f| f.name == MAIN_FORK)
                .cloned()
                .unwrap_or_else(ForkRecord::implicit_main);
            Ok(std::iter::once(main)
                .chain(rows.into_iter().filter(|f| f.name != MAIN_FORK))
                .collect())
        })
    }

    fn close_fork(
        &self,
        tenant: &TenantId,
        name: &str,
        state: ForkState,
        _principal: &str,
    ) -> Result<ForkRecord, StoreError> {
        check_closing(name, state)?;
        self.write(|db| {
            let record = db
                .fork_record(tenant, name)?
                .ok_or_else(|| StoreError::UnknownFork(name.escape_debug().to_string()))?;
            if record.state != ForkState::Open {
                return Err(StoreError::ForkClosed(name.to_owned()));
            }
            db.set_state(tenant, name, state)?;
            Ok(ForkRecord {
                state,
                generation: record.generation + 1,
                ..record
            })
        })
    }

    fn diff(&self, tenant: &TenantId, a: &str, b: &str) -> Result<ForkDiff, StoreError> {
        self.read(|db| log::diff(db, tenant, a, b))
    }

    fn promoted_view(
        &self,
        tenant: &TenantId,
        fork: &str,
        valid: ValidPoint,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(|db| log::promoted_view(db, tenant, fork, valid))
    }

    fn promote(
        &self,
        tenant: &TenantId,
        fork: &str,
        principal: &str,
        schema_hash: &str,
    ) -> Result<Promotion, StoreError> {
        self.write(|db| {
            let chain = log::writable_fork(db, tenant, fork)?;
            let parent = promote_target(&chain)?;
            log::writable_fork(db, tenant, &parent)?;
            let last = db.tenant_row(tenant)?;
            let (last_tx, last_at) = last.map_or((0, None), |(tx, at)| (tx, Some(at)));
            let tx = last_tx + 1;
            let now = commit_time(last_at);
            let stamp = TxStamp {
                tenant,
                fork: &parent,
                tx,
                committed_at: now,
                principal,
                schema_hash,
            };
            let (event_ids, source_event_ids) = log::apply_promote(db, &chain, &stamp)?;
            db.commit_tenant(tenant, tx, now, schema_hash)?;
            let generation = db.bump(tenant, &parent, principal, now)?;
            db.set_state(tenant, fork, ForkState::Promoted)?;
            Ok(Promotion {
                tx,
                generation,
                event_ids,
                source_event_ids,
            })
        })
    }

    fn idempotent_response(
        &self,
        tenant: &TenantId,
        fork: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.read(|db| db.stored_response(tenant, fork, key))
    }

    fn forget(
        &self,
        tenant: &TenantId,
        fork: &str,
        selector: &ForgetSelector,
        actor: &str,
        reason: &str,
    ) -> Result<ForgetReceipt, StoreError> {
        self.write(|db| {
            log::chain(db, tenant, fork)?;
            let doomed: Vec<Event> = db
                .events(tenant, HISTORY_SQL, params![tenant.as_str(), fork])?
                .into_iter()
                .filter(|e| selector.matches(&e.axiom_id))
                .collect();
            {
                let mut delete = db
                    .conn
                    .prepare_cached("DELETE FROM events WHERE tenant_id = ?1 AND event_id = ?2")
                    .map_err(|e| db.err("preparing erasure", e))?;
                for e in &doomed {
                    delete
                        .execute(params![tenant.as_str(), e.event_id.to_string()])
                        .map_err(|err| db_error(db.path, "erasing an event", err))?;
                }
            }
            {
                // Stored idempotency responses of the transactions that wrote the
                // erased events may echo erased values: they go too.
                let mut delete = db
                    .conn
                    .prepare_cached(
                        "DELETE FROM idempotency WHERE tenant_id = ?1 AND fork_id = ?2 AND tx = ?3",
                    )
                    .map_err(|e| db.err("preparing erasure of stored responses", e))?;
                for tx in erased_txs(&doomed) {
                    delete
                        .execute(params![tenant.as_str(), fork, tx_param(Some(tx))])
                        .map_err(|err| db_error(db.path, "erasing a stored response", err))?;
                }
            }
            db.conn
                .prepare_cached("UPDATE forks SET generation = generation + 1 WHERE tenant_id = ?1")
                .and_then(|mut s| s.execute(params![tenant.as_str()]))
                .map_err(|e| db.err("bumping generations", e))?;
            let receipt = ForgetReceipt {
                receipt_id: Uuid::now_v7(),
                tenant: tenant.clone(),
                fork: fork.to_owned(),
                actor: actor.to_owned(),
                reason: reason.to_owned(),
                event_ids: doomed.iter().map(|e| e.event_id).collect(),
                content_ids: doomed.iter().map(Event::content_id_hex).collect(),
                tx: db.tenant_row(tenant)?.map_or(0, |(tx, _)| tx),
                at: commit_time(None),
            };
            let text = serde_json::to_string(&receipt)
                .map_err(|e| StoreError::Corrupt(format!("encoding a receipt: {e}")))?;
            db.conn
                .prepare_cached(
                    "INSERT INTO forget_receipts (tenant_id, receipt_id, at, receipt) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        tenant.as_str(),
                        receipt.receipt_id.to_string(),
                        micros(receipt.at),
                        text
                    ])
                })
                .map_err(|e| db.err("storing the receipt", e))?;
            Ok(receipt)
        })
    }

    fn forget_receipts(&self, tenant: &TenantId) -> Result<Vec<ForgetReceipt>, StoreError> {
        self.read(|db| {
            let rows: Vec<String> = db
                .conn
                .prepare_cached(
                    "SELECT receipt FROM forget_receipts WHERE tenant_id = ?1 ORDER BY at, receipt_id",
                )
                .and_then(|mut s| {
                    s.query_map(params![tenant.as_str()], |r| r.get(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(|e| db.err("reading receipts", e))?;
            rows.iter()
                .map(|text| {
                    serde_json::from_str(text)
                        .map_err(|e| StoreError::Corrupt(format!("stored receipt: {e}")))
                })
                .collect()
        })
    }

    fn history(&self, tenant: &TenantId, fork: &str) -> Result<Vec<Event>, StoreError> {
        self.read(|db| {
            log::chain(db, tenant, fork)?;
            db.events(tenant, HISTORY_SQL, params![tenant.as_str(), fork])
        })
    }

    fn restore(
        &self,
        tenant: &TenantId,
        last_tx: u64,
        schema_hash: Option<&str>,
        events: &[Event],
    ) -> Result<(), StoreError> {
        self.write(|db| {
            let holds_data =
                db.tenant_row(tenant)?.is_some() || !db.fork_rows(tenant, None)?.is_empty();
            if holds_data {
                return Err(StoreError::Import(format!(
                    "tenant {tenant} already holds data; import needs an empty tenant"
                )));
            }
            let (Some(first), Some(last)) = (events.first(), events.last()) else {
                return Ok(());
            };
            db.insert_events(events)?;
            let at = events
                .iter()
                .map(|e| e.committed_at)
                .max()
                .unwrap_or(last.committed_at);
            db.commit_tenant(
                tenant,
                last_tx,
                at,
                schema_hash.unwrap_or(last.schema_hash.as_str()),
            )?;
            db.bump(tenant, MAIN_FORK, &first.principal, first.committed_at)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan rows");
        rows.map(|r| r.expect("plan row"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A store written under schema version 1 (one current row per fact,
    /// no forks) opens, migrates to the latest version and keeps its data.
    #[test]
    fn version_one_databases_migrate() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v1.sqlite");
        {
            let conn = Connection::open(&path).expect("raw open");
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)",
            )
            .expect("migrations table");
            conn.execute_batch(MIGRATIONS[0].1).expect("version 1");
            conn.execute_batch(
                "INSERT INTO schema_migrations VALUES (1, 0);
                 INSERT INTO tenants VALUES ('acme', 1, 1000000, 'h1');
                 INSERT INTO forks VALUES ('acme', 'main', 1, 1000000, 'p');
                 INSERT INTO events VALUES ('acme', 'main', 1, 0, '0190b2a4-0000-7000-8000-000000000001',
                   'age', 'property_assertion', 'assert', x'3330',
                   x'0000000000000000000000000000000000000000000000000000000000000000', '',
                   1000000, NULL, NULL, 'p', 'h1', 1000000);",
            )
            .expect("v1 data");
        }
        let store = SqliteBackend::open(&path).expect("migrates");
        let t = TenantId::parse("acme").expect("tenant");
        assert_eq!(store.last_tx(&t).expect("last tx"), 1);
        assert_eq!(
            store
                .visible_events(&t, MAIN_FORK, AsOf::LATEST)
                .expect("read")
                .len(),
            1
        );
        assert_eq!(
            store
                .fork(&t, MAIN_FORK)
                .expect("fork")
                .map(|f| f.generation),
            Some(1)
        );
        store
            .create_fork(&t, "f", MAIN_FORK, None, "p")
            .expect("forks work after the migration");
    }

    /// Current reads go through the current-state indexes; as-of reads
    /// through the current and superseded indexes; none scans the whole log.
    #[test]
    fn reads_use_the_projection_indexes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = SqliteBackend::open(&dir.path().join("s.sqlite")).expect("open");
        let conn = backend.writer().expect("writer");
        let bind = |sql: &str| {
            sql.replace("?1", "'t'")
                .replace("?2", "'main'")
                .replace("?3", "3")
                .replace("?4", "4")
        };
        let current = plan(&conn, &bind(CURRENT_SQL));
        assert!(current.contains("events_current_order"), "{current}");
        let valid = plan(&conn, &bind(CURRENT_VALID_SQL));
        assert!(
            valid.contains("events_current_open") && valid.contains("events_current_bounded"),
            "{valid}"
        );
        let old = plan(&conn, &bind(AS_OF_OLD_TX_SQL));
        assert!(old.contains("events_closed_by_tx"), "{old}");
        assert!(!old.contains("SCAN events"), "full scan: {old}");
        let as_of = plan(&conn, &bind(AS_OF_TX_SQL));
        assert!(
            as_of.contains("events_current_order") && as_of.contains("events_superseded"),
            "{as_of}"
        );
        let key = plan(
            &conn,
            &KEY_SQL
                .replace("?1", "'t'")
                .replace("?2", "'main'")
                .replace("?3", "'a'")
                .replace("?4", "''"),
        );
        assert!(key.contains("events_key"), "{key}");
        for p in [&current, &valid, &as_of, &key] {
            assert!(!p.contains("SCAN events"), "full scan: {p}");
        }
    }
}
