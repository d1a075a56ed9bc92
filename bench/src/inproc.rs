//! In-process measurements of the reasoner alone, where a whole process
//! would blur the number: incremental maintenance (insert or delete 1% of
//! the base facts) against a full evaluation, and the cost of recording
//! provenance and of explaining one fact.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::Utc;
use ox_ir::{PredId, Value};
use ox_reasoner::{EvalContext, EvalOptions, ExplainOptions, FactRef, FactStore};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::compare::median;
use crate::datalog;
use crate::oxrun::{self, RunError};
use crate::workload::{Facts, Workload};

/// A base-fact change: `(predicate, tuple)` rows.
pub type Change = Vec<(PredId, Vec<Value>)>;

/// Incremental maintenance on one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementalRow {
    pub workload: Workload,
    /// Whether every evaluation and update recorded witnesses (provenance),
    /// as the runtime's do.
    pub provenance: bool,
    /// Facts inserted, and deleted (1% of the largest base predicate).
    pub changed: usize,
    /// Full evaluation of the base facts with the insertion applied.
    pub full_after_insert: Duration,
    /// The insertion applied in place to a fixpoint no longer needed
    /// (`Program::update_owned`, what a caller replacing its state does).
    pub insert: Duration,
    /// The insertion applied to a copy, keeping the previous fixpoint (`Program::update`).
    pub insert_copying: Duration,
    /// Full evaluation of the base facts with a second 1% insertion
    /// applied after the first.
    pub full_after_next: Duration,
    /// That second insertion applied in place to the fixpoint the first
    /// in-place update left (indexes the first one built are reused).
    pub insert_next: Duration,
    /// Full evaluation of the base facts with the deletion applied.
    pub full_after_delete: Duration,
    /// The deletion applied in place (see `insert`).
    pub delete: Duration,
    /// The deletion applied to a copy (see `insert_copying`).
    pub delete_copying: Duration,
    /// Full evaluation of the base facts with a second 1% deletion
    /// applied after the first.
    pub full_after_next_delete: Duration,
    /// That second deletion applied in place to the fixpoint the first
    /// in-place deletion left (indexes the first one built are reused).
    pub delete_next: Duration,
}

/// Provenance on one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvenanceRow {
    pub workload: Workload,
    pub plain: Duration,
    pub recording: Duration,
    /// Explaining the last derived tuple of the first derived predicate
    /// (down to the base facts).
    pub explain: Duration,
    pub explained_nodes: usize,
    /// Explaining a fact of the same predicate after the 1% deletion of the
    /// incremental table (the same fact if it still holds, else the last
    /// one): a closure then searches its proof along a shortest path.
    pub explain_after_delete: Duration,
    pub explained_nodes_after_delete: usize,
}

/// Why an in-process measurement failed.
#[derive(Debug, thiserror::Error)]
pub enum InProcError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Eval(#[from] ox_reasoner::EvalError),
    #[error("{0}")]
    Mismatch(String),
}

/// A workload ready to measure: its rules, its base facts (drawn from a
/// seed), the rules compiled, and the facts as a store.
struct Setup {
    program: datalog::Program,
    facts: Facts,
    compiled: ox_reasoner::Program,
    initial: FactStore,
}

impl Setup {
    fn of(workload: &Workload, seed: u64) -> Result<Setup, InProcError> {
        let program = workload.program();
        let facts = workload.facts(seed);
        let compiled = oxrun::compile(&program)?;
        let initial = oxrun::store_of(&program, &facts)?;
        Ok(Setup {
            program,
            facts,
            compiled,
            initial,
        })
    }
}

fn ctx() -> EvalContext {
    EvalContext::at(Utc::now())
}

/// The fixpoint of `store`, recording witnesses when `provenance` is set.
fn evaluate(
    compiled: &ox_reasoner::Program,
    store: FactStore,
    provenance: bool,
) -> Result<FactStore, InProcError> {
    Ok(compiled.evaluate_with(store, &ctx(), EvalOptions { provenance })?)
}

/// Times `f` `reps` times and keeps the median.
fn timed<T>(
    reps: usize,
    mut f: impl FnMut() -> Result<T, InProcError>,
) -> Result<(Duration, T), InProcError> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps.max(1) {
        let started = Instant::now();
        let out = f()?;
        times.push(started.elapsed());
        last = Some(out);
    }
    let out = last.ok_or_else(|| InProcError::Mismatch("no run".into()))?;
    Ok((median(&mut times).unwrap_or_default(), out))
}

