//! Rule-body aggregates built as IR: grouping, empty groups, updates,
//! arithmetic errors and recursion through an aggregate.

mod common;

use common::*;
use ox_ir::{AggKind, Literal, Module, PredId, Value, VarId};
use ox_reasoner::{
    EvalError, EvalOptions, ExplainOptions, FactRef, FactStatus, FactStore, Program, ProgramError,
    AGGREGATE_WITNESS_CAP,
};

fn aggregate(
    result: u32,
    kind: AggKind,
    group_by: &[u32],
    body: Vec<Literal>,
    value: Option<u32>,
) -> Literal {
    Literal::Aggregate {
        result: VarId(result),
        kind,
        group_by: group_by.iter().map(|&v| VarId(v)).collect(),
        body,
        value: value.map(ev),
        zero: None,
    }
}

/// `stat(p, n) :- node(p), n = kind { edge(p, q), w(q, x) [, x] }`.
fn program(kind: AggKind) -> (Module, [PredId; 4]) {
    let mut m = ModuleBuilder::new();
    let node = m.pred("node", 1);
    let edge = m.pred("edge", 2);
    let weight = m.pred("weight", 2);
    let stat = m.pred("stat", 2);
    let value = (kind != AggKind::Count).then_some(3);
    m.rule(
        atom(stat, vec![v(0), v(1)]),
        vec![
            pos(node, vec![v(0)]),
            aggregate(
                1,
                kind,
                &[0],
                vec![pos(edge, vec![v(0), v(2)]), pos(weight, vec![v(2), v(3)])],
                value,
            ),
        ],
    );
    (m.build(), [node, edge, weight, stat])
}

fn base(preds: [PredId; 4], module: &Module) -> FactStore {
    let [node, edge, weight, _] = preds;
    let mut store = FactStore::new(module.predicates.len());
    insert_ints(&mut store, node, [1, 2, 3]);
    insert_pairs(&mut store, edge, &[(1, 10), (1, 11), (2, 10)]);
    insert_pairs(&mut store, weight, &[(10, 5), (11, 7)]);
    store
}

#[test]
fn each_kind_per_group() {
    let expect = |kind, rows: Vec<Vec<Value>>| {
        let (module, preds) = program(kind);
        let program = Program::new(&module).expect("valid");
        let out = program
            .evaluate(base(preds, &module), &ctx())
            .expect("evaluates");
        assert_eq!(out.tuples(preds[3]), rows, "{kind:?}");
    };
    let row = |p: i64, v: Value| vec![Value::Int(p), v];
    expect(
        AggKind::Count,
        vec![
            row(1, Value::Nat(2)),
            row(2, Value::Nat(1)),
            row(3, Value::Nat(0)),
        ],
    );
    expect(
        AggKind::Sum,
        vec![
            row(1, Value::Int(12)),
            row(2, Value::Int(5)),
            row(3, Value::Int(0)),
        ],
    );
    expect(
        AggKind::Min,
        vec![row(1, Value::Int(5)), row(2, Value::Int(5))],
    );
    expect(
        AggKind::Max,
        vec![row(1, Value::Int(7)), row(2, Value::Int(5))],
    );
    expect(
        AggKind::Avg,
        vec![
            row(1, Value::Decimal(6.into())),
            row(2, Value::Decimal(5.into())),
        ],
    );
}

#[test]
fn sum_of_nothing_is_the_zero_the_module_gives() {
    let (mut module, preds) = program(AggKind::Sum);
    let zero = Value::Money(ox_ir::Money {
        amount: 0.into(),
        currency: None,
    });
    for rule in &mut module.rules {
        for literal in &mut rule.body {
            if let Literal::Aggregate { zero: z, .. } = literal {
                *z = Some(zero.clone());
            }
        }
    }
    let program = Program::new(&module).expect("valid");
    let out = program
        .evaluate(base(preds, &module), &ctx())
        .expect("evaluates");
    let group = |p: i64| {
        out.tuples(preds[3])
            .into_iter()
            .find(|row| row[0] == Value::Int(p))
    };
    // Only the empty group takes the zero; the others are the plain sum.
    assert_eq!(group(3), Some(vec![Value::Int(3), zero]));
    assert_eq!(group(1), Some(vec![Value::Int(1), Value::Int(12)]));
}

#[test]
fn updates_recompute_aggregates() {
    let (module, preds) = program(AggKind::Sum);
    let [_, edge, weight, stat] = preds;
    let program = Program::new(&module).expect("valid");
    let before = program
        .evaluate(base(preds, &module), &ctx())
        .expect("evaluates");
    let inserted = vec![(edge, ints(&[3, 11])), (weight, ints(&[12, 1]))];
    let deleted = vec![(edge, ints(&[1, 10]))];
    let updated = program
        .update(&before, &inserted, &deleted, &ctx())
        .expect("updates");
    let mut scratch = base(preds, &module);
    for (p, t) in &inserted {
        scratch.insert(*p, t.clone());
    }
    let mut rebuilt = FactStore::new(module.predicates.len());
    for p in 0..module.predicates.len() as u32 {
        let p = PredId(p);
        if p == stat {
            continue;
        }
        for t in scratch.tuples(p) {
            if !deleted.contains(&(p, t.clone())) {
                rebuilt.insert(p, t);
            }
        }
    }
    let expected = program.evaluate(rebuilt, &ctx()).expect("evaluates");
    assert_eq!(updated.tuples(stat), expected.tuples(stat));
    assert_eq!(
        updated.tuples(stat),
        vec![
            vec![Value::Int(1), Value::Int(7)],
            vec![Value::Int(2), Value::Int(5)],
            vec![Value::Int(3), Value::Int(7)],
        ]
    );
}

