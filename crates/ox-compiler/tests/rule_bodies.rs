//! Rule bodies end to end: disjunction, literal-list membership and relation
//! navigation compiled from source, evaluated by the reasoner through
//! `test` blocks run by the runtime, and the diagnostics for bad input.

mod common;

use common::{assert_code, assert_ok, assert_tests_pass};
use ox_runtime::{run_tests, TestStatus};

const PEOPLE: &str = r#"
pub enum Tier { Gold, Silver, Bronze }
pub type Person { id: String, age: Nat, tier: Tier, tags: [String] }
pub type Org { id: String }
pub rel WorksFor(p: Person, o: Org);
"#;

fn with_people(extra: &str) -> String {
    format!("{PEOPLE}\n{extra}")
}

#[test]
fn disjunction_is_a_union_of_its_alternatives() {
    assert_tests_pass(&with_people(
        r#"
derive special(p: Person) :- p: Person, p.age < 18 || p.age >= 65 || p.tier == Gold;
derive ordinary(p: Person) :- p: Person, not (p.age < 18 || p.tier == Gold);

test "each alternative alone derives the head" {
    let kid = insert Person { id: "kid", age: 10, tier: Bronze, tags: [] };
    let old = insert Person { id: "old", age: 70, tier: Bronze, tags: [] };
    let vip = insert Person { id: "vip", age: 40, tier: Gold, tags: [] };
    let avg = insert Person { id: "avg", age: 40, tier: Silver, tags: [] };
    assert special(kid);
    assert special(old);
    assert special(vip);
    assert !special(avg);
    assert ordinary(avg);
    assert ordinary(old);
    assert !ordinary(kid);
    assert !ordinary(vip);
}
"#,
    ));
}

#[test]
fn a_variable_bound_in_every_alternative_is_visible_after_the_disjunction() {
    assert_tests_pass(&with_people(
        r#"
derive any_org(o: Org) :- o: Org;
derive contact(p: Person, o: Org) :- p: Person, WorksFor(p, o) || ("all" in p.tags && any_org(o)), o.id != "none";

test "the bound variable flows out of both alternatives" {
    let a = insert Person { id: "a", age: 30, tier: Silver, tags: [] };
    let b = insert Person { id: "b", age: 30, tier: Silver, tags: ["all"] };
    let x = insert Org { id: "x" };
    let y = insert Org { id: "y" };
    let nobody = insert Org { id: "none" };
    insert WorksFor(a, x);
    assert contact(a, x);
    assert !contact(a, y);
    assert contact(b, x);
    assert contact(b, y);
    assert !contact(b, nobody);
}
"#,
    ));
}

#[test]
fn membership_in_a_literal_list() {
    assert_tests_pass(&with_people(
        r#"
derive teen_or_senior(p: Person) :- p: Person, p.age in [13, 14, 15, 65];
derive not_listed(p: Person) :- p: Person, p.age not in [13, 65];
derive metal(p: Person) :- p: Person, p.tier in [Gold, Silver];
derive small(n: Nat) :- n in [1, 2, 3];

test "list membership as a condition and as a generator" {
    let a = insert Person { id: "a", age: 14, tier: Gold, tags: [] };
    let b = insert Person { id: "b", age: 40, tier: Bronze, tags: [] };
    assert teen_or_senior(a);
    assert !teen_or_senior(b);
    assert not_listed(a);
    assert not_listed(b);
    assert metal(a);
    assert !metal(b);
    assert small(2);
    assert !small(4);
}
"#,
    ));
}

#[test]
fn navigation_over_a_relation_in_both_directions() {
    assert_tests_pass(&with_people(
        r#"
derive employer(p: Person, o: Org) :- p: Person, o in p.WorksFor;
derive staff(o: Org, p: Person) :- o: Org, o.WorksFor(p);

test "navigation follows the tuples of the relation" {
    let a = insert Person { id: "a", age: 30, tier: Silver, tags: [] };
    let x = insert Org { id: "x" };
    let y = insert Org { id: "y" };
    insert WorksFor(a, x);
    assert employer(a, x);
    assert !employer(a, y);
    assert staff(x, a);
    assert !staff(y, a);
}
"#,
    ));
}

