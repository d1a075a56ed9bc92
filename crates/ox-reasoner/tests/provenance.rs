//! Explanations: witnesses, depth limits, every derivation, fact ids,
//! negated premises, and explanations after incremental updates.

mod common;

use common::*;
use ox_reasoner::{EvalOptions, ExplainOptions, FactRef, FactStatus, FactStore, Program};

const RECORD: EvalOptions = EvalOptions { provenance: true };

/// `path(x,y) :- edge(x,y).  path(x,z) :- path(x,y), edge(y,z).`
/// `unreached(x) :- node(x), not path(0, x).`
fn program() -> (ox_ir::Module, [ox_ir::PredId; 4]) {
    let mut m = ModuleBuilder::new();
    let edge = m.pred("edge", 2);
    let path = m.pred("path", 2);
    let node = m.pred("node", 1);
    let unreached = m.pred("unreached", 1);
    m.linear_closure(edge, edge, path);
    m.rule(
        atom(unreached, vec![v(0)]),
        vec![pos(node, vec![v(0)]), neg(path, vec![int(0), v(0)])],
    );
    (m.build(), [edge, path, node, unreached])
}

fn chain() -> (Program, FactStore, [ox_ir::PredId; 4]) {
    let (module, preds) = program();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    // 0 → 1 → 2 → 3 and a shortcut 0 → 2; 9 is isolated.
    insert_pairs(&mut base, preds[0], &[(0, 1), (1, 2), (2, 3), (0, 2)]);
    insert_ints(&mut base, preds[2], [0, 1, 2, 3, 9]);
    let out = program
        .evaluate_with(base, &ctx(), RECORD)
        .expect("evaluates");
    (program, out, preds)
}

#[test]
fn witness_is_a_shortest_proof() {
    let (program, out, [edge, path, ..]) = chain();
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(path, ints(&[0, 3])),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    // path(0,3) via path(0,2) (from the shortcut edge) and edge(2,3): height 2.
    assert_eq!(dag.height(), Some(2));
    let root = &dag.nodes[dag.root];
    assert_eq!(root.status, FactStatus::Derived);
    assert_eq!(root.id, program.fact_id(path, &ints(&[0, 3])));
    let d = &root.derivations[0];
    assert_eq!(d.rule_index, 1);
    let premises: Vec<_> = d
        .premises
        .iter()
        .map(|&p| (dag.nodes[p].pred, dag.nodes[p].tuple.clone()))
        .collect();
    assert_eq!(premises, vec![(path, ints(&[0, 2])), (edge, ints(&[2, 3]))]);
    assert_eq!(dag.nodes[d.premises[1]].status, FactStatus::Base);
    assert!(!dag.edges().is_empty());
}

#[test]
fn depth_limit_truncates_and_ids_find_facts() {
    let (program, out, [_, path, ..]) = chain();
    let id = program.fact_id(path, &ints(&[0, 3]));
    let dag = program
        .explain(
            &out,
            &FactRef::Id(id),
            ExplainOptions {
                depth: Some(1),
                all: false,
            },
            &ctx(),
        )
        .expect("explains");
    let truncated: Vec<_> = dag.nodes.iter().filter(|n| n.truncated).collect();
    assert_eq!(truncated.len(), 1);
    assert_eq!(truncated[0].tuple, ints(&[0, 2]));
    assert_eq!(dag.height(), None);
    let unknown = program.explain(
        &out,
        &FactRef::Id(ox_reasoner::fact_id("nope", &[])),
        ExplainOptions::default(),
        &ctx(),
    );
    assert!(unknown.is_err());
}

#[test]
fn all_derivations_are_recomputed() {
    let (program, out, [_, path, ..]) = chain();
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(path, ints(&[0, 2])),
            ExplainOptions {
                depth: Some(1),
                all: true,
            },
            &ctx(),
        )
        .expect("explains");
    // path(0,2) from edge(0,2), and from path(0,1), edge(1,2).
    assert_eq!(dag.nodes[dag.root].derivations.len(), 2);
}

