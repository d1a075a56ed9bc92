//! Transitive closures kept up under deletion by reachability.
//!
//! A stratum whose one predicate `p` is the transitive closure of one
//! binary relation `e` (`p(x, y) :- e(x, y).` with `p(x, y) :- p(x, z),
//! e(z, y).`, `p(x, y) :- e(x, z), p(z, y).` or `p(x, y) :- p(x, z),
//! p(z, y).`) holds exactly the pairs joined by a path of `e` edges. When
//! edges go, the pairs that go with them are found from the graph of the
//! edges that remain instead of fact by fact: its strongly connected
//! components, and per component the nodes it reaches, as a bitmap. A
//! removed edge `a → b` whose `a` still reaches `b` takes no pair with it
//! (every path through it has a detour); if every removed edge is such
//! one, no pair goes at all. Otherwise the closure's rows are read once and
//! those the remaining graph no longer joins are the ones lost.
//!
//! Over-deletion fact by fact checks each fact a deleted one reaches for
//! another derivation; on a closure of a well-connected graph it reaches a
//! large share of the relation while removing little of it (see
//! `BENCHMARKS.md`). Here the work is the size of the graph, plus one read
//! of the closure when pairs are lost.
//!
//! The rows of a closure updated this way no longer follow its derivations
//! (a pair's first derivation may have gone while a later one stays),
//! which the support checks of over-deletion rely on: the relation records
//! that (see `Relation::lose_derivation_order`), and a deletion that cannot
//! be handled here recomputes the stratum instead. Its witnesses are not
//! kept up either: an explanation derives a pair along a shortest path of
//! the edges present ([`Closure::derivation`]).

use std::collections::hash_map::Entry;
use std::sync::Arc;

use ox_ir::analysis::Stratum;
use ox_ir::{Literal, PredId, Rule, Term, VarId};
use rustc_hash::FxHashMap;

use crate::budget::ROWS_PER_CHECK;
use crate::store::{key_of, FactStore, Id, Index, RowSet};
use crate::{Budget, EvalError};

/// A stratum computing the transitive closure `pred` of the relation
/// `edge`, with one rule of each kind to explain its pairs by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closure {
    pub(crate) pred: usize,
    pub(crate) edge: usize,
    /// `p(from, to) :- e(from, to).`
    copy: CopyRule,
    /// A rule joining two steps `from → via → to`.
    extend: ExtendRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CopyRule {
    rule: usize,
    from: VarId,
    to: VarId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExtendRule {
    rule: usize,
    steps: Steps,
    from: VarId,
    via: VarId,
    to: VarId,
}

/// Which premises a rule extending paths joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Steps {
    PathThenEdge,
    EdgeThenPath,
    PathThenPath,
}

