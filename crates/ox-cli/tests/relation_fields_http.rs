//! End to end over HTTP: tuples of a relation with per-tuple fields inserted
//! by mutations, returned with their fields by a query, read by a rule, and a
//! bad field value refused, served by the real binary.

mod support;

use serde_json::json;
use support::{assert_envelope, start_on_sqlite, write_package};

const MANIFEST: &str = r#"[package]
name = "jobs"
version = "0.1.0"
prelude = ["std::core::type", "std::core::rel"]
"#;

const SOURCE: &str = r#"
pub type Person { id: String }
pub type Org { id: String }
pub rel Employment(p: Person, o: Org) { since: Nat, title: Option<String> }

pub derive veteran(p: Person) :- Employment(p, o, s, t), s < 2000;

pub query employments() -> [Employment];
pub query veterans() -> [Person] { select p from veteran(p) order by p.id }

pub mutate add_person(id: String) { insert Person { id: id }; }
pub mutate add_org(id: String) { insert Org { id: id }; }
pub mutate hire(p: Person, o: Org, since: Nat, title: Option<String>) {
    insert Employment(p, o) { since: since, title: title };
}
pub mutate fire(p: Person, o: Org) { delete Employment(p, o); }
"#;

#[test]
fn relation_fields_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let project = write_package(dir.path(), "jobs", MANIFEST, SOURCE);
    let server = start_on_sqlite(&project, dir.path());

    server.mutate("acme", "jobs::add_person", json!({"id": "ann"}));
    server.mutate("acme", "jobs::add_person", json!({"id": "bob"}));
    server.mutate("acme", "jobs::add_org", json!({"id": "acme"}));
    server.mutate(
        "acme",
        "jobs::hire",
        json!({"p": "ann", "o": "acme", "since": 1990, "title": "CEO"}),
    );
    server.mutate(
        "acme",
        "jobs::hire",
        json!({"p": "bob", "o": "acme", "since": 2015, "title": null}),
    );

    // A bad field value is refused with the usual envelope and not written.
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": "jobs::hire", "args": {"p": "bob", "o": "acme", "since": -3, "title": null}}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_SIGNATURE_MISMATCH");

    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "jobs::employments"}),
    );
    assert_eq!(status, 200, "{body}");
    let mut rows = body["rows"].as_array().expect("rows").clone();
    rows.sort_by_key(|r| r["p"]["id"].to_string());
    let person = |id: &str| json!({"id": id, "type": "Person"});
    let acme = json!({"id": "acme", "type": "Org"});
    assert_eq!(
        rows,
        vec![
            json!({"p": person("ann"), "o": acme, "since": 1990, "title": "CEO"}),
            json!({"p": person("bob"), "o": acme, "since": 2015, "title": null}),
        ]
    );

    // The schema lists the relation with its fields, and nothing of how
    // they are stored.
    let (status, schema) = server.get("/v1/schema", None);
    assert_eq!(status, 200, "{schema}");
    let relations = schema["relations"].as_array().expect("relations");
    let paths: Vec<&str> = relations
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert_eq!(paths, vec!["jobs::Employment"], "{schema}");
    let fields: Vec<&str> = relations[0]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(fields, vec!["since", "title"]);

    // A rule reads the field.
    assert_eq!(server.query_ids("acme", "jobs::veterans"), vec!["ann"]);

    // Inserting the tuple again with another value is refused.
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": "jobs::hire", "args": {"p": "ann", "o": "acme", "since": 2001, "title": null}}),
    );
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_CHECK_VIOLATED");

    // Deleting the tuple retracts its fields.
    server.mutate("acme", "jobs::fire", json!({"p": "ann", "o": "acme"}));
    assert!(server.query_ids("acme", "jobs::veterans").is_empty());
    server.stop();
}
