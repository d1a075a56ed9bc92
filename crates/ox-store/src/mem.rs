//! The in-memory backend: tests, the REPL, `ox test`. No durability.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};

use crate::event::{check_fork, commit_time, prepare};
use crate::{
    AppendRequest, AsOf, Committed, Event, Op, SchemaScope, StorageBackend, StoreError, TenantId,
};

/// The in-memory backend.
///
/// Tenants live in a map behind a lock held only to find or add a tenant; each
/// tenant has its own `RwLock`, so appends to one tenant are serialised while
/// other tenants are read and written freely.
#[derive(Debug, Default)]
pub struct MemBackend {
    tenants: RwLock<BTreeMap<TenantId, Arc<RwLock<TenantLog>>>>,
}

/// Everything stored for one tenant.
#[derive(Debug, Default)]
struct TenantLog {
    last_tx: u64,
    last_committed_at: Option<DateTime<Utc>>,
    schema_hash: Option<String>,
    forks: HashMap<String, ForkLog>,
}

/// The events of one (tenant, fork): the full history plus the indexes that
/// keep current and as-of reads from scanning it.
#[derive(Debug, Default)]
struct ForkLog {
    generation: u64,
    /// Every event, in (tx, seq) order; positions are stable.
    history: Vec<Event>,
    /// (axiom id, standpoint) → position of the current event.
    current: HashMap<(String, Option<String>), usize>,
    /// Positions of the current events, in (tx, seq) order.
    current_order: BTreeSet<usize>,
    /// Superseding tx → positions of the asserts it closed.
    superseded: BTreeMap<u64, Vec<usize>>,
}

impl ForkLog {
    fn visible(&self, as_of: AsOf) -> Vec<Event> {
        let positions: Vec<usize> = match as_of {
            AsOf::Now => self.current_order.iter().copied().collect(),
            AsOf::Tx(n) => {
                let end = self.history.partition_point(|e| e.tx <= n);
                let mut positions: Vec<usize> = self.current_order.range(..end).copied().collect();
                if let Some(after) = n.checked_add(1) {
                    positions.extend(
                        self.superseded
                            .range(after..)
                            .flat_map(|(_, closed)| closed.iter().copied())
                            .filter(|&p| p < end),
                    );
                }
                positions.sort_unstable();
                positions
            }
        };
        positions
            .into_iter()
            .filter_map(|p| self.history.get(p))
            .filter(|e| e.visible_at(as_of))
            .cloned()
            .collect()
    }
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("in-memory store lock poisoned by a panicked writer".into())
}

impl MemBackend {
    /// An empty in-memory store.
    pub fn new() -> Self {
        Self::default()
    }

    fn existing(&self, tenant: &TenantId) -> Result<Option<Arc<RwLock<TenantLog>>>, StoreError> {
        let map = self.tenants.read().map_err(|_| poisoned())?;
        Ok(map.get(tenant).cloned())
    }

    fn existing_or_new(&self, tenant: &TenantId) -> Result<Arc<RwLock<TenantLog>>, StoreError> {
        if let Some(log) = self.existing(tenant)? {
            return Ok(log);
        }
        let mut map = self.tenants.write().map_err(|_| poisoned())?;
        Ok(Arc::clone(map.entry(tenant.clone()).or_default()))
    }

