//! State: visible events → base facts → the reasoner's fixpoint, and the
//! bounded cache of fixpoints keyed by (tenant, fork, generation, …).

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use imbl::{ordmap, ordset, OrdMap, OrdSet};
use ox_ir::expr::FieldRef;
use ox_ir::PredId;
use ox_ir::{ConceptId, RelationId, Value};
use ox_reasoner::{EvalError, EvalOptions, FactStore, Program};
use ox_store::{Event, TenantId};

use crate::catalog::{Catalog, ClockUse};
use crate::context::Clock;
use crate::error::{ErrorCode, RuntimeError};
use crate::events::{self, Fact};

/// The base facts of one snapshot, in a shape that is cheap to copy and edit.
///
/// Every collection is a persistent ordered tree: a clone shares all of it
/// (a transaction starts from a copy of its start state's base facts), an
/// edit copies only the path to what it changes, and two snapshots of the
/// same tenant are compared without visiting what they still share (see
/// `small_change`). Iteration is in key order, as with the standard trees.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Base {
    /// Live individuals and the concept each was inserted as.
    pub individuals: OrdMap<String, ConceptId>,
    /// Asserted classifications `(id, concept)`.
    pub iofs: OrdSet<(String, ConceptId)>,
    /// Field values: one entry per (individual, field); multi-valued fields hold several.
    pub fields: OrdMap<(String, FieldRef), BTreeSet<Value>>,
    /// Relation tuples.
    pub tuples: OrdSet<(RelationId, Vec<Value>)>,
}

/// Events or facts a pass over a tenant's state handles between two looks
/// at the deadline: a few milliseconds of work at most.
const FACTS_PER_CHECK: usize = 1 << 14;

const FIELD_MIN: FieldRef = FieldRef {
    concept: ConceptId(0),
    field: 0,
};
const FIELD_MAX: FieldRef = FieldRef {
    concept: ConceptId(u32::MAX),
    field: u32::MAX,
};

impl Base {
    /// Applies one asserted fact.
    pub(crate) fn apply(&mut self, fact: Fact) {
        match fact {
            Fact::Individual { id, concept } => {
                self.individuals.insert(id, concept);
            }
            Fact::Property { id, field, value } => {
                self.fields.entry((id, field)).or_default().insert(value);
            }
            Fact::Iof { id, concept } => {
                self.iofs.insert((id, concept));
            }
            Fact::Tuple { relation, args } => {
                self.tuples.insert((relation, args));
            }
            Fact::Domain { .. } => {}
        }
    }

    /// Drops field values and classifications of individuals that are not live.
    fn drop_orphans(&mut self) {
        let live = &self.individuals;
        let orphan_fields: Vec<(String, FieldRef)> = self
            .fields
            .keys()
            .filter(|(id, _)| !live.contains_key(id))
            .cloned()
            .collect();
        let orphan_iofs: Vec<(String, ConceptId)> = self
            .iofs
            .iter()
            .filter(|(id, _)| !live.contains_key(id))
            .cloned()
            .collect();
        for key in orphan_fields {
            self.fields.remove(&key);
        }
        for iof in orphan_iofs {
            self.iofs.remove(&iof);
        }
    }

