//! The request context of a local command (tenant, fork, standpoint, time
//! points) from its flags, with the same rules as the server's headers.

use chrono::{DateTime, Utc};
use ox_runtime::RequestContext;
use ox_store::TenantId;

use crate::failure::Failure;

/// The transaction point of `--as-of-tx`: a number or a wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxPointArg {
    Tx(u64),
    Time(DateTime<Utc>),
}

/// Parses `--as-of-tx`: a transaction number or an RFC 3339 time.
pub fn parse_tx_point(text: &str) -> Result<TxPointArg, Failure> {
    if let Ok(tx) = text.parse::<u64>() {
        return Ok(TxPointArg::Tx(tx));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| TxPointArg::Time(t.with_timezone(&Utc)))
        .map_err(|_| {
            Failure::usage(format!(
                "--as-of-tx `{text}` is neither a transaction number nor an RFC 3339 time"
            ))
        })
}

/// A date (`2026-01-01`, midnight UTC) or an RFC 3339 time.
pub fn parse_time(flag: &str, text: &str) -> Result<DateTime<Utc>, Failure> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{flag} `{text}` is neither a date (2026-01-01) nor an RFC 3339 time"
            ))
        })
}

/// The tenant of `--tenant`.
pub fn tenant(text: &str) -> Result<TenantId, Failure> {
    TenantId::parse(text).map_err(|e| Failure::usage(format!("--tenant: {e}")))
}

/// Checks a fork name (`--fork`): the tenant-id alphabet.
pub fn fork(text: &str) -> Result<String, Failure> {
    ox_store::validate_fork_name(text)
        .map(|()| text.to_owned())
        .map_err(|e| Failure::usage(format!("--fork: {e}")))
}

/// The flags that shape a local request.
#[derive(Debug, Default)]
pub struct ScopeFlags<'a> {
    pub tenant: &'a str,
    pub fork: Option<&'a str>,
    pub standpoint: Option<&'a str>,
    pub principal: Option<&'a str>,
    pub as_of_tx: Option<&'a str>,
    pub valid_at: Option<(&'static str, &'a str)>,
}

/// Builds the runtime context of a local command.
pub fn context(flags: &ScopeFlags<'_>) -> Result<RequestContext, Failure> {
    let mut ctx = RequestContext::new(tenant(flags.tenant)?);
    if let Some(name) = flags.fork {
        ctx.fork = fork(name)?;
    }
    ctx.standpoint = flags.standpoint.map(str::to_owned);
    if let Some(principal) = flags.principal {
        ctx.principal = principal.to_owned();
    }
    match flags.as_of_tx.map(parse_tx_point).transpose()? {
        Some(TxPointArg::Tx(tx)) => ctx.as_of_tx = Some(tx),
        Some(TxPointArg::Time(time)) => ctx.as_of_time = Some(time),
        None => {}
    }
    if let Some((flag, text)) = flags.valid_at {
        ctx.valid_at = Some(parse_time(flag, text)?);
    }
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_points_are_numbers_or_times() {
        assert_eq!(parse_tx_point("17").unwrap(), TxPointArg::Tx(17));
        assert!(matches!(
            parse_tx_point("2026-01-01T10:00:00+02:00").unwrap(),
            TxPointArg::Time(t) if t.to_rfc3339() == "2026-01-01T08:00:00+00:00"
        ));
        assert_eq!(parse_tx_point("-1").unwrap_err().code, 2);
        assert_eq!(parse_tx_point("yesterday").unwrap_err().code, 2);
    }

    #[test]
    fn contexts_take_every_flag() {
        let ctx = context(&ScopeFlags {
            tenant: "acme",
            fork: Some("what-if"),
            standpoint: Some("legal"),
            principal: Some("ops"),
            as_of_tx: Some("2026-01-01T00:00:00Z"),
            valid_at: Some(("--valid-at", "2025-12-01")),
        })
        .unwrap();
        assert_eq!(ctx.tenant.as_str(), "acme");
        assert_eq!(ctx.fork, "what-if");
        assert_eq!(ctx.standpoint.as_deref(), Some("legal"));
        assert_eq!(ctx.principal, "ops");
        assert_eq!(ctx.as_of_tx, None);
        assert!(ctx.as_of_time.is_some());
        assert_eq!(
            ctx.valid_at.map(|t| t.to_rfc3339()),
            Some("2025-12-01T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            context(&ScopeFlags {
                tenant: "a b",
                ..ScopeFlags::default()
            })
            .unwrap_err()
            .code,
            2
        );
        assert_eq!(
            context(&ScopeFlags {
                tenant: "acme",
                fork: Some("a/b"),
                ..ScopeFlags::default()
            })
            .unwrap_err()
            .code,
            2
        );
    }
}
