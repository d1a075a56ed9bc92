//! How long the reasoner runs on past its deadline (in process): an
//! evaluation and a first deletion over one large relation, each given a
//! deadline a few milliseconds away and timed until it returns. Both start
//! with a pass over the whole relation (building an index, recording the
//! rows of its key set), the steps that once ran to their end whatever the
//! deadline.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::Utc;
use ox_ir::{PredId, Value};
use ox_reasoner::{EvalContext, EvalError, EvalOptions, FactStore};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::compare::median;
use crate::datalog::{atom, rule, v, Pred, Program};
use crate::inproc::InProcError;
use crate::oxrun;

/// What a run given a deadline did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stopped with `DeadlineExceeded` after this long.
    Stopped(Duration),
    /// Finished before the deadline, in this long.
    Finished(Duration),
}

/// One deadline's runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRow {
    pub deadline: Duration,
    /// Evaluating the base facts (the first join builds an index on the
    /// whole relation).
    pub evaluation: Outcome,
    /// Deleting a few base facts from a copy of the fixpoint (the first
    /// row lookup records the rows of the whole relation).
    pub deletion: Outcome,
}

/// The measurement: the relation's size, a row per deadline, and how long
/// freeing the evaluation's input takes where the caller waits for it (a
/// store this large, handed over to an evaluation that stops, is freed on
/// a thread of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineReport {
    pub pairs: usize,
    pub rows: Vec<DeadlineRow>,
    pub freeing_input: Duration,
}

/// `edge` pairs and one rule deriving `head` (its predicate's columns named
/// by `vars`) from the `edge` atoms of `body`.
fn over_edges(
    head: &'static str,
    vars: &[&'static str],
    body: &[(&'static str, &'static str)],
) -> Program {
    Program {
        base: vec![Pred {
            name: "edge",
            arity: 2,
        }],
        derived: vec![Pred {
            name: head,
            arity: vars.len(),
        }],
        rules: vec![rule(
            atom(head, vars.iter().map(|&x| v(x)).collect()),
            body.iter()
                .map(|&(a, b)| atom("edge", vec![v(a), v(b)]))
                .collect(),
        )],
    }
}

/// `pairs` random pairs among as many nodes, seeded.
fn random_edges(pairs: usize, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nodes = pairs.max(1) as i64;
    (0..pairs)
        .map(|_| vec![rng.gen_range(0..nodes), rng.gen_range(0..nodes)])
        .collect()
}

/// `edge` pairs among as many nodes, and triangles of them: evaluation
/// builds an index on all of `edge` before the first triangle.
fn triangles() -> Program {
    over_edges(
        "triangle",
        &["x", "z"],
        &[("x", "y"), ("y", "z"), ("z", "x")],
    )
}

/// Times evaluations and first deletions over `pairs` random edges with
/// each of `deadlines` (the median of `reps` runs each).
pub fn deadline(
    pairs: usize,
    deadlines: &[Duration],
    reps: usize,
    seed: u64,
) -> Result<DeadlineReport, InProcError> {
    let program = triangles();
    let edges = random_edges(pairs, seed);
    let compiled = oxrun::compile(&program)?;
    let facts = vec![("edge", edges)];
    // Every run starts from a store of its own: a copy would share the
    // relations, and with them the index or rows an earlier run built.
    let base = || oxrun::store_of(&program, &facts);
    let fixpoint = || -> Result<FactStore, InProcError> {
        Ok(compiled.evaluate(base()?, &EvalContext::at(Utc::now()))?)
    };
    let deleted: Vec<(PredId, Vec<Value>)> = facts[0]
        .1
        .iter()
        .take(10)
        .map(|e| (PredId(0), e.iter().map(|&x| Value::Int(x)).collect()))
        .collect();
    let mut rows = Vec::new();
    for &limit in deadlines {
        let evaluation = outcome(
            reps,
            limit,
            || Ok(base()?),
            |input, ctx| {
                let evaluated = compiled.evaluate_with(input, ctx, EvalOptions::default());
                (evaluated.map(drop), None)
            },
        )?;
        // From a copy, as the runtime does: the copy shares the fixpoint's
        // relations, so stopping frees little.
        let deletion = outcome(reps, limit, fixpoint, |previous, ctx| {
            let updated = compiled.update(&previous, &[], &deleted, ctx);
            (updated.map(drop), Some(previous))
        })?;
        rows.push(DeadlineRow {
            deadline: limit,
            evaluation,
            deletion,
        });
    }
    let mut frees = Vec::new();
    for _ in 0..reps.max(1) {
        let input = base()?;
        let started = Instant::now();
        drop(input);
        frees.push(started.elapsed());
    }
    Ok(DeadlineReport {
        pairs,
        rows,
        freeing_input: median(&mut frees).unwrap_or_default(),
    })
}

/// `edge` pairs and the two-step paths through them, as triples: a
/// three-column relation of millions of tuples, whose key set grows
/// several times during the evaluation.
fn two_step_paths() -> Program {
    over_edges("hop", &["x", "y", "z"], &[("x", "y"), ("y", "z")])
}

/// How far past its deadline an evaluation returned, for deadlines spread
/// over its whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub pairs: usize,
    /// The evaluation without a deadline.
    pub unbounded: Duration,
    /// (deadline, time from the deadline to the return) per stopped run.
    pub overshoots: Vec<(Duration, Duration)>,
}

