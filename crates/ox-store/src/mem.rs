//! The in-memory backend: tests, the REPL, `ox test`. No durability.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::backend::StoredResponse;
use crate::event::{commit_time, prepare};
use crate::log::{self, Key, LogRead, LogWrite, TxStamp};
use crate::{
    validate_fork_name, AppendRequest, AsOf, Committed, Event, ForgetReceipt, ForgetSelector,
    ForkDiff, ForkRecord, ForkState, Promotion, SchemaChange, SchemaScope, StorageBackend,
    StoreError, TenantId, ValidPoint, MAIN_FORK,
};

/// How long idempotency keys are kept at least.
pub(crate) const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The in-memory backend.
///
/// Tenants live in a map behind a lock held only to find or add a tenant; each
/// tenant has its own `RwLock`, so writes to one tenant are serialised while
/// other tenants are read and written freely.
#[derive(Debug, Default)]
pub struct MemBackend {
    tenants: RwLock<BTreeMap<TenantId, SharedLog>>,
}

/// One tenant's log behind its own lock.
type SharedLog = Arc<RwLock<TenantLog>>;

/// Everything stored for one tenant.
#[derive(Debug, Default)]
struct TenantLog {
    last_tx: u64,
    last_committed_at: Option<DateTime<Utc>>,
    schema_hash: Option<String>,
    /// (tx, commit time) of every transaction, in order.
    tx_times: Vec<(u64, DateTime<Utc>)>,
    forks: BTreeMap<String, ForkLog>,
    schema_changes: Vec<SchemaChange>,
    idempotency: HashMap<(String, String), (StoredResponse, DateTime<Utc>)>,
    receipts: Vec<ForgetReceipt>,
}

/// The events of one (tenant, fork): the full history plus the indexes that
/// keep current and as-of reads from scanning it.
#[derive(Debug)]
struct ForkLog {
    record: ForkRecord,
    /// Every own event, in (tx, position) order; positions are stable until a
    /// forget rebuilds the indexes.
    history: Vec<Event>,
    /// Key → positions of its current records.
    current: HashMap<Key, BTreeSet<usize>>,
    /// Positions of the current records, in log order.
    current_order: BTreeSet<usize>,
    /// Superseding tx → positions of the asserts it closed.
    superseded: BTreeMap<u64, Vec<usize>>,
    /// Key → positions of every own event of it.
    by_key: HashMap<Key, Vec<usize>>,
    /// Event id → position.
    by_id: HashMap<Uuid, usize>,
}

impl ForkLog {
    fn new(record: ForkRecord) -> ForkLog {
        ForkLog {
            record,
            history: Vec::new(),
            current: HashMap::new(),
            current_order: BTreeSet::new(),
            superseded: BTreeMap::new(),
            by_key: HashMap::new(),
            by_id: HashMap::new(),
        }
    }

    fn index(&mut self, position: usize) {
        let Some(e) = self.history.get(position) else {
            return;
        };
        let key = e.key();
        self.by_id.insert(e.event_id, position);
        self.by_key.entry(key.clone()).or_default().push(position);
        match e.tx_to {
            None => {
                self.current.entry(key).or_default().insert(position);
                self.current_order.insert(position);
            }
            Some(to) if e.op == crate::Op::Assert => {
                self.superseded.entry(to).or_default().push(position);
            }
            Some(_) => {}
        }
    }

    fn rebuild(&mut self) {
        self.current.clear();
        self.current_order.clear();
        self.superseded.clear();
        self.by_key.clear();
        self.by_id.clear();
        for p in 0..self.history.len() {
            self.index(p);
        }
    }

    fn close(&mut self, id: Uuid, tx: u64) {
        let Some(&p) = self.by_id.get(&id) else {
            return;
        };
        let Some(e) = self.history.get_mut(p) else {
            return;
        };
        if e.tx_to.is_some() {
            return;
        }
        e.tx_to = Some(tx);
        if let Some(set) = self.current.get_mut(&e.key()) {
            set.remove(&p);
        }
        self.current_order.remove(&p);
        self.superseded.entry(tx).or_default().push(p);
    }

