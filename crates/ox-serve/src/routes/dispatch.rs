//! `POST /v1/dispatch/{query,mutation,compute}` and
//! `POST /v1/forks/{fork}/dispatch/{query,mutation,compute}`: run a declared
//! `pub` callable (on the path's fork, which `X-Fork-Id`/`forkId` must not
//! contradict).
//!
//! The body is `{"name", "args", "limit", "cursor", "explain", "dryRun",
//! "validAt", "across", "strict"}` plus the optional context fields
//! `tenantId`, `forkId`, `principalId`, `standpoint`. A query with `across`
//! (or one declaring `across [...]`) answers rows `{"value", "truth"}`;
//! `strict` (also `?strict=true`) keeps only the `Is` rows. Unknown fields are refused
//! (`VALIDATION_FAILED`): a misspelt `dryrun` must not silently write. Fields
//! that do not apply to the route (`dryRun` on a query, `cursor` on a
//! mutation …) are refused the same way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ox_ir::{Module, Visibility};
use ox_runtime::{
    Engine, ErrorCode, ExplainRequest, MutateOptions, QueryResult, RequestContext, RuntimeError,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::context::{self, BodyContext, Context};
use crate::cursor::{CursorPosition, CursorScope};
use crate::envelope::ApiError;
use crate::limits::{read_body, require_json};
use crate::middleware::{RequestId, ServedTenant};
use crate::state::AppState;

/// A dispatch request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DispatchBody {
    name: String,
    #[serde(default)]
    args: Option<Map<String, Value>>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    explain: bool,
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
    /// Standpoints to evaluate a query under, merged into four-valued rows.
    #[serde(default)]
    across: Option<Vec<String>>,
    /// With `across`: only the rows whose truth is `Is`.
    #[serde(default)]
    strict: bool,
}

/// Which kind of callable a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Query,
    Mutation,
    Compute,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Query => "query",
            Kind::Mutation => "mutation",
            Kind::Compute => "fn",
        }
    }
}

/// Everything a handler needs after the body and context are validated.
struct Prepared {
    engine: Arc<Engine>,
    body: DispatchBody,
    context: Context,
    /// The callable's qualified path.
    path: String,
    args: Map<String, Value>,
    request_id: String,
    /// When the handler started: the deadline counts from here.
    started: Instant,
}

/// `POST /v1/dispatch/query`.
pub async fn query(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(run_query(&state, request, None).await)
}

/// `POST /v1/dispatch/mutation`.
pub async fn mutation(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(run_mutation(&state, request, None).await)
}

/// `POST /v1/dispatch/compute`.
pub async fn compute(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(run_compute(&state, request, None).await)
}

/// `POST /v1/forks/{fork}/dispatch/query`.
pub async fn fork_query(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_query(&state, request, Some(fork)).await)
}

/// `POST /v1/forks/{fork}/dispatch/mutation`.
pub async fn fork_mutation(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_mutation(&state, request, Some(fork)).await)
}

/// `POST /v1/forks/{fork}/dispatch/compute`.
pub async fn fork_compute(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_compute(&state, request, Some(fork)).await)
}

/// A handler's JSON answer (200) or error, with the tenant it served for the log.
pub(crate) fn respond(outcome: Outcome) -> Response {
    respond_with(axum::http::StatusCode::OK, outcome)
}

/// As [`respond`], with `status` for a success.
pub(crate) fn respond_with(status: axum::http::StatusCode, outcome: Outcome) -> Response {
    let (mut response, tenant) = match outcome {
        Ok((body, tenant)) => ((status, Json(body)).into_response(), Some(tenant)),
        Err((err, tenant)) => (err.into_response(), tenant),
    };
    if let Some(tenant) = tenant {
        response.extensions_mut().insert(ServedTenant(tenant));
    }
    response
}

/// A handler's result: the JSON body and the tenant, or the error and the tenant if known.
pub(crate) type Outcome = Result<(Value, String), (ApiError, Option<String>)>;

