//! `POST /v1/batch`: an ordered list of mutation dispatches, atomic — all
//! commit at one `tx` or none does.
//!
//! Body: `{"calls": [{"name", "args"?}, …], "dryRun"?, "validAt"?}` plus the
//! optional context fields `tenantId`, `forkId`, `principalId`, `standpoint`
//! (the headers win, as on dispatch). `Idempotency-Key` applies to the whole
//! batch. Every call is resolved before anything runs: an unknown name is 404,
//! a mutation that can `forget` is 403, and nothing is written.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use ox_ir::Visibility;
use ox_runtime::{ErrorCode, MutateOptions};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::context::{self, BodyContext};
use crate::envelope::ApiError;
use crate::routes::dispatch::{
    no_tenant, read_json_body, refuse_forget, request_id_of, respond, run_blocking,
    runtime_context, Outcome,
};
use crate::state::AppState;

/// One call of a batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    name: String,
    #[serde(default)]
    args: Option<Map<String, Value>>,
}

/// The batch request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BatchBody {
    calls: Vec<Call>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    valid_at: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    fork_id: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    standpoint: Option<String>,
}

/// `POST /v1/batch`.
pub async fn batch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(run_batch(&state, request).await)
}

async fn run_batch(state: &AppState, request: Request) -> Outcome {
    let started = Instant::now();
    let engine = state.engine();
    let request_id = request_id_of(&request);
    let (parts, body): (_, Body) = request.into_parts();
    let bytes = read_json_body(state, &parts.headers, body)
        .await
        .map_err(no_tenant)?;
    let body: BatchBody = serde_json::from_slice(&bytes)
        .map_err(|e| no_tenant(ApiError::validation(format!("invalid request body: {e}"))))?;
    let body_context = BodyContext {
        tenant_id: body.tenant_id.clone(),
        fork_id: body.fork_id.clone(),
        principal_id: body.principal_id.clone(),
        standpoint: body.standpoint.clone(),
        valid_at: body.valid_at.clone(),
    };
    let context = context::resolve(&parts.headers, &body_context, engine.module(), None)
        .map_err(no_tenant)?;
    let tenant = context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    if body.calls.is_empty() {
        return Err(fail(
            ApiError::validation("`calls` must hold at least one mutation")
                .with_details(json!({ "field": "calls" })),
        ));
    }
    let mut calls = Vec::with_capacity(body.calls.len());
    for (index, call) in body.calls.into_iter().enumerate() {
        let path = engine
            .module()
            .mutation_named(&call.name)
            .filter(|(_, m)| m.visibility == Visibility::Public)
            .map(|(_, m)| m.path.clone())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::UnknownCallable,
                    format!("calls[{index}]: no pub mutation named `{}`", call.name),
                )
                .with_details(json!({ "index": index, "name": call.name, "kind": "mutation" }))
            })
            .map_err(fail)?;
        refuse_forget(&engine, &path).map_err(fail)?;
        calls.push((path, call.args.unwrap_or_default()));
    }

    let options = MutateOptions {
        dry_run: body.dry_run,
        idempotency_key: context.idempotency_key.clone(),
    };
    let ctx = runtime_context(&context, started, state.config().request_timeout);
    let runner = Arc::clone(&engine);
    let receipt = run_blocking(state, started, move || runner.batch(&ctx, &calls, &options))
        .await
        .map_err(fail)?;
    let results: Vec<Value> = receipt
        .results
        .into_iter()
        .map(|r| {
            let mut out = json!({
                "value": r.value,
                "eventsWritten": r.events_written,
                "eventsEmitted": r.events_emitted,
            });
            if let Some(events) = r.dry_run_events {
                out["events"] = Value::Array(events);
            }
            out
        })
        .collect();
    Ok((
        json!({
            "tx": receipt.tx,
            "results": results,
            "fork": context.fork,
            "requestId": request_id,
            "moduleHash": engine.module_hash(),
        }),
        tenant.clone(),
    ))
}
