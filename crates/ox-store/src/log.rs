//! The log algorithms shared by every backend, written once over two small
//! traits each backend implements on its own storage (a locked in-memory log,
//! a sqlite or a Postgres transaction):
//!
//! - fork views: a fork's own events plus its parent chain's events below the
//!   fork points (copy-on-write), a fork's own record of an axiom hiding the
//!   parent's;
//! - interval-aware supersession with copy-on-write of the parent's record on
//!   the first write of an axiom in a fork;
//! - diff and promotion.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::event::{plan_supersession, PreparedEvent};
use crate::{
    AsOf, Event, ForkDiff, ForkRecord, ForkState, Op, StoreError, TenantId, TxPoint, ValidPoint,
    MAIN_FORK,
};

/// The supersession key of an event: (axiom id, standpoint).
pub(crate) type Key = (String, Option<String>);

/// The distinct transactions that wrote the given events, ascending: `forget`
/// erases the stored idempotency responses of these transactions too, since a
/// stored response may echo erased values.
pub(crate) fn erased_txs(events: &[Event]) -> BTreeSet<u64> {
    events.iter().map(|e| e.tx).collect()
}

/// The deepest fork chain followed (a guard against corrupt parent links).
const MAX_FORK_DEPTH: usize = 256;

/// Reads one backend's log, one fork at a time.
pub(crate) trait LogRead {
    /// The stored record of a fork; for `main`, the implicit record when none
    /// is stored.
    fn fork_record(
        &mut self,
        tenant: &TenantId,
        fork: &str,
    ) -> Result<Option<ForkRecord>, StoreError>;

    /// The last transaction committed at or before `time` (0 if none).
    fn tx_at(&mut self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The fork's OWN assert events visible at (`tx`, `valid`) with
    /// `tx >= min_tx`, optionally of one key, in (tx, position) order.
    fn own_visible(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        tx: Option<u64>,
        valid: ValidPoint,
        min_tx: u64,
        key: Option<&Key>,
    ) -> Result<Vec<Event>, StoreError>;

    /// The earliest `valid_from` after `after` among the fork's own current
    /// asserts.
    fn own_next_valid_from(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The fork's own current asserts of several keys at once (one round trip
    /// where the backend can), in (tx, position) order.
    fn own_current_of_keys(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        keys: &[Key],
    ) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        for key in keys {
            out.extend(self.own_visible(tenant, fork, None, ValidPoint::All, 0, Some(key))?);
        }
        Ok(out)
    }

    /// The keys the fork has own events of (any op, open or closed) with
    /// `min_tx <= tx <= max_tx`.
    fn own_keys(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        max_tx: Option<u64>,
        min_tx: u64,
    ) -> Result<HashSet<Key>, StoreError>;

    /// Whether the fork has an own event of `key` with `tx <= max_tx`.
    fn owns_key(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        key: &Key,
        max_tx: Option<u64>,
    ) -> Result<bool, StoreError>;
}

/// Writes one backend's log inside its open transaction.
pub(crate) trait LogWrite: LogRead {
    /// Sets `tx_to = tx` on these stored events of the fork.
    fn close_events(
        &mut self,
        tenant: &TenantId,
        fork: &str,
        ids: &[Uuid],
        tx: u64,
    ) -> Result<(), StoreError>;