/// An error met before the tenant was known.
pub(crate) fn no_tenant(err: ApiError) -> (ApiError, Option<String>) {
    (err, None)
}

/// Reads and validates the body, resolves the context and the callable.
async fn prepare(
    state: &AppState,
    request: Request,
    kind: Kind,
    path_fork: Option<String>,
) -> Result<Prepared, ApiError> {
    let started = Instant::now();
    let engine = state.engine();
    let request_id = request_id_of(&request);
    let (parts, body): (_, Body) = request.into_parts();
    let bytes = read_json_body(state, &parts.headers, body).await?;
    let mut body: DispatchBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::validation(format!("invalid request body: {e}")))?;
    body.strict |= strict_param(parts.uri.query())?;
    let context = resolve_context(&parts.headers, &body, engine.module(), path_fork.as_deref())?;
    check_fields(&body, &context, kind)?;
    let path = resolve_callable(engine.module(), &body.name, kind)?;
    let args = body.args.clone().unwrap_or_default();
    Ok(Prepared {
        engine,
        body,
        context,
        path,
        args,
        request_id,
        started,
    })
}

/// `?strict=true` (or `false`); any other query parameter is refused.
fn strict_param(query: Option<&str>) -> Result<bool, ApiError> {
    let mut strict = false;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("strict", "true")) => strict = true,
            Some(("strict", "false")) => {}
            _ => {
                return Err(ApiError::validation(format!(
                    "unknown query parameter `{pair}`; only `strict=true|false` is accepted"
                ))
                .with_details(json!({ "parameter": pair })))
            }
        }
    }
    Ok(strict)
}

/// Requires a JSON content type and reads the body (capped, within the request timeout).
pub(crate) async fn read_json_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, ApiError> {
    require_json(headers)?;
    let timeout = state.config().request_timeout;
    let reading = read_body(headers, body, state.config().max_body_bytes);
    tokio::time::timeout(timeout, reading)
        .await
        .map_err(|_| timeout_error(timeout))?
}

/// The id `finalize` gave this request.
pub(crate) fn request_id_of(request: &Request) -> String {
    request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

fn resolve_context(
    headers: &HeaderMap,
    body: &DispatchBody,
    module: &Module,
    path_fork: Option<&str>,
) -> Result<Context, ApiError> {
    let body_context = BodyContext {
        tenant_id: body.tenant_id.clone(),
        fork_id: body.fork_id.clone(),
        principal_id: body.principal_id.clone(),
        standpoint: body.standpoint.clone(),
        valid_at: body.valid_at.clone(),
    };
    context::resolve(headers, &body_context, module, path_fork)
}

/// Refuses body fields that do not apply to the route.
fn check_fields(body: &DispatchBody, context: &Context, kind: Kind) -> Result<(), ApiError> {
    let misplaced = |field: &str| {
        ApiError::validation(format!(
            "`{field}` does not apply to a {} dispatch",
            kind.noun()
        ))
        .with_details(json!({ "field": field }))
    };
    if kind != Kind::Query {
        if body.limit.is_some() {
            return Err(misplaced("limit"));
        }
        if body.cursor.is_some() {
            return Err(misplaced("cursor"));
        }
    }
    if kind != Kind::Mutation && body.dry_run {
        return Err(misplaced("dryRun"));
    }
    if kind != Kind::Mutation && context.idempotency_key.is_some() {
        return Err(ApiError::validation(format!(
            "header Idempotency-Key does not apply to a {} dispatch (only to mutations and batches)",
            kind.noun()
        ))
        .with_details(json!({ "header": "idempotency-key" })));
    }
    if kind != Kind::Query && body.explain {
        return Err(misplaced("explain"));
    }
    if kind != Kind::Query && body.across.is_some() {
        return Err(misplaced("across"));
    }
    if kind != Kind::Query && body.strict {
        return Err(misplaced("strict"));
    }
    if let (Some(_), Some(standpoint)) = (&body.across, &context.standpoint) {
        return Err(ApiError::validation(format!(
            "`across` evaluates under each listed standpoint; it cannot be combined with the standpoint `{}` (X-Standpoint or body `standpoint`)",
            standpoint.escape_debug()
        ))
        .with_details(json!({ "field": "across", "standpoint": standpoint })));
    }

    if body.limit == Some(0) {
        return Err(ApiError::validation("`limit` must be at least 1")
            .with_details(json!({ "field": "limit" })));
    }
    Ok(())
}

/// The qualified path of the `pub` callable `name` (path or unambiguous short name).
fn resolve_callable(module: &Module, name: &str, kind: Kind) -> Result<String, ApiError> {
    let found = match kind {
        Kind::Query => module
            .query_named(name)
            .filter(|(_, q)| q.visibility == Visibility::Public)
            .map(|(_, q)| q.path.clone()),
        Kind::Mutation => module
            .mutation_named(name)
            .filter(|(_, m)| m.visibility == Visibility::Public)
            .map(|(_, m)| m.path.clone()),
        Kind::Compute => module
            .function_named(name)
            .filter(|(_, f)| f.visibility == Visibility::Public)
            .map(|(_, f)| f.path.clone()),
    };
    found.ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownCallable,
            format!("no pub {} named `{name}`", kind.noun()),
        )
        .with_details(json!({ "name": name, "kind": kind.noun() }))
    })
}

