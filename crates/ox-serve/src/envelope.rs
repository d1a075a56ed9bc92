//! The error envelope: every 4xx/5xx response of the server has one shape,
//! `{"error": {"code", "message", "details"}, "requestId", "moduleHash"}`.
//!
//! Handlers return [`ApiError`]; its response carries the error as an
//! extension with an empty body, and the outer middleware
//! ([`crate::middleware`]) renders the envelope once it knows the request id.
//! Responses that reach the middleware as an error status without an
//! [`ApiError`] (e.g. from a layer) are turned into an envelope by
//! [`code_for_status`], so no error leaves the server without one.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ox_runtime::{ErrorCode, RuntimeError};
use serde_json::{json, Value};

/// An error on its way to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError(pub Box<RuntimeError>);

impl ApiError {
    /// An error with empty details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(RuntimeError::new(code, message)))
    }

    /// Adds details (a JSON object).
    pub fn with_details(mut self, details: Value) -> ApiError {
        self.0.details = details;
        self
    }

    /// A `VALIDATION_FAILED` error.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::ValidationFailed, message)
    }

    /// An `INTERNAL` error; `cause` is logged with the request id, never sent.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Internal, cause)
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
}

impl From<RuntimeError> for ApiError {
    fn from(err: RuntimeError) -> Self {
        ApiError(Box::new(err))
    }
}

/// The HTTP status of a code (500 for a registry status that is not a valid status).
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = status_of(self.0.code).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The code for an error response produced without an [`ApiError`].
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ErrorCode::Timeout,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::StorageUnavailable,
        s if s.is_client_error() => ErrorCode::ValidationFailed,
        _ => ErrorCode::Internal,
    }
}

/// The client-facing message of an error: internal errors never expose their cause.
pub fn public_message(err: &RuntimeError, request_id: &str) -> String {
    if err.code == ErrorCode::Internal {
        format!("internal error; the server log has the details under request id {request_id}")
    } else {
        err.message.clone()
    }
}

/// The envelope body of `err`.
pub fn envelope(err: &RuntimeError, request_id: &str, module_hash: &str) -> Value {
    let details = match (&err.code, &err.details) {
        (ErrorCode::Internal, _) => json!({}),
        (_, Value::Object(_)) => err.details.clone(),
        (_, Value::Null) => json!({}),
        (_, other) => json!({ "value": other }),
    };
    json!({
        "error": {
            "code": err.code.as_str(),
            "message": public_message(err, request_id),
            "details": details,
        },
        "requestId": request_id,
        "moduleHash": module_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = RuntimeError::new(ErrorCode::Internal, "tenant acme row 4 broke")
            .with_details(json!({"row": "alice"}));
        let body = envelope(&err, "r1", "h");
        assert_eq!(body["error"]["code"], "ARGON_RUNTIME_INTERNAL");
        assert!(!body.to_string().contains("acme"));
        assert!(!body.to_string().contains("alice"));
        assert_eq!(body["requestId"], "r1");
    }

    #[test]
    fn statuses_map_to_codes() {
        assert_eq!(code_for_status(StatusCode::NOT_FOUND), ErrorCode::NotFound);
        assert_eq!(
            code_for_status(StatusCode::METHOD_NOT_ALLOWED),
            ErrorCode::MethodNotAllowed
        );
        assert_eq!(
            code_for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code_for_status(StatusCode::BAD_GATEWAY),
            ErrorCode::Internal
        );
    }
}
