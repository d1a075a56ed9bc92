//! Well-founded semantics: win-move on graphs with and without draws,
//! undefined facts downstream, queries, explanations, updates, and a
//! differential test against a direct alternating fixpoint over the graph.

mod common;

use std::collections::BTreeSet;

use common::*;
use ox_ir::{Module, PredId, Value};
use ox_reasoner::{EvalOptions, ExplainOptions, FactRef, FactStatus, FactStore, Program};
use proptest::prelude::*;

/// `win(x) :- move(x, y), not win(y).`
/// `lose(x) :- node(x), not win(x).`
fn win_move() -> (Module, [PredId; 4]) {
    let mut m = ModuleBuilder::new();
    let mv = m.pred("move", 2);
    let node = m.pred("node", 1);
    let win = m.pred("win", 1);
    let lose = m.pred("lose", 1);
    m.rule(
        atom(win, vec![v(0)]),
        vec![pos(mv, vec![v(0), v(1)]), neg(win, vec![v(1)])],
    );
    m.rule(
        atom(lose, vec![v(0)]),
        vec![pos(node, vec![v(0)]), neg(win, vec![v(0)])],
    );
    (m.build(), [mv, node, win, lose])
}

fn play(moves: &[(i64, i64)]) -> (Program, FactStore, [PredId; 4]) {
    let (module, preds) = win_move();
    let program = Program::new(&module).expect("well-founded programs are accepted");
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, preds[0], moves);
    let nodes: BTreeSet<i64> = moves.iter().flat_map(|&(a, b)| [a, b]).collect();
    insert_ints(&mut base, preds[1], nodes);
    let out = program
        .evaluate_with(base, &ctx(), EvalOptions { provenance: true })
        .expect("evaluates");
    (program, out, preds)
}

fn unary(xs: &[i64]) -> Vec<Vec<Value>> {
    xs.iter().map(|&x| vec![Value::Int(x)]).collect()
}

#[test]
fn chain_has_no_draws() {
    // 1 → 2 → 3: 3 is stuck (loses), 2 wins, 1 loses.
    let (_, out, [_, _, win, lose]) = play(&[(1, 2), (2, 3)]);
    assert_eq!(out.tuples(win), unary(&[2]));
    assert_eq!(out.tuples(lose), unary(&[1, 3]));
    assert!(out.undefined(win).is_empty());
    assert!(!out.has_undefined());
}

#[test]
fn two_cycle_is_a_draw() {
    // 1 ⇄ 2: neither can force a win.
    let (_, out, [_, _, win, lose]) = play(&[(1, 2), (2, 1)]);
    assert!(out.tuples(win).is_empty());
    assert!(out.tuples(lose).is_empty());
    assert_eq!(out.undefined(win), unary(&[1, 2]));
    assert_eq!(out.undefined(lose), unary(&[1, 2]));
    assert!(out.is_undefined(win, &ints(&[1])));
    assert!(!out.contains(win, &ints(&[1])));
}

#[test]
fn self_loop_is_a_draw() {
    let (_, out, [_, _, win, _]) = play(&[(1, 1)]);
    assert!(out.tuples(win).is_empty());
    assert_eq!(out.undefined(win), unary(&[1]));
}

#[test]
fn cycle_with_an_exit_is_decided() {
    // 1 ⇄ 2, 2 → 3: 3 loses, so 2 wins by moving there, and 1 loses.
    let (_, out, [_, _, win, lose]) = play(&[(1, 2), (2, 1), (2, 3)]);
    assert_eq!(out.tuples(win), unary(&[2]));
    assert_eq!(out.tuples(lose), unary(&[1, 3]));
    assert!(!out.has_undefined());
}

#[test]
fn draws_spread_only_where_no_win_is_forced() {
    // 1 ⇄ 2 draw; 3 → 1 only reaches the draw (draw); 4 → 1, 4 → 5 with 5
    // stuck: 4 wins; 6 → 4: 6 loses.
    let (_, out, [_, _, win, lose]) = play(&[(1, 2), (2, 1), (3, 1), (4, 1), (4, 5), (6, 4)]);
    assert_eq!(out.tuples(win), unary(&[4]));
    assert_eq!(out.undefined(win), unary(&[1, 2, 3]));
    assert_eq!(out.tuples(lose), unary(&[5, 6]));
    assert_eq!(out.undefined(lose), unary(&[1, 2, 3]));
}

