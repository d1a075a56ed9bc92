//! `ox test`: run the package's test blocks.

use crate::args::TestArgs;
use crate::failure::Failure;
use crate::project;

pub fn run(args: TestArgs) -> Result<(), Failure> {
    let dir = args.package.resolve()?;
    let checked = project::check_package_or_report(&dir)?;
    let compiled = &checked.compiled;
    let outcomes = ox_runtime::run_tests(&compiled.module, &compiled.tests, args.filter.as_deref());
    let total = compiled.tests.len();
    let (mut passed, mut failed) = (0usize, 0usize);
    println!(
        "running {} test{}",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" }
    );
    for outcome in &outcomes {
        let timing = if args.timings {
            format!(" ({:.1} ms)", outcome.duration.as_secs_f64() * 1000.0)
        } else {
            String::new()
        };
        match &outcome.status {
            ox_runtime::TestStatus::Passed => {
                passed += 1;
                println!("test {} ... ok{timing}", outcome.name);
            }
            ox_runtime::TestStatus::Failed(asserts) => {
                failed += 1;
                println!("test {} ... FAILED{timing}", outcome.name);
                for assert in asserts
                    .iter()
                    .take(if args.verbose { usize::MAX } else { 3 })
                {
                    println!("    assertion failed: {assert}");
                }
            }
            ox_runtime::TestStatus::Error(message) => {
                failed += 1;
                println!("test {} ... ERROR{timing}", outcome.name);
                println!("    {message}");
            }
        }
    }
    let ignored = total - outcomes.len();
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!("\ntest result: {verdict}. {passed} passed; {failed} failed; {ignored} ignored");
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::printed())
    }
}
