//! The type checker on random well-formed-ish programs: declarations are
//! syntactically valid, but field types, comparisons, arithmetic, calls and
//! the substrate are combined at random, so most programs have type errors.
//! Compilation must never panic, every error must carry a registered code,
//! and type mismatches name both types. Deep and long inputs complete.

mod common;

use proptest::prelude::*;

const TYPES: &[&str] = &[
    "Int",
    "Nat",
    "String",
    "Bool",
    "Date",
    "Decimal",
    "Money",
    "Duration",
    "Thing0",
    "Thing1",
    "Option<Int>",
    "[String]",
    "Status",
];

const VALUES: &[&str] = &[
    "1",
    "0",
    "\"s\"",
    "true",
    "#2026-01-01#",
    "2.50",
    "3.days",
    "Status::On",
    "x.f0",
    "x.f1",
    "x.f2",
    "y",
    "today()",
    "meta(Thing0).rigidity",
];

const OPS: &[&str] = &["==", "!=", "<", "<=", ">", "+", "-", "*", "&&", "||"];

const INTRODUCERS: &[&str] = &["type", "kind", "role", "phase", "unknown"];

/// A random program: two concepts with three fields each, a relation, a rule,
/// a check, a function, a query and a mutation built from random pieces.
fn program(t: &[usize], v: &[usize], o: &[usize], i: &[usize]) -> String {
    let ty = |k: usize| TYPES[t[k % t.len()] % TYPES.len()];
    let val = |k: usize| VALUES[v[k % v.len()] % VALUES.len()];
    let op = |k: usize| OPS[o[k % o.len()] % OPS.len()];
    let intro = |k: usize| INTRODUCERS[i[k % i.len()] % INTRODUCERS.len()];
    format!(
        r#"
metaxis rigidity for metatype {{ anti_rigid < rigid }};
metatype kind = {{ rigidity: rigid }};
metatype role = {{ rigidity: anti_rigid }};
metatype phase = {{ rigidity: {phase_value} }};
enum Status {{ On, Off }}
struct Point {{ x: {t6}, y: {t7} }}
{i0} Thing0 {{ id: String, f0: {t0}, f1: {t1}, mut f2: {t2} }}
{i1} Thing1 <: Thing0 {{ g: {t3} }}
rel Link(a: Thing0, b: {t4}) [0..1] [0..*];
derive r(x, y) :- x: Thing0, Link(x, y), {v0} {o0} {v1};
check c(x) :- x: Thing1, {v2} {o1} {v3} => "bad {{x}}";
check vocab(x, y) :- $sub(x, y), meta(x).rigidity {o2} meta(y).rigidity;
fn f(x: Thing0, y: {t5}) -> {t6} = {v4} {o3} {v5};
query q(y: {t4}) -> [Thing0] {{ select x from x: Thing0 where {v6} {o4} {v7} order by x.f0 }}
mutate m(x: Thing0, y: {t5}) {{
    update x set {{ f2 = {v8} }};
    let p = Point {{ x: {v9}, y: {v10} }};
    if {v11} {o5} {v12} {{ delete x; }}
}}
"#,
        phase_value = if i[0].is_multiple_of(2) {
            "rigid"
        } else {
            "bendy"
        },
        t0 = ty(0),
        t1 = ty(1),
        t2 = ty(2),
        t3 = ty(3),
        t4 = ty(4),
        t5 = ty(5),
        t6 = ty(6),
        t7 = ty(7),
        i0 = intro(0),
        i1 = intro(1),
        v0 = val(0),
        v1 = val(1),
        v2 = val(2),
        v3 = val(3),
        v4 = val(4),
        v5 = val(5),
        v6 = val(6),
        v7 = val(7),
        v8 = val(8),
        v9 = val(9),
        v10 = val(10),
        v11 = val(11),
        v12 = val(12),
        o0 = op(0),
        o1 = op(1),
        o2 = op(2),
        o3 = op(3),
        o4 = op(4),
        o5 = op(5),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_typed_programs_never_panic_and_report_registered_codes(
        t in prop::collection::vec(0..64usize, 8),
        v in prop::collection::vec(0..64usize, 13),
        o in prop::collection::vec(0..64usize, 6),
        i in prop::collection::vec(0..64usize, 2),
    ) {
        let src = program(&t, &v, &o, &i);
        let diagnostics = match common::compile_root(&src) {
            Ok(c) => c.warnings,
            Err(f) => f.diagnostics,
        };
        for d in &diagnostics {
            prop_assert!(ox_syntax::codes::lookup(d.code).is_some(), "unregistered {}", d.code);
            if d.code == "OE0203" && d.message.starts_with("expected") {
                prop_assert!(d.message.contains("found"), "{}", d.message);
            }
        }
    }
}

#[test]
fn deep_specialisation_chains_and_nesting_complete() {
    let mut src = String::from("type T0 { id: String, n: Int }\n");
    for k in 1..2_000 {
        src.push_str(&format!("type T{k} <: T{} {{ f{k}: Int }}\n", k - 1));
    }
    src.push_str("derive deep(x) :- x: T1999, x.n > 1, x.f1999 < 3;\n");
    let depth = 200;
    src.push_str(&format!(
        "fn nested(a: Int) -> Int = {}a{};\n",
        "(".repeat(depth),
        " + 1)".repeat(depth)
    ));
    let c = common::assert_ok(&src);
    assert_eq!(c.module.concepts.len(), 2_000);
}

#[test]
fn long_rule_bodies_and_many_clauses_complete() {
    let mut src = String::from("type P { id: String, n: Int }\nrel E(a: P, b: P);\n");
    let body: Vec<String> = (0..300).map(|k| format!("E(x{k}, x{})", k + 1)).collect();
    src.push_str(&format!("derive path(x0, x300) :- {};\n", body.join(", ")));
    for k in 0..3_000 {
        src.push_str(&format!("derive small(x) :- x: P, x.n == {k};\n"));
    }
    common::assert_ok(&src);
}
