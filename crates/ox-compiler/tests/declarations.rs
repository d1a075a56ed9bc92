//! Declarations end to end: relation specialisation and concept covers
//! compiled from source, their IR, their behaviour in the reasoner and the
//! runtime (through `test` blocks) and the diagnostics for bad input.

mod common;

use common::{assert_code, assert_ok, assert_tests_pass};
use ox_ir::RuleOrigin;

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

const ANIMALS: &str = r#"
pub type Animal { Dog, Cat }
pub type Dog <: Animal { id: String }
pub type Cat <: Animal { id: String }
pub type Puppy <: Dog;

pub mutate add_animal() { insert Animal {}; }
pub mutate add_dog(id: String) { insert Dog { id: id }; }
pub mutate add_puppy(id: String) { insert Puppy { id: id }; }
pub mutate add_then_classify() {
    let a = insert Animal {};
    insert iof(a, Cat);
}
pub query animals() -> [Animal];
"#;

fn animal_engine() -> ox_runtime::Engine {
    let compiled = assert_ok(ANIMALS);
    ox_runtime::Engine::new(
        std::sync::Arc::new(compiled.module),
        "module".into(),
        "schema".into(),
        std::sync::Arc::new(ox_store::MemBackend::new()),
    )
    .expect("the module evaluates")
}

fn call(
    engine: &ox_runtime::Engine,
    name: &str,
    args: serde_json::Value,
) -> Result<(), ox_runtime::RuntimeError> {
    let ctx = ox_runtime::RequestContext::new(ox_store::TenantId::parse("t").expect("tenant"));
    let serde_json::Value::Object(args) = args else {
        panic!("arguments must be an object");
    };
    engine
        .mutate(&ctx, name, &args, &ox_runtime::MutateOptions::default())
        .map(|_| ())
}

fn animal_count(engine: &ox_runtime::Engine) -> usize {
    let ctx = ox_runtime::RequestContext::new(ox_store::TenantId::parse("t").expect("tenant"));
    match engine
        .query(&ctx, "animals", &serde_json::Map::new())
        .expect("query")
        .result
    {
        ox_runtime::QueryResult::Rows(rows) => rows.len(),
        ox_runtime::QueryResult::Value(v) => panic!("expected rows, got {v}"),
    }
}

#[test]
fn a_cover_is_recorded_in_the_ir() {
    let compiled = assert_ok(ANIMALS);
    let m = &compiled.module;
    let id = |name: &str| {
        ox_ir::ConceptId(m.concepts.iter().position(|c| c.name == name).unwrap() as u32)
    };
    assert_eq!(m.concept(id("Animal")).cover, vec![id("Dog"), id("Cat")]);
    assert!(m.concept(id("Dog")).cover.is_empty());
    let bytes = ox_ir::oxbin::encode(m).expect("encode");
    let back = ox_ir::oxbin::decode(&bytes).expect("decode");
    assert_eq!(back.module.concept(id("Animal")).cover.len(), 2);
}

#[test]
fn an_instance_outside_every_covering_subtype_rolls_the_mutation_back() {
    let engine = animal_engine();
    let err = call(&engine, "add_animal", serde_json::json!({})).unwrap_err();
    assert_eq!(err.code, ox_runtime::ErrorCode::CheckViolated, "{err}");
    assert!(err.to_string().contains("`Dog`, `Cat`"), "{err}");
    assert_eq!(animal_count(&engine), 0, "nothing was written");
    // A covering subtype, an indirect one, and a classification later in
    // the same mutation all satisfy the cover.
    call(&engine, "add_dog", serde_json::json!({"id": "rex"})).expect("a dog");
    call(&engine, "add_puppy", serde_json::json!({"id": "bit"})).expect("a puppy");
    call(&engine, "add_then_classify", serde_json::json!({}))
        .expect("classified in the same mutation");
    assert_eq!(animal_count(&engine), 3);
}

#[test]
fn bad_covers_are_reported() {
    // Not a subtype.
    assert_code(
        "pub type Animal { Dog, Rock }\npub type Dog <: Animal;\npub type Rock;",
        "OE0203",
    );
    // The concept itself.
    assert_code(
        "pub type Animal { Animal, Dog }\npub type Dog <: Animal;",
        "OE0203",
    );
    // Not a concept.
    assert_code(
        "pub type Animal { Dog, pet }\npub type Dog <: Animal;\nquery pet() -> [Dog];",
        "OE0104",
    );
    // Unknown name.
    assert_code(
        "pub type Animal { Dog, Cta }\npub type Dog <: Animal;",
        "OE0101",
    );
    // Listed twice.
    assert_code(
        "pub type Animal { Dog, Dog }\npub type Dog <: Animal;",
        "OE0103",
    );
}