/// Like [`timed`], but each run first gets its input from `setup`, untimed.
fn timed_with_input<I, T>(
    reps: usize,
    mut setup: impl FnMut() -> Result<I, InProcError>,
    mut f: impl FnMut(I) -> Result<T, InProcError>,
) -> Result<(Duration, T), InProcError> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps.max(1) {
        let input = setup()?;
        let started = Instant::now();
        let out = f(input)?;
        times.push(started.elapsed());
        last = Some(out);
    }
    let out = last.ok_or_else(|| InProcError::Mismatch("no run".into()))?;
    Ok((median(&mut times).unwrap_or_default(), out))
}

/// The position in `facts` of the base predicate with the most rows.
fn largest(facts: &Facts) -> usize {
    facts
        .iter()
        .enumerate()
        .max_by_key(|(_, (_, rows))| rows.len())
        .map_or(0, |(i, _)| i)
}

/// 1% (at least one) of the largest base predicate's rows, to delete, and
/// as many new rows to insert: an existing row with its last column taken
/// from another random row, when that row is new. Seeded, so repeatable.
pub fn one_percent_change(
    program: &datalog::Program,
    facts: &Facts,
    seed: u64,
) -> (Change, Change) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (name, rows) = &facts[largest(facts)];
    let Some(pred) = program.pred_id(name) else {
        return (vec![], vec![]);
    };
    let k = (rows.len() / 100).max(1).min(rows.len());
    let to_values = |row: &[i64]| row.iter().map(|&x| Value::Int(x)).collect::<Vec<_>>();
    let deleted = rand::seq::index::sample(&mut rng, rows.len(), k)
        .into_iter()
        .map(|i| (pred, to_values(&rows[i])))
        .collect();
    let existing: FxHashSet<&[i64]> = rows.iter().map(Vec::as_slice).collect();
    let mut fresh: FxHashSet<Vec<i64>> = FxHashSet::default();
    let mut inserted = Vec::new();
    // Bounded: a saturated relation may have no new row to offer.
    for _ in 0..k * 100 {
        if inserted.len() == k || rows.is_empty() {
            break;
        }
        let mut row = rows[rng.gen_range(0..rows.len())].clone();
        let donor = &rows[rng.gen_range(0..rows.len())];
        if let (Some(last), Some(value)) = (row.last_mut(), donor.last()) {
            *last = *value;
        }
        if !existing.contains(row.as_slice()) && fresh.insert(row.clone()) {
            inserted.push((pred, to_values(&row)));
        }
    }
    (inserted, deleted)
}

/// `facts` with `inserted` added and `deleted` removed, as a store.
fn changed_store(
    program: &datalog::Program,
    facts: &Facts,
    inserted: &Change,
    deleted: &Change,
) -> FactStore {
    let gone: FxHashSet<(PredId, Vec<Value>)> = deleted.iter().cloned().collect();
    let mut store = FactStore::new(program.predicates().count());
    for (name, rows) in facts {
        let Some(pred) = program.pred_id(name) else {
            continue;
        };
        for row in rows {
            let values: Vec<Value> = row.iter().map(|&x| Value::Int(x)).collect();
            let key = (pred, values);
            if !gone.contains(&key) {
                store.insert(pred, key.1);
            }
        }
    }
    for (pred, tuple) in inserted {
        store.insert(*pred, tuple.clone());
    }
    store
}

