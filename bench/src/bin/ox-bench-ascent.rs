//! `ox-bench-ascent WORKLOAD DIR`: the workload's rules compiled with
//! `ascent`, as a whole process. Reads `DIR/<pred>.tsv`, runs, prints each
//! derived predicate's size and, last, their sum.

use std::path::Path;
use std::process::ExitCode;

use ox_bench::ascent_programs;
use ox_bench::files::read_tsv;
use ox_bench::workload::{Facts, Workload};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, dir] = args.as_slice() else {
        eprintln!("usage: ox-bench-ascent WORKLOAD DIR");
        return ExitCode::from(2);
    };
    let workload: Workload = match workload.parse() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut facts: Facts = Vec::new();
    for pred in workload.program().base {
        let mut rows = Vec::new();
        let path = Path::new(dir).join(format!("{}.tsv", pred.name));
        if let Err(e) = read_tsv(&path, pred.arity, |r| rows.push(r.to_vec())) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        facts.push((pred.name, rows));
    }
    match ascent_programs::run(&workload, &facts) {
        Ok(counts) => {
            for (name, n) in &counts {
                println!("{name} {n}");
            }
            println!("{}", counts.iter().map(|(_, n)| n).sum::<usize>());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
