//! Static analysis of rules: the predicate dependency graph, stratification
//! of negation, and range restriction (safety) of rule bodies.
//!
//! These are pure functions over the IR. The reasoner runs them when it
//! compiles a program; the compiler runs them to report diagnostics
//! (`OE1303` for an unsafe variable, a stratification error for recursion
//! through negation).

use std::fmt;

use crate::expr::{Builtin, Expr};
use crate::logic::{Literal, Rule, Term, VarId};
use crate::module::{Module, PredId};

/// One edge of the predicate dependency graph: `head` depends on `body`
/// because rule `rule_index` has `body` in its body (negated when `negative`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepEdge {
    pub head: PredId,
    pub body: PredId,
    /// Negated, or read inside an aggregate (both need a lower stratum).
    pub negative: bool,
    /// Read inside an aggregate (a cycle through it cannot be evaluated;
    /// a cycle through plain negation falls back to the well-founded semantics).
    pub aggregate: bool,
    pub rule_index: usize,
}

/// The predicate dependency graph of a set of rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyGraph {
    /// Number of predicates (nodes `PredId(0..pred_count)`).
    pub pred_count: usize,
    /// All edges, in rule order, then body order.
    pub edges: Vec<DepEdge>,
}

impl DependencyGraph {
    /// Builds the graph of `rules`. `pred_count` is raised to cover every
    /// predicate the rules mention, so out-of-range ids never panic.
    pub fn from_rules(rules: &[Rule], pred_count: usize) -> DependencyGraph {
        let mut count = pred_count;
        let mut edges = Vec::new();
        for (rule_index, rule) in rules.iter().enumerate() {
            let head = rule.head.pred;
            count = count.max(head.index() + 1);
            let mut atoms = Vec::new();
            body_atoms(&rule.body, false, &mut atoms);
            for (atom, negative, aggregate) in atoms {
                count = count.max(atom.pred.index() + 1);
                edges.push(DepEdge {
                    head,
                    body: atom.pred,
                    negative,
                    aggregate,
                    rule_index,
                });
            }
        }
        DependencyGraph {
            pred_count: count,
            edges,
        }
    }

    /// For every predicate, the predicates it depends on (sorted, deduplicated).
    pub fn successors(&self) -> Vec<Vec<PredId>> {
        let mut adj = vec![Vec::new(); self.pred_count];
        for e in &self.edges {
            adj[e.head.index()].push(e.body);
        }
        for list in &mut adj {
            list.sort_unstable();
            list.dedup();
        }
        adj
    }
}

/// The atoms of a body with whether each is negated and whether it is read
/// inside an aggregate (aggregate bodies count as negative).
fn body_atoms<'r>(
    body: &'r [Literal],
    in_aggregate: bool,
    out: &mut Vec<(&'r crate::logic::Atom, bool, bool)>,
) {
    for literal in body {
        match literal {
            Literal::Pos(atom) => out.push((atom, in_aggregate, in_aggregate)),
            Literal::Neg(atom) => out.push((atom, true, in_aggregate)),
            Literal::Aggregate { body, .. } => body_atoms(body, true, out),
            Literal::Compare { .. } | Literal::Bind { .. } => {}
        }
    }
}

/// The dependency graph of a module's rules over its predicates.
pub fn dependency_graph(module: &Module) -> DependencyGraph {
    DependencyGraph::from_rules(&module.rules, module.predicates.len())
}

/// One stratum: a strongly connected component of the dependency graph that
/// has at least one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stratum {
    /// The predicates defined together (sorted).
    pub preds: Vec<PredId>,
    /// Indices of the rules whose head is one of `preds` (ascending).
    pub rules: Vec<usize>,
    /// Whether some rule reads a predicate of this stratum positively
    /// (the stratum needs a fixpoint loop rather than one pass).
    pub recursive: bool,
}

/// The strata of a program, lower strata first: every predicate a stratum
/// reads (positively or negatively) is defined in an earlier stratum, in the
/// same stratum (positively only), or is a base predicate without rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Strata {
    pub strata: Vec<Stratum>,
    /// For every predicate, the index of the stratum defining it, or `None`
    /// for predicates without rules (base facts only).
    pub stratum_of: Vec<Option<usize>>,
}

