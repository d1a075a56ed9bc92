//! Incremental maintenance in the runtime (a plain binary, `harness = false`):
//! milliseconds per mutation through the `Engine` on the lease domain, an
//! engine that updates the previous fixpoint (`Engine::incremental(true)`)
//! against one that evaluates from scratch, in the same run.
//!
//! Each engine has its own in-memory store, seeded with the same people
//! (ages 14–53) and one lease per adult among the first `LEASES` people.
//! Measured mutations: `add_person` (base facts only inserted), `birthday`
//! (a field value replaced: one deletion, one insertion), `end_lease` (the
//! same, and a derived `active_lease` fact goes) and `remove_lease` (an
//! individual, its field values and its tuple deleted). The two engines
//! take turns, `PER_ROUND` mutations of one kind each, so both see the
//! same machine load; the table gives the median round.
//!
//! Run: `cargo bench -p ox-runtime --bench incremental`. Prints a markdown table.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use ox_runtime::{Engine, MutateOptions};
use ox_store::MemBackend;
use serde_json::{json, Map, Value as Json};

/// People in each tenant.
const PEOPLE: usize = 3000;
/// People (from `p0`) whose lease is signed when they are adults.
const LEASES: usize = 1000;
/// Mutations of one kind per engine per round.
const PER_ROUND: usize = 20;
/// Rounds per mutation kind.
const ROUNDS: usize = 11;

fn age(person: usize) -> usize {
    14 + person % 40
}

/// An engine on a fresh store holding the seeded tenant.
fn seeded(incremental: bool) -> Engine {
    let engine = support::engine_on(Arc::new(MemBackend::new())).incremental(incremental);
    let people = (0..PEOPLE).map(|i| {
        (
            "add_person".to_owned(),
            support::args(
                json!({"id": format!("p{i}"), "name": format!("Person {i}"), "age": age(i)}),
            ),
        )
    });
    let leases = (0..LEASES).filter(|&i| age(i) >= 18).map(|i| {
        (
            "sign_lease".to_owned(),
            support::args(json!({
                "id": format!("l{i}"),
                "tenant": format!("p{i}"),
                "rent": {"amount": "900.00", "currency": "USD"},
                "start": "2026-01-01",
            })),
        )
    });
    let calls: Vec<(String, Map<String, Json>)> = people.chain(leases).collect();
    engine
        .batch(&support::ctx("acme"), &calls, &MutateOptions::default())
        .expect("seed batch");
    engine
}

/// The `n`-th call of one measured mutation kind (each call changes something).
fn call(kind: &str, n: usize) -> Map<String, Json> {
    // Adults among the first `LEASES` people hold the leases `end_lease` and
    // `remove_lease` change; a lease is changed at most once.
    support::args(match kind {
        "add_person" => json!({"id": format!("new{n}"), "name": "New", "age": 30}),
        "birthday" => json!({"p": format!("p{}", (n * 7) % PEOPLE)}),
        _ => {
            let adult = (0..LEASES)
                .filter(|&i| age(i) >= 18)
                .nth(n)
                .expect("enough leases for the rounds");
            json!({"l": format!("l{adult}")})
        }
    })
}

/// Milliseconds per mutation of `PER_ROUND` calls `from..` of `kind`.
fn round(engine: &Engine, kind: &str, from: usize) -> f64 {
    let ctx = support::ctx("acme");
    let started = Instant::now();
    for n in from..from + PER_ROUND {
        engine
            .mutate(&ctx, kind, &call(kind, n), &MutateOptions::default())
            .expect("measured mutation");
    }
    started.elapsed().as_secs_f64() * 1000.0 / PER_ROUND as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let incremental = seeded(true);
    let scratch = seeded(false);
    println!(
        "### Runtime incremental maintenance (lease domain, {PEOPLE} people, {} leases, median of {ROUNDS} rounds of {PER_ROUND})\n",
        (0..LEASES).filter(|&i| age(i) >= 18).count()
    );
    println!("| mutation | change of base facts | incremental ms | from scratch ms | incremental / scratch |");
    println!("|---|---|---:|---:|---:|");
    let kinds = [
        ("add_person", "inserted only"),
        ("birthday", "field value replaced"),
        ("end_lease", "field value replaced"),
        ("remove_lease", "individual, values and tuple deleted"),
    ];
    for (kind, change) in kinds {
        let mut inc = Vec::with_capacity(ROUNDS);
        let mut scr = Vec::with_capacity(ROUNDS);
        for r in 0..ROUNDS {
            // `end_lease` and `remove_lease` use disjoint leases.
            let from = r * PER_ROUND
                + if kind == "remove_lease" {
                    ROUNDS * PER_ROUND
                } else {
                    0
                };
            inc.push(round(&incremental, kind, from));
            scr.push(round(&scratch, kind, from));
        }
        let (inc, scr) = (median(inc), median(scr));
        println!(
            "| `{kind}` | {change} | {inc:.2} | {scr:.2} | {:.2}× |",
            inc / scr
        );
    }
}
