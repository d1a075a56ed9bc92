//! Standpoints end to end against the real binary: `X-Standpoint`, body
//! `across` / `strict` (and `?strict=true`), the four-valued rows, unknown
//! standpoints (400), `/v1/schema`, and `ox query --across`.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use support::{assert_envelope, ox, start_on_sqlite, Server};

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/standpoints")
}

fn start(dir: &std::path::Path) -> Server {
    start_on_sqlite(&project(), dir)
}

fn seed(server: &Server) {
    server.mutate("zoo", "bird", json!({"id": "tweety", "wingspan": 20}));
    server.mutate("zoo", "penguin", json!({"id": "pingu"}));
}

fn query(server: &Server, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let mut all = vec![("X-Tenant-Id", "zoo")];
    all.extend_from_slice(headers);
    server.send("POST", path, &all, Some(&body))
}

/// `(id, truth)` of four-valued rows.
fn truths(body: &Value) -> Vec<(String, String)> {
    body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["value"]["id"].as_str().unwrap_or_default().to_owned(),
                r["truth"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn standpoints_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    seed(&server);
    let q = "/v1/dispatch/query";

    // Without a standpoint only the default layer: no rule derives Flies.
    assert!(server.query_ids("zoo", "flying").is_empty());
    let (status, body) = query(
        &server,
        q,
        &[("X-Standpoint", "Ornithology")],
        json!({"name": "flying"}),
    );
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pingu", "tweety"]);
    // A child standpoint sees its parent's rules; a sibling does not.
    let (_, child) = query(
        &server,
        q,
        &[],
        json!({"name": "flying", "standpoint": "Antarctica"}),
    );
    assert_eq!(child["rows"].as_array().unwrap().len(), 2, "{child}");
    let (_, sibling) = query(
        &server,
        q,
        &[("X-Standpoint", "Zoology")],
        json!({"name": "flying"}),
    );
    assert_eq!(sibling["rows"], json!([]), "{sibling}");

    // Ad-hoc across and the declared across query.
    let (status, body) = query(
        &server,
        q,
        &[],
        json!({"name": "flying", "across": ["Ornithology", "Zoology"]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(truths(&body), pairs(&[("pingu", "Both"), ("tweety", "Is")]));
    let (_, body) = query(&server, q, &[], json!({"name": "verdicts"}));
    assert_eq!(truths(&body), pairs(&[("pingu", "Both"), ("tweety", "Is")]));
    let (_, body) = query(
        &server,
        q,
        &[],
        json!({"name": "flying", "across": ["Zoology"]}),
    );
    assert_eq!(truths(&body), pairs(&[("pingu", "Not")]));
    // Called as a value (inside a fn), the declared across query gives its
    // `Is` rows, whatever standpoint the request reads.
    for headers in [&[][..], &[("X-Standpoint", "Zoology")][..]] {
        let (status, body) = query(
            &server,
            "/v1/dispatch/compute",
            headers,
            json!({"name": "undisputed_flyers"}),
        );
        assert_eq!(status, 200, "{body}");
        let ids: Vec<&str> = body["value"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|b| b["id"].as_str())
            .collect();
        assert_eq!(ids, ["tweety"], "{body}");
    }
    // Strict: body field or query parameter.
    let (_, body) = query(&server, q, &[], json!({"name": "verdicts", "strict": true}));
    assert_eq!(truths(&body), pairs(&[("tweety", "Is")]));
    let (status, body) = query(
        &server,
        "/v1/dispatch/query?strict=true",
        &[],
        json!({"name": "verdicts"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(truths(&body), pairs(&[("tweety", "Is")]));
    // Paging still works over four-valued rows.
    let (_, first) = query(&server, q, &[], json!({"name": "verdicts", "limit": 1}));
    assert_eq!(truths(&first), pairs(&[("pingu", "Both")]));
    let cursor = first["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, second) = query(
        &server,
        q,
        &[],
        json!({"name": "verdicts", "limit": 1, "cursor": cursor}),
    );
    assert_eq!(truths(&second), pairs(&[("tweety", "Is")]));

    // Errors: unknown standpoints, across with a standpoint.
    let (status, body) = query(
        &server,
        q,
        &[("X-Standpoint", "Nowhere")],
        json!({"name": "flying"}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
    let (status, body) = query(
        &server,
        q,
        &[],
        json!({"name": "flying", "across": ["Nowhere"]}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
    assert!(body.to_string().contains("Nowhere"), "{body}");
    let (status, body) = query(
        &server,
        q,
        &[("X-Standpoint", "Zoology")],
        json!({"name": "flying", "across": ["Ornithology"]}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
    assert!(body.to_string().contains("cannot be combined"), "{body}");
    let (status, body) = query(&server, q, &[], json!({"name": "flying", "strict": true}));
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");

    // A check of Antarctica is reported only under Antarctica.
    let (status, checks) = server.send(
        "GET",
        "/v1/checks",
        &[("X-Tenant-Id", "zoo"), ("X-Standpoint", "Antarctica")],
        None,
    );
    assert_eq!(status, 200, "{checks}");
    assert!(checks.to_string().contains("penguin_in_flight"), "{checks}");
    let (_, checks) = server.send("GET", "/v1/checks", &[("X-Tenant-Id", "zoo")], None);
    assert!(
        !checks.to_string().contains("penguin_in_flight"),
        "{checks}"
    );

    // The schema lists the lattice and each query's across list.
    let (status, schema) = server.get("/v1/schema", None);
    assert_eq!(status, 200);
    let standpoint = |path: &str| {
        schema["standpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"] == path)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        standpoint("birds::Antarctica")["parents"],
        json!(["birds::Ornithology"])
    );
    let verdicts = schema["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "verdicts")
        .cloned()
        .unwrap();
    assert_eq!(
        verdicts["across"],
        json!(["birds::Ornithology", "birds::Zoology"])
    );
    server.stop();
}

#[test]
fn ox_query_across_prints_the_truth_column() {
    let dir = tempfile::tempdir().unwrap();
    let project = project();
    let project = project.to_str().unwrap();
    let data = dir.path().join("store.sqlite");
    let data = data.to_str().unwrap();
    for (name, args) in [
        (
            "bird",
            ["--arg", "id=tweety", "--arg", "wingspan=20"].as_slice(),
        ),
        ("penguin", ["--arg", "id=pingu"].as_slice()),
    ] {
        let mut all = vec!["mutate", name, "--project", project, "--data", data];
        all.extend_from_slice(args);
        let out = ox(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let run = |extra: &[&str]| {
        let mut all = vec!["query", "--project", project, "--data", data];
        all.extend_from_slice(extra);
        ox(&all)
    };
    let out = run(&["flying", "--across", "Ornithology,Zoology"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["value   truth", "pingu   Both", "tweety  Is", "(2 rows)"],
        "{text}"
    );
    let out = run(&["verdicts", "--strict"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tweety  Is") && !text.contains("pingu"),
        "{text}"
    );
    let out = run(&["flying", "--across", "Nowhere"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown standpoint `Nowhere`"));
}

#[test]
fn ox_check_reason_reports_contradictions_per_standpoint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::copy(project().join("ox.toml"), dir.path().join("ox.toml")).unwrap();
    std::fs::write(
        dir.path().join("src/root.ar"),
        "standpoint Folk {\n    derive Flies(\"pingu\");\n    derive ~Flies(\"pingu\");\n}\n\
         standpoint Zoo {\n    derive Flies(\"tweety\");\n}\nderive ~Flies(\"tweety\");\n",
    )
    .unwrap();
    let out = ox(&["check", "--reason", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("Flies[\"pingu\"] holds together with its strong negation (under standpoint `birds::Folk`)"),
        "{text}"
    );
    assert!(text.contains("(under standpoint `birds::Zoo`)"), "{text}");
    // The default layer alone is consistent: `tweety` only fails under Zoo.
    assert!(!text.contains("negation\n"), "{text}");
}
