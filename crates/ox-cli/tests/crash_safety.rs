//! End to end: SIGKILL the server in the middle of a stream of acknowledged
//! writes (sqlite and pg), restart it, and find every acknowledged write and
//! no partial transaction.
//!
//! Each write is a batch of two mutations (`p<i>-a`, `p<i>-b`) committed in
//! one transaction: after the restart both are present or neither is.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use support::pg::TestDatabase;
use support::{start_lease, Server};

/// How many acknowledged writes to wait for before the kill.
const BEFORE_KILL: usize = 12;
/// An upper bound on the stream, so the writer always stops.
const MAX_WRITES: usize = 2_000;

/// Streams batches until the server stops answering; returns the
/// acknowledged indices (shared) and the writer's thread.
fn stream_writes(
    url: String,
    acknowledged: Arc<Mutex<Vec<usize>>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        for i in 0..MAX_WRITES {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let body = json!({"calls": [
                {"name": "lease::register_person", "args": {"id": format!("p{i}-a"), "name": "A"}},
                {"name": "lease::register_person", "args": {"id": format!("p{i}-b"), "name": "B"}},
            ]});
            let sent = client
                .post(format!("{url}/v1/batch"))
                .header("X-Tenant-Id", "acme")
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send();
            match sent {
                Ok(response) if response.status().as_u16() == 200 => {
                    if let Ok(mut done) = acknowledged.lock() {
                        done.push(i);
                    }
                }
                // The server is gone: the stream ends.
                _ => return,
            }
        }
    })
}

fn kill_mid_stream_and_check(dir: &std::path::Path, storage: &[&str]) {
    let server = start_lease(dir, storage, &[]);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = stream_writes(server.url(""), Arc::clone(&acknowledged), Arc::clone(&stop));
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().map(|a| a.len()).unwrap_or(0) < BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "the server acknowledged too few writes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer");
    let acknowledged = acknowledged.lock().expect("acknowledged").clone();
    assert!(acknowledged.len() >= BEFORE_KILL);

    let server: Server = start_lease(dir, storage, &[]);
    let people = server.query_ids("acme", "lease::people");
    for i in &acknowledged {
        for side in ["a", "b"] {
            let id = format!("p{i}-{side}");
            assert!(
                people.contains(&id),
                "acknowledged write {id} was lost after SIGKILL"
            );
        }
    }
    for i in 0..MAX_WRITES {
        let a = people.contains(&format!("p{i}-a"));
        let b = people.contains(&format!("p{i}-b"));
        assert_eq!(a, b, "batch {i} was partly written");
    }
    server.stop();
}

#[test]
fn sqlite_keeps_every_acknowledged_write_across_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store.sqlite").display().to_string();
    kill_mid_stream_and_check(dir.path(), &["--data", &data]);
}

#[test]
fn pg_keeps_every_acknowledged_write_across_sigkill() {
    let Some(db) = TestDatabase::create("pg_keeps_every_acknowledged_write_across_sigkill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    kill_mid_stream_and_check(dir.path(), &["--storage", "pg", "--database-url", &db.url]);
}