    fn visible(
        &self,
        tx: Option<u64>,
        valid: ValidPoint,
        min_tx: u64,
        key: Option<&Key>,
    ) -> Vec<Event> {
        let start = self.history.partition_point(|e| e.tx < min_tx);
        let mut positions: Vec<usize> = match (key, tx) {
            (Some(k), None) => self
                .current
                .get(k)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default(),
            (Some(k), Some(_)) => self.by_key.get(k).cloned().unwrap_or_default(),
            (None, None) => self.current_order.range(start..).copied().collect(),
            (None, Some(n)) => {
                let end = self.history.partition_point(|e| e.tx <= n);
                let mut positions: Vec<usize> = if start < end {
                    self.current_order.range(start..end).copied().collect()
                } else {
                    Vec::new()
                };
                if let Some(after) = n.checked_add(1) {
                    positions.extend(
                        self.superseded
                            .range(after..)
                            .flat_map(|(_, closed)| closed.iter().copied())
                            .filter(|&p| p >= start && p < end),
                    );
                }
                positions
            }
        };
        positions.sort_unstable();
        positions
            .into_iter()
            .filter_map(|p| self.history.get(p))
            .filter(|e| e.tx >= min_tx && e.visible_at(tx, valid))
            .cloned()
            .collect()
    }
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("in-memory store lock poisoned by a panicked writer".into())
}

impl LogRead for &TenantLog {
    fn fork_record(
        &mut self,
        _tenant: &TenantId,
        fork: &str,
    ) -> Result<Option<ForkRecord>, StoreError> {
        Ok(match self.forks.get(fork) {
            Some(f) => Some(f.record.clone()),
            None if fork == MAIN_FORK => Some(ForkRecord::implicit_main()),
            None => None,
        })
    }

    fn tx_at(&mut self, _tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = self.tx_times.partition_point(|(_, at)| *at <= time);
        Ok(n.checked_sub(1).map_or(0, |i| self.tx_times[i].0))
    }

    fn own_visible(
        &mut self,
        _tenant: &TenantId,
        fork: &str,
        tx: Option<u64>,
        valid: ValidPoint,
        min_tx: u64,
        key: Option<&Key>,
    ) -> Result<Vec<Event>, StoreError> {
        Ok(self
            .forks
            .get(fork)
            .map(|f| f.visible(tx, valid, min_tx, key))
            .unwrap_or_default())
    }

    fn own_next_valid_from(
        &mut self,
        _tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.forks.get(fork).and_then(|f| {
            f.current_order
                .iter()
                .filter_map(|p| f.history.get(*p))
                .filter(|e| e.op == crate::Op::Assert && e.valid_from > after)
                .map(|e| e.valid_from)
                .min()
        }))
    }

    fn own_keys(
        &mut self,
        _tenant: &TenantId,
        fork: &str,
        max_tx: Option<u64>,
        min_tx: u64,
    ) -> Result<HashSet<Key>, StoreError> {
        let Some(f) = self.forks.get(fork) else {
            return Ok(HashSet::new());
        };
        let start = f.history.partition_point(|e| e.tx < min_tx);
        let end = max_tx.map_or(f.history.len(), |n| {
            f.history.partition_point(|e| e.tx <= n)
        });
        Ok(f.history
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .map(Event::key)
            .collect())
    }

    fn owns_key(
        &mut self,
        _tenant: &TenantId,
        fork: &str,
        key: &Key,
        max_tx: Option<u64>,
    ) -> Result<bool, StoreError> {
        Ok(self.forks.get(fork).is_some_and(|f| {
            f.by_key.get(key).is_some_and(|ps| {
                ps.iter()
                    .filter_map(|p| f.history.get(*p))
                    .any(|e| max_tx.is_none_or(|n| e.tx <= n))
            })
        }))
    }
}

