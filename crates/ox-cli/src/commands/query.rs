//! `ox query NAME`: run a declared query against a local store.

use std::sync::Arc;

use ox_runtime::{Engine, QueryResult, RequestContext};
use ox_store::TenantId;

use crate::args::QueryArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;

pub fn run(args: QueryArgs) -> Result<(), Failure> {
    let (artifact, dir) =
        project::artifact_for(args.store.oxbin.as_deref(), args.store.project.as_deref())?;
    let store = project::open_store(args.store.storage, args.store.data.as_deref(), &dir)?;
    let engine = Engine::new(
        Arc::new(artifact.module),
        artifact.module_hash,
        artifact.schema_hash,
        store,
    )?;
    let tenant = TenantId::parse(&args.store.tenant)
        .map_err(|e| Failure::usage(format!("--tenant: {e}")))?;
    let mut ctx = RequestContext::new(tenant);
    ctx.as_of_tx = args.as_of_tx;
    if let Some(text) = &args.as_of_valid {
        ctx.valid_at = Some(parse_time(text)?);
    }
    let call_args = project::parse_args(&args.args)?;
    let outcome = engine.query(&ctx, &args.name, &call_args)?;
    match outcome.result {
        QueryResult::Rows(rows) => output::print_rows(&rows, args.format),
        QueryResult::Value(value) => output::print_rows(&[value], args.format),
    }
    Ok(())
}

/// A date (`2026-01-01`, midnight UTC) or an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, Failure> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            Failure::usage(format!(
                "`{text}` is neither a date (2026-01-01) nor an RFC 3339 time"
            ))
        })
}