#[test]
fn bad_membership_and_navigation_are_reported() {
    // A relation that does not touch the navigated concept.
    assert_code(
        &with_people(
            "type Pet { id: String }\nderive p(x: Pet, o: Org) :- x: Pet, o in x.WorksFor;",
        ),
        "OE0203",
    );
    // A list whose items do not fit the left side.
    assert_code(
        &with_people(r#"derive p(x: Person) :- x: Person, x.age in ["a", "b"];"#),
        "OE0203",
    );
    // Neither a list, a field nor a relation.
    assert_code(
        &with_people("derive p(x: Person) :- x: Person, x.age in x.nothing;"),
        "OE0990",
    );
}

#[test]
fn an_alternative_that_binds_nothing_for_the_head_is_not_range_restricted() {
    assert_code(
        &with_people("derive p(x: Person, o: Org) :- x: Person, (WorksFor(x, o) || x.age > 3);"),
        "OE1303",
    );
    // De Morgan leaves `!(y > 2)` with y bound by nothing.
    assert_code(
        &with_people("derive p(x: Person) :- x: Person, not (x.age > 3 || y > 2);"),
        "OE1303",
    );
}

#[test]
fn checks_use_disjunctions_too() {
    let src = with_people(
        r#"
#[severity(error)]
check odd_member(p: Person, o: Org) :- WorksFor(p, o), p.age < 16 || p.tier == Bronze;

test "a bronze member violates the check" {
    let a = insert Person { id: "a", age: 30, tier: Bronze, tags: [] };
    let x = insert Org { id: "x" };
    insert WorksFor(a, x);
}
"#,
    );
    let compiled = assert_ok(&src);
    let outcomes = run_tests(&compiled.module, &compiled.tests, None);
    assert!(
        matches!(&outcomes[0].status, TestStatus::Error(e) if e.contains("odd_member")),
        "{:?}",
        outcomes[0].status
    );
}

#[test]
fn pure_functions_are_inlined_into_rule_bodies() {
    assert_tests_pass(&with_people(
        r#"
fn double(n: Nat) -> Nat = n + n;
fn senior_age(n: Nat) -> Bool = n >= 65;
fn threshold() -> Nat = double(20) + 1;
derive double_age(p: Person, d: Nat) :- p: Person, d = double(p.age);
derive senior(p: Person) :- p: Person, senior_age(p.age);
derive over_threshold(p: Person) :- p: Person, p.age > threshold();
derive not_senior(p: Person) :- p: Person, not senior_age(p.age);

test "inlined bodies compute like the functions" {
    let a = insert Person { id: "a", age: 70, tier: Gold, tags: [] };
    let b = insert Person { id: "b", age: 30, tier: Gold, tags: [] };
    assert double_age(a, 140);
    assert double_age(b, 60);
    assert senior(a);
    assert !senior(b);
    assert over_threshold(a);
    assert !over_threshold(b);
    assert not_senior(b);
    assert !not_senior(a);
}
"#,
    ));
}

#[test]
fn functions_the_reasoner_cannot_evaluate_are_refused() {
    let src = with_people(
        "fn pick(n: Nat) -> Nat = if n > 3 { n } else { 0 };\nderive p(x: Person, n: Nat) :- x: Person, n = pick(x.age);",
    );
    assert_code(&src, "OE0990");
    let out = common::rendered(&[("src/root.ar", &src)]);
    assert!(out.contains("`pick`") && out.contains("`if`"), "{out}");
    assert_code(
        &with_people(
            "fn one(n: Nat) -> Nat = n;\nderive p(x: Person) :- x: Person, one(x.age, 2) > 1;",
        ),
        "OE1213",
    );
    // A `fn` returning something else used as a condition.
    assert_code(
        &with_people("fn one(n: Nat) -> Nat = n;\nderive p(x: Person) :- x: Person, one(x.age);"),
        "OE0203",
    );
    // Query bodies refuse the same functions as rule bodies.
    assert_code(
        &with_people("fn pick(n: Nat) -> Nat = if n > 3 { n } else { 0 };\nquery q() -> [Person] { select p from p: Person where pick(p.age) > 1 }"),
        "OE0990",
    );
    assert_code(
        &with_people(
            r#"fn one(n: Nat) -> Nat = n;
derive p(x: Person) :- x: Person, one("a") > 1;"#,
        ),
        "OE0203",
    );
}

#[test]
fn pure_functions_are_inlined_into_query_bodies() {
    assert_tests_pass(&with_people(
        r#"
fn double(n: Nat) -> Nat = n + n;
fn senior_age(n: Nat) -> Bool = n >= 65;
query seniors() -> [Person] { select p from p: Person where senior_age(p.age) }
query doubled(min: Nat) -> [Nat] { select d from p: Person, d = double(p.age) where d >= min order by d }
query not_seniors() -> [Person] { select p from p: Person where not senior_age(p.age) }

test "query bodies compute like the functions" {
    let a = insert Person { id: "a", age: 70, tier: Gold, tags: [] };
    let b = insert Person { id: "b", age: 30, tier: Gold, tags: [] };
    assert seniors() == [a];
    assert not_seniors() == [b];
    assert doubled(100) == [140];
    assert doubled(0) == [60, 140];
}
"#,
    ));
}

const VOCABULARY: &str = r#"
pub metaxis rigidity for metatype { anti_rigid < semi_rigid < rigid };
pub metaxis sortality for metatype { sortal, non_sortal };
pub metatype kind = { rigidity: rigid, sortality: sortal };
pub metatype role = { rigidity: anti_rigid, sortality: sortal };
pub metatype category = { rigidity: rigid, sortality: non_sortal };
kind Person { id: String }
role Student <: Person;
category Agent;
"#;

#[test]
fn rules_read_the_metatype_axes_of_an_individuals_concepts() {
    assert_tests_pass(&format!(
        "{VOCABULARY}\n{}",
        r#"
derive in_anti_rigid(x: Person) :- x: Person, meta(x).rigidity == rigidity::anti_rigid;
derive below_rigid(x: Person) :- x: Person, meta(x).rigidity < rigidity::rigid;
derive only_rigid(x: Person) :- x: Person, not meta(x).rigidity == rigidity::anti_rigid;
derive person_is_rigid(x: Person) :- x: Person, meta(Person).rigidity == rigid;
derive student_is_rigid(x: Person) :- x: Person, meta(Student).rigidity == rigidity::rigid;
derive non_sortal(x: Person) :- meta(x).sortality == sortality::non_sortal;
#[severity(error)]
check no_non_sortal_people(x: Person) :- x: Person, meta(x).sortality == sortality::non_sortal;

test "axis values of the concepts each individual is an instance of" {
    let ann = insert Person { id: "ann" };
    let bob = insert Student { id: "bob" };
    assert !in_anti_rigid(ann);
    assert in_anti_rigid(bob);
    assert below_rigid(bob);
    assert !below_rigid(ann);
    assert only_rigid(ann);
    assert !only_rigid(bob);
    assert person_is_rigid(ann);
    assert !student_is_rigid(ann);
    assert !non_sortal(ann);
}
"#
    ));
}

#[test]
fn bad_meta_reads_are_reported() {
    let with = |rule: &str| format!("{VOCABULARY}\n{rule}");
    // Unknown axis, a value of another axis, an unordered comparison.
    assert_code(
        &with("derive p(x: Person) :- x: Person, meta(x).colour == rigidity::rigid;"),
        "OE0632",
    );
    assert_code(
        &with("derive p(x: Person) :- x: Person, meta(x).rigidity == sortality::sortal;"),
        "OE0632",
    );
    assert_code(
        &with("derive p(x: Person) :- x: Person, meta(x).sortality < sortality::sortal;"),
        "OE0203",
    );
    // Not an individual.
    assert_code(
        &with("derive p(n: Nat) :- n in [1, 2], meta(n).rigidity == rigidity::rigid;"),
        "OE0203",
    );
}
