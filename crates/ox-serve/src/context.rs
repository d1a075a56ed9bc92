//! The request context: tenant, fork, principal, standpoint and time, from the
//! context headers and the optional body fields.
//!
//! Trust model: the headers are set by the gateway and **always win**. A body
//! field is used only when its header is absent; a body field that disagrees
//! with its header is refused (`VALIDATION_FAILED`, `FORK_CONFLICT` for the
//! fork), so the gateway cannot be bypassed through the body. A header given
//! more than once is refused too (a gateway that appends instead of
//! overwriting must not let the client's value through).

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDate, Utc};
use ox_ir::Module;
use ox_runtime::ErrorCode;
use ox_store::{TenantId, MAIN_FORK};
use serde_json::json;

use crate::envelope::ApiError;

pub const TENANT: &str = "x-tenant-id";
pub const FORK: &str = "x-fork-id";
pub const PRINCIPAL: &str = "x-principal-id";
pub const STANDPOINT: &str = "x-standpoint";
pub const AS_OF_TX: &str = "x-as-of-tx";
pub const AS_OF_VALID: &str = "x-as-of-valid";
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The principal recorded when none is given.
pub const ANONYMOUS: &str = "anonymous";
/// Longest principal id accepted, in characters.
pub const MAX_PRINCIPAL_LEN: usize = 256;
/// Longest fork or standpoint name accepted, in characters.
pub const MAX_NAME_LEN: usize = 128;
/// Longest `Idempotency-Key` accepted, in characters.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The context fields a dispatch body may carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodyContext {
    pub tenant_id: Option<String>,
    pub fork_id: Option<String>,
    pub principal_id: Option<String>,
    pub standpoint: Option<String>,
    /// The body's `validAt` (the counterpart of `X-As-Of-Valid`).
    pub valid_at: Option<String>,
}

/// The validated context of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub tenant: TenantId,
    pub fork: String,
    pub principal: String,
    pub standpoint: Option<String>,
    /// `X-As-Of-Tx` as a transaction number.
    pub as_of_tx: Option<u64>,
    /// `X-As-Of-Tx` as a wall-clock time (the last `tx` at or before it).
    pub as_of_time: Option<DateTime<Utc>>,
    pub valid_at: Option<DateTime<Utc>>,
    /// `Idempotency-Key` (mutations and batches).
    pub idempotency_key: Option<String>,
}

/// The transaction point of `X-As-Of-Tx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxPoint {
    Tx(u64),
    Time(DateTime<Utc>),
}

/// The tenant named by the `X-Tenant-Id` header, if it is present and valid (for logs).
pub fn tenant_header(headers: &HeaderMap) -> Option<TenantId> {
    header(headers, TENANT)
        .ok()
        .flatten()
        .and_then(|t| TenantId::parse(&t).ok())
}

/// One header's value: `None` when absent; refused when repeated or not visible ASCII.
fn header(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::validation(format!(
            "header {name} is given more than once"
        )));
    }
    let text = first
        .to_str()
        .ok()
        .filter(|t| t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::validation(format!(
                "header {name} must be visible ASCII (no spaces, control or non-ASCII bytes)"
            ))
        })?;
    Ok(Some(text.to_owned()))
}

/// Combines a header and a body field: the header wins, a disagreeing body field is refused.
fn merge<T: PartialEq>(
    name: &str,
    body_name: &str,
    from_header: Option<T>,
    from_body: Option<T>,
    conflict: ErrorCode,
) -> Result<Option<T>, ApiError> {
    match (from_header, from_body) {
        (Some(h), Some(b)) if h != b => Err(ApiError::new(
            conflict,
            format!("body field `{body_name}` disagrees with header {name}; the header wins, so omit the body field or make them equal"),
        )
        .with_details(json!({ "header": name, "field": body_name }))),
        (Some(h), _) => Ok(Some(h)),
        (None, b) => Ok(b),
    }
}

