//! Fork management: `GET/POST /v1/forks`, `GET/DELETE /v1/forks/{fork}`,
//! `GET /v1/forks/{fork}/diff/{other}` and `POST /v1/forks/{fork}/promote`.
//!
//! Forks belong to the tenant of the request (`X-Tenant-Id`, required): one
//! tenant never sees another's forks. On routes with a `{fork}` in the path,
//! `X-Fork-Id` may be given only if it names the same fork (`FORK_CONFLICT`).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ox_runtime::{Engine, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::context::{self, BodyContext, Context};
use crate::cursor::{CursorPosition, CursorScope};
use crate::envelope::ApiError;
use crate::routes::dispatch::{
    no_tenant, read_json_body, request_id_of, respond, respond_with, run_blocking, runtime_context,
    Outcome,
};
use crate::state::AppState;

/// `POST /v1/forks` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    name: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    at_tx: Option<u64>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
}

/// Query string of the diff route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
}

/// The validated context of a fork route (headers only) and its engine.
pub(crate) struct Scoped {
    pub(crate) engine: Arc<Engine>,
    pub(crate) context: Context,
    pub(crate) request_id: String,
    pub(crate) started: Instant,
}

pub(crate) fn scoped(
    state: &AppState,
    headers: &HeaderMap,
    body: &BodyContext,
    path_fork: Option<&str>,
    request_id: String,
) -> Result<Scoped, ApiError> {
    let started = Instant::now();
    let engine = state.engine();
    let context = context::resolve(headers, body, engine.module(), path_fork)?;
    if context.idempotency_key.is_some() {
        return Err(ApiError::validation(
            "header Idempotency-Key applies only to mutations and batches",
        )
        .with_details(json!({ "header": "idempotency-key" })));
    }
    Ok(Scoped {
        engine,
        context,
        request_id,
        started,
    })
}

/// Adds `requestId` and `moduleHash` to an object body.
pub(crate) fn finish(mut value: Value, s: &Scoped) -> Outcome {
    if let Value::Object(map) = &mut value {
        map.insert("requestId".into(), json!(s.request_id));
        map.insert("moduleHash".into(), json!(s.engine.module_hash()));
    }
    Ok((value, s.context.tenant.as_str().to_owned()))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value)
        .map_err(|e| ApiError::internal(format!("cannot encode the response: {e}")))
}

/// `GET /v1/forks`: the tenant's forks.
pub async fn list(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(run_list(&state, request).await)
}

async fn run_list(state: &AppState, request: Request) -> Outcome {
    let id = request_id_of(&request);
    let s =
        scoped(state, request.headers(), &BodyContext::default(), None, id).map_err(no_tenant)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let forks = run_blocking(state, s.started, move || engine.list_forks(&ctx))
        .await
        .map_err(fail)?;
    let forks = to_json(&forks).map_err(fail)?;
    finish(json!({ "forks": forks }), &s)
}

/// `POST /v1/forks`: creates a fork (`{"name", "from"?, "atTx"?}`) → 201.
pub async fn create(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match run_create(&state, request).await {
        ok @ Ok(_) => respond_with(StatusCode::CREATED, ok),
        err => respond(err),
    }
}

async fn run_create(state: &AppState, request: Request) -> Outcome {
    let id = request_id_of(&request);
    let (parts, body): (_, Body) = request.into_parts();
    let bytes = read_json_body(state, &parts.headers, body)
        .await
        .map_err(no_tenant)?;
    let body: CreateBody = serde_json::from_slice(&bytes)
        .map_err(|e| no_tenant(ApiError::validation(format!("invalid request body: {e}"))))?;
    let body_context = BodyContext {
        tenant_id: body.tenant_id.clone(),
        principal_id: body.principal_id.clone(),
        ..BodyContext::default()
    };
    let s = scoped(state, &parts.headers, &body_context, None, id).map_err(no_tenant)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    let name = context::check_fork_name(&body.name, "body field `name`").map_err(fail)?;
    // The parent: `from`, else the fork X-Fork-Id names, else main.
    let header_fork = parts.headers.contains_key(context::FORK);
    let from = match (&body.from, header_fork) {
        (Some(from), true) if *from != s.context.fork => {
            return Err(fail(
                ApiError::new(
                    ErrorCode::ForkConflict,
                    "body field `from` disagrees with header X-Fork-Id",
                )
                .with_details(json!({ "from": from, "header": s.context.fork })),
            ));
        }
        (Some(from), _) => context::check_fork_name(from, "body field `from`").map_err(fail)?,
        (None, _) => s.context.fork.clone(),
    };
    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let at_tx = body.at_tx;
    let info = run_blocking(state, s.started, move || {
        engine.create_fork(&ctx, &name, Some(from.as_str()), at_tx)
    })
    .await
    .map_err(fail)?;
    let info = to_json(&info).map_err(fail)?;
    finish(info, &s)
}

/// `GET /v1/forks/{fork}`: one fork.
pub async fn info(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_fork_record(&state, &fork, request, Engine::fork_info).await)
}

