//! Derived extents, explanations and checks over the hand-built lease
//! domain, on the mem and sqlite backends.

mod support;

use ox_ir::Severity;
use ox_runtime::{Engine, ErrorCode, ExplainRequest, MutateOptions};
use serde_json::{json, Value as Json};
use support::*;

/// Runs `f` on a fresh engine over each backend; `warn` makes the
/// `minor_tenant` check a warning so that a violation can be written.
fn on_each_backend(warn: bool, f: impl Fn(&Engine)) {
    let module = || {
        let mut m = lease_module();
        if warn {
            for c in &mut m.checks {
                c.severity = Severity::Warning;
            }
        }
        m
    };
    f(&engine_with(
        module(),
        std::sync::Arc::new(ox_store::MemBackend::new()),
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = ox_store::SqliteBackend::open(&dir.path().join("ox.db")).expect("sqlite store");
    f(&engine_with(module(), std::sync::Arc::new(sqlite)));
}

fn mutate(engine: &Engine, tenant: &str, name: &str, a: Json) {
    engine
        .mutate(&ctx(tenant), name, &args(a), &MutateOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

fn seed(engine: &Engine, tenant: &str) {
    mutate(
        engine,
        tenant,
        "add_person",
        json!({"id": "alice", "name": "Alice", "age": 34}),
    );
    mutate(
        engine,
        tenant,
        "add_person",
        json!({"id": "bob", "name": "Bob", "age": 17}),
    );
    mutate(
        engine,
        tenant,
        "sign_lease",
        json!({"id": "l1", "tenant": "alice", "rent": {"amount": "9500.00", "currency": "USD"}, "start": "2026-01-01"}),
    );
}

/// The id of the only `active_lease` fact.
fn active_lease_id(engine: &Engine, tenant: &str) -> String {
    let extents = engine.derive(&ctx(tenant), None).expect("derive");
    let active = extents
        .iter()
        .find(|e| e.predicate == "active_lease")
        .expect("active_lease extent");
    assert_eq!(active.rows.len(), 1, "{extents:?}");
    active.rows[0].fact_id.clone()
}

fn nodes(dag: &Json) -> Vec<Json> {
    dag["nodes"].as_array().cloned().unwrap_or_default()
}

#[test]
fn derive_lists_the_extents_with_stable_ids() {
    on_each_backend(false, |engine| {
        seed(engine, "acme");
        let all = engine.derive(&ctx("acme"), None).expect("derive");
        let active = all
            .iter()
            .find(|e| e.predicate == "active_lease")
            .expect("active_lease");
        let row = serde_json::to_value(&active.rows[0]).expect("json");
        assert!(row["factId"]
            .as_str()
            .is_some_and(|id| id.starts_with("f-")));
        assert_eq!(row["args"].as_array().map(Vec::len), Some(2));
        assert!(row["args"].to_string().contains("l1"), "{row}");
        assert!(row["args"].to_string().contains("alice"), "{row}");
        let named = engine
            .derive(&ctx("acme"), Some(&["active_lease".to_owned()]))
            .expect("derive one");
        assert_eq!(named.len(), 1);
        assert_eq!(named[0], *active);
        let err = engine
            .derive(&ctx("acme"), Some(&["nope".to_owned()]))
            .expect_err("unknown rule");
        assert_eq!(err.code, ErrorCode::ValidationFailed);
    });
}

#[test]
fn explain_fact_reaches_the_base_events() {
    on_each_backend(false, |engine| {
        seed(engine, "acme");
        let id = active_lease_id(engine, "acme");
        let dag = engine
            .explain_fact(&ctx("acme"), &id, ExplainRequest::default())
            .expect("explain");
        let nodes = nodes(&dag);
        let root = &nodes[dag["root"].as_u64().expect("root") as usize];
        assert_eq!(root["factId"], json!(id));
        assert_eq!(root["status"], "derived");
        let derivation = &root["derivations"][0];
        assert_eq!(derivation["ruleName"], "active_lease");
        assert_eq!(derivation["clause"], 0);
        assert!(
            derivation["bindings"].to_string().contains("alice"),
            "{derivation}"
        );
        let base: Vec<&Json> = nodes.iter().filter(|n| n["status"] == "base").collect();
        assert!(!base.is_empty(), "{dag}");
        for node in &base {
            let events = node["events"].as_array().expect("events");
            assert!(!events.is_empty(), "base fact without its event: {node}");
            assert_eq!(events[0]["tx"], 3, "{node}");
        }
        assert!(base
            .iter()
            .any(|n| n["events"][0]["kind"] == "relation_tuple"));
        assert!(dag["edges"].as_array().is_some_and(|e| !e.is_empty()));
        let shallow = engine
            .explain_fact(
                &ctx("acme"),
                &id,
                ExplainRequest {
                    depth: Some(0),
                    all: false,
                },
            )
            .expect("depth 0");
        assert_eq!(shallow["nodes"][0]["truncated"], true);
        let every = engine
            .explain_fact(
                &ctx("acme"),
                &id,
                ExplainRequest {
                    depth: None,
                    all: true,
                },
            )
            .expect("all");
        assert_eq!(
            every["nodes"][0]["derivations"].as_array().map(Vec::len),
            Some(1)
        );
    });
}

#[test]
fn derive_trace_lists_the_firings() {
    on_each_backend(false, |engine| {
        seed(engine, "acme");
        let id = active_lease_id(engine, "acme");
        let trace = engine.derive_trace(&ctx("acme"), None).expect("trace");
        let firing = trace
            .iter()
            .find(|f| f["factId"] == json!(id))
            .expect("the active_lease firing");
        assert_eq!(firing["ruleName"], "active_lease");
        let premises = firing["premises"].as_array().expect("premises");
        assert!(!premises.is_empty());
        assert!(premises.iter().all(|p| p["factId"].is_string()));
        assert!(
            premises.iter().any(|p| p["predicate"] == "LeaseOf"),
            "{firing}"
        );
    });
}

#[test]
fn unknown_and_foreign_fact_ids_are_unknown_fact() {
    on_each_backend(false, |engine| {
        seed(engine, "acme");
        let id = active_lease_id(engine, "acme");
        let err = engine
            .explain_fact(
                &ctx("acme"),
                "f-00000000000000000000000000000000",
                ExplainRequest::default(),
            )
            .expect_err("unknown");
        assert_eq!(err.code, ErrorCode::UnknownFact);
        assert_eq!(err.code.http_status(), 404);
        mutate(
            engine,
            "globex",
            "add_person",
            json!({"id": "carol", "name": "Carol", "age": 40}),
        );
        let err = engine
            .explain_fact(&ctx("globex"), &id, ExplainRequest::default())
            .expect_err("another tenant's fact");
        assert_eq!(err.code, ErrorCode::UnknownFact);
        let err = engine
            .derived_for_individual(&ctx("globex"), "alice")
            .expect_err("another tenant's individual");
        assert_eq!(err.code, ErrorCode::UnknownFact);
    });
}

#[test]
fn derived_facts_of_an_individual_and_their_explanations() {
    on_each_backend(false, |engine| {
        seed(engine, "acme");
        let of_alice = engine
            .derived_for_individual(&ctx("acme"), "alice")
            .expect("alice");
        assert_eq!(of_alice.len(), 1);
        assert_eq!(of_alice[0].predicate, "active_lease");
        assert!(engine
            .derived_for_individual(&ctx("acme"), "bob")
            .expect("bob")
            .is_empty());
        let proofs = engine
            .explain_individual(&ctx("acme"), "alice", ExplainRequest::default())
            .expect("proofs");
        assert_eq!(proofs.len(), 1);
        assert_eq!(proofs[0]["factId"], json!(of_alice[0].rows[0].fact_id));
    });
}

#[test]
fn checks_report_violations_with_an_absent_premise() {
    on_each_backend(true, |engine| {
        seed(engine, "acme");
        let clean = engine.checks(&ctx("acme")).expect("checks");
        assert_eq!(clean["violations"], json!([]));
        assert_eq!(clean["contradictions"], json!([]));
        mutate(
            engine,
            "acme",
            "sign_lease",
            json!({"id": "l2", "tenant": "bob", "rent": {"amount": "100.00", "currency": "USD"}, "start": "2026-01-01"}),
        );
        let report = engine.checks(&ctx("acme")).expect("checks");
        let violations = report["violations"].as_array().expect("violations");
        assert_eq!(violations.len(), 1, "{report}");
        let v = &violations[0];
        assert_eq!(v["check"], "minor_tenant");
        assert_eq!(v["severity"], "warning");
        assert_eq!(v["message"], "tenant bob of l2 is a minor");
        assert_eq!(v["bindings"].as_object().map(|b| b.len()), Some(2));
        let fact_id = v["factId"].as_str().expect("fact id");
        let dag = engine
            .explain_fact(&ctx("acme"), fact_id, ExplainRequest::default())
            .expect("explain violation");
        let absent: Vec<Json> = nodes(&dag)
            .into_iter()
            .filter(|n| n["status"] == "absent")
            .collect();
        assert_eq!(absent.len(), 1, "{dag}");
        assert_eq!(absent[0]["predicate"], "Adult");
        assert!(absent[0]["stratum"].is_u64(), "{dag}");
    });
}

#[test]
fn query_rows_of_a_predicate_carry_their_proofs() {
    on_each_backend(false, |engine| {
        seed(engine, "acme");
        let explain = |name: &str| {
            engine
                .query_explained(
                    &ctx("acme"),
                    name,
                    &args(json!({})),
                    ExplainRequest::default(),
                    0..10,
                )
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let (outcome, proofs) = explain("active_leases");
        let plain = engine
            .query(&ctx("acme"), "active_leases", &args(json!({})))
            .expect("query");
        assert_eq!(outcome, plain);
        assert_eq!(proofs.len(), 1);
        assert_eq!(proofs[0]["factId"], json!(active_lease_id(engine, "acme")));
        assert_eq!(proofs[0]["proof"]["nodes"][0]["status"], "derived");
        let (_, adults) = explain("adults");
        assert_eq!(adults.len(), 1, "alice only");
        assert_eq!(adults[0]["proof"]["nodes"][0]["status"], "derived");
        let (_, people) = explain("people");
        assert_eq!(people.len(), 2);
        assert!(people
            .iter()
            .all(|p| p["proof"]["nodes"][0]["status"] == "base"));
        let (_, roster) = explain("roster");
        assert!(roster.iter().all(|p| p["factId"].is_null()));
        let (_, window) = engine
            .query_explained(
                &ctx("acme"),
                "people",
                &args(json!({})),
                ExplainRequest::default(),
                1..10,
            )
            .expect("window");
        assert_eq!(window.len(), 1);
    });
}