    /// Inserts the events of one transaction; the position of each within the
    /// transaction is its index in `rows`.
    fn insert_events(&mut self, rows: &[Event]) -> Result<(), StoreError>;
}

/// The fork and its ancestors, the fork first and `main` last.
pub(crate) fn chain(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    fork: &str,
) -> Result<Vec<ForkRecord>, StoreError> {
    let mut out = Vec::new();
    let mut name = fork.to_owned();
    loop {
        let record = r
            .fork_record(tenant, &name)?
            .ok_or_else(|| StoreError::UnknownFork(name.escape_debug().to_string()))?;
        let parent = record.parent.clone();
        out.push(record);
        match parent {
            None => return Ok(out),
            Some(p) if out.len() < MAX_FORK_DEPTH => name = p,
            Some(_) => {
                return Err(StoreError::Corrupt(format!(
                    "fork `{fork}` of tenant {tenant}: parent chain deeper than {MAX_FORK_DEPTH}"
                )))
            }
        }
    }
}

/// The transaction a point names (`None`: the latest).
pub(crate) fn resolve(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    point: TxPoint,
) -> Result<Option<u64>, StoreError> {
    Ok(match point {
        TxPoint::Latest => None,
        TxPoint::Tx(n) => Some(n),
        TxPoint::Time(t) => Some(r.tx_at(tenant, t)?),
    })
}

/// The events of `fork` visible at `as_of` with `tx >= min_tx` (optionally of
/// one key): its own, then each ancestor's below the fork points, an axiom
/// owned by a more specific fork hiding the ancestors' records of it.
pub(crate) fn visible(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    fork: &str,
    as_of: AsOf,
    min_tx: u64,
    key: Option<&Key>,
) -> Result<Vec<Event>, StoreError> {
    let limit = resolve(r, tenant, as_of.tx)?;
    let chain = chain(r, tenant, fork)?;
    visible_in_chain(r, tenant, &chain, limit, as_of.valid, min_tx, key)
}

fn visible_in_chain(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    chain: &[ForkRecord],
    limit: Option<u64>,
    valid: ValidPoint,
    min_tx: u64,
    key: Option<&Key>,
) -> Result<Vec<Event>, StoreError> {
    let mut out: Vec<Event> = Vec::new();
    let mut hidden: HashSet<Key> = HashSet::new();
    let mut limit = limit;
    for (level, record) in chain.iter().enumerate() {
        let own = r.own_visible(tenant, &record.name, limit, valid, min_tx, key)?;
        if level == 0 {
            out = own;
        } else {
            out.extend(own.into_iter().filter(|e| !hidden.contains(&e.key())));
        }
        if level + 1 == chain.len() {
            break;
        }
        match key {
            Some(k) => {
                if r.owns_key(tenant, &record.name, k, limit)? {
                    break;
                }
            }
            None => hidden.extend(r.own_keys(tenant, &record.name, limit, 0)?),
        }
        let cap = record.fork_point_tx.saturating_sub(1);
        let next = limit.map_or(cap, |l| l.min(cap));
        if next < min_tx || record.fork_point_tx == 0 {
            break;
        }
        limit = Some(next);
    }
    out.sort_by_key(|e| e.tx);
    Ok(out)
}

/// The earliest valid-time start after `after` among the current records of
/// the fork and its ancestors (an over-approximation: ancestors' records
/// hidden or past the fork point count too).
pub(crate) fn next_valid_change(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    fork: &str,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut next: Option<DateTime<Utc>> = None;
    for record in chain(r, tenant, fork)? {
        if let Some(t) = r.own_next_valid_from(tenant, &record.name, after)? {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
    }
    Ok(next)
}

/// The events visible in one fork and not the other since their common
/// ancestor: reads only events with `tx` at or after the first fork point
/// below the ancestor, so the cost follows the changes, not the log.
pub(crate) fn diff(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    a: &str,
    b: &str,
) -> Result<ForkDiff, StoreError> {
    let ca = chain(r, tenant, a)?;
    let cb = chain(r, tenant, b)?;
    let (ia, ib) = ca
        .iter()
        .enumerate()
        .find_map(|(i, f)| cb.iter().position(|g| g.name == f.name).map(|j| (i, j)))
        .ok_or_else(|| StoreError::Corrupt(format!("forks `{a}` and `{b}` share no ancestor")))?;
    let ancestor = ca[ia].name.clone();
    let split = [
        ia.checked_sub(1).map(|i| &ca[i]),
        ib.checked_sub(1).map(|i| &cb[i]),
    ]
    .into_iter()
    .flatten()
    .map(|f| f.fork_point_tx)
    .min();
    let Some(since) = split else {
        return Ok(ForkDiff {
            ancestor,
            ..ForkDiff::default()
        });
    };
    let va = visible_in_chain(r, tenant, &ca, None, ValidPoint::All, since, None)?;
    let vb = visible_in_chain(r, tenant, &cb, None, ValidPoint::All, since, None)?;
    let ids_a: HashSet<Uuid> = va.iter().map(|e| e.event_id).collect();
    let ids_b: HashSet<Uuid> = vb.iter().map(|e| e.event_id).collect();
    Ok(ForkDiff {
        ancestor,
        only_in_a: va
            .into_iter()
            .filter(|e| !ids_b.contains(&e.event_id))
            .collect(),
        only_in_b: vb
            .into_iter()
            .filter(|e| !ids_a.contains(&e.event_id))
            .collect(),
    })
}

/// The open fork written to, or why it cannot be.
pub(crate) fn writable_fork(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    fork: &str,
) -> Result<Vec<ForkRecord>, StoreError> {
    let chain = chain(r, tenant, fork)?;
    if chain[0].state != ForkState::Open {
        return Err(StoreError::ForkClosed(fork.escape_debug().to_string()));
    }
    Ok(chain)
}

/// Who writes a transaction, and when.
pub(crate) struct TxStamp<'a> {
    pub tenant: &'a TenantId,
    pub fork: &'a str,
    pub tx: u64,
    pub committed_at: DateTime<Utc>,
    pub principal: &'a str,
    pub schema_hash: &'a str,
}

impl TxStamp<'_> {
    fn row(&self, p: PreparedEvent, tx_to: Option<u64>) -> Event {
        Event {
            event_id: p.event_id,
            axiom_id: p.axiom_id,
            kind: p.kind,
            op: p.op,
            body: p.body,
            content_id: p.content_id,
            tenant: self.tenant.clone(),
            fork: self.fork.to_owned(),
            standpoint: p.standpoint,
            tx: self.tx,
            valid_from: p.valid_from,
            valid_to: p.valid_to,
            tx_to,
            principal: self.principal.to_owned(),
            schema_hash: self.schema_hash.to_owned(),
            committed_at: self.committed_at,
        }
    }
}

