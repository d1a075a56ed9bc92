//! In-process tests of the derive, explain and checks routes, and of
//! `explain` on query dispatch, on the `mem` backend.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use ox_ir::{
    Atom, Check, CheckId, CmpOp, Defeasibility, Expr, Literal, Param, PredId, PredKind, Predicate,
    Rule, RuleOrigin, Severity, Term, Type, Value as IrValue, VarId, Visibility,
};
use ox_runtime::Engine;
use ox_serve::{router, AppState};
use ox_store::MemBackend;
use serde_json::{json, Value};
use support::{add_person, config, send, Reply, MODULE_HASH, SCHEMA_HASH};

const PERSON: PredId = PredId(0);
const PERSON_AGE: PredId = PredId(2);

fn var(i: u32) -> Term {
    Term::Var(VarId(i))
}

/// The test module plus `derive adult(p) :- Person(p), Person.age(p, a), a >= 18`
/// and `#[severity(warning)] check minor(p) :- Person(p), not adult(p) => "{p} is a minor"`.
fn app() -> Router {
    let mut module = support::module();
    let adult = PredId(module.predicates.len() as u32);
    let minor = PredId(adult.0 + 1);
    let person = Param {
        name: "p".into(),
        ty: Type::Concept(ox_ir::ConceptId(0)),
    };
    module.predicates.push(Predicate {
        name: "adult".into(),
        path: "people::adult".into(),
        kind: PredKind::Derived,
        params: vec![person.clone()],
        visibility: Visibility::Public,
        doc: None,
    });
    module.predicates.push(Predicate {
        name: "minor".into(),
        path: "people::minor".into(),
        kind: PredKind::Check(CheckId(0)),
        params: vec![person.clone()],
        visibility: Visibility::Public,
        doc: None,
    });
    module.rules.push(Rule {
        head: Atom {
            pred: adult,
            args: vec![var(0)],
        },
        body: vec![
            Literal::Pos(Atom {
                pred: PERSON,
                args: vec![var(0)],
            }),
            Literal::Pos(Atom {
                pred: PERSON_AGE,
                args: vec![var(0), var(1)],
            }),
            Literal::Compare {
                op: CmpOp::Ge,
                left: Expr::Var(VarId(1)),
                right: Expr::Const(IrValue::Int(18)),
            },
        ],
        var_count: 2,
        var_names: vec!["p".into(), "a".into()],
        origin: RuleOrigin::Derive {
            name: "adult".into(),
            clause: 0,
        },
        defeasibility: Defeasibility::default(),
        standpoint: None,
    });
    module.rules.push(Rule {
        head: Atom {
            pred: minor,
            args: vec![var(0)],
        },
        body: vec![
            Literal::Pos(Atom {
                pred: PERSON,
                args: vec![var(0)],
            }),
            Literal::Neg(Atom {
                pred: adult,
                args: vec![var(0)],
            }),
        ],
        var_count: 1,
        var_names: vec!["p".into()],
        origin: RuleOrigin::Check(CheckId(0)),
        defeasibility: Defeasibility::default(),
        standpoint: None,
    });
    module.checks.push(Check {
        name: "minor".into(),
        path: "people::minor".into(),
        params: vec![person],
        severity: Severity::Warning,
        message: Some("{p} is a minor".into()),
        pred: minor,
        standpoint: None,
    });
    let engine = Engine::new(
        Arc::new(module),
        MODULE_HASH.into(),
        SCHEMA_HASH.into(),
        Arc::new(MemBackend::new()),
    )
    .expect("the module loads");
    router(Arc::new(AppState::new(engine, config())))
}

async fn call(
    router: &Router,
    method: Method,
    path: &str,
    tenant: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-tenant-id", tenant);
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    send(router, request.body(body).expect("request")).await
}

async fn seeded() -> Router {
    let router = app();
    add_person(&router, "acme", "alice", 34).await;
    add_person(&router, "acme", "bob", 12).await;
    add_person(&router, "acme", "carol", 50).await;
    router
}