/// A negation inside a recursive cycle: the program cannot be stratified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule_index} negates a predicate that depends on its own head (cycle through negation over predicates {cycle:?})")]
pub struct StratificationError {
    /// `cycle[0]` is the head of rule `rule_index`, which negates `cycle[1]`
    /// (or itself, when the cycle has a single element); each predicate
    /// depends on the next one and the last depends on `cycle[0]`.
    pub cycle: Vec<PredId>,
    /// The (lowest-numbered) rule that negates within the cycle.
    pub rule_index: usize,
}

/// Stratifies `rules`: strongly connected components of the dependency graph
/// in dependency order (lower strata first), one stratum per component that
/// has rules. Deterministic: the same rules give the same strata.
pub fn stratify(rules: &[Rule], pred_count: usize) -> Result<Strata, StratificationError> {
    let graph = DependencyGraph::from_rules(rules, pred_count);
    let adj = graph.successors();
    let (comp, order) = tarjan(&adj);

    // A negative edge inside one component cannot be stratified (callers
    // that support the well-founded semantics rewrite plain negations first).
    if let Some(edge) = graph
        .edges
        .iter()
        .find(|e| e.negative && comp[e.head.index()] == comp[e.body.index()])
    {
        return Err(StratificationError {
            cycle: cycle_through(&adj, &comp, edge.head, edge.body),
            rule_index: edge.rule_index,
        });
    }

    let n = graph.pred_count;
    let mut has_rules = vec![false; n];
    for rule in rules {
        has_rules[rule.head.pred.index()] = true;
    }
    let mut stratum_of_comp = vec![None; order.len()];
    let mut strata: Vec<Stratum> = Vec::new();
    for (c, members) in order.iter().enumerate() {
        if members.iter().any(|p| has_rules[p.index()]) {
            stratum_of_comp[c] = Some(strata.len());
            let mut preds = members.clone();
            preds.sort_unstable();
            strata.push(Stratum {
                preds,
                rules: Vec::new(),
                recursive: false,
            });
        }
    }
    let mut stratum_of = vec![None; n];
    for p in 0..n {
        if has_rules[p] {
            stratum_of[p] = stratum_of_comp[comp[p]];
        }
    }
    for (rule_index, rule) in rules.iter().enumerate() {
        let s = stratum_of[rule.head.pred.index()].expect("a head has a stratum");
        strata[s].rules.push(rule_index);
        let reads_own = rule.body.iter().any(|l| match l {
            Literal::Pos(a) => stratum_of[a.pred.index()] == Some(s),
            _ => false,
        });
        if reads_own {
            strata[s].recursive = true;
        }
    }
    Ok(Strata { strata, stratum_of })
}

/// The strongly connected component of every predicate of the dependency
/// graph of `rules` (`PredId(0..n)`, `n` raised like
/// [`DependencyGraph::from_rules`]); components are numbered so that a
/// component comes after every component it depends on. Used to find the
/// components that need the well-founded semantics (a negation inside one).
pub fn components(rules: &[Rule], pred_count: usize) -> Vec<usize> {
    let graph = DependencyGraph::from_rules(rules, pred_count);
    tarjan(&graph.successors()).0
}

/// The strongly connected components of the predicate graph `adj` (see
/// [`strongly_connected`]), members as predicates.
fn tarjan(adj: &[Vec<PredId>]) -> (Vec<usize>, Vec<Vec<PredId>>) {
    let (comp, components) = strongly_connected(adj.len(), |v, i| adj[v].get(i).map(|p| p.index()));
    let components = components
        .into_iter()
        .map(|members| members.into_iter().map(|v| PredId(v as u32)).collect())
        .collect();
    (comp, components)
}

