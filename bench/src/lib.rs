//! Benchmark harness for the ox reasoner.
//!
//! - [`workload`]: the workloads (transitive closure, same generation,
//!   LUBM-style universities, a deep taxonomy) and their seeded facts;
//! - [`datalog`]: their rules, rendered for ox, Nemo and clingo;
//! - [`sql`]: the same as recursive CTEs for SQLite and PostgreSQL;
//! - [`ascent_programs`]: the same compiled with `ascent`;
//! - [`files`]: a workload written to a folder, fact files read back;
//! - [`oxrun`]: a workload evaluated by the reasoner;
//! - [`process`], [`peers`], [`compare`]: every engine run as a whole
//!   process, timed, its tuple count checked, the results tabulated;
//! - [`argon`]: a workload as an Argon package, for the real `ox` binary;
//! - [`inproc`]: incremental maintenance and provenance, timed in process.

pub mod argon;
pub mod ascent_programs;
pub mod compare;
pub mod datalog;
pub mod deadline;
pub mod files;
pub mod inproc;
pub mod lubm;
pub mod oxrun;
pub mod peers;
pub mod process;
pub mod sql;
pub mod workload;