    /// The values of one field of one individual, sorted.
    pub(crate) fn field_values(&self, id: &str, field: FieldRef) -> Vec<Value> {
        self.fields
            .get(&(id.to_owned(), field))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Every (field, values) entry of one individual.
    pub(crate) fn fields_of(&self, id: &str) -> Vec<(FieldRef, Vec<Value>)> {
        let range = (
            Bound::Included((id.to_owned(), FIELD_MIN)),
            Bound::Included((id.to_owned(), FIELD_MAX)),
        );
        self.fields
            .range(range)
            .map(|((_, f), vs)| (*f, vs.iter().cloned().collect()))
            .collect()
    }

    /// The concepts an individual is classified into besides its inserted one.
    pub(crate) fn iofs_of(&self, id: &str) -> Vec<ConceptId> {
        self.iofs
            .range((id.to_owned(), ConceptId(0))..=(id.to_owned(), ConceptId(u32::MAX)))
            .map(|(_, c)| *c)
            .collect()
    }

    /// Whether `id` has an asserted classification into `concept`.
    fn classifies(&self, id: &str, concept: ConceptId) -> bool {
        self.iofs.contains(&(id.to_owned(), concept))
    }

    /// The reasoner's base facts, loaded predicate by predicate in bulk
    /// ([`FactStore::extend`]), in runs of at most [`FACTS_PER_CHECK`]
    /// with a look at the deadline after each.
    pub(crate) fn to_facts(
        &self,
        catalog: &Catalog,
        clock: &Clock,
    ) -> Result<FactStore, RuntimeError> {
        let mut facts = FactStore::new(catalog.module.predicates.len());
        // The set is ordered by predicate first: one run of tuples each.
        let mut runs: Vec<(PredId, Vec<Vec<Value>>)> = Vec::new();
        for (pred, tuple) in base_facts(catalog, self, clock)? {
            match runs.last_mut() {
                Some((last, tuples)) if *last == pred && tuples.len() < FACTS_PER_CHECK => {
                    tuples.push(tuple)
                }
                _ => {
                    clock.check()?;
                    runs.push((pred, vec![tuple]))
                }
            }
        }
        for (pred, tuples) in runs {
            facts
                .extend(pred, tuples)
                .map_err(|e| eval_error(e, ErrorCode::Internal))?;
            clock.check()?;
        }
        Ok(facts)
    }
}

/// One evaluated snapshot: base facts and the fixpoint.
pub(crate) struct State {
    pub base: Base,
    pub facts: FactStore,
    /// The tenant's last transaction at or before the snapshot.
    pub tx: u64,
    /// The valid-time instants for which the snapshot is the same.
    pub window: ValidWindow,
    /// The clock the fixpoint was evaluated at.
    pub evaluated_at: EvaluatedAt,
}

/// A half-open range of valid-time instants `[from, until)` over which a
/// snapshot's visible events do not change (`until: None`: no known end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValidWindow {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl ValidWindow {
    /// Only the instant `at`.
    pub(crate) fn instant(at: DateTime<Utc>) -> ValidWindow {
        ValidWindow {
            from: at,
            until: Some(at),
        }
    }

    /// The window of the events visible at `at`: from `at` until the first
    /// visible interval ends or `next_start` (the next record to become
    /// valid), whichever is first.
    pub(crate) fn of_events(
        at: DateTime<Utc>,
        events: &[Event],
        next_start: Option<DateTime<Utc>>,
    ) -> ValidWindow {
        let until = events
            .iter()
            .filter_map(|e| e.valid_to)
            .chain(next_start)
            .min();
        ValidWindow { from: at, until }
    }

    /// Whether the instant `t` lies in the window.
    pub(crate) fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && self.until.is_none_or(|u| t < u)
    }
}

impl State {
    /// The most specific asserted concept of a live individual.
    pub(crate) fn type_of(&self, catalog: &Catalog, id: &str) -> Option<ConceptId> {
        let inserted = *self.base.individuals.get(id)?;
        let best = self
            .base
            .iofs_of(id)
            .into_iter()
            .filter(|c| catalog.depth(*c) > catalog.depth(inserted))
            .max_by_key(|c| catalog.depth(*c));
        Some(best.unwrap_or(inserted))
    }
}

/// Maps a reasoner error to the runtime's codes.
pub(crate) fn eval_error(error: EvalError, unsupported: ErrorCode) -> RuntimeError {
    match error {
        EvalError::DeadlineExceeded => RuntimeError::timeout(),
        EvalError::Unsupported(what) => RuntimeError::new(unsupported, what),
        other => RuntimeError::validation(other.to_string()),
    }
}

/// Which events a request sees: layers (most specific first) and valid time.
pub(crate) struct Visibility {
    /// `None`: only the default layer. `Some(paths)`: these standpoint layers, then the default.
    pub layers: Option<Vec<String>>,
    pub valid_at: Option<DateTime<Utc>>,
}

impl Visibility {
    fn rank(&self, standpoint: Option<&str>) -> Option<usize> {
        match (standpoint, &self.layers) {
            (None, Some(layers)) => Some(layers.len()),
            (None, None) => Some(0),
            (Some(s), Some(layers)) => layers.iter().position(|l| l == s),
            (Some(_), None) => None,
        }
    }

