//! Classic Datalog programs built directly as IR.

mod common;

use std::time::{Duration as StdDuration, Instant};

use chrono::NaiveDate;
use common::*;
use ox_ir::analysis::RuleCheckError;
use ox_ir::{BinaryOp, Builtin, CmpOp, PredId, RuleOrigin, Value, ValueError, VarId};
use ox_reasoner::{EvalError, FactStore, Program, ProgramError};

/// `path(x,y) :- edge(x,y). path(x,z) :- path(x,y), edge(y,z).`
fn tc_module(nonlinear: bool) -> (ox_ir::Module, PredId, PredId) {
    let mut m = ModuleBuilder::new();
    let edge = m.pred("edge", 2);
    let path = m.pred("path", 2);
    m.rule(
        atom(path, vec![v(0), v(1)]),
        vec![pos(edge, vec![v(0), v(1)])],
    );
    if nonlinear {
        m.rule(
            atom(path, vec![v(0), v(2)]),
            vec![pos(path, vec![v(0), v(1)]), pos(path, vec![v(1), v(2)])],
        );
    } else {
        m.rule(
            atom(path, vec![v(0), v(2)]),
            vec![pos(path, vec![v(0), v(1)]), pos(edge, vec![v(1), v(2)])],
        );
    }
    (m.build(), edge, path)
}

fn closure(n: i64, cyclic: bool, nonlinear: bool) -> usize {
    let (module, edge, path) = tc_module(nonlinear);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    let mut edges: Vec<(i64, i64)> = (0..n - 1).map(|i| (i, i + 1)).collect();
    if cyclic {
        edges.push((n - 1, 0));
    }
    insert_pairs(&mut base, edge, &edges);
    let out = program.evaluate(base, &ctx()).unwrap();
    out.len(path)
}

#[test]
fn transitive_closure_of_a_chain() {
    assert_eq!(closure(100, false, false), 100 * 99 / 2);
    assert_eq!(closure(100, false, true), 100 * 99 / 2);
}

#[test]
fn transitive_closure_of_a_cycle() {
    assert_eq!(closure(60, true, false), 60 * 60);
    assert_eq!(closure(60, true, true), 60 * 60);
}

#[test]
fn closure_contents_are_sorted_and_exact() {
    let (module, edge, path) = tc_module(false);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, edge, &[(3, 1), (1, 2), (2, 1)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    let expect: Vec<Vec<Value>> = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)]
        .iter()
        .map(|&(a, b)| ints(&[a, b]))
        .collect();
    assert_eq!(out.tuples(path), expect);
    assert_eq!(
        out.matching(path, 0, &Value::Int(3)),
        vec![ints(&[3, 1]), ints(&[3, 2])]
    );
    // Base facts stay.
    assert_eq!(out.len(edge), 3);
}

#[test]
fn same_generation_on_a_binary_tree() {
    // sg(x,y) :- par(x,p), par(y,p).  sg(x,y) :- par(x,a), sg(a,b), par(y,b).
    let mut m = ModuleBuilder::new();
    let (par, sg) = m.same_generation();
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    // Complete binary tree with nodes 1..=31 (depth 4): parent of n is n/2.
    for n in 2..=31i64 {
        base.insert(par, ints(&[n, n / 2]));
    }
    let out = program.evaluate(base, &ctx()).unwrap();
    // Pairs of nodes on the same level, levels 1..=4.
    assert_eq!(out.len(sg), 4 + 16 + 64 + 256);
    assert!(out.contains(sg, &ints(&[16, 31])));
    assert!(!out.contains(sg, &ints(&[2, 4])));
}

#[test]
fn stratified_negation_unreachable_pairs() {
    let mut m = ModuleBuilder::new();
    let node = m.pred("node", 1);
    let edge = m.pred("edge", 2);
    let reach = m.pred("reach", 2);
    let unreachable = m.pred("unreachable", 2);
    // Declared before the rules it depends on: order must not matter.
    m.rule(
        atom(unreachable, vec![v(0), v(1)]),
        vec![
            pos(node, vec![v(0)]),
            pos(node, vec![v(1)]),
            neg(reach, vec![v(0), v(1)]),
        ],
    );
    m.linear_closure(edge, edge, reach);
    let module = m.build();
    let program = Program::new(&module).unwrap();
    assert_eq!(program.strata().strata.len(), 2);
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, node, 0..5);
    insert_pairs(&mut base, edge, &[(0, 1), (1, 2), (2, 3)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.len(reach), 6);
    assert_eq!(out.len(unreachable), 25 - 6);
    assert!(out.contains(unreachable, &ints(&[3, 0])));
    assert!(out.contains(unreachable, &ints(&[0, 0])));
    assert!(!out.contains(unreachable, &ints(&[0, 3])));
}

