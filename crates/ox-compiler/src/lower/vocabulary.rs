//! Vocabulary checks: `check` items over declarations rather than data.
//!
//! A check whose body uses `$iof(T, metatype)` (T is a type of that metatype
//! or of a sub-metatype), `$sub(T, U)` (T is U or specialises it,
//! transitively) or `meta(T).axis` is evaluated by the compiler over every
//! concept of the compilation (the consumer's and its dependencies'). Its
//! variables range over concepts. Each solution is a violation, reported at
//! the declaration of the concept bound to the first parameter: `OE0640` for
//! `#[severity(error)]` checks (the build fails), `OW0640` otherwise.
//! Such checks never reach the artifact.

use std::collections::BTreeSet;

use ox_ir::ConceptId;
use ox_syntax::ast::{self, AtomKind, AttrArg, BinaryOp, CheckDecl, ExprKind, ItemKind};
use ox_syntax::{Diagnostic, Span};

use super::collect::{Collected, Decl};
use super::env::Env;
use super::substrate::Substrate;
use crate::codes;
use crate::scope::Symbol;

/// Whether a check reads declarations (`$iof`, `$sub`, `meta(T)`) rather
/// than data: a check that also tests types or calls predicates
/// (`x: Person, meta(x).rigidity == rigid`) is an ordinary check over
/// individuals.
pub(crate) fn is_vocabulary_check(check: &CheckDecl) -> bool {
    check.body.iter().any(atom_is_meta) && !check.body.iter().any(atom_reads_data)
}

/// Whether an atom reads individuals: a type test or a predicate call.
fn atom_reads_data(a: &ast::Atom) -> bool {
    match &a.kind {
        AtomKind::TypeTest { .. } => true,
        AtomKind::Call { pred, .. } => !is_meta_pred(pred),
        AtomKind::Not(inner) => atom_reads_data(inner),
        AtomKind::Group(atoms) => atoms.iter().any(atom_reads_data),
        AtomKind::Compare { .. } | AtomKind::Expr(_) | AtomKind::Bind { .. } => false,
    }
}

fn atom_is_meta(a: &ast::Atom) -> bool {
    match &a.kind {
        AtomKind::Call { pred, .. } => is_meta_pred(pred),
        AtomKind::Compare { lhs, rhs, .. } => expr_is_meta(lhs) || expr_is_meta(rhs),
        AtomKind::Not(inner) => atom_is_meta(inner),
        AtomKind::Group(atoms) => atoms.iter().any(atom_is_meta),
        AtomKind::Expr(e) | AtomKind::Bind { value: e, .. } => expr_is_meta(e),
        AtomKind::TypeTest { .. } => false,
    }
}

fn is_meta_pred(p: &ast::Path) -> bool {
    p.segments.len() == 1 && matches!(p.segments[0].name.as_str(), "$iof" | "$sub")
}

fn expr_is_meta(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Call { func, .. } => {
            is_meta_pred(func) || (func.segments.len() == 1 && func.segments[0].name == "meta")
        }
        ExprKind::Field { base, .. } => expr_is_meta(base),
        _ => false,
    }
}

/// A term of a vocabulary check.
#[derive(Clone, Debug)]
enum Term {
    Var(usize),
    Concept(ConceptId),
    AxisValue(usize, usize),
    /// `meta(term).axis`
    Meta(Box<Term>, usize),
}

/// A lowered atom.
#[derive(Clone, Debug)]
enum Goal {
    Iof(Term, usize),
    Sub(Term, Term),
    Cmp(Term, BinaryOp, Term),
    Not(Vec<Goal>),
}

/// A value during evaluation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Val {
    Concept(ConceptId),
    Axis(usize, usize),
    /// The concept's metatype gives the axis no value.
    Missing,
}

struct Lowering<'e, 'a> {
    env: &'e Env<'a>,
    module: usize,
    vars: Vec<String>,
    diags: Vec<Diagnostic>,
}