/// Evaluates two-step paths over `pairs` random edges with a deadline
/// every `step` from `step` on, until a run finishes before it: how late
/// each stopped run returned. Each run starts from a store of its own.
pub fn sweep(pairs: usize, step: Duration, seed: u64) -> Result<SweepReport, InProcError> {
    let program = two_step_paths();
    let edges = random_edges(pairs, seed);
    let compiled = oxrun::compile(&program)?;
    let facts = vec![("edge", edges)];
    let input = oxrun::store_of(&program, &facts)?;
    let started = Instant::now();
    let fixpoint = compiled.evaluate(input, &EvalContext::at(Utc::now()))?;
    let unbounded = started.elapsed();
    drop(fixpoint);
    let mut overshoots = Vec::new();
    let mut limit = step.max(Duration::from_millis(1));
    loop {
        let ran = outcome(
            1,
            limit,
            || Ok(oxrun::store_of(&program, &facts)?),
            |input, ctx| {
                let evaluated = compiled.evaluate_with(input, ctx, EvalOptions::default());
                (evaluated.map(drop), None)
            },
        )?;
        match ran {
            Outcome::Stopped(took) => overshoots.push((limit, took.saturating_sub(limit))),
            Outcome::Finished(_) => break,
        }
        limit += step;
    }
    Ok(SweepReport {
        pairs,
        unbounded,
        overshoots,
    })
}

/// The sweep as a Markdown table: its worst and median overshoot.
pub fn sweep_markdown(report: &SweepReport) -> String {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mut late: Vec<Duration> = report.overshoots.iter().map(|&(_, o)| o).collect();
    let worst = late.iter().max().copied().unwrap_or_default();
    let (first, last) = match (report.overshoots.first(), report.overshoots.last()) {
        (Some(&(a, _)), Some(&(b, _))) => (ms(a), ms(b)),
        _ => ("–".into(), "–".into()),
    };
    format!(
        "{} `edge` pairs, two-step paths as triples; evaluation without a deadline {}\n\n\
         | deadlines | stopped runs | worst overshoot | median overshoot |\n|---|---:|---:|---:|\n\
         | {first} to {last} | {} | {} | {} |\n",
        report.pairs,
        ms(report.unbounded),
        report.overshoots.len(),
        ms(worst),
        ms(median(&mut late).unwrap_or_default()),
    )
}

/// Runs `run` on a fresh `input` `reps` times with a deadline `limit`
/// away: the median time to stop, or (if any run finished) to finish.
/// What `run` hands back is freed after the clock stops.
fn outcome(
    reps: usize,
    limit: Duration,
    mut input: impl FnMut() -> Result<FactStore, InProcError>,
    mut run: impl FnMut(FactStore, &EvalContext) -> (Result<(), EvalError>, Option<FactStore>),
) -> Result<Outcome, InProcError> {
    let mut stopped = Vec::new();
    let mut finished = Vec::new();
    for _ in 0..reps.max(1) {
        let input = input()?;
        let mut ctx = EvalContext::at(Utc::now());
        let started = Instant::now();
        ctx.deadline = Some(started + limit);
        let (ran, leftover) = run(input, &ctx);
        let took = started.elapsed();
        drop(leftover);
        match ran {
            Ok(()) => finished.push(took),
            Err(EvalError::DeadlineExceeded) => stopped.push(took),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(match median(&mut finished) {
        Some(took) => Outcome::Finished(took),
        None => Outcome::Stopped(median(&mut stopped).unwrap_or_default()),
    })
}

/// The report as a Markdown table.
pub fn deadline_markdown(report: &DeadlineReport) -> String {
    let show = |o: Outcome| match o {
        Outcome::Stopped(d) => format!("stopped after {:.1} ms", d.as_secs_f64() * 1e3),
        Outcome::Finished(d) => format!("finished in {:.1} ms", d.as_secs_f64() * 1e3),
    };
    let mut out = format!(
        "{} `edge` pairs; freeing the evaluation's input where the caller waits would take {:.1} ms\n\n\
         | deadline | evaluation | first deletion |\n|---:|---|---|\n",
        report.pairs,
        report.freeing_input.as_secs_f64() * 1e3
    );
    for row in &report.rows {
        let _ = writeln!(
            out,
            "| {} ms | {} | {} |",
            row.deadline.as_millis(),
            show(row.evaluation),
            show(row.deletion)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_with_time_to_spare_finish_and_are_reported_so() {
        let report = deadline(2_000, &[Duration::from_secs(60)], 1, 7).expect("runs");
        assert_eq!(report.rows.len(), 1);
        let row = &report.rows[0];
        assert!(matches!(row.evaluation, Outcome::Finished(_)), "{row:?}");
        assert!(matches!(row.deletion, Outcome::Finished(_)), "{row:?}");
        let table = deadline_markdown(&report);
        assert!(table.starts_with("2000 `edge` pairs"), "{table}");
        assert!(table.contains("| 60000 ms | finished in "), "{table}");
    }

    #[test]
    fn a_sweep_stops_runs_until_one_finishes() {
        let report = sweep(3_000, Duration::from_secs(60), 7).expect("runs");
        assert!(report.overshoots.is_empty(), "{report:?}");
        let table = sweep_markdown(&report);
        assert!(table.starts_with("3000 `edge` pairs"), "{table}");
        assert!(table.contains("| – to – | 0 |"), "{table}");
    }
}
