//! In-process tests of the fork routes, batches and idempotency keys on the
//! `mem` backend.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use support::{add_person, app, send, Reply};

/// Sends `method path` as `tenant` with extra headers and an optional JSON body.
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    send(router, request.body(body).expect("request")).await
}

const ACME: (&str, &str) = ("x-tenant-id", "acme");
const GLOBEX: (&str, &str) = ("x-tenant-id", "globex");

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {}", reply.body))
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn people(router: &Router, path: &str, headers: &[(&str, &str)]) -> Vec<String> {
    let reply = call(
        router,
        Method::POST,
        path,
        headers,
        Some(json!({"name": "people"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    ids(&reply)
}

#[tokio::test]
async fn fork_lifecycle_is_per_tenant() {
    let (router, _) = app();
    add_person(&router, "acme", "ann", 30).await;
    add_person(&router, "acme", "ben", 40).await;

    let created = call(
        &router,
        Method::POST,
        "/v1/forks",
        &[ACME],
        Some(json!({"name": "plan", "atTx": 1})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "plan");
    let again = call(
        &router,
        Method::POST,
        "/v1/forks",
        &[ACME],
        Some(json!({"name": "plan"})),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "ARGON_RUNTIME_FORK_EXISTS");

    // Another tenant sees no such fork.
    let reply = call(&router, Method::GET, "/v1/forks/plan", &[GLOBEX], None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.code(), "ARGON_RUNTIME_UNKNOWN_FORK");
    let reply = call(&router, Method::GET, "/v1/forks", &[GLOBEX], None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(!reply.body.to_string().contains("plan"), "{}", reply.body);
    let reply = call(
        &router,
        Method::POST,
        "/v1/forks/plan/dispatch/query",
        &[GLOBEX],
        Some(json!({"name": "people"})),
    )
    .await;
    assert_eq!(reply.code(), "ARGON_RUNTIME_UNKNOWN_FORK");

    // The fork sees tx 1 only, then its own writes.
    let fork_query = "/v1/forks/plan/dispatch/query";
    assert_eq!(people(&router, fork_query, &[ACME]).await, vec!["ann"]);
    let reply = call(
        &router,
        Method::POST,
        "/v1/forks/plan/dispatch/mutation",
        &[ACME],
        Some(json!({"name": "add_person", "args": {"id": "cy", "age": 5}})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["fork"], "plan");
    assert_eq!(
        people(&router, fork_query, &[ACME]).await,
        vec!["ann", "cy"]
    );
    assert_eq!(
        people(&router, "/v1/dispatch/query", &[ACME]).await,
        vec!["ann", "ben"]
    );
    assert_eq!(
        people(
            &router,
            "/v1/dispatch/query",
            &[ACME, ("x-fork-id", "plan")]
        )
        .await,
        vec!["ann", "cy"]
    );
    let reply = call(
        &router,
        Method::POST,
        fork_query,
        &[ACME, ("x-fork-id", "main")],
        Some(json!({"name": "people"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "ARGON_RUNTIME_FORK_CONFLICT");

    let diff = call(
        &router,
        Method::GET,
        "/v1/forks/plan/diff/main",
        &[ACME],
        None,
    )
    .await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
    assert!(diff.body["rows"].as_array().is_some_and(|r| !r.is_empty()));
    let reply = call(
        &router,
        Method::GET,
        "/v1/forks/plan/diff/main?limit=0",
        &[ACME],
        None,
    )
    .await;
    assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED");

    let promoted = call(
        &router,
        Method::POST,
        "/v1/forks/plan/promote",
        &[ACME],
        None,
    )
    .await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    assert_eq!(
        people(&router, "/v1/dispatch/query", &[ACME]).await,
        vec!["ann", "ben", "cy"]
    );
    let closed = call(
        &router,
        Method::POST,
        "/v1/forks/plan/dispatch/mutation",
        &[ACME],
        Some(json!({"name": "add_person", "args": {"id": "dee", "age": 5}})),
    )
    .await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert_eq!(closed.code(), "ARGON_RUNTIME_FORK_CLOSED");

    let created = call(
        &router,
        Method::POST,
        "/v1/forks",
        &[ACME],
        Some(json!({"name": "scrap"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let aborted = call(&router, Method::DELETE, "/v1/forks/scrap", &[ACME], None).await;
    assert_eq!(aborted.status, StatusCode::OK, "{}", aborted.body);
    assert_eq!(aborted.body["state"], "aborted");
    let reply = call(&router, Method::GET, "/v1/forks", &[], None).await;
    assert_eq!(reply.code(), "ARGON_RUNTIME_MISSING_CONTEXT");
}

#[tokio::test]
async fn batches_commit_at_one_tx_or_not_at_all() {
    let (router, _) = app();
    let reply = call(
        &router,
        Method::POST,
        "/v1/batch",
        &[ACME],
        Some(json!({"calls": [
            {"name": "add_person", "args": {"id": "ann", "age": 1}},
            {"name": "add_person", "args": {"id": "ben", "age": 2}},
        ]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["tx"], 1);
    assert_eq!(reply.body["results"].as_array().map(Vec::len), Some(2));
    let reply = call(
        &router,
        Method::POST,
        "/v1/batch",
        &[ACME],
        Some(json!({"calls": [
            {"name": "add_person", "args": {"id": "cy", "age": 1}},
            {"name": "add_person", "args": {"id": "dee", "age": -1}},
        ]})),
    )
    .await;
    assert_eq!(reply.code(), "ARGON_RUNTIME_REQUIRE_FAILED");
    assert_eq!(
        people(&router, "/v1/dispatch/query", &[ACME]).await,
        vec!["ann", "ben"]
    );
    let reply = call(
        &router,
        Method::POST,
        "/v1/batch",
        &[ACME],
        Some(json!({"calls": [{"name": "erase", "args": {"p": "ann"}}]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "ARGON_RUNTIME_FORGET_REFUSED");
}

#[tokio::test]
async fn idempotency_keys_replay_the_stored_response() {
    let (router, _) = app();
    let body = json!({"name": "add_person", "args": {"id": "ann", "age": 1}});
    let keyed = [ACME, ("idempotency-key", "k-1")];
    let first = call(
        &router,
        Method::POST,
        "/v1/dispatch/mutation",
        &keyed,
        Some(body.clone()),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = call(
        &router,
        Method::POST,
        "/v1/dispatch/mutation",
        &keyed,
        Some(body),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["tx"], first.body["tx"]);
    assert_eq!(again.body["value"], first.body["value"]);
    let other = call(
        &router,
        Method::POST,
        "/v1/dispatch/mutation",
        &keyed,
        Some(json!({"name": "add_person", "args": {"id": "ann", "age": 2}})),
    )
    .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert_eq!(other.code(), "ARGON_RUNTIME_IDEMPOTENCY_CONFLICT");
    let next = call(
        &router,
        Method::POST,
        "/v1/dispatch/mutation",
        &[ACME],
        Some(json!({"name": "add_person", "args": {"id": "ben", "age": 1}})),
    )
    .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert_eq!(
        next.body["tx"].as_u64(),
        first.body["tx"].as_u64().map(|t| t + 1),
        "the replay wrote nothing"
    );
}
