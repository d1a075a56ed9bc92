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

/// The principal recorded when none is given.
pub const ANONYMOUS: &str = "anonymous";
/// Longest principal id accepted, in characters.
pub const MAX_PRINCIPAL_LEN: usize = 256;
/// Longest fork or standpoint name accepted, in characters.
pub const MAX_NAME_LEN: usize = 128;

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
    pub as_of_tx: Option<u64>,
    pub valid_at: Option<DateTime<Utc>>,
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

fn check_fork_name(raw: &str, source: &str) -> Result<String, ApiError> {
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

fn parse_as_of_tx(raw: &str) -> Result<u64, ApiError> {
    if let Ok(tx) = raw.parse::<u64>() {
        return Ok(tx);
    }
    if DateTime::parse_from_rfc3339(raw).is_ok() {
        return Err(ApiError::validation(
            "header x-as-of-tx: a wall-clock time is not supported yet; give a transaction number",
        ));
    }
    Err(ApiError::validation(
        "header x-as-of-tx: expected a transaction number (a non-negative integer)",
    ))
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
/// Errors: `MISSING_CONTEXT` without a tenant, `FORK_CONFLICT` when header and
/// body forks differ, `UNKNOWN_FORK` for a fork other than `main`,
/// `VALIDATION_FAILED` for every bad value and every other disagreement.
pub fn resolve(
    headers: &HeaderMap,
    body: &BodyContext,
    module: &Module,
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
    let fork = merge(FORK, "forkId", h_fork, b_fork, ErrorCode::ForkConflict)?
        .unwrap_or_else(|| MAIN_FORK.to_owned());
    if fork != MAIN_FORK {
        return Err(
            ApiError::new(ErrorCode::UnknownFork, format!("no fork named `{fork}`"))
                .with_details(json!({ "fork": fork })),
        );
    }

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

    let as_of_tx = header(headers, AS_OF_TX)?
        .map(|t| parse_as_of_tx(&t))
        .transpose()?;

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
        valid_at,
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
        let ctx = resolve(&headers(&[(TENANT, b"acme")]), &BodyContext::default(), &m).expect("ok");
        assert_eq!(ctx.tenant.as_str(), "acme");
        assert_eq!(ctx.fork, "main");
        assert_eq!(ctx.principal, ANONYMOUS);
        let body = BodyContext {
            tenant_id: Some("acme".into()),
            ..Default::default()
        };
        assert!(resolve(&headers(&[(TENANT, b"acme")]), &body, &m).is_ok());
        let body = BodyContext {
            tenant_id: Some("globex".into()),
            ..Default::default()
        };
        assert_eq!(
            code(resolve(&headers(&[(TENANT, b"acme")]), &body, &m)),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            resolve(&HeaderMap::new(), &body, &m)
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
            code(resolve(&HeaderMap::new(), &BodyContext::default(), &m)),
            ErrorCode::MissingContext
        );
        assert_eq!(
            code(resolve(
                &headers(&[(TENANT, b"a b")]),
                &BodyContext::default(),
                &m
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code(resolve(
                &headers(&[(TENANT, b"\xff")]),
                &BodyContext::default(),
                &m
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (TENANT, b"evil")]),
                &BodyContext::default(),
                &m
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (FORK, b"what-if")]),
                &BodyContext::default(),
                &m
            )),
            ErrorCode::UnknownFork
        );
        let body = BodyContext {
            fork_id: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(
            code(resolve(&headers(&[t, (FORK, b"main")]), &body, &m)),
            ErrorCode::ForkConflict
        );
        assert_eq!(
            code(resolve(
                &headers(&[t, (STANDPOINT, b"nope")]),
                &BodyContext::default(),
                &m
            )),
            ErrorCode::ValidationFailed
        );
        assert!(resolve(
            &headers(&[t, (STANDPOINT, b"legal")]),
            &BodyContext::default(),
            &m
        )
        .is_ok());
        assert_eq!(
            code(resolve(
                &headers(&[t, (AS_OF_TX, b"2026-01-01T00:00:00Z")]),
                &BodyContext::default(),
                &m
            )),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            resolve(
                &headers(&[t, (AS_OF_TX, b"17")]),
                &BodyContext::default(),
                &m
            )
            .expect("tx")
            .as_of_tx,
            Some(17)
        );
        let ctx = resolve(
            &headers(&[t, (AS_OF_VALID, b"2026-01-31")]),
            &BodyContext::default(),
            &m,
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
                &m
            )),
            ErrorCode::ValidationFailed
        );
    }
}
