//! The PostgreSQL backend: several replicas share one database.
//!
//! A synchronous API over the `postgres` crate with a small pool of
//! connections, each with its own cache of prepared statements. Connections
//! have a connect timeout and a statement timeout, so an outage answers
//! [`StoreError::Unavailable`] quickly instead of hanging. Versioned
//! migrations (`ox_schema_migrations`) run at connect under a transaction
//! advisory lock, so replicas starting together migrate once. Every table is
//! keyed by `tenant_id` first (distributable by tenant, Citus-style). Writes
//! serialise per tenant on a row lock of its `ox_tenants` row (never a global
//! sequence); the generation bump, the events (one multi-row `UNNEST` insert)
//! and the idempotency record commit in the same transaction.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, NoTls, Row, Statement, Transaction};
use uuid::Uuid;

use crate::backend::StoredResponse;
use crate::event::{commit_time, prepare};
use crate::log::{self, Key, LogRead, LogWrite, TxStamp};
use crate::mem::{check_closing, fork_point, promote_target, IDEMPOTENCY_TTL_HOURS};
use crate::{
    validate_fork_name, AppendRequest, AsOf, Committed, Event, ForgetReceipt, ForgetSelector,
    ForkDiff, ForkRecord, ForkState, IdempotencyRecord, Op, Promotion, SchemaChange, SchemaScope,
    StorageBackend, StoreError, TenantId, ValidPoint, MAIN_FORK,
};

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one statement may run.
const STATEMENT_TIMEOUT_MS: u64 = 15_000;
/// How long a writer waits for another writer's tenant lock.
const LOCK_TIMEOUT_MS: u64 = 10_000;
/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;
// Prepared statements are planned with their actual parameters
// (`plan_cache_mode=force_custom_plan`): a generic plan cannot tell that
// `tx >= $n` selects only the few rows after a fork point.

/// Versioned schema migrations, applied in order at connect. Never edit an
/// entry once released: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
    1,
    "CREATE TABLE ox_tenants (
        tenant_id         TEXT        NOT NULL PRIMARY KEY,
        last_tx           BIGINT      NOT NULL,
        last_committed_at TIMESTAMPTZ NOT NULL,
        schema_hash       TEXT        NOT NULL
    );
    CREATE TABLE ox_forks (
        tenant_id     TEXT        NOT NULL,
        fork_id       TEXT        NOT NULL,
        parent_id     TEXT,
        fork_point_tx BIGINT      NOT NULL DEFAULT 0,
        state         TEXT        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'promoted', 'aborted')),
        generation    BIGINT      NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL,
        created_by    TEXT        NOT NULL,
        PRIMARY KEY (tenant_id, fork_id)
    );
    CREATE TABLE ox_events (
        tenant_id     TEXT        NOT NULL,
        fork_id       TEXT        NOT NULL,
        tx            BIGINT      NOT NULL,
        seq           INTEGER     NOT NULL,
        event_id      UUID        NOT NULL,
        axiom_id      TEXT        NOT NULL,
        kind          TEXT        NOT NULL,
        op            TEXT        NOT NULL CHECK (op IN ('assert', 'retract')),
        body          BYTEA       NOT NULL,
        content_id    BYTEA       NOT NULL CHECK (length(content_id) = 32),
        standpoint_id TEXT        NOT NULL,
        valid_from    TIMESTAMPTZ NOT NULL,
        valid_to      TIMESTAMPTZ,
        tx_to         BIGINT,
        principal_id  TEXT        NOT NULL,
        schema_hash   TEXT        NOT NULL,
        committed_at  TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (tenant_id, fork_id, tx, seq)
    );
    CREATE UNIQUE INDEX ox_events_event_id ON ox_events (tenant_id, event_id);
    CREATE INDEX ox_events_current_order ON ox_events (tenant_id, fork_id, tx, seq) WHERE tx_to IS NULL;
    CREATE INDEX ox_events_current_open ON ox_events (tenant_id, fork_id, tx, seq)
        WHERE tx_to IS NULL AND valid_to IS NULL;
    CREATE INDEX ox_events_current_bounded ON ox_events (tenant_id, fork_id, valid_to)
        WHERE tx_to IS NULL AND valid_to IS NOT NULL;
    CREATE INDEX ox_events_current_key ON ox_events (tenant_id, fork_id, axiom_id, standpoint_id)
        WHERE tx_to IS NULL;
    CREATE INDEX ox_events_superseded ON ox_events (tenant_id, fork_id, tx_to) WHERE tx_to IS NOT NULL;
    CREATE INDEX ox_events_key ON ox_events (tenant_id, fork_id, axiom_id, standpoint_id, tx);
    CREATE INDEX ox_events_kind ON ox_events (tenant_id, kind);
    CREATE INDEX ox_events_committed ON ox_events (tenant_id, committed_at, tx);
    CREATE INDEX ox_events_current_valid_from ON ox_events (tenant_id, fork_id, valid_from)
        WHERE tx_to IS NULL;
    CREATE TABLE ox_idempotency (
        tenant_id   TEXT        NOT NULL,
        fork_id     TEXT        NOT NULL,
        key         TEXT        NOT NULL,
        fingerprint BYTEA       NOT NULL,
        response    BYTEA       NOT NULL,
        tx          BIGINT      NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (tenant_id, fork_id, key)
    );
    CREATE INDEX ox_idempotency_age ON ox_idempotency (tenant_id, created_at);
    CREATE TABLE ox_schema_changes (
        tenant_id TEXT        NOT NULL,
        seq       BIGINT      NOT NULL,
        old_hash  TEXT        NOT NULL,
        new_hash  TEXT        NOT NULL,
        at        TIMESTAMPTZ NOT NULL,
        principal TEXT        NOT NULL,
        host      TEXT        NOT NULL,
        PRIMARY KEY (tenant_id, seq)
    );
    CREATE TABLE ox_forget_receipts (
        tenant_id  TEXT        NOT NULL,
        receipt_id UUID        NOT NULL,
        at         TIMESTAMPTZ NOT NULL,
        receipt    TEXT        NOT NULL,
        PRIMARY KEY (tenant_id, receipt_id)
    );",
    ),
    (
        2,
        "CREATE INDEX ox_events_closed_by_tx ON ox_events (tenant_id, fork_id, tx, seq)
        WHERE tx_to IS NOT NULL;",
    ),
];

