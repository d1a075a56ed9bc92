//! Command-line arguments (clap). Every flag of `runtime serve` also reads an
//! `OX_…` environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The Argon toolchain and runtime.
#[derive(Debug, Parser)]
#[command(
    name = "ox",
    version,
    about = "Build, test, query and serve Argon packages"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve, type-check and run the evaluability gate.
    ///
    /// Example: ox check examples/lease --json
    Check(CheckArgs),
    /// Build the package into a .oxbin artifact (no file is written on any error).
    ///
    /// Example: ox build examples/lease -o /tmp/lease.oxbin
    Build(BuildArgs),
    /// Run the package's `test` blocks, each on a fresh in-memory store.
    ///
    /// Example: ox test examples/lease --filter breach
    Test(TestArgs),
    /// Run a declared query against a local store.
    ///
    /// Example: ox query lease::leases_of --arg t=alice --project examples/lease
    ///
    /// As of a past transaction: ox query lease::people --as-of-tx 3 --project examples/lease
    Query(QueryArgs),
    /// Print the facts of the derived predicates, optionally with their proofs.
    ///
    /// Example: ox derive breach --explain --project examples/lease
    Derive(DeriveArgs),
    /// Run a declared mutation against a local store.
    ///
    /// Example: ox mutate lease::register_person --arg id=alice --arg name=Alice
    Mutate(MutateArgs),
    /// Show an artifact's preamble, sections, hashes and declarations.
    ///
    /// Example: ox inspect examples/lease/target/root.oxbin --json
    Inspect(InspectArgs),
    /// Print the long explanation of a diagnostic code.
    ///
    /// Example: ox explain OE1303
    Explain(ExplainArgs),
    /// Scaffold a package that passes `ox check` and `ox test`.
    ///
    /// Example: ox new shop --vocab ufo
    New(crate::commands::new::NewArgs),
    /// Run the steps of a scenario file against a fresh in-memory store.
    ///
    /// Example: ox run-scenario scenario.toml --project examples/lease --expect golden.json
    RunScenario(crate::commands::run_scenario::RunScenarioArgs),
    /// Run the HTTP server.
    Runtime {
        #[command(subcommand)]
        command: RuntimeCommand,
    },
    /// Operate on a store directly: physical erasure, export and import.
    ///
    /// Example: ox store export --tenant acme --project examples/lease -o acme.jsonl
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Physically erase an individual's events, printing a receipt (local only).
    ///
    /// Example: ox store forget --tenant acme --individual alice --reason "GDPR request 42" --principal dpo@acme
    Forget(ForgetArgs),
    /// Write a tenant's events as JSON lines (backup, migration between backends).
    ///
    /// Example: ox store export --tenant acme -o acme.jsonl
    Export(ExportArgs),
    /// Read a tenant's events from JSON lines written by `ox store export`.
    ///
    /// Example: ox store import --tenant acme acme.jsonl --storage pg --database-url postgres://localhost/ox
    Import(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum RuntimeCommand {
    /// Serve a compiled artifact over HTTP to many tenants.
    ///
    /// Example: ox runtime serve --project examples/lease --build
    ///
    /// On PostgreSQL: ox runtime serve --project examples/lease --storage pg --database-url postgres://postgres@127.0.0.1:5432/ox
    Serve(ServeArgs),
}

/// Where the package is: a positional folder, `--project`, or the nearest
/// parent of the current folder with an `ox.toml`.
#[derive(Debug, Args, Clone)]
pub struct PackageArg {
    /// The package folder (default: the nearest folder with an ox.toml).
    #[arg(value_name = "PKG")]
    pub package: Option<PathBuf>,
    /// The package folder (same as the positional argument).
    #[arg(long, value_name = "DIR", conflicts_with = "package")]
    pub project: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub package: PackageArg,
    /// Print one machine-readable JSON report.
    #[arg(long)]
    pub json: bool,
    /// Print only the diagnostic codes, one per line.
    #[arg(long, conflicts_with = "json")]
    pub codes: bool,
    /// Also run the reasoner over the package's ground facts and report
    /// violated checks and contradictions (an error-severity violation or a
    /// contradiction fails the check).
    #[arg(long)]
    pub reason: bool,
    /// Time budget of `--reason`, in milliseconds. Rules evaluated under the
    /// well-founded semantics (negation through recursion, `OW1304`) that
    /// exceed it are reported as `OE1301`.
    #[arg(long, value_name = "MS", default_value_t = 10_000, requires = "reason")]
    pub deadline_ms: u64,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub package: PackageArg,
    /// Where to write the artifact (default: <PKG>/target/<entry>.oxbin).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub package: PackageArg,
    /// Run only tests whose name contains this text.
    #[arg(long, value_name = "PAT")]
    pub filter: Option<String>,
    /// Print the failed assertions and errors in full.
    #[arg(long)]
    pub verbose: bool,
    /// Print how long each test took.
    #[arg(long)]
    pub timings: bool,
}

/// The storage and scope flags shared by commands that read or write data.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The package folder (default: the nearest folder with an ox.toml).
    #[arg(long, value_name = "DIR", env = "OX_PROJECT")]
    pub project: Option<PathBuf>,
    /// Load this artifact instead of building the package in memory.
    #[arg(long, value_name = "PATH", env = "OX_OXBIN")]
    pub oxbin: Option<PathBuf>,
    /// Storage backend.
    #[arg(long, value_enum, default_value_t = StorageKind::Sqlite, env = "OX_STORAGE")]
    pub storage: StorageKind,
    /// The sqlite file (default: <PKG>/.ox/store.sqlite).
    #[arg(long, value_name = "PATH", env = "OX_DATA")]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL for --storage pg (else OX_DATABASE_URL, then DATABASE_URL).
    #[arg(
        long,
        value_name = "URL",
        env = "OX_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The tenant to act for.
    #[arg(long, default_value = "default", env = "OX_TENANT")]
    pub tenant: String,
}