#[test]
fn overflow_in_a_sum_is_an_error() {
    let (module, preds) = program(AggKind::Sum);
    let program = Program::new(&module).expect("valid");
    let mut store = base(preds, &module);
    insert_pairs(&mut store, preds[1], &[(1, 12)]);
    insert_pairs(&mut store, preds[2], &[(12, i64::MAX)]);
    assert!(matches!(
        program.evaluate(store, &ctx()),
        Err(EvalError::Value { .. })
    ));
}

#[test]
fn recursion_through_an_aggregate_is_refused() {
    // p(x, n) :- q(x), n = count { p(x, m) }.
    let mut m = ModuleBuilder::new();
    let q = m.pred("q", 1);
    let p = m.pred("p", 2);
    m.rule(
        atom(p, vec![v(0), v(1)]),
        vec![
            pos(q, vec![v(0)]),
            aggregate(
                1,
                AggKind::Count,
                &[0],
                vec![pos(p, vec![v(0), v(2)])],
                None,
            ),
        ],
    );
    match Program::new(&m.build()) {
        Err(err @ ProgramError::NotStratifiable { .. }) => {
            assert!(err.to_string().contains("aggregate"), "{err}")
        }
        other => panic!("expected a stratification error, got {other:?}"),
    }
}

#[test]
fn explanations_show_the_witness_set_of_an_aggregate() {
    let (module, preds) = program(AggKind::Sum);
    let [node, edge, weight, stat] = preds;
    let program = Program::new(&module).expect("valid");
    let out = program
        .evaluate_with(
            base(preds, &module),
            &ctx(),
            EvalOptions { provenance: true },
        )
        .expect("evaluates");
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(stat, vec![Value::Int(1), Value::Int(12)]),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    let d = &dag.nodes[dag.root].derivations[0];
    assert_eq!(d.aggregates.len(), 1);
    let agg = &d.aggregates[0];
    assert_eq!(agg.kind, AggKind::Sum);
    assert_eq!(agg.value, Value::Int(12));
    assert_eq!(agg.group, vec![("v0".to_owned(), Value::Int(1))]);
    assert_eq!(agg.solutions, 2);
    assert_eq!(agg.contributor_count, 4);
    assert!(!agg.truncated);
    let mut contributors: Vec<(PredId, Vec<Value>)> = agg
        .contributors
        .iter()
        .map(|&n| (dag.nodes[n].pred, dag.nodes[n].tuple.clone()))
        .collect();
    contributors.sort();
    let pair = |a, b| vec![Value::Int(a), Value::Int(b)];
    assert_eq!(
        contributors,
        vec![
            (edge, pair(1, 10)),
            (edge, pair(1, 11)),
            (weight, pair(10, 5)),
            (weight, pair(11, 7)),
        ]
    );
    // Contributors are nodes of the proof, explained like premises.
    for &n in &agg.contributors {
        assert_eq!(dag.nodes[n].status, FactStatus::Base);
        assert!(dag.edges().contains(&(dag.root, n)));
    }
    assert_eq!(dag.nodes[d.premises[0]].pred, node);
}

#[test]
fn aggregate_witness_sets_are_capped_with_their_count() {
    let (module, preds) = program(AggKind::Count);
    let [node, edge, _, stat] = preds;
    let program = Program::new(&module).expect("valid");
    let mut store = FactStore::new(module.predicates.len());
    insert_ints(&mut store, node, [1]);
    let n = AGGREGATE_WITNESS_CAP as i64 + 5;
    let weight = preds[2];
    for q in 0..n {
        insert_pairs(&mut store, edge, &[(1, 100 + q)]);
        insert_pairs(&mut store, weight, &[(100 + q, q)]);
    }
    let out = program
        .evaluate_with(store, &ctx(), EvalOptions { provenance: true })
        .expect("evaluates");
    let fact = vec![Value::Int(1), Value::Nat(n as u64)];
    assert!(out.contains(stat, &fact));
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(stat, fact),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    let agg = &dag.nodes[dag.root].derivations[0].aggregates[0];
    assert_eq!(agg.value, Value::Nat(n as u64));
    assert_eq!(agg.solutions, n as usize);
    assert_eq!(agg.contributor_count, 2 * n as usize);
    assert_eq!(agg.contributors.len(), AGGREGATE_WITNESS_CAP);
    assert!(agg.truncated);
    // Listed contributors are the first by fact id.
    let ids: Vec<_> = agg.contributors.iter().map(|&c| &dag.nodes[c].id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}
