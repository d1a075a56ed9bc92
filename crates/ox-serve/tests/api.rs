//! The HTTP surface, in process: context headers, envelopes, limits,
//! isolation, pagination, timeouts, probes and the schema.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};
use support::*;

fn post(path: &str) -> axum::http::request::Builder {
    Request::builder().method(Method::POST).uri(path)
}

#[tokio::test]
async fn missing_tenant_is_missing_context() {
    let (router, _) = app();
    let reply = dispatch(&router, "query", None, json!({"name": "people"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "ARGON_RUNTIME_MISSING_CONTEXT");
}

#[tokio::test]
async fn body_tenant_is_used_only_without_the_header_and_must_agree() {
    let (router, _) = app();
    let reply = dispatch(
        &router,
        "query",
        None,
        json!({"name": "people", "tenantId": "acme"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = dispatch(
        &router,
        "query",
        Some("acme"),
        json!({"name": "people", "tenantId": "acme"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = dispatch(
        &router,
        "query",
        Some("acme"),
        json!({"name": "people", "tenantId": "globex"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED");
}

#[tokio::test]
async fn bad_header_values_are_refused() {
    let (router, _) = app();
    for (name, value) in [
        ("x-tenant-id", &b"a b"[..]),
        ("x-tenant-id", &b"caf\xc3\xa9"[..]),
        ("x-principal-id", &b"\xff"[..]),
        ("x-standpoint", &b"nowhere"[..]),
        ("x-as-of-tx", &b"yesterday"[..]),
        ("x-as-of-tx", &b"-3"[..]),
        ("x-as-of-tx", &b"2026-01-01 00:00"[..]),
        ("idempotency-key", &b"two words"[..]),
        ("x-as-of-valid", &b"31/01/2026"[..]),
    ] {
        let mut request = post("/v1/dispatch/query").header("content-type", "application/json");
        if name != "x-tenant-id" {
            request = request.header("x-tenant-id", "acme");
        }
        let request = request
            .header(
                name,
                axum::http::HeaderValue::from_bytes(value).expect("bytes"),
            )
            .body(Body::from(json!({"name": "people"}).to_string()))
            .expect("request");
        let reply = send(&router, request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            reply.body
        );
        assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED", "{name}");
    }
}

#[tokio::test]
async fn declared_standpoint_and_valid_time_are_accepted() {
    let (router, _) = app();
    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .header("x-standpoint", "legal")
        .header("x-as-of-valid", "2026-01-31")
        .header("authorization", "Bearer ignored")
        .body(Body::from(
            json!({"name": "people", "validAt": "2026-01-31T00:00:00Z"}).to_string(),
        ))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn forks() {
    let (router, _) = app();
    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .header("x-fork-id", "main")
        .body(Body::from(
            json!({"name": "people", "forkId": "what-if"}).to_string(),
        ))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "ARGON_RUNTIME_FORK_CONFLICT");

    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .header("x-fork-id", "what-if")
        .body(Body::from(json!({"name": "people"}).to_string()))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "ARGON_RUNTIME_UNKNOWN_FORK");

    let reply = dispatch(
        &router,
        "query",
        Some("acme"),
        json!({"name": "people", "forkId": "main"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["fork"], "main");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_the_envelope() {
    let (router, _) = app();
    let reply = get(&router, "/v1/nope").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "ARGON_RUNTIME_NOT_FOUND");

    let reply = get(&router, "/v1/dispatch/query").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.code(), "ARGON_RUNTIME_METHOD_NOT_ALLOWED");

    let reply = send(
        &router,
        post("/healthz").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.code(), "ARGON_RUNTIME_METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn body_format_is_checked() {
    let (router, _) = app();
    let request = post("/v1/dispatch/query")
        .header("content-type", "text/plain")
        .header("x-tenant-id", "acme")
        .body(Body::from(json!({"name": "people"}).to_string()))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED");

    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .body(Body::from("{\"name\": "))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED");

    for body in [
        json!({"name": "people", "dryrun": true}),
        json!({"name": "people", "dryRun": true}),
        json!({"name": "people", "limit": 0}),
        json!({"args": {}}),
    ] {
        let reply = dispatch(&router, "query", Some("acme"), body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED", "{body}");
    }
    let reply = dispatch(
        &router,
        "mutation",
        Some("acme"),
        json!({"name": "add_person", "cursor": "x"}),
    )
    .await;
    assert_eq!(reply.code(), "ARGON_RUNTIME_VALIDATION_FAILED");
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused() {
    let (router, _) = app();
    let big = json!({"name": "people", "args": {"pad": "x".repeat(10_000)}}).to_string();
    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .header("content-length", big.len())
        .body(Body::from(big.clone()))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "ARGON_RUNTIME_PAYLOAD_TOO_LARGE");

    // Streamed in chunks, without Content-Length.
    let chunks: Vec<Result<String, std::io::Error>> = big
        .as_bytes()
        .chunks(512)
        .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
        .collect();
    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .body(Body::from_stream(futures_stream(chunks)))
        .expect("request");
    assert!(request.headers().get("content-length").is_none());
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "ARGON_RUNTIME_PAYLOAD_TOO_LARGE");
}

/// A stream of ready chunks.
fn futures_stream(
    chunks: Vec<Result<String, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<String, std::io::Error>> + Send + 'static {
    struct Chunks(std::vec::IntoIter<Result<String, std::io::Error>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<String, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Chunks(chunks.into_iter())
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let (router, _) = app();
    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .header("x-request-id", "req-123")
        .body(Body::from(json!({"name": "people"}).to_string()))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.headers["x-request-id"], "req-123");
    assert_eq!(reply.body["requestId"], "req-123");
    assert_eq!(reply.body["moduleHash"], MODULE_HASH);

    let reply = get(&router, "/nope").await;
    let generated = reply.headers["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(reply.body["requestId"], generated.as_str());
    assert_eq!(
        uuid::Uuid::parse_str(&generated)
            .expect("a uuid")
            .get_version_num(),
        7
    );

    let too_long = "r".repeat(129);
    let request = Request::get("/healthz")
        .header("x-request-id", too_long.as_str())
        .body(Body::empty())
        .expect("request");
    let reply = send(&router, request).await;
    assert_ne!(reply.headers["x-request-id"], too_long.as_str());
}

#[tokio::test]
async fn tenants_are_isolated_through_dispatch() {
    let (router, _) = app();
    add_person(&router, "acme", "alice", 30).await;
    let acme = dispatch(
        &router,
        "query",
        Some("acme"),
        json!({"name": "people::people"}),
    )
    .await;
    assert_eq!(acme.status, StatusCode::OK, "{}", acme.body);
    assert_eq!(
        acme.body["rows"].as_array().map(Vec::len),
        Some(1),
        "{}",
        acme.body
    );
    let globex = dispatch(&router, "query", Some("globex"), json!({"name": "people"})).await;
    assert_eq!(globex.status, StatusCode::OK);
    assert_eq!(globex.body["rows"], json!([]));
    assert_eq!(globex.body["nextCursor"], Value::Null);
}

#[tokio::test]
async fn mutations_report_writes_and_dry_runs_write_nothing() {
    let (router, _) = app();
    let reply = dispatch(
        &router,
        "mutation",
        Some("acme"),
        json!({"name": "add_person", "args": {"id": "bob", "age": 4}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body["tx"].as_u64().is_some_and(|tx| tx >= 1),
        "{}",
        reply.body
    );
    assert!(
        reply.body["eventsWritten"].as_u64().is_some_and(|n| n >= 1),
        "{}",
        reply.body
    );
    assert!(reply.body["eventsEmitted"].is_array());
    assert_eq!(reply.body["fork"], "main");

    let dry = dispatch(
        &router,
        "mutation",
        Some("acme"),
        json!({"name": "add_person", "args": {"id": "carol", "age": 5}, "dryRun": true}),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.body["eventsWritten"], 0);
    assert!(
        dry.body["events"].as_array().is_some_and(|e| !e.is_empty()),
        "{}",
        dry.body
    );
    let rows = dispatch(&router, "query", Some("acme"), json!({"name": "people"})).await;
    assert_eq!(
        rows.body["rows"].as_array().map(Vec::len),
        Some(1),
        "{}",
        rows.body
    );

    let refused = dispatch(
        &router,
        "mutation",
        Some("acme"),
        json!({"name": "add_person", "args": {"id": "dan", "age": -1}}),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.code(), "ARGON_RUNTIME_REQUIRE_FAILED");

    let forget = dispatch(
        &router,
        "mutation",
        Some("acme"),
        json!({"name": "erase", "args": {"p": "bob"}}),
    )
    .await;
    assert_eq!(forget.status, StatusCode::FORBIDDEN);
    assert_eq!(forget.code(), "ARGON_RUNTIME_FORGET_REFUSED");
}

#[tokio::test]
async fn compute_and_unknown_callables() {
    let (router, _) = app();
    let reply = dispatch(
        &router,
        "compute",
        Some("acme"),
        json!({"name": "double", "args": {"x": 21}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["value"], 42);

    for (kind, name) in [
        ("query", "nope"),
        ("query", "secret_people"),
        ("mutation", "people"),
        ("compute", "add_person"),
    ] {
        let reply = dispatch(&router, kind, Some("acme"), json!({"name": name})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{kind} {name}");
        assert_eq!(reply.code(), "ARGON_RUNTIME_UNKNOWN_CALLABLE");
    }
}

async fn all_pages(
    router: &axum::Router,
    tenant: &str,
    limit: u64,
    late: &str,
) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        let reply = dispatch(
            router,
            "query",
            Some(tenant),
            json!({"name": "people", "limit": limit, "cursor": cursor}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let page = reply.body["rows"].as_array().cloned().unwrap_or_default();
        assert!(page.len() as u64 <= limit.min(10));
        rows.extend(page);
        pages += 1;
        cursor = reply.body["nextCursor"].clone();
        if cursor.is_null() {
            return (rows, pages);
        }
        // A write between pages must not show up in later pages.
        if pages == 1 {
            add_person(router, tenant, late, 1).await;
        }
    }
}

#[tokio::test]
async fn pages_concatenate_to_the_full_answer() {
    let backend = Arc::new(TestBackend::default());
    let small = ServeConfig {
        max_rows: 10,
        ..config()
    };
    let (router, _) = app_with(backend.clone(), small);
    let (full_router, _) = app_with(backend.clone(), config());
    for i in 0..25 {
        add_person(&router, "acme", &format!("p{i:02}"), i).await;
    }
    let full = dispatch(
        &full_router,
        "query",
        Some("acme"),
        json!({"name": "people"}),
    )
    .await;
    let full_rows = full.body["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(full_rows.len(), 25);

    let (rows, pages) = all_pages(&router, "acme", 1000, "zz-late-1").await;
    assert_eq!(pages, 3);
    assert_eq!(rows, full_rows, "pages read the snapshot of the first page");
    let (rows, pages) = all_pages(&router, "acme", 7, "zz-late-2").await;
    assert_eq!(rows.len(), 26);
    assert_eq!(pages, 4);
}

use ox_serve::ServeConfig;

#[tokio::test]
async fn cursors_are_authenticated_and_scoped() {
    let backend = Arc::new(TestBackend::default());
    let (router, _) = app_with(
        backend.clone(),
        ServeConfig {
            max_rows: 2,
            ..config()
        },
    );
    for i in 0..5 {
        add_person(&router, "acme", &format!("p{i}"), i).await;
        add_person(&router, "globex", &format!("g{i}"), i).await;
    }
    let first = dispatch(&router, "query", Some("acme"), json!({"name": "people"})).await;
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();

    let ok = dispatch(
        &router,
        "query",
        Some("acme"),
        json!({"name": "people", "cursor": cursor}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    let mut tampered = cursor.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for (tenant, cursor) in [
        ("acme", tampered.as_str()),
        ("globex", cursor.as_str()),
        ("acme", "garbage"),
    ] {
        let reply = dispatch(
            &router,
            "query",
            Some(tenant),
            json!({"name": "people", "cursor": cursor}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{tenant} {cursor}");
        assert_eq!(reply.code(), "ARGON_RUNTIME_INVALID_CURSOR");
    }
    let other_args = dispatch(
        &router,
        "query",
        Some("acme"),
        json!({"name": "people", "args": {"x": 1}, "cursor": cursor}),
    )
    .await;
    assert_eq!(other_args.code(), "ARGON_RUNTIME_INVALID_CURSOR");

    let (other_server, _) = app_with(
        backend,
        ServeConfig {
            max_rows: 2,
            cursor_secret: Some([7; 32]),
            ..config()
        },
    );
    let reply = dispatch(
        &other_server,
        "query",
        Some("acme"),
        json!({"name": "people", "cursor": cursor}),
    )
    .await;
    assert_eq!(reply.code(), "ARGON_RUNTIME_INVALID_CURSOR");
}

#[tokio::test]
async fn slow_requests_time_out_with_504() {
    let backend = Arc::new(TestBackend::default());
    let (router, _) = app_with(
        backend.clone(),
        ServeConfig {
            request_timeout: Duration::from_millis(100),
            ..config()
        },
    );
    backend.slow_reads.store(true, Ordering::SeqCst);
    let reply = dispatch(&router, "query", Some("acme"), json!({"name": "people"})).await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{}", reply.body);
    assert_eq!(reply.code(), "ARGON_RUNTIME_TIMEOUT");
}

/// A body that sends one chunk and then stalls forever.
struct Stalled(bool);

impl futures_core::Stream for Stalled {
    type Item = Result<String, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.0 {
            std::task::Poll::Pending
        } else {
            self.0 = true;
            std::task::Poll::Ready(Some(Ok("{\"name\": ".to_owned())))
        }
    }
}

#[tokio::test]
async fn stalled_bodies_time_out_with_504() {
    let backend = Arc::new(TestBackend::default());
    let (router, _) = app_with(
        backend,
        ServeConfig {
            request_timeout: Duration::from_millis(100),
            ..config()
        },
    );
    let request = post("/v1/dispatch/query")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .body(Body::from_stream(Stalled(false)))
        .expect("request");
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{}", reply.body);
    assert_eq!(reply.code(), "ARGON_RUNTIME_TIMEOUT");
}

#[tokio::test]
async fn engine_panics_become_internal_errors_without_tenant_data() {
    let (router, backend) = app();
    backend.panic_reads.store(true, Ordering::SeqCst);
    let reply = dispatch(&router, "query", Some("acme"), json!({"name": "people"})).await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.body
    );
    assert_eq!(reply.code(), "ARGON_RUNTIME_INTERNAL");
    assert!(!reply.body.to_string().contains("acme"), "{}", reply.body);
}

#[tokio::test]
async fn probes() {
    let (router, backend) = app();
    let reply = get(&router, "/healthz").await;
    assert_eq!(
        (reply.status, reply.body.clone()),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(get(&router, "/readyz").await.status, StatusCode::OK);

    backend.fail_ping.store(true, Ordering::SeqCst);
    let reply = get(&router, "/readyz").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.code(), "ARGON_RUNTIME_STORAGE_UNAVAILABLE");
    assert_eq!(
        get(&router, "/healthz").await.status,
        StatusCode::OK,
        "liveness ignores storage"
    );

    let health = get(&router, "/v1/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["storage"]["kind"], "mem");
    assert_eq!(health.body["storage"]["reachable"], false);
    assert_eq!(health.body["moduleHash"], MODULE_HASH);
    assert_eq!(health.body["schemaHash"], SCHEMA_HASH);
    assert!(health.body["uptimeSeconds"].is_u64());
}

#[tokio::test]
async fn module_and_metrics() {
    let (router, _) = app();
    let module = get(&router, "/v1/module").await;
    assert_eq!(module.status, StatusCode::OK);
    assert_eq!(module.body["package"]["name"], "people");
    assert_eq!(module.body["package"]["version"], "0.1.0");
    assert_eq!(module.body["sourcePath"], "target/people.oxbin");
    assert_eq!(module.body["diagnostics"], json!([]));
    assert_eq!(module.body["schemaHash"], SCHEMA_HASH);
    assert!(module.body["loadedAt"].is_string());

    let _ = get(&router, "/nope").await;
    let request = Request::get("/metrics")
        .body(Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(router.clone(), request)
        .await
        .expect("infallible");
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("ox_http_requests_total{route=\"/v1/module\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("ox_http_requests_total{route=\"unmatched\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("ox_http_errors_total{code=\"ARGON_RUNTIME_NOT_FOUND\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn schema_document() {
    let (router, _) = app();
    let reply = get(&router, "/v1/schema").await;
    assert_eq!(reply.status, StatusCode::OK);
    insta::assert_json_snapshot!("schema", reply.body);
}

#[tokio::test]
async fn openapi_document() {
    let (router, _) = app();
    let reply = get(&router, "/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["openapi"], "3.1.0");
    for path in [
        "/healthz",
        "/readyz",
        "/v1/schema",
        "/v1/dispatch/query",
        "/v1/dispatch/mutation",
        "/v1/dispatch/compute",
    ] {
        assert!(reply.body["paths"][path].is_object(), "{path}");
    }
    let codes = &reply.body["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
        ["properties"]["code"]["enum"];
    assert_eq!(
        codes.as_array().map(Vec::len),
        Some(ox_runtime::ErrorCode::ALL.len())
    );
}
