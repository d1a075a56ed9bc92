//! End to end over HTTP on the embedded sqlite store: forks, batches,
//! idempotency keys, bitemporal reads, the forget refusal and local erasure,
//! and the schema-change gate.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::{assert_envelope, ox, ox_until_exit, start_lease, Server};

fn sqlite(dir: &Path) -> Vec<String> {
    vec![
        "--data".to_owned(),
        dir.join("store.sqlite").display().to_string(),
    ]
}

fn start(dir: &Path) -> Server {
    let storage = sqlite(dir);
    let storage: Vec<&str> = storage.iter().map(String::as_str).collect();
    start_lease(dir, &storage, &[])
}

/// The README's sign-up: transactions 1–5 of tenant acme.
fn sign_up(server: &Server, tenant: &str) {
    for (name, args) in [
        (
            "lease::register_person",
            json!({"id": "alice", "name": "Alice"}),
        ),
        (
            "lease::register_person",
            json!({"id": "bob", "name": "Bob"}),
        ),
        (
            "lease::register_property",
            json!({"id": "flat-1", "address": "1 High Street", "owner": "bob"}),
        ),
        (
            "lease::sign_lease",
            json!({"id": "lease-1", "property": "flat-1", "tenant": "alice", "rent": "950.00", "start": "2020-01-01", "end": "2099-12-31"}),
        ),
        (
            "lease::billing::record_rent_due",
            json!({"id": "rent-2021-01", "lease": "lease-1", "due": "2021-01-01", "amount": "950.00"}),
        ),
    ] {
        server.mutate(tenant, name, args);
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {body}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs a query with extra headers on `path` (a dispatch route); asserts 200.
fn query_on(server: &Server, path: &str, headers: &[(&str, &str)], name: &str) -> Value {
    let (status, body) = server.send("POST", path, headers, Some(&json!({"name": name})));
    assert_eq!(status, 200, "{name} on {path}: {body}");
    body
}

const ACME: (&str, &str) = ("X-Tenant-Id", "acme");

#[test]
fn forks_copy_on_write_diff_promote_and_abort() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    sign_up(&server, "acme");

    // Create at tx 3: the fork sees alice, bob and the flat, not the lease.
    let (status, fork) = server.send(
        "POST",
        "/v1/forks",
        &[ACME],
        Some(&json!({"name": "what-if", "atTx": 3})),
    );
    assert_eq!(status, 201, "{fork}");
    assert_eq!(fork["name"], "what-if");
    let (status, body) = server.send(
        "POST",
        "/v1/forks",
        &[ACME],
        Some(&json!({"name": "what-if"})),
    );
    assert_envelope(status, &body, 409, "ARGON_RUNTIME_FORK_EXISTS");

    // Forks are per tenant.
    let (status, body) = server.send(
        "GET",
        "/v1/forks/what-if",
        &[("X-Tenant-Id", "globex")],
        None,
    );
    assert_envelope(status, &body, 404, "ARGON_RUNTIME_UNKNOWN_FORK");
    let (status, body) = server.send("GET", "/v1/forks", &[("X-Tenant-Id", "globex")], None);
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains("what-if"), "{body}");
    let (status, body) = server.send("GET", "/v1/forks", &[ACME], None);
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("what-if"), "{body}");
    let (status, body) = server.send("GET", "/v1/forks", &[], None);
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_MISSING_CONTEXT");

    let fork_query = "/v1/forks/what-if/dispatch/query";
    let fork_mutation = "/v1/forks/what-if/dispatch/mutation";
    assert_eq!(
        ids(&query_on(&server, fork_query, &[ACME], "lease::people")),
        vec!["alice", "bob"]
    );
    assert!(ids(&query_on(
        &server,
        fork_query,
        &[ACME],
        "lease::active_leases"
    ))
    .is_empty());

    // A write on the fork is invisible on main (copy on write).
    let (status, body) = server.send(
        "POST",
        fork_mutation,
        &[ACME],
        Some(&json!({"name": "lease::register_person", "args": {"id": "carol", "name": "Carol"}})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fork"], "what-if");
    assert_eq!(
        ids(&query_on(&server, fork_query, &[ACME], "lease::people")),
        vec!["alice", "bob", "carol"]
    );
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["alice", "bob"]
    );
    // X-Fork-Id names any existing fork; unknown forks are 404.
    let via_header = query_on(
        &server,
        "/v1/dispatch/query",
        &[ACME, ("X-Fork-Id", "what-if")],
        "lease::people",
    );
    assert_eq!(ids(&via_header), vec!["alice", "bob", "carol"]);
    let (status, body) = server.send(
        "POST",
        "/v1/dispatch/query",
        &[ACME, ("X-Fork-Id", "nope")],
        Some(&json!({"name": "lease::people"})),
    );
    assert_envelope(status, &body, 404, "ARGON_RUNTIME_UNKNOWN_FORK");
    // The path fork and X-Fork-Id / forkId must agree.
    let (status, body) = server.send(
        "POST",
        fork_query,
        &[ACME, ("X-Fork-Id", "main")],
        Some(&json!({"name": "lease::people"})),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_FORK_CONFLICT");
    let (status, body) = server.send(
        "POST",
        fork_query,
        &[ACME],
        Some(&json!({"name": "lease::people", "forkId": "main"})),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_FORK_CONFLICT");

    // The diff, page by page, is the whole diff.
    let (status, whole) = server.send("GET", "/v1/forks/what-if/diff/main", &[ACME], None);
    assert_eq!(status, 200, "{whole}");
    let all = whole["rows"].as_array().expect("diff rows").clone();
    assert!(!all.is_empty(), "{whole}");
    assert!(whole.to_string().contains("carol"), "{whole}");
    let mut paged = Vec::new();
    let mut next = "/v1/forks/what-if/diff/main?limit=1".to_owned();
    loop {
        let (status, page) = server.send("GET", &next, &[ACME], None);
        assert_eq!(status, 200, "{page}");
        let rows = page["rows"].as_array().expect("rows");
        assert!(rows.len() <= 1);
        paged.extend(rows.iter().cloned());
        match page["nextCursor"].as_str() {
            Some(cursor) => {
                next = format!("/v1/forks/what-if/diff/main?limit=1&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(paged, all);

    // Promote: main gains carol; the fork is closed to writes, readable.
    let (status, body) = server.send("POST", "/v1/forks/what-if/promote", &[ACME], None);
    assert_eq!(status, 200, "{body}");
    assert!(body["tx"].as_u64().is_some_and(|tx| tx > 5), "{body}");
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["alice", "bob", "carol"]
    );
    let (status, body) = server.send(
        "POST",
        fork_mutation,
        &[ACME],
        Some(&json!({"name": "lease::register_person", "args": {"id": "dan", "name": "Dan"}})),
    );
    assert_envelope(status, &body, 409, "ARGON_RUNTIME_FORK_CLOSED");
    query_on(&server, fork_query, &[ACME], "lease::people");

    // Both sides change the same lease: promotion conflicts, then abort.
    let (status, body) = server.send(
        "POST",
        "/v1/forks",
        &[ACME],
        Some(&json!({"name": "rival"})),
    );
    assert_eq!(status, 201, "{body}");
    server.mutate(
        "acme",
        "lease::terminate_lease",
        json!({"lease": "lease-1"}),
    );
    let (status, body) = server.send(
        "POST",
        "/v1/forks/rival/dispatch/mutation",
        &[ACME],
        Some(&json!({"name": "lease::terminate_lease", "args": {"lease": "lease-1"}})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.send("POST", "/v1/forks/rival/promote", &[ACME], None);
    assert_envelope(status, &body, 409, "ARGON_RUNTIME_PROMOTE_CONFLICT");
    assert!(
        body["error"]["details"].to_string().contains("lease-1"),
        "{body}"
    );
    let (status, body) = server.send("DELETE", "/v1/forks/rival", &[ACME], None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "aborted");
    let (status, body) = server.send(
        "POST",
        "/v1/forks/rival/dispatch/mutation",
        &[ACME],
        Some(&json!({"name": "lease::register_person", "args": {"id": "eve", "name": "Eve"}})),
    );
    assert_envelope(status, &body, 409, "ARGON_RUNTIME_FORK_CLOSED");
    let (status, body) = server.send("GET", "/v1/forks/rival", &[ACME], None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "aborted");
    query_on(
        &server,
        "/v1/forks/rival/dispatch/query",
        &[ACME],
        "lease::people",
    );
}

#[test]
fn batches_are_atomic_and_idempotency_keys_replay() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());

    let (status, body) = server.send(
        "POST",
        "/v1/batch",
        &[ACME],
        Some(&json!({"calls": [
            {"name": "lease::register_person", "args": {"id": "erin", "name": "Erin"}},
            {"name": "lease::register_person", "args": {"id": "frank", "name": "Frank"}},
        ]})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tx"], 1, "one batch, one transaction: {body}");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["erin", "frank"]
    );

    // The second call fails its require: nothing of the batch is written.
    let (status, body) = server.send(
        "POST",
        "/v1/batch",
        &[ACME],
        Some(&json!({"calls": [
            {"name": "lease::register_person", "args": {"id": "gail", "name": "Gail"}},
            {"name": "lease::register_person", "args": {"id": "", "name": "Nobody"}},
        ]})),
    );
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_REQUIRE_FAILED");
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["erin", "frank"]
    );
    let (status, body) = server.send(
        "POST",
        "/v1/batch",
        &[ACME],
        Some(&json!({"calls": [{"name": "lease::no_such_thing"}]})),
    );
    assert_envelope(status, &body, 404, "ARGON_RUNTIME_UNKNOWN_CALLABLE");
    let (status, body) = server.send("POST", "/v1/batch", &[ACME], Some(&json!({"calls": []})));
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");

    // Same key, same request: the stored response, nothing written.
    let register = json!({"name": "lease::register_person", "args": {"id": "hal", "name": "Hal"}});
    let keyed = [ACME, ("Idempotency-Key", "signup-hal")];
    let (status, first) = server.send("POST", "/v1/dispatch/mutation", &keyed, Some(&register));
    assert_eq!(status, 200, "{first}");
    let (status, again) = server.send("POST", "/v1/dispatch/mutation", &keyed, Some(&register));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["tx"], first["tx"]);
    assert_eq!(again["value"], first["value"]);
    assert_eq!(again["eventsWritten"], first["eventsWritten"]);
    let tx = first["tx"].as_u64().expect("tx");
    let next = server.mutate(
        "acme",
        "lease::register_person",
        json!({"id": "ivy", "name": "Ivy"}),
    );
    assert_eq!(next["tx"], tx + 1, "the replay wrote no transaction");
    // Same key, another request: 409.
    let other = json!({"name": "lease::register_person", "args": {"id": "hal", "name": "Hal II"}});
    let (status, body) = server.send("POST", "/v1/dispatch/mutation", &keyed, Some(&other));
    assert_envelope(status, &body, 409, "ARGON_RUNTIME_IDEMPOTENCY_CONFLICT");
    // Keys on batches too; bad keys and keys on reads are refused.
    let batch =
        json!({"calls": [{"name": "lease::register_person", "args": {"id": "jo", "name": "Jo"}}]});
    let batch_key = [ACME, ("Idempotency-Key", "batch-jo")];
    let (status, first) = server.send("POST", "/v1/batch", &batch_key, Some(&batch));
    assert_eq!(status, 200, "{first}");
    let (status, again) = server.send("POST", "/v1/batch", &batch_key, Some(&batch));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["tx"], first["tx"]);
    let long_key = "k".repeat(256);
    let (status, body) = server.send(
        "POST",
        "/v1/dispatch/mutation",
        &[ACME, ("Idempotency-Key", long_key.as_str())],
        Some(&register),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
    let (status, body) = server.send(
        "POST",
        "/v1/dispatch/query",
        &[ACME, ("Idempotency-Key", "q")],
        Some(&json!({"name": "lease::people"})),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
}

#[test]
fn as_of_reads_by_tx_and_time_and_retroactive_corrections() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    // Everything is recorded as valid since 2020 (a back-filled history).
    mutate_valid(
        &server,
        "lease::register_person",
        json!({"id": "alice", "name": "Alice"}),
    );
    mutate_valid(
        &server,
        "lease::register_person",
        json!({"id": "bob", "name": "Bob"}),
    );
    std::thread::sleep(Duration::from_millis(20));
    let after_two = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(Duration::from_millis(20));
    mutate_valid(
        &server,
        "lease::register_property",
        json!({"id": "flat-1", "address": "1 High Street", "owner": "bob"}),
    );
    mutate_valid(
        &server,
        "lease::sign_lease",
        json!({"id": "lease-1", "property": "flat-1", "tenant": "alice", "rent": "950.00", "start": "2020-01-01", "end": "2099-12-31"}),
    );

    let at_one = query_on(
        &server,
        "/v1/dispatch/query",
        &[ACME, ("X-As-Of-Tx", "1")],
        "lease::people",
    );
    assert_eq!(ids(&at_one), vec!["alice"]);
    assert_eq!(at_one["tx"], 1);
    let at_time = query_on(
        &server,
        "/v1/dispatch/query",
        &[ACME, ("X-As-Of-Tx", after_two.as_str())],
        "lease::people",
    );
    assert_eq!(ids(&at_time), vec!["alice", "bob"]);
    assert_eq!(at_time["tx"], 2, "{at_time}");
    let (status, body) = server.send(
        "POST",
        "/v1/dispatch/query",
        &[ACME, ("X-As-Of-Tx", "last week")],
        Some(&json!({"name": "lease::people"})),
    );
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");

    // The lease was terminated as of 2021-01-01, recorded only now.
    let before = server.query_ids("acme", "lease::active_leases");
    assert_eq!(before, vec!["lease-1"]);
    let before_tx = query_on(&server, "/v1/dispatch/query", &[ACME], "lease::people")["tx"]
        .as_u64()
        .expect("tx");
    let (status, body) = server.send(
        "POST",
        "/v1/dispatch/mutation",
        &[ACME],
        Some(&json!({"name": "lease::terminate_lease", "args": {"lease": "lease-1"}, "validAt": "2021-01-01"})),
    );
    assert_eq!(status, 200, "{body}");
    assert!(server.query_ids("acme", "lease::active_leases").is_empty());
    // An audit read at the earlier transaction still sees the old belief.
    let before_text = before_tx.to_string();
    let audit = query_on(
        &server,
        "/v1/dispatch/query",
        &[ACME, ("X-As-Of-Tx", before_text.as_str())],
        "lease::active_leases",
    );
    assert_eq!(ids(&audit), vec!["lease-1"]);
    // Now known: in mid-2020 the lease was active, in mid-2021 it was not.
    let in_2020 = query_on(
        &server,
        "/v1/dispatch/query",
        &[ACME, ("X-As-Of-Valid", "2020-06-01")],
        "lease::active_leases",
    );
    assert_eq!(ids(&in_2020), vec!["lease-1"]);
    let in_2021 = query_on(
        &server,
        "/v1/dispatch/query",
        &[ACME, ("X-As-Of-Valid", "2021-06-01")],
        "lease::active_leases",
    );
    assert!(ids(&in_2021).is_empty(), "{in_2021}");
}

/// Runs a mutation for acme valid from 2020-01-01; asserts 200.
fn mutate_valid(server: &Server, name: &str, args: Value) {
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": name, "args": args, "validAt": "2020-01-01"}),
    );
    assert_eq!(status, 200, "{name}: {body}");
}

/// A package with a mutation that may forget.
fn write_forget_package(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("ox.toml"),
        "[package]\nname = \"registry\"\nversion = \"0.1.0\"\nentry = \"src/root.ar\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/root.ar"),
        "use std::core::type;\n\n\
         /// A registered person.\n\
         pub type Person {\n    #[key]\n    id: String,\n    name: String,\n}\n\n\
         pub query people() -> [Person];\n\n\
         pub mutate register(id: String, name: String) -> Person {\n    let p = insert Person { id: id, name: name };\n    return p;\n}\n\n\
         /// Physical erasure: refused over HTTP.\n\
         #[allow_forget]\n\
         pub mutate erase(p: Person) {\n    forget p;\n}\n",
    )
    .unwrap();
}

#[test]
fn forget_is_refused_over_http_and_erases_locally_with_a_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("registry");
    write_forget_package(&package);
    let data = dir.path().join("store.sqlite");
    let (package_text, data_text) = (package.display().to_string(), data.display().to_string());
    let server = Server::start(&["--project", &package_text, "--data", &data_text, "--build"]);
    server.mutate(
        "acme",
        "registry::register",
        json!({"id": "alice", "name": "Alice Secret"}),
    );
    server.mutate(
        "acme",
        "registry::register",
        json!({"id": "bob", "name": "Bob"}),
    );
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": "registry::erase", "args": {"p": "alice"}}),
    );
    assert_envelope(status, &body, 403, "ARGON_RUNTIME_FORGET_REFUSED");
    let (status, body) = server.send(
        "POST",
        "/v1/batch",
        &[ACME],
        Some(&json!({"calls": [{"name": "registry::erase", "args": {"p": "alice"}}]})),
    );
    assert_envelope(status, &body, 403, "ARGON_RUNTIME_FORGET_REFUSED");
    assert_eq!(
        server.query_ids("acme", "registry::people"),
        vec!["alice", "bob"]
    );
    server.stop();

    let output = ox(&[
        "store",
        "forget",
        "--project",
        &package_text,
        "--data",
        &data_text,
        "--tenant",
        "acme",
        "--individual",
        "alice",
        "--reason",
        "erasure request 42",
        "--principal",
        "dpo",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let receipt: Value = serde_json::from_str(&stdout).expect("a JSON receipt");
    assert!(receipt["receiptId"].is_string(), "{receipt}");
    assert_eq!(receipt["reason"], "erasure request 42");
    assert!(
        receipt["eventIds"]
            .as_array()
            .is_some_and(|ids| !ids.is_empty()),
        "{receipt}"
    );
    assert!(
        !stdout.contains("Alice Secret"),
        "the receipt keeps no erased content: {stdout}"
    );

    let output = ox(&[
        "query",
        "registry::people",
        "--project",
        &package_text,
        "--data",
        &data_text,
        "--tenant",
        "acme",
        "--format",
        "json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Value = serde_json::from_slice(&output.stdout).expect("json rows");
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["bob"]);
}

/// Copies a folder tree, leaving out build outputs and stores.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == ".ox" {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if source.is_dir() {
            copy_tree(&source, &target);
        } else {
            std::fs::copy(&source, &target).unwrap();
        }
    }
}