    fn valid(&self, e: &Event) -> bool {
        match self.valid_at {
            None => true,
            Some(vt) => e.valid_from <= vt && e.valid_to.is_none_or(|to| vt < to),
        }
    }

    /// The events of this view: for one axiom seen in several layers, the most specific wins.
    fn select<'e>(&self, events: &'e [Event]) -> Vec<&'e Event> {
        let mut best: HashMap<&str, (usize, usize)> = HashMap::new();
        for (pos, e) in events.iter().enumerate() {
            if !self.valid(e) {
                continue;
            }
            let Some(rank) = self.rank(e.standpoint.as_deref()) else {
                continue;
            };
            let entry = best.entry(e.axiom_id.as_str()).or_insert((rank, pos));
            if rank < entry.0 {
                *entry = (rank, pos);
            }
        }
        let mut chosen: Vec<usize> = best.into_values().map(|(_, pos)| pos).collect();
        chosen.sort_unstable();
        chosen.into_iter().map(|p| &events[p]).collect()
    }
}

/// Builds the base facts of the visible events, looking at the deadline
/// every [`FACTS_PER_CHECK`] events.
pub(crate) fn base_from_events(
    catalog: &Catalog,
    events: &[Event],
    visibility: &Visibility,
    clock: &Clock,
) -> Result<Base, RuntimeError> {
    let mut base = Base::default();
    for (n, event) in visibility.select(events).into_iter().enumerate() {
        if n.is_multiple_of(FACTS_PER_CHECK) {
            clock.check()?;
        }
        match events::decode(&catalog.module, &catalog.paths, event) {
            Ok(Some(fact)) => base.apply(fact),
            Ok(None) => {}
            Err(e) => {
                return Err(RuntimeError::internal(format!(
                    "event {} (`{}`) cannot be read under this module: {}",
                    event.event_id, event.kind, e.0
                )))
            }
        }
    }
    base.drop_orphans();
    Ok(base)
}

/// The reasoner fact `(predicate, tuple)` an asserted fact stands for
/// (`None` for domain events, which are not facts).
pub(crate) fn base_fact(catalog: &Catalog, fact: &Fact) -> Option<(PredId, Vec<Value>)> {
    let module = &catalog.module;
    match fact {
        Fact::Individual { id, concept } | Fact::Iof { id, concept } => {
            Some((module.concept(*concept).pred, vec![Value::Ref(id.clone())]))
        }
        Fact::Property { id, field, value } => Some((
            module.field(*field).pred,
            vec![Value::Ref(id.clone()), value.clone()],
        )),
        Fact::Tuple { relation, args } => {
            Some((module.relations[relation.index()].pred, args.clone()))
        }
        Fact::Domain { .. } => None,
    }
}

/// The visible events that assert each base fact, in log order: what an
/// explanation shows for a base fact. Events this module cannot read are skipped.
pub(crate) fn event_origins<'e>(
    catalog: &Catalog,
    events: &'e [Event],
    visibility: &Visibility,
) -> HashMap<(PredId, Vec<Value>), Vec<&'e Event>> {
    let mut origins: HashMap<(PredId, Vec<Value>), Vec<&'e Event>> = HashMap::new();
    for event in visibility.select(events) {
        if let Ok(Some(fact)) = events::decode(&catalog.module, &catalog.paths, event) {
            if let Some(key) = base_fact(catalog, &fact) {
                origins.entry(key).or_default().push(event);
            }
        }
    }
    origins
}

