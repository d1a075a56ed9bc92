//! Strong negation and defeasible rules: Tweety, the Nixon diamond, strict
//! contradictions, marker validation, explanations and updates.

mod common;

use common::*;
use ox_ir::{Defeasibility, Module, PredId, Strength, Value};
use ox_reasoner::{
    EvalOptions, ExplainOptions, FactRef, FactStatus, FactStore, Outcome, Program, ProgramError,
};

fn strs(xs: &[&str]) -> Vec<Vec<Value>> {
    xs.iter()
        .map(|x| vec![Value::String((*x).into())])
        .collect()
}

fn one(x: &str) -> Vec<Value> {
    vec![Value::String(x.into())]
}

fn default_rule(label: Option<&str>) -> Defeasibility {
    Defeasibility {
        strength: Strength::Defeasible,
        label: label.map(str::to_string),
        defeats: vec![],
    }
}

/// `#[default] #[label(flies)] derive fly(x) :- bird(x);`
/// `#[defeats(flies)] derive ~fly(x) :- penguin(x);`
/// `derive bird(x) :- penguin(x);`
/// `derive grounded(x) :- ~fly(x);`
fn tweety() -> (Module, [PredId; 5]) {
    let mut m = ModuleBuilder::new();
    let bird = m.pred("bird", 1);
    let penguin = m.pred("penguin", 1);
    let fly = m.pred("fly", 1);
    let not_fly = m.complement(fly);
    let grounded = m.pred("grounded", 1);
    m.rule_with(
        atom(fly, vec![v(0)]),
        vec![pos(bird, vec![v(0)])],
        default_rule(Some("flies")),
    );
    m.rule_with(
        atom(not_fly, vec![v(0)]),
        vec![pos(penguin, vec![v(0)])],
        Defeasibility {
            strength: Strength::Strict,
            label: None,
            defeats: vec!["flies".into()],
        },
    );
    m.rule(atom(bird, vec![v(0)]), vec![pos(penguin, vec![v(0)])]);
    m.rule(atom(grounded, vec![v(0)]), vec![pos(not_fly, vec![v(0)])]);
    (m.build(), [bird, penguin, fly, not_fly, grounded])
}

#[test]
fn tweety_flies_but_penguins_do_not() {
    let (module, [bird, penguin, fly, not_fly, grounded]) = tweety();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    base.insert(bird, one("tweety"));
    base.insert(penguin, one("opus"));
    let out = program
        .evaluate_with(base, &ctx(), EvalOptions { provenance: true })
        .expect("evaluates");
    assert_eq!(out.tuples(fly), strs(&["tweety"]));
    assert_eq!(out.tuples(not_fly), strs(&["opus"]));
    assert_eq!(out.tuples(grounded), strs(&["opus"]));
    assert!(program.contradictions(&out).is_empty());

    // The conclusion explains through the defeasible rule.
    let dag = program
        .explain(
            &out,
            &FactRef::Tuple(fly, one("tweety")),
            ExplainOptions::default(),
            &ctx(),
        )
        .expect("explains");
    let root = &dag.nodes[dag.root];
    assert_eq!(root.status, FactStatus::Derived);
    assert_eq!(root.derivations[0].rule_index, 0, "names the module rule");
    assert!(dag
        .nodes
        .iter()
        .any(|n| n.pred == bird && n.tuple == one("tweety") && n.status == FactStatus::Base));

    // Opus becomes a penguin later: the default is withdrawn incrementally.
    let mut base = FactStore::new(module.predicates.len());
    base.insert(bird, one("tweety"));
    base.insert(bird, one("opus"));
    let before = program.evaluate(base, &ctx()).expect("evaluates");
    assert_eq!(before.tuples(fly), strs(&["opus", "tweety"]));
    let after = program
        .update(&before, &[(penguin, one("opus"))], &[], &ctx())
        .expect("updates");
    assert_eq!(after.tuples(fly), strs(&["tweety"]));
    assert_eq!(after.tuples(not_fly), strs(&["opus"]));
}

