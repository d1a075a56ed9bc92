//! Differential test of incremental maintenance: after every step of random
//! mutation sequences, engines that update fixpoints incrementally answer
//! exactly as an engine that evaluates from scratch.

mod support;

use std::sync::Arc;

use ox_ir::{ConceptId, Mutation, Param, Severity, Stmt, Type, Visibility};
use ox_runtime::{Engine, MutateOptions, QueryResult};
use ox_store::StorageBackend;
use serde_json::{json, Value as Json};
use support::*;

/// Random mutations per sequence.
const STEPS: usize = 200;

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

/// The lease module with `minor_tenant` as a warning, so violations can be
/// written, and two mutations that delete a classification and a tuple alone:
///
/// ```text
/// mutate declassify(l: Lease) { delete iof(l, ResidentialLease); }
/// mutate transfer_lease(l: Lease, from: Person, to: Person) {
///   delete LeaseOf(l, from); insert LeaseOf(l, to); }
/// ```
fn module() -> ox_ir::Module {
    let mut m = lease_module();
    for c in &mut m.checks {
        c.severity = Severity::Warning;
    }
    let param = |name: &str, concept: ConceptId| Param {
        name: name.into(),
        ty: Type::Concept(concept),
    };
    let mutation = |name: &str, params: Vec<Param>, body: Vec<Stmt>| Mutation {
        name: name.into(),
        path: format!("lease::{name}"),
        visibility: Visibility::Public,
        local_count: params.len() as u32,
        params,
        result: Type::Unit,
        body,
        allow_forget: false,
        forgets: false,
        doc: None,
    };
    m.mutations.push(mutation(
        "declassify",
        vec![param("l", LEASE)],
        vec![Stmt::DeleteIof {
            individual: v(0),
            concept: RESIDENTIAL,
        }],
    ));
    m.mutations.push(mutation(
        "transfer_lease",
        vec![
            param("l", LEASE),
            param("from", PERSON),
            param("to", PERSON),
        ],
        vec![
            Stmt::DeleteTuple {
                relation: LEASE_OF,
                args: vec![v(0), v(1)],
            },
            Stmt::InsertTuple {
                relation: LEASE_OF,
                args: vec![v(0), v(2)],
            },
        ],
    ));
    m
}

/// The tenant of a lease (among `p0`..`p5`), if the lease exists.
fn tenant_of(engine: &Engine, lease: &str) -> Option<String> {
    (0..6).map(|i| format!("p{i}")).find(|person| {
        engine
            .query(&ctx("acme"), "leases_of", &args(json!({"t": person})))
            .is_ok_and(|o| match o.result {
                QueryResult::Rows(rows) => rows.iter().any(|r| r["id"] == lease),
                QueryResult::Value(_) => false,
            })
    })
}

/// One random mutation; refusals (validation, unknown individuals) are
/// fine. The mutation's name when it committed a change.
fn random_step(engine: &Engine, rng: &mut Lcg) -> Option<&'static str> {
    let person = format!("p{}", rng.below(6));
    let lease = format!("l{}", rng.below(6));
    let (name, call) = match rng.below(9) {
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
        5 => ("classify", json!({"l": lease})),
        6 => ("declassify", json!({"l": lease})),
        7 => {
            let from = tenant_of(engine, &lease).unwrap_or_else(|| person.clone());
            (
                "transfer_lease",
                json!({"l": lease, "from": from, "to": person}),
            )
        }
        _ => ("birthday", json!({"p": person})),
    };
    engine
        .mutate(&ctx("acme"), name, &args(call), &MutateOptions::default())
        .is_ok_and(|receipt| receipt.events_written > 0)
        .then_some(name)
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
        "leases": (0..6)
            .map(|i| {
                engine
                    .query(&c, "leases_of", &args(json!({"t": format!("p{i}")})))
                    .map(|o| format!("{:?}", o.result))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>(),
    })
}

fn differential(store: Arc<dyn StorageBackend>, seed: u64) {
    let writer = engine_with(module(), store.clone()).incremental(true);
    let reader = engine_with(module(), store.clone()).incremental(true);
    let scratch = engine_with(module(), store).incremental(false);
    let mut rng = Lcg(seed);
    let mut committed: Vec<&str> = Vec::new();
    let mut violated = false;
    for step in 0..STEPS {
        committed.extend(random_step(&writer, &mut rng));
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
    assert!(
        committed.len() >= 20,
        "only {} of {STEPS} steps committed a change",
        committed.len()
    );
    // Each kind of deletion: field values replaced, an individual with its
    // values, classification and tuple removed, a classification removed, a
    // tuple replaced.
    for deleting in [
        "end_lease",
        "birthday",
        "remove_lease",
        "declassify",
        "transfer_lease",
    ] {
        assert!(
            committed.contains(&deleting),
            "seed {seed}: no `{deleting}` committed"
        );
    }
    assert!(violated, "no step produced a check violation");
}

#[test]
fn incremental_fixpoints_equal_fixpoints_from_scratch() {
    for seed in [1, 7, 42] {
        differential(Arc::new(ox_store::MemBackend::new()), seed);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = ox_store::SqliteBackend::open(&dir.path().join("ox.db")).expect("sqlite");
    differential(Arc::new(sqlite), 5);
}