const EVENT_COLUMNS: &str = "tx, fork_id, event_id, axiom_id, kind, op, body, content_id, \
    standpoint_id, valid_from, valid_to, tx_to, principal_id, schema_hash, committed_at";

/// One pooled connection and its prepared statements.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// When it was given back to the pool.
    idle_since: Instant,
}

/// A connection idle longer than this is checked before reuse (the server
/// may have restarted meanwhile).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);
/// How long that check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The PostgreSQL backend. See the module docs.
pub struct PgBackend {
    config: postgres::Config,
    schema: Option<String>,
    idle: Mutex<Vec<PgConn>>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("schema", &self.schema)
            .finish()
    }
}

fn pg_error(doing: &str, e: postgres::Error) -> StoreError {
    match e.code() {
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => {
            StoreError::Corrupt(format!("{doing}: store invariant violated: {e}"))
        }
        Some(code)
            if *code == SqlState::QUERY_CANCELED || *code == SqlState::LOCK_NOT_AVAILABLE =>
        {
            StoreError::Unavailable(format!("{doing}: timed out: {e}"))
        }
        _ => StoreError::Unavailable(format!("{doing}: {e}")),
    }
}

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} out of range")))
}

fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what} {value}")))
}

fn tx_param(tx: Option<u64>) -> i64 {
    tx.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn get<'r, T: postgres::types::FromSql<'r>>(row: &'r Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("undecodable row: {e}")))
}

fn row_event(row: &Row, tenant: &TenantId) -> Result<Event, StoreError> {
    let content: Vec<u8> = get(row, 7)?;
    let content_id: [u8; 32] = content.as_slice().try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "content_id has {} bytes, expected 32",
            content.len()
        ))
    })?;
    let standpoint: String = get(row, 8)?;
    let op: String = get(row, 5)?;
    Ok(Event {
        tx: to_u64(get(row, 0)?, "tx")?,
        fork: get(row, 1)?,
        event_id: get(row, 2)?,
        axiom_id: get(row, 3)?,
        kind: get(row, 4)?,
        op: op.parse::<Op>()?,
        body: get(row, 6)?,
        content_id,
        standpoint: (!standpoint.is_empty()).then_some(standpoint),
        valid_from: get(row, 9)?,
        valid_to: get(row, 10)?,
        tx_to: get::<Option<i64>>(row, 11)?
            .map(|t| to_u64(t, "tx_to"))
            .transpose()?,
        principal: get(row, 12)?,
        schema_hash: get(row, 13)?,
        committed_at: get(row, 14)?,
        tenant: tenant.clone(),
    })
}

impl PgBackend {
    /// Connects to `url` (`postgres://user@host:5432/db`), applies pending
    /// migrations and keeps the connection for reuse. An unreachable server is
    /// [`StoreError::Unavailable`] within the connect timeout.
    pub fn connect(url: &str) -> Result<PgBackend, StoreError> {
        PgBackend::connect_in_schema(url, None)
    }

