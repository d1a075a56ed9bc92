//! Argon sources through the compiler and the reasoner: defeasible rules
//! with strong negation, negation through recursion, and aggregates.

mod common;

use common::ctx;
use ox_compiler::{compile_sources, Manifest};
use ox_ir::{Module, PredId, Value};
use ox_reasoner::{FactStore, Program};

fn compile(src: &str) -> Module {
    let files = vec![("src/root.ar".to_string(), src.to_string())];
    match compile_sources(&Manifest::new("pkg"), &files) {
        Ok(compiled) => compiled.module,
        Err(failure) => panic!(
            "does not compile: {:?}",
            failure
                .diagnostics
                .iter()
                .map(|d| (d.code, d.message.clone()))
                .collect::<Vec<_>>()
        ),
    }
}

fn pred(module: &Module, name: &str) -> PredId {
    let index = module
        .predicates
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("no predicate `{name}`"));
    PredId(index as u32)
}

fn fixpoint(module: &Module) -> (Program, FactStore) {
    let program = Program::new(module).expect("the reasoner accepts the rules");
    let out = program
        .evaluate(FactStore::new(module.predicates.len()), &ctx())
        .expect("evaluates");
    (program, out)
}

fn strs(xs: &[&str]) -> Vec<Vec<Value>> {
    xs.iter()
        .map(|x| vec![Value::String((*x).into())])
        .collect()
}

#[test]
fn tweety_through_the_compiler() {
    let module = compile(
        r#"
derive bird("tweety");
derive penguin("opus");
derive bird(x) :- penguin(x);

#[default]
#[label(flies)]
derive fly(x) :- bird(x);

#[defeats(flies)]
derive ~fly(x) :- penguin(x);

derive grounded(x) :- ~fly(x);
"#,
    );
    let (program, out) = fixpoint(&module);
    assert_eq!(out.tuples(pred(&module, "fly")), strs(&["tweety"]));
    assert_eq!(out.tuples(pred(&module, "~fly")), strs(&["opus"]));
    assert_eq!(out.tuples(pred(&module, "grounded")), strs(&["opus"]));
    assert!(program.contradictions(&out).is_empty());
}

#[test]
fn nixon_diamond_through_the_compiler() {
    let module = compile(
        r#"
derive quaker("nixon");
derive republican("nixon");
#[default]
derive pacifist(x) :- quaker(x);
#[default]
derive ~pacifist(x) :- republican(x);
"#,
    );
    let (_, out) = fixpoint(&module);
    assert!(out.tuples(pred(&module, "pacifist")).is_empty());
    assert!(out.tuples(pred(&module, "~pacifist")).is_empty());
}

#[test]
fn strict_contradiction_through_the_compiler() {
    let module = compile(
        r#"
derive a("x");
derive p(x) :- a(x);
derive ~p(x) :- a(x);
"#,
    );
    let (program, out) = fixpoint(&module);
    let found = program.contradictions(&out);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].predicate, "p");
    assert_eq!(found[0].tuple, vec![Value::String("x".into())]);
}

#[test]
fn win_move_through_the_compiler() {
    let module = compile(
        r#"
derive move(1, 2);
derive move(2, 1);
derive move(3, 4);
derive win(x) :- move(x, y), not win(y);
"#,
    );
    let (_, out) = fixpoint(&module);
    let win = pred(&module, "win");
    assert_eq!(out.tuples(win), vec![vec![Value::Int(3)]]);
    assert_eq!(
        out.undefined(win),
        vec![vec![Value::Int(1)], vec![Value::Int(2)]]
    );
}

fn dec(text: &str) -> Value {
    Value::Decimal(text.parse().expect("a decimal"))
}

#[test]
fn aggregates_through_the_compiler() {
    let module = compile(
        r#"
derive person("ann");
derive person("bob");
derive person("cy");
derive owns("ann", "f1", 100.0);
derive owns("ann", "f2", 250.5);
derive owns("bob", "f3", 50.0);
derive holdings(p, n) :- person(p), n = count { owns(p, x, v) };
derive total(p, s) :- person(p), s = sum { owns(p, x, v), v };
derive cheapest(p, m) :- person(p), m = min { owns(p, x, v), v };
derive dearest(p, m) :- person(p), m = max { owns(p, x, v), v };
derive mean(p, a) :- person(p), a = avg { owns(p, x, v), v };
derive rich(p) :- person(p), sum { owns(p, x, v), v } > 200;
"#,
    );
    let (_, out) = fixpoint(&module);
    let s = |x: &str| Value::String(x.into());
    assert_eq!(
        out.tuples(pred(&module, "holdings")),
        vec![
            vec![s("ann"), Value::Nat(2)],
            vec![s("bob"), Value::Nat(1)],
            vec![s("cy"), Value::Nat(0)],
        ]
    );
    let total = out.tuples(pred(&module, "total"));
    assert_eq!(total.len(), 3);
    assert!(total[0][1].equals(&dec("350.5")), "{total:?}");
    assert!(total[1][1].equals(&dec("50")), "{total:?}");
    assert!(total[2][1].equals(&Value::Int(0)), "sum of nothing is 0");
    let cheapest = out.tuples(pred(&module, "cheapest"));
    assert_eq!(cheapest.len(), 2, "min of nothing binds nothing");
    assert!(cheapest[0][1].equals(&dec("100")));
    let dearest = out.tuples(pred(&module, "dearest"));
    assert!(dearest[0][1].equals(&dec("250.5")));
    let mean = out.tuples(pred(&module, "mean"));
    assert_eq!(mean.len(), 2, "avg of nothing binds nothing");
    assert_eq!(mean[0][1], dec("175.25"));
    assert_eq!(out.tuples(pred(&module, "rich")), strs(&["ann"]));
}

#[test]
fn comprehension_aggregate_over_a_type() {
    let module = compile(
        r#"
pub type Person { id: String, age: Nat }
derive adults(n) :- n = count(p for p in Person where p.age >= 18);
derive oldest(a) :- a = max(p.age for p in Person where p.age >= 0);
"#,
    );
    let program = Program::new(&module).expect("accepted");
    let person = pred(&module, "Person");
    let age = pred(&module, "Person.age");
    let mut base = FactStore::new(module.predicates.len());
    for (id, years) in [("p1", 12u64), ("p2", 30), ("p3", 45)] {
        base.insert(person, vec![Value::Ref(id.into())]);
        base.insert(age, vec![Value::Ref(id.into()), Value::Nat(years)]);
    }
    let out = program.evaluate(base, &ctx()).expect("evaluates");
    assert_eq!(
        out.tuples(pred(&module, "adults")),
        vec![vec![Value::Nat(2)]]
    );
    assert_eq!(
        out.tuples(pred(&module, "oldest")),
        vec![vec![Value::Nat(45)]]
    );
}
