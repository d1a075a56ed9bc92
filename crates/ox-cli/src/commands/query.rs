//! `ox query NAME`: run a declared query against a local store.

use ox_runtime::QueryResult;

use crate::args::QueryArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;
use crate::scope::{self, ScopeFlags};

pub fn run(args: QueryArgs) -> Result<(), Failure> {
    let ctx = scope::context(&ScopeFlags {
        tenant: &args.store.tenant,
        fork: args.fork.as_deref(),
        standpoint: args.standpoint.as_deref(),
        principal: None,
        as_of_tx: args.as_of_tx.as_deref(),
        valid_at: args.as_of_valid.as_deref().map(|t| ("--as-of-valid", t)),
    })?;
    let call_args = project::parse_args(&args.args)?;
    let engine = project::local_engine(&args.store)?;
    let outcome = engine.query(&ctx, &args.name, &call_args)?;
    let limit = args
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    match outcome.result {
        QueryResult::Rows(rows) => {
            let shown = rows.len().min(limit);
            output::print_rows(&rows[..shown], args.format);
            if shown < rows.len() {
                eprintln!("({shown} of {} rows shown; --limit {limit})", rows.len());
            }
        }
        QueryResult::Value(value) => output::print_rows(&[value], args.format),
    }
    Ok(())
}