impl Lowering<'_, '_> {
    fn var(&mut self, name: &str) -> usize {
        match self.vars.iter().position(|v| v == name) {
            Some(i) => i,
            None => {
                self.vars.push(name.to_string());
                self.vars.len() - 1
            }
        }
    }

    fn refuse(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error(
                codes::WRONG_KIND,
                span,
                format!("{what} cannot be used in a check over declarations"),
            )
            .with_help("such checks may use `$iof(T, metatype)`, `$sub(T, U)`, `meta(T).axis`, comparisons and `not`"),
        );
    }

    fn goals(&mut self, atoms: &[ast::Atom], out: &mut Vec<Goal>) {
        for a in atoms {
            match &a.kind {
                AtomKind::Call {
                    strong_negation: false,
                    pred,
                    args,
                } => {
                    if let Some(g) = self.call(pred, args, a.span) {
                        out.push(g);
                    }
                }
                AtomKind::Expr(ast::Expr {
                    kind: ExprKind::Call { func, args },
                    ..
                }) => {
                    if let Some(g) = self.call(func, args, a.span) {
                        out.push(g);
                    }
                }
                AtomKind::Compare { lhs, op, rhs } => {
                    if let (Some(l), Some(r)) = (self.term(lhs), self.term(rhs)) {
                        out.push(Goal::Cmp(l, *op, r));
                    }
                }
                AtomKind::Not(inner) => {
                    let mut sub = Vec::new();
                    self.goals(std::slice::from_ref(inner.as_ref()), &mut sub);
                    out.push(Goal::Not(sub));
                }
                AtomKind::Group(atoms) => self.goals(atoms, out),
                _ => self.refuse(a.span, "this atom"),
            }
        }
    }

    fn call(&mut self, pred: &ast::Path, args: &[ast::Expr], span: Span) -> Option<Goal> {
        let name = pred.segments.first().map(|s| s.name.as_str()).unwrap_or("");
        if pred.segments.len() != 1 || !matches!(name, "$iof" | "$sub") {
            self.refuse(span, &format!("`{}`", super::env::path_text(pred)));
            return None;
        }
        if args.len() != 2 {
            self.diags.push(Diagnostic::error(
                codes::SIGNATURE_MISMATCH,
                span,
                format!("`{name}` takes 2 arguments, found {}", args.len()),
            ));
            return None;
        }
        let first = self.term(&args[0])?;
        if name == "$sub" {
            let second = self.term(&args[1])?;
            return Some(Goal::Sub(first, second));
        }
        let ExprKind::Path(p) = &args[1].kind else {
            self.refuse(args[1].span, "this metatype expression");
            return None;
        };
        match self.env.scope.resolve(self.module, p) {
            Ok(Symbol::Metatype(k)) => Some(Goal::Iof(first, k)),
            Ok(other) => {
                self.diags.push(Diagnostic::error(
                    codes::UNKNOWN_METATYPE,
                    p.span,
                    format!("expected a metatype, found {}", other.describe()),
                ));
                None
            }
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    fn term(&mut self, e: &ast::Expr) -> Option<Term> {
        match &e.kind {
            ExprKind::Path(p) => {
                if p.segments.len() == 1 {
                    let name = &p.segments[0].name;
                    if let Some(Symbol::Concept(c)) = self.env.scope.lookup_local(self.module, name)
                    {
                        return Some(Term::Concept(c));
                    }
                    return Some(Term::Var(self.var(name)));
                }
                match self.env.scope.resolve(self.module, p) {
                    Ok(Symbol::Concept(c)) => Some(Term::Concept(c)),
                    Ok(Symbol::AxisValue(a, v)) => Some(Term::AxisValue(a, v)),
                    Ok(other) => {
                        self.refuse(e.span, other.describe());
                        None
                    }
                    Err(d) => {
                        self.diags.push(d);
                        None
                    }
                }
            }
            ExprKind::Field { base, name } => {
                let ExprKind::Call { func, args } = &base.kind else {
                    self.refuse(e.span, "this field access");
                    return None;
                };
                if func.segments.len() != 1 || func.segments[0].name != "meta" || args.len() != 1 {
                    self.refuse(e.span, "this call");
                    return None;
                }
                let of = self.term(&args[0])?;
                match self.env.scope.lookup_local(self.module, &name.name) {
                    Some(Symbol::Metaxis(a)) => Some(Term::Meta(Box::new(of), a)),
                    _ => {
                        self.diags.push(Diagnostic::error(
                            codes::INVALID_AXIS_VALUE,
                            name.span,
                            format!("`{}` is not a metaxis in scope", name.name),
                        ));
                        None
                    }
                }
            }
            _ => {
                self.refuse(e.span, "this expression");
                None
            }
        }
    }
}

/// The facts vocabulary checks read.
struct Facts<'s> {
    sub: &'s Substrate,
    /// Reflexive-transitive supertypes of every concept.
    ancestors: Vec<Vec<ConceptId>>,
}

