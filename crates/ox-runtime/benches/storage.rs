//! Storage benchmarks (a plain binary, `harness = false`):
//!
//! 1. mutation throughput and p50/p99 latency through the `Engine` on mem,
//!    sqlite and pg, with 1 and 8 concurrent clients (one tenant each);
//! 2. as-of read cost with 0, 10 and 1,000 superseded versions of OTHER
//!    individuals (the read must not grow with them);
//! 3. fork create and diff cost as the tenant grows 10×.
//!
//! Run: `cargo bench -p ox-runtime --bench storage` (pg rows need
//! `OX_TEST_DATABASE_URL` or `DATABASE_URL`). Prints markdown tables.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ox_runtime::{Engine, MutateOptions, RequestContext};
use ox_store::{
    AppendRequest, AsOf, MemBackend, NewEvent, Op, PgBackend, SqliteBackend, StorageBackend,
    TenantId, MAIN_FORK,
};
use serde_json::json;

/// Mutations per client in the throughput runs.
const MUTATIONS_PER_CLIENT: usize = 150;

/// One backend under test, with what keeps it alive.
struct Bench {
    name: &'static str,
    store: Arc<dyn StorageBackend>,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg_schema {
            if let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

fn pg_url() -> Option<String> {
    std::env::var("OX_TEST_DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| !u.trim().is_empty())
}

fn backends() -> Vec<Bench> {
    let mut out = vec![Bench {
        name: "mem",
        store: Arc::new(MemBackend::new()),
        _dir: None,
        pg_schema: None,
    }];
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteBackend::open(&dir.path().join("bench.sqlite")).expect("sqlite");
    out.push(Bench {
        name: "sqlite",
        store: Arc::new(sqlite),
        _dir: Some(dir),
        pg_schema: None,
    });
    match pg_url() {
        Some(url) => {
            let schema = format!("ox_bench_{}", uuid::Uuid::now_v7().simple());
            match PgBackend::connect_in_schema(&url, Some(&schema)) {
                Ok(pg) => out.push(Bench {
                    name: "pg",
                    store: Arc::new(pg),
                    _dir: None,
                    pg_schema: Some((url, schema)),
                }),
                Err(e) => eprintln!("pg skipped: {e}"),
            }
        }
        None => eprintln!("pg skipped: set OX_TEST_DATABASE_URL"),
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `clients` threads, each on its own tenant, each running
/// `MUTATIONS_PER_CLIENT` `add_person` mutations; returns (mutations/s, p50, p99).
fn throughput(engine: &Engine, run: &str, clients: usize) -> (f64, Duration, Duration) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                s.spawn(move || {
                    let ctx = RequestContext::new(
                        TenantId::parse(&format!("bench-{run}-{c}")).expect("tenant"),
                    );
                    let mut lat = Vec::with_capacity(MUTATIONS_PER_CLIENT);
                    for i in 0..MUTATIONS_PER_CLIENT {
                        let args = support::args(
                            json!({"id": format!("p{i}"), "name": format!("Person {i}"), "age": 30}),
                        );
                        let t = Instant::now();
                        engine
                            .mutate(&ctx, "add_person", &args, &MutateOptions::default())
                            .expect("mutation");
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    let elapsed = started.elapsed();
    latencies.sort();
    let total = (clients * MUTATIONS_PER_CLIENT) as f64;
    (
        total / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

fn event(axiom: &str, body: &[u8]) -> NewEvent {
    NewEvent {
        axiom_id: axiom.to_owned(),
        kind: "property_assertion".into(),
        op: Op::Assert,
        body: body.to_vec(),
        standpoint: None,
        valid_from: None,
        valid_to: None,
    }
}

fn append(store: &dyn StorageBackend, t: &TenantId, fork: &str, events: Vec<NewEvent>) {
    let generation = store.generation(t, fork).expect("generation");
    store
        .append(AppendRequest {
            tenant: t,
            fork,
            expected_generation: generation,
            principal: "bench",
            schema_hash: "bench",
            events,
            idempotency: None,
        })
        .expect("append");
}

/// Median of `rounds` timings of `f`.
fn median(rounds: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    percentile(&times, 0.5)
}

/// The as-of read of one tenant with 100 current individuals, after
/// `superseded` updates of OTHER individuals' fields; (current, as-of tx 1).
fn as_of_cost(store: &dyn StorageBackend, superseded: usize) -> (Duration, Duration) {
    let t = TenantId::parse(&format!("asof-{superseded}")).expect("tenant");
    append(
        store,
        &t,
        MAIN_FORK,
        (0..100)
            .map(|i| event(&format!("field:p{i}:age"), b"30"))
            .collect(),
    );
    for chunk in (0..superseded).collect::<Vec<_>>().chunks(100) {
        append(
            store,
            &t,
            MAIN_FORK,
            chunk
                .iter()
                .map(|i| event(&format!("field:other{}:age", i % 10), &i.to_le_bytes()))
                .collect(),
        );
    }
    let now = Utc::now() + chrono::Duration::seconds(1);
    let current = median(21, || {
        store
            .visible_events(&t, MAIN_FORK, AsOf::current(now))
            .expect("read");
    });
    let at_one = median(21, || {
        store
            .visible_events(&t, MAIN_FORK, AsOf::at_tx(1, now))
            .expect("read");
    });
    (current, at_one)
}

/// Fork create and diff on a tenant of `size` events (fork with 10 changes).
fn fork_cost(store: &dyn StorageBackend, size: usize) -> (Duration, Duration) {
    let t = TenantId::parse(&format!("forks-{size}")).expect("tenant");
    for chunk in (0..size).collect::<Vec<_>>().chunks(500) {
        append(
            store,
            &t,
            MAIN_FORK,
            chunk
                .iter()
                .map(|i| event(&format!("field:p{i}:age"), b"30"))
                .collect(),
        );
    }
    let mut n = 0;
    let create = median(11, || {
        n += 1;
        store
            .create_fork(&t, &format!("f{n}"), MAIN_FORK, None, "bench")
            .expect("fork");
    });
    append(
        store,
        &t,
        "f1",
        (0..10)
            .map(|i| event(&format!("field:p{i}:age"), b"31"))
            .collect(),
    );
    let diff = median(11, || {
        store.diff(&t, MAIN_FORK, "f1").expect("diff");
    });
    (create, diff)
}

fn main() {
    println!("### Mutation throughput (Engine, `add_person`, {MUTATIONS_PER_CLIENT} per client, one tenant per client)\n");
    println!("| backend | clients | mutations/s | p50 ms | p99 ms | throughput vs mem, 1 client |");
    println!("|---|---|---|---|---|---|");
    let mut base = None;
    for bench in backends() {
        let engine = support::engine_on(bench.store.clone());
        for clients in [1, 8] {
            let (rate, p50, p99) =
                throughput(&engine, &format!("{}{clients}", bench.name), clients);
            let base = *base.get_or_insert(rate);
            println!(
                "| {} | {clients} | {rate:.0} | {:.2} | {:.2} | {:.2}× |",
                bench.name,
                ms(p50),
                ms(p99),
                rate / base
            );
        }
    }

    println!("\n### As-of read cost vs superseded versions of OTHER individuals (100 current individuals)\n");
    println!(
        "| backend | superseded | current read ms | as-of tx 1 ms | current vs 0 | as-of vs 0 |"
    );
    println!("|---|---|---|---|---|---|");
    for bench in backends() {
        let mut zero = None;
        for superseded in [0, 10, 1000] {
            let (current, at_one) = as_of_cost(bench.store.as_ref(), superseded);
            let (c0, a0) = *zero.get_or_insert((current, at_one));
            println!(
                "| {} | {superseded} | {:.3} | {:.3} | {:.2}× | {:.2}× |",
                bench.name,
                ms(current),
                ms(at_one),
                current.as_secs_f64() / c0.as_secs_f64(),
                at_one.as_secs_f64() / a0.as_secs_f64()
            );
        }
    }

    println!("\n### Fork create and diff as the tenant grows 10× (fork with 10 changes)\n");
    println!("| backend | tenant events | create ms | diff ms | create vs small | diff vs small |");
    println!("|---|---|---|---|---|---|");
    for bench in backends() {
        let mut small = None;
        for size in [1_000, 10_000] {
            let (create, diff) = fork_cost(bench.store.as_ref(), size);
            let (c0, d0) = *small.get_or_insert((create, diff));
            println!(
                "| {} | {size} | {:.3} | {:.3} | {:.2}× | {:.2}× |",
                bench.name,
                ms(create),
                ms(diff),
                create.as_secs_f64() / c0.as_secs_f64(),
                diff.as_secs_f64() / d0.as_secs_f64()
            );
        }
    }
}
