//! The workloads' rules written with the `ascent` crate: compiled,
//! specialised Datalog — the hand-written limit the reasoner is measured
//! against.

use ascent::ascent;

use crate::lubm::{class, prop};
use crate::workload::{Facts, Workload};

ascent! {
    struct Tc;
    relation edge(u32, u32);
    relation path(u32, u32);
    path(x, y) <-- edge(x, y);
    path(x, z) <-- path(x, y), edge(y, z);
}

ascent! {
    struct Sg;
    relation par(u32, u32);
    relation sg(u32, u32);
    sg(x, y) <-- par(x, p), par(y, p);
    sg(x, y) <-- par(x, a), sg(a, b), par(y, b);
}

ascent! {
    struct Taxonomy;
    relation inst(u32, u32);
    relation sub(u32, u32);
    relation typ(u32, u32);
    typ(x, c) <-- inst(x, c);
    typ(x, d) <-- typ(x, c), sub(c, d);
}

const GRADUATE_STUDENT: u32 = class::GRADUATE_STUDENT as u32;
const UNIVERSITY: u32 = class::UNIVERSITY as u32;
const STUDENT: u32 = class::STUDENT as u32;
const FACULTY: u32 = class::FACULTY as u32;
const PERSON: u32 = class::PERSON as u32;
const MEMBER_OF: u32 = prop::MEMBER_OF as u32;
const SUB_ORGANIZATION_OF: u32 = prop::SUB_ORGANIZATION_OF as u32;
const UNDERGRADUATE_DEGREE_FROM: u32 = prop::UNDERGRADUATE_DEGREE_FROM as u32;
const ADVISOR: u32 = prop::ADVISOR as u32;
const TAKES_COURSE: u32 = prop::TAKES_COURSE as u32;
const TEACHER_OF: u32 = prop::TEACHER_OF as u32;
const HAS_ALUMNUS: u32 = prop::HAS_ALUMNUS as u32;

// Constants are written `(NAME)`: an expression, so ascent binds it as a
// lookup key rather than matching a pattern after the scan.
ascent! {
    struct Lubm;
    relation triple(u32, u32, u32);
    relation asserted(u32, u32);
    relation subclass(u32, u32);
    relation subprop(u32, u32);
    relation dom(u32, u32);
    relation rng(u32, u32);
    relation inverse(u32, u32);
    relation transitive(u32);
    relation sc(u32, u32);
    relation sp(u32, u32);
    relation t(u32, u32, u32);
    relation typ(u32, u32);
    relation q1(u32, u32);
    relation q2(u32, u32, u32);
    relation q3(u32, u32);
    relation q4(u32, u32);

    sc(c, d) <-- subclass(c, d);
    sc(c, e) <-- sc(c, d), subclass(d, e);
    sp(p, q) <-- subprop(p, q);
    sp(p, r) <-- sp(p, q), subprop(q, r);

    t(s, p, o) <-- triple(s, p, o);
    t(s, q, o) <-- t(s, p, o), sp(p, q);
    t(o, q, s) <-- t(s, p, o), inverse(p, q);
    t(s, p, u) <-- transitive(p), t(s, p, o), t(o, p, u);

    typ(x, c) <-- asserted(x, c);
    typ(s, c) <-- t(s, p, _o), dom(p, c);
    typ(o, c) <-- t(_s, p, o), rng(p, c);
    typ(x, d) <-- typ(x, c), sc(c, d);

    q1(x, u) <-- typ(x, (GRADUATE_STUDENT)), t(x, (MEMBER_OF), d),
        t(d, (SUB_ORGANIZATION_OF), u), typ(u, (UNIVERSITY)), t(x, (UNDERGRADUATE_DEGREE_FROM), u);
    q2(x, y, z) <-- typ(x, (STUDENT)), t(x, (ADVISOR), y), typ(y, (FACULTY)),
        t(x, (TAKES_COURSE), z), t(y, (TEACHER_OF), z);
    q3(x, u) <-- typ(u, (UNIVERSITY)), t(u, (HAS_ALUMNUS), x), typ(x, (PERSON));
    q4(x, u) <-- typ(x, (PERSON)), t(x, (MEMBER_OF), d), t(d, (SUB_ORGANIZATION_OF), u),
        typ(u, (UNIVERSITY));
}