/// Evaluates the fixpoint of `base`, recording one witness per derived fact
/// (provenance) so that any fact of a cached state can be explained.
///
/// With `previous` (an earlier state of the same scope), the base facts
/// inserted and deleted since it are applied to its fixpoint incrementally
/// ([`Program::update`]) when they are few (see `small_change`) and the
/// previous fixpoint was evaluated at a clock the rules cannot tell apart
/// from this one; otherwise from scratch. Both give the same fixpoint.
pub(crate) fn evaluate(
    catalog: &Catalog,
    program: &Program,
    base: Base,
    tx: u64,
    clock: &Clock,
    previous: Option<&State>,
) -> Result<State, RuntimeError> {
    clock.check()?;
    let eval_ctx = clock.eval_context();
    let reusable = previous.filter(|p| same_clock(catalog.clock_use, &p.evaluated_at, clock));
    let facts = match reusable.and_then(|p| small_change(catalog, &p.base, &base).map(|d| (p, d))) {
        Some((prev, (inserted, deleted))) => program
            .update(&prev.facts, &inserted, &deleted, &eval_ctx)
            .map_err(|e| eval_error(e, ErrorCode::Internal))?,
        None => program
            .evaluate_with(
                base.to_facts(catalog, clock)?,
                &eval_ctx,
                EvalOptions { provenance: true },
            )
            .map_err(|e| eval_error(e, ErrorCode::Internal))?,
    };
    Ok(State {
        base,
        facts,
        tx,
        window: ValidWindow::instant(clock.now),
        evaluated_at: EvaluatedAt {
            today: clock.today,
            now: clock.now,
        },
    })
}

/// The clock a fixpoint was evaluated at (what `today()` and `now()` returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EvaluatedAt {
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

/// Whether rules reading the clock as `clock_use` see no difference between
/// the clock a fixpoint was evaluated at and `clock`.
fn same_clock(clock_use: ClockUse, at: &EvaluatedAt, clock: &Clock) -> bool {
    match clock_use {
        ClockUse::None => true,
        ClockUse::Today => at.today == clock.today,
        ClockUse::Now => at.today == clock.today && at.now == clock.now,
    }
}

/// A change of base facts: (inserted, deleted).
type Change = (Vec<(PredId, Vec<Value>)>, Vec<(PredId, Vec<Value>)>);

/// The base facts `new` adds to `old` and those it removes, when the change
/// is small enough to update the previous fixpoint instead of evaluating
/// from scratch: at most a quarter of the old base facts plus 16, insertions
/// and deletions together. `None` otherwise. A field whose value was
/// replaced is one deletion and one insertion. Compares the snapshots
/// structure by structure with the trees' diffs, which skip the subtrees the
/// two snapshots share (when `new` was made from `old`, all but the paths a
/// transaction edited), and clones only what changed.
fn small_change(catalog: &Catalog, old: &Base, new: &Base) -> Option<Change> {
    let module = &catalog.module;
    let size = old.individuals.len() + old.iofs.len() + old.fields.len() + old.tuples.len();
    let mut change = ChangeBuilder {
        inserted: Vec::new(),
        deleted: Vec::new(),
        limit: size / 4 + 16,
    };
    let membership = |id: &String, concept: ConceptId| {
        (module.concept(concept).pred, vec![Value::Ref(id.clone())])
    };
    // An individual's inserted concept and an asserted classification into
    // the same concept are one fact: it changes only when neither holds.
    for item in old.individuals.diff(&new.individuals) {
        let (before, after) = match item {
            ordmap::DiffItem::Remove(id, concept) => (Some((id, concept)), None),
            ordmap::DiffItem::Add(id, concept) => (None, Some((id, concept))),
            ordmap::DiffItem::Update {
                old: before,
                new: after,
            } => (Some(before), Some(after)),
        };
        if let Some((id, concept)) = before {
            if !new.classifies(id, *concept) {
                change.delete(membership(id, *concept))?;
            }
        }
        if let Some((id, concept)) = after {
            if !old.classifies(id, *concept) {
                change.insert(membership(id, *concept))?;
            }
        }
    }
    for item in old.iofs.diff(&new.iofs) {
        match item {
            ordset::DiffItem::Remove((id, concept)) => {
                if new.individuals.get(id) != Some(concept) {
                    change.delete(membership(id, *concept))?;
                }
            }
            ordset::DiffItem::Add((id, concept)) => {
                if old.individuals.get(id) != Some(concept) {
                    change.insert(membership(id, *concept))?;
                }
            }
        }
    }
    let value_fact = |(id, field): &(String, FieldRef), value: &Value| {
        (
            module.field(*field).pred,
            vec![Value::Ref(id.clone()), value.clone()],
        )
    };
    for item in old.fields.diff(&new.fields) {
        let (key, before, after) = match item {
            ordmap::DiffItem::Remove(key, values) => (key, Some(values), None),
            ordmap::DiffItem::Add(key, values) => (key, None, Some(values)),
            ordmap::DiffItem::Update {
                old: (key, before),
                new: (_, after),
            } => (key, Some(before), Some(after)),
        };
        let holds = |side: Option<&BTreeSet<Value>>, value: &Value| {
            side.is_some_and(|values| values.contains(value))
        };
        for value in before.into_iter().flatten() {
            if !holds(after, value) {
                change.delete(value_fact(key, value))?;
            }
        }
        for value in after.into_iter().flatten() {
            if !holds(before, value) {
                change.insert(value_fact(key, value))?;
            }
        }
    }
    let tuple_fact = |(relation, args): &(RelationId, Vec<Value>)| {
        (module.relations[relation.index()].pred, args.clone())
    };
    for item in old.tuples.diff(&new.tuples) {
        match item {
            ordset::DiffItem::Remove(tuple) => change.delete(tuple_fact(tuple))?,
            ordset::DiffItem::Add(tuple) => change.insert(tuple_fact(tuple))?,
        }
    }
    Some((change.inserted, change.deleted))
}