    /// Like [`PgBackend::connect`], with every table in `schema` (created if
    /// missing): one database can hold several independent stores (tests).
    pub fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<PgBackend, StoreError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::InvalidConfig(format!("bad database URL: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.options(&format!(
            "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} \
             -c idle_in_transaction_session_timeout=60000 -c plan_cache_mode=force_custom_plan"
        ));
        if let Some(name) = schema {
            let ok = !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(StoreError::InvalidConfig(format!(
                    "schema name `{}` must be 1–63 characters of a–z 0–9 _",
                    name.escape_debug()
                )));
            }
        }
        config.application_name(&format!("ox:{}", schema.unwrap_or("public")));
        let backend = PgBackend {
            config,
            schema: schema.map(str::to_owned),
            idle: Mutex::new(Vec::new()),
        };
        let mut conn = backend.open_connection()?;
        backend.migrate(&mut conn)?;
        backend.give_back(conn);
        Ok(backend)
    }

    fn open_connection(&self) -> Result<PgConn, StoreError> {
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|e| StoreError::Unavailable(format!("connecting to PostgreSQL: {e}")))?;
        if let Some(schema) = &self.schema {
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
                ))
                .map_err(|e| pg_error("selecting the schema", e))?;
        }
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            idle_since: Instant::now(),
        })
    }

    fn lock_idle(&self) -> MutexGuard<'_, Vec<PgConn>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A pooled connection (checked if it sat idle a while, so a restarted
    /// server costs no failed request), or a new one.
    fn take(&self) -> Result<PgConn, StoreError> {
        loop {
            let idle = self.lock_idle().pop();
            let Some(mut conn) = idle else {
                return self.open_connection();
            };
            if conn.client.is_closed() {
                continue;
            }
            if conn.idle_since.elapsed() < CHECK_AFTER_IDLE
                || conn.client.is_valid(CHECK_TIMEOUT).is_ok()
            {
                return Ok(conn);
            }
        }
    }

    /// Returns a connection to the pool after an operation that ended with
    /// `outcome`. A connection the server closed means the others probably
    /// are too (a restart): it is dropped and the pool emptied.
    fn give_back_after<T>(&self, mut conn: PgConn, outcome: &Result<T, StoreError>) {
        if matches!(outcome, Err(StoreError::Unavailable(_)))
            && conn.client.is_valid(CHECK_TIMEOUT).is_err()
        {
            self.lock_idle().clear();
            return;
        }
        self.give_back(conn);
    }

    fn give_back(&self, mut conn: PgConn) {
        if conn.client.is_closed() {
            self.lock_idle().clear();
            return;
        }
        conn.idle_since = Instant::now();
        let mut idle = self.lock_idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    fn migrate(&self, conn: &mut PgConn) -> Result<(), StoreError> {
        let mut txn = conn
            .client
            .transaction()
            .map_err(|e| pg_error("starting migrations", e))?;
        txn.batch_execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':ox_schema_migrations'));
             CREATE TABLE IF NOT EXISTS ox_schema_migrations (
                 version    BIGINT      NOT NULL PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL
             )",
        )
        .map_err(|e| pg_error("locking migrations", e))?;
        let current: i64 = txn
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM ox_schema_migrations",
                &[],
            )
            .map_err(|e| pg_error("reading the schema version", e))
            .and_then(|r| get(&r, 0))?;
        let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
        if current > latest {
            return Err(StoreError::Unavailable(format!(
                "database schema version {current} is newer than this ox-store supports ({latest})"
            )));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            txn.batch_execute(sql)
                .map_err(|e| pg_error(&format!("applying migration {version}"), e))?;
            txn.execute(
                "INSERT INTO ox_schema_migrations (version, applied_at) VALUES ($1, now())",
                &[version],
            )
            .map_err(|e| pg_error(&format!("recording migration {version}"), e))?;
        }
        txn.commit()
            .map_err(|e| pg_error("committing migrations", e))
    }

    /// Runs `f` in a read-only, repeatable-read transaction (one snapshot).
    fn read<T>(
        &self,
        f: impl FnOnce(&mut Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.take()?;
        let result = (|| {
            let PgConn {
                client, statements, ..
            } = &mut conn;
            let txn = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(|e| pg_error("starting a read transaction", e))?;
            let mut db = Db { txn, statements };
            let out = f(&mut db)?;
            db.txn
                .commit()
                .map_err(|e| pg_error("ending a read transaction", e))?;
            Ok(out)
        })();
        self.give_back_after(conn, &result);
        result
    }

    /// Runs `f` in a read-committed write transaction holding the tenant's
    /// row lock (created on first use), committed when `f` succeeds.
    fn write<T>(
        &self,
        tenant: &TenantId,
        f: impl FnOnce(&mut Db<'_>, TenantRow) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.take()?;
        let result = (|| {
            let PgConn {
                client, statements, ..
            } = &mut conn;
            let txn = client
                .transaction()
                .map_err(|e| pg_error("starting the write transaction", e))?;
            let mut db = Db { txn, statements };
            let row = db.lock_tenant(tenant)?;
            let out = f(&mut db, row)?;
            db.txn
                .commit()
                .map_err(|e| pg_error("committing the write transaction", e))?;
            Ok(out)
        })();
        self.give_back_after(conn, &result);
        result
    }
}

/// The tenant's row as locked by a writer.
#[derive(Debug, Clone, Copy)]
struct TenantRow {
    last_tx: u64,
    last_at: Option<DateTime<Utc>>,
}

/// One transaction: the log primitives.
struct Db<'c> {
    txn: Transaction<'c>,
    statements: &'c mut HashMap<String, Statement>,
}

