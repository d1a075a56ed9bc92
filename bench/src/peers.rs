//! The engines compared, how each is started on a workload folder, and how
//! its output gives the number of derived tuples.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use crate::files;
use crate::workload::Workload;

/// An engine under comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The ox reasoner (`ox-bench-run`).
    Ox,
    /// The rules compiled with the `ascent` crate (`ox-bench-ascent`).
    Ascent,
    /// Nemo through its Python bindings (`nemo-python`).
    Nemo,
    /// clingo (the `clingo` Python package's application).
    Clingo,
    /// The `sqlite3` CLI, recursive CTEs.
    Sqlite,
    /// PostgreSQL `WITH RECURSIVE` through `psql` (query only; loading is
    /// timed separately).
    Postgres,
}

impl Peer {
    /// Every peer, in table order.
    pub const ALL: [Peer; 6] = [
        Peer::Ox,
        Peer::Ascent,
        Peer::Nemo,
        Peer::Clingo,
        Peer::Sqlite,
        Peer::Postgres,
    ];

    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            Peer::Ox => "ox",
            Peer::Ascent => "ascent",
            Peer::Nemo => "Nemo",
            Peer::Clingo => "clingo",
            Peer::Sqlite => "SQLite",
            Peer::Postgres => "PostgreSQL",
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label().to_lowercase())
    }
}

/// Why a peer name does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown peer `{0}` (expected ox, ascent, nemo, clingo, sqlite or postgresql)")]
pub struct UnknownPeer(pub String);

impl FromStr for Peer {
    type Err = UnknownPeer;

    fn from_str(s: &str) -> Result<Peer, UnknownPeer> {
        Peer::ALL
            .into_iter()
            .find(|p| {
                p.to_string() == s.to_lowercase() || (s == "postgres" && *p == Peer::Postgres)
            })
            .ok_or_else(|| UnknownPeer(s.to_string()))
    }
}

/// Where the peers' programs are.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The folder of `ox-bench-run` and `ox-bench-ascent`.
    pub bin_dir: PathBuf,
    /// The folder of `nemo_run.py`.
    pub scripts_dir: PathBuf,
    pub python: String,
    pub sqlite3: String,
    pub psql: String,
    /// The PostgreSQL connection URL.
    pub database_url: String,
}

impl Tools {
    /// The command running `peer` on `workload`, whose files are in `dir`
    /// (the command's working directory).
    pub fn command(&self, peer: Peer, workload: &Workload, dir: &Path) -> Command {
        let mut cmd = match peer {
            Peer::Ox => {
                let mut c = Command::new(self.bin_dir.join("ox-bench-run"));
                c.arg(workload.to_string()).arg(".");
                c
            }
            Peer::Ascent => {
                let mut c = Command::new(self.bin_dir.join("ox-bench-ascent"));
                c.arg(workload.to_string()).arg(".");
                c
            }
            Peer::Nemo => {
                let mut c = Command::new(&self.python);
                c.arg(self.scripts_dir.join("nemo_run.py"))
                    .arg(files::NEMO_PROGRAM);
                c
            }
            Peer::Clingo => {
                let mut c = Command::new(&self.python);
                c.args([
                    "-m",
                    "clingo",
                    files::CLINGO_RULES,
                    files::CLINGO_FACTS,
                    "-V0",
                ]);
                c
            }
            Peer::Sqlite => {
                let mut c = Command::new(&self.sqlite3);
                c.args(["-batch", ":memory:"])
                    .arg(format!(".read {}", files::SQLITE_SCRIPT));
                c
            }
            Peer::Postgres => self.psql_file(files::POSTGRES_QUERY),
        };
        cmd.current_dir(dir);
        cmd
    }

    /// `psql` running one script quietly, printing bare values.
    pub fn psql_file(&self, script: &str) -> Command {
        let mut c = Command::new(&self.psql);
        c.args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.database_url)
            .arg("-f")
            .arg(script);
        c
    }

    /// `psql` running one statement.
    pub fn psql_command(&self, sql: &str) -> Command {
        let mut c = Command::new(&self.psql);
        c.args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.database_url)
            .arg("-c")
            .arg(sql);
        c
    }
}

/// The number of derived tuples a peer printed: clingo shows one
/// `count_<pred>(N)` atom per derived predicate (summed); every other peer
/// prints the total as its last line.
pub fn tuple_count(peer: Peer, stdout: &str) -> Option<u64> {
    match peer {
        Peer::Clingo => {
            let mut total = 0u64;
            let mut found = false;
            for token in stdout.split_whitespace() {
                let Some(rest) = token.strip_prefix("count_") else {
                    continue;
                };
                let open = rest.find('(')?;
                let number = rest[open + 1..].strip_suffix(')')?;
                total += number.parse::<u64>().ok()?;
                found = true;
            }
            found.then_some(total)
        }
        _ => stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_from_the_last_line_or_clingos_atoms() {
        assert_eq!(tuple_count(Peer::Ox, "path 6\n6\n"), Some(6));
        assert_eq!(tuple_count(Peer::Sqlite, "880811\n\n"), Some(880_811));
        assert_eq!(tuple_count(Peer::Postgres, "not a number\n"), None);
        assert_eq!(
            tuple_count(Peer::Clingo, "count_sc(3) count_t(10)\nSATISFIABLE\n"),
            Some(13)
        );
        assert_eq!(tuple_count(Peer::Clingo, "UNSATISFIABLE\n"), None);
        assert_eq!(tuple_count(Peer::Clingo, "count_sc(x)\n"), None);
    }

    #[test]
    fn peer_names_parse() {
        for p in Peer::ALL {
            assert_eq!(p.to_string().parse::<Peer>(), Ok(p));
        }
        assert_eq!("postgres".parse::<Peer>(), Ok(Peer::Postgres));
        assert!("souffle".parse::<Peer>().is_err());
    }
}
