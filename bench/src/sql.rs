//! The workloads as SQL: recursive CTEs for SQLite and PostgreSQL.
//!
//! Both engines get the same statements; only loading differs (SQLite's
//! `.import`, PostgreSQL's `\copy`). Every script ends with one `SELECT`
//! printing the number of derived tuples (the sum over the derived
//! predicates, as the other engines count them).

use std::fmt::Write as _;

use crate::datalog::Program;
use crate::lubm::{class, prop};
use crate::workload::Workload;

/// Column names of a base table, by predicate.
fn columns(pred: &str) -> &'static [&'static str] {
    match pred {
        "edge" => &["x", "y"],
        "par" => &["c", "p"],
        "inst" => &["x", "c"],
        "sub" => &["c", "d"],
        "triple" => &["s", "p", "o"],
        "asserted" => &["x", "c"],
        "subclass" => &["c", "d"],
        "subprop" => &["p", "q"],
        "dom" | "rng" => &["p", "c"],
        "inverse" => &["p", "q"],
        "transitive" => &["p"],
        _ => &["a", "b", "c"],
    }
}

/// `CREATE TABLE` statements for the base predicates.
fn create_tables(program: &Program) -> String {
    let mut out = String::new();
    for p in &program.base {
        let cols: Vec<String> = columns(p.name)
            .iter()
            .take(p.arity)
            .map(|c| format!("{c} BIGINT NOT NULL"))
            .collect();
        let _ = writeln!(out, "CREATE TABLE {} ({});", p.name, cols.join(", "));
    }
    out
}

/// The statements computing the fixpoint and printing the tuple count.
pub fn query(workload: &Workload) -> String {
    match workload {
        Workload::Tc { .. } => "WITH RECURSIVE path(x, y) AS (\n  SELECT x, y FROM edge\n  UNION\n  SELECT path.x, edge.y FROM path JOIN edge ON edge.x = path.y\n)\nSELECT count(*) FROM path;\n".to_string(),
        Workload::Sg { .. } => "WITH RECURSIVE sg(x, y) AS (\n  SELECT a.c, b.c FROM par a JOIN par b ON a.p = b.p\n  UNION\n  SELECT a.c, b.c FROM sg JOIN par a ON a.p = sg.x JOIN par b ON b.p = sg.y\n)\nSELECT count(*) FROM sg;\n".to_string(),
        Workload::Taxonomy { .. } => "WITH RECURSIVE typ(x, c) AS (\n  SELECT x, c FROM inst\n  UNION\n  SELECT typ.x, sub.d FROM typ JOIN sub ON sub.c = typ.c\n)\nSELECT count(*) FROM typ;\n".to_string(),
        Workload::Lubm { .. } => lubm_query(),
    }
}

/// The LUBM closure as a pipeline: subclass and subproperty closure, then
/// inherited, inverse and transitive property assertions, then typing,
/// then the four query predicates.
fn lubm_query() -> String {
    use class::*;
    use prop::*;
    format!(
        "CREATE TEMP TABLE sc AS WITH RECURSIVE r(c, d) AS (
  SELECT c, d FROM subclass
  UNION
  SELECT r.c, s.d FROM r JOIN subclass s ON s.c = r.d
) SELECT c, d FROM r;
CREATE TEMP TABLE sp AS WITH RECURSIVE r(p, q) AS (
  SELECT p, q FROM subprop
  UNION
  SELECT r.p, s.q FROM r JOIN subprop s ON s.p = r.q
) SELECT p, q FROM r;
CREATE TEMP TABLE t1 AS
  SELECT s, p, o FROM triple
  UNION
  SELECT tr.s, sp.q, tr.o FROM triple tr JOIN sp ON sp.p = tr.p;
CREATE TEMP TABLE t2 AS
  SELECT s, p, o FROM t1
  UNION
  SELECT t1.o, i.q, t1.s FROM t1 JOIN inverse i ON i.p = t1.p;
CREATE TEMP TABLE t AS WITH RECURSIVE r(s, p, o) AS (
  SELECT s, p, o FROM t2 WHERE p IN (SELECT p FROM transitive)
  UNION
  SELECT r.s, r.p, t2.o FROM r JOIN t2 ON t2.s = r.o AND t2.p = r.p
) SELECT s, p, o FROM t2 UNION SELECT s, p, o FROM r;
CREATE TEMP TABLE ta AS
  SELECT x, c FROM asserted
  UNION
  SELECT t.s, d.c FROM t JOIN dom d ON d.p = t.p
  UNION
  SELECT t.o, r.c FROM t JOIN rng r ON r.p = t.p;
CREATE TEMP TABLE typ AS
  SELECT x, c FROM ta
  UNION
  SELECT ta.x, sc.d FROM ta JOIN sc ON sc.c = ta.c;
CREATE TEMP TABLE q1 AS SELECT DISTINCT m.s AS x, so.o AS u
  FROM t m
  JOIN t so ON so.s = m.o AND so.p = {SUB_ORGANIZATION_OF}
  JOIN t dg ON dg.s = m.s AND dg.p = {UNDERGRADUATE_DEGREE_FROM} AND dg.o = so.o
  JOIN typ g ON g.x = m.s AND g.c = {GRADUATE_STUDENT}
  JOIN typ un ON un.x = so.o AND un.c = {UNIVERSITY}
  WHERE m.p = {MEMBER_OF};
CREATE TEMP TABLE q2 AS SELECT DISTINCT a.s AS x, a.o AS y, tc.o AS z
  FROM t a
  JOIN t tc ON tc.s = a.s AND tc.p = {TAKES_COURSE}
  JOIN t te ON te.s = a.o AND te.p = {TEACHER_OF} AND te.o = tc.o
  JOIN typ st ON st.x = a.s AND st.c = {STUDENT}
  JOIN typ fa ON fa.x = a.o AND fa.c = {FACULTY}
  WHERE a.p = {ADVISOR};
CREATE TEMP TABLE q3 AS SELECT DISTINCT h.o AS x, h.s AS u
  FROM t h
  JOIN typ un ON un.x = h.s AND un.c = {UNIVERSITY}
  JOIN typ pe ON pe.x = h.o AND pe.c = {PERSON}
  WHERE h.p = {HAS_ALUMNUS};
CREATE TEMP TABLE q4 AS SELECT DISTINCT m.s AS x, so.o AS u
  FROM t m
  JOIN t so ON so.s = m.o AND so.p = {SUB_ORGANIZATION_OF}
  JOIN typ pe ON pe.x = m.s AND pe.c = {PERSON}
  JOIN typ un ON un.x = so.o AND un.c = {UNIVERSITY}
  WHERE m.p = {MEMBER_OF};
SELECT (SELECT count(*) FROM sc) + (SELECT count(*) FROM sp) + (SELECT count(*) FROM t)
  + (SELECT count(*) FROM typ) + (SELECT count(*) FROM q1) + (SELECT count(*) FROM q2)
  + (SELECT count(*) FROM q3) + (SELECT count(*) FROM q4);
"
    )
}