#[test]
fn queries_never_answer_undefined_facts() {
    let (program, out, [_, node, win, _]) = play(&[(1, 2), (2, 1), (3, 4)]);
    // Positive: win(x) — only 3.
    let wins = program
        .solve(&out, &[pos(win, vec![v(0)])], 1, &[], &ctx())
        .expect("solves");
    assert_eq!(wins, unary(&[3]));
    // Negative: node(x), not win(x) — 4 loses; 1 and 2 are undefined, not answers.
    let losers = program
        .solve(
            &out,
            &[pos(node, vec![v(0)]), neg(win, vec![v(0)])],
            1,
            &[],
            &ctx(),
        )
        .expect("solves");
    assert_eq!(losers, unary(&[4]));
}

#[test]
fn explain_says_undefined_and_proves_wins() {
    let (program, out, [mv, _, win, _]) = play(&[(1, 2), (2, 1), (3, 4)]);
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(win, ints(&[1])),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    assert_eq!(dag.nodes[dag.root].status, FactStatus::Undefined);
    assert!(dag.nodes[dag.root].derivations.is_empty());

    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(win, ints(&[3])),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    let root = &dag.nodes[dag.root];
    assert_eq!(root.status, FactStatus::Derived);
    let premises: Vec<_> = root.derivations[0]
        .premises
        .iter()
        .map(|&p| {
            let n = &dag.nodes[p];
            (n.pred, n.tuple.clone(), n.status.clone())
        })
        .collect();
    assert_eq!(premises[0], (mv, ints(&[3, 4]), FactStatus::Base));
    assert_eq!(premises[1].0, win, "the negated premise names `win`");
    assert_eq!(premises[1].1, ints(&[4]));
    assert!(matches!(premises[1].2, FactStatus::Absent { .. }));
}

#[test]
fn updates_resolve_and_create_draws() {
    let (program, out, [mv, node, win, lose]) = play(&[(1, 2), (2, 1)]);
    // Give 2 an exit to a stuck node: the draw is decided.
    let inserted = vec![(mv, ints(&[2, 3])), (node, ints(&[3]))];
    let updated = program
        .update(&out, &inserted, &[], &ctx())
        .expect("updates");
    assert_eq!(updated.tuples(win), unary(&[2]));
    assert_eq!(updated.tuples(lose), unary(&[1, 3]));
    assert!(!updated.has_undefined());
    // Take the exit away again: back to a draw.
    let back = program
        .update(&updated, &[], &[(mv, ints(&[2, 3]))], &ctx())
        .expect("updates");
    assert!(back.tuples(win).is_empty());
    assert_eq!(back.undefined(win), unary(&[1, 2]));
    assert_eq!(back.tuples(lose), unary(&[3]));
}

/// The well-founded model of win-move computed directly on the graph:
/// alternating fixpoint over sets of winning positions.
fn reference(moves: &BTreeSet<(i64, i64)>) -> (Vec<i64>, Vec<i64>) {
    let gamma = |assumed: &BTreeSet<i64>| -> BTreeSet<i64> {
        moves
            .iter()
            .filter(|(_, y)| !assumed.contains(y))
            .map(|&(x, _)| x)
            .collect()
    };
    let mut under: BTreeSet<i64> = BTreeSet::new();
    loop {
        let over = gamma(&under);
        let next = gamma(&over);
        if next == under {
            let undefined = over.difference(&under).copied().collect();
            return (under.into_iter().collect(), undefined);
        }
        under = next;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn win_move_matches_the_direct_alternating_fixpoint(
        moves in proptest::collection::btree_set((0i64..8, 0i64..8), 0..16),
        change in proptest::collection::vec((0i64..8, 0i64..8, any::<bool>()), 0..4),
    ) {
        let (module, [mv, node, win, _]) = win_move();
        let program = Program::new(&module).expect("accepted");
        let nodes: BTreeSet<i64> = (0..8).collect();
        let mut base = FactStore::new(module.predicates.len());
        for &(a, b) in &moves {
            base.insert(mv, ints(&[a, b]));
        }
        insert_ints(&mut base, node, nodes.iter().copied());
        let out = program.evaluate(base, &ctx()).expect("evaluates");
        let (wins, undefined) = reference(&moves);
        prop_assert_eq!(out.tuples(win), unary(&wins));
        prop_assert_eq!(out.undefined(win), unary(&undefined));

        // Updates agree with the reference too.
        let mut now = moves.clone();
        for &(a, b, add) in &change {
            if add {
                now.insert((a, b));
            } else {
                now.remove(&(a, b));
            }
        }
        let ins: Vec<_> = now.difference(&moves).map(|&(a, b)| (mv, ints(&[a, b]))).collect();
        let del: Vec<_> = moves.difference(&now).map(|&(a, b)| (mv, ints(&[a, b]))).collect();
        let updated = program.update(&out, &ins, &del, &ctx()).expect("updates");
        let (wins, undefined) = reference(&now);
        prop_assert_eq!(updated.tuples(win), unary(&wins));
        prop_assert_eq!(updated.undefined(win), unary(&undefined));
    }
}
