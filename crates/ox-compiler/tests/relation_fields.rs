//! Relations with per-tuple fields (`rel R(..) { f: T }`) end to end: the
//! IR, `insert`/`delete` of tuples with their fields through the runtime,
//! rules and queries reading the fields, and the diagnostics for bad input.

mod common;

use common::{assert_code, assert_ok};
use ox_runtime::{run_tests, TestStatus};

const JOBS: &str = r#"
pub type Person { id: String }
pub type Org { id: String }
pub rel Employment(p: Person, o: Org) { since: Nat, title: Option<String> }
pub rel Knows(a: Person, b: Person);
pub rel Mentors(a: Person, b: Person) { via: Org }
derive veteran(p: Person) :- Employment(p, o, s, t), s < 2000;
derive employed(p: Person) :- Employment(p, o);
pub query employments() -> [Employment];
pub query since_of(p: Person) -> [Nat] { select s from Employment(p, o, s, t) }
"#;

fn with_jobs(extra: &str) -> String {
    format!("{JOBS}\n{extra}")
}

/// Runs the `test` blocks of `src` and returns each one's status by name.
fn outcomes(src: &str) -> Vec<(String, TestStatus)> {
    let compiled = assert_ok(src);
    run_tests(&compiled.module, &compiled.tests, None)
        .into_iter()
        .map(|o| (o.name, o.status))
        .collect()
}

#[test]
fn fields_are_recorded_with_a_hidden_relation_holding_their_values() {
    let compiled = assert_ok(JOBS);
    let m = &compiled.module;
    let employment = m.relations.iter().find(|r| r.name == "Employment").unwrap();
    let names: Vec<&str> = employment.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["since", "title"]);
    let stored = &m.relations[employment.field_values.unwrap().index()];
    assert_eq!(stored.params.len(), 4);
    assert_eq!(stored.visibility, ox_ir::Visibility::Private);
    let knows = m.relations.iter().find(|r| r.name == "Knows").unwrap();
    assert!(knows.fields.is_empty() && knows.field_values.is_none());
    let bytes = ox_ir::oxbin::encode(m).expect("encode");
    let back = ox_ir::oxbin::decode(&bytes).expect("decode");
    assert_eq!(back.module.relations, m.relations);
}

#[test]
fn tuples_carry_their_fields_through_insert_rules_queries_and_delete() {
    let results = outcomes(&with_jobs(
        r#"
test "fields are stored with the tuple and retracted with it" {
    let ann = insert Person { id: "ann" };
    let bob = insert Person { id: "bob" };
    let acme = insert Org { id: "acme" };
    insert Employment(ann, acme) { since: 1990, title: "CEO" };
    insert Employment(bob, acme) { since: 2010 };
    assert Employment(ann, acme);
    assert Employment(ann, acme, 1990, "CEO");
    assert !Employment(ann, acme, 1991, "CEO");
    assert employed(bob);
    assert veteran(ann);
    assert !veteran(bob);
    assert since_of(bob) == [2010];
    assert employments().len() == 2;
    insert Employment(ann, acme) { since: 1990, title: "CEO" };
    assert employments().len() == 2;
    delete Employment(ann, acme);
    assert !Employment(ann, acme);
    assert !veteran(ann);
    assert since_of(ann) == [];
    insert Employment(ann, acme) { since: 2020 };
    assert since_of(ann) == [2020];
    assert !veteran(ann);
}

test "deleting an individual named by a field deletes the tuple" {
    let ann = insert Person { id: "ann" };
    let bob = insert Person { id: "bob" };
    let acme = insert Org { id: "acme" };
    insert Mentors(ann, bob) { via: acme };
    assert Mentors(ann, bob, acme);
    delete acme;
    assert !Mentors(ann, bob);
}

test "inserting a tuple again with other field values is refused" {
    let ann = insert Person { id: "ann" };
    let acme = insert Org { id: "acme" };
    insert Employment(ann, acme) { since: 1990 };
    insert Employment(ann, acme) { since: 1991 };
}
"#,
    ));
    assert_eq!(results[0].1, TestStatus::Passed, "{:?}", results[0]);
    assert_eq!(results[1].1, TestStatus::Passed, "{:?}", results[1]);
    assert!(
        matches!(&results[2].1, TestStatus::Error(e) if e.contains("already holds")),
        "{:?}",
        results[2]
    );
}

#[test]
fn bad_tuple_fields_are_reported() {
    let insert = |body: &str| {
        with_jobs(&format!(
            "pub mutate hire(p: Person, o: Org) {{ insert Employment(p, o) {body}; }}"
        ))
    };
    assert_code(&insert("{ since: 1, salary: 2 }"), "OE0202");
    assert_code(&insert("{ title: \"x\" }"), "OE0206");
    assert_code(&insert("{ since: \"long ago\" }"), "OE0203");
    assert_code(&insert("{ since: 1, since: 2 }"), "OE0103");
    assert_code(
        &with_jobs("pub mutate meet(a: Person, b: Person) { insert Knows(a, b) { since: 1 }; }"),
        "OE0202",
    );
    assert_code(
        &with_jobs("pub rel Twice(p: Person) { at: Nat, at: Nat }"),
        "OE0103",
    );
    assert_code(&with_jobs("pub rel Clash(p: Person) { p: Nat }"), "OE0103");
    assert_code(
        &with_jobs("pub rel Salary(p: Person, o: Org) { mut amount: Nat }"),
        "OE0990",
    );
    assert_code(
        &with_jobs("pub rel Intern(p: Person, o: Org) <: Employment;"),
        "OE0990",
    );
    assert_code(
        &with_jobs("derive odd(p: Person) :- Employment(p, o, s);"),
        "OE1213",
    );
}