/// Quakers are pacifists by default, republicans are not; Nixon is both.
fn nixon(strict_republicans: bool) -> (Program, FactStore, [PredId; 4]) {
    let mut m = ModuleBuilder::new();
    let quaker = m.pred("quaker", 1);
    let republican = m.pred("republican", 1);
    let pacifist = m.pred("pacifist", 1);
    let not_pacifist = m.complement(pacifist);
    m.rule_with(
        atom(pacifist, vec![v(0)]),
        vec![pos(quaker, vec![v(0)])],
        default_rule(None),
    );
    m.rule_with(
        atom(not_pacifist, vec![v(0)]),
        vec![pos(republican, vec![v(0)])],
        if strict_republicans {
            Defeasibility::default()
        } else {
            default_rule(None)
        },
    );
    let module = m.build();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    base.insert(quaker, one("nixon"));
    base.insert(republican, one("nixon"));
    base.insert(quaker, one("penn"));
    base.insert(republican, one("reagan"));
    let out = program.evaluate(base, &ctx()).expect("evaluates");
    (program, out, [quaker, republican, pacifist, not_pacifist])
}

#[test]
fn nixon_diamond_is_ambiguous() {
    let (program, out, [_, _, pacifist, not_pacifist]) = nixon(false);
    // Nixon is neither pacifist nor ~pacifist; the others are decided.
    assert_eq!(out.tuples(pacifist), strs(&["penn"]));
    assert_eq!(out.tuples(not_pacifist), strs(&["reagan"]));
    assert!(program.contradictions(&out).is_empty());
}

#[test]
fn strict_conclusions_beat_defaults() {
    let (_, out, [_, _, pacifist, not_pacifist]) = nixon(true);
    assert_eq!(out.tuples(pacifist), strs(&["penn"]));
    assert_eq!(out.tuples(not_pacifist), strs(&["nixon", "reagan"]));
}

#[test]
fn strict_contradictions_are_reported() {
    // p(x) :- a(x).  ~p(x) :- b(x).  (both strict)
    let mut m = ModuleBuilder::new();
    let a = m.pred("a", 1);
    let b = m.pred("b", 1);
    let p = m.pred("p", 1);
    let not_p = m.complement(p);
    m.rule(atom(p, vec![v(0)]), vec![pos(a, vec![v(0)])]);
    m.rule(atom(not_p, vec![v(0)]), vec![pos(b, vec![v(0)])]);
    let module = m.build();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, a, [1, 2]);
    insert_ints(&mut base, b, [2, 3]);
    let out = program.evaluate(base, &ctx()).expect("evaluates");
    let found = program.contradictions(&out);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].pred, p);
    assert_eq!(found[0].complement, not_p);
    assert_eq!(found[0].predicate, "p");
    assert_eq!(found[0].tuple, ints(&[2]));
}

#[test]
fn markers_are_validated() {
    let build = |target: &str, strict_target: bool| {
        let mut m = ModuleBuilder::new();
        let a = m.pred("a", 1);
        let p = m.pred("p", 1);
        let not_p = m.complement(p);
        let target_rule = Defeasibility {
            strength: if strict_target {
                Strength::Strict
            } else {
                Strength::Defeasible
            },
            label: Some("base".into()),
            defeats: vec![],
        };
        m.rule_with(atom(p, vec![v(0)]), vec![pos(a, vec![v(0)])], target_rule);
        m.rule_with(
            atom(not_p, vec![v(0)]),
            vec![pos(a, vec![v(0)])],
            Defeasibility {
                strength: Strength::Strict,
                label: None,
                defeats: vec![target.into()],
            },
        );
        Program::new(&m.build()).map_err(Box::new)
    };
    assert!(build("base", false).is_ok());
    match build("nope", false) {
        Err(err) if matches!(*err, ProgramError::Malformed { rule_index: 1, .. }) => {
            assert!(err.to_string().contains("names no rule"), "{err}")
        }
        other => panic!("expected an unknown label, got {other:?}"),
    }
    match build("base", true) {
        Err(err) if matches!(*err, ProgramError::Malformed { rule_index: 1, .. }) => {
            assert!(err.to_string().contains("strict rule"), "{err}")
        }
        other => panic!("expected a strict target, got {other:?}"),
    }
}