    /// Runs `f` on the tenant's log under its read lock; `None` for a tenant
    /// never written.
    fn read<T>(
        &self,
        tenant: &TenantId,
        f: impl FnOnce(Option<&TenantLog>) -> T,
    ) -> Result<T, StoreError> {
        match self.existing(tenant)? {
            None => Ok(f(None)),
            Some(log) => {
                let guard: RwLockReadGuard<'_, TenantLog> = log.read().map_err(|_| poisoned())?;
                Ok(f(Some(&guard)))
            }
        }
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
        check_fork(req.fork)?;
        if req.events.is_empty() {
            let (tx, generation, last_at) = self.read(req.tenant, |log| {
                log.map_or((0, 0, None), |log| {
                    let generation = log.forks.get(req.fork).map_or(0, |f| f.generation);
                    (log.last_tx, generation, log.last_committed_at)
                })
            })?;
            if generation != req.expected_generation {
                return Err(StoreError::Conflict {
                    expected: req.expected_generation,
                    actual: generation,
                });
            }
            return Ok(Committed {
                tx,
                generation,
                committed_at: last_at.unwrap_or_else(|| commit_time(None)),
                event_ids: Vec::new(),
            });
        }

        let log = self.existing_or_new(req.tenant)?;
        let mut guard: RwLockWriteGuard<'_, TenantLog> = log.write().map_err(|_| poisoned())?;
        let log = &mut *guard;
        let actual = log.forks.get(req.fork).map_or(0, |f| f.generation);
        if actual != req.expected_generation {
            return Err(StoreError::Conflict {
                expected: req.expected_generation,
                actual,
            });
        }
        let tx = log.last_tx.checked_add(1).ok_or_else(|| {
            StoreError::Corrupt(format!("tenant {}: tx counter overflow", req.tenant))
        })?;
        let committed_at = commit_time(log.last_committed_at);
        let prepared = prepare(req.events, committed_at)?;

        let fork = log.forks.entry(req.fork.to_owned()).or_default();
        let mut event_ids = Vec::with_capacity(prepared.len());
        for p in prepared {
            let key = (p.axiom_id.clone(), p.standpoint.clone());
            if let Some(old) = fork.current.remove(&key) {
                if let Some(e) = fork.history.get_mut(old) {
                    e.tx_to = Some(tx);
                }
                fork.current_order.remove(&old);
                fork.superseded.entry(tx).or_default().push(old);
            }
            let position = fork.history.len();
            event_ids.push(p.event_id);
            fork.history.push(Event {
                event_id: p.event_id,
                axiom_id: p.axiom_id,
                kind: p.kind,
                op: p.op,
                body: p.body,
                content_id: p.content_id,
                tenant: req.tenant.clone(),
                fork: req.fork.to_owned(),
                standpoint: p.standpoint,
                tx,
                valid_from: p.valid_from,
                valid_to: p.valid_to,
                tx_to: (p.op == Op::Retract).then_some(tx),
                principal: req.principal.to_owned(),
                schema_hash: req.schema_hash.to_owned(),
                committed_at,
            });
            if p.op == Op::Assert {
                fork.current.insert(key, position);
                fork.current_order.insert(position);
            }
        }
        fork.generation = actual + 1;
        log.last_tx = tx;
        log.last_committed_at = Some(committed_at);
        log.schema_hash = Some(req.schema_hash.to_owned());
        Ok(Committed {
            tx,
            generation: actual + 1,
            committed_at,
            event_ids,
        })
    }

    fn visible_events(
        &self,
        tenant: &TenantId,
        fork: &str,
        as_of: AsOf,
    ) -> Result<Vec<Event>, StoreError> {
        check_fork(fork)?;
        self.read(tenant, |log| {
            log.and_then(|log| log.forks.get(fork))
                .map_or_else(Vec::new, |f| f.visible(as_of))
        })
    }

    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError> {
        check_fork(fork)?;
        self.read(tenant, |log| {
            log.and_then(|log| log.forks.get(fork))
                .map_or(0, |f| f.generation)
        })
    }

    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.read(tenant, |log| log.map_or(0, |log| log.last_tx))
    }

    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError> {
        let tenants: Vec<(TenantId, Arc<RwLock<TenantLog>>)> = {
            let map = self.tenants.read().map_err(|_| poisoned())?;
            map.iter()
                .map(|(t, log)| (t.clone(), Arc::clone(log)))
                .collect()
        };
        let mut scopes = Vec::new();
        for (tenant, log) in tenants {
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
}
