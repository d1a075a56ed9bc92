//! End to end: the README walkthrough against the real binary serving the
//! example package on the embedded sqlite store.

mod support;

use serde_json::json;
use support::{assert_envelope, example_lease, Server};

/// Starts the server on the example package with its own artifact and store.
fn start_lease(dir: &std::path::Path, extra: &[&str]) -> Server {
    let project = example_lease();
    let oxbin = dir.join("root.oxbin");
    let data = dir.join("store.sqlite");
    let mut args = vec![
        "--project",
        project.to_str().unwrap(),
        "--oxbin",
        oxbin.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--build",
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn sign_up_acme(server: &Server) {
    server.mutate(
        "acme",
        "lease::register_person",
        json!({"id": "alice", "name": "Alice"}),
    );
    server.mutate(
        "acme",
        "lease::register_person",
        json!({"id": "bob", "name": "Bob"}),
    );
    server.mutate(
        "acme",
        "lease::register_property",
        json!({"id": "flat-1", "address": "1 High Street", "owner": "bob"}),
    );
    server.mutate(
        "acme",
        "lease::sign_lease",
        json!({"id": "lease-1", "property": "flat-1", "tenant": "alice", "rent": "950.00", "start": "2020-01-01", "end": "2099-12-31"}),
    );
    server.mutate(
        "acme",
        "lease::billing::record_rent_due",
        json!({"id": "rent-2021-01", "lease": "lease-1", "due": "2021-01-01", "amount": "950.00"}),
    );
}

#[test]
fn walkthrough_isolation_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_lease(dir.path(), &[]);
    sign_up_acme(&server);

    assert_eq!(
        server.query_ids("acme", "lease::active_leases"),
        vec!["lease-1"]
    );
    assert_eq!(
        server.query_ids("acme", "lease::leases_in_breach"),
        vec!["lease-1"]
    );
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["alice", "bob"]
    );

    // Another tenant sees none of it, through every dispatch route.
    assert!(server
        .query_ids("globex", "lease::active_leases")
        .is_empty());
    assert!(server.query_ids("globex", "lease::people").is_empty());
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("globex"),
        &json!({"name": "lease::leases_of", "args": {"t": "alice"}}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("globex"),
        &json!({"name": "lease::terminate_lease", "args": {"lease": "lease-1"}}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");

    // A require that fails is refused and writes nothing.
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": "lease::sign_lease", "args": {"id": "lease-2", "property": "flat-1", "tenant": "bob", "rent": "10", "start": "2020-01-01", "end": "2099-01-01"}}),
    );
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_REQUIRE_FAILED");

    // A fn over the wire.
    let (status, body) = server.post(
        "/v1/dispatch/compute",
        Some("acme"),
        &json!({"name": "lease::annual_rent", "args": {"monthly": "950.00"}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"]["amount"], "11400.00");

    // Restart: everything written is still there.
    server.stop();
    let server = start_lease(dir.path(), &[]);
    assert_eq!(
        server.query_ids("acme", "lease::leases_in_breach"),
        vec!["lease-1"]
    );
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::leases_of", "args": {"t": "alice"}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["id"], "lease-1");
    assert_eq!(body["rows"][0]["type"], "Lease");
}

#[test]
fn context_and_routing_errors_use_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_lease(dir.path(), &["--max-body-bytes", "4096"]);

    let (status, body) = server.post(
        "/v1/dispatch/query",
        None,
        &json!({"name": "lease::people"}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_MISSING_CONTEXT");

    let (status, body) = server.get("/v1/no-such-route", Some("acme"));
    assert_envelope(status, &body, 404, "ARGON_RUNTIME_NOT_FOUND");

    let (status, body) = server.get("/v1/dispatch/query", Some("acme"));
    assert_envelope(status, &body, 405, "ARGON_RUNTIME_METHOD_NOT_ALLOWED");

    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::no_such_query"}),
    );
    assert_envelope(status, &body, 404, "ARGON_RUNTIME_UNKNOWN_CALLABLE");

    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::leases_of", "args": {}}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_SIGNATURE_MISMATCH");

    let big = "x".repeat(10_000);
    let (status, body) = server.post("/v1/dispatch/query", Some("acme"), &json!({"name": big}));
    assert_envelope(status, &body, 413, "ARGON_RUNTIME_PAYLOAD_TOO_LARGE");

    let response = server
        .client
        .post(server.url("/v1/dispatch/query"))
        .header("X-Tenant-Id", "acme")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().unwrap();
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");

    let (status, body) = server.get("/healthz", None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.get("/readyz", None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.get("/v1/health", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["moduleHash"].as_str().map(str::len), Some(64));
    let (status, schema) = server.get("/v1/schema", None);
    assert_eq!(status, 200, "{schema}");
    assert_eq!(schema["schemaHash"], body["schemaHash"]);
}

#[test]
fn pages_concatenate_to_the_full_answer_and_cursors_are_authenticated() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_lease(dir.path(), &["--max-rows", "2"]);
    let ids: Vec<String> = (0..7).map(|i| format!("person-{i}")).collect();
    for id in &ids {
        server.mutate(
            "acme",
            "lease::register_person",
            json!({"id": id, "name": id}),
        );
    }
    let mut seen = Vec::new();
    let mut cursor = serde_json::Value::Null;
    let mut last_page = json!(null);
    loop {
        let (status, body) = server.post(
            "/v1/dispatch/query",
            Some("acme"),
            &json!({"name": "lease::people", "cursor": cursor}),
        );
        assert_eq!(status, 200, "{body}");
        let rows = body["rows"].as_array().unwrap();
        assert!(rows.len() <= 2);
        seen.extend(rows.iter().map(|r| r["id"].as_str().unwrap().to_string()));
        cursor = body["nextCursor"].clone();
        last_page = body;
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(seen, ids);
    assert!(last_page["nextCursor"].is_null());

    let (_, first) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::people"}),
    );
    let cursor = first["nextCursor"].as_str().unwrap().to_string();
    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::people", "cursor": tampered}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_INVALID_CURSOR");
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("globex"),
        &json!({"name": "lease::people", "cursor": cursor}),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_INVALID_CURSOR");
}

#[test]
fn non_loopback_bind_is_refused_with_exit_code_2() {
    let output = support::ox(&[
        "runtime",
        "serve",
        "--host",
        "0.0.0.0",
        "--project",
        example_lease().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("gateway"),
        "the refusal explains the gateway contract: {stderr}"
    );
}