/// Copies the examples (the lease package and its path dependencies) into
/// `dir`; returns the copied lease package.
fn copy_lease(dir: &Path) -> std::path::PathBuf {
    let examples = support::example_lease().join("..");
    copy_tree(&examples, &dir.join("examples"));
    dir.join("examples").join("lease")
}

/// Builds the package and returns its schemaHash (from `ox build`'s report).
fn schema_hash(package: &Path, out: &Path) -> String {
    let output = ox(&[
        "build",
        &package.display().to_string(),
        "-o",
        &out.display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("schemaHash "))
        .unwrap_or_else(|| panic!("no schemaHash in {stderr}"))
        .trim()
        .to_owned()
}

#[test]
fn the_schema_change_gate_refuses_then_accepts_and_ignores_comments() {
    let dir = tempfile::tempdir().unwrap();
    let package = copy_lease(dir.path());
    let data = dir.path().join("store.sqlite");
    let (package_text, data_text) = (package.display().to_string(), data.display().to_string());
    let old_hash = schema_hash(&package, &dir.path().join("old.oxbin"));
    let server = Server::start(&["--project", &package_text, "--data", &data_text, "--build"]);
    server.mutate(
        "acme",
        "lease::register_person",
        json!({"id": "alice", "name": "Alice"}),
    );
    server.stop();

    // Rename a field: another schema.
    let root = package.join("src/root.ar");
    let text = std::fs::read_to_string(&root).unwrap();
    let renamed = text
        .replace(
            "    address: String,\n    owner: Person,",
            "    street: String,\n    owner: Person,",
        )
        .replace("address: address", "street: address")
        .replace("address: \"1 High Street\"", "street: \"1 High Street\"");
    assert_ne!(renamed, text);
    std::fs::write(&root, &renamed).unwrap();
    let new_hash = schema_hash(&package, &dir.path().join("new.oxbin"));
    assert_ne!(old_hash, new_hash);

    let port = support::free_port().to_string();
    let serve = [
        "runtime",
        "serve",
        "--port",
        &port,
        "--project",
        &package_text,
        "--data",
        &data_text,
        "--build",
    ];
    let refused = ox_until_exit(&serve, &[], Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("ARGON_RUNTIME_SCHEMA_MISMATCH"), "{stderr}");
    assert!(stderr.contains("acme"), "the scope is named: {stderr}");
    assert!(
        stderr.contains(&old_hash),
        "the old hash is named: {stderr}"
    );
    assert!(
        stderr.contains(&new_hash),
        "the new hash is named: {stderr}"
    );

    let accepted = Server::start_with_env(
        &["--project", &package_text, "--data", &data_text, "--build"],
        &[("ARGON_ACCEPT_SCHEMA_CHANGE", "1")],
    );
    assert_eq!(accepted.query_ids("acme", "lease::people"), vec!["alice"]);
    accepted.stop();

    // A comment-only change is not a schema change: it starts without the variable.
    let commented = format!("// reviewed\n{renamed}").replace(
        "/// A dwelling that can be let.",
        "/// A dwelling that can be let (reviewed).",
    );
    assert!(commented.contains("(reviewed)"), "a doc comment changed");
    std::fs::write(&root, commented).unwrap();
    let same = Server::start(&["--project", &package_text, "--data", &data_text, "--build"]);
    assert_eq!(same.query_ids("acme", "lease::people"), vec!["alice"]);
    same.stop();
}

/// Runs `ox` and returns (exit code, stdout as JSON or text, stderr).
fn ox_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let output = ox(args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::String(stdout));
    (
        output.status.code(),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn local_mutations_take_keys_valid_times_and_forks() {
    let dir = tempfile::tempdir().unwrap();
    let project = support::example_lease().display().to_string();
    let data = dir.path().join("store.sqlite").display().to_string();
    let scope = [
        "--project",
        project.as_str(),
        "--data",
        data.as_str(),
        "--tenant",
        "acme",
    ];
    let mutate = |extra: &[&str]| {
        let mut args = vec!["mutate", "lease::register_person"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&scope);
        ox_json(&args)
    };
    let keyed = [
        "--arg",
        "id=alice",
        "--arg",
        "name=Alice",
        "--idempotency-key",
        "k1",
    ];
    let (code, first, stderr) = mutate(&keyed);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, again, stderr) = mutate(&keyed);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        again["tx"], first["tx"],
        "the key replays the stored receipt"
    );
    let (code, _, stderr) = mutate(&[
        "--arg",
        "id=alice",
        "--arg",
        "name=Other",
        "--idempotency-key",
        "k1",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("ARGON_RUNTIME_IDEMPOTENCY_CONFLICT"),
        "{stderr}"
    );
    let (code, _, _) = mutate(&[
        "--arg",
        "id=x",
        "--arg",
        "name=X",
        "--idempotency-key",
        "a b",
    ]);
    assert_eq!(code, Some(2));
    let (code, _, stderr) = mutate(&["--arg", "id=bob", "--arg", "name=Bob", "--fork", "nope"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("ARGON_RUNTIME_UNKNOWN_FORK"), "{stderr}");
    let (code, _, stderr) = mutate(&[
        "--arg",
        "id=bob",
        "--arg",
        "name=Bob",
        "--valid-at",
        "2020-01-01",
    ]);
    assert_eq!(code, Some(0), "{stderr}");

    let query = |extra: &[&str]| {
        let mut args = vec!["query", "lease::people", "--format", "json"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&scope);
        ox_json(&args)
    };
    let ids = |rows: &Value| -> Vec<String> {
        rows.as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (code, rows, stderr) = query(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(ids(&rows), vec!["alice", "bob"]);
    let (_, rows, _) = query(&["--as-of-tx", "1"]);
    assert_eq!(ids(&rows), vec!["alice"]);
    let (_, rows, _) = query(&["--limit", "1"]);
    assert_eq!(ids(&rows), vec!["alice"]);
    let (_, rows, _) = query(&["--as-of-valid", "2021-01-01"]);
    assert_eq!(ids(&rows), vec!["bob"], "only bob was valid in 2021");
    let (code, _, _) = query(&["--as-of-tx", "last tuesday"]);
    assert_eq!(code, Some(2));
}
