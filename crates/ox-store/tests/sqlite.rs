//! sqlite-specific behaviour: durability across reopen and `kill -9`, clean
//! errors for unusable files, migrations, backend selection.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ox_store::conformance::{assert_event, at, current, tenant, visible, write};
use ox_store::{open_backend, AppendRequest, SqliteBackend, StorageBackend, StoreError, MAIN_FORK};

fn unavailable(result: Result<SqliteBackend, StoreError>) -> String {
    match result {
        Err(StoreError::Unavailable(message)) => message,
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("expected Unavailable, the store opened"),
    }
}

#[test]
fn reopen_keeps_every_committed_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a/b/store.sqlite");
    let (a, b) = (tenant("acme"), tenant("bolt"));
    let expected = {
        let store = SqliteBackend::open(&path).expect("open");
        write(
            &store,
            &a,
            vec![assert_event("x", b"1"), assert_event("y", b"1")],
        );
        write(&store, &b, vec![assert_event("x", b"b")]);
        write(&store, &a, vec![assert_event("x", b"2")]);
        (0..=3)
            .map(|n| visible(&store, &a, at(n)))
            .collect::<Vec<_>>()
    };
    let store = SqliteBackend::open(&path).expect("reopen");
    for (n, events) in expected.iter().enumerate() {
        assert_eq!(&visible(&store, &a, at(n as u64)), events, "as of {n}");
    }
    assert_eq!(store.last_tx(&a).expect("last_tx"), 2);
    assert_eq!(store.last_tx(&b).expect("last_tx"), 1);
    assert_eq!(store.generation(&a, MAIN_FORK).expect("generation"), 2);
    assert_eq!(store.schema_scopes().expect("scopes").len(), 2);
    assert_eq!(write(&store, &a, vec![assert_event("z", b"3")]).tx, 3);
    store.ping().expect("ping");
}

#[test]
fn two_handles_on_one_file_share_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite");
    let (one, two) = (
        SqliteBackend::open(&path).expect("open one"),
        SqliteBackend::open(&path).expect("open two"),
    );
    let t = tenant("shared");
    write(&one, &t, vec![assert_event("a", b"1")]);
    assert_eq!(visible(&two, &t, current()).len(), 1);
    assert_eq!(two.generation(&t, MAIN_FORK).expect("generation"), 1);
    // a write through one handle is a conflict for a stale writer on the other
    let err = two
        .append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: 0,
            principal: "p",
            schema_hash: "s",
            idempotency: None,
            events: vec![assert_event("a", b"2")],
        })
        .expect_err("stale");
    assert_eq!(
        err,
        StoreError::Conflict {
            expected: 0,
            actual: 1
        }
    );
}

#[test]
fn garbage_file_is_a_clean_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in [
        ("big.sqlite", b"this is not a database at all. ".repeat(200)),
        ("tiny.sqlite", b"nope".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &content).expect("write garbage");
        let message = unavailable(SqliteBackend::open(&path));
        assert!(message.contains("not a sqlite database"), "{message}");
        assert!(message.contains(name), "message names the file: {message}");
        assert_eq!(
            std::fs::read(&path).expect("read back"),
            content,
            "the file is left alone"
        );
    }
}

#[test]
fn unusable_paths_are_clean_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    // the path is a directory
    unavailable(SqliteBackend::open(dir.path()));
    // a parent of the path is a file
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    let message = unavailable(SqliteBackend::open(&file.join("store.sqlite")));
    assert!(message.contains("cannot create directory"), "{message}");
}

#[test]
fn newer_schema_version_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite");
    drop(SqliteBackend::open(&path).expect("open"));
    {
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("versions");
        assert_eq!(versions, vec![1, 2, 3]);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("journal mode");
        assert_eq!(mode, "wal");
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)",
            [],
        )
        .expect("insert");
    }
    let message = unavailable(SqliteBackend::open(&path));
    assert!(message.contains("newer"), "{message}");
}

