//! `ox check`: compile and run the evaluability gate, writing nothing.

use crate::args::CheckArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;

pub fn run(args: CheckArgs) -> Result<(), Failure> {
    let dir = args.package.resolve()?;
    let (sources, diagnostics, ok) = match project::check_package(&dir) {
        Ok(checked) => (checked.compiled.sources, checked.compiled.warnings, true),
        Err(failure) => (failure.sources, failure.diagnostics, false),
    };
    if args.json {
        println!("{}", ox_syntax::render::render_json(&sources, &diagnostics));
    } else if args.codes {
        for diagnostic in &diagnostics {
            println!("{}", diagnostic.code);
        }
    } else {
        output::print_diagnostics(&sources, &diagnostics);
        if ok {
            eprintln!("ok: {} checked", dir.display());
        }
    }
    if ok {
        Ok(())
    } else {
        Err(Failure::printed())
    }
}
