//! `ox mutate NAME`: run a declared mutation against a local store.

use ox_runtime::MutateOptions;

use crate::args::MutateArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;
use crate::scope::{self, ScopeFlags};

/// Longest idempotency key accepted (the server's rule: 1–255 visible ASCII).
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

pub fn run(args: MutateArgs) -> Result<(), Failure> {
    let ctx = scope::context(&ScopeFlags {
        tenant: &args.store.tenant,
        fork: args.fork.as_deref(),
        standpoint: args.standpoint.as_deref(),
        principal: Some(&args.principal),
        as_of_tx: None,
        valid_at: args.valid_at.as_deref().map(|t| ("--valid-at", t)),
    })?;
    if let Some(key) = &args.idempotency_key {
        let ok = !key.is_empty()
            && key.len() <= MAX_IDEMPOTENCY_KEY_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Failure::usage(
                "--idempotency-key must be 1–255 visible ASCII characters",
            ));
        }
    }
    let call_args = project::parse_args(&args.args)?;
    let engine = project::local_engine(&args.store)?;
    let options = MutateOptions {
        dry_run: args.dry_run,
        idempotency_key: args.idempotency_key.clone(),
    };
    let receipt = engine.mutate(&ctx, &args.name, &call_args, &options)?;
    let mut report = serde_json::json!({
        "value": receipt.value,
        "tx": receipt.tx,
        "eventsWritten": receipt.events_written,
        "eventsEmitted": receipt.events_emitted,
    });
    if let Some(events) = receipt.dry_run_events {
        report["events"] = serde_json::Value::Array(events);
    }
    output::print_json(&report);
    Ok(())
}
