//! The workloads: their rules and their seeded, deterministic base facts.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::datalog::{atom, rule, v, Pred, Program};
use crate::lubm;

/// One benchmark workload. Its [`fmt::Display`] form (e.g. `tc-1000-3000`)
/// is its name on the command line and its folder name, and parses back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Transitive closure of a random graph with `edges` distinct edges
    /// (no self-loops) over `nodes` nodes.
    Tc { nodes: u32, edges: u32 },
    /// Same generation over a random recursive tree of `nodes` nodes.
    Sg { nodes: u32 },
    /// LUBM-style data for `universities` universities.
    Lubm { universities: u32 },
    /// A subclass chain of `depth` axioms with `instances` instances of the
    /// most specific class.
    Taxonomy { depth: u32, instances: u32 },
}

/// Base facts: per base predicate of the workload's [`Program`], in its
/// order, the rows.
pub type Facts = Vec<(&'static str, Vec<Vec<i64>>)>;

/// The seed every published number uses.
pub const SEED: u64 = 1;

/// Why a workload name does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown workload `{0}` (expected tc-N-E, sg-N, lubm-U or taxonomy-D-I)")]
pub struct UnknownWorkload(pub String);

impl Workload {
    /// The workloads of the published table, smallest first.
    pub fn standard() -> Vec<Workload> {
        vec![
            Workload::Tc {
                nodes: 1_000,
                edges: 3_000,
            },
            Workload::Tc {
                nodes: 2_000,
                edges: 6_000,
            },
            Workload::Sg { nodes: 3_000 },
            Workload::Lubm { universities: 1 },
            Workload::Lubm { universities: 10 },
            Workload::Taxonomy {
                depth: 10_000,
                instances: 10,
            },
        ]
    }

    /// The rules and predicates.
    pub fn program(&self) -> Program {
        let p2 = |name| Pred { name, arity: 2 };
        match self {
            Workload::Tc { .. } => Program {
                base: vec![p2("edge")],
                derived: vec![p2("path")],
                rules: vec![
                    rule(
                        atom("path", vec![v("x"), v("y")]),
                        vec![atom("edge", vec![v("x"), v("y")])],
                    ),
                    rule(
                        atom("path", vec![v("x"), v("z")]),
                        vec![
                            atom("path", vec![v("x"), v("y")]),
                            atom("edge", vec![v("y"), v("z")]),
                        ],
                    ),
                ],
            },
            // `par(child, parent)`.
            Workload::Sg { .. } => Program {
                base: vec![p2("par")],
                derived: vec![p2("sg")],
                rules: vec![
                    rule(
                        atom("sg", vec![v("x"), v("y")]),
                        vec![
                            atom("par", vec![v("x"), v("p")]),
                            atom("par", vec![v("y"), v("p")]),
                        ],
                    ),
                    rule(
                        atom("sg", vec![v("x"), v("y")]),
                        vec![
                            atom("par", vec![v("x"), v("a")]),
                            atom("sg", vec![v("a"), v("b")]),
                            atom("par", vec![v("y"), v("b")]),
                        ],
                    ),
                ],
            },
            Workload::Lubm { .. } => lubm::program(),
            // `inst(x, c)`, `sub(c, d)`.
            Workload::Taxonomy { .. } => Program {
                base: vec![p2("inst"), p2("sub")],
                derived: vec![p2("typ")],
                rules: vec![
                    rule(
                        atom("typ", vec![v("x"), v("c")]),
                        vec![atom("inst", vec![v("x"), v("c")])],
                    ),
                    rule(
                        atom("typ", vec![v("x"), v("d")]),
                        vec![
                            atom("typ", vec![v("x"), v("c")]),
                            atom("sub", vec![v("c"), v("d")]),
                        ],
                    ),
                ],
            },
        }
    }

    /// The base facts drawn from `seed`: the same seed gives the same facts
    /// on every machine (ChaCha8 is portable).
    pub fn facts(&self, seed: u64) -> Facts {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        match *self {
            Workload::Tc { nodes, edges } => vec![("edge", random_graph(nodes, edges, &mut rng))],
            Workload::Sg { nodes } => vec![("par", random_tree(nodes, &mut rng))],
            Workload::Lubm { universities } => lubm::facts(universities as usize, &mut rng),
            Workload::Taxonomy { depth, instances } => {
                // Instances get ids above the classes 0..=depth.
                let first_instance = i64::from(depth) + 1;
                let inst = (0..i64::from(instances))
                    .map(|i| vec![first_instance + i, 0])
                    .collect();
                let sub = (0..i64::from(depth)).map(|c| vec![c, c + 1]).collect();
                vec![("inst", inst), ("sub", sub)]
            }
        }
    }
}

/// `edges` distinct directed edges between distinct nodes of `0..nodes`
/// (fewer when the graph cannot hold that many).
fn random_graph(nodes: u32, edges: u32, rng: &mut ChaCha8Rng) -> Vec<Vec<i64>> {
    let n = u64::from(nodes);
    let possible = n * n.saturating_sub(1);
    let wanted = u64::from(edges).min(possible) as usize;
    let mut seen = FxHashSet::default();
    let mut out = Vec::with_capacity(wanted);
    while out.len() < wanted {
        let (a, b) = (rng.gen_range(0..nodes), rng.gen_range(0..nodes));
        if a != b && seen.insert((a, b)) {
            out.push(vec![i64::from(a), i64::from(b)]);
        }
    }
    out
}

/// A random recursive tree: node `i > 0` hangs under a uniformly chosen
/// earlier node. Rows are `(child, parent)`.
fn random_tree(nodes: u32, rng: &mut ChaCha8Rng) -> Vec<Vec<i64>> {
    (1..nodes)
        .map(|child| vec![i64::from(child), i64::from(rng.gen_range(0..child))])
        .collect()
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Workload::Tc { nodes, edges } => write!(f, "tc-{nodes}-{edges}"),
            Workload::Sg { nodes } => write!(f, "sg-{nodes}"),
            Workload::Lubm { universities } => write!(f, "lubm-{universities}"),
            Workload::Taxonomy { depth, instances } => write!(f, "taxonomy-{depth}-{instances}"),
        }
    }
}

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(s: &str) -> Result<Workload, UnknownWorkload> {
        let unknown = || UnknownWorkload(s.to_string());
        let mut parts = s.split('-');
        let kind = parts.next().ok_or_else(unknown)?;
        let numbers: Vec<u32> = parts
            .map(|p| p.parse().map_err(|_| unknown()))
            .collect::<Result<_, _>>()?;
        match (kind, numbers.as_slice()) {
            ("tc", &[nodes, edges]) => Ok(Workload::Tc { nodes, edges }),
            ("sg", &[nodes]) => Ok(Workload::Sg { nodes }),
            ("lubm", &[universities]) => Ok(Workload::Lubm { universities }),
            ("taxonomy", &[depth, instances]) => Ok(Workload::Taxonomy { depth, instances }),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::standard() {
            assert_eq!(w.to_string().parse::<Workload>(), Ok(w));
        }
        assert!("tc-1".parse::<Workload>().is_err());
        assert!("lubm-x".parse::<Workload>().is_err());
        assert!("nope-3".parse::<Workload>().is_err());
    }

    #[test]
    fn same_seed_same_facts_other_seed_other_facts() {
        for w in [
            Workload::Tc {
                nodes: 50,
                edges: 120,
            },
            Workload::Sg { nodes: 60 },
            Workload::Lubm { universities: 1 },
        ] {
            assert_eq!(w.facts(7), w.facts(7), "{w}");
            assert_ne!(w.facts(7), w.facts(8), "{w}");
        }
    }

    #[test]
    fn random_graph_has_distinct_edges_without_loops() {
        let w = Workload::Tc {
            nodes: 20,
            edges: 100,
        };
        let facts = w.facts(3);
        let edges = &facts[0].1;
        assert_eq!(edges.len(), 100);
        let distinct: FxHashSet<_> = edges.iter().collect();
        assert_eq!(distinct.len(), 100);
        assert!(edges.iter().all(|e| e[0] != e[1] && e[0] < 20 && e[1] < 20));
        // A complete graph caps the count.
        let full = Workload::Tc {
            nodes: 3,
            edges: 100,
        };
        assert_eq!(full.facts(1)[0].1.len(), 6);
    }

    #[test]
    fn random_tree_hangs_every_node_under_an_earlier_one() {
        let facts = Workload::Sg { nodes: 200 }.facts(5);
        let rows = &facts[0].1;
        assert_eq!(rows.len(), 199);
        assert!(rows.iter().all(|r| r[1] < r[0]));
    }

    #[test]
    fn facts_follow_the_programs_base_predicates() {
        for w in Workload::standard()
            .into_iter()
            .filter(|w| !matches!(w, Workload::Lubm { universities: 10 }))
        {
            let program = w.program();
            let facts = w.facts(SEED);
            let names: Vec<&str> = facts.iter().map(|(n, _)| *n).collect();
            let base: Vec<&str> = program.base.iter().map(|p| p.name).collect();
            assert_eq!(names, base, "{w}");
            for ((_, rows), pred) in facts.iter().zip(&program.base) {
                assert!(rows.iter().all(|r| r.len() == pred.arity), "{w}");
            }
            // Every rule names declared predicates with their arity.
            for r in &program.rules {
                for a in std::iter::once(&r.head).chain(&r.body) {
                    let p = program.predicates().find(|p| p.name == a.pred);
                    assert_eq!(p.map(|p| p.arity), Some(a.args.len()), "{w}: {}", a.pred);
                }
            }
        }
    }
}
