//! The outer middleware every request passes: request id, error envelope,
//! the request log line and metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ox_runtime::{ErrorCode, RuntimeError};

use crate::context;
use crate::envelope::{code_for_status, envelope, status_of, ApiError};
use crate::logging::{log_request, RequestLine};
use crate::state::AppState;

/// The request id header, echoed on every response.
pub const REQUEST_ID: &str = "x-request-id";
/// Longest client-supplied request id kept, in characters.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The id of the current request (a request extension set by [`finalize`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The tenant a handler served (a response extension), for the request log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedTenant(pub String);

/// The client's `X-Request-Id` when it is 1–128 visible ASCII characters, else a new UUIDv7.
pub fn request_id(headers: &HeaderMap) -> String {
    let mut values = headers.get_all(REQUEST_ID).iter();
    let supplied = match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().ok().filter(|s| {
            !s.is_empty()
                && s.len() <= MAX_REQUEST_ID_LEN
                && s.bytes().all(|b| b.is_ascii_graphic())
        }),
        _ => None,
    };
    supplied
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

fn default_message(status: StatusCode) -> String {
    match code_for_status(status) {
        ErrorCode::NotFound => "no such route".into(),
        ErrorCode::MethodNotAllowed => "method not allowed for this route".into(),
        _ => status
            .canonical_reason()
            .map(|r| r.to_ascii_lowercase())
            .unwrap_or_else(|| format!("HTTP status {}", status.as_u16())),
    }
}

/// Turns an error response into the envelope (logging internal causes).
fn render_error(
    response: Response,
    request_id: &str,
    module_hash: &str,
    route: &str,
) -> (Response, ErrorCode) {
    let status = response.status();
    let (mut parts, _) = response.into_parts();
    let err = parts
        .extensions
        .remove::<ApiError>()
        .map(|e| *e.0)
        .unwrap_or_else(|| RuntimeError::new(code_for_status(status), default_message(status)));
    if err.code == ErrorCode::Internal {
        tracing::error!(request_id, route, cause = %err.message, "internal error");
    }
    let body = envelope(&err, request_id, module_hash).to_string();
    parts.status = status_of(err.code);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    (Response::from_parts(parts, Body::from(body)), err.code)
}

/// Assigns the request id, renders error envelopes, echoes `X-Request-Id`,
/// logs one line and records metrics.
pub async fn finalize(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = request_id(request.headers());
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let header_tenant = context::tenant_header(request.headers());
    request.extensions_mut().insert(RequestId(id.clone()));

    let mut response = next.run(request).await;
    let mut error_code = None;
    if response.status().is_client_error() || response.status().is_server_error() {
        let module_hash = state.engine().module_hash().to_owned();
        let (rendered, code) = render_error(response, &id, &module_hash, &route);
        response = rendered;
        error_code = Some(code.as_str());
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let tenant = response
        .extensions()
        .get::<ServedTenant>()
        .map(|t| t.0.clone())
        .or_else(|| header_tenant.map(|t| t.as_str().to_owned()));
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    state.metrics().record(&route, status, elapsed, error_code);
    log_request(&RequestLine {
        request_id: &id,
        tenant: tenant.as_deref(),
        method: &method,
        route: &route,
        status,
        duration: elapsed,
        error_code,
    });
    response
}

/// The response of a panicking handler: a 500 `INTERNAL` (rendered by [`finalize`]).
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".to_owned());
    ApiError::internal(format!("handler panicked: {cause}")).into_response()
}

/// `404 NOT_FOUND` for every unknown route.
pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

/// `405 METHOD_NOT_ALLOWED` for a known route called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed for this route",
    )
}