/// The base facts inserted and deleted so far, and how many may change in all.
struct ChangeBuilder {
    inserted: Vec<(PredId, Vec<Value>)>,
    deleted: Vec<(PredId, Vec<Value>)>,
    limit: usize,
}

impl ChangeBuilder {
    /// Records an inserted fact; `None` once the change is over the limit.
    fn insert(&mut self, fact: (PredId, Vec<Value>)) -> Option<()> {
        self.inserted.push(fact);
        self.within_limit()
    }

    /// Records a deleted fact; `None` once the change is over the limit.
    fn delete(&mut self, fact: (PredId, Vec<Value>)) -> Option<()> {
        self.deleted.push(fact);
        self.within_limit()
    }

    fn within_limit(&self) -> Option<()> {
        (self.inserted.len() + self.deleted.len() <= self.limit).then_some(())
    }
}

/// The reasoner facts of a snapshot's base facts, as a set.
fn base_facts(
    catalog: &Catalog,
    base: &Base,
    clock: &Clock,
) -> Result<BTreeSet<(PredId, Vec<Value>)>, RuntimeError> {
    let module = &catalog.module;
    let mut facts = BTreeSet::new();
    let mut add = |fact: (PredId, Vec<Value>)| {
        facts.insert(fact);
        if facts.len().is_multiple_of(FACTS_PER_CHECK) {
            clock.check()?;
        }
        Ok::<(), RuntimeError>(())
    };
    for (id, concept) in base
        .individuals
        .iter()
        .chain(base.iofs.iter().map(|(i, c)| (i, c)))
    {
        add((module.concept(*concept).pred, vec![Value::Ref(id.clone())]))?;
    }
    for ((id, field), values) in &base.fields {
        let pred = module.field(*field).pred;
        for v in values {
            add((pred, vec![Value::Ref(id.clone()), v.clone()]))?;
        }
    }
    for (relation, args) in &base.tuples {
        add((module.relations[relation.index()].pred, args.clone()))?;
    }
    Ok(facts)
}

/// The clock part of a cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ClockKey {
    Any,
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

/// The key of one cached fixpoint; the tenant comes first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    tenant: TenantId,
    fork: String,
    generation: u64,
    standpoint: Option<String>,
    valid_at: Option<DateTime<Utc>>,
    clock: ClockKey,
}

impl CacheKey {
    /// The key of the current state of (tenant, fork) at `generation` as seen by a request.
    pub(crate) fn new(
        tenant: &TenantId,
        fork: &str,
        generation: u64,
        standpoint: Option<&str>,
        valid_at: Option<DateTime<Utc>>,
        clock: &Clock,
        clock_use: ClockUse,
    ) -> CacheKey {
        CacheKey {
            tenant: tenant.clone(),
            fork: fork.to_owned(),
            generation,
            standpoint: standpoint.map(str::to_owned),
            valid_at,
            clock: match clock_use {
                ClockUse::None => ClockKey::Any,
                ClockUse::Today => ClockKey::Day(clock.today),
                ClockUse::Now => ClockKey::Instant(clock.now),
            },
        }
    }
}

impl CacheKey {
    /// The key of a scope's latest state: this key at no particular generation.
    pub(crate) fn latest(&self) -> CacheKey {
        CacheKey {
            generation: u64::MAX,
            ..self.clone()
        }
    }
}

