//! PostgreSQL-specific behaviour: survives `kill -9` of a writer, round trips
//! exports with sqlite, fails fast when the server is unreachable, migrates
//! once when several replicas start together.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ox_store::conformance::{
    assert_event, current, retract_event, tenant, visible, write, Fixture,
};
use ox_store::{
    BackendConfig, NewEvent, PgBackend, SqliteBackend, StorageBackend, StoreError, MAIN_FORK,
};

/// Environment variables that turn [`pg_kill_child_writer`] into the child.
const CHILD_URL: &str = "OX_STORE_PG_KILL_CHILD_URL";
const CHILD_SCHEMA: &str = "OX_STORE_PG_KILL_CHILD_SCHEMA";
/// Events per transaction written by the child.
const EVENTS_PER_TX: usize = 5;

/// The child of [`pg_kill_dash_nine_loses_no_acknowledged_tx`]: with the
/// variables set it appends in a loop and prints `ack <tx>` after each commit,
/// until killed. In an ordinary test run it returns at once.
#[test]
fn pg_kill_child_writer() {
    let (Some(url), Some(schema)) = (std::env::var_os(CHILD_URL), std::env::var_os(CHILD_SCHEMA))
    else {
        return;
    };
    let store =
        PgBackend::connect_in_schema(&url.to_string_lossy(), Some(&schema.to_string_lossy()))
            .expect("child connect");
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
fn pg_kill_dash_nine_loses_no_acknowledged_tx() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let fixture = common::Pg::at(&url);
    let exe = std::env::current_exe().expect("test binary");
    let t = tenant("crash");
    let mut acked = 0;
    for round in 0..3 {
        let mut child = Command::new(&exe)
            .args(["--exact", "pg_kill_child_writer", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_URL, &url)
            .env(CHILD_SCHEMA, &fixture.schema)
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
        let target = acked + 20 + round * 10;
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked < target && Instant::now() < deadline {
            if let Ok(tx) = acks.recv_timeout(Duration::from_millis(100)) {
                assert!(tx > acked, "acks increase");
                acked = tx;
            }
        }
        child.kill().expect("kill -9 the child");
        child.wait().expect("reap the child");
        while let Ok(tx) = acks.try_recv() {
            acked = acked.max(tx);
        }
        reader.join().expect("reader thread");
        assert!(
            acked >= target,
            "round {round}: child acknowledged only {acked} txs"
        );

        let store = fixture.reconnect();
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

/// sqlite → pg → sqlite gives identical event lists.
#[test]
fn export_round_trips_between_sqlite_and_pg() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let first = SqliteBackend::open(&dir.path().join("a.sqlite")).expect("sqlite a");
    let t = tenant("acme");
    write(
        &first,
        &t,
        vec![assert_event("a", b"1"), assert_event("b", &[0, 1, 255])],
    );
    write(
        &first,
        &t,
        vec![NewEvent {
            valid_from: Some(ox_store::conformance::day(1, 1)),
            valid_to: Some(ox_store::conformance::day(2, 1)),
            ..assert_event("a", b"2")
        }],
    );
    write(&first, &t, vec![retract_event("b")]);
    let original = first.history(&t, MAIN_FORK).expect("history");

    let pg = common::Pg::at(&url);
    let mut dump = Vec::new();
    first
        .export(&t, MAIN_FORK, &mut dump)
        .expect("export sqlite");
    pg.backend()
        .import(&t, &mut std::io::Cursor::new(&dump))
        .expect("import pg");
    assert_eq!(
        pg.backend().history(&t, MAIN_FORK).expect("history"),
        original
    );

    let mut again = Vec::new();
    pg.backend()
        .export(&t, MAIN_FORK, &mut again)
        .expect("export pg");
    let last = SqliteBackend::open(&dir.path().join("b.sqlite")).expect("sqlite b");
    last.import(&t, &mut std::io::Cursor::new(&again))
        .expect("import sqlite");
    assert_eq!(last.history(&t, MAIN_FORK).expect("history"), original);
    assert_eq!(dump, again, "the same export text both ways");
    assert_eq!(last.last_tx(&t).expect("last tx"), 3);
}

/// An unreachable server is `Unavailable` within the connect timeout, never a hang.
#[test]
fn unreachable_server_fails_fast() {
    let started = Instant::now();
    let err = PgBackend::connect("postgres://postgres@127.0.0.1:1/none").expect_err("no server");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let config = BackendConfig {
        kind: "pg".into(),
        ..BackendConfig::default()
    };
    assert!(matches!(config.open(), Err(StoreError::InvalidConfig(_))));
    assert!(matches!(
        PgBackend::connect("not a url at all ::"),
        Err(StoreError::InvalidConfig(_))
    ));
}

/// Replicas starting together apply the migrations once, under the lock.
#[test]
fn concurrent_replicas_migrate_once() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let fixture = common::Pg::at(&url);
    let handles: Vec<_> = (0..4).map(|_| fixture.reconnect()).collect();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| fixture.reconnect().ping().expect("ping"));
        }
    });
    let t = tenant("replicas");
    write(&handles[0], &t, vec![assert_event("a", b"1")]);
    assert_eq!(visible(&handles[3], &t, current()).len(), 1);
    assert_eq!(handles[2].generation(&t, MAIN_FORK).expect("generation"), 1);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let versions: i64 = client
        .query_one(
            &format!(
                "SELECT COUNT(*) FROM {}.ox_schema_migrations",
                fixture.schema
            ),
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(versions, 2);
}

/// Connections killed by the server (a restart, a failover) cost at most one
/// failed request, reported as `Unavailable`; the store then works again
/// without being reopened, and nothing acknowledged is lost.
#[test]
fn store_recovers_when_connections_are_killed() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let fixture = common::Pg::at(&url);
    let store = fixture.backend();
    let t = tenant("outage");
    write(store, &t, vec![assert_event("a", b"1")]);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("ox:{}", fixture.schema)],
        )
        .expect("terminate");
    assert!(!killed.is_empty(), "the store's connections were found");
    let mut failures = 0;
    let recovered = (0..3).any(|_| match store.ping() {
        Ok(()) => true,
        Err(StoreError::Unavailable(_)) => {
            failures += 1;
            false
        }
        Err(other) => panic!("expected Unavailable, got {other:?}"),
    });
    assert!(recovered && failures <= 1, "failures: {failures}");
    assert_eq!(visible(store, &t, current()).len(), 1);
    write(store, &t, vec![assert_event("b", b"1")]);
    assert_eq!(store.last_tx(&t).expect("last tx"), 2);
}
