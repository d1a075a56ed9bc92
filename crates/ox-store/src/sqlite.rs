//! The embedded sqlite backend: one file, WAL journal, fsync at every commit.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior,
};
use uuid::Uuid;

use crate::event::{check_fork, commit_time, prepare};
use crate::{
    AppendRequest, AsOf, Committed, Event, Op, SchemaScope, StorageBackend, StoreError, TenantId,
};

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 4;

/// Versioned schema migrations, applied in order at open. Never edit an entry
/// once released: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[(
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
)];

/// Columns of an event row, in the order [`RawEvent::from_row`] reads them.
macro_rules! event_columns {
    () => {
        "tx, seq, event_id, axiom_id, kind, op, body, content_id, standpoint_id, valid_from, \
         valid_to, tx_to, principal_id, schema_hash, committed_at"
    };
}

/// The current state of (tenant ?1, fork ?2): served by `events_current_order`
/// alone, never touching history.
const CURRENT_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events INDEXED BY events_current_order \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND op = 'assert' \
     ORDER BY tx, seq"
);

/// The state of (tenant ?1, fork ?2) right after tx ?3: current rows written by
/// then, plus rows closed after it; its cost grows with the changes after ?3,
/// not with superseded versions from before it.
const AS_OF_TX_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events INDEXED BY events_current_order \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to IS NULL AND tx <= ?3 AND op = 'assert' \
     UNION ALL SELECT ",
    event_columns!(),
    " FROM events INDEXED BY events_superseded \
     WHERE tenant_id = ?1 AND fork_id = ?2 AND tx_to > ?3 AND tx <= ?3 AND op = 'assert' \
     ORDER BY tx, seq"
);

/// The sqlite backend.
///
/// Writes go through one connection behind a mutex, each in a
/// `BEGIN IMMEDIATE` transaction (so appends from several processes are
/// serialised too); reads use their own connections, which WAL lets run
/// alongside a writer.
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

    fn err(&self, doing: &str, e: rusqlite::Error) -> StoreError {
        db_error(&self.path, doing, e)
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

    /// Runs `f` on a read connection from the pool (opening one if none is idle).
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.readers.lock().map_err(|_| self.poisoned())?.pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = connect(&self.path)?;
                conn.pragma_update(None, "query_only", true)
                    .map_err(|e| self.err("opening a read connection", e))?;
                conn
            }
        };
        let result = f(&conn);
        let mut idle = self.readers.lock().map_err(|_| self.poisoned())?;
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
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

    fn decode(self, tenant: &TenantId, fork: &str) -> Result<Event, StoreError> {
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
            fork: fork.to_owned(),
            principal: self.principal,
            schema_hash: self.schema_hash,
        })
    }
}

/// The (tenant, fork) generation, 0 if never written.
fn read_generation(conn: &Connection, tenant: &TenantId, fork: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT generation FROM forks WHERE tenant_id = ?1 AND fork_id = ?2")?
        .query_row(params![tenant.as_str(), fork], |r| r.get(0))
        .optional()
        .map(|g| g.unwrap_or(0))
}