impl Db<'_> {
    fn stmt(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .txn
            .prepare(sql)
            .map_err(|e| pg_error("preparing a statement", e))?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn query(
        &mut self,
        doing: &str,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let stmt = self.stmt(sql)?;
        self.txn
            .query(&stmt, params)
            .map_err(|e| pg_error(doing, e))
    }

    fn execute(
        &mut self,
        doing: &str,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let stmt = self.stmt(sql)?;
        self.txn
            .execute(&stmt, params)
            .map_err(|e| pg_error(doing, e))
    }

    fn events(
        &mut self,
        tenant: &TenantId,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Event>, StoreError> {
        self.query("reading events", sql, params)?
            .iter()
            .map(|r| row_event(r, tenant))
            .collect()
    }

    /// Takes the tenant's row lock (creating its row with tx 0 on first use).
    fn lock_tenant(&mut self, tenant: &TenantId) -> Result<TenantRow, StoreError> {
        let t = tenant.as_str();
        self.execute(
            "creating the tenant",
            "INSERT INTO ox_tenants (tenant_id, last_tx, last_committed_at, schema_hash) \
             VALUES ($1, 0, now(), '') ON CONFLICT (tenant_id) DO NOTHING",
            &[&t],
        )?;
        let rows = self.query(
            "locking the tenant",
            "SELECT last_tx, last_committed_at FROM ox_tenants WHERE tenant_id = $1 FOR UPDATE",
            &[&t],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Corrupt(format!("tenant {tenant}: row vanished")))?;
        let last_tx = to_u64(get(row, 0)?, "last_tx")?;
        Ok(TenantRow {
            last_tx,
            last_at: (last_tx > 0).then(|| get(row, 1)).transpose()?,
        })
    }

    fn tenant_last_tx(&mut self, tenant: &TenantId) -> Result<u64, StoreError> {
        let t = tenant.as_str();
        let rows = self.query(
            "reading the tenant",
            "SELECT last_tx FROM ox_tenants WHERE tenant_id = $1",
            &[&t],
        )?;
        rows.first().map_or(Ok(0), |r| {
            get::<i64>(r, 0).and_then(|v| to_u64(v, "last_tx"))
        })
    }

    fn commit_tenant(
        &mut self,
        tenant: &TenantId,
        tx: u64,
        at: DateTime<Utc>,
        schema_hash: &str,
    ) -> Result<(), StoreError> {
        let (t, tx) = (tenant.as_str(), to_i64(tx, "tx")?);
        self.execute(
            "updating the tenant",
            "UPDATE ox_tenants SET last_tx = $2, last_committed_at = $3, schema_hash = $4 \
             WHERE tenant_id = $1",
            &[&t, &tx, &at, &schema_hash],
        )
        .map(|_| ())
    }

    fn bump(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        principal: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let t = tenant.as_str();
        let rows = self.query(
            "bumping the generation",
            "INSERT INTO ox_forks (tenant_id, fork_id, generation, created_at, created_by) \
             VALUES ($1, $2, 1, $3, $4) ON CONFLICT (tenant_id, fork_id) DO UPDATE SET \
             generation = ox_forks.generation + 1 RETURNING generation",
            &[&t, &fork, &at, &principal],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Corrupt("generation bump returned nothing".into()))?;
        to_u64(get(row, 0)?, "generation")
    }

    fn set_state(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        state: ForkState,
    ) -> Result<(), StoreError> {
        let t = tenant.as_str();
        self.execute(
            "closing the fork",
            "UPDATE ox_forks SET state = $3, generation = generation + 1 \
             WHERE tenant_id = $1 AND fork_id = $2",
            &[&t, &fork, &state.as_str()],
        )
        .map(|_| ())
    }

    fn remember(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        record: &IdempotencyRecord,
        at: DateTime<Utc>,
        tx: u64,
    ) -> Result<(), StoreError> {
        let t = tenant.as_str();
        let tx = to_i64(tx, "tx")?;
        let horizon = at - chrono::Duration::hours(IDEMPOTENCY_TTL_HOURS);
        self.execute(
            "pruning idempotency keys",
            "DELETE FROM ox_idempotency WHERE tenant_id = $1 AND created_at < $2",
            &[&t, &horizon],
        )?;
        let fingerprint = record.fingerprint.to_vec();
        let inserted = self.execute(
            "storing the idempotency key",
            "INSERT INTO ox_idempotency (tenant_id, fork_id, key, fingerprint, response, created_at, tx) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[&t, &fork, &record.key, &fingerprint, &record.response, &at, &tx],
        )?;
        if inserted == 0 {
            return Err(StoreError::IdempotencyReplay(record.key.clone()));
        }
        Ok(())
    }

    fn fork_rows(
        &mut self,
        tenant: &TenantId,
        name: Option<&str>,
    ) -> Result<Vec<ForkRecord>, StoreError> {
        let t = tenant.as_str();
        let rows = self.query(
            "reading forks",
            "SELECT fork_id, parent_id, fork_point_tx, created_at, created_by, state, generation \
             FROM ox_forks WHERE tenant_id = $1 AND ($2::text IS NULL OR fork_id = $2) ORDER BY fork_id",
            &[&t, &name],
        )?;
        rows.iter()
            .map(|r| {
                let state: String = get(r, 5)?;
                Ok(ForkRecord {
                    name: get(r, 0)?,
                    parent: get(r, 1)?,
                    fork_point_tx: to_u64(get(r, 2)?, "fork_point_tx")?,
                    created_at: Some(get(r, 3)?),
                    created_by: get(r, 4)?,
                    state: state.parse()?,
                    generation: to_u64(get(r, 6)?, "generation")?,
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
        let t = tenant.as_str();
        let rows = self.query(
            "mapping a time to a tx",
            "SELECT MAX(tx) FROM ox_events WHERE tenant_id = $1 AND committed_at <= $2",
            &[&t, &time],
        )?;
        match rows
            .first()
            .map(|r| get::<Option<i64>>(r, 0))
            .transpose()?
            .flatten()
        {
            Some(tx) => to_u64(tx, "tx"),
            None => Ok(0),
        }
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
        let min = to_i64(min_tx, "min tx").unwrap_or(i64::MAX);
        let limit = tx_param(tx);
        let events = match (key, tx, valid) {
            (Some((axiom, standpoint)), _, _) => {
                let sp = standpoint.as_deref().unwrap_or("");
                self.events(
                    tenant,
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 \
                         AND axiom_id = $3 AND standpoint_id = $4 AND op = 'assert' ORDER BY tx, seq"
                    ),
                    &[&t, &fork, axiom, &sp],
                )?
            }
            (None, None, ValidPoint::All) => self.events(
                tenant,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 \
                     AND tx_to IS NULL AND tx >= $3 AND op = 'assert' ORDER BY tx, seq"
                ),
                &[&t, &fork, &min],
            )?,
            (None, None, ValidPoint::At(vt)) => self.events(
                tenant,
                &format!(
                    "SELECT * FROM (SELECT {EVENT_COLUMNS}, seq FROM ox_events \
                     WHERE tenant_id = $1 AND fork_id = $2 AND tx_to IS NULL AND valid_to IS NULL \
                     AND tx >= $3 AND valid_from <= $4 AND op = 'assert' \
                     UNION ALL SELECT {EVENT_COLUMNS}, seq FROM ox_events \
                     WHERE tenant_id = $1 AND fork_id = $2 AND tx_to IS NULL AND valid_to IS NOT NULL \
                     AND valid_to > $4 AND tx >= $3 AND valid_from <= $4 AND op = 'assert') v \
                     ORDER BY tx, seq"
                ),
                &[&t, &fork, &min, &vt],
            )?,
            (None, Some(_), _) => self.events(
                tenant,
                &format!(
                    "SELECT * FROM (SELECT {EVENT_COLUMNS}, seq FROM ox_events \
                     WHERE tenant_id = $1 AND fork_id = $2 AND tx_to IS NULL AND tx <= $3 AND tx >= $4 \
                     AND op = 'assert' \
                     UNION ALL SELECT {EVENT_COLUMNS}, seq FROM ox_events \
                     WHERE tenant_id = $1 AND fork_id = $2 AND tx_to > $3 AND tx <= $3 AND tx >= $4 \
                     AND op = 'assert') v ORDER BY tx, seq"
                ),
                &[&t, &fork, &limit, &min],
            )?,
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
        let t = tenant.as_str();
        let rows = self.query(
            "reading the next valid-time change",
            "SELECT MIN(valid_from) FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 \
             AND tx_to IS NULL AND valid_from > $3",
            &[&t, &fork, &after],
        )?;
        Ok(rows
            .first()
            .map(|r| get::<Option<DateTime<Utc>>>(r, 0))
            .transpose()?
            .flatten())
    }

    fn own_current_of_keys(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        keys: &[Key],
    ) -> Result<Vec<Event>, StoreError> {
        let t = tenant.as_str();
        let axioms: Vec<&str> = keys.iter().map(|(a, _)| a.as_str()).collect();
        let standpoints: Vec<&str> = keys
            .iter()
            .map(|(_, s)| s.as_deref().unwrap_or(""))
            .collect();
        self.events(
            tenant,
            &format!(
                "SELECT {EVENT_COLUMNS} FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 \
                 AND tx_to IS NULL AND op = 'assert' AND (axiom_id, standpoint_id) IN \
                 (SELECT * FROM UNNEST($3::text[], $4::text[])) ORDER BY tx, seq"
            ),
            &[&t, &fork, &axioms, &standpoints],
        )
    }

    fn own_keys(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        max_tx: Option<u64>,
        min_tx: u64,
    ) -> Result<HashSet<Key>, StoreError> {
        let t = tenant.as_str();
        let (min, max) = (
            to_i64(min_tx, "min tx").unwrap_or(i64::MAX),
            tx_param(max_tx),
        );
        let rows = self.query(
            "reading a fork's keys",
            "SELECT DISTINCT axiom_id, standpoint_id FROM ox_events \
             WHERE tenant_id = $1 AND fork_id = $2 AND tx >= $3 AND tx <= $4",
            &[&t, &fork, &min, &max],
        )?;
        rows.iter()
            .map(|r| {
                let sp: String = get(r, 1)?;
                Ok((get(r, 0)?, (!sp.is_empty()).then_some(sp)))
            })
            .collect()
    }

    fn owns_key(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        key: &Key,
        max_tx: Option<u64>,
    ) -> Result<bool, StoreError> {
        let t = tenant.as_str();
        let sp = key.1.as_deref().unwrap_or("");
        let max = tx_param(max_tx);
        let rows = self.query(
            "checking a fork's key",
            "SELECT 1 FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 AND axiom_id = $3 \
             AND standpoint_id = $4 AND tx <= $5 LIMIT 1",
            &[&t, &fork, &key.0, &sp, &max],
        )?;
        Ok(!rows.is_empty())
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
        let (t, tx, ids) = (tenant.as_str(), to_i64(tx, "tx")?, ids.to_vec());
        self.execute(
            "superseding",
            "UPDATE ox_events SET tx_to = $1 WHERE tenant_id = $2 AND fork_id = $3 \
             AND event_id = ANY($4) AND tx_to IS NULL",
            &[&tx, &t, &fork, &ids],
        )
        .map(|_| ())
    }

    /// One multi-row insert (`UNNEST` of column arrays): one round trip.
    fn insert_events(&mut self, rows: &[Event]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut seqs = Vec::with_capacity(rows.len());
        let mut last: Option<(u64, i32)> = None;
        for e in rows {
            let seq = match last {
                Some((tx, n)) if tx == e.tx => n + 1,
                _ => 0,
            };
            last = Some((e.tx, seq));
            seqs.push(seq);
        }
        let tenants: Vec<&str> = rows.iter().map(|e| e.tenant.as_str()).collect();
        let forks: Vec<&str> = rows.iter().map(|e| e.fork.as_str()).collect();
        let txs = rows
            .iter()
            .map(|e| to_i64(e.tx, "tx"))
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<Uuid> = rows.iter().map(|e| e.event_id).collect();
        let axioms: Vec<&str> = rows.iter().map(|e| e.axiom_id.as_str()).collect();
        let kinds: Vec<&str> = rows.iter().map(|e| e.kind.as_str()).collect();
        let ops: Vec<&str> = rows.iter().map(|e| e.op.as_str()).collect();
        let bodies: Vec<&[u8]> = rows.iter().map(|e| e.body.as_slice()).collect();
        let contents: Vec<&[u8]> = rows.iter().map(|e| e.content_id.as_slice()).collect();
        let standpoints: Vec<&str> = rows
            .iter()
            .map(|e| e.standpoint.as_deref().unwrap_or(""))
            .collect();
        let froms: Vec<DateTime<Utc>> = rows.iter().map(|e| e.valid_from).collect();
        let tos: Vec<Option<DateTime<Utc>>> = rows.iter().map(|e| e.valid_to).collect();
        let tx_tos = rows
            .iter()
            .map(|e| e.tx_to.map(|t| to_i64(t, "tx_to")).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        let principals: Vec<&str> = rows.iter().map(|e| e.principal.as_str()).collect();
        let hashes: Vec<&str> = rows.iter().map(|e| e.schema_hash.as_str()).collect();
        let ats: Vec<DateTime<Utc>> = rows.iter().map(|e| e.committed_at).collect();
        self.execute(
            "inserting events",
            "INSERT INTO ox_events (tenant_id, fork_id, tx, seq, event_id, axiom_id, kind, op, body, \
             content_id, standpoint_id, valid_from, valid_to, tx_to, principal_id, schema_hash, \
             committed_at) SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::int[], \
             $5::uuid[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::bytea[], $11::text[], \
             $12::timestamptz[], $13::timestamptz[], $14::bigint[], $15::text[], $16::text[], \
             $17::timestamptz[])",
            &[
                &tenants,
                &forks,
                &txs,
                &seqs,
                &ids,
                &axioms,
                &kinds,
                &ops,
                &bodies,
                &contents,
                &standpoints,
                &froms,
                &tos,
                &tx_tos,
                &principals,
                &hashes,
                &ats,
            ],
        )
        .map(|_| ())
    }
}

impl StorageBackend for PgBackend {
    fn kind(&self) -> &'static str {
        "pg"
    }

    fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.take()?;
        let result = conn
            .client
            .simple_query("SELECT 1")
            .map(|_| ())
            .map_err(|e| pg_error("ping", e));
        self.give_back_after(conn, &result);
        result
    }

    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError> {
        self.write(req.tenant, |db, row| {
            let chain = log::writable_fork(db, req.tenant, req.fork)?;
            let actual = chain[0].generation;
            if actual != req.expected_generation {
                return Err(StoreError::Conflict {
                    expected: req.expected_generation,
                    actual,
                });
            }
            let now = commit_time(row.last_at);
            if req.events.is_empty() {
                if let Some(record) = &req.idempotency {
                    db.remember(req.tenant, req.fork, record, now, row.last_tx)?;
                }
                return Ok(Committed {
                    tx: row.last_tx,
                    generation: actual,
                    committed_at: row.last_at.unwrap_or(now),
                    event_ids: Vec::new(),
                });
            }
            let tx = row.last_tx.checked_add(1).ok_or_else(|| {
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
        self.read(|db| db.tenant_last_tx(tenant))
    }

    fn last_tx_at(&self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        self.read(|db| db.tx_at(tenant, time))
    }

    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError> {
        self.read(|db| {
            let rows = db.query(
                "listing schema scopes",
                "SELECT tenant_id, schema_hash FROM ox_tenants WHERE last_tx > 0 ORDER BY tenant_id",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    let tenant: String = get(r, 0)?;
                    Ok(SchemaScope {
                        tenant: TenantId::parse(&tenant)
                            .map_err(|e| StoreError::Corrupt(format!("stored tenant id: {e}")))?,
                        schema_hash: get(r, 1)?,
                    })
                })
                .collect()
        })
    }

    fn schema_scope(&self, tenant: &TenantId) -> Result<Option<String>, StoreError> {
        self.read(|db| {
            let t = tenant.as_str();
            let rows = db.query(
                "reading the schema scope",
                "SELECT schema_hash FROM ox_tenants WHERE tenant_id = $1 AND last_tx > 0",
                &[&t],
            )?;
            rows.first().map(|r| get(r, 0)).transpose()
        })
    }

    fn restamp_schema_scopes(
        &self,
        new_hash: &str,
        principal: &str,
        host: &str,
    ) -> Result<Vec<SchemaChange>, StoreError> {
        let mut changes = Vec::new();
        for scope in self.schema_scopes()? {
            if scope.schema_hash == new_hash {
                continue;
            }
            let change = self.write(&scope.tenant, |db, _| {
                let t = scope.tenant.as_str();
                let old: String = db
                    .query(
                        "reading the schema scope",
                        "SELECT schema_hash FROM ox_tenants WHERE tenant_id = $1",
                        &[&t],
                    )?
                    .first()
                    .map(|r| get(r, 0))
                    .transpose()?
                    .unwrap_or_default();
                if old == new_hash {
                    return Ok(None);
                }
                let at = commit_time(None);
                db.execute(
                    "recording a schema change",
                    "INSERT INTO ox_schema_changes (tenant_id, seq, old_hash, new_hash, at, principal, host) \
                     VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ox_schema_changes WHERE tenant_id = $1), \
                     $2, $3, $4, $5, $6)",
                    &[&t, &old, &new_hash, &at, &principal, &host],
                )?;
                db.execute(
                    "re-stamping a schema scope",
                    "UPDATE ox_tenants SET schema_hash = $2 WHERE tenant_id = $1",
                    &[&t, &new_hash],
                )?;
                Ok(Some(SchemaChange {
                    tenant: scope.tenant.clone(),
                    old_hash: old,
                    new_hash: new_hash.to_owned(),
                    at,
                    principal: principal.to_owned(),
                    host: host.to_owned(),
                }))
            })?;
            changes.extend(change);
        }
        Ok(changes)
    }

    fn schema_changes(&self, tenant: &TenantId) -> Result<Vec<SchemaChange>, StoreError> {
        self.read(|db| {
            let t = tenant.as_str();
            let rows = db.query(
                "reading schema changes",
                "SELECT old_hash, new_hash, at, principal, host FROM ox_schema_changes \
                 WHERE tenant_id = $1 ORDER BY seq",
                &[&t],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(SchemaChange {
                        tenant: tenant.clone(),
                        old_hash: get(r, 0)?,
                        new_hash: get(r, 1)?,
                        at: get(r, 2)?,
                        principal: get(r, 3)?,
                        host: get(r, 4)?,
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
        self.write(tenant, |db, row| {
            if db.fork_record(tenant, name)?.is_some() {
                return Err(StoreError::ForkExists(name.to_owned()));
            }
            if db.fork_record(tenant, parent)?.is_none() {
                return Err(StoreError::UnknownFork(parent.escape_debug().to_string()));
            }
            let fork_point_tx = fork_point(row.last_tx, at_tx)?;
            let at = commit_time(None);
            let (t, point) = (tenant.as_str(), to_i64(fork_point_tx, "fork point")?);
            db.execute(
                "creating a fork",
                "INSERT INTO ox_forks (tenant_id, fork_id, generation, created_at, created_by, \
                 parent_id, fork_point_tx, state) VALUES ($1, $2, 0, $3, $4, $5, $6, 'open')",
                &[&t, &name, &at, &principal, &parent, &point],
            )?;
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
        self.write(tenant, |db, _| {
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
        self.write(tenant, |db, row| {
            let chain = log::writable_fork(db, tenant, fork)?;
            let parent = promote_target(&chain)?;
            log::writable_fork(db, tenant, &parent)?;
            let tx = row.last_tx + 1;
            let now = commit_time(row.last_at);
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
        self.read(|db| {
            let t = tenant.as_str();
            let rows = db.query(
                "reading an idempotency key",
                "SELECT fingerprint, response, tx FROM ox_idempotency \
                 WHERE tenant_id = $1 AND fork_id = $2 AND key = $3",
                &[&t, &fork, &key],
            )?;
            rows.first()
                .map(|r| {
                    let fp: Vec<u8> = get(r, 0)?;
                    let fp: [u8; 32] = fp.as_slice().try_into().map_err(|_| {
                        StoreError::Corrupt(format!(
                            "idempotency fingerprint of {} bytes",
                            fp.len()
                        ))
                    })?;
                    Ok(StoredResponse {
                        fingerprint: fp,
                        response: get(r, 1)?,
                        tx: to_u64(get(r, 2)?, "tx")?,
                    })
                })
                .transpose()
        })
    }

    fn forget(
        &self,
        tenant: &TenantId,
        fork: &str,
        selector: &ForgetSelector,
        actor: &str,
        reason: &str,
    ) -> Result<ForgetReceipt, StoreError> {
        self.write(tenant, |db, row| {
            log::chain(db, tenant, fork)?;
            let t = tenant.as_str();
            let history = db.events(
                tenant,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 \
                     ORDER BY tx, seq"
                ),
                &[&t, &fork],
            )?;
            let doomed: Vec<Event> = history
                .into_iter()
                .filter(|e| selector.matches(&e.axiom_id))
                .collect();
            let ids: Vec<Uuid> = doomed.iter().map(|e| e.event_id).collect();
            db.execute(
                "erasing events",
                "DELETE FROM ox_events WHERE tenant_id = $1 AND event_id = ANY($2)",
                &[&t, &ids],
            )?;
            // Stored responses of the transactions that wrote them may echo erased values.
            let txs: Vec<i64> = log::erased_txs(&doomed)
                .into_iter()
                .map(|tx| i64::try_from(tx).unwrap_or(i64::MAX))
                .collect();
            db.execute(
                "erasing stored responses",
                "DELETE FROM ox_idempotency WHERE tenant_id = $1 AND fork_id = $2 AND tx = ANY($3)",
                &[&t, &fork, &txs],
            )?;
            db.execute(
                "bumping generations",
                "UPDATE ox_forks SET generation = generation + 1 WHERE tenant_id = $1",
                &[&t],
            )?;
            let receipt = ForgetReceipt {
                receipt_id: Uuid::now_v7(),
                tenant: tenant.clone(),
                fork: fork.to_owned(),
                actor: actor.to_owned(),
                reason: reason.to_owned(),
                event_ids: ids,
                content_ids: doomed.iter().map(Event::content_id_hex).collect(),
                tx: row.last_tx,
                at: commit_time(None),
            };
            let text = serde_json::to_string(&receipt)
                .map_err(|e| StoreError::Corrupt(format!("encoding a receipt: {e}")))?;
            db.execute(
                "storing the receipt",
                "INSERT INTO ox_forget_receipts (tenant_id, receipt_id, at, receipt) VALUES ($1, $2, $3, $4)",
                &[&t, &receipt.receipt_id, &receipt.at, &text],
            )?;
            Ok(receipt)
        })
    }

    fn forget_receipts(&self, tenant: &TenantId) -> Result<Vec<ForgetReceipt>, StoreError> {
        self.read(|db| {
            let t = tenant.as_str();
            let rows = db.query(
                "reading receipts",
                "SELECT receipt FROM ox_forget_receipts WHERE tenant_id = $1 ORDER BY at, receipt_id",
                &[&t],
            )?;
            rows.iter()
                .map(|r| {
                    let text: String = get(r, 0)?;
                    serde_json::from_str(&text)
                        .map_err(|e| StoreError::Corrupt(format!("stored receipt: {e}")))
                })
                .collect()
        })
    }

    fn history(&self, tenant: &TenantId, fork: &str) -> Result<Vec<Event>, StoreError> {
        self.read(|db| {
            log::chain(db, tenant, fork)?;
            let t = tenant.as_str();
            db.events(
                tenant,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM ox_events WHERE tenant_id = $1 AND fork_id = $2 \
                     ORDER BY tx, seq"
                ),
                &[&t, &fork],
            )
        })
    }

    fn restore(
        &self,
        tenant: &TenantId,
        last_tx: u64,
        schema_hash: Option<&str>,
        events: &[Event],
    ) -> Result<(), StoreError> {
        self.write(tenant, |db, row| {
            if row.last_tx != 0 || !db.fork_rows(tenant, None)?.is_empty() {
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
