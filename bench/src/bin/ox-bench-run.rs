//! `ox-bench-run WORKLOAD DIR`: the ox reasoner as a whole process. Loads
//! `DIR/<pred>.tsv` into a fact store, evaluates the workload's rules and
//! prints each derived predicate's size and, last, their sum.

use std::path::PathBuf;
use std::process::ExitCode;

use ox_bench::oxrun;
use ox_bench::workload::Workload;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, dir] = args.as_slice() else {
        eprintln!("usage: ox-bench-run WORKLOAD DIR");
        return ExitCode::from(2);
    };
    let workload: Workload = match workload.parse() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let program = workload.program();
    let result = oxrun::compile(&program).and_then(|compiled| {
        let store = oxrun::load(&program, &PathBuf::from(dir))?;
        oxrun::evaluate(&compiled, store)
    });
    match result {
        Ok(fixpoint) => {
            let counts = oxrun::counts(&program, &fixpoint);
            for (name, n) in &counts.per_predicate {
                println!("{name} {n}");
            }
            println!("{}", counts.total);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