/// The strongly connected components of a graph of `n` nodes whose `i`th
/// successor of node `v` is `successor(v, i)` (`None` past the last), by
/// Tarjan's algorithm without recursion (a long chain would overflow the
/// stack): the component of every node, and each component's members, the
/// components in the order they complete (a component after every
/// component it reaches).
pub fn strongly_connected(
    n: usize,
    successor: impl Fn(usize, usize) -> Option<usize>,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    const UNVISITED: usize = usize::MAX;
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNVISITED; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut components: Vec<Vec<usize>> = Vec::new();
    let mut next = 0usize;
    // Call stack of (node, next successor position).
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        calls.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            if let Some(w) = successor(v, *pos) {
                *pos += 1;
                if index[w] == UNVISITED {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let c = components.len();
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = c;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(members);
            }
        }
    }
    (comp, components)
}

/// The shortest dependency path `head → negated → … → head` inside one component.
fn cycle_through(
    adj: &[Vec<PredId>],
    comp: &[usize],
    head: PredId,
    negated: PredId,
) -> Vec<PredId> {
    if head == negated {
        return vec![head];
    }
    let c = comp[head.index()];
    let mut parent: Vec<Option<usize>> = vec![None; adj.len()];
    let mut queue = std::collections::VecDeque::from([negated.index()]);
    parent[negated.index()] = Some(negated.index());
    while let Some(v) = queue.pop_front() {
        if v == head.index() {
            break;
        }
        for w in adj[v].iter().map(|p| p.index()) {
            if comp[w] == c && parent[w].is_none() {
                parent[w] = Some(v);
                queue.push_back(w);
            }
        }
    }
    // Walk back from head to negated, then reverse into head, negated, …
    let mut path = Vec::new();
    let mut v = head.index();
    while v != negated.index() {
        let Some(p) = parent[v] else { break };
        if p != negated.index() {
            path.push(PredId(p as u32));
        }
        v = p;
    }
    path.reverse();
    let mut cycle = vec![head, negated];
    cycle.extend(path);
    cycle
}

/// Where an unsafe variable occurs.
pub mod position {
    pub const HEAD: &str = "head";
    pub const NEGATED_ATOM: &str = "negated atom";
    pub const COMPARISON: &str = "comparison";
    pub const BINDING: &str = "binding";
    pub const AGGREGATE: &str = "aggregate";
}

/// A rule (or query body) that the reasoner cannot evaluate as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleCheckError {
    /// A variable of the head, a negated atom, a comparison or a binding's
    /// expression is not bound by a positive atom or by a binding (`OE1303`).
    #[error("variable {} in the {position} is not bound by a positive atom{}", var.0, literal_suffix(*literal))]
    UnsafeVariable {
        var: VarId,
        /// One of the [`position`] constants.
        position: &'static str,
        /// The body literal it occurs in (`None` for the head).
        literal: Option<usize>,
    },
    /// An expression kind that rules cannot contain (field paths, holds
    /// tests, calls …: the compiler lowers these before the reasoner sees them).
    #[error("{kind} expressions are not supported in rule bodies (literal {literal})")]
    UnsupportedExpr { kind: &'static str, literal: usize },
    /// A variable id at or beyond the body's `var_count`.
    #[error("variable {} is out of range (the rule has {var_count} variables)", var.0)]
    VarOutOfRange { var: VarId, var_count: u32 },
}

fn literal_suffix(literal: Option<usize>) -> String {
    literal
        .map(|l| format!(" (literal {l})"))
        .unwrap_or_default()
}

impl RuleCheckError {
    /// The unsafe variable, if this is an [`RuleCheckError::UnsafeVariable`].
    pub fn var(&self) -> Option<VarId> {
        match self {
            RuleCheckError::UnsafeVariable { var, .. }
            | RuleCheckError::VarOutOfRange { var, .. } => Some(*var),
            RuleCheckError::UnsupportedExpr { .. } => None,
        }
    }
}

