//! A workload on disk: one TSV file per base predicate and, per peer, the
//! program text, all in one folder named after the workload.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::sql;
use crate::workload::{Facts, Workload};

/// The Nemo program (imports the TSV files).
pub const NEMO_PROGRAM: &str = "program.rls";
/// The clingo rules.
pub const CLINGO_RULES: &str = "rules.lp";
/// The clingo facts (`pred(a,b).` lines).
pub const CLINGO_FACTS: &str = "facts.lp";
/// The `sqlite3` script.
pub const SQLITE_SCRIPT: &str = "sqlite.sql";
/// The `psql` load script.
pub const POSTGRES_LOAD: &str = "pg-load.sql";
/// The `psql` query script.
pub const POSTGRES_QUERY: &str = "pg-query.sql";

/// Why a fact file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FactFileError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}:{line}: expected {arity} tab-separated integers")]
    Malformed {
        path: String,
        line: usize,
        arity: usize,
    },
}

/// The TSV text of `rows` (tab-separated, one row a line).
pub fn tsv(rows: &[Vec<i64>]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(i64::to_string).collect();
        let _ = writeln!(out, "{}", cells.join("\t"));
    }
    out
}

/// The facts as clingo facts.
pub fn clingo_facts(facts: &Facts) -> String {
    let mut out = String::new();
    for (pred, rows) in facts {
        for row in rows {
            let cells: Vec<String> = row.iter().map(i64::to_string).collect();
            let _ = writeln!(out, "{pred}({}).", cells.join(","));
        }
    }
    out
}

fn write_file(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    let mut file = BufWriter::new(fs::File::create(dir.join(name))?);
    file.write_all(text.as_bytes())?;
    file.flush()
}

/// Writes `workload` drawn from `seed` into `dir` (created if missing) and
/// returns the number of base facts.
pub fn write_workload(dir: &Path, workload: &Workload, seed: u64) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    let program = workload.program();
    let facts = workload.facts(seed);
    for (pred, rows) in &facts {
        write_file(dir, &format!("{pred}.tsv"), &tsv(rows))?;
    }
    write_file(dir, NEMO_PROGRAM, &program.to_nemo())?;
    write_file(dir, CLINGO_RULES, &program.to_clingo())?;
    write_file(dir, CLINGO_FACTS, &clingo_facts(&facts))?;
    write_file(dir, SQLITE_SCRIPT, &sql::sqlite_script(workload))?;
    write_file(dir, POSTGRES_LOAD, &sql::postgres_load(workload))?;
    write_file(dir, POSTGRES_QUERY, &sql::postgres_query(workload))?;
    Ok(facts.iter().map(|(_, rows)| rows.len()).sum())
}

/// Reads a TSV fact file of `arity` integer columns, calling `row` per line.
pub fn read_tsv(
    path: &Path,
    arity: usize,
    mut row: impl FnMut(&[i64]),
) -> Result<(), FactFileError> {
    let shown = || path.display().to_string();
    let file = fs::File::open(path).map_err(|source| FactFileError::Io {
        path: shown(),
        source,
    })?;
    let mut cells = Vec::with_capacity(arity);
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| FactFileError::Io {
            path: shown(),
            source,
        })?;
        if line.is_empty() {
            continue;
        }
        cells.clear();
        for cell in line.split('\t') {
            match cell.trim().parse() {
                Ok(k) => cells.push(k),
                Err(_) => break,
            }
        }
        if cells.len() != arity || line.split('\t').count() != arity {
            return Err(FactFileError::Malformed {
                path: shown(),
                line: n + 1,
                arity,
            });
        }
        row(&cells);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_and_reads_the_facts_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let w = Workload::Taxonomy {
            depth: 3,
            instances: 2,
        };
        let count = write_workload(dir.path(), &w, 1).expect("written");
        assert_eq!(count, 5);
        for name in [
            "inst.tsv",
            "sub.tsv",
            NEMO_PROGRAM,
            CLINGO_RULES,
            CLINGO_FACTS,
            SQLITE_SCRIPT,
            POSTGRES_LOAD,
            POSTGRES_QUERY,
        ] {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        let mut rows = Vec::new();
        read_tsv(&dir.path().join("sub.tsv"), 2, |r| rows.push(r.to_vec())).expect("read");
        assert_eq!(rows, vec![vec![0, 1], vec![1, 2], vec![2, 3]]);
        let facts = fs::read_to_string(dir.path().join(CLINGO_FACTS)).expect("facts");
        assert_eq!(
            facts,
            "inst(4,0).\ninst(5,0).\nsub(0,1).\nsub(1,2).\nsub(2,3).\n"
        );
    }

    #[test]
    fn malformed_rows_are_errors_not_panics() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("edge.tsv");
        fs::write(&path, "1\t2\n3\tx\n").expect("write");
        let err = read_tsv(&path, 2, |_| {}).expect_err("malformed");
        assert!(err
            .to_string()
            .ends_with("edge.tsv:2: expected 2 tab-separated integers"));
        fs::write(&path, "1\t2\t3\n").expect("write");
        assert!(read_tsv(&path, 2, |_| {}).is_err());
        assert!(read_tsv(&dir.path().join("missing.tsv"), 2, |_| {}).is_err());
    }
}