impl LogRead for TenantLog {
    fn fork_record(&mut self, t: &TenantId, fork: &str) -> Result<Option<ForkRecord>, StoreError> {
        (&*self).fork_record(t, fork)
    }
    fn tx_at(&mut self, t: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        (&*self).tx_at(t, time)
    }
    fn own_visible(
        &mut self,
        t: &TenantId,
        fork: &str,
        tx: Option<u64>,
        valid: ValidPoint,
        min_tx: u64,
        key: Option<&Key>,
    ) -> Result<Vec<Event>, StoreError> {
        (&*self).own_visible(t, fork, tx, valid, min_tx, key)
    }
    fn own_next_valid_from(
        &mut self,
        t: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        (&*self).own_next_valid_from(t, fork, after)
    }
    fn own_keys(
        &mut self,
        t: &TenantId,
        fork: &str,
        max_tx: Option<u64>,
        min_tx: u64,
    ) -> Result<HashSet<Key>, StoreError> {
        (&*self).own_keys(t, fork, max_tx, min_tx)
    }
    fn owns_key(
        &mut self,
        t: &TenantId,
        fork: &str,
        key: &Key,
        max_tx: Option<u64>,
    ) -> Result<bool, StoreError> {
        (&*self).owns_key(t, fork, key, max_tx)
    }
}

impl LogWrite for TenantLog {
    fn close_events(
        &mut self,
        _tenant: &TenantId,
        fork: &str,
        ids: &[Uuid],
        tx: u64,
    ) -> Result<(), StoreError> {
        if let Some(f) = self.forks.get_mut(fork) {
            for id in ids {
                f.close(*id, tx);
            }
        }
        Ok(())
    }

    fn insert_events(&mut self, rows: &[Event]) -> Result<(), StoreError> {
        for e in rows {
            let f = self.fork_log_mut(&e.fork, &e.principal, e.committed_at);
            let position = f.history.len();
            f.history.push(e.clone());
            f.index(position);
        }
        Ok(())
    }
}

impl TenantLog {
    /// The fork's log, creating `main`'s on its first write.
    fn fork_log_mut(&mut self, fork: &str, principal: &str, at: DateTime<Utc>) -> &mut ForkLog {
        self.forks.entry(fork.to_owned()).or_insert_with(|| {
            ForkLog::new(ForkRecord {
                created_at: Some(at),
                created_by: principal.to_owned(),
                ..ForkRecord::implicit_main()
            })
        })
    }

    fn generation(&self, fork: &str) -> u64 {
        self.forks.get(fork).map_or(0, |f| f.record.generation)
    }

    fn bump(&mut self, fork: &str, principal: &str, at: DateTime<Utc>) -> u64 {
        let f = self.fork_log_mut(fork, principal, at);
        f.record.generation += 1;
        f.record.generation
    }

    fn commit(&mut self, tx: u64, at: DateTime<Utc>, schema_hash: &str) {
        self.last_tx = tx;
        self.last_committed_at = Some(at);
        self.tx_times.push((tx, at));
        self.schema_hash = Some(schema_hash.to_owned());
    }

    fn next_tx(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.last_tx
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt(format!("tenant {tenant}: tx counter overflow")))
    }

    fn prune_idempotency(&mut self, now: DateTime<Utc>) {
        let horizon = now - Duration::hours(IDEMPOTENCY_TTL_HOURS);
        self.idempotency.retain(|_, (_, at)| *at >= horizon);
    }
}

impl MemBackend {
    /// An empty in-memory store.
    pub fn new() -> Self {
        Self::default()
    }

    fn existing(&self, tenant: &TenantId) -> Result<Option<SharedLog>, StoreError> {
        let map = self.tenants.read().map_err(|_| poisoned())?;
        Ok(map.get(tenant).cloned())
    }

    fn existing_or_new(&self, tenant: &TenantId) -> Result<SharedLog, StoreError> {
        if let Some(log) = self.existing(tenant)? {
            return Ok(log);
        }
        let mut map = self.tenants.write().map_err(|_| poisoned())?;
        Ok(Arc::clone(map.entry(tenant.clone()).or_default()))
    }

    /// Runs `f` on the tenant's log under its read lock (an empty log for a
    /// tenant never written).
    fn read<T>(
        &self,
        tenant: &TenantId,
        f: impl FnOnce(&TenantLog) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self.existing(tenant)? {
            None => f(&TenantLog::default()),
            Some(log) => {
                let guard = log.read().map_err(|_| poisoned())?;
                f(&guard)
            }
        }
    }

