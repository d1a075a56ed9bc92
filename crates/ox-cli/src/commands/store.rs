//! `ox store forget|export|import`: operate on a store directly (local only).

use std::io::{BufReader, BufWriter, Write};

use crate::args::{ExportArgs, ForgetArgs, ImportArgs, StoreCommand};
use crate::failure::Failure;
use crate::output;
use crate::project;
use crate::scope;

pub fn run(command: StoreCommand) -> Result<(), Failure> {
    match command {
        StoreCommand::Forget(args) => forget(args),
        StoreCommand::Export(args) => export(args),
        StoreCommand::Import(args) => import(args),
    }
}

/// Erases an individual's events and prints the receipt (which keeps no
/// erased content).
fn forget(args: ForgetArgs) -> Result<(), Failure> {
    let tenant = scope::tenant(&args.store.tenant)?;
    let fork = scope::fork(&args.fork)?;
    if args.reason.trim().is_empty() {
        return Err(Failure::usage("--reason must not be empty"));
    }
    if args.principal.trim().is_empty() {
        return Err(Failure::usage("--principal must not be empty"));
    }
    let engine = project::local_engine(&args.store)?;
    let receipt = ox_runtime::forget_individual(
        engine.store().as_ref(),
        engine.module(),
        &tenant,
        &fork,
        &args.individual,
        &args.reason,
        &args.principal,
    )?;
    let json = serde_json::to_value(&receipt)
        .map_err(|e| Failure::user(format!("cannot print the receipt: {e}")))?;
    output::print_json(&json);
    Ok(())
}

/// Writes the tenant's events as JSON lines to `-o FILE` or standard output.
fn export(args: ExportArgs) -> Result<(), Failure> {
    let tenant = scope::tenant(&args.store.tenant)?;
    let fork = scope::fork(args.fork.as_deref().unwrap_or(ox_store::MAIN_FORK))?;
    let dir = project::data_dir(args.store.project.as_deref())?;
    let store = args.store.target().open(&dir)?;
    let write = |out: &mut dyn Write| -> Result<(), Failure> {
        let count = store.export(&tenant, &fork, out)?;
        eprintln!("exported {count} events of tenant {tenant}, fork {fork}");
        out.flush()
            .map_err(|e| Failure::user(format!("cannot write the export: {e}")))
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| Failure::user(format!("cannot create {}: {e}", path.display())))?;
            write(&mut BufWriter::new(file))
        }
        None => write(&mut BufWriter::new(std::io::stdout().lock())),
    }
}

/// Reads JSON lines written by `ox store export` into the tenant.
fn import(args: ImportArgs) -> Result<(), Failure> {
    let tenant = scope::tenant(&args.store.tenant)?;
    let dir = project::data_dir(args.store.project.as_deref())?;
    let store = args.store.target().open(&dir)?;
    let imported = if args.input == "-" {
        store.import(&tenant, &mut std::io::stdin().lock())?
    } else {
        let file = std::fs::File::open(&args.input)
            .map_err(|e| Failure::user(format!("cannot read {}: {e}", args.input)))?;
        store.import(&tenant, &mut BufReader::new(file))?
    };
    eprintln!("imported {imported} events into tenant {tenant}");
    Ok(())
}
