//! Differential test of incremental maintenance: after every step of random
//! mutation sequences, engines that update fixpoints incrementally answer
//! exactly as an engine that evaluates from scratch.

mod support;

use std::sync::Arc;

use ox_ir::Severity;
use ox_runtime::{Engine, MutateOptions};
use ox_store::StorageBackend;
use serde_json::{json, Value as Json};
use support::*;

/// A small deterministic generator (64-bit LCG), so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The lease module with `minor_tenant` as a warning, so violations can be written.
fn module() -> ox_ir::Module {
    let mut m = lease_module();
    for c in &mut m.checks {
        c.severity = Severity::Warning;
    }
    m
}

/// One random mutation; refusals (validation, unknown individuals) are
/// fine. Whether it committed.
fn random_step(engine: &Engine, rng: &mut Lcg) -> bool {
    let person = format!("p{}", rng.below(6));
    let lease = format!("l{}", rng.below(6));
    let (name, call) = match rng.below(6) {
        0 => (
            "add_person",
            json!({"id": person, "name": person, "age": 14 + rng.below(8)}),
        ),
        1 => (
            "sign_lease",
            json!({"id": lease, "tenant": person, "rent": {"amount": "100.00", "currency": "USD"}, "start": "2026-01-01"}),
        ),
        2 => ("end_lease", json!({"l": lease})),
        3 => ("make_adult", json!({"p": person})),
        4 => ("remove_lease", json!({"l": lease})),
        _ => ("birthday", json!({"p": person})),
    };
    engine
        .mutate(&ctx("acme"), name, &args(call), &MutateOptions::default())
        .is_ok()
}

/// Everything the reasoner decides, as one comparable value.
fn answers(engine: &Engine) -> Json {
    let c = ctx("acme");
    let derived = serde_json::to_value(engine.derive(&c, None).expect("derive")).expect("json");
    let checks = engine.checks(&c).expect("checks");
    let query = |name: &str| {
        engine
            .query(&c, name, &args(json!({})))
            .map(|o| format!("{:?}", o.result))
            .expect("query")
    };
    json!({
        "derived": derived,
        "violations": checks["violations"],
        "adults": query("adults"),
        "active": query("active_leases"),
        "people": query("people"),
    })
}

fn differential(store: Arc<dyn StorageBackend>, seed: u64) {
    let writer = engine_with(module(), store.clone()).incremental(true);
    let reader = engine_with(module(), store.clone()).incremental(true);
    let scratch = engine_with(module(), store).incremental(false);
    let mut rng = Lcg(seed);
    let mut committed = 0;
    let mut violated = false;
    for step in 0..100 {
        committed += usize::from(random_step(&writer, &mut rng));
        let expected = answers(&scratch);
        assert_eq!(
            answers(&writer),
            expected,
            "writer, seed {seed} step {step}"
        );
        assert_eq!(
            answers(&reader),
            expected,
            "reader, seed {seed} step {step}"
        );
        violated |= expected["violations"]
            .as_array()
            .is_some_and(|v| !v.is_empty());
    }
    assert!(committed >= 20, "only {committed} of 100 steps committed");
    assert!(violated, "no step produced a check violation");
}

#[test]
fn incremental_fixpoints_equal_fixpoints_from_scratch() {
    for seed in [1, 7, 42] {
        differential(Arc::new(ox_store::MemBackend::new()), seed);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = ox_store::SqliteBackend::open(&dir.path().join("ox.db")).expect("sqlite");
    differential(Arc::new(sqlite), 3);
}