fn rows(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["rows"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn derive_pages_and_explains() {
    let router = seeded().await;
    let all = rows(
        &call(
            &router,
            Method::POST,
            "/v1/forks/main/derive",
            "acme",
            Some(json!({})),
        )
        .await,
    );
    let adults: Vec<&Value> = all.iter().filter(|r| r["predicate"] == "adult").collect();
    assert_eq!(adults.len(), 2, "{all:?}");
    let first = call(
        &router,
        Method::POST,
        "/v1/forks/main/derive",
        "acme",
        Some(json!({"rules": ["adult"], "limit": 1, "explain": true})),
    )
    .await;
    let page = rows(&first);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["proof"]["nodes"][0]["status"], "derived");
    let cursor = first.body["nextCursor"].as_str().expect("a second page");
    let second = call(
        &router,
        Method::POST,
        "/v1/forks/main/derive",
        "acme",
        Some(json!({"rules": ["adult"], "limit": 1, "explain": true, "cursor": cursor})),
    )
    .await;
    let page2 = rows(&second);
    assert_eq!(page2.len(), 1);
    assert_ne!(page2[0]["factId"], page[0]["factId"]);
    assert!(second.body["nextCursor"].is_null());
    let unknown = call(
        &router,
        Method::POST,
        "/v1/forks/main/derive",
        "acme",
        Some(json!({"rules": ["nope"]})),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.code(), "ARGON_RUNTIME_VALIDATION_FAILED");
}

#[tokio::test]
async fn trace_lists_rule_firings() {
    let router = seeded().await;
    let firings = rows(
        &call(
            &router,
            Method::POST,
            "/v1/forks/main/derive/trace",
            "acme",
            Some(json!({"rules": ["adult"]})),
        )
        .await,
    );
    assert_eq!(firings.len(), 2);
    assert_eq!(firings[0]["ruleName"], "adult");
    assert!(firings[0]["bindings"]["a"].is_number(), "{}", firings[0]);
    let premises = firings[0]["premises"].as_array().expect("premises");
    assert_eq!(premises.len(), 2, "{}", firings[0]);
}

#[tokio::test]
async fn fact_explain_names_the_events_and_is_tenant_scoped() {
    let router = seeded().await;
    add_person(&router, "globex", "alice", 34).await;
    let all = rows(
        &call(
            &router,
            Method::POST,
            "/v1/forks/main/derive",
            "acme",
            Some(json!({"rules": ["adult"]})),
        )
        .await,
    );
    let id = all[0]["factId"].as_str().expect("fact id").to_owned();
    let reply = call(
        &router,
        Method::GET,
        &format!("/v1/derived/facts/{id}/explain"),
        "acme",
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let nodes = reply.body["proof"]["nodes"].as_array().expect("nodes");
    let base: Vec<&Value> = nodes.iter().filter(|n| n["status"] == "base").collect();
    assert_eq!(base.len(), 2, "Person(p) and Person.age(p, a)");
    assert!(base.iter().all(|n| n["events"][0]["eventId"].is_string()));
    let shallow = call(
        &router,
        Method::GET,
        &format!("/v1/derived/facts/{id}/explain?depth=0"),
        "acme",
        None,
    )
    .await;
    assert_eq!(
        shallow.body["proof"]["nodes"][0]["truncated"], true,
        "{}",
        shallow.body
    );
    let all_derivations = call(
        &router,
        Method::GET,
        &format!("/v1/derived/facts/{id}/explain?all=true"),
        "acme",
        None,
    )
    .await;
    assert_eq!(all_derivations.status, StatusCode::OK);
    // Same individual and age in another tenant: the same id would be
    // derived there, so ask for a fact globex does not have.
    let bob = rows(
        &call(
            &router,
            Method::POST,
            "/v1/forks/main/derive",
            "acme",
            Some(json!({})),
        )
        .await,
    )
    .into_iter()
    .find(|r| r["predicate"] == "adult" && r["args"].to_string().contains("carol"))
    .expect("carol is an adult");
    let foreign = call(
        &router,
        Method::GET,
        &format!(
            "/v1/derived/facts/{}/explain",
            bob["factId"].as_str().unwrap_or_default()
        ),
        "globex",
        None,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
    assert_eq!(foreign.code(), "ARGON_RUNTIME_UNKNOWN_FACT");
    let missing = call(
        &router,
        Method::GET,
        "/v1/derived/facts/f-0/explain",
        "acme",
        None,
    )
    .await;
    assert_eq!(missing.code(), "ARGON_RUNTIME_UNKNOWN_FACT");
}

#[tokio::test]
async fn individuals_and_checks() {
    let router = seeded().await;
    let alice = call(
        &router,
        Method::GET,
        "/v1/derived/individuals/alice",
        "acme",
        None,
    )
    .await;
    assert_eq!(alice.status, StatusCode::OK, "{}", alice.body);
    assert_eq!(alice.body["derived"][0]["predicate"], "adult");
    let proofs = call(
        &router,
        Method::GET,
        "/v1/derived/individuals/alice/explain",
        "acme",
        None,
    )
    .await;
    assert_eq!(
        proofs.body["proofs"].as_array().map(Vec::len),
        Some(1),
        "{}",
        proofs.body
    );
    let nobody = call(
        &router,
        Method::GET,
        "/v1/derived/individuals/zed",
        "acme",
        None,
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(nobody.code(), "ARGON_RUNTIME_UNKNOWN_FACT");
    let checks = call(&router, Method::GET, "/v1/checks", "acme", None).await;
    assert_eq!(checks.status, StatusCode::OK, "{}", checks.body);
    let violations = checks.body["violations"].as_array().expect("violations");
    assert_eq!(violations.len(), 1, "{}", checks.body);
    assert_eq!(violations[0]["check"], "minor");
    assert_eq!(violations[0]["message"], "bob is a minor");
    let explained = call(
        &router,
        Method::GET,
        &format!(
            "/v1/derived/facts/{}/explain",
            violations[0]["factId"].as_str().unwrap_or_default()
        ),
        "acme",
        None,
    )
    .await;
    let nodes = explained.body["proof"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        nodes
            .iter()
            .any(|n| n["status"] == "absent" && n["predicate"] == "adult"),
        "{}",
        explained.body
    );
    let other = call(&router, Method::GET, "/v1/checks", "globex", None).await;
    assert_eq!(other.body["violations"], json!([]));
}

#[tokio::test]
async fn query_dispatch_explains_rows() {
    let router = seeded().await;
    let reply = call(
        &router,
        Method::POST,
        "/v1/dispatch/query",
        "acme",
        Some(json!({"name": "people", "explain": true, "limit": 2})),
    )
    .await;
    let page = rows(&reply);
    assert_eq!(page.len(), 2);
    for row in &page {
        assert!(row["factId"].is_string(), "{row}");
        assert_eq!(row["proof"]["nodes"][0]["status"], "base");
        assert!(row["value"].is_object() || row["value"].is_string());
    }
    let mutation = call(
        &router,
        Method::POST,
        "/v1/dispatch/mutation",
        "acme",
        Some(json!({"name": "add_person", "args": {"id": "dan", "age": 3}, "explain": true})),
    )
    .await;
    assert_eq!(mutation.status, StatusCode::BAD_REQUEST);
}
