//! The one registry of runtime error codes and the runtime's error type.
//!
//! Every error that leaves the runtime (and every error envelope of the HTTP
//! server) carries one of these codes. The table in `docs/errors.md` lists the
//! same codes; a test keeps the two in step.

use std::fmt;

/// A stable error code with its HTTP status and description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    ValidationFailed,
    SignatureMismatch,
    MissingContext,
    ForkConflict,
    InvalidCursor,
    UnsupportedQueryBody,
    UnsupportedQueryResult,
    ForgetRefused,
    NotFound,
    UnknownCallable,
    UnknownFork,
    UnknownFact,
    MethodNotAllowed,
    ForkExists,
    ForkClosed,
    PromoteConflict,
    IdempotencyConflict,
    SchemaMismatch,
    PayloadTooLarge,
    RequireFailed,
    CheckViolated,
    RowCapExceeded,
    Internal,
    StorageUnavailable,
    Timeout,
}

impl ErrorCode {
    /// Every code, in the order of the published table.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::ValidationFailed,
        ErrorCode::SignatureMismatch,
        ErrorCode::MissingContext,
        ErrorCode::ForkConflict,
        ErrorCode::InvalidCursor,
        ErrorCode::UnsupportedQueryBody,
        ErrorCode::UnsupportedQueryResult,
        ErrorCode::ForgetRefused,
        ErrorCode::NotFound,
        ErrorCode::UnknownCallable,
        ErrorCode::UnknownFork,
        ErrorCode::UnknownFact,
        ErrorCode::MethodNotAllowed,
        ErrorCode::ForkExists,
        ErrorCode::ForkClosed,
        ErrorCode::PromoteConflict,
        ErrorCode::IdempotencyConflict,
        ErrorCode::SchemaMismatch,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RequireFailed,
        ErrorCode::CheckViolated,
        ErrorCode::RowCapExceeded,
        ErrorCode::Internal,
        ErrorCode::StorageUnavailable,
        ErrorCode::Timeout,
    ];

    /// The wire spelling, e.g. `ARGON_RUNTIME_VALIDATION_FAILED`.
    pub fn as_str(self) -> &'static str {
        self.info().0
    }

    /// The HTTP status the server answers with.
    pub fn http_status(self) -> u16 {
        self.info().1
    }

    /// When the code is used.
    pub fn description(self) -> &'static str {
        self.info().2
    }

    fn info(self) -> (&'static str, u16, &'static str) {
        use ErrorCode::*;
        match self {
            ValidationFailed => ("ARGON_RUNTIME_VALIDATION_FAILED", 400, "bad JSON, wrong content type, argument coercion, unknown individual, bad header value"),
            SignatureMismatch => ("ARGON_RUNTIME_SIGNATURE_MISMATCH", 400, "arguments do not match the callable's parameters"),
            MissingContext => ("ARGON_RUNTIME_MISSING_CONTEXT", 400, "a required context field (the tenant) is absent from headers and body"),
            ForkConflict => ("ARGON_RUNTIME_FORK_CONFLICT", 400, "X-Fork-Id disagrees with the path or body fork"),
            InvalidCursor => ("ARGON_RUNTIME_INVALID_CURSOR", 400, "a cursor this server did not issue, or one for another request"),
            UnsupportedQueryBody => ("ARGON_RUNTIME_UNSUPPORTED_QUERY_BODY", 400, "the query uses a construct the evaluator cannot run"),
            UnsupportedQueryResult => ("ARGON_RUNTIME_UNSUPPORTED_QUERY_RESULT", 400, "the query's result cannot be put on the wire"),
            ForgetRefused => ("ARGON_RUNTIME_FORGET_REFUSED", 403, "a mutation containing forget, refused over HTTP"),
            NotFound => ("ARGON_RUNTIME_NOT_FOUND", 404, "no such route"),
            UnknownCallable => ("ARGON_RUNTIME_UNKNOWN_CALLABLE", 404, "no such query, mutation or fn"),
            UnknownFork => ("ARGON_RUNTIME_UNKNOWN_FORK", 404, "no such fork"),
            UnknownFact => ("ARGON_RUNTIME_UNKNOWN_FACT", 404, "no such individual or fact id in scope"),
            MethodNotAllowed => ("ARGON_RUNTIME_METHOD_NOT_ALLOWED", 405, "wrong method for the route"),
            ForkExists => ("ARGON_RUNTIME_FORK_EXISTS", 409, "creating a fork that exists"),
            ForkClosed => ("ARGON_RUNTIME_FORK_CLOSED", 409, "writing to a promoted or aborted fork"),
            PromoteConflict => ("ARGON_RUNTIME_PROMOTE_CONFLICT", 409, "main changed what the fork changed"),
            IdempotencyConflict => ("ARGON_RUNTIME_IDEMPOTENCY_CONFLICT", 409, "a reused key with a different request"),
            SchemaMismatch => ("ARGON_RUNTIME_SCHEMA_MISMATCH", 409, "the scope holds data written under another schemaHash"),
            PayloadTooLarge => ("ARGON_RUNTIME_PAYLOAD_TOO_LARGE", 413, "request body over --max-body-bytes"),
            RequireFailed => ("ARGON_RUNTIME_REQUIRE_FAILED", 422, "a require condition failed; the condition is in details"),
            CheckViolated => ("ARGON_RUNTIME_CHECK_VIOLATED", 422, "types, cardinality, where invariant, iff insert, key conflict or error-severity check"),
            RowCapExceeded => ("ARGON_RUNTIME_ROW_CAP_EXCEEDED", 422, "a result that cannot be paginated is larger than --max-rows"),
            Internal => ("ARGON_RUNTIME_INTERNAL", 500, "a bug; logged with the request id"),
            StorageUnavailable => ("ARGON_RUNTIME_STORAGE_UNAVAILABLE", 503, "storage unreachable"),
            Timeout => ("ARGON_RUNTIME_TIMEOUT", 504, "over --request-timeout-ms; the evaluation was stopped"),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its code, a human message and structured details.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeError {
    pub code: ErrorCode,
    pub message: String,
    /// A JSON object with machine-readable details (e.g. the failing parameter).
    pub details: serde_json::Value,
}

impl RuntimeError {
    /// An error with empty details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> RuntimeError {
        RuntimeError {
            code,
            message: message.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// Adds details (a JSON object).
    pub fn with_details(mut self, details: serde_json::Value) -> RuntimeError {
        self.details = details;
        self
    }
}

impl RuntimeError {
    /// `ARGON_RUNTIME_VALIDATION_FAILED` with a message.
    pub fn validation(message: impl Into<String>) -> RuntimeError {
        RuntimeError::new(ErrorCode::ValidationFailed, message)
    }

    /// `ARGON_RUNTIME_SIGNATURE_MISMATCH` naming the parameter in `details.parameter`.
    pub fn signature(parameter: &str, message: impl Into<String>) -> RuntimeError {
        RuntimeError::new(ErrorCode::SignatureMismatch, message)
            .with_details(serde_json::json!({ "parameter": parameter }))
    }

    /// `ARGON_RUNTIME_CHECK_VIOLATED` with a message.
    pub fn check_violated(message: impl Into<String>) -> RuntimeError {
        RuntimeError::new(ErrorCode::CheckViolated, message)
    }

    /// `ARGON_RUNTIME_UNKNOWN_CALLABLE` for a query, mutation or fn.
    pub fn unknown_callable(kind: &str, name: &str) -> RuntimeError {
        RuntimeError::new(
            ErrorCode::UnknownCallable,
            format!("no public {kind} named `{}`", name.escape_debug()),
        )
        .with_details(serde_json::json!({ "kind": kind, "name": name }))
    }

    /// `ARGON_RUNTIME_TIMEOUT`: the request's deadline passed.
    pub fn timeout() -> RuntimeError {
        RuntimeError::new(
            ErrorCode::Timeout,
            "the request passed its deadline; the evaluation was stopped",
        )
    }

    /// `ARGON_RUNTIME_INTERNAL` with a message (never tenant data).
    pub fn internal(message: impl Into<String>) -> RuntimeError {
        RuntimeError::new(ErrorCode::Internal, message)
    }

    /// Maps a storage error to its runtime code. A write conflict that reaches
    /// this point (retries exhausted) is reported as storage unavailable.
    pub fn from_store(error: ox_store::StoreError) -> RuntimeError {
        use ox_store::StoreError as S;
        let code = match &error {
            S::InvalidTenant(_) | S::InvalidFork(_) | S::Import(_) => ErrorCode::ValidationFailed,
            S::UnknownFork(_) => ErrorCode::UnknownFork,
            S::ForkExists(_) => ErrorCode::ForkExists,
            S::ForkClosed(_) => ErrorCode::ForkClosed,
            S::PromoteConflict { .. } => ErrorCode::PromoteConflict,
            S::IdempotencyReplay(_) => ErrorCode::IdempotencyConflict,
            S::Unavailable(_) | S::Conflict { .. } => ErrorCode::StorageUnavailable,
            S::InvalidEvent(_) | S::InvalidConfig(_) | S::Corrupt(_) => ErrorCode::Internal,
        };
        let details = match &error {
            S::PromoteConflict { axioms } => serde_json::json!({ "axioms": axioms }),
            S::UnknownFork(fork) | S::ForkExists(fork) | S::ForkClosed(fork) => {
                serde_json::json!({ "fork": fork })
            }
            _ => serde_json::json!({}),
        };
        RuntimeError::new(code, error.to_string()).with_details(details)
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for RuntimeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(code.as_str().starts_with("ARGON_RUNTIME_"));
            assert!(seen.insert(code.as_str()), "duplicate {}", code);
            assert!((400..600).contains(&code.http_status()));
        }
    }
}
