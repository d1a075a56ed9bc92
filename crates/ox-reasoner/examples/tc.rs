//! Transitive closure of a random graph: a quick sanity check of speed.
//!
//! `cargo run --release -p ox-reasoner --example tc [nodes] [edges] [seed] [runs] [--provenance] [--update]`
//! (defaults: 1,000 nodes, 3,000 distinct edges, seed 1, 3 runs). Prints the
//! time of each evaluation (the best is the least disturbed by other load),
//! the number of tuples, and the time to sort and decode them.
//!
//! `--provenance` also evaluates with witnesses recorded and prints the
//! ratio of the best times. `--update` inserts 1% new edges into the
//! fixpoint and deletes 1% of the edges with [`Program::update`], and prints
//! their times against the best full evaluation.

use std::time::Instant;

use chrono::Utc;
use ox_ir::{
    Atom, Literal, Module, PackageInfo, PredId, PredKind, Predicate, Rule, RuleOrigin, Term, Value,
    VarId, Visibility,
};
use ox_reasoner::{EvalContext, EvalOptions, FactStore, Program};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let nodes = args.first().copied().unwrap_or(1_000);
    let edges = args.get(1).copied().unwrap_or(3_000);
    let seed = args.get(2).copied().unwrap_or(1);
    let runs = args.get(3).copied().unwrap_or(3).max(1);
    let flag = |name: &str| std::env::args().any(|a| a == name);

    let module = tc_module();
    let (edge, path) = (PredId(0), PredId(1));
    let program = Program::new(&module).expect("the program is valid");

    // xorshift64*: a fixed, dependency-free pseudo-random graph.
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let started = Instant::now();
    let mut base = FactStore::new(module.predicates.len());
    while (base.len(edge) as u64) < edges {
        let (a, b) = (next() % nodes, next() % nodes);
        base.insert(edge, vec![Value::Int(a as i64), Value::Int(b as i64)]);
    }
    let loaded = started.elapsed();

    println!("graph: {nodes} nodes, {edges} edges (seed {seed}), loaded in {loaded:.2?}");
    let ctx = EvalContext::at(Utc::now());
    let mut best = None;
    let mut out = None;
    for run in 1..=runs {
        let input = base.clone();
        let started = Instant::now();
        let result = program
            .evaluate(input, &ctx)
            .expect("no deadline, no arithmetic");
        let took = started.elapsed();
        println!(
            "run {run}: path has {} tuples, evaluated in {took:.2?}",
            result.len(path)
        );
        best = Some(best.map_or(took, |b: std::time::Duration| b.min(took)));
        out = Some(result);
    }
    let out = out.expect("at least one run");
    let best = best.expect("at least one run");

    if flag("--provenance") {
        let mut best_prov = None;
        for run in 1..=runs {
            let input = base.clone();
            let started = Instant::now();
            let result = program
                .evaluate_with(input, &ctx, EvalOptions { provenance: true })
                .expect("no deadline, no arithmetic");
            let took = started.elapsed();
            println!(
                "provenance run {run}: path has {} tuples, evaluated in {took:.2?}",
                result.len(path)
            );
            best_prov = Some(best_prov.map_or(took, |b: std::time::Duration| b.min(took)));
        }
        let best_prov = best_prov.expect("at least one run");
        println!(
            "provenance: best {best_prov:.2?} vs {best:.2?} without: {:.2}x",
            best_prov.as_secs_f64() / best.as_secs_f64()
        );
    }

    if flag("--update") {
        let count = (edges / 100).max(1);
        let mut inserted = Vec::new();
        let mut probe = out.clone();
        while (inserted.len() as u64) < count {
            let (a, b) = (next() % nodes, next() % nodes);
            let tuple = vec![Value::Int(a as i64), Value::Int(b as i64)];
            if probe.insert(edge, tuple.clone()) {
                inserted.push((edge, tuple));
            }
        }
        let all_edges = base.tuples(edge);
        let step = (all_edges.len() / count as usize).max(1);
        let deleted: Vec<(PredId, Vec<Value>)> = all_edges
            .into_iter()
            .step_by(step)
            .take(count as usize)
            .map(|t| (edge, t))
            .collect();
        for run in 1..=runs {
            let started = Instant::now();
            let after_insert = program
                .update(&out, &inserted, &[], &ctx)
                .expect("no deadline, no arithmetic");
            let insert_took = started.elapsed();
            let started = Instant::now();
            let after_delete = program
                .update(&out, &[], &deleted, &ctx)
                .expect("no deadline, no arithmetic");
            let delete_took = started.elapsed();
            println!(
                "update run {run}: insert {count} edges in {insert_took:.2?} ({:.1}% of a full evaluation, path {}), delete {count} edges in {delete_took:.2?} ({:.1}%, path {})",
                100.0 * insert_took.as_secs_f64() / best.as_secs_f64(),
                after_insert.len(path),
                100.0 * delete_took.as_secs_f64() / best.as_secs_f64(),
                after_delete.len(path),
            );
        }
    }

    let started = Instant::now();
    let sorted = out.tuples(path);
    let decoded = started.elapsed();

    println!("best: {} tuples in {best:.2?}", out.len(path));
    println!(
        "sorted and decoded {} tuples in {decoded:.2?}",
        sorted.len()
    );
}

/// `path(x, y) :- edge(x, y).  path(x, z) :- path(x, y), edge(y, z).`
fn tc_module() -> Module {
    let pred = |name: &str| Predicate {
        name: name.into(),
        path: format!("tc::{name}"),
        kind: PredKind::Derived,
        params: vec![],
        visibility: Visibility::Public,
        doc: None,
    };
    let v = |i| Term::Var(VarId(i));
    let atom = |p, args| Atom {
        pred: PredId(p),
        args,
    };
    let rule = |head, body, var_count, clause| Rule {
        head,
        body,
        var_count,
        var_names: ["x", "y", "z"][..var_count as usize]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        origin: RuleOrigin::Derive {
            name: "path".into(),
            clause,
        },
        defeasibility: ox_ir::Defeasibility::default(),
        standpoint: None,
    };
    Module {
        package: PackageInfo {
            name: "tc".into(),
            version: "0.0.0".into(),
            entry: "src/root.ar".into(),
        },
        concepts: vec![],
        relations: vec![],
        structs: vec![],
        enums: vec![],
        predicates: vec![pred("edge"), pred("path")],
        rules: vec![
            rule(
                atom(1, vec![v(0), v(1)]),
                vec![Literal::Pos(atom(0, vec![v(0), v(1)]))],
                2,
                0,
            ),
            rule(
                atom(1, vec![v(0), v(2)]),
                vec![
                    Literal::Pos(atom(1, vec![v(0), v(1)])),
                    Literal::Pos(atom(0, vec![v(1), v(2)])),
                ],
                3,
                1,
            ),
        ],
        checks: vec![],
        queries: vec![],
        mutations: vec![],
        functions: vec![],
        standpoints: vec![],
    }
}
