//! Declarations end to end: relation specialisation and concept covers
//! compiled from source, their IR, their behaviour in the reasoner and the
//! runtime (through `test` blocks) and the diagnostics for bad input.

mod common;

use common::{assert_code, assert_ok};
use ox_ir::RuleOrigin;
use ox_runtime::{run_tests, TestStatus};

/// Compiles `src` and asserts that every `test` block in it passes.
#[track_caller]
fn assert_tests_pass(src: &str) {
    let compiled = assert_ok(src);
    assert!(!compiled.tests.is_empty(), "no tests in the source");
    let outcomes = run_tests(&compiled.module, &compiled.tests, None);
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| o.status != TestStatus::Passed)
        .map(|o| format!("{}: {:?}", o.name, o.status))
        .collect();
    assert!(
        failures.is_empty(),
        "failing tests:\n{}",
        failures.join("\n")
    );
}

const ORGS: &str = r#"
pub type Person { id: String }
pub type Manager <: Person;
pub type Org { id: String }
pub rel Member(p: Person, o: Org);
pub rel Employment(p: Person, o: Org) <: Member;
pub rel Leads(m: Manager, o: Org) <: Employment;
"#;

fn with_orgs(extra: &str) -> String {
    format!("{ORGS}\n{extra}")
}

#[test]
fn relation_specialisation_is_recorded_and_closed_by_a_rule() {
    let compiled = assert_ok(ORGS);
    let m = &compiled.module;
    let id = |name: &str| m.relations.iter().position(|r| r.name == name).unwrap();
    assert_eq!(
        m.relations[id("Employment")].supertypes,
        vec![ox_ir::RelationId(id("Member") as u32)]
    );
    assert!(m.relations[id("Member")].supertypes.is_empty());
    let closures = m
        .rules
        .iter()
        .filter(|r| matches!(r.origin, RuleOrigin::RelationSpecialisation { .. }))
        .count();
    assert_eq!(closures, 2);
    let bytes = ox_ir::oxbin::encode(m).expect("encode");
    let back = ox_ir::oxbin::decode(&bytes).expect("decode");
    assert_eq!(back.module.relations[id("Leads")].supertypes.len(), 1);
}

#[test]
fn every_tuple_of_a_specialised_relation_is_a_tuple_of_its_supertypes() {
    assert_tests_pass(&with_orgs(
        r#"
derive member_of(p: Person, o: Org) :- Member(p, o);

test "tuples flow up the specialisation chain" {
    let ann = insert Manager { id: "ann" };
    let bob = insert Person { id: "bob" };
    let acme = insert Org { id: "acme" };
    let club = insert Org { id: "club" };
    insert Leads(ann, acme);
    insert Member(bob, club);
    assert Employment(ann, acme);
    assert Member(ann, acme);
    assert member_of(ann, acme);
    assert member_of(bob, club);
    assert !Employment(bob, club);
    delete Leads(ann, acme);
    assert !Member(ann, acme);
}
"#,
    ));
}

#[test]
fn bad_relation_specialisations_are_reported() {
    // Endpoint types that do not fit.
    assert_code(
        &with_orgs("pub rel Owns(o: Org, p: Person) <: Member;"),
        "OE0203",
    );
    // Different arity.
    assert_code(&with_orgs("pub rel Solo(p: Person) <: Member;"), "OE1213");
    // Not a relation.
    assert_code(
        &with_orgs("pub rel Odd(p: Person, o: Org) <: Org;"),
        "OE0104",
    );
    // Cycles.
    assert_code(
        &with_orgs("pub rel A(p: Person, o: Org) <: B;\npub rel B(p: Person, o: Org) <: A;"),
        "OE0201",
    );
    assert_code(&with_orgs("pub rel Me(p: Person, o: Org) <: Me;"), "OE0201");
}
