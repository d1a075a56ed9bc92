//! Regression benchmarks of evaluation: transitive closure of a random
//! graph (1,000 nodes / 3,000 edges) and same generation over a random
//! 3,000-node tree. `cargo bench -p ox-reasoner`.
//!
//! The side-by-side comparison with other engines is `bench/` (ox-bench);
//! these only track the reasoner against itself over time.

use std::collections::HashSet;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use ox_ir::{
    Atom, Literal, Module, PackageInfo, PredId, PredKind, Predicate, Rule, RuleOrigin, Term, Value,
    VarId, Visibility,
};
use ox_reasoner::{EvalContext, FactStore, Program};

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A module of two predicates (`base`, `derived`) and the given rules,
/// written over variables `VarId(0..)` and predicate ids 0 (base) and 1.
fn module(rules: Vec<(Atom, Vec<Atom>, u32)>) -> Module {
    let pred = |name: &str| Predicate {
        name: name.into(),
        path: format!("bench::{name}"),
        kind: PredKind::Derived,
        params: vec![],
        visibility: Visibility::Public,
        doc: None,
    };
    Module {
        package: PackageInfo {
            name: "bench".into(),
            version: "0.0.0".into(),
            entry: "src/root.ar".into(),
        },
        concepts: vec![],
        relations: vec![],
        structs: vec![],
        enums: vec![],
        predicates: vec![pred("base"), pred("derived")],
        rules: rules
            .into_iter()
            .enumerate()
            .map(|(clause, (head, body, var_count))| Rule {
                head,
                body: body.into_iter().map(Literal::Pos).collect(),
                var_count,
                var_names: (0..var_count).map(|i| format!("v{i}")).collect(),
                origin: RuleOrigin::Derive {
                    name: "derived".into(),
                    clause: clause as u32,
                },
                defeasibility: ox_ir::Defeasibility::default(),
                standpoint: None,
            })
            .collect(),
        checks: vec![],
        queries: vec![],
        mutations: vec![],
        functions: vec![],
        standpoints: vec![],
    }
}

fn atom(pred: u32, vars: &[u32]) -> Atom {
    Atom {
        pred: PredId(pred),
        args: vars.iter().map(|&v| Term::Var(VarId(v))).collect(),
    }
}

fn store_of(pairs: impl IntoIterator<Item = (u64, u64)>) -> FactStore {
    let mut store = FactStore::new(2);
    for (a, b) in pairs {
        store.insert(PredId(0), vec![Value::Int(a as i64), Value::Int(b as i64)]);
    }
    store
}

/// `derived(x, y) :- base(x, y).  derived(x, z) :- derived(x, y), base(y, z).`
/// over 3,000 distinct random edges between 1,000 nodes.
fn transitive_closure() -> (Program, FactStore) {
    let program = Program::new(&module(vec![
        (atom(1, &[0, 1]), vec![atom(0, &[0, 1])], 2),
        (
            atom(1, &[0, 2]),
            vec![atom(1, &[0, 1]), atom(0, &[1, 2])],
            3,
        ),
    ]))
    .expect("valid rules");
    let mut rng = Rng::new(1);
    let mut edges = HashSet::new();
    while edges.len() < 3_000 {
        let (a, b) = (rng.below(1_000), rng.below(1_000));
        if a != b {
            edges.insert((a, b));
        }
    }
    (program, store_of(edges))
}

/// `derived(x, y) :- base(x, p), base(y, p).`
/// `derived(x, y) :- base(x, a), derived(a, b), base(y, b).`
/// over a random recursive tree of 3,000 nodes (`base(child, parent)`).
fn same_generation() -> (Program, FactStore) {
    let program = Program::new(&module(vec![
        (
            atom(1, &[0, 1]),
            vec![atom(0, &[0, 2]), atom(0, &[1, 2])],
            3,
        ),
        (
            atom(1, &[0, 1]),
            vec![atom(0, &[0, 2]), atom(1, &[2, 3]), atom(0, &[1, 3])],
            4,
        ),
    ]))
    .expect("valid rules");
    let mut rng = Rng::new(1);
    let tree: Vec<(u64, u64)> = (1..3_000u64).map(|c| (c, rng.below(c))).collect();
    (program, store_of(tree))
}

fn bench(c: &mut Criterion) {
    let ctx = EvalContext::at(Utc::now());
    let mut group = c.benchmark_group("evaluate");
    group.sample_size(10);
    for (name, (program, base)) in [
        ("tc-1000-3000", transitive_closure()),
        ("sg-3000", same_generation()),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || base.clone(),
                |store| program.evaluate(store, &ctx).expect("evaluates"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