/// The runtime's context for this request, with its deadline (`timeout` after `started`).
pub(crate) fn runtime_context(
    context: &Context,
    started: Instant,
    timeout: Duration,
) -> RequestContext {
    let mut ctx = RequestContext::new(context.tenant.clone());
    ctx.fork = context.fork.clone();
    ctx.principal = context.principal.clone();
    ctx.standpoint = context.standpoint.clone();
    ctx.as_of_tx = context.as_of_tx;
    ctx.as_of_time = context.as_of_time;
    ctx.valid_at = context.valid_at;
    ctx.deadline = started.checked_add(timeout);
    ctx
}

/// How long past the runtime's own deadline the server waits before answering 504.
fn guard_timeout(timeout: Duration) -> Duration {
    timeout
        .saturating_add(timeout / 10)
        .saturating_add(Duration::from_millis(50))
}

/// Runs `work` on the blocking pool, bounded by the request timeout counted from `started`.
pub(crate) async fn run_blocking<T: Send + 'static>(
    state: &AppState,
    started: Instant,
    work: impl FnOnce() -> Result<T, RuntimeError> + Send + 'static,
) -> Result<T, ApiError> {
    let timeout = state.config().request_timeout;
    let remaining = guard_timeout(timeout).saturating_sub(started.elapsed());
    match tokio::time::timeout(remaining, tokio::task::spawn_blocking(work)).await {
        Err(_) => Err(timeout_error(timeout)),
        Ok(Err(join)) if join.is_panic() => {
            Err(ApiError::internal(format!("the engine panicked: {join}")))
        }
        Ok(Err(join)) => Err(ApiError::internal(format!(
            "the engine task was cancelled: {join}"
        ))),
        Ok(Ok(result)) => result.map_err(ApiError::from),
    }
}

pub(crate) fn timeout_error(timeout: Duration) -> ApiError {
    ApiError::new(
        ErrorCode::Timeout,
        format!(
            "the request took longer than the limit of {} ms",
            timeout.as_millis()
        ),
    )
    .with_details(json!({ "timeoutMs": timeout.as_millis() as u64 }))
}

/// Refuses a single value that is an array longer than `--max-rows` (it cannot be paginated).
fn check_value_size(value: &Value, max_rows: usize) -> Result<(), ApiError> {
    match value {
        Value::Array(items) if items.len() > max_rows => Err(ApiError::new(
            ErrorCode::RowCapExceeded,
            format!("the result has {} elements, more than --max-rows {max_rows}, and cannot be paginated", items.len()),
        )
        .with_details(json!({ "elements": items.len(), "maxRows": max_rows }))),
        _ => Ok(()),
    }
}

