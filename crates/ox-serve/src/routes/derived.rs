//! Derived facts, explanations and checks:
//! `POST /v1/forks/{fork}/derive`, `POST /v1/forks/{fork}/derive/trace`,
//! `GET /v1/derived/individuals/{id}[/explain]`,
//! `GET /v1/derived/facts/{fact_id}/explain` and `GET /v1/checks`.
//!
//! Every route reads the request's tenant (`X-Tenant-Id`, required) only:
//! a fact id or individual of another tenant is `UNKNOWN_FACT`. The derive
//! routes are paged like query rows (flat rows, each naming its predicate);
//! the cursor pins the tenant's last `tx`, and a tenant written between pages
//! refuses the cursor (`INVALID_CURSOR`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use ox_runtime::{Engine, ErrorCode, ExplainRequest, RequestContext, RuntimeError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::context::BodyContext;
use crate::cursor::{CursorPosition, CursorScope};
use crate::envelope::ApiError;
use crate::routes::dispatch::{
    no_tenant, read_json_body, request_id_of, respond, run_blocking, runtime_context, Outcome,
};
use crate::routes::forks::{finish, scoped, Scoped};
use crate::state::AppState;

/// `POST /v1/forks/{fork}/derive[/trace]` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeriveBody {
    #[serde(default)]
    rules: Option<Vec<String>>,
    #[serde(default)]
    explain: bool,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
}

/// Query string of the explain routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainParams {
    #[serde(default)]
    depth: Option<u32>,
    #[serde(default)]
    all: Option<bool>,
}

impl ExplainParams {
    fn request(&self) -> ExplainRequest {
        ExplainRequest {
            depth: self.depth,
            all: self.all.unwrap_or(false),
        }
    }
}

/// Which derive route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeriveKind {
    Extents,
    Trace,
}

/// `POST /v1/forks/{fork}/derive`: the facts of the derived predicates
/// (`rules` names some; `explain` adds each fact's proof).
pub async fn derive(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_derive(&state, &fork, request, DeriveKind::Extents).await)
}

/// `POST /v1/forks/{fork}/derive/trace`: the rule firings behind them.
pub async fn trace(
    State(state): State<Arc<AppState>>,
    Path(fork): Path<String>,
    request: Request,
) -> Response {
    respond(run_derive(&state, &fork, request, DeriveKind::Trace).await)
}

async fn run_derive(state: &AppState, fork: &str, request: Request, kind: DeriveKind) -> Outcome {
    let id = request_id_of(&request);
    let (parts, body): (_, Body) = request.into_parts();
    let bytes = read_json_body(state, &parts.headers, body)
        .await
        .map_err(no_tenant)?;
    let body: DeriveBody = serde_json::from_slice(&bytes)
        .map_err(|e| no_tenant(ApiError::validation(format!("invalid request body: {e}"))))?;
    let body_context = BodyContext {
        tenant_id: body.tenant_id.clone(),
        principal_id: body.principal_id.clone(),
        ..BodyContext::default()
    };
    let s = scoped(state, &parts.headers, &body_context, Some(fork), id).map_err(no_tenant)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let fail = |e: ApiError| (e, Some(tenant.clone()));
    if kind == DeriveKind::Trace && body.explain {
        return Err(fail(
            ApiError::validation("`explain` applies to derive, not to derive/trace")
                .with_details(json!({ "field": "explain" })),
        ));
    }
    if body.limit == Some(0) {
        return Err(fail(
            ApiError::validation("`limit` must be at least 1")
                .with_details(json!({ "field": "limit" })),
        ));
    }
    let max_rows = state.config().max_rows.max(1);
    let size = body.limit.map_or(max_rows, |l| {
        usize::try_from(l).unwrap_or(usize::MAX).min(max_rows)
    });
    let mut args = Map::new();
    args.insert("rules".into(), json!(body.rules));
    args.insert("explain".into(), json!(body.explain));
    let route = match kind {
        DeriveKind::Extents => "/v1/forks/derive",
        DeriveKind::Trace => "/v1/forks/derive/trace",
    };
    let scope = CursorScope {
        tenant: &tenant,
        fork: &s.context.fork,
        standpoint: s.context.standpoint.as_deref(),
        query: route,
        args: &args,
    };
    let key = state.cursor_key();
    let resumed = body
        .cursor
        .as_deref()
        .map(|text| key.open(text, &scope))
        .transpose()
        .map_err(fail)?;
    let offset = resumed.map_or(0, |p| usize::try_from(p.offset).unwrap_or(usize::MAX));

    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let (rules, explain) = (body.rules.clone(), body.explain);
    let (last_tx, rows, total) = run_blocking(state, s.started, move || {
        let last_tx = engine
            .store()
            .last_tx(&ctx.tenant)
            .map_err(RuntimeError::from_store)?;
        let all = match kind {
            DeriveKind::Extents => derived_rows(&engine, &ctx, rules.as_deref())?,
            DeriveKind::Trace => engine.derive_trace(&ctx, rules.as_deref())?,
        };
        let total = all.len();
        let mut page: Vec<Value> = all.into_iter().skip(offset).take(size).collect();
        if explain {
            for row in &mut page {
                let fact_id = row["factId"].as_str().unwrap_or_default().to_owned();
                let proof = engine.explain_fact(&ctx, &fact_id, ExplainRequest::default())?;
                if let Some(obj) = row.as_object_mut() {
                    obj.insert("proof".into(), proof);
                }
            }
        }
        Ok((last_tx, page, total))
    })
    .await
    .map_err(fail)?;
    if let Some(position) = resumed {
        if position.tx != last_tx {
            return Err(fail(
                ApiError::new(
                    ErrorCode::InvalidCursor,
                    "the tenant was written since the first page; request again without a cursor",
                )
                .with_details(json!({ "cursorTx": position.tx, "tx": last_tx })),
            ));
        }
    }
    let end = offset.saturating_add(rows.len());
    let next = (end < total).then(|| {
        key.issue(
            &scope,
            CursorPosition {
                tx: last_tx,
                offset: end as u64,
                valid_at_micros: None,
            },
        )
    });
    finish(
        json!({
            "fork": s.context.fork,
            "rows": rows,
            "nextCursor": next,
            "tx": last_tx,
        }),
        &s,
    )
}