impl Facts<'_> {
    fn all(&self) -> impl Iterator<Item = ConceptId> + '_ {
        (0..self.ancestors.len()).map(|i| ConceptId(i as u32))
    }

    fn value(&self, t: &Term, b: &[Option<ConceptId>]) -> Option<Val> {
        Some(match t {
            Term::Var(v) => Val::Concept((*b.get(*v)?)?),
            Term::Concept(c) => Val::Concept(*c),
            Term::AxisValue(a, v) => Val::Axis(*a, *v),
            Term::Meta(of, axis) => match self.value(of, b)? {
                Val::Concept(c) => self
                    .sub
                    .axis_value(c, *axis)
                    .map_or(Val::Missing, |v| Val::Axis(*axis, v)),
                _ => Val::Missing,
            },
        })
    }

    fn compare(&self, l: Val, op: BinaryOp, r: Val) -> bool {
        match (l, r) {
            (Val::Missing, _) | (_, Val::Missing) => false,
            (Val::Axis(a, x), Val::Axis(b, y)) if a == b => {
                let ordered = self.sub.axes.get(a).is_some_and(|ax| ax.ordered);
                match op {
                    BinaryOp::Eq => x == y,
                    BinaryOp::Ne => x != y,
                    BinaryOp::Lt if ordered => x < y,
                    BinaryOp::Le if ordered => x <= y,
                    BinaryOp::Gt if ordered => x > y,
                    BinaryOp::Ge if ordered => x >= y,
                    _ => false,
                }
            }
            (a, b) => match op {
                BinaryOp::Eq => a == b,
                BinaryOp::Ne => a != b,
                _ => false,
            },
        }
    }

    /// Calls `found` for every solution of `goals` extending `b`.
    fn solve(
        &self,
        goals: &[Goal],
        b: &mut Vec<Option<ConceptId>>,
        found: &mut dyn FnMut(&[Option<ConceptId>]) -> bool,
    ) -> bool {
        let Some((goal, rest)) = goals.split_first() else {
            return found(b);
        };
        let mut bind_each =
            |var: usize, candidates: Vec<ConceptId>, b: &mut Vec<Option<ConceptId>>| {
                for c in candidates {
                    b[var] = Some(c);
                    if !self.solve(rest, b, found) {
                        b[var] = None;
                        return false;
                    }
                }
                b[var] = None;
                true
            };
        match goal {
            Goal::Iof(t, m) => {
                let ok = |c: ConceptId| {
                    self.sub
                        .concept_metatype
                        .get(c.index())
                        .is_some_and(|k| self.sub.is_sub_metatype(*k, *m))
                };
                match (t, self.value(t, b)) {
                    (_, Some(Val::Concept(c))) => !ok(c) || self.solve(rest, b, found),
                    (Term::Var(v), None) => {
                        let cands = self.all().filter(|c| ok(*c)).collect();
                        bind_each(*v, cands, b)
                    }
                    _ => true,
                }
            }
            Goal::Sub(x, y) => match (self.value(x, b), self.value(y, b)) {
                (Some(Val::Concept(cx)), Some(Val::Concept(cy))) => {
                    !self.ancestors[cx.index()].contains(&cy) || self.solve(rest, b, found)
                }
                (Some(Val::Concept(cx)), None) => match y {
                    Term::Var(v) => bind_each(*v, self.ancestors[cx.index()].clone(), b),
                    _ => true,
                },
                (None, Some(Val::Concept(cy))) => match x {
                    Term::Var(v) => {
                        let cands = self
                            .all()
                            .filter(|c| self.ancestors[c.index()].contains(&cy))
                            .collect();
                        bind_each(*v, cands, b)
                    }
                    _ => true,
                },
                (None, None) => match x {
                    Term::Var(v) => {
                        // Bind the subtype, then solve this goal again for the supertype.
                        for c in self.all() {
                            b[*v] = Some(c);
                            if !self.solve(goals, b, found) {
                                b[*v] = None;
                                return false;
                            }
                        }
                        b[*v] = None;
                        true
                    }
                    _ => true,
                },
                _ => true,
            },
            Goal::Cmp(l, op, r) => match (self.value(l, b), self.value(r, b)) {
                (Some(lv), Some(rv)) => !self.compare(lv, *op, rv) || self.solve(rest, b, found),
                _ => true,
            },
            Goal::Not(inner) => {
                let mut any = false;
                self.solve(inner, b, &mut |_| {
                    any = true;
                    false
                });
                any || self.solve(rest, b, found)
            }
        }
    }
}