/// Storage backends selectable on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StorageKind {
    /// Embedded, durable (default).
    Sqlite,
    /// In memory; nothing survives the process.
    Mem,
    /// PostgreSQL (--database-url); several replicas may share it.
    Pg,
}

impl StorageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Sqlite => "sqlite",
            StorageKind::Mem => "mem",
            StorageKind::Pg => "pg",
        }
    }
}

/// Output formats of `ox query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The query, as `package::name` or its short name.
    pub name: String,
    /// An argument `name=value`; the value is read as JSON, else as a string.
    #[arg(long = "arg", value_name = "K=V")]
    pub args: Vec<String>,
    /// Read the state as of a transaction: its number, or an RFC 3339 time
    /// (the last transaction committed at or before it).
    #[arg(long, value_name = "TX|TIME")]
    pub as_of_tx: Option<String>,
    /// Evaluate with this valid time (a date or RFC 3339 time) as today()/now().
    #[arg(long, value_name = "TIME")]
    pub as_of_valid: Option<String>,
    /// The fork to read (default: main).
    #[arg(long, value_name = "FORK")]
    pub fork: Option<String>,
    /// A declared standpoint (name or path) to read from.
    #[arg(long, value_name = "S", conflicts_with = "across")]
    pub standpoint: Option<String>,
    /// Evaluate under each of these standpoints and print each row with its
    /// truth value (Is, Not, Both, Can).
    #[arg(
        long,
        value_name = "S1,S2",
        value_delimiter = ',',
        conflicts_with = "explain"
    )]
    pub across: Vec<String>,
    /// With --across (or a query declaring `across`): only the rows that are Is.
    #[arg(long, conflicts_with = "explain")]
    pub strict: bool,
    /// Print at most this many rows.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Print each row's proof when the row is a fact of a predicate.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct DeriveArgs {
    /// Derived predicates to print (by name or path); all when none is given.
    #[arg(value_name = "RULE")]
    pub rules: Vec<String>,
    /// Print each fact's proof.
    #[arg(long)]
    pub explain: bool,
    /// Evaluate with this valid time (a date or RFC 3339 time) as today()/now().
    #[arg(long, value_name = "TIME")]
    pub as_of_valid: Option<String>,
    /// The fork to read (default: main).
    #[arg(long, value_name = "FORK")]
    pub fork: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct MutateArgs {
    /// The mutation, as `package::name` or its short name.
    pub name: String,
    /// An argument `name=value`; the value is read as JSON, else as a string.
    #[arg(long = "arg", value_name = "K=V")]
    pub args: Vec<String>,
    /// Who performs the mutation (recorded on every event).
    #[arg(long, default_value = "anonymous")]
    pub principal: String,
    /// Validate and print the events that would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Valid time of the written facts (a date or RFC 3339 time; default: now).
    #[arg(long, value_name = "TIME")]
    pub valid_at: Option<String>,
    /// Run at most once: a repeat with the same key prints the stored receipt.
    #[arg(long, value_name = "K")]
    pub idempotency_key: Option<String>,
    /// The fork to write (default: main).
    #[arg(long, value_name = "FORK")]
    pub fork: Option<String>,
    /// A declared standpoint (name or path) to write in.
    #[arg(long, value_name = "S")]
    pub standpoint: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The id of the individual whose events are erased.
    #[arg(long, value_name = "ID")]
    pub individual: String,
    /// Why (kept in the receipt).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Who erases (kept in the receipt).
    #[arg(long, value_name = "P")]
    pub principal: String,
    /// The fork to erase in (default: main).
    #[arg(long, value_name = "FORK", default_value = "main")]
    pub fork: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The fork whose own log is exported (default: main; imports take main).
    #[arg(long, value_name = "FORK")]
    pub fork: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The JSON lines file, or `-` for standard input.
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub input: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The artifact file.
    pub file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as OE1303.
    pub code: String,
}

