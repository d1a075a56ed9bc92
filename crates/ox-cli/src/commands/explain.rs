//! `ox explain CODE`: the long explanation of a diagnostic code.

use crate::args::ExplainArgs;
use crate::failure::Failure;

pub fn run(args: ExplainArgs) -> Result<(), Failure> {
    let code = args.code.trim().to_ascii_uppercase();
    let info = ox_syntax::codes::lookup(&code)
        .ok_or_else(|| Failure::user(format!("unknown diagnostic code `{}`", args.code)))?;
    println!(
        "{} {}: {}\n",
        info.code,
        severity_word(info.severity),
        info.title
    );
    println!("{}", info.explanation);
    Ok(())
}

fn severity_word(severity: ox_syntax::diagnostic::Severity) -> &'static str {
    match severity {
        ox_syntax::diagnostic::Severity::Error => "error",
        ox_syntax::diagnostic::Severity::Warning => "warning",
        ox_syntax::diagnostic::Severity::Info => "info",
    }
}
