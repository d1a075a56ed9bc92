//! `ox query NAME`: run a declared query against a local store (with
//! `--across`, under several standpoints, each row with its truth value).

use ox_runtime::{ExplainRequest, QueryResult};
use serde_json::{json, Value};

use crate::args::QueryArgs;
use crate::commands::derive::print_explained;
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
    let limit = args
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    if args.explain {
        let (outcome, proofs) = engine.query_explained(
            &ctx,
            &args.name,
            &call_args,
            ExplainRequest::default(),
            0..limit,
        )?;
        let rows = match outcome.result {
            QueryResult::Rows(rows) => rows,
            QueryResult::Value(value) => {
                output::print_rows(&[value], args.format);
                return Ok(());
            }
        };
        let total = rows.len();
        let shown: Vec<Value> = rows
            .into_iter()
            .zip(proofs)
            .map(|(value, p)| json!({ "value": value, "factId": p["factId"], "proof": p["proof"] }))
            .collect();
        print_explained(&shown, args.format, true);
        if shown.len() < total {
            eprintln!("({} of {total} rows shown; --limit {limit})", shown.len());
        }
        return Ok(());
    }
    let outcome = if args.across.is_empty() && !args.strict {
        engine.query(&ctx, &args.name, &call_args)?
    } else {
        engine.query_across(&ctx, &args.name, &call_args, &args.across, args.strict)?
    };
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
