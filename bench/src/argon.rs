//! A workload as an Argon package, for timing the real `ox` binary: the
//! base facts become ground facts (`derive edge(1, 2);`), the rules
//! `derive` clauses, and one query lists the first derived predicate.

use std::fmt::Write as _;

use crate::datalog::{Atom, Program, Term};
use crate::workload::Facts;

/// The package name.
pub const PACKAGE: &str = "bench";

/// The query listing the first derived predicate, if it is binary (the
/// query returns `Pair` rows).
pub fn query_name(program: &Program) -> Option<String> {
    let first = program.derived.first()?;
    (first.arity == 2).then(|| format!("{PACKAGE}::all_{}", first.name))
}

/// `ox.toml`.
pub fn manifest() -> String {
    format!("[package]\nname = \"{PACKAGE}\"\nversion = \"0.1.0\"\n")
}

fn atom(a: &Atom) -> String {
    let args: Vec<String> = a
        .args
        .iter()
        .map(|t| match t {
            Term::Var(n) => n.to_string(),
            Term::Const(k) => k.to_string(),
        })
        .collect();
    format!("{}({})", a.pred, args.join(", "))
}

/// `src/root.ar`: ground facts, rules and the listing query. `None` when
/// the first derived predicate is not binary.
pub fn root(program: &Program, facts: &Facts) -> Option<String> {
    let first = program.derived.first().filter(|p| p.arity == 2)?;
    let mut out = String::new();
    for (pred, rows) in facts {
        for row in rows {
            let cells: Vec<String> = row.iter().map(i64::to_string).collect();
            let _ = writeln!(out, "derive {pred}({});", cells.join(", "));
        }
    }
    for r in &program.rules {
        let body: Vec<String> = r.body.iter().map(atom).collect();
        let _ = writeln!(out, "pub derive {} :- {};", atom(&r.head), body.join(", "));
    }
    let _ = writeln!(
        out,
        "pub struct Pair {{ a: Int, b: Int }}\npub query all_{name}() -> [Pair] {{\n    select Pair {{ a: x, b: y }} from {name}(x, y)\n}}",
        name = first.name
    );
    Some(out)
}

/// The number of rows in `ox query --format csv` output (the header is not
/// a row).
pub fn csv_rows(stdout: &str) -> u64 {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
        .saturating_sub(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Workload;

    #[test]
    fn transitive_closure_package() {
        let w = Workload::Tc { nodes: 0, edges: 0 };
        let program = w.program();
        let facts = vec![("edge", vec![vec![1, 2], vec![2, 3]])];
        assert_eq!(
            root(&program, &facts).as_deref(),
            Some(
                "derive edge(1, 2);\nderive edge(2, 3);\n\
                 pub derive path(x, y) :- edge(x, y);\n\
                 pub derive path(x, z) :- path(x, y), edge(y, z);\n\
                 pub struct Pair { a: Int, b: Int }\n\
                 pub query all_path() -> [Pair] {\n    select Pair { a: x, b: y } from path(x, y)\n}\n"
            )
        );
        assert_eq!(query_name(&program).as_deref(), Some("bench::all_path"));
        assert_eq!(csv_rows("a,b\n1,2\n1,3\n"), 2);
        assert_eq!(csv_rows(""), 0);
    }

    #[test]
    fn only_binary_outputs_get_a_package() {
        let program = Workload::Lubm { universities: 1 }.program();
        assert!(query_name(&program).is_some(), "sc is binary");
        let mut ternary = program.clone();
        ternary.derived.retain(|p| p.arity == 3);
        assert_eq!(root(&ternary, &vec![]), None);
    }
}
