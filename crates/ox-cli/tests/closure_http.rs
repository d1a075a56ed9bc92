//! End to end over HTTP: a transitive closure written in Argon, served by
//! the real binary, kept up as roads open and close (deletions are followed
//! by reachability), with a rule above it and explanations of its pairs
//! after the deletions.

mod support;

use serde_json::json;
use support::{start_on_sqlite, write_package, Server};

const MANIFEST: &str = r#"[package]
name = "roads"
version = "0.1.0"
prelude = ["std::core::type", "std::core::rel"]
"#;

const SOURCE: &str = r#"
pub metatype kind = {};

pub kind Place { id: String }
pub rel Road(start: Place, end: Place);

pub derive reach(a: Place, b: Place) :- Road(a, b);
pub derive reach(a: Place, c: Place) :- reach(a, b), Road(b, c);
pub derive reaches_hub(a: Place) :- reach(a, h), h.id == "hub";

pub query to_hub() -> [Place] { select a from reaches_hub(a) order by a.id }

pub mutate add_place(id: String) -> Place {
    let p = insert Place { id: id };
    return p;
}
pub mutate open(a: Place, b: Place) { insert Road(a, b); }
pub mutate close(a: Place, b: Place) { delete Road(a, b); }
"#;

fn road(server: &Server, name: &str, from: &str, to: &str) {
    server.mutate("acme", name, json!({"a": from, "b": to}));
}

/// Every `reach` pair the server derives, with its explanation checked:
/// each fact of the proof holds and each derived one has a derivation.
fn explained_pairs(server: &Server) -> usize {
    let (status, body) = server.post(
        "/v1/forks/main/derive",
        Some("acme"),
        &json!({"rules": ["reach"], "explain": true}),
    );
    assert_eq!(status, 200, "{body}");
    let rows = body["rows"].as_array().expect("rows").clone();
    for row in &rows {
        let nodes = row["proof"]["nodes"].as_array().expect("proof nodes");
        for node in nodes {
            match node["status"].as_str() {
                Some("base") => {}
                Some("derived") => assert!(
                    node["truncated"] == json!(true)
                        || !node["derivations"].as_array().expect("list").is_empty(),
                    "{row}"
                ),
                other => panic!("a premise that does not hold ({other:?}): {row}"),
            }
        }
        let id = row["factId"].as_str().expect("fact id");
        let (status, alone) = server.get(&format!("/v1/derived/facts/{id}/explain"), Some("acme"));
        assert_eq!(status, 200, "{alone}");
        assert_eq!(alone["proof"], row["proof"]);
    }
    rows.len()
}

#[test]
fn a_closure_follows_roads_opening_and_closing() {
    let dir = tempfile::tempdir().unwrap();
    let project = write_package(dir.path(), "roads", MANIFEST, SOURCE);
    let server = start_on_sqlite(&project, dir.path());
    for id in ["a", "b", "c", "d", "hub"] {
        server.mutate("acme", "roads::add_place", json!({"id": id}));
    }
    // a → b → c → a is a cycle with a shortcut a → c; c leads to the hub,
    // d leads into the cycle.
    for (from, to) in [
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("a", "c"),
        ("c", "hub"),
        ("d", "a"),
    ] {
        road(&server, "roads::open", from, to);
    }
    let to_hub = || server.query_ids("acme", "roads::to_hub");
    let ids = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(to_hub(), ids(&["a", "b", "c", "d"]));
    // a, b, c reach each other and the hub; d reaches all four.
    assert_eq!(explained_pairs(&server), 3 * 4 + 4);

    // b → c goes: b reaches nothing more, the rest keep their ways.
    road(&server, "roads::close", "b", "c");
    assert_eq!(to_hub(), ids(&["a", "c", "d"]));
    // a: b, c, a, hub; c: a, b, c, hub; d: a, b, c, hub.
    assert_eq!(explained_pairs(&server), 12);

    // a → c goes too: the cycle is broken, only c still gets to the hub.
    road(&server, "roads::close", "a", "c");
    assert_eq!(to_hub(), ids(&["c"]));
    // a: b; c: a, b, hub; d: a, b.
    assert_eq!(explained_pairs(&server), 6);

    // Reopened, everything comes back.
    road(&server, "roads::open", "b", "c");
    assert_eq!(to_hub(), ids(&["a", "b", "c", "d"]));
    assert_eq!(explained_pairs(&server), 16);
    server.stop();
}