#[test]
fn a_defeated_default_does_not_block_its_defeater() {
    // #[default] #[label(l)] derive p(x) :- a(x);
    // #[default] #[defeats(l)] derive ~p(x) :- b(x);
    // derive c(x) :- ~p(x);
    let mut m = ModuleBuilder::new();
    let a = m.pred("a", 1);
    let b = m.pred("b", 1);
    let c = m.pred("c", 1);
    let p = m.pred("p", 1);
    let not_p = m.complement(p);
    m.rule_with(
        atom(p, vec![v(0)]),
        vec![pos(a, vec![v(0)])],
        default_rule(Some("l")),
    );
    m.rule_with(
        atom(not_p, vec![v(0)]),
        vec![pos(b, vec![v(0)])],
        Defeasibility {
            strength: Strength::Defeasible,
            label: None,
            defeats: vec!["l".into()],
        },
    );
    m.rule(atom(c, vec![v(0)]), vec![pos(not_p, vec![v(0)])]);
    let module = m.build();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    insert_ints(&mut base, a, [1, 2]);
    insert_ints(&mut base, b, [2]);
    let out = program.evaluate(base, &ctx()).expect("evaluates");
    assert_eq!(out.tuples(p), vec![ints(&[1])]);
    // ~p(2): the defeater's own default stands (its target is defeated, not blocking).
    assert_eq!(out.tuples(not_p), vec![ints(&[2])]);
    assert_eq!(out.tuples(c), vec![ints(&[2])]);
}

#[test]
fn ambiguities_name_both_rules_and_their_premises() {
    let (program, out, [quaker, republican, pacifist, not_pacifist]) = nixon(false);
    let found = program.ambiguities(&out, &ctx()).expect("ambiguities");
    assert_eq!(found.len(), 1, "{found:?}");
    let contest = &found[0];
    assert!(contest.is_ambiguous());
    assert_eq!(
        (contest.pred, contest.tuple.clone()),
        (pacifist, one("nixon"))
    );
    assert!(!contest.holds);
    let sides: Vec<(PredId, usize)> = contest
        .rules
        .iter()
        .map(|r| (r.conclusion, r.rule_index))
        .collect();
    assert_eq!(sides, vec![(pacifist, 0), (not_pacifist, 1)]);
    assert_eq!(contest.rules[0].outcome, Outcome::Blocked { by: vec![1] });
    assert_eq!(contest.rules[1].outcome, Outcome::Blocked { by: vec![0] });
    let premise = |r: usize| {
        let n = &contest.nodes[contest.rules[r].firing.premises[0]];
        (n.pred, n.tuple.clone(), n.status.clone())
    };
    assert_eq!(premise(0), (quaker, one("nixon"), FactStatus::Base));
    assert_eq!(premise(1), (republican, one("nixon"), FactStatus::Base));
    // The blocked conclusion can be found by its id.
    let id = program.fact_id(not_pacifist, &one("nixon"));
    assert_eq!(
        program.find_contested(&out, &id),
        Some((not_pacifist, one("nixon")))
    );
    // A strict rule decides: no ambiguity, the default is blocked by it.
    let (program, out, [_, _, pacifist, _]) = nixon(true);
    assert!(program.ambiguities(&out, &ctx()).expect("runs").is_empty());
    let contest = program
        .contest(&out, pacifist, &one("nixon"), &ctx())
        .expect("runs")
        .expect("a contest");
    assert!(!contest.is_ambiguous());
    assert_eq!(contest.rules[0].outcome, Outcome::Blocked { by: vec![1] });
    assert_eq!(contest.rules[1].outcome, Outcome::Concluded);
}

#[test]
fn contests_show_defeats_from_both_ends() {
    let (module, [_, penguin, fly, not_fly, _]) = tweety();
    let program = Program::new(&module).expect("valid");
    let mut base = FactStore::new(module.predicates.len());
    base.insert(penguin, one("opus"));
    let out = program.evaluate(base, &ctx()).expect("evaluates");
    // Why does opus not fly? The default is defeated by the penguin rule.
    let contest = program
        .contest(&out, fly, &one("opus"), &ctx())
        .expect("runs")
        .expect("a contest");
    assert!(!contest.holds);
    let fly_rule = contest.rules.iter().position(|r| r.conclusion == fly);
    let penguin_rule = contest.rules.iter().position(|r| r.conclusion == not_fly);
    let (Some(f), Some(p)) = (fly_rule, penguin_rule) else {
        panic!("both rules fire: {contest:?}");
    };
    assert_eq!(contest.rules[f].outcome, Outcome::Defeated { by: vec![p] });
    assert_eq!(contest.rules[f].label.as_deref(), Some("flies"));
    // The winning side shows the same: ~fly(opus) holds, it defeated `flies`.
    let won = program
        .contest(&out, not_fly, &one("opus"), &ctx())
        .expect("runs")
        .expect("a contest");
    assert!(won.holds);
    assert_eq!(won.rules[p].outcome, Outcome::Concluded);
    // A fact no rule fires for has no contest.
    assert!(program
        .contest(&out, fly, &one("nobody"), &ctx())
        .expect("runs")
        .is_none());
}
