//! `GET /v1/schema` (the TBox as JSON with `schemaHash`) and `GET /v1/openapi.json`.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use crate::openapi;
use crate::state::AppState;
use crate::tbox::schema_json;

/// `GET /v1/schema`.
pub async fn schema(State(state): State<Arc<AppState>>) -> Json<Value> {
    let engine = state.engine();
    Json(schema_json(engine.module(), engine.schema_hash()))
}

/// `GET /v1/openapi.json`.
pub async fn openapi(State(state): State<Arc<AppState>>) -> Json<Value> {
    let engine = state.engine();
    let package = &engine.module().package;
    Json(openapi::document(&package.name, &package.version))
}
