//! Narrowed indexes for the first round of an update, and for the rules
//! seeded by the base facts a deletion removes.
//!
//! A rule seeded by a few new facts often probes a large relation on
//! columns that evaluation never indexed: a new `par(c, p)` probes
//! `sg(p, _)`, a new `edge(a, b)` probes `path(_, a)`. Building the whole
//! index would cost a good part of an evaluation, to answer a few dozen
//! keys once. When the probe's values all come from the delta atom that
//! starts the plan (or from the deleted fact that seeds the rule), the keys
//! are known before the joins run: one pass over the relation collects the
//! rows holding them (2–3 ms for a million rows, against about 10 ms for
//! the full index), and that narrowed index serves the round (or the
//! deletion) and is dropped. Later rounds build the full index if they
//! probe the same columns; after two narrowing passes on the same columns,
//! the next update builds it too.

use std::sync::Arc;

use crate::budget::Budget;
use crate::plan::{Access, AtomStep, Lookup, Plan, Src, Step};
use crate::store::{Id, Index, ProbeKeys, Relation};
use crate::EvalError;

/// A relation smaller than this is indexed in full: a scan saves nothing.
const MIN_ROWS: u32 = 4096;

/// The delta may hold at most one row per so many rows of the probed
/// relation: past that, the full index costs little more than the scan.
const ROWS_PER_DELTA_ROW: u32 = 64;

/// Once narrowed indexes on some columns of a relation have scanned it this
/// many times, the next update builds the full index, which serves
/// every later update: a server applying a stream of small changes pays
/// for it once, not a scan per change. Building an index costs two to four
/// scans (TC's `path`, SG's `sg`), so the scans never cost much more than
/// building it at once would have.
const SCANS_BEFORE_INDEXING: u32 = 2;

/// What narrowing gives a round of an update, or a deletion.
pub(crate) struct Narrowed {
    /// Per plan (in order), per index slot: the narrowed index the plan
    /// reads in place of the relation's own, if any.
    pub(crate) indexes: Vec<Vec<Option<Arc<Index>>>>,
    /// The (relation, columns) scanned, to count with the relation
    /// ([`Relation::count_narrowed_scan`]).
    pub(crate) scanned: Vec<(usize, u64)>,
}

/// The narrowed indexes of a round's plans (see [`Narrowed`]). Plans
/// probing the same columns of a relation share one index of all their keys.
pub(crate) fn narrowed_indexes(
    plans: &[&Plan],
    rels: &[Arc<Relation>],
    delta_start: &[u32],
    const_ids: &[Id],
    budget: &Budget,
) -> Result<Narrowed, EvalError> {
    let requests = plans
        .iter()
        .map(|plan| {
            (0..plan.needs.len())
                .map(|slot| delta_probe_keys(plan, slot, rels, delta_start, const_ids))
                .collect()
        })
        .collect();
    build(requests, rels, budget)
}

/// A rule body run once for each of a few tuples, each matched against
/// its seeded atom's arguments (the facts a deletion starts from).
pub(crate) struct SeededRun<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) args: &'a [Src],
    pub(crate) tuples: &'a [&'a [Id]],
}