/// Why facts do not fit an ascent program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fact {pred}({row:?}) does not fit: values must be 0..2^32 with the predicate's arity")]
pub struct BadFact {
    pub pred: String,
    pub row: Vec<i64>,
}

/// The rows of `pred` in `facts` as `N`-tuples of `u32`.
fn rows<const N: usize>(facts: &Facts, pred: &str) -> Result<Vec<[u32; N]>, BadFact> {
    let mut out = Vec::new();
    for (name, rows) in facts.iter().filter(|(name, _)| *name == pred) {
        for row in rows {
            let bad = || BadFact {
                pred: name.to_string(),
                row: row.clone(),
            };
            let converted: Vec<u32> = row
                .iter()
                .map(|&k| u32::try_from(k).map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            out.push(converted.try_into().map_err(|_| bad())?);
        }
    }
    Ok(out)
}

fn pairs(facts: &Facts, pred: &str) -> Result<Vec<(u32, u32)>, BadFact> {
    Ok(rows::<2>(facts, pred)?
        .into_iter()
        .map(|[a, b]| (a, b))
        .collect())
}

/// Evaluates `workload`'s rules over `facts` with the ascent program and
/// returns the derived predicates' sizes, in the workload program's order.
pub fn run(workload: &Workload, facts: &Facts) -> Result<Vec<(&'static str, usize)>, BadFact> {
    Ok(match workload {
        Workload::Tc { .. } => {
            let mut p = Tc {
                edge: pairs(facts, "edge")?,
                ..Default::default()
            };
            p.run();
            vec![("path", p.path.len())]
        }
        Workload::Sg { .. } => {
            let mut p = Sg {
                par: pairs(facts, "par")?,
                ..Default::default()
            };
            p.run();
            vec![("sg", p.sg.len())]
        }
        Workload::Taxonomy { .. } => {
            let mut p = Taxonomy {
                inst: pairs(facts, "inst")?,
                sub: pairs(facts, "sub")?,
                ..Default::default()
            };
            p.run();
            vec![("typ", p.typ.len())]
        }
        Workload::Lubm { .. } => {
            let mut p = Lubm {
                triple: rows::<3>(facts, "triple")?
                    .into_iter()
                    .map(|[s, q, o]| (s, q, o))
                    .collect(),
                asserted: pairs(facts, "asserted")?,
                subclass: pairs(facts, "subclass")?,
                subprop: pairs(facts, "subprop")?,
                dom: pairs(facts, "dom")?,
                rng: pairs(facts, "rng")?,
                inverse: pairs(facts, "inverse")?,
                transitive: rows::<1>(facts, "transitive")?
                    .into_iter()
                    .map(|[q]| (q,))
                    .collect(),
                ..Default::default()
            };
            p.run();
            vec![
                ("sc", p.sc.len()),
                ("sp", p.sp.len()),
                ("t", p.t.len()),
                ("typ", p.typ.len()),
                ("q1", p.q1.len()),
                ("q2", p.q2.len()),
                ("q3", p.q3.len()),
                ("q4", p.q4.len()),
            ]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oxrun;

    /// ox and ascent derive the same tuples' counts on small workloads.
    #[test]
    fn ascent_agrees_with_ox() {
        for w in [
            Workload::Tc {
                nodes: 60,
                edges: 150,
            },
            Workload::Sg { nodes: 150 },
            Workload::Taxonomy {
                depth: 100,
                instances: 3,
            },
            Workload::Lubm { universities: 1 },
        ] {
            let facts = w.facts(11);
            let program = w.program();
            let compiled = oxrun::compile(&program).expect("compiles");
            let fixpoint =
                oxrun::evaluate(&compiled, oxrun::store_of(&program, &facts).expect("loads"))
                    .expect("evaluates");
            let ox = oxrun::counts(&program, &fixpoint).per_predicate;
            assert_eq!(run(&w, &facts), Ok(ox), "{w}");
        }
    }

    #[test]
    fn negative_values_are_refused() {
        let w = Workload::Tc { nodes: 2, edges: 1 };
        let facts = vec![("edge", vec![vec![-1, 0]])];
        assert!(run(&w, &facts).is_err());
    }
}
