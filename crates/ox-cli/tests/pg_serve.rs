//! End to end on PostgreSQL (`--storage pg`): the walkthrough, two replicas
//! on one database, readiness through a database outage, export/import
//! between sqlite and pg. Each test runs in a database of its own.
//!
//! Needs `OX_TEST_DATABASE_URL` (or `DATABASE_URL`); see `support::pg`.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::pg::{self, TestDatabase};
use support::proxy::OutageProxy;
use support::{assert_envelope, ox, start_lease, Server};

/// A cursor secret shared by the replicas of one test.
const SECRET: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";

fn start_pg(dir: &std::path::Path, url: &str, extra: &[&str]) -> Server {
    start_lease(dir, &["--storage", "pg", "--database-url", url], extra)
}

fn sign_up(server: &Server) {
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
        server.mutate("acme", name, args);
    }
}

#[test]
fn test_database_urls_are_rewritten() {
    let url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";
    assert_eq!(
        pg::with_database(url, "ox_e2e_1"),
        "postgres://postgres@127.0.0.1:5432/ox_e2e_1?sslmode=disable"
    );
    assert_eq!(pg::with_database("postgres://h", "d"), "postgres://h/d");
    assert_eq!(
        pg::with_host_port(url, "127.0.0.1:6000"),
        "postgres://postgres@127.0.0.1:6000/test?sslmode=disable"
    );
    assert_eq!(pg::host_port(url), "127.0.0.1:5432");
    assert_eq!(pg::host_port("postgres://u:p@db/x"), "db:5432");
}

#[test]
fn walkthrough_on_pg_survives_a_restart() {
    let Some(db) = TestDatabase::create("walkthrough_on_pg_survives_a_restart") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start_pg(dir.path(), &db.url, &[]);
    let (status, health) = server.get("/v1/health", None);
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["storage"]["kind"], "pg");
    sign_up(&server);
    assert_eq!(
        server.query_ids("acme", "lease::active_leases"),
        vec!["lease-1"]
    );
    assert_eq!(
        server.query_ids("acme", "lease::leases_in_breach"),
        vec!["lease-1"]
    );
    assert!(server.query_ids("globex", "lease::people").is_empty());
    server.stop();

    let server = start_pg(dir.path(), &db.url, &[]);
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["alice", "bob"]
    );
    assert_eq!(
        server.query_ids("acme", "lease::leases_in_breach"),
        vec!["lease-1"]
    );
    server.stop();
}

#[test]
fn two_replicas_read_each_others_writes_forks_and_cursors() {
    let Some(db) = TestDatabase::create("two_replicas_read_each_others_writes_forks_and_cursors")
    else {
        return;
    };
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let secret = ["--cursor-secret", SECRET];
    let a = start_pg(dir_a.path(), &db.url, &secret);
    let b = start_pg(dir_b.path(), &db.url, &secret);

    let mut expected: Vec<String> = Vec::new();
    for i in 0..6 {
        let (writer, reader) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = format!("p{i}");
        writer.mutate(
            "acme",
            "lease::register_person",
            json!({"id": id, "name": id}),
        );
        expected.push(id);
        assert_eq!(
            reader.query_ids("acme", "lease::people"),
            expected,
            "the other replica reads the write at once"
        );
    }

    // A fork created on one replica is visible and writable on the other.
    let (status, body) = a.send(
        "POST",
        "/v1/forks",
        &[("X-Tenant-Id", "acme")],
        Some(&json!({"name": "plan"})),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = b.send("GET", "/v1/forks/plan", &[("X-Tenant-Id", "acme")], None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "plan");
    let (status, body) = b.send(
        "POST",
        "/v1/forks/plan/dispatch/mutation",
        &[("X-Tenant-Id", "acme")],
        Some(&json!({"name": "lease::register_person", "args": {"id": "zed", "name": "Zed"}})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = a.send(
        "POST",
        "/v1/forks/plan/dispatch/query",
        &[("X-Tenant-Id", "acme")],
        Some(&json!({"name": "lease::people"})),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("zed"), "{body}");

    // A cursor issued by one replica continues on the other.
    let (status, first) = a.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::people", "limit": 4}),
    );
    assert_eq!(status, 200, "{first}");
    let cursor = first["nextCursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let (status, second) = b.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::people", "cursor": cursor}),
    );
    assert_eq!(status, 200, "{second}");
    let ids: Vec<&str> = first["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["rows"].as_array().unwrap())
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, expected);
    a.stop();
    b.stop();
}