/// Where a current record of a key touched by this transaction lives.
#[derive(Clone, Copy)]
enum Slot {
    Stored(usize),
    Pending(usize),
}

/// Writes `prepared` as transaction `stamp.tx` of an open fork (`chain` from
/// [`writable_fork`]): copy-on-write of the ancestors' records of each key the
/// fork does not own yet, interval-aware supersession, retractions stored
/// closed. Returns the ids of `prepared`, in order.
pub(crate) fn apply_append(
    w: &mut dyn LogWrite,
    chain: &[ForkRecord],
    stamp: &TxStamp<'_>,
    prepared: Vec<PreparedEvent>,
) -> Result<Vec<Uuid>, StoreError> {
    let tenant = stamp.tenant;
    let fork = stamp.fork;
    let mut stored: Vec<Event> = Vec::new();
    let mut rows: Vec<Event> = Vec::new();
    let mut current: HashMap<Key, Vec<Slot>> = HashMap::new();
    let mut closed_stored: Vec<Uuid> = Vec::new();
    let mut ids = Vec::with_capacity(prepared.len());
    let mut keys: Vec<Key> = prepared.iter().map(PreparedEvent::key).collect();
    keys.sort();
    keys.dedup();
    let mut prefetched: HashMap<Key, Vec<Event>> = HashMap::new();
    for e in w.own_current_of_keys(tenant, fork, &keys)? {
        prefetched.entry(e.key()).or_default().push(e);
    }
    for p in prepared {
        let key = p.key();
        if !current.contains_key(&key) {
            let mut slots = Vec::new();
            let own = prefetched.remove(&key).unwrap_or_default();
            if own.is_empty() && chain.len() > 1 && !w.owns_key(tenant, fork, &key, None)? {
                let cap = chain[0].fork_point_tx.saturating_sub(1);
                let inherited = if chain[0].fork_point_tx == 0 {
                    Vec::new()
                } else {
                    visible_in_chain(
                        w,
                        tenant,
                        &chain[1..],
                        Some(cap),
                        ValidPoint::All,
                        0,
                        Some(&key),
                    )?
                };
                for e in inherited {
                    let copy = PreparedEvent::copy_of(&e, e.valid_from, e.valid_to);
                    slots.push(Slot::Pending(rows.len()));
                    rows.push(stamp.row(copy, None));
                }
            }
            for e in own {
                slots.push(Slot::Stored(stored.len()));
                stored.push(e);
            }
            current.insert(key.clone(), slots);
        }
        let slots = current.entry(key).or_default();
        let records: Vec<&Event> = slots
            .iter()
            .map(|s| match *s {
                Slot::Stored(i) => &stored[i],
                Slot::Pending(i) => &rows[i],
            })
            .collect();
        let (closing, remainders) = plan_supersession(records, &p);
        let mut kept = Vec::with_capacity(slots.len());
        for slot in slots.iter().copied() {
            let id = match slot {
                Slot::Stored(i) => stored[i].event_id,
                Slot::Pending(i) => rows[i].event_id,
            };
            if !closing.contains(&id) {
                kept.push(slot);
                continue;
            }
            match slot {
                Slot::Stored(_) => closed_stored.push(id),
                Slot::Pending(i) => rows[i].tx_to = Some(stamp.tx),
            }
        }
        for r in remainders {
            kept.push(Slot::Pending(rows.len()));
            rows.push(stamp.row(r, None));
        }
        ids.push(p.event_id);
        if p.op == Op::Assert {
            kept.push(Slot::Pending(rows.len()));
            rows.push(stamp.row(p, None));
        } else {
            rows.push(stamp.row(p, Some(stamp.tx)));
        }
        *slots = kept;
    }
    if !closed_stored.is_empty() {
        w.close_events(tenant, fork, &closed_stored, stamp.tx)?;
    }
    w.insert_events(&rows)?;
    Ok(ids)
}

