//! `ox mutate NAME`: run a declared mutation against a local store.

use std::sync::Arc;

use ox_runtime::{Engine, MutateOptions, RequestContext};
use ox_store::TenantId;

use crate::args::MutateArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;

pub fn run(args: MutateArgs) -> Result<(), Failure> {
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
    ctx.principal = args.principal.clone();
    let call_args = project::parse_args(&args.args)?;
    let receipt = engine.mutate(
        &ctx,
        &args.name,
        &call_args,
        &MutateOptions {
            dry_run: args.dry_run,
        },
    )?;
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