/// The narrowed indexes of seeded runs (see [`Narrowed`]; its plans are
/// the runs, in order).
pub(crate) fn narrowed_for_seeds(
    runs: &[SeededRun<'_>],
    rels: &[Arc<Relation>],
    const_ids: &[Id],
    budget: &Budget,
) -> Result<Narrowed, EvalError> {
    let requests = runs
        .iter()
        .map(|run| {
            let column_of = |v: u32| run.args.iter().position(|&a| a == Src::Var(v));
            (0..run.plan.needs.len())
                .map(|slot| {
                    let probe = only_reader(&run.plan.steps, slot)?;
                    let (pred, mask) = run.plan.needs[slot];
                    if !worth_narrowing(&rels[pred], mask, run.tuples.len()) {
                        return None;
                    }
                    let tuples = run.tuples.iter().copied();
                    let keys = keys_of(probe, column_of, tuples, const_ids)?;
                    Some(((pred, mask), keys))
                })
                .collect()
        })
        .collect();
    build(requests, rels, budget)
}

/// Builds the narrowed indexes `requests` asks for: per plan, per index
/// slot, the relation and columns with the keys to narrow to, or nothing.
/// Requests for the same columns of a relation share one index. Past the
/// deadline, the scan stops with an error.
#[allow(clippy::type_complexity)]
fn build(
    requests: Vec<Vec<Option<((usize, u64), ProbeKeys)>>>,
    rels: &[Arc<Relation>],
    budget: &Budget,
) -> Result<Narrowed, EvalError> {
    // The (relation, columns) narrowed, with the keys probed on them.
    let mut wanted: Vec<((usize, u64), ProbeKeys)> = Vec::new();
    let mut wanted_at: Vec<Vec<Option<usize>>> = Vec::with_capacity(requests.len());
    for slots in requests {
        let mut at_slots = Vec::with_capacity(slots.len());
        for request in slots {
            at_slots.push(request.map(|(need, keys)| {
                match wanted.iter().position(|(n, _)| *n == need) {
                    Some(w) => {
                        wanted[w].1.merge(&keys);
                        w
                    }
                    None => {
                        wanted.push((need, keys));
                        wanted.len() - 1
                    }
                }
            }));
        }
        wanted_at.push(at_slots);
    }
    let mut built: Vec<Option<Arc<Index>>> = vec![None; wanted.len()];
    let mut preds: Vec<usize> = wanted.iter().map(|((pred, _), _)| *pred).collect();
    preds.sort_unstable();
    preds.dedup();
    for pred in preds {
        let of_pred: Vec<usize> = (0..wanted.len())
            .filter(|&w| wanted[w].0 .0 == pred)
            .collect();
        let masks: Vec<(u64, &ProbeKeys)> = of_pred
            .iter()
            .map(|&w| (wanted[w].0 .1, &wanted[w].1))
            .collect();
        for (&w, index) in of_pred
            .iter()
            .zip(rels[pred].narrowed_indexes(&masks, budget)?)
        {
            built[w] = Some(Arc::new(index));
        }
    }
    let indexes = wanted_at
        .into_iter()
        .map(|slots| {
            slots
                .into_iter()
                .map(|w| w.and_then(|w| built[w].clone()))
                .collect()
        })
        .collect();
    Ok(Narrowed {
        indexes,
        scanned: wanted.into_iter().map(|(need, _)| need).collect(),
    })
}

/// Whether probing `rel` on `mask` with the keys of `probes` tuples is
/// better served by a narrowed index: the relation is large against them,
/// has no index on those columns yet, and has not been scanned for them
/// so often that the index would have been cheaper.
fn worth_narrowing(rel: &Relation, mask: u64, probes: usize) -> bool {
    rel.len() >= MIN_ROWS
        && probes.saturating_mul(ROWS_PER_DELTA_ROW as usize) <= rel.len() as usize
        && !rel.has_index(mask)
        && rel.narrowed_scans(mask) < SCANS_BEFORE_INDEXING
}

/// The keys `plan` will probe index slot `slot` with, when the plan starts
/// from a delta atom, only one atom reads the slot, every value it probes
/// with comes from the delta atom (or a constant), and the relation is
/// worth narrowing (see [`worth_narrowing`]).
fn delta_probe_keys(
    plan: &Plan,
    slot: usize,
    rels: &[Arc<Relation>],
    delta_start: &[u32],
    const_ids: &[Id],
) -> Option<((usize, u64), ProbeKeys)> {
    let Some(Step::Atom(seed)) = plan.steps.first() else {
        return None;
    };
    if seed.access != Access::Delta {
        return None;
    }
    let probe = only_reader(&plan.steps, slot)?;
    let (pred, mask) = plan.needs[slot];
    let seed_rel = &rels[seed.pred];
    let delta = seed_rel.len().saturating_sub(delta_start[seed.pred]);
    if !worth_narrowing(&rels[pred], mask, delta as usize) {
        return None;
    }
    let column_of = |v: u32| {
        seed.binds
            .iter()
            .find(|&&(_, bound)| bound == v)
            .map(|&(col, _)| col)
    };
    let rows = (delta_start[seed.pred]..seed_rel.len())
        .filter(|&r| seed_rel.is_live(r))
        .map(|r| seed_rel.row(r));
    let keys = keys_of(probe, column_of, rows, const_ids)?;
    Some(((pred, mask), keys))
}

/// The keys `probe` is looked up with when each of `tuples` has bound the
/// variables `column_of` finds a column for; `None` when a probed value
/// comes from anywhere else (a variable an earlier step binds).
fn keys_of<'t>(
    probe: &AtomStep,
    column_of: impl Fn(u32) -> Option<usize>,
    tuples: impl Iterator<Item = &'t [Id]>,
    const_ids: &[Id],
) -> Option<ProbeKeys> {
    // Where each probed value comes from: a column of the tuple, or a constant.
    let sources: Vec<Result<usize, Id>> = probe
        .bound
        .iter()
        .map(|&(_, src)| match src {
            Src::Const(c) => Some(Err(const_ids[c as usize])),
            Src::Var(v) => column_of(v).map(Ok),
        })
        .collect::<Option<_>>()?;
    let mut keys = ProbeKeys::default();
    let mut values: Vec<Id> = Vec::with_capacity(sources.len());
    for tuple in tuples {
        values.clear();
        values.extend(sources.iter().map(|source| match *source {
            Ok(col) => tuple[col],
            Err(id) => id,
        }));
        keys.insert(&values);
    }
    Some(keys)
}