/// A script for the `sqlite3` CLI run in the workload's folder: creates the
/// tables, imports the TSV files, computes and prints the count.
pub fn sqlite_script(workload: &Workload) -> String {
    let program = workload.program();
    let mut out = String::from(".bail on\n.mode tabs\n");
    out.push_str(&create_tables(&program));
    for p in &program.base {
        let _ = writeln!(out, ".import {name}.tsv {name}", name = p.name);
    }
    out.push_str(&query(workload));
    out
}

/// The PostgreSQL schema a workload is loaded into.
pub fn postgres_schema(workload: &Workload) -> String {
    format!("bench_{}", workload.to_string().replace('-', "_"))
}

/// A `psql` script run in the workload's folder: (re)creates the schema and
/// loads the TSV files with `\copy`.
pub fn postgres_load(workload: &Workload) -> String {
    let program = workload.program();
    let schema = postgres_schema(workload);
    let mut out = format!(
        "\\set ON_ERROR_STOP on\nDROP SCHEMA IF EXISTS {schema} CASCADE;\nCREATE SCHEMA {schema};\nSET search_path = {schema};\n"
    );
    out.push_str(&create_tables(&program));
    for p in &program.base {
        let _ = writeln!(out, "\\copy {name} FROM '{name}.tsv'", name = p.name);
    }
    out.push_str("ANALYZE;\n");
    out
}

/// The `psql` script of the timed query (run after [`postgres_load`]).
pub fn postgres_query(workload: &Workload) -> String {
    format!(
        "\\set ON_ERROR_STOP on\nSET search_path = {};\n{}",
        postgres_schema(workload),
        query(workload)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_script_creates_imports_and_counts() {
        let w = Workload::Tc {
            nodes: 10,
            edges: 20,
        };
        let script = sqlite_script(&w);
        assert!(script.starts_with(".bail on\n.mode tabs\nCREATE TABLE edge (x BIGINT NOT NULL, y BIGINT NOT NULL);\n.import edge.tsv edge\nWITH RECURSIVE path"));
        assert!(script.ends_with("SELECT count(*) FROM path;\n"));
    }

    #[test]
    fn postgres_scripts_use_one_schema_per_workload() {
        let w = Workload::Lubm { universities: 1 };
        assert_eq!(postgres_schema(&w), "bench_lubm_1");
        let load = postgres_load(&w);
        assert!(load.contains("CREATE SCHEMA bench_lubm_1;"));
        assert!(load.contains("CREATE TABLE transitive (p BIGINT NOT NULL);"));
        assert!(load.contains("\\copy triple FROM 'triple.tsv'"));
        let q = postgres_query(&w);
        assert!(q.contains("SET search_path = bench_lubm_1;"));
        assert!(q.contains("WHERE m.p = 100;"));
    }
}