#[test]
fn negation_with_constants_and_three_strata() {
    // lonely(x) :- node(x), not edge(x, 0).  popular(x) :- node(x), not lonely(x).
    let mut m = ModuleBuilder::new();
    let node = m.pred("node", 1);
    let edge = m.pred("edge", 2);
    let lonely = m.pred("lonely", 1);
    let popular = m.pred("popular", 1);
    m.rule(
        atom(popular, vec![v(0)]),
        vec![pos(node, vec![v(0)]), neg(lonely, vec![v(0)])],
    );
    m.rule(
        atom(lonely, vec![v(0)]),
        vec![pos(node, vec![v(0)]), neg(edge, vec![v(0), int(0)])],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, node, 0..4);
    insert_pairs(&mut base, edge, &[(1, 0), (2, 0), (3, 1)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(popular), vec![ints(&[1]), ints(&[2])]);
    assert_eq!(out.tuples(lonely), vec![ints(&[0]), ints(&[3])]);
}

#[test]
fn comparisons_and_binds_with_arithmetic() {
    let mut m = ModuleBuilder::new();
    let age = m.pred("age", 2);
    let adult = m.pred("adult", 1);
    let older = m.pred("older", 2);
    let next = m.pred("next_year", 2);
    let gap = m.pred("gap", 3);
    // adult(x) :- age(x, a), a >= 18.
    m.rule(
        atom(adult, vec![v(0)]),
        vec![pos(age, vec![v(0), v(1)]), cmp(CmpOp::Ge, ev(1), ei(18))],
    );
    // older(x, y) :- age(x, a), age(y, b), a > b.
    m.rule(
        atom(older, vec![v(0), v(2)]),
        vec![
            pos(age, vec![v(0), v(1)]),
            pos(age, vec![v(2), v(3)]),
            cmp(CmpOp::Gt, ev(1), ev(3)),
        ],
    );
    // next_year(x, b) :- b = a + 1, age(x, a).   (bind written before its input)
    m.rule(
        atom(next, vec![v(0), v(2)]),
        vec![
            bind(2, bin(BinaryOp::Add, ev(1), ei(1))),
            pos(age, vec![v(0), v(1)]),
        ],
    );
    // gap(x, y, d) :- age(x, a), age(y, b), d = a - b, d * 2 == 10.
    m.rule(
        atom(gap, vec![v(0), v(2), v(4)]),
        vec![
            pos(age, vec![v(0), v(1)]),
            pos(age, vec![v(2), v(3)]),
            bind(4, bin(BinaryOp::Sub, ev(1), ev(3))),
            cmp(CmpOp::Eq, bin(BinaryOp::Mul, ev(4), ei(2)), ei(10)),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, age, &[(1, 17), (2, 18), (3, 40), (4, 45)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(adult), vec![ints(&[2]), ints(&[3]), ints(&[4])]);
    assert_eq!(out.len(older), 6);
    assert_eq!(
        out.tuples(next),
        vec![
            ints(&[1, 18]),
            ints(&[2, 19]),
            ints(&[3, 41]),
            ints(&[4, 46])
        ]
    );
    assert_eq!(out.tuples(gap), vec![ints(&[4, 3, 5])]);
}

#[test]
fn bind_of_an_already_bound_variable_tests_equality() {
    // succ(x, y) :- num(x), num(y), y = x + 1.
    let mut m = ModuleBuilder::new();
    let num = m.pred("num", 1);
    let succ = m.pred("succ", 2);
    m.rule(
        atom(succ, vec![v(0), v(1)]),
        vec![
            pos(num, vec![v(0)]),
            pos(num, vec![v(1)]),
            bind(1, bin(BinaryOp::Add, ev(0), ei(1))),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, num, [1, 2, 3, 5]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(succ), vec![ints(&[1, 2]), ints(&[2, 3])]);
}

#[test]
fn dates_use_the_context_clock() {
    // overdue(x) :- due(x, d), d < today().   soon(x) :- due(x, d), d >= today(), d <= today() + 30.days.
    let mut m = ModuleBuilder::new();
    let due = m.pred("due", 2);
    let overdue = m.pred("overdue", 1);
    let soon = m.pred("soon", 1);
    let year = m.pred("due_year", 2);
    let today = || builtin(Builtin::Today, vec![]);
    m.rule(
        atom(overdue, vec![v(0)]),
        vec![pos(due, vec![v(0), v(1)]), cmp(CmpOp::Lt, ev(1), today())],
    );
    m.rule(
        atom(soon, vec![v(0)]),
        vec![
            pos(due, vec![v(0), v(1)]),
            cmp(CmpOp::Ge, ev(1), today()),
            cmp(
                CmpOp::Le,
                ev(1),
                bin(
                    BinaryOp::Add,
                    today(),
                    builtin(Builtin::DurationOf("days".into()), vec![ei(30)]),
                ),
            ),
        ],
    );
    m.rule(
        atom(year, vec![v(0), v(2)]),
        vec![
            pos(due, vec![v(0), v(1)]),
            bind(2, builtin(Builtin::DatePart("year".into()), vec![ev(1)])),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let date = |y, mo, d| Value::Date(NaiveDate::from_ymd_opt(y, mo, d).unwrap());
    let mut base = FactStore::new(module.predicates.len());
    base.insert(due, vec![Value::Int(1), date(2026, 3, 1)]);
    base.insert(due, vec![Value::Int(2), date(2026, 4, 1)]);
    base.insert(due, vec![Value::Int(3), date(2027, 1, 1)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(overdue), vec![ints(&[1])]);
    assert_eq!(out.tuples(soon), vec![ints(&[2])]);
    assert_eq!(
        out.matching(year, 0, &Value::Int(3)),
        vec![ints(&[3, 2027])]
    );
}

#[test]
fn ground_facts_and_constants() {
    // within("usc26", "usc").  within("usc", "law").
    // within(x, z) :- within(x, y), within(y, z).
    // red(x) :- color(x, "red").  tagged(x, "t") :- red(x).  from_one(x) :- link(1, x).
    let mut m = ModuleBuilder::new();
    let within = m.pred("within", 2);
    let color = m.pred("color", 2);
    let red = m.pred("red", 1);
    let tagged = m.pred("tagged", 2);
    let link = m.pred("link", 2);
    let from_one = m.pred("from_one", 1);
    m.rule(atom(within, vec![s("usc26"), s("usc")]), vec![]);
    m.rule(atom(within, vec![s("usc"), s("law")]), vec![]);
    m.rule(
        atom(within, vec![v(0), v(2)]),
        vec![pos(within, vec![v(0), v(1)]), pos(within, vec![v(1), v(2)])],
    );
    m.rule(
        atom(red, vec![v(0)]),
        vec![pos(color, vec![v(0), s("red")])],
    );
    m.rule(atom(tagged, vec![v(0), s("t")]), vec![pos(red, vec![v(0)])]);
    m.rule(
        atom(from_one, vec![v(0)]),
        vec![pos(link, vec![int(1), v(0)])],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    base.insert(color, vec![Value::Int(1), Value::String("red".into())]);
    base.insert(color, vec![Value::Int(2), Value::String("blue".into())]);
    insert_pairs(&mut base, link, &[(1, 5), (1, 6), (2, 7)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    let str2 = |a: &str, b: &str| vec![Value::String(a.into()), Value::String(b.into())];
    assert_eq!(
        out.tuples(within),
        vec![
            str2("usc", "law"),
            str2("usc26", "law"),
            str2("usc26", "usc")
        ]
    );
    assert_eq!(out.tuples(red), vec![ints(&[1])]);
    assert_eq!(
        out.tuples(tagged),
        vec![vec![Value::Int(1), Value::String("t".into())]]
    );
    assert_eq!(out.tuples(from_one), vec![ints(&[5]), ints(&[6])]);
}

#[test]
fn repeated_variables_and_nullary_heads() {
    // selfloop(x) :- edge(x, x).  alarm() :- edge(x, x).  sym(x, y) :- edge(x, y), edge(y, x).
    let mut m = ModuleBuilder::new();
    let edge = m.pred("edge", 2);
    let selfloop = m.pred("selfloop", 1);
    let alarm = m.pred("alarm", 0);
    let sym = m.pred("sym", 2);
    m.rule(
        atom(selfloop, vec![v(0)]),
        vec![pos(edge, vec![v(0), v(0)])],
    );
    m.rule(atom(alarm, vec![]), vec![pos(edge, vec![v(0), v(0)])]);
    m.rule(
        atom(sym, vec![v(0), v(1)]),
        vec![pos(edge, vec![v(0), v(1)]), pos(edge, vec![v(1), v(0)])],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, edge, &[(1, 1), (1, 2), (2, 1), (3, 3), (3, 4)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(selfloop), vec![ints(&[1]), ints(&[3])]);
    assert_eq!(out.tuples(alarm), vec![Vec::<Value>::new()]);
    assert_eq!(
        out.tuples(sym),
        vec![ints(&[1, 1]), ints(&[1, 2]), ints(&[2, 1]), ints(&[3, 3])]
    );
}

#[test]
fn mutual_recursion_and_wide_tuples() {
    // even(0). even(y) :- odd(x), succ(x, y). odd(y) :- even(x), succ(x, y).
    // triple(x, y, z) :- succ(x, y), succ(y, z).  back(z, y, x) :- triple(x, y, z), even(x).
    let mut m = ModuleBuilder::new();
    let succ = m.pred("succ", 2);
    let even = m.pred("even", 1);
    let odd = m.pred("odd", 1);
    let triple = m.pred("triple", 3);
    let back = m.pred("back", 3);
    m.rule(atom(even, vec![int(0)]), vec![]);
    m.rule(
        atom(even, vec![v(1)]),
        vec![pos(odd, vec![v(0)]), pos(succ, vec![v(0), v(1)])],
    );
    m.rule(
        atom(odd, vec![v(1)]),
        vec![pos(even, vec![v(0)]), pos(succ, vec![v(0), v(1)])],
    );
    m.rule(
        atom(triple, vec![v(0), v(1), v(2)]),
        vec![pos(succ, vec![v(0), v(1)]), pos(succ, vec![v(1), v(2)])],
    );
    m.rule(
        atom(back, vec![v(2), v(1), v(0)]),
        vec![pos(triple, vec![v(0), v(1), v(2)]), pos(even, vec![v(0)])],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    let pairs: Vec<(i64, i64)> = (0..100).map(|i| (i, i + 1)).collect();
    insert_pairs(&mut base, succ, &pairs);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.len(even), 51);
    assert_eq!(out.len(odd), 50);
    assert_eq!(out.len(triple), 99);
    assert_eq!(out.len(back), 50);
    assert!(out.contains(back, &ints(&[12, 11, 10])));
}

#[test]
fn joins_on_three_bound_columns() {
    // twin(a, b, c, d, e) :- w(a, b, c, d), w(b, a, c, e).  The second atom is
    // looked up on three bound columns (a hashed, verified index key).
    let mut m = ModuleBuilder::new();
    let w = m.pred("w", 4);
    let twin = m.pred("twin", 5);
    m.rule(
        atom(twin, vec![v(0), v(1), v(2), v(3), v(4)]),
        vec![
            pos(w, vec![v(0), v(1), v(2), v(3)]),
            pos(w, vec![v(1), v(0), v(2), v(4)]),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    for a in 0..6 {
        for b in 0..6 {
            for c in 0..3 {
                base.insert(w, ints(&[a, b, c, (a + b + c) % 2]));
            }
        }
    }
    let out = program.evaluate(base, &ctx()).unwrap();
    // Every (a, b, c) has exactly one d and one e, and d == e.
    assert_eq!(out.len(twin), 6 * 6 * 3);
    assert!(out.contains(twin, &ints(&[1, 2, 0, 1, 1])));
}

#[test]
fn old_tuples_join_late_deltas_of_another_recursive_predicate() {
    // One stratum {a, b}:
    //   a(x) :- start(x).   b(y) :- a(x), link(x, y).   a(y) :- b(x), back(x, y).
    //   a(z) :- a(x), b(y), pair(x, y, z).
    // a(99) needs a(1) (known from the first round) with b(12) (derived five
    // rounds later): only the variant reading b's delta and a's old tuples finds it.
    let mut m = ModuleBuilder::new();
    let start = m.pred("start", 1);
    let link = m.pred("link", 2);
    let back = m.pred("back", 2);
    let pair = m.pred("pair", 3);
    let a = m.pred("a", 1);
    let b = m.pred("b", 1);
    m.rule(atom(a, vec![v(0)]), vec![pos(start, vec![v(0)])]);
    m.rule(
        atom(b, vec![v(1)]),
        vec![pos(a, vec![v(0)]), pos(link, vec![v(0), v(1)])],
    );
    m.rule(
        atom(a, vec![v(1)]),
        vec![pos(b, vec![v(0)]), pos(back, vec![v(0), v(1)])],
    );
    m.rule(
        atom(a, vec![v(2)]),
        vec![
            pos(a, vec![v(0)]),
            pos(b, vec![v(1)]),
            pos(pair, vec![v(0), v(1), v(2)]),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    assert_eq!(program.strata().strata.len(), 1);
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, start, [1]);
    insert_pairs(&mut base, link, &[(1, 10), (2, 11), (3, 12)]);
    insert_pairs(&mut base, back, &[(10, 2), (11, 3)]);
    base.insert(pair, ints(&[1, 12, 99]));
    base.insert(pair, ints(&[2, 10, 98]));
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(
        out.tuples(a),
        vec![ints(&[1]), ints(&[2]), ints(&[3]), ints(&[98]), ints(&[99])]
    );
    assert_eq!(out.tuples(b), vec![ints(&[10]), ints(&[11]), ints(&[12])]);
}

#[test]
fn specialisation_closure_keeps_base_members() {
    let mut m = ModuleBuilder::new();
    let lease = m.pred("Lease", 1);
    let residential = m.pred("ResidentialLease", 1);
    m.rule(atom(lease, vec![v(0)]), vec![pos(residential, vec![v(0)])]);
    let mut module = m.build();
    module.rules[0].origin = RuleOrigin::Specialisation {
        sub: ox_ir::ConceptId(1),
        sup: ox_ir::ConceptId(0),
    };
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, lease, [1]);
    insert_ints(&mut base, residential, [2, 3]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(lease), vec![ints(&[1]), ints(&[2]), ints(&[3])]);
}

#[test]
fn overflow_inside_a_rule_is_an_error() {
    let mut m = ModuleBuilder::new();
    let num = m.pred("num", 1);
    let square = m.pred("square", 2);
    m.rule(
        atom(square, vec![v(0), v(1)]),
        vec![
            pos(num, vec![v(0)]),
            bind(1, bin(BinaryOp::Mul, ev(0), ev(0))),
        ],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, num, [3, i64::MAX]);
    match program.evaluate(base, &ctx()) {
        Err(EvalError::Value {
            rule,
            error: ValueError::Overflow(_),
        }) => {
            assert!(rule.contains("square"), "{rule}");
        }
        other => panic!("expected an overflow, got {other:?}"),
    }
}

#[test]
fn incomparable_values_in_a_comparison_are_an_error() {
    let mut m = ModuleBuilder::new();
    let val = m.pred("val", 1);
    let big = m.pred("big", 1);
    m.rule(
        atom(big, vec![v(0)]),
        vec![pos(val, vec![v(0)]), cmp(CmpOp::Gt, ev(0), ei(3))],
    );
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    base.insert(val, vec![Value::String("x".into())]);
    assert!(matches!(
        program.evaluate(base, &ctx()),
        Err(EvalError::Value {
            error: ValueError::Type(_),
            ..
        })
    ));
}

#[test]
fn recursion_through_negation_is_evaluated_well_founded() {
    // win(7).  win(x) :- move(x, y), not win(y).
    let mut m = ModuleBuilder::new();
    let mv = m.pred("move", 2);
    let win = m.pred("win", 1);
    m.rule(atom(win, vec![int(7)]), vec![]);
    m.rule(
        atom(win, vec![v(0)]),
        vec![pos(mv, vec![v(0), v(1)]), neg(win, vec![v(1)])],
    );
    let module = m.build();
    let program = Program::new(&module).expect("accepted under the well-founded semantics");
    let mut base = FactStore::new(module.predicates.len());
    // 1 → 7 (7 wins: 1 loses); 2 → 1 (2 wins); 3 ⇄ 4 (draw).
    insert_pairs(&mut base, mv, &[(1, 7), (2, 1), (3, 4), (4, 3)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert_eq!(out.tuples(win), vec![ints(&[2]), ints(&[7])]);
    assert_eq!(out.undefined(win), vec![ints(&[3]), ints(&[4])]);
}

#[test]
fn unsafe_variables_are_refused() {
    // p(x, y) :- q(x).
    let mut m = ModuleBuilder::new();
    let q = m.pred("q", 1);
    let p = m.pred("p", 2);
    m.rule(atom(p, vec![v(0), v(1)]), vec![pos(q, vec![v(0)])]);
    let module = m.build();
    match Program::new(&module) {
        Err(err @ ProgramError::Rule { .. }) => {
            assert_eq!(err.rule_index(), 0);
            let ProgramError::Rule {
                error, var_name, ..
            } = &err
            else {
                unreachable!()
            };
            assert_eq!(
                error,
                &RuleCheckError::UnsafeVariable {
                    var: VarId(1),
                    position: "head",
                    literal: None
                }
            );
            assert_eq!(var_name.as_deref(), Some("v1"));
            assert!(err.to_string().contains("`v1`"), "{err}");
        }
        other => panic!("expected an unsafe-variable error, got {other:?}"),
    }

    // A negated atom's variable must be bound positively.
    let mut m = ModuleBuilder::new();
    let q = m.pred("q", 1);
    let r = m.pred("r", 2);
    let p = m.pred("p", 1);
    m.rule(
        atom(p, vec![v(0)]),
        vec![pos(q, vec![v(0)]), neg(r, vec![v(0), v(1)])],
    );
    assert!(matches!(
        Program::new(&m.build()),
        Err(ProgramError::Rule {
            error: RuleCheckError::UnsafeVariable {
                position: "negated atom",
                ..
            },
            ..
        })
    ));
}

#[test]
fn malformed_rules_are_refused() {
    let mut m = ModuleBuilder::new();
    let q = m.pred("q", 1);
    let p = m.pred("p", 1);
    m.rule(atom(p, vec![v(0)]), vec![pos(q, vec![v(0), v(0)])]);
    m.rule(atom(p, vec![v(0)]), vec![pos(q, vec![v(0)])]);
    assert!(matches!(
        Program::new(&m.build()),
        Err(ProgramError::Malformed { rule_index: 1, .. })
    ));

    let mut m = ModuleBuilder::new();
    let p = m.pred("p", 1);
    m.rule(atom(p, vec![v(0)]), vec![pos(PredId(9), vec![v(0)])]);
    assert!(matches!(
        Program::new(&m.build()),
        Err(ProgramError::Malformed { .. })
    ));
}

#[test]
fn facts_of_the_wrong_arity_are_refused() {
    let (module, edge, _) = tc_module(false);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    base.insert(edge, ints(&[1, 2, 3]));
    assert!(matches!(
        program.evaluate(base, &ctx()),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn a_deadline_in_the_past_stops_at_once() {
    let (module, edge, _) = tc_module(false);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    let edges: Vec<(i64, i64)> = (0..3000).map(|i| (i, i + 1)).collect();
    insert_pairs(&mut base, edge, &edges);
    let mut context = ctx();
    context.deadline = Some(Instant::now() - StdDuration::from_millis(1));
    let started = Instant::now();
    assert_eq!(
        program.evaluate(base, &context).unwrap_err(),
        EvalError::DeadlineExceeded
    );
    assert!(started.elapsed() < StdDuration::from_millis(100));
}

#[test]
fn a_deadline_interrupts_a_large_closure() {
    // A 3,000-node chain has 4.5 million paths: far more than 20 ms of work.
    let (module, edge, _) = tc_module(false);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    let edges: Vec<(i64, i64)> = (0..3000).map(|i| (i, i + 1)).collect();
    insert_pairs(&mut base, edge, &edges);
    let started = Instant::now();
    let context = ctx().with_deadline(started + StdDuration::from_millis(20));
    assert_eq!(
        program.evaluate(base, &context).unwrap_err(),
        EvalError::DeadlineExceeded
    );
    // Generous bound: the point is that it stops long before finishing.
    assert!(
        started.elapsed() < StdDuration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn evaluation_is_deterministic_and_repeatable() {
    let (module, edge, path) = tc_module(true);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, edge, &[(5, 3), (3, 9), (9, 5), (1, 5), (7, 7)]);
    let a = program.evaluate(base.clone(), &ctx()).unwrap();
    let b = program.evaluate(base.clone(), &ctx()).unwrap();
    assert_eq!(a.tuples(path), b.tuples(path));
    // Evaluating a fixpoint again changes nothing.
    let c = program.evaluate(a.clone(), &ctx()).unwrap();
    assert_eq!(a.tuples(path), c.tuples(path));
    // Facts added to a fixpoint are picked up by the next evaluation.
    let mut d = c.clone();
    insert_pairs(&mut d, edge, &[(9, 100)]);
    let d = program.evaluate(d, &ctx()).unwrap();
    assert!(d.contains(path, &ints(&[1, 100])));
    assert!(!a.contains(path, &ints(&[1, 100])));
}

#[test]
fn solve_answers_queries_with_parameters() {
    let (module, edge, path) = tc_module(false);
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, edge, &[(1, 2), (2, 3), (3, 4), (10, 11)]);
    let fix = program.evaluate(base, &ctx()).unwrap();

    // from path(a, b) where b > 2
    let body = vec![pos(path, vec![v(0), v(1)]), cmp(CmpOp::Gt, ev(1), ei(2))];
    let all = program.solve(&fix, &body, 2, &[], &ctx()).unwrap();
    assert_eq!(
        all,
        vec![
            ints(&[1, 3]),
            ints(&[1, 4]),
            ints(&[2, 3]),
            ints(&[2, 4]),
            ints(&[3, 4]),
            ints(&[10, 11])
        ]
    );
    // with a = 2 given by the caller
    let seeded = program
        .solve(&fix, &body, 2, &[Some(Value::Int(2))], &ctx())
        .unwrap();
    assert_eq!(seeded, vec![ints(&[2, 3]), ints(&[2, 4])]);
    // a value that occurs nowhere
    let none = program
        .solve(&fix, &body, 2, &[Some(Value::Int(99))], &ctx())
        .unwrap();
    assert!(none.is_empty());
    // a variable the body never mentions is Null; a computed one is returned
    let body = vec![
        pos(edge, vec![int(1), v(0)]),
        bind(2, bin(BinaryOp::Mul, ev(0), ei(100))),
    ];
    let rows = program.solve(&fix, &body, 3, &[], &ctx()).unwrap();
    assert_eq!(
        rows,
        vec![vec![Value::Int(2), Value::Null, Value::Int(200)]]
    );
    // negation in a query; a seeded var used only in a comparison
    let body = vec![
        pos(edge, vec![v(0), v(1)]),
        neg(path, vec![v(1), int(4)]),
        cmp(CmpOp::Ne, ev(0), ev(2)),
    ];
    let rows = program
        .solve(&fix, &body, 3, &[None, None, Some(Value::Int(10))], &ctx())
        .unwrap();
    assert_eq!(rows, vec![ints(&[3, 4, 10])]);
    // unsafe bodies are refused
    let body = vec![cmp(CmpOp::Gt, ev(0), ei(2))];
    assert!(matches!(
        program.solve(&fix, &body, 1, &[], &ctx()),
        Err(EvalError::Unsupported(_))
    ));
    // unknown predicate
    let body = vec![pos(PredId(50), vec![v(0)])];
    assert!(matches!(
        program.solve(&fix, &body, 1, &[], &ctx()),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn solve_returns_rows_in_value_order_whatever_order_the_values_came_in() {
    let (module, edge, path) = tc_module(false);
    let program = Program::new(&module).unwrap();
    // A chain interned from its far end: ids run against value order.
    let chain: Vec<(i64, i64)> = (1..40).rev().map(|k| (k, k + 1)).collect();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, edge, &chain);
    let fix = program.evaluate(base.clone(), &ctx()).unwrap();
    let body = vec![pos(path, vec![v(0), v(1)])];
    let expected: Vec<Vec<Value>> = (1..40)
        .flat_map(|a| (a + 1..=40).map(move |b| ints(&[a, b])))
        .collect();
    // Many rows against the dictionary: sorted by the values' ranks.
    assert_eq!(
        program.solve(&fix, &body, 2, &[], &ctx()).unwrap(),
        expected
    );
    // A few rows against a large dictionary: sorted by comparing values.
    let far: Vec<(i64, i64)> = (0..2000)
        .map(|k| (10_000 + 2 * k, 10_001 + 2 * k))
        .collect();
    insert_pairs(&mut base, edge, &far);
    let fix = program.evaluate(base, &ctx()).unwrap();
    let seeded = program
        .solve(&fix, &body, 2, &[Some(Value::Int(37))], &ctx())
        .unwrap();
    assert_eq!(
        seeded,
        vec![ints(&[37, 38]), ints(&[37, 39]), ints(&[37, 40])]
    );
    // Rows holding a value the query computes sort with the others.
    let body = vec![
        pos(edge, vec![v(0), v(1)]),
        cmp(CmpOp::Lt, ev(0), ei(4)),
        bind(2, bin(BinaryOp::Sub, ei(100), ev(0))),
    ];
    let rows = program.solve(&fix, &body, 3, &[], &ctx()).unwrap();
    assert_eq!(
        rows,
        vec![ints(&[1, 2, 99]), ints(&[2, 3, 98]), ints(&[3, 4, 97])]
    );
}

#[test]
fn rule_order_does_not_change_the_result() {
    let build = |reverse: bool| {
        let mut m = ModuleBuilder::new();
        let edge = m.pred("edge", 2);
        let path = m.pred("path", 2);
        let node = m.pred("node", 1);
        let disconnected = m.pred("disconnected", 2);
        let mut rules = vec![
            (
                atom(path, vec![v(0), v(1)]),
                vec![pos(edge, vec![v(0), v(1)])],
            ),
            (
                atom(path, vec![v(0), v(2)]),
                vec![pos(edge, vec![v(1), v(2)]), pos(path, vec![v(0), v(1)])],
            ),
            (
                atom(disconnected, vec![v(0), v(1)]),
                vec![
                    neg(path, vec![v(0), v(1)]),
                    pos(node, vec![v(1)]),
                    pos(node, vec![v(0)]),
                ],
            ),
        ];
        if reverse {
            rules.reverse();
        }
        for (h, b) in rules {
            m.rule(h, b);
        }
        let module = m.build();
        let program = Program::new(&module).unwrap();
        let mut base = FactStore::new(module.predicates.len());
        insert_ints(&mut base, node, 0..6);
        insert_pairs(&mut base, edge, &[(0, 1), (1, 2), (2, 0), (3, 4)]);
        let out = program.evaluate(base, &ctx()).unwrap();
        (out.tuples(path), out.tuples(disconnected))
    };
    assert_eq!(build(false), build(true));
    assert_eq!(build(false).1.len(), 36 - 9 - 1);
}

#[test]
fn deletion_does_not_keep_facts_that_only_support_each_other() {
    // path over 1 → 2 ⇄ 3 and 4 → 3: deleting 1 → 2 leaves path(1, 2) and
    // path(1, 3) supporting only each other around the cycle, so both go;
    // path(4, 2) keeps its support.
    let mut m = ModuleBuilder::new();
    let edge = m.pred("edge", 2);
    let path = m.pred("path", 2);
    m.linear_closure(edge, edge, path);
    let module = m.build();
    let program = Program::new(&module).unwrap();
    let mut base = FactStore::new(module.predicates.len());
    insert_pairs(&mut base, edge, &[(1, 2), (2, 3), (3, 2), (4, 3)]);
    let out = program.evaluate(base, &ctx()).unwrap();
    assert!(out.contains(path, &ints(&[1, 3])));
    let after = program
        .update(&out, &[], &[(edge, ints(&[1, 2]))], &ctx())
        .unwrap();
    assert!(!after.contains(path, &ints(&[1, 2])));
    assert!(!after.contains(path, &ints(&[1, 3])));
    assert!(after.contains(path, &ints(&[4, 2])));
    assert_eq!(after.len(path), 6);
}