/// Inserting and deleting 1% of the base facts, each against a full
/// evaluation of the changed base; the updated fixpoint must have exactly
/// the tuples of the full one.
pub fn incremental(
    workload: &Workload,
    seed: u64,
    reps: usize,
    provenance: bool,
) -> Result<IncrementalRow, InProcError> {
    let Setup {
        program,
        facts,
        compiled,
        initial,
    } = Setup::of(workload, seed)?;
    let fixpoint = evaluate(&compiled, initial.clone(), provenance)?;
    let (inserted, deleted) = one_percent_change(&program, &facts, seed ^ 0x5eed);
    let mut row = IncrementalRow {
        workload: *workload,
        provenance,
        changed: deleted.len(),
        full_after_insert: Duration::ZERO,
        insert: Duration::ZERO,
        insert_copying: Duration::ZERO,
        full_after_next: Duration::ZERO,
        insert_next: Duration::ZERO,
        full_after_delete: Duration::ZERO,
        delete: Duration::ZERO,
        delete_copying: Duration::ZERO,
        full_after_next_delete: Duration::ZERO,
        delete_next: Duration::ZERO,
    };
    for (ins, del) in [(&inserted, &vec![]), (&vec![], &deleted)] {
        let base = changed_store(&program, &facts, ins, del);
        let (full, scratch) = timed(reps, || evaluate(&compiled, base.clone(), provenance))?;
        let (copying, updated) =
            timed(reps, || Ok(compiled.update(&fixpoint, ins, del, &ctx())?))?;
        check_same(&program, &scratch, &updated)?;
        // A fixpoint of its own per run (evaluated untimed), shared with
        // nothing: the state a caller that replaces it hands over.
        let (in_place, updated) = timed_with_input(
            reps,
            || evaluate(&compiled, initial.clone(), provenance),
            |own| Ok(compiled.update_owned(own, ins, del, &ctx())?),
        )?;
        check_same(&program, &scratch, &updated)?;
        if ins.is_empty() {
            (row.full_after_next_delete, row.delete_next) = second_change(
                &compiled, &program, &facts, &initial, del, true, seed, reps, provenance,
            )?;
            row.full_after_delete = full;
            row.delete = in_place;
            row.delete_copying = copying;
        } else {
            (row.full_after_next, row.insert_next) = second_change(
                &compiled, &program, &facts, &initial, ins, false, seed, reps, provenance,
            )?;
            row.full_after_insert = full;
            row.insert = in_place;
            row.insert_copying = copying;
        }
    }
    Ok(row)
}

/// A second 1% change of the same kind after the first one (`first`,
/// inserted or deleted as `deleting` says), none of whose facts it repeats:
/// (full evaluation, the update in place of the fixpoint the first in-place
/// update left, with the indexes that one built).
#[allow(clippy::too_many_arguments)]
fn second_change(
    compiled: &ox_reasoner::Program,
    program: &datalog::Program,
    facts: &Facts,
    initial: &FactStore,
    first: &Change,
    deleting: bool,
    seed: u64,
    reps: usize,
    provenance: bool,
) -> Result<(Duration, Duration), InProcError> {
    let (inserted, deleted) = one_percent_change(program, facts, seed ^ 0x0ce5);
    let next: Change = if deleting { deleted } else { inserted };
    let next: Change = next.into_iter().filter(|f| !first.contains(f)).collect();
    let both: Change = first.iter().chain(&next).cloned().collect();
    let split = |change: &'_ Change| -> (Change, Change) {
        if deleting {
            (Vec::new(), change.clone())
        } else {
            (change.clone(), Vec::new())
        }
    };
    let (both_ins, both_del) = split(&both);
    let (first_ins, first_del) = split(first);
    let (next_ins, next_del) = split(&next);
    let base = changed_store(program, facts, &both_ins, &both_del);
    let (full, scratch) = timed(reps, || evaluate(compiled, base.clone(), provenance))?;
    let (update, updated) = timed_with_input(
        reps,
        || {
            let own = evaluate(compiled, initial.clone(), provenance)?;
            Ok(compiled.update_owned(own, &first_ins, &first_del, &ctx())?)
        },
        |own| Ok(compiled.update_owned(own, &next_ins, &next_del, &ctx())?),
    )?;
    check_same(program, &scratch, &updated)?;
    Ok((full, update))
}

/// A stream of 1% insertions applied one after another in place, as a
/// server applying small writes does: each update's time, as a share of one
/// full evaluation of the original base facts.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRow {
    pub workload: Workload,
    /// Median of `reps` full evaluations of the original base facts.
    pub full: Duration,
    /// Per update, in order: the median over `reps` runs of the stream.
    pub updates: Vec<Duration>,
}

