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