/// Log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The package folder.
    #[arg(long, value_name = "DIR", default_value = ".", env = "OX_PROJECT")]
    pub project: PathBuf,
    /// The artifact to serve (default: <PROJECT>/target/<entry>.oxbin).
    #[arg(long, value_name = "PATH", env = "OX_OXBIN")]
    pub oxbin: Option<PathBuf>,
    /// Interface to bind. Non-loopback addresses are refused unless --allow-non-loopback.
    #[arg(long, default_value = "127.0.0.1", env = "OX_HOST")]
    pub host: String,
    #[arg(long, default_value_t = 7780, env = "OX_PORT")]
    pub port: u16,
    /// Storage backend.
    #[arg(long, value_enum, default_value_t = StorageKind::Sqlite, env = "OX_STORAGE")]
    pub storage: StorageKind,
    /// The sqlite file (default: <PROJECT>/.ox/store.sqlite).
    #[arg(long, value_name = "PATH", env = "OX_DATA")]
    pub data: Option<PathBuf>,
    /// PostgreSQL URL for --storage pg (else OX_DATABASE_URL, then DATABASE_URL).
    #[arg(
        long,
        value_name = "URL",
        env = "OX_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Key authenticating pagination cursors: 64 hex digits (32 bytes). Give
    /// every replica behind one gateway the same key so they accept each
    /// other's cursors (default: random per process).
    #[arg(
        long,
        value_name = "HEX",
        env = "OX_CURSOR_SECRET",
        hide_env_values = true
    )]
    pub cursor_secret: Option<String>,
    /// Per-request deadline; evaluation past it is stopped and answered with 504.
    #[arg(long, default_value_t = 30_000, env = "OX_REQUEST_TIMEOUT_MS")]
    pub request_timeout_ms: u64,
    /// Largest accepted request body.
    #[arg(long, default_value_t = 1_048_576, env = "OX_MAX_BODY_BYTES")]
    pub max_body_bytes: usize,
    /// Largest page of rows; longer results are paginated with cursors.
    #[arg(long, default_value_t = 10_000, env = "OX_MAX_ROWS")]
    pub max_rows: usize,
    /// Build the package of --project first.
    #[arg(long, env = "OX_BUILD")]
    pub build: bool,
    /// Allow binding a non-loopback address. Only behind an authenticating gateway.
    #[arg(long, env = "OX_ALLOW_NON_LOOPBACK")]
    pub allow_non_loopback: bool,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormatArg::Human, env = "OX_LOG_FORMAT")]
    pub log_format: LogFormatArg,
}