/// The closure `stratum` computes, if its rules are those of a transitive
/// closure of one relation: at least one rule copying the edges and one
/// extending paths, every rule one of those shapes over the same edge
/// relation, all plain (no constants, comparisons, negations or markers).
pub(crate) fn recognise(stratum: &Stratum, rules: &[Rule]) -> Option<Closure> {
    let [pred] = stratum.preds[..] else {
        return None;
    };
    let mut edge: Option<PredId> = None;
    let mut copy: Option<CopyRule> = None;
    let mut extend: Option<ExtendRule> = None;
    for &r in &stratum.rules {
        let rule = rules.get(r)?;
        if !rule.defeasibility.is_plain() {
            return None;
        }
        let (x, y) = var_pair(&rule.head.args)?;
        let atoms: Vec<(PredId, VarId, VarId)> = rule
            .body
            .iter()
            .map(|literal| match literal {
                Literal::Pos(atom) => var_pair(&atom.args).map(|(a, b)| (atom.pred, a, b)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let edge_of = |p: PredId| (p != pred).then_some(p);
        let used = match atoms[..] {
            [(e, a, b)] if (a, b) == (x, y) => {
                copy.get_or_insert(CopyRule {
                    rule: r,
                    from: x,
                    to: y,
                });
                edge_of(e)?
            }
            [first, second] => {
                // One premise ends where the other starts: `x → z → y`.
                let (from, to) = if first.1 == x && second.2 == y {
                    (first, second)
                } else if second.1 == x && first.2 == y {
                    (second, first)
                } else {
                    return None;
                };
                let z = from.2;
                if z != to.1 || z == x || z == y {
                    return None;
                }
                let (steps, used) = match (from.0 == pred, to.0 == pred) {
                    (true, true) => (Steps::PathThenPath, None),
                    (true, false) => (Steps::PathThenEdge, Some(edge_of(to.0)?)),
                    (false, true) => (Steps::EdgeThenPath, Some(edge_of(from.0)?)),
                    (false, false) => return None,
                };
                extend.get_or_insert(ExtendRule {
                    rule: r,
                    steps,
                    from: x,
                    via: z,
                    to: y,
                });
                match used {
                    Some(used) => used,
                    None => continue,
                }
            }
            _ => return None,
        };
        if *edge.get_or_insert(used) != used {
            return None;
        }
    }
    Some(Closure {
        pred: pred.index(),
        edge: edge?.index(),
        copy: copy?,
        extend: extend?,
    })
}

/// The two distinct variables of a binary atom.
fn var_pair(args: &[Term]) -> Option<(VarId, VarId)> {
    match args {
        [Term::Var(a), Term::Var(b)] if a != b => Some((*a, *b)),
        _ => None,
    }
}

/// The rows of `closure.pred` that the edges left once the rows `gone` of
/// `closure.edge` are removed no longer join, ascending; `None` when the
/// bitmaps of what each component reaches would take more room than the
/// closure itself (more than eight bytes per pair, and over 4 MiB).
pub(crate) fn lost_rows(
    store: &FactStore,
    closure: Closure,
    gone: &RowSet,
    budget: &Budget,
) -> Result<Option<Vec<u32>>, EvalError> {
    let edges = &store.rels[closure.edge];
    let paths = &store.rels[closure.pred];
    let mut graph = Graph::default();
    for (r, edge) in (0..edges.len()).zip(edges.rows().all()) {
        if (r as usize).is_multiple_of(ROWS_PER_CHECK) {
            budget.check()?;
        }
        if edges.is_live(r) && !gone.contains(r) {
            graph.add_edge(edge[0], edge[1]);
        }
    }
    let reach = match graph.reach(paths.fact_count() as usize, budget)? {
        Some(reach) => reach,
        None => return Ok(None),
    };
    let nodes = NodeLookup::new(&graph.node_of, paths.fact_count() as usize);
    let joined = |from: Id, to: Id| match (nodes.get(from), nodes.get(to)) {
        (Some(a), Some(b)) => reach.joins(a, b),
        _ => false,
    };
    // An edge taken away whose ends are still joined: every path through
    // it has a detour. If all are, no pair is lost.
    let cut = gone.iter().any(|r| {
        r < edges.len() && edges.is_live(r) && {
            let edge = edges.row(r);
            !joined(edge[0], edge[1])
        }
    });
    if !cut {
        return Ok(Some(Vec::new()));
    }
    let mut lost = Vec::new();
    for (r, pair) in (0..paths.len()).zip(paths.rows().all()) {
        if (r as usize).is_multiple_of(ROWS_PER_CHECK) {
            budget.check()?;
        }
        if !joined(pair[0], pair[1]) && paths.is_live(r) {
            lost.push(r);
        }
    }
    Ok(Some(lost))
}

/// A rule, and the values of its variables (`None` for those left free).
pub(crate) type RuleBindings = (usize, Vec<Option<Id>>);

impl Closure {
    /// A derivation of the pair `(from, to)` along a shortest path of edges
    /// from `from` to `to`: the rule (of `rules`), and the values of its
    /// variables (`None` for those it leaves free). A rule joining
    /// two paths splits the path in the middle. Every premise is a pair of
    /// a shorter path (or an edge), so following these derivations ends,
    /// and no proof of the pair is lower. `None` when the edges do not
    /// join the pair.
    pub(crate) fn derivation(
        &self,
        store: &FactStore,
        rules: &[Rule],
        paths: &mut ShortestPaths,
        (from, to): (Id, Id),
        budget: &Budget,
    ) -> Result<Option<RuleBindings>, EvalError> {
        let Some(path) = paths.between(store, self.edge, from, to, budget)? else {
            return Ok(None);
        };
        let last = path.len() - 1;
        let rule = if last == 1 {
            self.copy.rule
        } else {
            self.extend.rule
        };
        let mut env = vec![None; rules.get(rule).map_or(0, |r| r.var_count as usize)];
        let mut set = |v: VarId, id: Id| {
            if let Some(slot) = env.get_mut(v.0 as usize) {
                *slot = Some(id);
            }
        };
        if last == 1 {
            set(self.copy.from, from);
            set(self.copy.to, to);
        } else {
            let via = match self.extend.steps {
                Steps::PathThenEdge => path[last - 1],
                Steps::EdgeThenPath => path[1],
                Steps::PathThenPath => path[last.div_ceil(2)],
            };
            set(self.extend.from, from);
            set(self.extend.via, via);
            set(self.extend.to, to);
        }
        Ok(Some((rule, env)))
    }
}

/// Shortest paths through a closure's edges, searched breadth first from
/// each start asked for, through the edge relation's index on its first
/// column (shared with evaluation, built once if it has none). A search
/// stops at the level where it finds its target and goes on from there
/// for the next target of the same start (an explanation asks about the
/// pairs of one path after another).
#[derive(Default)]
pub(crate) struct ShortestPaths {
    by_source: Option<Arc<Index>>,
    searches: FxHashMap<Id, Search>,
}

/// One breadth-first search: every node reached so far with the node
/// before it, and the nodes of the last level reached, not yet followed.
struct Search {
    before: FxHashMap<Id, Id>,
    frontier: Vec<Id>,
}

impl ShortestPaths {
    /// The nodes of a shortest path of one edge or more from `from` to `to`
    /// over the live rows of relation `edge`, both ends included.
    fn between(
        &mut self,
        store: &FactStore,
        edge: usize,
        from: Id,
        to: Id,
        budget: &Budget,
    ) -> Result<Option<Vec<Id>>, EvalError> {
        let edges = &store.rels[edge];
        let by_source = match &mut self.by_source {
            Some(index) => &*index,
            none => &*none.insert(edges.index_shared(1, budget)?),
        };
        // The start is not reached until a cycle leads back to it.
        let search = self.searches.entry(from).or_insert_with(|| Search {
            before: FxHashMap::default(),
            frontier: vec![from],
        });
        while !search.before.contains_key(&to) && !search.frontier.is_empty() {
            budget.check()?;
            let mut next = Vec::new();
            for u in std::mem::take(&mut search.frontier) {
                for &r in by_source.rows(key_of(1, |_| u)) {
                    if !edges.is_live(r) {
                        continue;
                    }
                    let pair = edges.row(r);
                    if pair[0] != u {
                        continue;
                    }
                    if let Entry::Vacant(reached) = search.before.entry(pair[1]) {
                        reached.insert(u);
                        next.push(pair[1]);
                    }
                }
            }
            search.frontier = next;
        }
        if !search.before.contains_key(&to) {
            return Ok(None);
        }
        let mut path = vec![to];
        let mut at = to;
        loop {
            let previous = search.before[&at];
            path.push(previous);
            if previous == from {
                break;
            }
            at = previous;
        }
        path.reverse();
        Ok(Some(path))
    }
}

/// Store ids to node numbers for the pass over a closure: an array
/// indexed by id (one probe per lookup) unless the ids run far beyond the
/// closure's size, else the graph's map.
enum NodeLookup<'a> {
    Dense(Vec<u32>),
    Map(&'a FxHashMap<Id, u32>),
}

impl<'a> NodeLookup<'a> {
    const ABSENT: u32 = u32::MAX;

    fn new(node_of: &'a FxHashMap<Id, u32>, pairs: usize) -> NodeLookup<'a> {
        let end = node_of.keys().max().map_or(0, |&id| id as usize + 1);
        if end > pairs.max(node_of.len()).saturating_mul(2) {
            return NodeLookup::Map(node_of);
        }
        let mut dense = vec![Self::ABSENT; end];
        for (&id, &node) in node_of {
            dense[id as usize] = node;
        }
        NodeLookup::Dense(dense)
    }

    #[inline]
    fn get(&self, id: Id) -> Option<u32> {
        match self {
            NodeLookup::Dense(dense) => dense
                .get(id as usize)
                .copied()
                .filter(|&n| n != Self::ABSENT),
            NodeLookup::Map(map) => map.get(&id).copied(),
        }
    }
}

/// A directed graph over store ids, numbered densely in order of appearance.
#[derive(Default)]
struct Graph {
    node_of: FxHashMap<Id, u32>,
    edges: Vec<(u32, u32)>,
}

impl Graph {
    fn node(&mut self, id: Id) -> u32 {
        let next = self.node_of.len() as u32;
        *self.node_of.entry(id).or_insert(next)
    }

    fn add_edge(&mut self, from: Id, to: Id) {
        let edge = (self.node(from), self.node(to));
        self.edges.push(edge);
    }

    /// What each node reaches by one edge or more; `None` when the bitmaps
    /// (one per strongly connected component) would outgrow eight bytes
    /// per pair of a closure of `pairs` and 4 MiB.
    fn reach(&self, pairs: usize, budget: &Budget) -> Result<Option<Reach>, EvalError> {
        let n = self.node_of.len();
        let successors = Adjacency::new(n, &self.edges);
        let components = strongly_connected(&successors);
        let words = n.div_ceil(64);
        let room = (pairs.saturating_mul(8)).max(4 << 20);
        if components.count.saturating_mul(words).saturating_mul(8) > room {
            return Ok(None);
        }
        let mut bits = vec![0u64; components.count * words];
        // Components come successors first: each one's successors are done.
        let mut last_merged = vec![usize::MAX; components.count];
        // Edges and merged bitmap words since the clock was last looked at.
        let mut work = 0usize;
        for (c, members) in components.members.iter().enumerate() {
            let (done, rest) = bits.split_at_mut(c * words);
            let own = &mut rest[..words];
            let cyclic = members.len() > 1;
            for &u in members {
                let u = u as u32;
                if cyclic {
                    own[u as usize / 64] |= 1 << (u % 64);
                }
                work += 1 + successors.of(u).len();
                if work >= ROWS_PER_CHECK {
                    work = 0;
                    budget.check()?;
                }
                for &v in successors.of(u) {
                    own[v as usize / 64] |= 1 << (v % 64);
                    let d = components.of[v as usize];
                    if d != c && last_merged[d] != c {
                        last_merged[d] = c;
                        work += words;
                        let theirs = &done[d * words..(d + 1) * words];
                        for (w, t) in own.iter_mut().zip(theirs) {
                            *w |= t;
                        }
                    }
                }
            }
        }
        Ok(Some(Reach {
            component_of: components.of,
            bits,
            words,
        }))
    }
}

/// Successor lists, back to back.
struct Adjacency {
    starts: Vec<u32>,
    targets: Vec<u32>,
}

impl Adjacency {
    fn new(nodes: usize, edges: &[(u32, u32)]) -> Adjacency {
        let mut starts = vec![0u32; nodes + 1];
        for &(from, _) in edges {
            starts[from as usize + 1] += 1;
        }
        for i in 0..nodes {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut targets = vec![0u32; edges.len()];
        for &(from, to) in edges {
            targets[next[from as usize] as usize] = to;
            next[from as usize] += 1;
        }
        Adjacency { starts, targets }
    }

    fn of(&self, node: u32) -> &[u32] {
        &self.targets[self.starts[node as usize] as usize..self.starts[node as usize + 1] as usize]
    }
}

/// Strongly connected components, numbered so that every edge between two
/// of them goes from a higher number to a lower one.
struct Components {
    count: usize,
    /// Per node, its component.
    of: Vec<usize>,
    members: Vec<Vec<usize>>,
}

fn strongly_connected(graph: &Adjacency) -> Components {
    let n = graph.starts.len() - 1;
    let (of, members) = ox_ir::analysis::strongly_connected(n, |v, i| {
        graph.of(v as u32).get(i).map(|&w| w as usize)
    });
    Components {
        count: members.len(),
        of,
        members,
    }
}

/// Per strongly connected component, the nodes reachable from it by one
/// edge or more.
struct Reach {
    component_of: Vec<usize>,
    bits: Vec<u64>,
    words: usize,
}

impl Reach {
    fn joins(&self, from: u32, to: u32) -> bool {
        let c = self.component_of[from as usize];
        self.bits[c * self.words + to as usize / 64] & (1 << (to % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::*;
    use crate::Program;
    use ox_ir::CmpOp;

    /// The closure each stratum of `module` computes, as (pred, edge) ids.
    fn closures_of(module: &ox_ir::Module) -> Vec<(usize, usize)> {
        let program = Program::new(module).expect("compiles");
        program
            .closures
            .iter()
            .flatten()
            .map(|c| (c.pred, c.edge))
            .collect()
    }

    #[test]
    fn the_three_ways_of_writing_a_closure_are_recognised() {
        let bodies = [
            vec![
                pos(PredId(1), vec![v(0), v(1)]),
                pos(PredId(0), vec![v(1), v(2)]),
            ],
            vec![
                pos(PredId(0), vec![v(1), v(2)]),
                pos(PredId(1), vec![v(0), v(1)]),
            ],
            vec![
                pos(PredId(0), vec![v(0), v(1)]),
                pos(PredId(1), vec![v(1), v(2)]),
            ],
            vec![
                pos(PredId(1), vec![v(0), v(1)]),
                pos(PredId(1), vec![v(1), v(2)]),
            ],
        ];
        for body in bodies {
            let mut m = ModuleBuilder::new();
            let edge = m.pred("edge", 2);
            let tc = m.pred("tc", 2);
            m.rule(
                atom(tc, vec![v(0), v(1)]),
                vec![pos(edge, vec![v(0), v(1)])],
            );
            m.rule(atom(tc, vec![v(0), v(2)]), body.clone());
            assert_eq!(closures_of(&m.build()), vec![(1, 0)], "{body:?}");
        }
    }

    #[test]
    fn a_closure_written_in_argon_is_recognised() {
        let source = "derive edge(1, 2);\n\
                      derive reach(x, y) :- edge(x, y);\n\
                      derive reach(x, z) :- reach(x, y), edge(y, z);\n";
        let files = vec![("src/root.ar".to_string(), source.to_string())];
        let compiled = ox_compiler::compile_sources(&ox_compiler::Manifest::new("pkg"), &files)
            .unwrap_or_else(|_| panic!("compiles"));
        let module = compiled.module;
        let index = |name: &str| {
            module
                .predicates
                .iter()
                .position(|p| p.name == name)
                .expect("declared")
        };
        assert_eq!(closures_of(&module), vec![(index("reach"), index("edge"))]);
    }

    #[test]
    fn rules_that_do_more_than_a_closure_are_not() {
        let edge = PredId(0);
        let tc = PredId(1);
        let other = PredId(2);
        let copy = || {
            (
                atom(tc, vec![v(0), v(1)]),
                vec![pos(edge, vec![v(0), v(1)])],
            )
        };
        let extend = |step: PredId| {
            (
                atom(tc, vec![v(0), v(2)]),
                vec![pos(tc, vec![v(0), v(1)]), pos(step, vec![v(1), v(2)])],
            )
        };
        let programs = [
            // Steps along another relation than the one copied: a taxonomy.
            vec![copy(), extend(other)],
            // No recursion, or no copy.
            vec![copy()],
            vec![extend(edge)],
            // A constant, a comparison, a reversed pair, a third premise.
            vec![
                copy(),
                (
                    atom(tc, vec![int(3), v(2)]),
                    vec![pos(tc, vec![int(3), v(1)]), pos(edge, vec![v(1), v(2)])],
                ),
            ],
            vec![
                copy(),
                extend(edge),
                (
                    atom(tc, vec![v(0), v(1)]),
                    vec![pos(other, vec![v(0), v(1)]), cmp(CmpOp::Lt, ev(0), ev(1))],
                ),
            ],
            vec![
                (
                    atom(tc, vec![v(1), v(0)]),
                    vec![pos(edge, vec![v(0), v(1)])],
                ),
                extend(edge),
            ],
            vec![
                copy(),
                (
                    atom(tc, vec![v(0), v(3)]),
                    vec![
                        pos(tc, vec![v(0), v(1)]),
                        pos(edge, vec![v(1), v(2)]),
                        pos(edge, vec![v(2), v(3)]),
                    ],
                ),
            ],
        ];
        for rules in programs {
            let mut m = ModuleBuilder::new();
            m.pred("edge", 2);
            m.pred("tc", 2);
            m.pred("other", 2);
            for (head, body) in rules.clone() {
                m.rule(head, body);
            }
            assert_eq!(closures_of(&m.build()), vec![], "{rules:?}");
        }
    }

    fn graph(edges: &[(u32, u32)]) -> Graph {
        let mut g = Graph::default();
        for &(a, b) in edges {
            g.add_edge(a, b);
        }
        g
    }

    /// Pairs joined by a path, by a search from every node.
    fn paths(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let nodes: std::collections::BTreeSet<u32> =
            edges.iter().flat_map(|&(a, b)| [a, b]).collect();
        let mut out = Vec::new();
        for &start in &nodes {
            let mut seen = std::collections::BTreeSet::new();
            let mut todo = vec![start];
            while let Some(u) = todo.pop() {
                for &(a, b) in edges {
                    if a == u && seen.insert(b) {
                        todo.push(b);
                    }
                }
            }
            out.extend(seen.into_iter().map(|b| (start, b)));
        }
        out
    }

    fn joined_pairs(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let g = graph(edges);
        let reach = g
            .reach(0, &Budget::unlimited())
            .expect("no deadline")
            .expect("small");
        let mut ids: Vec<(&u32, &u32)> = g.node_of.iter().collect();
        ids.sort();
        let mut out = Vec::new();
        for &(&a, &na) in &ids {
            for &(&b, &nb) in &ids {
                if reach.joins(na, nb) {
                    out.push((a, b));
                }
            }
        }
        out
    }

    #[test]
    fn reach_is_the_transitive_closure() {
        let cases: Vec<Vec<(u32, u32)>> = vec![
            vec![(1, 2), (2, 3), (3, 4)],
            vec![(1, 2), (2, 1), (2, 3)],
            vec![(5, 5), (5, 6)],
            vec![(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 4), (6, 1)],
            vec![(1, 2), (1, 3), (2, 4), (3, 4), (4, 2)],
        ];
        for edges in cases {
            assert_eq!(joined_pairs(&edges), paths(&edges), "{edges:?}");
        }
    }

    #[test]
    fn following_a_cut_stops_at_the_deadline() {
        let mut m = ModuleBuilder::new();
        let edge = m.pred("edge", 2);
        let tc = m.pred("tc", 2);
        m.linear_closure(edge, edge, tc);
        let program = Program::new(&m.build()).expect("compiles");
        let mut base = crate::FactStore::new(2);
        insert_pairs(&mut base, edge, &[(1, 2), (2, 3)]);
        let store = program.evaluate(base, &ctx()).expect("evaluates");
        let closure = program.closures.iter().flatten().next().copied();
        let closure = closure.expect("recognised");
        let gone: RowSet = [0].into_iter().collect();
        let cut = lost_rows(&store, closure, &gone, &Budget::unlimited()).expect("no deadline");
        assert_eq!(cut.map(|rows| rows.len()), Some(2));
        assert!(matches!(
            lost_rows(&store, closure, &gone, &Budget::expired()),
            Err(EvalError::DeadlineExceeded)
        ));
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let edges: Vec<(u32, u32)> = (0..200_000).map(|i| (i, i + 1)).collect();
        let g = graph(&edges);
        let components = strongly_connected(&Adjacency::new(g.node_of.len(), &g.edges));
        assert_eq!(components.count, 200_001);
        // 200,001 bitmaps of 3,126 words each: far more room than a
        // closure of ten pairs takes.
        assert!(g
            .reach(10, &Budget::unlimited())
            .expect("no deadline")
            .is_none());
    }
}