/// Orders goals so that generators bind variables before filters read them,
/// and reports filters whose variables nothing binds (`OE1303`).
fn order(
    goals: Vec<Goal>,
    bound: &mut BTreeSet<usize>,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Goal> {
    let mut pending = goals;
    let mut out = Vec::new();
    while !pending.is_empty() {
        let pos = pending
            .iter()
            .position(|g| matches!(g, Goal::Iof(..) | Goal::Sub(..)) && generates(g, bound))
            .or_else(|| pending.iter().position(|g| all_bound(g, bound)))
            .or_else(|| {
                pending
                    .iter()
                    .position(|g| matches!(g, Goal::Iof(..) | Goal::Sub(..)))
            });
        let Some(pos) = pos else {
            diags.push(Diagnostic::error(
                codes::NOT_RANGE_RESTRICTED,
                span,
                "a variable of this check is not bound by `$iof` or `$sub`",
            ));
            return out;
        };
        let mut g = pending.remove(pos);
        if let Goal::Not(inner) = g {
            let mut local = bound.clone();
            g = Goal::Not(order(inner, &mut local, span, diags));
        }
        vars_of(&g, bound);
        out.push(g);
    }
    out
}

fn term_vars(t: &Term, out: &mut BTreeSet<usize>) {
    match t {
        Term::Var(v) => {
            out.insert(*v);
        }
        Term::Meta(of, _) => term_vars(of, out),
        _ => {}
    }
}

fn vars_of(g: &Goal, out: &mut BTreeSet<usize>) {
    match g {
        Goal::Iof(t, _) => term_vars(t, out),
        Goal::Sub(a, b) | Goal::Cmp(a, _, b) => {
            term_vars(a, out);
            term_vars(b, out);
        }
        Goal::Not(_) => {}
    }
}

fn generates(g: &Goal, bound: &BTreeSet<usize>) -> bool {
    let mut vs = BTreeSet::new();
    vars_of(g, &mut vs);
    vs.iter().any(|v| !bound.contains(v))
        && match g {
            Goal::Iof(..) => true,
            Goal::Sub(a, b) => {
                let mut va = BTreeSet::new();
                term_vars(a, &mut va);
                let mut vb = BTreeSet::new();
                term_vars(b, &mut vb);
                va.is_subset(bound) || vb.is_subset(bound)
            }
            _ => false,
        }
}

fn all_bound(g: &Goal, bound: &BTreeSet<usize>) -> bool {
    match g {
        Goal::Not(inner) => {
            // Local variables of the negation are bound inside it.
            let mut local = bound.clone();
            inner.iter().all(|i| {
                let ok = all_bound(i, &local) || matches!(i, Goal::Iof(..) | Goal::Sub(..));
                vars_of(i, &mut local);
                ok
            })
        }
        _ => {
            let mut vs = BTreeSet::new();
            vars_of(g, &mut vs);
            vs.is_subset(bound)
        }
    }
}

fn is_error_severity(item: &ast::Item) -> bool {
    item.attrs.iter().any(|a| {
        a.name.name == "severity"
            && matches!(a.args.first(), Some(AttrArg::Path(p)) if p.segments.len() == 1 && p.segments[0].name == "error")
    })
}

/// Runs every vocabulary check over the concepts of the compilation.
pub(crate) fn run(env: &Env<'_>, c: &Collected<'_>, sub: &Substrate, diags: &mut Vec<Diagnostic>) {
    if c.vocabulary_checks.is_empty() {
        return;
    }
    let facts = Facts {
        sub,
        ancestors: (0..env.concepts.len())
            .map(|i| env.ancestors(ConceptId(i as u32)))
            .collect(),
    };
    for d in &c.vocabulary_checks {
        run_one(env, c, d, &facts, diags);
    }
}

fn run_one(
    env: &Env<'_>,
    c: &Collected<'_>,
    d: &Decl<'_>,
    facts: &Facts<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let ItemKind::Check(check) = &d.item.kind else {
        return;
    };
    let mut lowering = Lowering {
        env,
        module: d.module,
        vars: Vec::new(),
        diags: Vec::new(),
    };
    let params: Vec<usize> = check
        .params
        .iter()
        .map(|p| lowering.var(&p.name.name))
        .collect();
    let mut goals = Vec::new();
    lowering.goals(&check.body, &mut goals);
    let mut problems = lowering.diags;
    let vars = lowering.vars;
    let goals = order(goals, &mut BTreeSet::new(), check.name.span, &mut problems);
    if !problems.is_empty() {
        diags.append(&mut problems);
        return;
    }
    let mut seen: BTreeSet<Vec<Option<ConceptId>>> = BTreeSet::new();
    let mut b = vec![None; vars.len()];
    facts.solve(&goals, &mut b, &mut |sol| {
        seen.insert(
            params
                .iter()
                .map(|p| sol.get(*p).copied().flatten())
                .collect(),
        );
        true
    });
    let error = is_error_severity(d.item);
    for tuple in seen {
        let name_of = |cid: Option<ConceptId>| {
            cid.and_then(|c| env.concepts.get(c.index()))
                .map_or("?".to_string(), |c| c.name.clone())
        };
        let mut message = check
            .message
            .as_ref()
            .map(|m| m.value.clone())
            .unwrap_or_else(|| format!("vocabulary check `{}` is violated", check.name.name));
        for (p, cid) in check.params.iter().zip(&tuple) {
            message = message.replace(&format!("{{{}}}", p.name.name), &name_of(*cid));
        }
        let span = tuple
            .first()
            .copied()
            .flatten()
            .and_then(|cid| c.concepts.get(cid.index()))
            .map(|decl| match &decl.item.kind {
                ItemKind::Concept(cd) => cd.name.span,
                _ => decl.item.span,
            })
            .unwrap_or(check.name.span);
        let code = if error {
            codes::VOCABULARY_VIOLATION
        } else {
            codes::VOCABULARY_WARNING
        };
        diags.push(Diagnostic::new(code, span, message).with_label(
            check.name.span,
            format!("required by check `{}`", check.name.name),
        ));
    }
}