/// A small least-recently-used cache of fixpoints. The lock is held only to
/// look up or insert, never while evaluating, so tenants never wait on each other.
pub(crate) struct StateCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    tick: u64,
    entries: HashMap<CacheKey, (Arc<State>, u64)>,
}

impl StateCache {
    /// A cache holding at most `capacity` fixpoints.
    pub(crate) fn new(capacity: usize) -> StateCache {
        StateCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The cached state for `key`, if any.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Arc<State>> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.entries.get_mut(key)?;
        entry.1 = tick;
        Some(entry.0.clone())
    }

    /// Stores a state, evicting the least recently used one when full.
    pub(crate) fn insert(&self, key: CacheKey, state: Arc<State>) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if !inner.entries.contains_key(&key) && inner.entries.len() >= self.capacity {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
            }
        }
        inner.entries.insert(key, (state, tick));
    }

    /// Number of cached states.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().map(|i| i.entries.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tenant: &str, generation: u64) -> CacheKey {
        let clock = Clock {
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            now: Utc::now(),
            deadline: None,
        };
        CacheKey::new(
            &TenantId::parse(tenant).unwrap(),
            "main",
            generation,
            None,
            None,
            &clock,
            ClockUse::None,
        )
    }

    fn state() -> Arc<State> {
        Arc::new(State {
            base: Base::default(),
            facts: FactStore::new(0),
            tx: 0,
            window: ValidWindow::instant(Utc::now()),
            evaluated_at: EvaluatedAt {
                today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                now: Utc::now(),
            },
        })
    }

    #[test]
    fn cache_evicts_the_least_recently_used() {
        let cache = StateCache::new(2);
        cache.insert(key("a", 1), state());
        cache.insert(key("b", 1), state());
        assert!(cache.get(&key("a", 1)).is_some());
        cache.insert(key("c", 1), state());
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key("b", 1)).is_none());
        assert!(cache.get(&key("a", 1)).is_some());
        assert!(cache.get(&key("a", 2)).is_none());
        assert!(cache.get(&key("c", 1)).is_some());
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn window_ends_at_the_first_change() {
        let t = |d| {
            Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0)
                .single()
                .expect("date")
        };
        let w = ValidWindow {
            from: t(2),
            until: Some(t(5)),
        };
        assert!(w.contains(t(2)) && w.contains(t(4)));
        assert!(!w.contains(t(5)) && !w.contains(t(1)));
        let open = ValidWindow {
            from: t(2),
            until: None,
        };
        assert!(open.contains(t(28)));
        assert!(!ValidWindow::instant(t(3)).contains(t(3)));
    }
}

#[cfg(test)]
mod change_tests {
    use super::*;
    use ox_ir::{
        Cardinality, Concept, Field, Module, PackageInfo, Param, PredKind, Predicate, Refinement,
        Relation, Type, Visibility,
    };

    const PERSON: ConceptId = ConceptId(0);
    const ADULT: ConceptId = ConceptId(1);
    const KNOWS: RelationId = RelationId(0);
    const AGE: FieldRef = FieldRef {
        concept: PERSON,
        field: 0,
    };
    const P_PERSON: PredId = PredId(0);
    const P_ADULT: PredId = PredId(1);
    const P_AGE: PredId = PredId(2);
    const P_KNOWS: PredId = PredId(3);