fn parse_tenant(raw: &str, source: &str) -> Result<TenantId, ApiError> {
    TenantId::parse(raw).map_err(|e| ApiError::validation(format!("{source}: {e}")))
}

/// Checks a fork name (the tenant-id alphabet); whether it exists is the engine's question.
pub fn check_fork_name(raw: &str, source: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.chars().count() <= MAX_NAME_LEN
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::validation(format!(
            "{source}: a fork name is 1–{MAX_NAME_LEN} characters of A–Z a–z 0–9 . _ : -"
        )))
    }
}

fn check_principal(raw: &str, source: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_PRINCIPAL_LEN
        && raw.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::validation(format!(
            "{source}: a principal id is 1–{MAX_PRINCIPAL_LEN} visible ASCII characters"
        )))
    }
}

fn check_standpoint(raw: &str, source: &str, module: &Module) -> Result<String, ApiError> {
    let declared = module
        .standpoints
        .iter()
        .any(|s| s.name == raw || s.path == raw);
    if declared && raw.chars().count() <= MAX_NAME_LEN {
        Ok(raw.to_owned())
    } else {
        let mut names: Vec<&str> = module.standpoints.iter().map(|s| s.path.as_str()).collect();
        names.sort_unstable();
        Err(
            ApiError::validation(format!("{source}: not a standpoint declared by the module"))
                .with_details(json!({ "declared": names })),
        )
    }
}

fn parse_as_of_tx(raw: &str) -> Result<TxPoint, ApiError> {
    if let Ok(tx) = raw.parse::<u64>() {
        return Ok(TxPoint::Tx(tx));
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(TxPoint::Time(time.with_timezone(&Utc)));
    }
    Err(ApiError::validation(
        "header x-as-of-tx: expected a transaction number (a non-negative integer) or an RFC 3339 time",
    ))
}