    /// Runs `f` on the tenant's log under its write lock.
    fn write<T>(
        &self,
        tenant: &TenantId,
        f: impl FnOnce(&mut TenantLog) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let log = self.existing_or_new(tenant)?;
        let mut guard = log.write().map_err(|_| poisoned())?;
        f(&mut guard)
    }

    fn all_tenants(&self) -> Result<Vec<(TenantId, SharedLog)>, StoreError> {
        let map = self.tenants.read().map_err(|_| poisoned())?;
        Ok(map
            .iter()
            .map(|(t, log)| (t.clone(), Arc::clone(log)))
            .collect())
    }
}

impl StorageBackend for MemBackend {
    fn kind(&self) -> &'static str {
        "mem"
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.tenants.read().map(|_| ()).map_err(|_| poisoned())
    }

    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError> {
        self.write(req.tenant, |log| {
            let chain = log::writable_fork(log, req.tenant, req.fork)?;
            let actual = log.generation(req.fork);
            if actual != req.expected_generation {
                return Err(StoreError::Conflict {
                    expected: req.expected_generation,
                    actual,
                });
            }
            if let Some(record) = &req.idempotency {
                if log
                    .idempotency
                    .contains_key(&(req.fork.to_owned(), record.key.clone()))
                {
                    return Err(StoreError::IdempotencyReplay(record.key.clone()));
                }
            }
            let now = commit_time(log.last_committed_at);
            let remember = |log: &mut TenantLog, tx: u64| {
                if let Some(record) = &req.idempotency {
                    log.prune_idempotency(now);
                    let stored = StoredResponse {
                        fingerprint: record.fingerprint,
                        response: record.response.clone(),
                        tx,
                    };
                    log.idempotency
                        .insert((req.fork.to_owned(), record.key.clone()), (stored, now));
                }
            };
            if req.events.is_empty() {
                remember(log, log.last_tx);
                return Ok(Committed {
                    tx: log.last_tx,
                    generation: actual,
                    committed_at: log.last_committed_at.unwrap_or(now),
                    event_ids: Vec::new(),
                });
            }
            let tx = log.next_tx(req.tenant)?;
            let prepared = prepare(req.events, now)?;
            let stamp = TxStamp {
                tenant: req.tenant,
                fork: req.fork,
                tx,
                committed_at: now,
                principal: req.principal,
                schema_hash: req.schema_hash,
            };
            let event_ids = log::apply_append(log, &chain, &stamp, prepared)?;
            let generation = log.bump(req.fork, req.principal, now);
            log.commit(tx, now, req.schema_hash);
            remember(log, tx);
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
        self.read(tenant, |mut log| {
            log::visible(&mut log, tenant, fork, as_of, 0, None)
        })
    }

    fn next_valid_change(
        &self,
        tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(tenant, |mut log| {
            log::next_valid_change(&mut log, tenant, fork, after)
        })
    }

    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError> {
        self.read(tenant, |mut log| {
            log.fork_record(tenant, fork)?
                .map(|r| r.generation)
                .ok_or_else(|| StoreError::UnknownFork(fork.escape_debug().to_string()))
        })
    }

    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.read(tenant, |log| Ok(log.last_tx))
    }

    fn last_tx_at(&self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        self.read(tenant, |mut log| log.tx_at(tenant, time))
    }

    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError> {
        let mut scopes = Vec::new();
        for (tenant, log) in self.all_tenants()? {
            let log = log.read().map_err(|_| poisoned())?;
            if let Some(schema_hash) = &log.schema_hash {
                scopes.push(SchemaScope {
                    tenant,
                    schema_hash: schema_hash.clone(),
                });
            }
        }
        Ok(scopes)
    }

    fn schema_scope(&self, tenant: &TenantId) -> Result<Option<String>, StoreError> {
        self.read(tenant, |log| Ok(log.schema_hash.clone()))
    }

    fn restamp_schema_scopes(
        &self,
        new_hash: &str,
        principal: &str,
        host: &str,
    ) -> Result<Vec<SchemaChange>, StoreError> {
        let mut changes = Vec::new();
        for (tenant, log) in self.all_tenants()? {
            let mut log = log.write().map_err(|_| poisoned())?;
            let Some(old) = log.schema_hash.clone().filter(|h| h != new_hash) else {
                continue;
            };
            let change = SchemaChange {
                tenant,
                old_hash: old,
                new_hash: new_hash.to_owned(),
                at: commit_time(None),
                principal: principal.to_owned(),
                host: host.to_owned(),
            };
            log.schema_hash = Some(new_hash.to_owned());
            log.schema_changes.push(change.clone());
            changes.push(change);
        }
        Ok(changes)
    }

    fn schema_changes(&self, tenant: &TenantId) -> Result<Vec<SchemaChange>, StoreError> {
        self.read(tenant, |log| Ok(log.schema_changes.clone()))
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
        self.write(tenant, |log| {
            if log.fork_record(tenant, name)?.is_some() {
                return Err(StoreError::ForkExists(name.to_owned()));
            }
            if log.fork_record(tenant, parent)?.is_none() {
                return Err(StoreError::UnknownFork(parent.escape_debug().to_string()));
            }
            let fork_point_tx = fork_point(log.last_tx, at_tx)?;
            let record = ForkRecord {
                name: name.to_owned(),
                parent: Some(parent.to_owned()),
                fork_point_tx,
                created_at: Some(commit_time(None)),
                created_by: principal.to_owned(),
                state: ForkState::Open,
                generation: 0,
            };
            log.forks
                .insert(name.to_owned(), ForkLog::new(record.clone()));
            Ok(record)
        })
    }

    fn fork(&self, tenant: &TenantId, name: &str) -> Result<Option<ForkRecord>, StoreError> {
        self.read(tenant, |mut log| log.fork_record(tenant, name))
    }

    fn forks(&self, tenant: &TenantId) -> Result<Vec<ForkRecord>, StoreError> {
        self.read(tenant, |log| {
            let main = log
                .forks
                .get(MAIN_FORK)
                .map_or_else(ForkRecord::implicit_main, |f| f.record.clone());
            Ok(std::iter::once(main)
                .chain(
                    log.forks
                        .values()
                        .filter(|f| f.record.name != MAIN_FORK)
                        .map(|f| f.record.clone()),
                )
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
        self.write(tenant, |log| {
            let f = log
                .forks
                .get_mut(name)
                .ok_or_else(|| StoreError::UnknownFork(name.escape_debug().to_string()))?;
            if f.record.state != ForkState::Open {
                return Err(StoreError::ForkClosed(name.to_owned()));
            }
            f.record.state = state;
            f.record.generation += 1;
            Ok(f.record.clone())
        })
    }

    fn diff(&self, tenant: &TenantId, a: &str, b: &str) -> Result<ForkDiff, StoreError> {
        self.read(tenant, |mut log| log::diff(&mut log, tenant, a, b))
    }

    fn promoted_view(
        &self,
        tenant: &TenantId,
        fork: &str,
        valid: ValidPoint,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(tenant, |mut log| {
            log::promoted_view(&mut log, tenant, fork, valid)
        })
    }

    fn promote(
        &self,
        tenant: &TenantId,
        fork: &str,
        principal: &str,
        schema_hash: &str,
    ) -> Result<Promotion, StoreError> {
        self.write(tenant, |log| {
            let chain = log::writable_fork(log, tenant, fork)?;
            let parent = promote_target(&chain)?;
            log::writable_fork(log, tenant, &parent)?;
            let tx = log.next_tx(tenant)?;
            let now = commit_time(log.last_committed_at);
            let stamp = TxStamp {
                tenant,
                fork: &parent,
                tx,
                committed_at: now,
                principal,
                schema_hash,
            };
            let (event_ids, source_event_ids) = log::apply_promote(log, &chain, &stamp)?;
            let generation = log.bump(&parent, principal, now);
            if let Some(f) = log.forks.get_mut(fork) {
                f.record.state = ForkState::Promoted;
                f.record.generation += 1;
            }
            log.commit(tx, now, schema_hash);
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
        self.read(tenant, |log| {
            Ok(log
                .idempotency
                .get(&(fork.to_owned(), key.to_owned()))
                .map(|(stored, _)| stored.clone()))
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
        self.write(tenant, |log| {
            log::chain(log, tenant, fork)?;
            let mut event_ids = Vec::new();
            let mut content_ids = Vec::new();
            let mut erased_tx_set = std::collections::BTreeSet::new();
            if let Some(f) = log.forks.get_mut(fork) {
                f.history.retain(|e| {
                    if selector.matches(&e.axiom_id) {
                        erased_tx_set.insert(e.tx);
                        event_ids.push(e.event_id);
                        content_ids.push(e.content_id_hex());
                        false
                    } else {
                        true
                    }
                });
                f.rebuild();
            }
            // Stored responses of the transactions that wrote erased events may echo them.
            log.idempotency
                .retain(|(f, _), (stored, _)| f != fork || !erased_tx_set.contains(&stored.tx));
            for f in log.forks.values_mut() {
                f.record.generation += 1;
            }
            let receipt = ForgetReceipt {
                receipt_id: Uuid::now_v7(),
                tenant: tenant.clone(),
                fork: fork.to_owned(),
                actor: actor.to_owned(),
                reason: reason.to_owned(),
                event_ids,
                content_ids,
                tx: log.last_tx,
                at: commit_time(None),
            };
            log.receipts.push(receipt.clone());
            Ok(receipt)
        })
    }

    fn forget_receipts(&self, tenant: &TenantId) -> Result<Vec<ForgetReceipt>, StoreError> {
        self.read(tenant, |log| Ok(log.receipts.clone()))
    }

    fn history(&self, tenant: &TenantId, fork: &str) -> Result<Vec<Event>, StoreError> {
        self.read(tenant, |mut log| {
            log::chain(&mut log, tenant, fork)?;
            Ok(log
                .forks
                .get(fork)
                .map(|f| f.history.clone())
                .unwrap_or_default())
        })
    }

    fn restore(
        &self,
        tenant: &TenantId,
        last_tx: u64,
        schema_hash: Option<&str>,
        events: &[Event],
    ) -> Result<(), StoreError> {
        self.write(tenant, |log| {
            if log.last_tx != 0 || !log.forks.is_empty() {
                return Err(StoreError::Import(format!(
                    "tenant {tenant} already holds data; import needs an empty tenant"
                )));
            }
            let Some(first) = events.first() else {
                return Ok(());
            };
            let f = log.fork_log_mut(MAIN_FORK, &first.principal, first.committed_at);
            f.history = events.to_vec();
            f.rebuild();
            f.record.generation = 1;
            for e in events {
                if log.tx_times.last().map(|(tx, _)| *tx) != Some(e.tx) {
                    log.tx_times.push((e.tx, e.committed_at));
                }
            }
            log.last_tx = last_tx;
            log.last_committed_at = events.iter().map(|e| e.committed_at).max();
            log.schema_hash = schema_hash
                .map(str::to_owned)
                .or_else(|| events.last().map(|e| e.schema_hash.clone()));
            Ok(())
        })
    }
}

/// The fork point of a new fork at `at_tx` (default: the last tx).
pub(crate) fn fork_point(last_tx: u64, at_tx: Option<u64>) -> Result<u64, StoreError> {
    let at = at_tx.unwrap_or(last_tx);
    if at > last_tx {
        return Err(StoreError::InvalidFork(format!(
            "cannot fork at tx {at}: the tenant's last tx is {last_tx}"
        )));
    }
    Ok(at + 1)
}

/// Refuses closing `main` or "closing" into the open state.
pub(crate) fn check_closing(name: &str, state: ForkState) -> Result<(), StoreError> {
    if name == MAIN_FORK {
        return Err(StoreError::InvalidFork(format!(
            "`{MAIN_FORK}` cannot be closed"
        )));
    }
    if state == ForkState::Open {
        return Err(StoreError::InvalidFork(
            "a fork is closed as promoted or aborted, not open".into(),
        ));
    }
    Ok(())
}

/// The parent a fork is promoted into.
pub(crate) fn promote_target(chain: &[ForkRecord]) -> Result<String, StoreError> {
    chain
        .get(1)
        .map(|p| p.name.clone())
        .ok_or_else(|| StoreError::InvalidFork(format!("`{MAIN_FORK}` cannot be promoted")))
}