/// Polls `/readyz` until it answers `want` (bounded: 60 s).
fn wait_ready_status(server: &Server, want: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = server.get("/readyz", None);
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed {status} (wanted {want}): {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn readiness_follows_a_database_outage_without_losing_writes() {
    let Some(db) =
        TestDatabase::create("readiness_follows_a_database_outage_without_losing_writes")
    else {
        return;
    };
    let proxy = OutageProxy::start(&pg::host_port(&db.url));
    let proxied = pg::with_host_port(&db.url, &format!("127.0.0.1:{}", proxy.port));
    let dir = tempfile::tempdir().unwrap();
    let server = start_pg(dir.path(), &proxied, &["--request-timeout-ms", "5000"]);
    server.mutate(
        "acme",
        "lease::register_person",
        json!({"id": "alice", "name": "Alice"}),
    );

    proxy.down();
    let body = wait_ready_status(&server, 503);
    assert_eq!(body["error"]["code"], "ARGON_RUNTIME_STORAGE_UNAVAILABLE");
    let (status, body) = server.get("/healthz", None);
    assert_eq!(status, 200, "liveness never touches storage: {body}");
    // Requests during the outage are answered with an envelope, never hang
    // (the client's own timeout is 30 s, far past the 5 s request timeout).
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "lease::people"}),
    );
    assert_envelope(status, &body, 503, "ARGON_RUNTIME_STORAGE_UNAVAILABLE");
    let (status, body) = server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({"name": "lease::register_person", "args": {"id": "ghost", "name": "Ghost"}}),
    );
    assert_envelope(status, &body, 503, "ARGON_RUNTIME_STORAGE_UNAVAILABLE");

    proxy.up();
    wait_ready_status(&server, 200);
    server.mutate(
        "acme",
        "lease::register_person",
        json!({"id": "bob", "name": "Bob"}),
    );
    assert_eq!(
        server.query_ids("acme", "lease::people"),
        vec!["alice", "bob"]
    );
    server.stop();
}

/// Runs `ox` and asserts it succeeded; returns stdout.
fn ox_ok(args: &[&str]) -> String {
    let output = ox(args);
    assert!(
        output.status.success(),
        "ox {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The event lines of an export (the header line dropped).
fn event_lines(export: &str) -> Vec<String> {
    export.lines().skip(1).map(str::to_owned).collect()
}

#[test]
fn export_and_import_round_trip_between_sqlite_and_pg() {
    let Some(db) = TestDatabase::create("export_and_import_round_trip_between_sqlite_and_pg")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let project = support::example_lease().display().to_string();
    let sqlite = dir.path().join("a.sqlite").display().to_string();
    let local = [
        "--project",
        project.as_str(),
        "--data",
        sqlite.as_str(),
        "--tenant",
        "acme",
    ];
    for (id, name) in [("alice", "Alice"), ("bob", "Bob")] {
        let (id_arg, name_arg) = (format!("id={id}"), format!("name={name}"));
        let mut args = vec![
            "mutate",
            "lease::register_person",
            "--arg",
            &id_arg,
            "--arg",
            &name_arg,
        ];
        args.extend_from_slice(&local);
        ox_ok(&args);
    }
    let export_file = dir.path().join("acme.jsonl").display().to_string();
    let mut args = vec!["store", "export", "-o", export_file.as_str()];
    args.extend_from_slice(&local);
    ox_ok(&args);
    let exported = std::fs::read_to_string(&export_file).unwrap();
    assert!(event_lines(&exported).len() >= 2, "{exported}");

    // Into pg, then read there.
    let pg = [
        "--project",
        project.as_str(),
        "--storage",
        "pg",
        "--database-url",
        db.url.as_str(),
        "--tenant",
        "acme",
    ];
    let mut args = vec!["store", "import", export_file.as_str()];
    args.extend_from_slice(&pg);
    ox_ok(&args);
    let mut args = vec!["query", "lease::people", "--format", "json"];
    args.extend_from_slice(&pg);
    let rows: Value = serde_json::from_str(&ox_ok(&args)).expect("json rows");
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["alice", "bob"]);
    // Importing into a tenant that holds data is refused.
    let mut args = vec!["store", "import", export_file.as_str()];
    args.extend_from_slice(&pg);
    assert!(!ox(&args).status.success());

    // Back out of pg into a fresh sqlite file: the same events.
    let mut args = vec!["store", "export"];
    args.extend_from_slice(&pg);
    let from_pg = ox_ok(&args);
    assert_eq!(event_lines(&from_pg), event_lines(&exported));
    let round = dir.path().join("b.sqlite").display().to_string();
    let back = [
        "--project",
        project.as_str(),
        "--data",
        round.as_str(),
        "--tenant",
        "acme",
    ];
    let piped = dir.path().join("from-pg.jsonl");
    std::fs::write(&piped, &from_pg).unwrap();
    let piped = piped.display().to_string();
    let mut args = vec!["store", "import", piped.as_str()];
    args.extend_from_slice(&back);
    ox_ok(&args);
    let mut args = vec![
        "query",
        "lease::people",
        "--format",
        "json",
        "--as-of-tx",
        "1",
    ];
    args.extend_from_slice(&back);
    let rows: Value = serde_json::from_str(&ox_ok(&args)).expect("json rows");
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["alice"], "tx numbers survive the round trip");
}

#[test]
fn pg_without_a_database_url_is_a_usage_error() {
    let output = std::process::Command::new(support::ox_bin())
        .args(["query", "lease::people", "--storage", "pg", "--project"])
        .arg(support::example_lease())
        .env_remove("OX_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .expect("ox runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--database-url"), "{stderr}");
}