/// Checks that a rule is range-restricted and uses only expression kinds
/// the reasoner evaluates:
///
/// - every variable of the head, of a negated atom, of a comparison and of a
///   binding's expression is bound by a positive atom or by a binding;
/// - a binding `v = e` binds `v` once all variables of `e` are bound
///   (bindings may chain; the order of body literals does not matter);
/// - expressions are `Const`, `Var`, `Unary`, `Binary`, or the builtins
///   `Today`, `Now`, `DurationOf`, `DatePart`, `Len`.
pub fn check_range_restriction(rule: &Rule) -> Result<(), RuleCheckError> {
    let bound = check_body(&rule.body, rule.var_count, &[])?;
    for term in &rule.head.args {
        if let Term::Var(v) = term {
            in_range(*v, rule.var_count)?;
            if !bound[v.0 as usize] {
                return Err(RuleCheckError::UnsafeVariable {
                    var: *v,
                    position: position::HEAD,
                    literal: None,
                });
            }
        }
    }
    Ok(())
}

/// Checks a conjunctive body (a rule body or a query's `from`/`where`) with
/// `prebound` variables already bound (query parameters given by the
/// caller). Returns which variables the body binds (`prebound` included).
pub fn check_body(
    body: &[Literal],
    var_count: u32,
    prebound: &[VarId],
) -> Result<Vec<bool>, RuleCheckError> {
    let mut bound = vec![false; var_count as usize];
    for v in prebound {
        in_range(*v, var_count)?;
        bound[v.0 as usize] = true;
    }
    // Expression kinds and variable ranges first.
    for (i, literal) in body.iter().enumerate() {
        match literal {
            Literal::Pos(atom) | Literal::Neg(atom) => {
                for term in &atom.args {
                    if let Term::Var(v) = term {
                        in_range(*v, var_count)?;
                    }
                }
            }
            Literal::Compare { left, right, .. } => {
                check_expr(left, i, var_count)?;
                check_expr(right, i, var_count)?;
            }
            Literal::Bind { var, expr } => {
                in_range(*var, var_count)?;
                check_expr(expr, i, var_count)?;
            }
            Literal::Aggregate {
                result,
                group_by,
                body,
                value,
                ..
            } => {
                in_range(*result, var_count)?;
                for v in group_by {
                    in_range(*v, var_count)?;
                }
                if body.iter().any(|l| matches!(l, Literal::Aggregate { .. })) {
                    return Err(RuleCheckError::UnsupportedExpr {
                        kind: "nested aggregate",
                        literal: i,
                    });
                }
                if let Some(value) = value {
                    check_expr(value, i, var_count)?;
                }
            }
        }
    }
    for literal in body {
        if let Literal::Pos(atom) = literal {
            for term in &atom.args {
                if let Term::Var(v) = term {
                    bound[v.0 as usize] = true;
                }
            }
        }
    }
    // Bindings resolve in dependency order.
    let mut resolved = vec![false; body.len()];
    loop {
        let mut changed = false;
        for (i, literal) in body.iter().enumerate() {
            let (var, ready) = match literal {
                Literal::Bind { var, expr } => (var, expr_vars_bound(expr, &bound)),
                Literal::Aggregate {
                    result, group_by, ..
                } => (result, group_by.iter().all(|v| bound[v.0 as usize])),
                _ => continue,
            };
            if !resolved[i] && ready {
                resolved[i] = true;
                bound[var.0 as usize] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (i, literal) in body.iter().enumerate() {
        let mut vars = Vec::new();
        let position = match literal {
            Literal::Pos(_) => continue,
            Literal::Neg(atom) => {
                vars.extend(atom.args.iter().filter_map(|t| match t {
                    Term::Var(v) => Some(*v),
                    Term::Const(_) => None,
                }));
                position::NEGATED_ATOM
            }
            Literal::Compare { left, right, .. } => {
                expr_vars(left, &mut vars);
                expr_vars(right, &mut vars);
                position::COMPARISON
            }
            Literal::Bind { expr, .. } => {
                expr_vars(expr, &mut vars);
                position::BINDING
            }
            Literal::Aggregate {
                group_by,
                body: inner,
                value,
                ..
            } => {
                vars.extend(group_by.iter().copied());
                if vars.iter().all(|v| bound[v.0 as usize]) {
                    // The aggregated body, with the group variables bound,
                    // must bind what its value reads.
                    let inner_bound = check_body(inner, var_count, group_by)?;
                    let mut value_vars = Vec::new();
                    if let Some(value) = value {
                        expr_vars(value, &mut value_vars);
                    }
                    if let Some(var) = value_vars.into_iter().find(|v| !inner_bound[v.0 as usize]) {
                        return Err(RuleCheckError::UnsafeVariable {
                            var,
                            position: position::AGGREGATE,
                            literal: Some(i),
                        });
                    }
                }
                position::AGGREGATE
            }
        };
        let found = vars.into_iter().find(|v| !bound[v.0 as usize]);
        if let Some(var) = found {
            return Err(RuleCheckError::UnsafeVariable {
                var,
                position,
                literal: Some(i),
            });
        }
    }
    Ok(bound)
}

fn in_range(v: VarId, var_count: u32) -> Result<(), RuleCheckError> {
    if v.0 < var_count {
        Ok(())
    } else {
        Err(RuleCheckError::VarOutOfRange { var: v, var_count })
    }
}

fn expr_vars_bound(expr: &Expr, bound: &[bool]) -> bool {
    let mut vars = Vec::new();
    expr_vars(expr, &mut vars);
    vars.iter().all(|v| bound[v.0 as usize])
}

/// The variables of an expression (of the kinds allowed in rules), in order
/// of occurrence, with repetitions.
pub fn expr_vars(expr: &Expr, out: &mut Vec<VarId>) {
    match expr {
        Expr::Var(v) => out.push(*v),
        Expr::Const(_) => {}
        Expr::Unary { expr, .. } => expr_vars(expr, out),
        Expr::Binary { left, right, .. } => {
            expr_vars(left, out);
            expr_vars(right, out);
        }
        Expr::Builtin { args, .. } => args.iter().for_each(|a| expr_vars(a, out)),
        // Not allowed in rules; `check_expr` rejects them first.
        _ => {}
    }
}

/// Whether `expr` uses only the expression kinds rules may contain.
fn check_expr(expr: &Expr, literal: usize, var_count: u32) -> Result<(), RuleCheckError> {
    let unsupported = |kind| Err(RuleCheckError::UnsupportedExpr { kind, literal });
    match expr {
        Expr::Const(_) => Ok(()),
        Expr::Var(v) => in_range(*v, var_count),
        Expr::Unary { expr, .. } => check_expr(expr, literal, var_count),
        Expr::Binary { left, right, .. } => {
            check_expr(left, literal, var_count)?;
            check_expr(right, literal, var_count)
        }
        Expr::Builtin { builtin, args } => {
            match builtin {
                Builtin::Today
                | Builtin::Now
                | Builtin::DurationOf(_)
                | Builtin::DatePart(_)
                | Builtin::Len => {}
                Builtin::IsSome => return unsupported("is_some()"),
                Builtin::IsNone => return unsupported("is_none()"),
                Builtin::Keys => return unsupported("keys()"),
                Builtin::Values => return unsupported("values()"),
                Builtin::UnwrapOr => return unsupported("unwrap_or()"),
            }
            args.iter()
                .try_for_each(|a| check_expr(a, literal, var_count))
        }
        Expr::Field { .. } => unsupported("field access"),
        Expr::StructField { .. } => unsupported("struct field access"),
        Expr::If { .. } => unsupported("if"),
        Expr::Call { .. } => unsupported("function call"),
        Expr::Holds { .. } => unsupported("holds"),
        Expr::Query { .. } => unsupported("query call"),
        Expr::Extent(_) => unsupported("extent"),
        Expr::List(_) => unsupported("list literal"),
        Expr::Comprehension { .. } => unsupported("comprehension"),
        Expr::Struct { .. } => unsupported("struct literal"),
        Expr::Let { .. } => unsupported("let"),
        Expr::Variant { .. } => unsupported("enum variant"),
        Expr::Match { .. } => unsupported("match"),
        Expr::MapLit(_) => unsupported("map literal"),
        Expr::Index { .. } => unsupported("indexing"),
        Expr::Try(_) => unsupported("`?`"),
        Expr::Aggregate { .. } => unsupported("aggregate expression"),
    }
}

impl fmt::Display for DepEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { "not " } else { "" };
        write!(
            f,
            "p{} <- {sign}p{} (rule {})",
            self.head.0, self.body.0, self.rule_index
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::BinaryOp;
    use crate::logic::{Atom, CmpOp, RuleOrigin};
    use crate::value::Value;

    fn v(i: u32) -> Term {
        Term::Var(VarId(i))
    }
    fn atom(p: u32, args: Vec<Term>) -> Atom {
        Atom {
            pred: PredId(p),
            args,
        }
    }
    fn rule(head: Atom, body: Vec<Literal>, var_count: u32) -> Rule {
        Rule {
            head,
            body,
            var_count,
            var_names: (0..var_count).map(|i| format!("v{i}")).collect(),
            origin: RuleOrigin::Derive {
                name: "r".into(),
                clause: 0,
            },
            defeasibility: Default::default(),
            standpoint: None,
        }
    }

    #[test]
    fn strata_come_lower_first_and_mark_recursion() {
        // 0 = edge (base), 1 = path, 2 = node (base), 3 = unreachable
        let rules = vec![
            rule(
                atom(3, vec![v(0), v(1)]),
                vec![
                    Literal::Pos(atom(2, vec![v(0)])),
                    Literal::Pos(atom(2, vec![v(1)])),
                    Literal::Neg(atom(1, vec![v(0), v(1)])),
                ],
                2,
            ),
            rule(
                atom(1, vec![v(0), v(1)]),
                vec![Literal::Pos(atom(0, vec![v(0), v(1)]))],
                2,
            ),
            rule(
                atom(1, vec![v(0), v(2)]),
                vec![
                    Literal::Pos(atom(1, vec![v(0), v(1)])),
                    Literal::Pos(atom(0, vec![v(1), v(2)])),
                ],
                3,
            ),
        ];
        let strata = stratify(&rules, 4).unwrap();
        assert_eq!(strata.strata.len(), 2);
        assert_eq!(strata.strata[0].preds, vec![PredId(1)]);
        assert_eq!(strata.strata[0].rules, vec![1, 2]);
        assert!(strata.strata[0].recursive);
        assert_eq!(strata.strata[1].preds, vec![PredId(3)]);
        assert!(!strata.strata[1].recursive);
        assert_eq!(strata.stratum_of, vec![None, Some(0), None, Some(1)]);
    }

    #[test]
    fn negation_in_a_cycle_names_rule_and_cycle() {
        // p(x) :- q(x).  q(x) :- r(x), not p(x).
        let rules = vec![
            rule(
                atom(0, vec![v(0)]),
                vec![Literal::Pos(atom(1, vec![v(0)]))],
                1,
            ),
            rule(
                atom(1, vec![v(0)]),
                vec![
                    Literal::Pos(atom(2, vec![v(0)])),
                    Literal::Neg(atom(0, vec![v(0)])),
                ],
                1,
            ),
        ];
        let err = stratify(&rules, 3).unwrap_err();
        assert_eq!(err.rule_index, 1);
        assert_eq!(err.cycle, vec![PredId(1), PredId(0)]);

        let self_neg = vec![rule(
            atom(0, vec![v(0)]),
            vec![
                Literal::Pos(atom(1, vec![v(0)])),
                Literal::Neg(atom(0, vec![v(0)])),
            ],
            1,
        )];
        let err = stratify(&self_neg, 2).unwrap_err();
        assert_eq!(err.cycle, vec![PredId(0)]);
    }

    #[test]
    fn longer_cycle_is_reported_in_dependency_order() {
        // a :- b. b :- c. c :- d, not a.
        let rules = vec![
            rule(atom(0, vec![]), vec![Literal::Pos(atom(1, vec![]))], 0),
            rule(atom(1, vec![]), vec![Literal::Pos(atom(2, vec![]))], 0),
            rule(
                atom(2, vec![]),
                vec![Literal::Pos(atom(3, vec![])), Literal::Neg(atom(0, vec![]))],
                0,
            ),
        ];
        let err = stratify(&rules, 4).unwrap_err();
        assert_eq!(err.rule_index, 2);
        assert_eq!(err.cycle, vec![PredId(2), PredId(0), PredId(1)]);
    }

    #[test]
    fn deep_chains_do_not_overflow_the_stack() {
        let n = 100_000u32;
        let rules: Vec<Rule> = (1..n)
            .map(|i| {
                rule(
                    atom(i, vec![v(0)]),
                    vec![Literal::Pos(atom(i - 1, vec![v(0)]))],
                    1,
                )
            })
            .collect();
        let strata = stratify(&rules, n as usize).unwrap();
        assert_eq!(strata.strata.len(), (n - 1) as usize);
        assert_eq!(strata.strata[0].preds, vec![PredId(1)]);
    }

    #[test]
    fn range_restriction() {
        // head var unbound
        let r = rule(
            atom(0, vec![v(0), v(1)]),
            vec![Literal::Pos(atom(1, vec![v(0)]))],
            2,
        );
        assert_eq!(
            check_range_restriction(&r),
            Err(RuleCheckError::UnsafeVariable {
                var: VarId(1),
                position: position::HEAD,
                literal: None
            })
        );
        // negated var unbound
        let r = rule(
            atom(0, vec![v(0)]),
            vec![
                Literal::Pos(atom(1, vec![v(0)])),
                Literal::Neg(atom(2, vec![v(0), v(1)])),
            ],
            2,
        );
        assert!(matches!(
            check_range_restriction(&r),
            Err(RuleCheckError::UnsafeVariable {
                var: VarId(1),
                position: "negated atom",
                literal: Some(1)
            })
        ));
        // chained binds, written out of order, are fine
        let plus1 = |x: u32| Expr::Binary {
            op: BinaryOp::Add,
            left: Box::new(Expr::Var(VarId(x))),
            right: Box::new(Expr::Const(Value::Int(1))),
        };
        let r = rule(
            atom(0, vec![v(2)]),
            vec![
                Literal::Bind {
                    var: VarId(2),
                    expr: plus1(1),
                },
                Literal::Bind {
                    var: VarId(1),
                    expr: plus1(0),
                },
                Literal::Pos(atom(1, vec![v(0)])),
            ],
            3,
        );
        assert_eq!(check_range_restriction(&r), Ok(()));
        // comparison over an unbound var
        let r = rule(
            atom(0, vec![v(0)]),
            vec![
                Literal::Pos(atom(1, vec![v(0)])),
                Literal::Compare {
                    op: CmpOp::Lt,
                    left: Expr::Var(VarId(0)),
                    right: Expr::Var(VarId(1)),
                },
            ],
            2,
        );
        assert!(matches!(
            check_range_restriction(&r),
            Err(RuleCheckError::UnsafeVariable {
                var: VarId(1),
                position: "comparison",
                ..
            })
        ));
        // unsupported expression
        let r = rule(
            atom(0, vec![v(0)]),
            vec![
                Literal::Pos(atom(1, vec![v(0)])),
                Literal::Compare {
                    op: CmpOp::Eq,
                    left: Expr::Extent(crate::ConceptId(0)),
                    right: Expr::Var(VarId(0)),
                },
            ],
            1,
        );
        assert_eq!(
            check_range_restriction(&r),
            Err(RuleCheckError::UnsupportedExpr {
                kind: "extent",
                literal: 1
            })
        );
        // seeded variables count as bound in query bodies
        let body = vec![Literal::Compare {
            op: CmpOp::Gt,
            left: Expr::Var(VarId(0)),
            right: Expr::Const(Value::Int(3)),
        }];
        assert!(check_body(&body, 1, &[]).is_err());
        assert!(check_body(&body, 1, &[VarId(0)]).is_ok());
        // ground fact
        let r = rule(atom(0, vec![Term::Const(Value::Int(1))]), vec![], 0);
        assert_eq!(check_range_restriction(&r), Ok(()));
    }
}
