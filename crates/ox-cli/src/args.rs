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
    Query(QueryArgs),
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
}

#[derive(Debug, Subcommand)]
pub enum RuntimeCommand {
    /// Serve a compiled artifact over HTTP to many tenants.
    ///
    /// Example: ox runtime serve --project examples/lease --build
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
}

impl StorageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Sqlite => "sqlite",
            StorageKind::Mem => "mem",
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
    /// Read the state as of this transaction number.
    #[arg(long, value_name = "TX")]
    pub as_of_tx: Option<u64>,
    /// Evaluate with this valid time (a date or RFC 3339 time) as today()/now().
    #[arg(long, value_name = "TIME")]
    pub as_of_valid: Option<String>,
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