/// Applies `count` successive 1% insertions (each drawn like
/// [`one_percent_change`], from its own seed) to a fixpoint of the base
/// facts, in place, `reps` times; the state after the last one must equal a
/// full evaluation of the base facts with every insertion applied.
pub fn stream(
    workload: &Workload,
    seed: u64,
    count: usize,
    reps: usize,
) -> Result<StreamRow, InProcError> {
    let Setup {
        program,
        facts,
        compiled,
        initial,
    } = Setup::of(workload, seed)?;
    let (full, _) = timed(reps, || Ok(oxrun::evaluate(&compiled, initial.clone())?))?;
    let changes: Vec<Change> = (0..count as u64)
        .map(|k| one_percent_change(&program, &facts, seed ^ (0x57ea_0000 + k)).0)
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); count];
    let mut last = None;
    for _ in 0..reps.max(1) {
        let mut state = oxrun::evaluate(&compiled, initial.clone())?;
        for (change, times) in changes.iter().zip(&mut times) {
            let started = Instant::now();
            state = compiled.update_owned(state, change, &[], &ctx())?;
            times.push(started.elapsed());
        }
        last = Some(state);
    }
    let all: Change = changes.concat();
    let expected = compiled.evaluate(changed_store(&program, &facts, &all, &Vec::new()), &ctx())?;
    let last = last.ok_or_else(|| InProcError::Mismatch("no run".into()))?;
    check_same(&program, &expected, &last)?;
    Ok(StreamRow {
        workload: *workload,
        full,
        updates: times
            .iter_mut()
            .map(|t| median(t).unwrap_or_default())
            .collect(),
    })
}

/// The stream table in markdown: one column per update, then their sum.
pub fn stream_markdown(rows: &[StreamRow]) -> String {
    let count = rows.iter().map(|r| r.updates.len()).max().unwrap_or(0);
    let mut out = String::from("| workload | full evaluation |");
    for k in 1..=count {
        let _ = write!(out, " insert {k} |");
    }
    out.push_str(" all inserts |\n|---|---:|");
    out.push_str(&"---:|".repeat(count + 1));
    out.push('\n');
    for r in rows {
        let _ = write!(out, "| {} | {} |", r.workload, ms(r.full));
        for &u in &r.updates {
            let _ = write!(out, " {} |", share(u, r.full));
        }
        let total: Duration = r.updates.iter().sum();
        let _ = writeln!(out, " {} |", share(total, r.full));
    }
    out
}

/// The two fixpoints have the same derived tuples.
fn check_same(
    program: &datalog::Program,
    expected: &FactStore,
    got: &FactStore,
) -> Result<(), InProcError> {
    for p in &program.derived {
        let Some(id) = program.pred_id(p.name) else {
            continue;
        };
        if expected.tuples(id) != got.tuples(id) {
            return Err(InProcError::Mismatch(format!(
                "{}: the update has {} tuples, a full evaluation {}",
                p.name,
                got.len(id),
                expected.len(id)
            )));
        }
    }
    Ok(())
}

/// Evaluation with and without recording witnesses, and one explanation.
pub fn provenance(
    workload: &Workload,
    seed: u64,
    reps: usize,
) -> Result<ProvenanceRow, InProcError> {
    let Setup {
        program,
        facts,
        compiled,
        initial: base,
    } = Setup::of(workload, seed)?;
    let (plain, _) = timed(reps, || Ok(compiled.evaluate(base.clone(), &ctx())?))?;
    let options = EvalOptions { provenance: true };
    let (recording, fixpoint) = timed(reps, || {
        Ok(compiled.evaluate_with(base.clone(), &ctx(), options)?)
    })?;
    let target = program
        .derived
        .first()
        .and_then(|p| program.pred_id(p.name))
        .and_then(|id| fixpoint.tuples(id).pop().map(|t| (id, t)))
        .ok_or_else(|| InProcError::Mismatch("nothing derived to explain".into()))?;
    let (explain, dag) = timed(reps, || {
        Ok(compiled.explain(
            &fixpoint,
            &FactRef::Tuple(target.0, target.1.clone()),
            ExplainOptions::default(),
            &ctx(),
        )?)
    })?;
    let (_, deleted) = one_percent_change(&program, &facts, seed ^ 0x5eed);
    let after = compiled.update(&fixpoint, &[], &deleted, &ctx())?;
    let tuple = if after.contains(target.0, &target.1) {
        Some(target.1.clone())
    } else {
        after.tuples(target.0).pop()
    };
    let tuple = tuple.ok_or_else(|| InProcError::Mismatch("the deletion left nothing".into()))?;
    let (explain_after_delete, dag_after) = timed(reps, || {
        Ok(compiled.explain(
            &after,
            &FactRef::Tuple(target.0, tuple.clone()),
            ExplainOptions::default(),
            &ctx(),
        )?)
    })?;
    Ok(ProvenanceRow {
        workload: *workload,
        plain,
        recording,
        explain,
        explained_nodes: dag.nodes.len(),
        explain_after_delete,
        explained_nodes_after_delete: dag_after.nodes.len(),
    })
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn share(part: Duration, whole: Duration) -> String {
    if whole.is_zero() {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * part.as_secs_f64() / whole.as_secs_f64())
    }
}