    /// `Person { mut age: Nat }`, `Adult <: Person`, `rel Knows(Person, Person)`.
    fn catalog() -> Catalog {
        let person = Type::Concept(PERSON);
        let param = |name: &str, ty: Type| Param {
            name: name.into(),
            ty,
        };
        let concept = |name: &str, supertypes: Vec<ConceptId>, fields: Vec<Field>, pred| Concept {
            name: name.into(),
            path: format!("m::{name}"),
            metatype: "type".into(),
            visibility: Visibility::Public,
            supertypes,
            fields,
            key: None,
            refinement: Refinement::None,
            pred,
            doc: None,
            cover: Vec::new(),
        };
        let predicate = |name: &str, kind: PredKind, params: Vec<Param>| Predicate {
            name: name.into(),
            path: format!("m::{name}"),
            kind,
            params,
            visibility: Visibility::Public,
            doc: None,
        };
        let age = Field {
            name: "age".into(),
            ty: Type::Nat,
            mutable: true,
            pred: P_AGE,
            doc: None,
        };
        let pair = vec![param("a", person.clone()), param("b", person.clone())];
        Catalog::new(Arc::new(Module {
            package: PackageInfo {
                name: "m".into(),
                version: "0.1.0".into(),
                entry: "src/root.ar".into(),
            },
            concepts: vec![
                concept("Person", vec![], vec![age], P_PERSON),
                concept("Adult", vec![PERSON], vec![], P_ADULT),
            ],
            relations: vec![Relation {
                name: "Knows".into(),
                path: "m::Knows".into(),
                metarel: "rel".into(),
                visibility: Visibility::Public,
                params: pair.clone(),
                cardinalities: vec![Cardinality::ANY, Cardinality::ANY],
                pred: P_KNOWS,
                doc: None,
                supertypes: Vec::new(),
                fields: Vec::new(),
                field_values: None,
            }],
            structs: vec![],
            enums: vec![],
            predicates: vec![
                predicate(
                    "Person",
                    PredKind::Concept(PERSON),
                    vec![param("x", person.clone())],
                ),
                predicate(
                    "Adult",
                    PredKind::Concept(ADULT),
                    vec![param("x", Type::Concept(ADULT))],
                ),
                predicate(
                    "Person.age",
                    PredKind::Field(PERSON, 0),
                    vec![param("x", person), param("v", Type::Nat)],
                ),
                predicate("Knows", PredKind::Relation(KNOWS), pair),
            ],
            rules: vec![],
            checks: vec![],
            queries: vec![],
            mutations: vec![],
            functions: vec![],
            standpoints: vec![],
        }))
    }

    fn id(name: &str) -> Value {
        Value::Ref(name.into())
    }

    /// People `p0..p{n}` aged 30, each knowing the next.
    fn people(n: usize) -> Base {
        let mut base = Base::default();
        for i in 0..n {
            let name = format!("p{i}");
            base.apply(Fact::Individual {
                id: name.clone(),
                concept: PERSON,
            });
            base.apply(Fact::Property {
                id: name,
                field: AGE,
                value: Value::Nat(30),
            });
            if i + 1 < n {
                base.apply(Fact::Tuple {
                    relation: KNOWS,
                    args: vec![id(&format!("p{i}")), id(&format!("p{}", i + 1))],
                });
            }
        }
        base
    }

    /// A clock whose deadline is `deadline`.
    fn clock(deadline: Option<std::time::Instant>) -> Clock {
        Clock {
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            now: Utc::now(),
            deadline,
        }
    }

    #[test]
    fn loading_a_large_base_looks_at_the_deadline_on_the_way() {
        // Three facts per person: more than one look's worth in all.
        let base = people(FACTS_PER_CHECK);
        let passed = std::time::Instant::now()
            .checked_sub(std::time::Duration::from_secs(1))
            .expect("the clock has run for a second");
        let late = base.to_facts(&catalog(), &clock(Some(passed)));
        assert_eq!(late.err().map(|e| e.code), Some(ErrorCode::Timeout));
        let facts = base
            .to_facts(&catalog(), &clock(None))
            .expect("no deadline");
        assert_eq!(facts.len(P_PERSON), FACTS_PER_CHECK);
        assert_eq!(facts.len(P_KNOWS), FACTS_PER_CHECK - 1);
    }

    /// The change from `old` to `new`, each side sorted.
    fn change(old: &Base, new: &Base) -> Option<Change> {
        small_change(&catalog(), old, new).map(|(mut inserted, mut deleted)| {
            inserted.sort();
            deleted.sort();
            (inserted, deleted)
        })
    }

    #[test]
    fn a_replaced_field_value_is_one_deletion_and_one_insertion() {
        let old = people(3);
        let mut new = old.clone();
        new.fields
            .insert(("p1".into(), AGE), BTreeSet::from([Value::Nat(31)]));
        assert_eq!(
            change(&old, &new),
            Some((
                vec![(P_AGE, vec![id("p1"), Value::Nat(31)])],
                vec![(P_AGE, vec![id("p1"), Value::Nat(30)])],
            ))
        );
    }