/// The derived facts as flat rows `{predicate, factId, args}`.
fn derived_rows(
    engine: &Engine,
    ctx: &RequestContext,
    rules: Option<&[String]>,
) -> Result<Vec<Value>, RuntimeError> {
    Ok(engine
        .derive(ctx, rules)?
        .into_iter()
        .flat_map(|extent| {
            let predicate = extent.predicate;
            extent.rows.into_iter().map(move |row| {
                json!({ "predicate": predicate, "factId": row.fact_id, "args": row.args })
            })
        })
        .collect())
}

/// The context of a GET route (headers only; the fork from `X-Fork-Id`).
fn scoped_get(state: &AppState, request: &Request) -> Result<Scoped, (ApiError, Option<String>)> {
    let id = request_id_of(request);
    scoped(state, request.headers(), &BodyContext::default(), None, id).map_err(no_tenant)
}

/// Runs `work` on the engine for a GET route and wraps its value as `field`.
async fn run_get(
    state: &AppState,
    request: Request,
    field: &'static str,
    work: impl FnOnce(&Engine, &RequestContext) -> Result<Value, RuntimeError> + Send + 'static,
) -> Outcome {
    let s = scoped_get(state, &request)?;
    let tenant = s.context.tenant.as_str().to_owned();
    let ctx = runtime_context(&s.context, s.started, state.config().request_timeout);
    let engine = Arc::clone(&s.engine);
    let value = run_blocking(state, s.started, move || work(&engine, &ctx))
        .await
        .map_err(|e| (e, Some(tenant.clone())))?;
    let mut body = json!({ "fork": s.context.fork });
    if let (Some(obj), Value::Object(fields)) = (body.as_object_mut(), &value) {
        if field.is_empty() {
            obj.extend(fields.clone());
        }
    }
    if !field.is_empty() {
        if let Some(obj) = body.as_object_mut() {
            obj.insert(field.into(), value);
        }
    }
    finish(body, &s)
}

/// `GET /v1/derived/individuals/{id}`: the derived facts that mention it.
pub async fn individual(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    respond(
        run_get(&state, request, "derived", move |engine, ctx| {
            serde_json::to_value(engine.derived_for_individual(ctx, &id)?)
                .map_err(|e| RuntimeError::internal(format!("cannot encode the response: {e}")))
        })
        .await,
    )
}

/// `GET /v1/derived/individuals/{id}/explain`: their proofs.
pub async fn individual_explain(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<ExplainParams>,
    request: Request,
) -> Response {
    let request_options = params.request();
    respond(
        run_get(&state, request, "proofs", move |engine, ctx| {
            Ok(Value::Array(engine.explain_individual(
                ctx,
                &id,
                request_options,
            )?))
        })
        .await,
    )
}

/// `GET /v1/derived/facts/{fact_id}/explain?depth=&all=`: one proof DAG
/// (with the contest of a contested defeasible conclusion); a defeated or
/// blocked conclusion is `UNKNOWN_FACT` with its contest in the details.
pub async fn fact_explain(
    State(state): State<Arc<AppState>>,
    Path(fact_id): Path<String>,
    Query(params): Query<ExplainParams>,
    request: Request,
) -> Response {
    let request_options = params.request();
    respond(
        run_get(&state, request, "proof", move |engine, ctx| {
            engine.explain_fact(ctx, &fact_id, request_options)
        })
        .await,
    )
}

/// `GET /v1/checks`: the violated checks, the contradictions and the
/// blocked ambiguities.
pub async fn checks(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(run_get(&state, request, "", |engine, ctx| engine.checks(ctx)).await)
}