/// The events the parent of `fork` would show (latest, at `valid`) once the
/// fork is promoted: the parent's view with every key the fork owns replaced
/// by the fork's own current records. The runtime validates this before
/// promoting.
pub(crate) fn promoted_view(
    r: &mut dyn LogRead,
    tenant: &TenantId,
    fork: &str,
    valid: ValidPoint,
) -> Result<Vec<Event>, StoreError> {
    let chain = chain(r, tenant, fork)?;
    if chain.len() < 2 {
        return Err(StoreError::InvalidFork(format!(
            "`{MAIN_FORK}` has no parent to promote into"
        )));
    }
    let owned = r.own_keys(tenant, fork, None, 0)?;
    let mut out: Vec<Event> = visible_in_chain(r, tenant, &chain[1..], None, valid, 0, None)?
        .into_iter()
        .filter(|e| !owned.contains(&e.key()))
        .collect();
    out.extend(r.own_visible(tenant, fork, None, valid, 0, None)?);
    out.sort_by_key(|e| e.tx);
    Ok(out)
}

/// Promotes the open fork `chain[0]` into its parent as transaction
/// `stamp.tx` of the parent (`stamp.fork` is the parent): refuses with
/// [`StoreError::PromoteConflict`] when the parent changed an axiom the fork
/// changed since the fork point; otherwise replaces, on the parent, every
/// key the fork owns by the fork's current records (a retraction where it has
/// none), and appends a closed `fork_promoted` record naming the source fork
/// and events. Returns (written ids, source ids).
pub(crate) fn apply_promote(
    w: &mut dyn LogWrite,
    chain: &[ForkRecord],
    stamp: &TxStamp<'_>,
) -> Result<(Vec<Uuid>, Vec<Uuid>), StoreError> {
    let tenant = stamp.tenant;
    let source = &chain[0];
    let parent = stamp.fork;
    let owned = w.own_keys(tenant, &source.name, None, 0)?;
    let changed = w.own_keys(tenant, parent, None, source.fork_point_tx)?;
    let conflicts: BTreeSet<String> = owned
        .intersection(&changed)
        .map(|(axiom, _)| axiom.clone())
        .collect();
    if !conflicts.is_empty() {
        return Err(StoreError::PromoteConflict {
            axioms: conflicts.into_iter().collect(),
        });
    }
    let mut keys: Vec<Key> = owned.into_iter().collect();
    keys.sort();
    let mut rows = Vec::new();
    let mut closing = Vec::new();
    let mut sources = Vec::new();
    let mut written = Vec::new();
    for key in keys {
        for e in w.own_visible(tenant, parent, None, ValidPoint::All, 0, Some(&key))? {
            closing.push(e.event_id);
        }
        let mine = w.own_visible(tenant, &source.name, None, ValidPoint::All, 0, Some(&key))?;
        if mine.is_empty() {
            let retraction = PreparedEvent {
                event_id: Uuid::now_v7(),
                axiom_id: key.0.clone(),
                kind: "fork_retraction".to_owned(),
                op: Op::Retract,
                body: Vec::new(),
                content_id: crate::content_id(&[]),
                standpoint: key.1.clone(),
                valid_from: stamp.committed_at,
                valid_to: None,
            };
            written.push(retraction.event_id);
            rows.push(stamp.row(retraction, Some(stamp.tx)));
        }
        for e in mine {
            sources.push(e.event_id);
            let copy = PreparedEvent::copy_of(&e, e.valid_from, e.valid_to);
            written.push(copy.event_id);
            rows.push(stamp.row(copy, None));
        }
    }
    let record = serde_json::json!({
        "fork": source.name,
        "sourceEventIds": sources.iter().map(Uuid::to_string).collect::<Vec<_>>(),
    });
    let body = serde_json::to_vec(&record)
        .map_err(|e| StoreError::Corrupt(format!("encoding the promotion record: {e}")))?;
    let marker = PreparedEvent {
        event_id: Uuid::now_v7(),
        axiom_id: format!("promote:{}", source.name),
        kind: "fork_promoted".to_owned(),
        op: Op::Retract,
        content_id: crate::content_id(&body),
        body,
        standpoint: None,
        valid_from: stamp.committed_at,
        valid_to: None,
    };
    written.push(marker.event_id);
    rows.push(stamp.row(marker, Some(stamp.tx)));
    if !closing.is_empty() {
        w.close_events(tenant, parent, &closing, stamp.tx)?;
    }
    w.insert_events(&rows)?;
    Ok((written, sources))
}