/// The `Idempotency-Key` header: 1–255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let key = header(headers, IDEMPOTENCY_KEY)?;
    match key {
        Some(k) if k.is_empty() || k.len() > MAX_IDEMPOTENCY_KEY_LEN => Err(ApiError::validation(
            format!("header idempotency-key: 1–{MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        )),
        other => Ok(other),
    }
}

/// Parses a valid time: an RFC 3339 date-time, or a date (`YYYY-MM-DD`, read as 00:00 UTC).
pub fn parse_valid_time(raw: &str, source: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(t) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    Err(ApiError::validation(format!(
        "{source}: expected a date (2026-01-31) or an RFC 3339 time (2026-01-31T12:00:00Z)"
    )))
}

/// Validates the context headers and body fields and merges them (the header wins).
///
/// `path_fork` is the fork named by a `/v1/forks/{fork}/…` route: the header
/// and body fork must agree with it. Errors: `MISSING_CONTEXT` without a
/// tenant, `FORK_CONFLICT` when header, body or path forks differ,
/// `VALIDATION_FAILED` for every bad value and every other disagreement.
/// Whether the fork exists is checked by the engine (`UNKNOWN_FORK`).
pub fn resolve(
    headers: &HeaderMap,
    body: &BodyContext,
    module: &Module,
    path_fork: Option<&str>,
) -> Result<Context, ApiError> {
    let h_tenant = header(headers, TENANT)?
        .map(|t| parse_tenant(&t, "header x-tenant-id"))
        .transpose()?;
    let b_tenant = body
        .tenant_id
        .as_deref()
        .map(|t| parse_tenant(t, "body field `tenantId`"))
        .transpose()?;
    let tenant = merge(
        TENANT,
        "tenantId",
        h_tenant,
        b_tenant,
        ErrorCode::ValidationFailed,
    )?
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::MissingContext,
            "no tenant: set the X-Tenant-Id header (or the body field `tenantId`)",
        )
        .with_details(json!({ "field": "tenant" }))
    })?;

    let h_fork = header(headers, FORK)?
        .map(|f| check_fork_name(&f, "header x-fork-id"))
        .transpose()?;
    let b_fork = body
        .fork_id
        .as_deref()
        .map(|f| check_fork_name(f, "body field `forkId`"))
        .transpose()?;
    let named = merge(FORK, "forkId", h_fork, b_fork, ErrorCode::ForkConflict)?;
    let fork = match (path_fork, named) {
        (Some(path), Some(named)) if path != named => {
            return Err(ApiError::new(
                ErrorCode::ForkConflict,
                format!("the route names fork `{path}` but the request names `{named}`; omit X-Fork-Id/forkId or make them equal"),
            )
            .with_details(json!({ "path": path, "request": named })));
        }
        (Some(path), _) => check_fork_name(path, "path fork")?,
        (None, named) => named.unwrap_or_else(|| MAIN_FORK.to_owned()),
    };

    let h_principal = header(headers, PRINCIPAL)?
        .map(|p| check_principal(&p, "header x-principal-id"))
        .transpose()?;
    let b_principal = body
        .principal_id
        .as_deref()
        .map(|p| check_principal(p, "body field `principalId`"))
        .transpose()?;
    let principal = merge(
        PRINCIPAL,
        "principalId",
        h_principal,
        b_principal,
        ErrorCode::ValidationFailed,
    )?
    .unwrap_or_else(|| ANONYMOUS.to_owned());

    let h_standpoint = header(headers, STANDPOINT)?
        .map(|s| check_standpoint(&s, "header x-standpoint", module))
        .transpose()?;
    let b_standpoint = body
        .standpoint
        .as_deref()
        .map(|s| check_standpoint(s, "body field `standpoint`", module))
        .transpose()?;
    let standpoint = merge(
        STANDPOINT,
        "standpoint",
        h_standpoint,
        b_standpoint,
        ErrorCode::ValidationFailed,
    )?;

    let tx_point = header(headers, AS_OF_TX)?
        .map(|t| parse_as_of_tx(&t))
        .transpose()?;
    let (as_of_tx, as_of_time) = match tx_point {
        Some(TxPoint::Tx(tx)) => (Some(tx), None),
        Some(TxPoint::Time(time)) => (None, Some(time)),
        None => (None, None),
    };

    let h_valid = header(headers, AS_OF_VALID)?
        .map(|v| parse_valid_time(&v, "header x-as-of-valid"))
        .transpose()?;
    let b_valid = body
        .valid_at
        .as_deref()
        .map(|v| parse_valid_time(v, "body field `validAt`"))
        .transpose()?;
    let valid_at = merge(
        AS_OF_VALID,
        "validAt",
        h_valid,
        b_valid,
        ErrorCode::ValidationFailed,
    )?;

    Ok(Context {
        tenant,
        fork,
        principal,
        standpoint,
        as_of_tx,
        as_of_time,
        valid_at,
        idempotency_key: idempotency_key(headers)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn module() -> Module {
        serde_json::from_value(json!({
            "package": {"name": "p", "version": "0.1.0", "entry": "src/root.ar"},
            "concepts": [], "relations": [], "structs": [], "enums": [], "predicates": [],
            "rules": [], "checks": [], "queries": [], "mutations": [], "functions": [],
            "standpoints": [{"name": "legal", "path": "p::legal", "parents": []}]
        }))
        .expect("module")
    }

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_bytes(v).expect("header bytes"));
        }
        map
    }

    fn code(r: Result<Context, ApiError>) -> ErrorCode {
        r.expect_err("should fail").code()
    }

    #[test]
    fn header_wins_and_defaults_apply() {
        let m = module();
        let ctx = resolve(
            &headers(&[(TENANT, b"acme")]),
            &BodyContext::default(),
            &m,
            None,
        )
        .expect("ok");
        assert_eq!(ctx.tenant.as_str(), "acme");
        assert_eq!(ctx.fork, "main");
        assert_eq!(ctx.principal, ANONYMOUS);
        let body = BodyContext {
            tenant_id: Some("acme".into()),
            ..Default::default()
        };
        assert!(resolve(&headers(&[(TENANT, b"acme")]), &body, &m, None).is_ok());
        let body = BodyContext {
            tenant_id: Some("globex".into()),
            ..Default::default()
        };
        assert_eq!(
            code(resolve(&headers(&[(TENANT, b"acme")]), &body, &m, None)),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            resolve(&HeaderMap::new(), &body, &m, None)
                .expect("body tenant")
                .tenant
                .as_str(),
            "globex"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        let m = module();
        let t = (TENANT, b"acme" as &[u8]);
        assert_eq!(
            code(resolve(
                &HeaderMap::new(),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::MissingContext
        );
        assert_eq!(
            code(resolve(
                &headers(&[(TENANT, b"a b")]),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code(resolve(
                &headers(&[(TENANT, b"\xff")]),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (TENANT, b"evil")]),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            resolve(
                &headers(&[t, (FORK, b"what-if")]),
                &BodyContext::default(),
                &m,
                None
            )
            .expect("any fork name")
            .fork,
            "what-if"
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (FORK, b"what/if")]),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (FORK, b"main")]),
                &BodyContext::default(),
                &m,
                Some("what-if")
            )),
            ErrorCode::ForkConflict
        );
        let body = BodyContext {
            fork_id: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(
            code(resolve(&headers(&[t]), &body, &m, Some("what-if"))),
            ErrorCode::ForkConflict
        );
        assert_eq!(
            resolve(&headers(&[t]), &BodyContext::default(), &m, Some("what-if"))
                .expect("path fork")
                .fork,
            "what-if"
        );
        let body = BodyContext {
            fork_id: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(
            code(resolve(&headers(&[t, (FORK, b"main")]), &body, &m, None)),
            ErrorCode::ForkConflict
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (STANDPOINT, b"nope")]),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
        assert!(resolve(
            &headers(&[t, (STANDPOINT, b"legal")]),
            &BodyContext::default(),
            &m,
            None
        )
        .is_ok());
        let ctx = resolve(
            &headers(&[t, (AS_OF_TX, b"2026-01-01T00:00:00Z")]),
            &BodyContext::default(),
            &m,
            None,
        )
        .expect("time");
        assert_eq!(ctx.as_of_tx, None);
        assert_eq!(
            ctx.as_of_time.map(|v| v.to_rfc3339()),
            Some("2026-01-01T00:00:00+00:00".into())
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (AS_OF_TX, b"yesterday")]),
                &BodyContext::default(),
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            resolve(
                &headers(&[t, (IDEMPOTENCY_KEY, b"order-17")]),
                &BodyContext::default(),
                &m,
                None
            )
            .expect("key")
            .idempotency_key
            .as_deref(),
            Some("order-17")
        );
        let long = "k".repeat(MAX_IDEMPOTENCY_KEY_LEN + 1);
        for bad in [b"" as &[u8], b"a b", long.as_bytes()] {
            assert_eq!(
                code(resolve(
                    &headers(&[t, (IDEMPOTENCY_KEY, bad)]),
                    &BodyContext::default(),
                    &m,
                    None
                )),
                ErrorCode::ValidationFailed
            );
        }
        assert_eq!(
            resolve(
                &headers(&[t, (AS_OF_TX, b"17")]),
                &BodyContext::default(),
                &m,
                None
            )
            .expect("tx")
            .as_of_tx,
            Some(17)
        );
        let ctx = resolve(
            &headers(&[t, (AS_OF_VALID, b"2026-01-31")]),
            &BodyContext::default(),
            &m,
            None,
        )
        .expect("date");
        assert_eq!(
            ctx.valid_at.map(|v| v.to_rfc3339()),
            Some("2026-01-31T00:00:00+00:00".into())
        );
        let body = BodyContext {
            valid_at: Some("2026-02-01".into()),
            ..Default::default()
        };
        assert_eq!(
            code(resolve(
                &headers(&[t, (AS_OF_VALID, b"2026-01-31")]),
                &body,
                &m,
                None
            )),
            ErrorCode::ValidationFailed
        );
    }
}
