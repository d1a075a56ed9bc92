//! End to end: a query past the request deadline is stopped and answered 504.

mod support;

use std::fmt::Write;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{assert_envelope, Server};

/// Writes a package whose rules compute the transitive closure of a dense
/// random graph: far more work than the deadline allows.
fn write_slow_package(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("ox.toml"),
        "[package]\nname = \"slow\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let mut source = String::from("use std::core::type;\n\n");
    let mut state: u64 = 42;
    for _ in 0..3000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let from = (state >> 33) % 1000;
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let to = (state >> 33) % 1000;
        writeln!(source, "derive edge({from}, {to});").unwrap();
    }
    source.push_str("derive reach(x, y) :- edge(x, y);\n");
    source.push_str("derive reach(x, z) :- reach(x, y), edge(y, z);\n");
    source.push_str("pub query sources() -> [Int] { select x from reach(x, y) where y == 0 }\n");
    std::fs::write(dir.join("src/root.ar"), source).unwrap();
}

#[test]
fn a_slow_query_times_out_with_504() {
    let dir = tempfile::tempdir().unwrap();
    write_slow_package(dir.path());
    let data = dir.path().join("store.sqlite");
    let server = Server::start(&[
        "--project",
        dir.path().to_str().unwrap(),
        "--build",
        "--data",
        data.to_str().unwrap(),
        "--request-timeout-ms",
        "100",
    ]);
    let started = Instant::now();
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({"name": "slow::sources"}),
    );
    assert_envelope(status, &body, 504, "ARGON_RUNTIME_TIMEOUT");
    // The server stays responsive after stopping the evaluation.
    assert!(started.elapsed() < Duration::from_secs(30));
    let (status, _) = server.get("/healthz", None);
    assert_eq!(status, 200);
}
