//! `ox-bench`: generates the workloads and runs every engine on them.
//!
//! `ox-bench gen --data DIR` writes each workload's fact files and programs;
//! `ox-bench compare --data DIR` runs the peers as whole processes and prints
//! the markdown tables (exit code 1 when a peer failed or disagreed).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ox_bench::compare::{markdown, median, run_peer, Row};
use ox_bench::files::write_workload;
use ox_bench::inproc;
use ox_bench::peers::{Peer, Tools};
use ox_bench::process::measure;
use ox_bench::sql::postgres_schema;
use ox_bench::workload::{Workload, SEED};
use ox_bench::{argon, oxrun};

#[derive(Parser)]
#[command(
    name = "ox-bench",
    about = "Benchmarks the ox reasoner against its peers"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes the workloads' fact files and programs.
    Gen {
        /// Where the workload folders go.
        #[arg(long, default_value = "target/bench-data")]
        data: PathBuf,
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        /// Workloads (default: the standard set), e.g. tc-1000-3000 lubm-1.
        workloads: Vec<Workload>,
    },
    /// Generates (when missing) and runs every peer on every workload.
    Compare {
        #[arg(long, default_value = "target/bench-data")]
        data: PathBuf,
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        /// Runs per peer and workload; the median is reported.
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Seconds before a run is killed.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// Peers, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        peers: Vec<Peer>,
        #[arg(long, default_value = "python3")]
        python: String,
        #[arg(
            long,
            env = "OX_BENCH_DATABASE_URL",
            default_value = "postgres://postgres@127.0.0.1:5432/test"
        )]
        database_url: String,
        /// Workloads (default: the standard set).
        workloads: Vec<Workload>,
    },
    /// Times inserting and deleting 1% of the base facts with
    /// `Program::update` against full evaluations (in process).
    Incremental {
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Record witnesses in every evaluation and update, as the runtime does.
        #[arg(long)]
        provenance: bool,
        /// Workloads (default: tc-1000-3000).
        workloads: Vec<Workload>,
    },
    /// Times a stream of successive 1% insertions, each applied in place
    /// to the state the previous one left (in process).
    Stream {
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        /// Insertions in the stream.
        #[arg(long, default_value_t = 8)]
        updates: usize,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Workloads (default: tc-1000-3000).
        workloads: Vec<Workload>,
    },
    /// Times the real `ox` binary (`ox query --format csv`) on workloads
    /// written as an Argon package with ground facts.
    Cli {
        /// The `ox` binary (build it with `cargo build --release -p ox-cli`).
        #[arg(long, default_value = "target/release/ox")]
        ox: PathBuf,
        #[arg(long, default_value = "target/bench-data")]
        data: PathBuf,
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Workloads with a binary first derived predicate (default:
        /// tc-1000-3000).
        workloads: Vec<Workload>,
    },
    /// Times how long an evaluation and a first deletion over one large
    /// relation run past a deadline a few milliseconds away (in process).
    Deadline {
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        /// `edge` pairs in the relation.
        #[arg(long, default_value_t = 4_000_000)]
        pairs: usize,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Deadlines in milliseconds, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,5,20")]
        deadlines_ms: Vec<u64>,
    },
    /// Stops an evaluation deriving a three-column relation at deadlines
    /// spread over its whole run, and reports how far past each it
    /// returned (in process).
    DeadlineSweep {
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        /// `edge` pairs in the relation.
        #[arg(long, default_value_t = 2_000_000)]
        pairs: usize,
        /// Milliseconds between two deadlines.
        #[arg(long, default_value_t = 50)]
        step_ms: u64,
    },
    /// Times evaluation with and without provenance, and one explanation,
    /// of the fixpoint and after a 1% deletion (in process).
    Provenance {
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Workloads (default: the standard set).
        workloads: Vec<Workload>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Cmd::Incremental {
            seed,
            reps,
            provenance,
            workloads,
        } => in_process(
            or_tc(workloads),
            |w| inproc::incremental(w, seed, reps, provenance),
            inproc::incremental_markdown,
        ),
        Cmd::Stream {
            seed,
            updates,
            reps,
            workloads,
        } => in_process(
            or_tc(workloads),
            |w| inproc::stream(w, seed, updates, reps),
            inproc::stream_markdown,
        ),
        Cmd::Cli {
            ox,
            data,
            seed,
            reps,
            workloads,
        } => {
            let workloads = or_tc(workloads);
            println!(
                "| workload | `ox query` (whole process) | peak RSS | rows |\n|---|---:|---:|---:|"
            );
            for w in workloads {
                match cli_row(&ox, &data.join(w.to_string()).join("argon"), &w, seed, reps) {
                    Ok(row) => println!("{row}"),
                    Err(e) => {
                        eprintln!("{w}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Cmd::Deadline {
            seed,
            pairs,
            reps,
            deadlines_ms,
        } => {
            let deadlines: Vec<Duration> = deadlines_ms
                .into_iter()
                .map(Duration::from_millis)
                .collect();
            match ox_bench::deadline::deadline(pairs, &deadlines, reps, seed) {
                Ok(report) => {
                    println!("{}", ox_bench::deadline::deadline_markdown(&report));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::DeadlineSweep {
            seed,
            pairs,
            step_ms,
        } => match ox_bench::deadline::sweep(pairs, Duration::from_millis(step_ms), seed) {
            Ok(report) => {
                println!("{}", ox_bench::deadline::sweep_markdown(&report));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Provenance {
            seed,
            reps,
            workloads,
        } => in_process(
            or_standard(workloads),
            |w| inproc::provenance(w, seed, reps),
            inproc::provenance_markdown,
        ),
        Cmd::Gen {
            data,
            seed,
            workloads,
        } => {
            for w in or_standard(workloads) {
                match write_workload(&data.join(w.to_string()), &w, seed) {
                    Ok(n) => println!("{w}: {n} base facts"),
                    Err(e) => {
                        eprintln!("{w}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Cmd::Compare {
            data,
            seed,
            reps,
            timeout,
            peers,
            python,
            database_url,
            workloads,
        } => {
            let peers = if peers.is_empty() {
                Peer::ALL.to_vec()
            } else {
                peers
            };
            let tools = match tools(python, database_url) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            let limit = Duration::from_secs(timeout);
            let mut rows = Vec::new();
            for w in or_standard(workloads) {
                let dir = data.join(w.to_string());
                let base_facts = match write_workload(&dir, &w, seed) {
                    Ok(n) => n,
                    Err(e) => {
                        eprintln!("{w}: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                rows.push(compare_one(
                    &tools, &peers, &w, &dir, base_facts, reps, limit,
                ));
            }
            let table = markdown(&rows, &peers);
            println!("{table}");
            if table.contains("\nFailures:") {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// Runs `measure` on every workload and prints the table, or the first error.
fn in_process<R, E: std::fmt::Display>(
    workloads: Vec<Workload>,
    measure: impl Fn(&Workload) -> Result<R, E>,
    table: impl Fn(&[R]) -> String,
) -> ExitCode {
    let mut rows = Vec::new();
    for w in workloads {
        eprintln!("{w}");
        match measure(&w) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("{w}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{}", table(&rows));
    ExitCode::SUCCESS
}

/// Writes `w` as an Argon package in `dir`, runs `ox query` on it `reps`
/// times and checks its row count against the reasoner's count.
fn cli_row(ox: &Path, dir: &Path, w: &Workload, seed: u64, reps: usize) -> Result<String, String> {
    let program = w.program();
    let facts = w.facts(seed);
    let (Some(name), Some(root)) = (argon::query_name(&program), argon::root(&program, &facts))
    else {
        return Err("its first derived predicate is not binary".into());
    };
    let expected = oxrun::compile(&program)
        .and_then(|c| oxrun::evaluate(&c, oxrun::store_of(&program, &facts)?))
        .map(|f| oxrun::counts(&program, &f).per_predicate[0].1 as u64)
        .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("ox.toml"), argon::manifest()).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/root.ar"), root).map_err(|e| e.to_string())?;
    let mut walls = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..reps.max(1) {
        let mut cmd = std::process::Command::new(ox);
        cmd.args(["query", &name, "--format", "csv", "--project"])
            .arg(dir);
        let sample = measure(&mut cmd, Duration::from_secs(600)).map_err(|e| e.to_string())?;
        let rows = argon::csv_rows(&sample.stdout);
        if rows != expected {
            return Err(format!(
                "ox query printed {rows} rows, the reasoner derives {expected}"
            ));
        }
        walls.push(sample.wall);
        rss.push(sample.peak_rss_kib);
    }
    let wall = median(&mut walls).unwrap_or_default();
    let rss = median(&mut rss).unwrap_or(0);
    Ok(format!(
        "| {w} | {:.3} s | {:.0} MiB | {expected} |",
        wall.as_secs_f64(),
        rss as f64 / 1024.0
    ))
}

/// `workloads`, or TC on 1,000 nodes and 3,000 edges when none is named.
fn or_tc(workloads: Vec<Workload>) -> Vec<Workload> {
    if workloads.is_empty() {
        vec![Workload::Tc {
            nodes: 1_000,
            edges: 3_000,
        }]
    } else {
        workloads
    }
}

fn or_standard(workloads: Vec<Workload>) -> Vec<Workload> {
    if workloads.is_empty() {
        Workload::standard()
    } else {
        workloads
    }
}

/// The peers' programs: the runner binaries next to this one, the scripts
/// in `bench/peers` beside the crate.
fn tools(python: String, database_url: String) -> Result<Tools, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate ox-bench: {e}"))?;
    let bin_dir = exe.parent().ok_or("ox-bench has no folder")?.to_path_buf();
    Ok(Tools {
        bin_dir,
        scripts_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("peers"),
        python,
        sqlite3: "sqlite3".into(),
        psql: "psql".into(),
        database_url,
    })
}

/// One workload's row: ox first (its count is the reference), then the
/// others; PostgreSQL is loaded before and its schema dropped after.
fn compare_one(
    tools: &Tools,
    peers: &[Peer],
    w: &Workload,
    dir: &Path,
    base_facts: usize,
    reps: usize,
    limit: Duration,
) -> Row {
    eprintln!("{w}: ox");
    let ox = run_peer(tools, Peer::Ox, w, dir, reps, limit, None);
    let expected = match &ox {
        ox_bench::compare::Cell::Measured { tuples, .. } => Some(*tuples),
        ox_bench::compare::Cell::Failed(_) | ox_bench::compare::Cell::TimedOut(_) => None,
    };
    let mut cells = vec![(Peer::Ox, ox)];
    let mut postgres_load = None;
    for &peer in peers.iter().filter(|p| **p != Peer::Ox) {
        eprintln!("{w}: {}", peer.label());
        if peer == Peer::Postgres {
            match measure(
                &mut tools_in(tools.psql_file(ox_bench::files::POSTGRES_LOAD), dir),
                limit,
            ) {
                Ok(sample) => postgres_load = Some(sample.wall),
                Err(e) => {
                    cells.push((
                        peer,
                        ox_bench::compare::Cell::Failed(format!("loading: {e}")),
                    ));
                    continue;
                }
            }
        }
        let cell = match expected {
            Some(_) => run_peer(tools, peer, w, dir, reps, limit, expected),
            None => ox_bench::compare::Cell::Failed("ox failed, nothing to compare".into()),
        };
        cells.push((peer, cell));
        if peer == Peer::Postgres {
            let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", postgres_schema(w));
            if let Err(e) = measure(&mut tools.psql_command(&drop), limit) {
                eprintln!("{w}: dropping the PostgreSQL schema failed: {e}");
            }
        }
    }
    let order = |p: &Peer| peers.iter().position(|q| q == p).unwrap_or(0);
    cells.retain(|(p, _)| peers.contains(p));
    cells.sort_by_key(|(p, _)| order(p));
    Row {
        workload: *w,
        base_facts,
        cells,
        postgres_load,
    }
}

fn tools_in(mut cmd: std::process::Command, dir: &Path) -> std::process::Command {
    cmd.current_dir(dir);
    cmd
}