#[test]
fn negated_premises_are_absent_and_missing_facts_not_held() {
    let (program, out, [_, path, _, unreached]) = chain();
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(unreached, ints(&[9])),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    let d = &dag.nodes[dag.root].derivations[0];
    let absent = &dag.nodes[d.premises[1]];
    assert_eq!(absent.pred, path);
    assert_eq!(absent.tuple, ints(&[0, 9]));
    assert_eq!(
        absent.status,
        FactStatus::Absent {
            stratum: program.strata().stratum_of[path.index()]
        }
    );
    let missing = program
        .explain(
            &out,
            &FactRef::Tuple(path, ints(&[3, 0])),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    assert_eq!(missing.nodes.len(), 1);
    assert_eq!(missing.nodes[0].status, FactStatus::NotHeld);
}

#[test]
fn updates_keep_recording_witnesses() {
    let (program, out, [edge, path, _, unreached]) = chain();
    let updated = program
        .update(
            &out,
            &[(edge, ints(&[3, 9]))],
            &[(edge, ints(&[0, 2]))],
            &ctx(),
        )
        .expect("updates");
    assert!(updated.contains(path, &ints(&[0, 9])));
    assert!(!updated.contains(unreached, &ints(&[9])));
    let dag = program
        .explain(
            &updated,
            &FactRef::Tuple(path, ints(&[0, 3])),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    // Without the shortcut, path(0,3) needs three steps.
    assert_eq!(dag.height(), Some(3));
}

#[test]
fn witnesses_restore_variables_the_head_determines() {
    // loop(x, 7, x) :- edge(x, y), edge(y, x).        (a constant, a repeat)
    // loop(x, 7, x) :- edge(x, y), edge(y, z), edge(z, x).
    // Two rules for one head keep different numbers of bindings per fact.
    let mut m = ModuleBuilder::new();
    let edge = m.pred("edge", 2);
    let looped = m.pred("loop", 3);
    let head = || atom(looped, vec![v(0), int(7), v(0)]);
    m.rule(
        head(),
        vec![pos(edge, vec![v(0), v(1)]), pos(edge, vec![v(1), v(0)])],
    );
    m.rule(
        head(),
        vec![
            pos(edge, vec![v(0), v(1)]),
            pos(edge, vec![v(1), v(2)]),
            pos(edge, vec![v(2), v(0)]),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    // 1 ⇄ 2, and the triangle 3 → 4 → 5 → 3.
    insert_pairs(&mut base, edge, &[(1, 2), (2, 1), (3, 4), (4, 5), (5, 3)]);
    let out = program
        .evaluate_with(base, &ctx(), RECORD)
        .expect("evaluates");
    let explain = |x: i64| {
        let dag = program
            .explain(
                &out,
                &FactRef::Tuple(looped, ints(&[x, 7, x])),
                ExplainOptions::default(),
                &ctx(),
            )
            .expect("explains");
        let d = dag.nodes[dag.root].derivations[0].clone();
        let premises: Vec<_> = d
            .premises
            .iter()
            .map(|&p| dag.nodes[p].tuple.clone())
            .collect();
        (d.rule_index, d.bindings, premises)
    };
    let bound = |pairs: &[(&str, i64)]| -> Vec<(String, ox_ir::Value)> {
        pairs
            .iter()
            .map(|&(name, n)| (name.to_string(), ox_ir::Value::Int(n)))
            .collect()
    };
    assert_eq!(
        explain(1),
        (
            0,
            bound(&[("v0", 1), ("v1", 2)]),
            vec![ints(&[1, 2]), ints(&[2, 1])]
        )
    );
    assert_eq!(
        explain(4),
        (
            1,
            bound(&[("v0", 4), ("v1", 5), ("v2", 3)]),
            vec![ints(&[4, 5]), ints(&[5, 3]), ints(&[3, 4])]
        )
    );
}