/// The one atom of `steps` that reads index slot `slot`, when no other step
/// (nested aggregate bodies included) reads it.
fn only_reader(steps: &[Step], slot: usize) -> Option<&AtomStep> {
    let mut found = None;
    let mut readers = 0;
    count_readers(steps, slot, &mut readers, &mut found, true);
    (readers == 1).then_some(found).flatten()
}

fn count_readers<'p>(
    steps: &'p [Step],
    slot: usize,
    readers: &mut usize,
    found: &mut Option<&'p AtomStep>,
    top_level: bool,
) {
    for step in steps {
        match step {
            Step::Atom(atom) if atom.lookup == Lookup::Index(slot) => {
                *readers += 1;
                if top_level {
                    *found = Some(atom);
                }
            }
            Step::Aggregate(agg) => count_readers(&agg.steps, slot, readers, found, false),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use ox_ir::{Atom, Literal, PredId, Term, Value, VarId};

    use super::*;
    use crate::plan::plan as plan_body;
    use crate::store::key_of;

    const EDGE: usize = 0;
    const PATH: usize = 1;

    fn var(i: u32) -> Term {
        Term::Var(VarId(i))
    }

    fn pos(pred: usize, args: Vec<Term>) -> Literal {
        Literal::Pos(Atom {
            pred: PredId(pred as u32),
            args,
        })
    }

    /// The narrowed indexes of `plans`, without a deadline.
    fn narrowed_now(
        plans: &[&Plan],
        rels: &[Arc<Relation>],
        delta_start: &[u32],
        consts: &[Id],
    ) -> Narrowed {
        narrowed_indexes(plans, rels, delta_start, consts, &Budget::unlimited())
            .expect("no deadline")
    }

    /// `path(x, y), edge(y, z)` planned from a delta of `edge`, plus the
    /// constants the plan uses.
    fn edge_first_plan(body: Vec<Literal>) -> (Plan, Vec<Id>) {
        let mut consts: Vec<Value> = Vec::new();
        let at = |i| if i == 1 { Access::Delta } else { Access::Full };
        let plan = plan_body(&body, &mut [false; 3], Some(1), at, &mut consts).expect("plans");
        // The tests' ids are small integers; a constant names its own id.
        let ids = consts
            .iter()
            .map(|c| match c {
                Value::Int(n) => *n as Id,
                _ => unreachable!("integer constants only"),
            })
            .collect();
        (plan, ids)
    }

    /// `edge` with `edges` rows, the last `new` of them the delta, and
    /// `path` with every pair over `nodes` nodes.
    fn relations(edges: u32, new: u32, nodes: u32) -> (Vec<Arc<Relation>>, Vec<u32>) {
        let mut edge = Relation::new();
        for i in 0..edges {
            assert!(edge.insert(&[i % nodes, (i / nodes + i * 7) % nodes]));
        }
        let mut path = Relation::new();
        for x in 0..nodes {
            for y in 0..nodes {
                path.insert(&[x, y]);
            }
        }
        let delta_start = vec![edge.len() - new, path.len()];
        (vec![Arc::new(edge), Arc::new(path)], delta_start)
    }

    /// `path(x, y), edge(y, z)`.
    fn path_then_edge() -> Vec<Literal> {
        vec![
            pos(PATH, vec![var(0), var(1)]),
            pos(EDGE, vec![var(1), var(2)]),
        ]
    }

    /// The narrowed index plan `at` of `narrowed` reads for `need` (its
    /// plan is `plan`), and the relation's full index on those columns.
    fn narrowed_and_full(
        narrowed: &Narrowed,
        at: usize,
        plan: &Plan,
        rels: &mut [Arc<Relation>],
        need: (usize, u64),
    ) -> (usize, Arc<Index>, Arc<Index>) {
        let slot = plan
            .needs
            .iter()
            .position(|&n| n == need)
            .expect("the plan probes those columns");
        let index = narrowed.indexes[at][slot].clone().expect("narrowed");
        (
            slot,
            index,
            Arc::make_mut(&mut rels[need.0])
                .index_mut(need.1, &Budget::unlimited())
                .expect("no deadline"),
        )
    }

    #[test]
    fn a_small_delta_probes_a_narrowed_index_that_answers_as_the_full_one() {
        let (plan, consts) = edge_first_plan(path_then_edge());
        let (mut rels, delta_start) = relations(40, 3, 80);
        let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        let (slot, index, full) = narrowed_and_full(&narrowed, 0, &plan, &mut rels, (PATH, 0b10));
        let mut answered = 0;
        for y in 0..80 {
            let key = key_of(1, |_| y);
            let probed = (37..40).any(|r| rels[EDGE].row(r)[0] == y);
            if probed {
                assert_eq!(index.rows(key), full.rows(key), "value {y}");
                answered += 1;
            } else {
                assert!(index.rows(key).is_empty(), "value {y} is not probed");
            }
        }
        assert!(answered > 0);
        // Nothing was kept with the relation but the full index built here.
        let again = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        assert!(
            again.indexes[0][slot].is_none(),
            "an existing index is used as it is"
        );
    }

    #[test]
    fn small_relations_large_deltas_and_unknown_probes_use_full_indexes() {
        let (plan, consts) = edge_first_plan(path_then_edge());
        // `path` below the size worth a scan.
        let (rels, delta_start) = relations(40, 3, 60);
        let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        assert!(narrowed.indexes[0].iter().all(Option::is_none));
        // A delta of more than one row per 64 of `path`.
        let (rels, delta_start) = relations(400, 150, 80);
        let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        assert!(narrowed.indexes[0].iter().all(Option::is_none));
        // `path(z, x)` is probed with `z` from the delta; `path(w, x)` then
        // with `x` from `path(z, x)`, not known before the round.
        let body = vec![
            pos(PATH, vec![var(3), var(0)]),
            pos(EDGE, vec![var(1), var(2)]),
            pos(PATH, vec![var(2), var(0)]),
        ];
        let mut consts_v: Vec<Value> = Vec::new();
        let at = |i| if i == 1 { Access::Delta } else { Access::Full };
        let joined = plan_body(&body, &mut [false; 4], Some(1), at, &mut consts_v).expect("plans");
        let (rels, delta_start) = relations(40, 3, 80);
        let narrowed = narrowed_now(&[&joined], &rels, &delta_start, &[]);
        let first_column = joined.needs.iter().position(|&n| n == (PATH, 0b01));
        let second_column = joined.needs.iter().position(|&n| n == (PATH, 0b10));
        assert!(first_column.is_some_and(|s| narrowed.indexes[0][s].is_some()));
        assert!(second_column.is_some_and(|s| narrowed.indexes[0][s].is_none()));
    }

    #[test]
    fn both_columns_of_a_relation_are_narrowed_in_one_scan() {
        // `path(x, y), edge(y, z)` probes `path` on its second column;
        // `edge(x, y), path(y, z)` on its first: one scan serves both.
        let (by_second, consts) = edge_first_plan(path_then_edge());
        let (by_first, _) = edge_first_plan(vec![
            pos(PATH, vec![var(1), var(2)]),
            pos(EDGE, vec![var(0), var(1)]),
        ]);
        let (mut rels, delta_start) = relations(40, 3, 80);
        let plans = [&by_second, &by_first];
        let narrowed = narrowed_now(&plans, &rels, &delta_start, &consts);
        assert_eq!(narrowed.scanned.len(), 2, "both columns narrowed");
        for (at, column, mask) in [(0, 0, 0b10), (1, 1, 0b01)] {
            let (_, index, full) =
                narrowed_and_full(&narrowed, at, plans[at], &mut rels, (PATH, mask));
            let probed: Vec<u32> = (37..40).map(|r| rels[EDGE].row(r)[column]).collect();
            for value in 0..80 {
                let key = key_of(1, |_| value);
                if probed.contains(&value) {
                    assert_eq!(
                        index.rows(key),
                        full.rows(key),
                        "mask {mask:b}, value {value}"
                    );
                    assert_eq!(index.rows(key).len(), 80);
                } else {
                    assert!(index.rows(key).is_empty(), "mask {mask:b}, value {value}");
                }
            }
        }
    }

    #[test]
    fn a_constant_probe_is_narrowed_to_its_value() {
        // `path(w, 5), edge(y, z)`: the probe's only value is the constant.
        let body = vec![
            pos(PATH, vec![var(0), Term::Const(Value::Int(5))]),
            pos(EDGE, vec![var(1), var(2)]),
        ];
        let (plan, consts) = edge_first_plan(body);
        let (mut rels, delta_start) = relations(40, 3, 80);
        let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        let (_, index, full) = narrowed_and_full(&narrowed, 0, &plan, &mut rels, (PATH, 0b10));
        let five = key_of(1, |_| 5);
        assert_eq!(index.rows(five).len(), 80);
        assert_eq!(index.rows(five), full.rows(five));
        assert!(index.rows(key_of(1, |_| 6)).is_empty());
    }

    #[test]
    fn keys_of_two_columns_are_narrowed_too() {
        // `triple(x, y, w), edge(x, y)`: probed on its first two columns.
        const TRIPLE: usize = 2;
        let body = vec![
            pos(TRIPLE, vec![var(1), var(2), var(0)]),
            pos(EDGE, vec![var(1), var(2)]),
        ];
        let (plan, consts) = edge_first_plan(body);
        let (mut rels, delta_start) = relations(40, 3, 80);
        let mut triple = Relation::new();
        for i in 0..6000u32 {
            triple.insert(&[i % 80, (i / 80 + i * 7) % 80, i]);
        }
        rels.push(Arc::new(triple));
        let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        let (_, index, full) = narrowed_and_full(&narrowed, 0, &plan, &mut rels, (TRIPLE, 0b11));
        let mut found = 0;
        for r in 0..40 {
            let edge = rels[EDGE].row(r);
            let key = key_of(2, |i| edge[i]);
            if r >= 37 {
                assert_eq!(index.rows(key), full.rows(key));
                found += full.rows(key).len();
            } else if (37..40).all(|d| rels[EDGE].row(d) != edge) {
                assert!(index.rows(key).is_empty());
            }
        }
        assert!(found > 0, "the new edges match some triples");
    }

    #[test]
    fn a_relation_scanned_twice_for_some_columns_gets_their_index() {
        let (plan, consts) = edge_first_plan(path_then_edge());
        let (mut rels, delta_start) = relations(40, 3, 80);
        let slot = plan
            .needs
            .iter()
            .position(|&need| need == (PATH, 0b10))
            .expect("path is probed on its second column");
        for update in 0..SCANS_BEFORE_INDEXING {
            let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
            assert!(narrowed.indexes[0][slot].is_some(), "update {update}");
            assert_eq!(narrowed.scanned, vec![(PATH, 0b10)]);
            Arc::make_mut(&mut rels[PATH]).count_narrowed_scan(0b10);
        }
        let narrowed = narrowed_now(&[&plan], &rels, &delta_start, &consts);
        assert!(narrowed.indexes[0][slot].is_none());
        assert!(narrowed.scanned.is_empty());
    }

    #[test]
    fn a_rule_seeded_by_deleted_facts_probes_only_their_keys() {
        // `path(x, y)` with `edge(y, z)` bound: each deleted edge probes
        // `path(_, y)`.
        let body = vec![pos(PATH, vec![var(0), var(1)])];
        let mut bound = [false, true, true];
        let mut consts: Vec<Value> = Vec::new();
        let plan =
            plan_body(&body, &mut bound, None, |_| Access::Full, &mut consts).expect("plans");
        let (mut rels, _) = relations(40, 3, 80);
        let deleted: Vec<&[Id]> = vec![&[3, 9], &[7, 1]];
        let args = [Src::Var(1), Src::Var(2)];
        let run = SeededRun {
            plan: &plan,
            args: &args,
            tuples: &deleted,
        };
        let narrowed =
            narrowed_for_seeds(&[run], &rels, &[], &Budget::unlimited()).expect("no deadline");
        assert_eq!(narrowed.scanned, vec![(PATH, 0b10)]);
        let (_, index, full) = narrowed_and_full(&narrowed, 0, &plan, &mut rels, (PATH, 0b10));
        for y in 0..80 {
            let key = key_of(1, |_| y);
            if y == 3 || y == 7 {
                assert_eq!(index.rows(key), full.rows(key));
                assert_eq!(index.rows(key).len(), 80);
            } else {
                assert!(index.rows(key).is_empty());
            }
        }
    }
}