/// The incremental table in markdown.
pub fn incremental_markdown(rows: &[IncrementalRow]) -> String {
    let mut out = String::from(
        "| workload | facts changed | full evaluation (after insert) | insert 1% in place | share | insert 1% from a copy | share | full evaluation (after a second insert) | second insert 1% in place | share | full evaluation (after delete) | delete 1% in place | share | delete 1% from a copy | share | full evaluation (after a second delete) | second delete 1% in place | share |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            if r.provenance { " (provenance)" } else { "" },
            r.changed,
            ms(r.full_after_insert),
            ms(r.insert),
            share(r.insert, r.full_after_insert),
            ms(r.insert_copying),
            share(r.insert_copying, r.full_after_insert),
            ms(r.full_after_next),
            ms(r.insert_next),
            share(r.insert_next, r.full_after_next),
            ms(r.full_after_delete),
            ms(r.delete),
            share(r.delete, r.full_after_delete),
            ms(r.delete_copying),
            share(r.delete_copying, r.full_after_delete),
            ms(r.full_after_next_delete),
            ms(r.delete_next),
            share(r.delete_next, r.full_after_next_delete),
        );
    }
    out
}

/// The provenance table in markdown.
pub fn provenance_markdown(rows: &[ProvenanceRow]) -> String {
    let mut out = String::from(
        "| workload | evaluate | evaluate with witnesses | overhead | explain one fact | proof nodes | explain after a 1% deletion | proof nodes |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let overhead = if r.plain.is_zero() {
            "–".into()
        } else {
            format!("{:.2}×", r.recording.as_secs_f64() / r.plain.as_secs_f64())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            ms(r.plain),
            ms(r.recording),
            overhead,
            ms(r.explain),
            r.explained_nodes,
            ms(r.explain_after_delete),
            r.explained_nodes_after_delete,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_percent_change_is_repeatable_and_new() {
        let w = Workload::Tc {
            nodes: 100,
            edges: 300,
        };
        let program = w.program();
        let facts = w.facts(1);
        let (ins, del) = one_percent_change(&program, &facts, 9);
        assert_eq!((ins.len(), del.len()), (3, 3));
        assert_eq!(
            one_percent_change(&program, &facts, 9),
            (ins.clone(), del.clone())
        );
        let base = oxrun::store_of(&program, &facts).expect("loads");
        let edge = program.pred_id("edge").expect("edge");
        assert!(ins
            .iter()
            .all(|(p, t)| *p == edge && !base.contains(edge, t)));
        assert!(del
            .iter()
            .all(|(p, t)| *p == edge && base.contains(edge, t)));
    }

    #[test]
    fn updates_match_full_evaluation_on_small_workloads() {
        for w in [
            Workload::Tc {
                nodes: 80,
                edges: 200,
            },
            Workload::Sg { nodes: 120 },
        ] {
            for provenance in [false, true] {
                let row = incremental(&w, 3, 1, provenance).expect("update equals evaluation");
                assert_eq!(row.changed, (w.facts(3)[0].1.len() / 100).max(1));
                assert_eq!(row.provenance, provenance);
            }
        }
    }

    #[test]
    fn a_stream_of_insertions_ends_where_evaluation_does() {
        let w = Workload::Tc {
            nodes: 60,
            edges: 150,
        };
        let row = stream(&w, 3, 3, 1).expect("the stream equals evaluation");
        assert_eq!(row.updates.len(), 3);
        let table = stream_markdown(&[row]);
        assert!(table.contains("| insert 3 | all inserts |"), "{table}");
    }

    #[test]
    fn provenance_explains_a_derived_fact() {
        let w = Workload::Tc {
            nodes: 30,
            edges: 60,
        };
        let row = provenance(&w, 1, 1).expect("measured");
        assert!(row.explained_nodes >= 2, "a path has a premise");
        assert!(row.explained_nodes_after_delete >= 2, "{row:?}");
        let table = provenance_markdown(&[row]);
        assert!(table.starts_with("| workload | evaluate |"));
        assert!(table.contains("| tc-30-60 |"));
    }
}