async fn run_query(state: &AppState, request: Request, path_fork: Option<String>) -> Outcome {
    let mut p = prepare(state, request, Kind::Query, path_fork)
        .await
        .map_err(no_tenant)?;
    let tenant = p.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    let max_rows = state.config().max_rows.max(1);
    let page = p.body.limit.map_or(max_rows, |l| {
        usize::try_from(l).unwrap_or(usize::MAX).min(max_rows)
    });

    let declares_across = p
        .engine
        .module()
        .query_named(&p.path)
        .is_some_and(|(_, q)| !q.across.is_empty());
    let across = (p.body.across.is_some() || p.body.strict || declares_across)
        .then(|| p.body.across.clone().unwrap_or_default());
    if across.is_some() && p.body.explain {
        return Err(fail(
            ApiError::validation(
                "`explain` does not apply to an `across` query (its rows merge several standpoints)",
            )
            .with_details(json!({ "field": "explain" })),
        ));
    }
    // A cursor continues only the same across request.
    let across_scope = across
        .as_ref()
        .map(|list| format!("across[{}] strict={}", list.join(","), p.body.strict));
    let scope = CursorScope {
        tenant: &tenant,
        fork: &p.context.fork,
        standpoint: across_scope.as_deref().or(p.context.standpoint.as_deref()),
        query: &p.path,
        args: &p.args,
    };
    let key = state.cursor_key();
    let offset = match p.body.cursor.as_deref() {
        Some(text) => {
            let pos = key.open(text, &scope).map_err(fail)?;
            if p.context.as_of_tx.is_some_and(|tx| tx != pos.tx) {
                return Err(fail(ApiError::new(
                    ErrorCode::InvalidCursor,
                    "X-As-Of-Tx disagrees with the transaction the cursor reads",
                )));
            }
            if p.context.valid_at.map(|v| v.timestamp_micros()) != pos.valid_at_micros {
                return Err(fail(ApiError::new(
                    ErrorCode::InvalidCursor,
                    "the valid time (X-As-Of-Valid / validAt) differs from the first page's",
                )));
            }
            p.context.as_of_tx = Some(pos.tx);
            usize::try_from(pos.offset).unwrap_or(usize::MAX)
        }
        None => 0,
    };
    let valid_at_micros = p.context.valid_at.map(|v| v.timestamp_micros());

    let ctx = runtime_context(&p.context, p.started, state.config().request_timeout);
    let engine = Arc::clone(&p.engine);
    let (path, args) = (p.path.clone(), p.args.clone());
    let explain = p.body.explain;
    let strict = p.body.strict;
    let window = offset..offset.saturating_add(page);
    let (outcome, proofs) = run_blocking(state, p.started, move || {
        if let Some(across) = across {
            Ok((
                engine.query_across(&ctx, &path, &args, &across, strict)?,
                Vec::new(),
            ))
        } else if explain {
            engine.query_explained(&ctx, &path, &args, ExplainRequest::default(), window)
        } else {
            Ok((engine.query(&ctx, &path, &args)?, Vec::new()))
        }
    })
    .await
    .map_err(fail)?;

    let mut out = Map::new();
    match outcome.result {
        QueryResult::Rows(rows) => {
            let end = offset.saturating_add(page).min(rows.len());
            let start = offset.min(end);
            let next = (end < rows.len()).then(|| {
                key.issue(
                    &scope,
                    CursorPosition {
                        tx: outcome.tx,
                        offset: end as u64,
                        valid_at_micros,
                    },
                )
            });
            let mut rows: Vec<Value> = rows.into_iter().skip(start).take(end - start).collect();
            if explain {
                rows = explained_rows(rows, proofs);
            }
            out.insert("rows".into(), Value::Array(rows));
            out.insert("nextCursor".into(), next.map_or(Value::Null, Value::String));
        }
        QueryResult::Value(value) => {
            if p.body.cursor.is_some() {
                return Err(fail(ApiError::new(
                    ErrorCode::InvalidCursor,
                    "this query returns a single value; cursors only continue row results",
                )));
            }
            check_value_size(&value, max_rows).map_err(fail)?;
            out.insert("value".into(), value);
        }
    }
    out.insert("tx".into(), json!(outcome.tx));
    finish(out, &p, tenant.clone())
}