/// Runs one engine operation on the path's fork and answers with the fork's
/// record: the shared body of inspect and abort.
async fn run_fork_record(
    state: &AppState,
    fork: &str,
    request: Request,
    operation: fn(
        &Engine,
        &ox_runtime::RequestContext,
        &str,
    ) -> Result<ox_runtime::ForkInfo, ox_runtime::RuntimeError>,
) -> Outcome {
    let id = request_id_of(&request);
    let s = scoped(
        state,
        request.headers(),
        &BodyContext::default(),
        Some(fork),
        id,
    )
    .map_err(no_tenant)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let name = s.context.fork.clone();
    let info = run_blocking(state, s.started, move || operation(&engine, &ctx, &name))
        .await
        .map_err(fail)?;
    let info = to_json(&info).map_err(fail)?;
    finish(info, &s)
}

/// `DELETE /v1/forks/{fork}`: aborts the fork (closed to writes; history stays).
pub async fn abort(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_fork_record(&state, &fork, request, Engine::abort_fork).await)
}

/// `POST /v1/forks/{fork}/promote`: appends the fork's events to `main`.
pub async fn promote(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_promote(&state, &fork, request).await)
}

async fn run_promote(state: &AppState, fork: &str, request: Request) -> Outcome {
    let id = request_id_of(&request);
    let s = scoped(
        state,
        request.headers(),
        &BodyContext::default(),
        Some(fork),
        id,
    )
    .map_err(no_tenant)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    // The body, if any, must be empty JSON: promote takes no parameters.
    let (parts, body): (_, Body) = request.into_parts();
    let has_body = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v != "0")
        || parts
            .headers
            .contains_key(axum::http::header::TRANSFER_ENCODING);
    if has_body {
        let bytes = read_json_body(state, &parts.headers, body)
            .await
            .map_err(fail)?;
        let empty: Result<Map<String, Value>, _> = serde_json::from_slice(&bytes);
        if !empty.is_ok_and(|m| m.is_empty()) {
            return Err(fail(ApiError::validation(
                "promote takes no body fields (send no body or `{}`)",
            )));
        }
    }
    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let name = s.context.fork.clone();
    let receipt = run_blocking(state, s.started, move || engine.promote_fork(&ctx, &name))
        .await
        .map_err(fail)?;
    finish(
        json!({
            "fork": s.context.fork,
            "into": ox_store::MAIN_FORK,
            "tx": receipt.tx,
            "eventsPromoted": receipt.events_promoted,
        }),
        &s,
    )
}

/// `GET /v1/forks/{fork}/diff/{other}?cursor=&limit=`: the events visible in
/// one fork and not the other, paged like query rows.
pub async fn diff(
    State(state): State<Arc<AppState>>,
    Path((fork, other)): Path<(String, String)>,
    Query(page): Query<PageParams>,
    request: Request,
) -> Response {
    respond(run_diff(&state, &fork, &other, page, request).await)
}

async fn run_diff(
    state: &AppState,
    fork: &str,
    other: &str,
    page: PageParams,
    request: Request,
) -> Outcome {
    let id = request_id_of(&request);
    let s = scoped(
        state,
        request.headers(),
        &BodyContext::default(),
        Some(fork),
        id,
    )
    .map_err(no_tenant)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    let other = context::check_fork_name(other, "path fork `other`").map_err(fail)?;
    if page.limit == Some(0) {
        return Err(fail(
            ApiError::validation("`limit` must be at least 1")
                .with_details(json!({ "field": "limit" })),
        ));
    }
    let max_rows = state.config().max_rows.max(1);
    let size = page.limit.map_or(max_rows, |l| {
        usize::try_from(l).unwrap_or(usize::MAX).min(max_rows)
    });
    let args: Map<String, Value> = [("other".to_owned(), json!(other))].into_iter().collect();
    let scope = CursorScope {
        tenant: &tenant,
        fork: &s.context.fork,
        standpoint: None,
        query: "/v1/forks/diff",
        args: &args,
    };
    let key = state.cursor_key();
    let resumed = page
        .cursor
        .as_deref()
        .map(|text| key.open(text, &scope))
        .transpose()
        .map_err(fail)?;

    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let (name, other_name) = (s.context.fork.clone(), other.clone());
    let (last_tx, rows) = run_blocking(state, s.started, move || {
        let last_tx = engine
            .store()
            .last_tx(&ctx.tenant)
            .map_err(ox_runtime::RuntimeError::from_store)?;
        let rows = engine.diff_forks(&ctx, &name, &other_name)?;
        Ok((last_tx, rows))
    })
    .await
    .map_err(fail)?;

    // A cursor continues the snapshot of the first page: if the tenant wrote
    // since, the pages would shift, so the client must start again.
    let offset = match resumed {
        Some(position) if position.tx != last_tx => {
            return Err(fail(
                ApiError::new(
                    ErrorCode::InvalidCursor,
                    "the tenant was written since the first page of this diff; request the diff again without a cursor",
                )
                .with_details(json!({ "cursorTx": position.tx, "tx": last_tx })),
            ));
        }
        Some(position) => usize::try_from(position.offset).unwrap_or(usize::MAX),
        None => 0,
    };
    let end = offset.saturating_add(size).min(rows.len());
    let start = offset.min(end);
    let next = (end < rows.len()).then(|| {
        key.issue(
            &scope,
            CursorPosition {
                tx: last_tx,
                offset: end as u64,
                valid_at_micros: None,
            },
        )
    });
    let page_rows: Vec<Value> = rows.into_iter().skip(start).take(end - start).collect();
    finish(
        json!({
            "fork": s.context.fork,
            "other": other,
            "rows": page_rows,
            "nextCursor": next,
            "tx": last_tx,
        }),
        &s,
    )
}
