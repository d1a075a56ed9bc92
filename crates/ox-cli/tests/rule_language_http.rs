//! End to end over HTTP: a package using covers, relation specialisation,
//! disjunction, list membership, inlined functions and `meta(x)` in rules,
//! built and served by the real binary.

mod support;

use serde_json::json;
use support::{assert_envelope, start_on_sqlite, write_package};

const MANIFEST: &str = r#"[package]
name = "zoo"
version = "0.1.0"
prelude = ["std::core::type", "std::core::rel"]
"#;

const SOURCE: &str = r#"
pub metaxis rigidity for metatype { anti_rigid < rigid };
pub metatype kind = { rigidity: rigid };
pub metatype role = { rigidity: anti_rigid };

pub kind Animal { Dog, Cat }
pub kind Dog <: Animal { id: String, age: Nat }
pub kind Cat <: Animal { id: String, age: Nat }
pub role Pet <: Animal;
pub kind Keeper { id: String }
pub rel Cares(k: Keeper, a: Animal);
pub rel Feeds(k: Keeper, a: Animal) <: Cares;

fn senior(age: Nat) -> Bool = age >= 10;

pub derive cared(a: Animal) :- Cares(k, a);
pub derive notable(a: Animal) :- a: Dog, senior(a.age) || a.id in ["rex", "fido"];
pub derive kept_as_pet(a: Animal) :- a: Animal, meta(a).rigidity == anti_rigid;

pub query cared_for() -> [Animal] { select a from cared(a) }
pub query notable_dogs() -> [Dog] { select d from notable(d), d: Dog order by d.id }
pub query pets() -> [Animal] { select a from kept_as_pet(a) }

pub mutate add_animal() { insert Animal {}; }
pub mutate add_dog(id: String, age: Nat) -> Dog {
    let d = insert Dog { id: id, age: age };
    return d;
}
pub mutate adopt(a: Animal) { insert iof(a, Pet); }
pub mutate add_keeper(id: String) { insert Keeper { id: id }; }
pub mutate feed(k: Keeper, a: Animal) { insert Feeds(k, a); }
"#;

#[test]
fn the_rule_language_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let project = write_package(dir.path(), "zoo", MANIFEST, SOURCE);
    let server = start_on_sqlite(&project, dir.path());

    // An animal in none of the covering subtypes is refused and not written.
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": "zoo::add_animal", "args": {}}),
    );
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_CHECK_VIOLATED");

    server.mutate("acme", "zoo::add_dog", json!({"id": "rex", "age": 2}));
    server.mutate("acme", "zoo::add_dog", json!({"id": "old", "age": 12}));
    server.mutate("acme", "zoo::add_dog", json!({"id": "pup", "age": 1}));
    server.mutate("acme", "zoo::add_keeper", json!({"id": "kim"}));
    server.mutate("acme", "zoo::feed", json!({"k": "kim", "a": "pup"}));
    server.mutate("acme", "zoo::adopt", json!({"a": "old"}));

    // Feeds <: Cares: feeding is caring.
    assert_eq!(server.query_ids("acme", "zoo::cared_for"), vec!["pup"]);
    // A senior dog (inlined fn) or one named in the list (disjunction).
    assert_eq!(
        server.query_ids("acme", "zoo::notable_dogs"),
        vec!["old", "rex"]
    );
    // Instances of an anti-rigid concept.
    assert_eq!(server.query_ids("acme", "zoo::pets"), vec!["old"]);
    server.stop();
}