    #[test]
    fn a_removed_individual_deletes_its_membership_values_and_tuples() {
        let old = people(3);
        let mut new = old.clone();
        new.individuals.remove("p2");
        new.fields.remove(&("p2".to_owned(), AGE));
        new.tuples.remove(&(KNOWS, vec![id("p1"), id("p2")]));
        let (inserted, deleted) = change(&old, &new).expect("a small change");
        assert!(inserted.is_empty());
        assert_eq!(
            deleted,
            vec![
                (P_PERSON, vec![id("p2")]),
                (P_AGE, vec![id("p2"), Value::Nat(30)]),
                (P_KNOWS, vec![id("p1"), id("p2")]),
            ]
        );
    }

    #[test]
    fn a_removed_tuple_and_classification_are_deletions() {
        let mut old = people(3);
        old.apply(Fact::Iof {
            id: "p0".into(),
            concept: ADULT,
        });
        let mut new = old.clone();
        new.tuples.remove(&(KNOWS, vec![id("p0"), id("p1")]));
        new.iofs.remove(&("p0".to_owned(), ADULT));
        assert_eq!(
            change(&old, &new),
            Some((
                vec![],
                vec![
                    (P_ADULT, vec![id("p0")]),
                    (P_KNOWS, vec![id("p0"), id("p1")]),
                ],
            ))
        );
    }

    #[test]
    fn a_membership_still_asserted_another_way_is_not_deleted() {
        let mut old = people(2);
        old.apply(Fact::Iof {
            id: "p0".into(),
            concept: PERSON,
        });
        let mut without_iof = old.clone();
        without_iof.iofs.clear();
        assert_eq!(change(&old, &without_iof), Some((vec![], vec![])));
        let mut reinserted_as_adult = old.clone();
        reinserted_as_adult.individuals.insert("p0".into(), ADULT);
        assert_eq!(
            change(&old, &reinserted_as_adult),
            Some((vec![(P_ADULT, vec![id("p0")])], vec![]))
        );
    }

    #[test]
    fn edits_of_a_copy_spanning_many_tree_nodes_are_found() {
        // Enough entries for trees several nodes deep, so the diff skips shared subtrees.
        let old = people(2000);
        let mut new = old.clone();
        new.fields
            .insert(("p1500".into(), AGE), BTreeSet::from([Value::Nat(31)]));
        new.individuals.remove("p700");
        new.fields.remove(&("p700".to_owned(), AGE));
        new.tuples.remove(&(KNOWS, vec![id("p700"), id("p701")]));
        new.apply(Fact::Iof {
            id: "p3".into(),
            concept: ADULT,
        });
        assert_eq!(
            change(&old, &new),
            Some((
                vec![
                    (P_ADULT, vec![id("p3")]),
                    (P_AGE, vec![id("p1500"), Value::Nat(31)]),
                ],
                vec![
                    (P_PERSON, vec![id("p700")]),
                    (P_AGE, vec![id("p1500"), Value::Nat(30)]),
                    (P_AGE, vec![id("p700"), Value::Nat(30)]),
                    (P_KNOWS, vec![id("p700"), id("p701")]),
                ],
            ))
        );
        assert_eq!(change(&old, &old.clone()), Some((vec![], vec![])));
    }

    #[test]
    fn insertions_and_deletions_count_together_against_the_limit() {
        // 40 individuals, 40 field entries and 39 tuples: at most 119 / 4 + 16 = 45 changes.
        let old = people(40);
        let aged = |count: usize| {
            let mut new = old.clone();
            for i in 0..count {
                new.fields
                    .insert((format!("p{i}"), AGE), BTreeSet::from([Value::Nat(31)]));
            }
            new
        };
        let within = change(&old, &aged(22)).expect("44 changes are within the limit");
        assert_eq!((within.0.len(), within.1.len()), (22, 22));
        assert_eq!(change(&old, &aged(23)), None);
        let mut shrunk = aged(22);
        shrunk.tuples.remove(&(KNOWS, vec![id("p38"), id("p39")]));
        assert!(change(&old, &shrunk).is_some());
        shrunk.tuples.remove(&(KNOWS, vec![id("p37"), id("p38")]));
        assert_eq!(change(&old, &shrunk), None);
    }
}