/// The tenant's last tx and commit time, if it was ever written.
fn read_tenant(conn: &Connection, tenant: &TenantId) -> rusqlite::Result<Option<(i64, i64)>> {
    conn.prepare_cached("SELECT last_tx, last_committed_at FROM tenants WHERE tenant_id = ?1")?
        .query_row(params![tenant.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

impl SqliteBackend {
    /// The body of [`StorageBackend::append`], inside the open transaction `txn`.
    fn append_in(
        &self,
        txn: &Transaction<'_>,
        req: AppendRequest<'_>,
    ) -> Result<Committed, StoreError> {
        let actual = to_u64(
            read_generation(txn, req.tenant, req.fork)
                .map_err(|e| self.err("reading the generation", e))?,
            "generation",
        )?;
        if actual != req.expected_generation {
            return Err(StoreError::Conflict {
                expected: req.expected_generation,
                actual,
            });
        }
        let (last_tx, last_at) =
            match read_tenant(txn, req.tenant).map_err(|e| self.err("reading the tenant", e))? {
                Some((tx, at)) => (
                    to_u64(tx, "last_tx")?,
                    Some(from_micros(at, "commit time")?),
                ),
                None => (0, None),
            };
        let committed_at = commit_time(last_at);
        if req.events.is_empty() {
            return Ok(Committed {
                tx: last_tx,
                generation: actual,
                committed_at: last_at.unwrap_or(committed_at),
                event_ids: Vec::new(),
            });
        }
        let tx = last_tx.checked_add(1).ok_or_else(|| {
            StoreError::Corrupt(format!("tenant {}: tx counter overflow", req.tenant))
        })?;
        let generation = actual + 1;
        let generation_sql = to_i64(generation, "generation")?;
        let tx_sql = to_i64(tx, "tx")?;
        let at = micros(committed_at);
        let prepared = prepare(req.events, committed_at)?;

        let mut supersede = txn
            .prepare_cached(
                "UPDATE events SET tx_to = ?1 WHERE tenant_id = ?2 AND fork_id = ?3 \
                 AND axiom_id = ?4 AND standpoint_id = ?5 AND tx_to IS NULL",
            )
            .map_err(|e| self.err("preparing supersession", e))?;
        let mut insert = txn
            .prepare_cached(
                "INSERT INTO events (tenant_id, fork_id, tx, seq, event_id, axiom_id, kind, op, \
                 body, content_id, standpoint_id, valid_from, valid_to, tx_to, principal_id, \
                 schema_hash, committed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .map_err(|e| self.err("preparing insert", e))?;
        let mut event_ids = Vec::with_capacity(prepared.len());
        for (seq, p) in prepared.into_iter().enumerate() {
            let standpoint = p.standpoint.as_deref().unwrap_or("");
            supersede
                .execute(params![
                    tx_sql,
                    req.tenant.as_str(),
                    req.fork,
                    p.axiom_id,
                    standpoint
                ])
                .map_err(|e| self.err("superseding", e))?;
            insert
                .execute(params![
                    req.tenant.as_str(),
                    req.fork,
                    tx_sql,
                    i64::try_from(seq).map_err(|_| StoreError::InvalidEvent(
                        "too many events in one append".into()
                    ))?,
                    p.event_id.to_string(),
                    p.axiom_id,
                    p.kind,
                    p.op.as_str(),
                    p.body,
                    p.content_id.as_slice(),
                    standpoint,
                    micros(p.valid_from),
                    p.valid_to.map(micros),
                    (p.op == Op::Retract).then_some(tx_sql),
                    req.principal,
                    req.schema_hash,
                    at,
                ])
                .map_err(|e| self.err("inserting an event", e))?;
            event_ids.push(p.event_id);
        }
        txn.prepare_cached(
            "INSERT INTO tenants (tenant_id, last_tx, last_committed_at, schema_hash) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET \
             last_tx = excluded.last_tx, last_committed_at = excluded.last_committed_at, \
             schema_hash = excluded.schema_hash",
        )
        .and_then(|mut s| s.execute(params![req.tenant.as_str(), tx_sql, at, req.schema_hash]))
        .map_err(|e| self.err("updating the tenant", e))?;
        txn.prepare_cached(
            "INSERT INTO forks (tenant_id, fork_id, generation, created_at, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, fork_id) DO UPDATE SET \
             generation = excluded.generation",
        )
        .and_then(|mut s| {
            s.execute(params![
                req.tenant.as_str(),
                req.fork,
                generation_sql,
                at,
                req.principal
            ])
        })
        .map_err(|e| self.err("bumping the generation", e))?;
        Ok(Committed {
            tx,
            generation,
            committed_at,
            event_ids,
        })
    }
}

impl StorageBackend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|_| ())
            .map_err(|e| self.err("ping", e))
        })
    }

    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError> {
        check_fork(req.fork)?;
        let behavior = if req.events.is_empty() {
            TransactionBehavior::Deferred
        } else {
            TransactionBehavior::Immediate
        };
        let mut conn = self.writer()?;
        let txn = conn
            .transaction_with_behavior(behavior)
            .map_err(|e| self.err("starting the write transaction", e))?;
        let committed = self.append_in(&txn, req)?;
        txn.commit()
            .map_err(|e| self.err("committing the write transaction", e))?;
        Ok(committed)
    }

    fn visible_events(
        &self,
        tenant: &TenantId,
        fork: &str,
        as_of: AsOf,
    ) -> Result<Vec<Event>, StoreError> {
        check_fork(fork)?;
        self.read(|conn| {
            let result = match as_of {
                AsOf::Now => conn.prepare_cached(CURRENT_SQL).and_then(|mut stmt| {
                    stmt.query_map(params![tenant.as_str(), fork], RawEvent::from_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                }),
                AsOf::Tx(n) => {
                    let n = i64::try_from(n).unwrap_or(i64::MAX);
                    conn.prepare_cached(AS_OF_TX_SQL).and_then(|mut stmt| {
                        stmt.query_map(params![tenant.as_str(), fork, n], RawEvent::from_row)?
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                }
            };
            let raw = result.map_err(|e| self.err("reading events", e))?;
            raw.into_iter().map(|r| r.decode(tenant, fork)).collect()
        })
    }

    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError> {
        check_fork(fork)?;
        self.read(|conn| {
            let g = read_generation(conn, tenant, fork)
                .map_err(|e| self.err("reading the generation", e))?;
            to_u64(g, "generation")
        })
    }

    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.read(|conn| {
            match read_tenant(conn, tenant).map_err(|e| self.err("reading the tenant", e))? {
                Some((tx, _)) => to_u64(tx, "last_tx"),
                None => Ok(0),
            }
        })
    }

    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT tenant_id, schema_hash FROM tenants ORDER BY tenant_id")
                .map_err(|e| self.err("preparing the scope list", e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| self.err("listing schema scopes", e))?;
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

    /// Current reads and supersession go through the current-state indexes;
    /// as-of reads through the current and superseded indexes; none scans
    /// the whole log.
    #[test]
    fn reads_use_the_projection_indexes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = SqliteBackend::open(&dir.path().join("s.sqlite")).expect("open");
        let conn = backend.writer().expect("writer");
        let current = plan(
            &conn,
            &CURRENT_SQL.replace("?1", "'t'").replace("?2", "'main'"),
        );
        assert!(current.contains("events_current_order"), "{current}");
        let as_of = plan(
            &conn,
            &AS_OF_TX_SQL
                .replace("?1", "'t'")
                .replace("?2", "'main'")
                .replace("?3", "3"),
        );
        assert!(
            as_of.contains("events_current_order") && as_of.contains("events_superseded"),
            "{as_of}"
        );
        let update = plan(
            &conn,
            "UPDATE events SET tx_to = 1 WHERE tenant_id = 't' AND fork_id = 'main' \
             AND axiom_id = 'a' AND standpoint_id = '' AND tx_to IS NULL",
        );
        assert!(update.contains("events_current_axiom"), "{update}");
        for p in [&current, &as_of, &update] {
            assert!(!p.contains("SCAN events"), "full scan: {p}");
        }
    }
}
