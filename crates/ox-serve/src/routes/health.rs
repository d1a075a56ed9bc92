//! Probes and introspection: `/healthz`, `/readyz`, `/v1/health`, `/v1/module`, `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ox_runtime::ErrorCode;
use ox_store::StorageBackend;
use serde_json::{json, Value};

use crate::envelope::ApiError;
use crate::state::AppState;

/// How long the readiness probe waits for storage.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Pings storage on the blocking pool, bounded by [`PROBE_TIMEOUT`]. The error
/// says why storage is not reachable.
pub async fn probe_storage(store: Arc<dyn StorageBackend>) -> Result<(), String> {
    match tokio::time::timeout(
        PROBE_TIMEOUT,
        tokio::task::spawn_blocking(move || store.ping()),
    )
    .await
    {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Err(_)) => Err("the storage probe failed unexpectedly".to_owned()),
        Err(_) => Err(format!(
            "storage did not answer within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
}

/// `GET /healthz`: liveness; never touches storage.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when storage answers the probe, else 503 `STORAGE_UNAVAILABLE`.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let engine = state.engine();
    match probe_storage(Arc::clone(engine.store())).await {
        Ok(()) => Ok(Json(json!({ "status": "ready" }))),
        Err(reason) => Err(ApiError::new(
            ErrorCode::StorageUnavailable,
            format!("storage is not reachable: {reason}"),
        )
        .with_details(json!({ "storage": engine.store().kind() }))),
    }
}

/// `GET /v1/health`: status, storage kind and reachability, hashes, uptime.
pub async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let engine = state.engine();
    let reachable = probe_storage(Arc::clone(engine.store())).await.is_ok();
    Json(json!({
        "status": if reachable { "ok" } else { "degraded" },
        "storage": {
            "kind": engine.store().kind(),
            "description": state.config().storage_description,
            "reachable": reachable,
        },
        "moduleHash": engine.module_hash(),
        "schemaHash": engine.schema_hash(),
        "uptimeSeconds": state.started_at().elapsed().as_secs(),
    }))
}

/// `GET /v1/module`: the active module.
pub async fn module(State(state): State<Arc<AppState>>) -> Json<Value> {
    let engine = state.engine();
    let package = &engine.module().package;
    Json(json!({
        "package": { "name": package.name, "version": package.version, "entry": package.entry },
        "sourcePath": state.config().source_path,
        "diagnostics": [],
        "moduleHash": engine.module_hash(),
        "schemaHash": engine.schema_hash(),
        "loadedAt": state.loaded_at().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut response = state.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
