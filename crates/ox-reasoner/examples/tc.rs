//! Transitive closure of a random graph: a quick sanity check of speed.
//!
//! `cargo run --release -p ox-reasoner --example tc [nodes] [edges] [seed] [runs]`
//! (defaults: 1,000 nodes, 3,000 distinct edges, seed 1, 3 runs). Prints the
//! time of each evaluation (the best is the least disturbed by other load),
//! the number of tuples, and the time to sort and decode them.

use std::time::Instant;

use chrono::Utc;
use ox_ir::{
    Atom, Literal, Module, PackageInfo, PredId, PredKind, Predicate, Rule, RuleOrigin, Term, Value,
    VarId, Visibility,
};
use ox_reasoner::{EvalContext, FactStore, Program};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let nodes = args.first().copied().unwrap_or(1_000);
    let edges = args.get(1).copied().unwrap_or(3_000);
    let seed = args.get(2).copied().unwrap_or(1);
    let runs = args.get(3).copied().unwrap_or(3).max(1);

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

    let started = Instant::now();
    let sorted = out.tuples(path);
    let decoded = started.elapsed();

    println!(
        "best: {} tuples in {:.2?}",
        out.len(path),
        best.expect("at least one run")
    );
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