#[test]
fn locked_database_is_unavailable_not_a_hang() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite");
    let store = SqliteBackend::open(&path).expect("open");
    let t = tenant("locked");
    let locker = rusqlite::Connection::open(&path).expect("raw open");
    locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let started = Instant::now();
    let err = store
        .append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: 0,
            principal: "p",
            schema_hash: "s",
            idempotency: None,
            events: vec![assert_event("a", b"1")],
        })
        .expect_err("locked");
    assert!(started.elapsed() < Duration::from_secs(30));
    match err {
        StoreError::Unavailable(message) => assert!(message.contains("locked"), "{message}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    locker.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(write(&store, &t, vec![assert_event("a", b"1")]).tx, 1);
}

#[test]
fn reads_proceed_while_a_writer_holds_the_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.sqlite");
    let store = SqliteBackend::open(&path).expect("open");
    let t = tenant("reader");
    write(&store, &t, vec![assert_event("a", b"1")]);
    let writer = rusqlite::Connection::open(&path).expect("raw open");
    writer
        .execute_batch("BEGIN IMMEDIATE; UPDATE tenants SET schema_hash = 'uncommitted';")
        .expect("hold the write lock");
    let started = Instant::now();
    assert_eq!(visible(&store, &t, current()).len(), 1);
    assert_eq!(store.last_tx(&t).expect("last_tx"), 1);
    assert_eq!(
        store.schema_scopes().expect("scopes")[0].schema_hash,
        "schema-1"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "reads waited for the writer"
    );
    writer.execute_batch("ROLLBACK").expect("release");
}

#[test]
fn open_backend_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mem = open_backend("mem", None).expect("mem");
    assert_eq!(mem.kind(), "mem");
    mem.ping().expect("ping");
    let sqlite = open_backend("sqlite", Some(&dir.path().join("s.sqlite"))).expect("sqlite");
    assert_eq!(sqlite.kind(), "sqlite");
    sqlite.ping().expect("ping");
    for (kind, path) in [("sqlite", None), ("postgres", None), ("", Some(dir.path()))] {
        match open_backend(kind, path) {
            Err(StoreError::InvalidConfig(message)) => assert!(!message.is_empty()),
            Err(other) => panic!("{kind}: expected InvalidConfig, got {other:?}"),
            Ok(_) => panic!("{kind}: expected an error"),
        }
    }
}

/// Environment variable that turns [`kill_child_writer`] into the child.
const CHILD_DB: &str = "OX_STORE_KILL_CHILD_DB";
/// Events per transaction written by the child.
const EVENTS_PER_TX: usize = 5;

/// The child of [`kill_dash_nine_loses_no_acknowledged_tx`]: with `CHILD_DB`
/// set it appends in a loop and prints `ack <tx>` after each commit, until
/// killed (or a bound is hit). In an ordinary test run it returns at once.
#[test]
fn kill_child_writer() {
    let Some(db) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let store = SqliteBackend::open(Path::new(&db)).expect("child open");
    let t = tenant("crash");
    let mut out = std::io::stdout().lock();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let next = store.last_tx(&t).expect("last_tx") + 1;
        let events = (0..EVENTS_PER_TX)
            .map(|i| assert_event(&format!("tx{next}:{i}"), &[0xAB; 512]))
            .collect();
        let committed = write(&store, &t, events);
        writeln!(out, "ack {}", committed.tx).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn kill_dash_nine_loses_no_acknowledged_tx() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.sqlite");
    let exe = std::env::current_exe().expect("test binary");
    let t = tenant("crash");
    let mut acked = 0;
    for round in 0..3 {
        let mut child = Command::new(&exe)
            .args(["--exact", "kill_child_writer", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_DB, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let (send, acks) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(tx) = line
                    .strip_prefix("ack ")
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    if send.send(tx).is_err() {
                        break;
                    }
                }
            }
        });
        let target = acked + 25 + round * 10;
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked < target && Instant::now() < deadline {
            if let Ok(tx) = acks.recv_timeout(Duration::from_millis(100)) {
                assert!(tx > acked, "acks increase");
                acked = tx;
            }
        }
        child.kill().expect("kill -9 the child");
        child.wait().expect("reap the child");
        // acks printed before the kill landed are acknowledged too
        while let Ok(tx) = acks.try_recv() {
            acked = acked.max(tx);
        }
        reader.join().expect("reader thread");
        assert!(
            acked >= target,
            "round {round}: child acknowledged only {acked} txs"
        );

        let store = SqliteBackend::open(&db).expect("reopen after kill -9");
        let last = store.last_tx(&t).expect("last_tx");
        assert!(
            last >= acked,
            "acknowledged tx {acked} lost (last is {last})"
        );
        assert!(
            last <= acked + 1,
            "at most the unacknowledged in-flight tx extra"
        );
        assert_eq!(store.generation(&t, MAIN_FORK).expect("generation"), last);
        let events = visible(&store, &t, current());
        assert_eq!(
            events.len() as u64,
            last * EVENTS_PER_TX as u64,
            "no partial tx"
        );
        for (i, e) in events.iter().enumerate() {
            let tx = (i / EVENTS_PER_TX) as u64 + 1;
            assert_eq!(e.tx, tx, "no gap in the tx sequence");
            assert_eq!(e.axiom_id, format!("tx{tx}:{}", i % EVENTS_PER_TX));
        }
        acked = last;
    }
}
