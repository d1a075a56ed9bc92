//! `ox`: the command line of the Argon toolchain and runtime.
//!
//! Exit codes: 0 success, 1 user error (diagnostics, failed tests, refused
//! requests), 2 bad invocation (a refused non-loopback bind included), 3
//! refused by a safety gate (the schema-change gate of `runtime serve`).

mod args;
mod commands;
mod failure;
mod output;
mod project;
mod scope;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command, RuntimeCommand};
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = std::panic::catch_unwind(|| run(cli));
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(failure)) => failure.report(),
        Err(_) => {
            eprintln!("error: internal error in ox (this is a bug; please report it with the command you ran)");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Query(args) => commands::query::run(args),
        Command::Derive(args) => commands::derive::run(args),
        Command::Mutate(args) => commands::mutate::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::New(args) => commands::new::run(args),
        Command::RunScenario(args) => commands::run_scenario::run(args),
        Command::Runtime {
            command: RuntimeCommand::Serve(args),
        } => commands::serve::run(args),
        Command::Store { command } => commands::store::run(command),
    }
}