/// With `explain`, each row becomes `{"value", "factId", "proof"}` (both
/// `null` when the row is not a fact of a predicate).
fn explained_rows(rows: Vec<Value>, proofs: Vec<Value>) -> Vec<Value> {
    let mut proofs = proofs.into_iter();
    rows.into_iter()
        .map(|value| {
            let explained = proofs.next().unwrap_or(Value::Null);
            json!({
                "value": value,
                "factId": explained.get("factId").cloned().unwrap_or(Value::Null),
                "proof": explained.get("proof").cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

async fn run_mutation(state: &AppState, request: Request, path_fork: Option<String>) -> Outcome {
    let p = prepare(state, request, Kind::Mutation, path_fork)
        .await
        .map_err(no_tenant)?;
    let tenant = p.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    refuse_forget(&p.engine, &p.path).map_err(fail)?;
    let dry_run = p.body.dry_run;
    let options = MutateOptions {
        dry_run,
        idempotency_key: p.context.idempotency_key.clone(),
    };
    let ctx = runtime_context(&p.context, p.started, state.config().request_timeout);
    let engine = Arc::clone(&p.engine);
    let (path, args) = (p.path.clone(), p.args.clone());
    let receipt = run_blocking(state, p.started, move || {
        engine.mutate(&ctx, &path, &args, &options)
    })
    .await
    .map_err(fail)?;
    let mut out = Map::new();
    out.insert("value".into(), receipt.value);
    out.insert("tx".into(), json!(receipt.tx));
    if dry_run {
        out.insert("eventsWritten".into(), json!(0));
        out.insert(
            "events".into(),
            Value::Array(receipt.dry_run_events.unwrap_or_default()),
        );
    } else {
        out.insert("eventsWritten".into(), json!(receipt.events_written));
    }
    out.insert("eventsEmitted".into(), Value::Array(receipt.events_emitted));
    finish(out, &p, tenant.clone())
}

async fn run_compute(state: &AppState, request: Request, path_fork: Option<String>) -> Outcome {
    let p = prepare(state, request, Kind::Compute, path_fork)
        .await
        .map_err(no_tenant)?;
    let tenant = p.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    let ctx = runtime_context(&p.context, p.started, state.config().request_timeout);
    let engine = Arc::clone(&p.engine);
    let (path, args) = (p.path.clone(), p.args.clone());
    let value = run_blocking(state, p.started, move || engine.compute(&ctx, &path, &args))
        .await
        .map_err(fail)?;
    check_value_size(&value, state.config().max_rows.max(1)).map_err(fail)?;
    let mut out = Map::new();
    out.insert("value".into(), value);
    finish(out, &p, tenant.clone())
}

/// Refuses (403 `FORGET_REFUSED`) a mutation that can `forget`: physical
/// erasure is local only (`ox store forget`).
pub(crate) fn refuse_forget(engine: &Engine, path: &str) -> Result<(), ApiError> {
    let declared_forget = engine
        .module()
        .mutation_named(path)
        .is_some_and(|(_, m)| m.forgets || m.allow_forget);
    if declared_forget || engine.mutation_forgets(path) {
        return Err(ApiError::new(
            ErrorCode::ForgetRefused,
            format!("mutation `{path}` can forget (physical erasure), which is refused over HTTP; use `ox store forget` locally"),
        )
        .with_details(json!({ "name": path })));
    }
    Ok(())
}

/// Adds the fields every dispatch response carries.
fn finish(mut out: Map<String, Value>, p: &Prepared, tenant: String) -> Outcome {
    out.insert("fork".into(), json!(p.context.fork));
    out.insert("requestId".into(), json!(p.request_id));
    out.insert("moduleHash".into(), json!(p.engine.module_hash()));
    Ok((Value::Object(out), tenant))
}
