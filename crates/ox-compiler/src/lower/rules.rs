//! Lowering rule bodies (derive, check, `iff`, query `from`/`where`) to
//! Datalog literals: calls become atoms, field paths become field atoms
//! binding fresh variables, `not` over anything but a plain atom becomes an
//! auxiliary derived predicate.

use std::collections::{BTreeMap, BTreeSet};

use ox_ir::expr::FieldRef;
use ox_ir::{
    AggKind, Atom, Builtin, CmpOp, ConceptId, Expr, Literal, Param, PredId, PredKind, Predicate,
    Rule, RuleOrigin, Term, Type, Value, VarId, Visibility,
};
use ox_syntax::ast::{self, AtomKind, BinaryOp, ExprKind, UnaryOp};
use ox_syntax::{Diagnostic, Span};

use super::env::{field_value_type, path_text, Env};
use super::vars::Vars;
use crate::codes;
use crate::scope::{closest, Symbol};
use crate::types::{self, DURATION_UNITS};

mod disjunction;
pub(crate) mod meta;
mod navigation;

/// Where diagnostics and auxiliary predicates/rules of one lowering pass go.
pub(crate) struct Sink {
    pub diags: Vec<Diagnostic>,
    /// Auxiliary predicates, numbered from `base_pred`.
    pub aux_preds: Vec<Predicate>,
    pub aux_rules: Vec<(Rule, Span)>,
    pub base_pred: u32,
    /// Metatype axes of the concepts, for `meta(x).axis` in rule bodies.
    pub meta: meta::MetaTable,
}

impl Sink {
    /// An empty sink whose auxiliary predicates start at id `base_pred`.
    pub fn new(base_pred: usize) -> Sink {
        Sink {
            diags: Vec::new(),
            aux_preds: Vec::new(),
            aux_rules: Vec::new(),
            base_pred: base_pred as u32,
            meta: meta::MetaTable::default(),
        }
    }

    /// Declares a private derived predicate for a lowering (a disjunction, a
    /// negated conjunction, a `meta` test) at `path`: its id and its name.
    pub fn aux_predicate(&mut self, path: String, params: Vec<Param>) -> (PredId, String) {
        let pred = PredId(self.base_pred + self.aux_preds.len() as u32);
        let name = path.rsplit("::").next().unwrap_or(&path).to_string();
        self.aux_preds.push(Predicate {
            name: name.clone(),
            path,
            kind: PredKind::Derived,
            params,
            visibility: Visibility::Private,
            doc: None,
        });
        (pred, name)
    }

    /// Adds clause `clause` (`head :- body`) of the auxiliary predicate `name`.
    pub fn aux_rule(
        &mut self,
        name: &str,
        clause: usize,
        (head, body): (Atom, Vec<Literal>),
        var_names: Vec<String>,
        span: Span,
    ) {
        self.aux_rules.push((
            Rule {
                head,
                body,
                var_count: var_names.len() as u32,
                var_names,
                origin: RuleOrigin::Derive {
                    name: name.to_owned(),
                    clause: clause as u32,
                },
                defeasibility: ox_ir::Defeasibility::default(),
                standpoint: None,
            },
            span,
        ));
    }
}

/// Lowering context of one rule body.
pub(crate) struct RuleCx<'e, 's> {
    pub env: &'e Env<'e>,
    pub m: usize,
    pub sink: &'s mut Sink,
    pub vars: Vars,
    pub lits: Vec<Literal>,
    cache: BTreeMap<(VarId, FieldRef), VarId>,
    owner: String,
    aux_count: u32,
    /// Lowering the body of an aggregate (another one inside is `OE1311`).
    in_aggregate: bool,
}

pub(crate) fn is_literal(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(_) => true,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => matches!(operand.kind, ExprKind::Lit(_)),
        _ => false,
    }
}

/// Whether an atom is a disjunction `a || b`.
fn is_disjunction(a: &ast::Atom) -> bool {
    matches!(
        &a.kind,
        AtomKind::Expr(ast::Expr {
            kind: ExprKind::Binary {
                op: BinaryOp::Or,
                ..
            },
            ..
        })
    )
}

/// Whether an atom's expressions contain an aggregate.
fn has_aggregate(a: &ast::Atom) -> bool {
    match &a.kind {
        AtomKind::Bind { value, .. } => expr_has_aggregate(value),
        AtomKind::Compare { lhs, rhs, .. } => expr_has_aggregate(lhs) || expr_has_aggregate(rhs),
        AtomKind::Expr(e) => expr_has_aggregate(e),
        AtomKind::Not(inner) => has_aggregate(inner),
        AtomKind::Group(atoms) => atoms.iter().any(has_aggregate),
        AtomKind::Call { .. } | AtomKind::TypeTest { .. } => false,
    }
}

fn expr_has_aggregate(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Aggregate(_) => true,
        ExprKind::Binary { lhs, rhs, .. } => expr_has_aggregate(lhs) || expr_has_aggregate(rhs),
        ExprKind::Unary { operand, .. } => expr_has_aggregate(operand),
        _ => false,
    }
}

/// The single name of a one-segment path expression.
pub(crate) fn plain_name(e: &ast::Expr) -> Option<&ast::Ident> {
    match &e.kind {
        ExprKind::Path(p) if p.segments.len() == 1 => p.segments.first(),
        _ => None,
    }
}

pub(crate) fn cmp_op(op: BinaryOp) -> Option<CmpOp> {
    Some(match op {
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        BinaryOp::Ge => CmpOp::Ge,
        _ => return None,
    })
}

pub(crate) fn ir_binop(op: BinaryOp) -> ox_ir::BinaryOp {
    use ox_ir::BinaryOp as B;
    match op {
        BinaryOp::Or => B::Or,
        BinaryOp::And => B::And,
        BinaryOp::In => B::In,
        BinaryOp::NotIn => B::NotIn,
        BinaryOp::Eq => B::Eq,
        BinaryOp::Ne => B::Ne,
        BinaryOp::Lt => B::Lt,
        BinaryOp::Le => B::Le,
        BinaryOp::Gt => B::Gt,
        BinaryOp::Ge => B::Ge,
        BinaryOp::Add => B::Add,
        BinaryOp::Sub => B::Sub,
        BinaryOp::Mul => B::Mul,
        BinaryOp::Div => B::Div,
        BinaryOp::Rem => B::Rem,
    }
}

fn invert(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Eq => BinaryOp::Ne,
        BinaryOp::Ne => BinaryOp::Eq,
        BinaryOp::Lt => BinaryOp::Ge,
        BinaryOp::Le => BinaryOp::Gt,
        BinaryOp::Gt => BinaryOp::Le,
        BinaryOp::Ge => BinaryOp::Lt,
        other => other,
    }
}

/// The literal-typing hint for the other operand of `op`.
/// A literal as a constant of its type (`expected` guides integers and
/// units), or the diagnostic code and message of one that does not fit.
pub(crate) fn literal_const(
    lit: &ast::LitKind,
    expected: Option<&Type>,
    negative: bool,
) -> Result<(Expr, Type), (&'static str, String)> {
    types::literal(lit, expected, negative)
        .map(|(v, t)| (Expr::Const(v), t))
        .map_err(|msg| {
            let code = if matches!(lit, ast::LitKind::Int(_)) {
                codes::INTEGER_OVERFLOW
            } else {
                codes::INVALID_LITERAL
            };
            (code, msg)
        })
}

pub(crate) fn literal_hint(op: BinaryOp, other: Option<&Type>) -> Option<Type> {
    match (op, other) {
        (BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem, Some(Type::Money)) => None,
        (_, Some(Type::Date | Type::DateTime | Type::Duration)) if !op.is_comparison() => None,
        (_, t) => t.map(|t| t.without_option().clone()),
    }
}

impl<'e, 's> RuleCx<'e, 's> {
    /// A context for a rule owned by `owner` (used to name auxiliary predicates).
    pub fn new(env: &'e Env<'e>, m: usize, sink: &'s mut Sink, owner: String) -> RuleCx<'e, 's> {
        RuleCx {
            env,
            m,
            sink,
            vars: Vars::new(),
            lits: Vec::new(),
            cache: BTreeMap::new(),
            owner,
            aux_count: 0,
            in_aggregate: false,
        }
    }

    fn error(&mut self, code: &'static str, span: Span, msg: impl Into<String>) {
        self.sink.diags.push(Diagnostic::error(code, span, msg));
    }

    /// Lowers a conjunction of atoms; negations are lowered after all
    /// positive atoms so that they see every binding.
    pub fn body(&mut self, atoms: &[ast::Atom]) {
        let deferred = |a: &ast::Atom| {
            matches!(a.kind, AtomKind::Not(_)) || has_aggregate(a) || is_disjunction(a)
        };
        for a in atoms.iter().filter(|a| !deferred(a)) {
            self.atom(a);
        }
        // Disjunctions repeat the atoms lowered before them in each clause.
        for a in atoms
            .iter()
            .filter(|a| is_disjunction(a) && !has_aggregate(a))
        {
            self.atom(a);
        }
        // Aggregates see the variables the other atoms bind, so that only
        // their own new variables are local to them.
        for a in atoms.iter().filter(|a| has_aggregate(a)) {
            self.atom(a);
        }
        for a in atoms.iter().filter(|a| matches!(a.kind, AtomKind::Not(_))) {
            self.atom(a);
        }
    }

    /// `count { atoms }`, `sum { atoms, value }`, `count(o for o in T where p)`
    /// …: an aggregate literal whose result variable stands for its value.
    fn aggregate(&mut self, agg: &ast::Aggregate, span: Span) -> (Expr, Option<Type>) {
        let null = (Expr::Const(Value::Null), None);
        let Some(kind) = AggKind::from_name(&agg.func.name) else {
            self.error(
                codes::UNSUPPORTED_AGGREGATE,
                agg.func.span,
                format!(
                    "`{}` is not an aggregate: use count, sum, min, max or avg",
                    agg.func.name
                ),
            );
            return null;
        };
        if self.in_aggregate {
            self.error(
                codes::NESTED_AGGREGATE,
                span,
                "an aggregate inside another aggregate: compute the inner one in a derived predicate first",
            );
            return null;
        }
        let outer_vars = self.vars.count();
        let outer_lits = std::mem::take(&mut self.lits);
        let outer_cache = self.cache.clone();
        self.vars.push();
        self.in_aggregate = true;
        let value = self.aggregate_body(kind, &agg.form, span);
        self.in_aggregate = false;
        self.vars.pop();
        self.cache = outer_cache;
        let body = std::mem::replace(&mut self.lits, outer_lits);
        let Some(value) = value else {
            return null;
        };
        let mut used = BTreeSet::new();
        for l in &body {
            literal_vars(l, &mut used);
        }
        let mut value_vars = Vec::new();
        if let Some((e, _)) = &value {
            ox_ir::analysis::expr_vars(e, &mut value_vars);
        }
        used.extend(value_vars);
        let group_by: Vec<VarId> = used.into_iter().filter(|v| v.0 < outer_vars).collect();
        let ty = match (kind, &value) {
            (AggKind::Count, _) => Some(Type::Nat),
            (AggKind::Avg, Some((_, Some(Type::Money)))) => Some(Type::Money),
            (AggKind::Avg, _) => Some(Type::Decimal),
            (_, Some((_, t))) => t.clone(),
            (_, None) => None,
        };
        let result = self.vars.fresh(kind.name(), ty.clone());
        self.lits.push(Literal::Aggregate {
            result,
            kind,
            group_by,
            body,
            value: value.map(|(e, _)| e),
            zero: types::sum_zero(kind, ty.as_ref()),
        });
        (Expr::Var(result), ty)
    }

    /// Lowers an aggregate's conditions into `self.lits`; returns the
    /// aggregated value (`Some(None)` for `count`), `None` after an error.
    #[allow(clippy::type_complexity)]
    fn aggregate_body(
        &mut self,
        kind: AggKind,
        form: &ast::AggregateForm,
        span: Span,
    ) -> Option<Option<(Expr, Option<Type>)>> {
        match form {
            ast::AggregateForm::Atoms(atoms) => {
                if kind == AggKind::Count {
                    self.body(atoms);
                    return Some(None);
                }
                match atoms.split_last() {
                    Some((last, rest)) if matches!(last.kind, AtomKind::Expr(_)) => {
                        self.body(rest);
                        let AtomKind::Expr(e) = &last.kind else {
                            return None;
                        };
                        Some(Some(self.value(e, None)))
                    }
                    _ => {
                        self.error(
                            codes::UNSUPPORTED_AGGREGATE,
                            span,
                            format!(
                                "`{}` needs the aggregated value as its last item, e.g. `{} {{ l: Lease, l.rent }}`",
                                kind.name(),
                                kind.name()
                            ),
                        );
                        None
                    }
                }
            }
            ast::AggregateForm::Comprehension(c) => {
                let ExprKind::Path(path) = &c.source.kind else {
                    self.error(
                        codes::NOT_SUPPORTED,
                        c.source.span,
                        "an aggregate in a rule ranges over the instances of a type",
                    );
                    return None;
                };
                let sym = match self.env.scope.resolve(self.m, path) {
                    Ok(sym) => sym,
                    Err(d) => {
                        self.sink.diags.push(d);
                        return None;
                    }
                };
                let (Symbol::Concept(concept), Some((pred, _))) = (sym, self.env.predicate_of(sym))
                else {
                    self.error(
                        codes::NOT_SUPPORTED,
                        c.source.span,
                        format!(
                            "`{}` is {}; an aggregate in a rule ranges over the instances of a type",
                            path_text(path),
                            sym.describe()
                        ),
                    );
                    return None;
                };
                let v = self.vars.declare(&c.var.name, Some(Type::Concept(concept)));
                self.lits.push(Literal::Pos(Atom {
                    pred,
                    args: vec![Term::Var(v)],
                }));
                if let Some(filter) = &c.filter {
                    self.condition(filter);
                }
                if kind == AggKind::Count {
                    return Some(None);
                }
                Some(Some(self.value(&c.elem, None)))
            }
            ast::AggregateForm::Group(_) => {
                self.error(
                    codes::UNSUPPORTED_AGGREGATE,
                    span,
                    format!(
                        "`{}(…)` without `for` aggregates the rows of a grouped query; in a rule write `{} {{ … }}` or `{}(e for x in T where …)`",
                        kind.name(),
                        kind.name(),
                        kind.name()
                    ),
                );
                None
            }
        }
    }

    fn atom(&mut self, a: &ast::Atom) {
        match &a.kind {
            AtomKind::Call {
                strong_negation: false,
                pred,
                args,
            } if self.is_fn(pred) => self.fn_condition(pred, args, a.span, true),
            AtomKind::Call {
                strong_negation,
                pred,
                args,
            } => {
                if let Some(mut at) = self.call(pred, args) {
                    if *strong_negation {
                        let complement = self
                            .env
                            .derived
                            .iter()
                            .find(|d| d.pred == at.pred)
                            .and_then(|d| d.complement);
                        let Some(complement) = complement else {
                            self.error(
                                codes::NO_STRONG_NEGATION,
                                a.span,
                                format!(
                                    "`~{}` is never derived: strong negation reads a derived predicate that has `derive ~{}` clauses",
                                    path_text(pred),
                                    path_text(pred)
                                ),
                            );
                            return;
                        };
                        at.pred = complement;
                    }
                    self.lits.push(Literal::Pos(at));
                }
            }
            AtomKind::TypeTest { var, ty } => {
                if let Some(at) = self.type_test(var, ty) {
                    self.lits.push(Literal::Pos(at));
                }
            }
            AtomKind::Compare { lhs, op, rhs } => self.compare(lhs, *op, rhs, a.span),
            AtomKind::Not(inner) => self.negation(inner),
            AtomKind::Bind { var, value } => self.bind(var, value),
            AtomKind::Group(atoms) => self.body(atoms),
            AtomKind::Expr(e) => self.condition(e),
        }
    }

    /// `P(args)`: an atom of a concept, relation or derived predicate.
    pub fn call(&mut self, pred: &ast::Path, args: &[ast::Expr]) -> Option<Atom> {
        let sym = match self.env.scope.resolve(self.m, pred) {
            Ok(s) => s,
            Err(d) => {
                self.sink.diags.push(d);
                return None;
            }
        };
        let Some((pid, types)) = self.env.atom_predicate(sym, args.len()) else {
            self.error(
                codes::WRONG_KIND,
                pred.span,
                format!(
                    "`{}` is {}, not a concept, relation or derived predicate",
                    path_text(pred),
                    sym.describe()
                ),
            );
            return None;
        };
        if args.len() != types.len() {
            self.error(
                codes::SIGNATURE_MISMATCH,
                pred.span,
                format!(
                    "`{}` takes {} argument(s), found {}",
                    path_text(pred),
                    types.len(),
                    args.len()
                ),
            );
            return None;
        }
        let args = args
            .iter()
            .zip(&types)
            .map(|(a, t)| self.term(a, t.as_ref()))
            .collect();
        Some(Atom { pred: pid, args })
    }

    /// `x: T`: a membership atom; narrows the type of x.
    fn type_test(&mut self, var: &ast::Ident, ty: &ast::Type) -> Option<Atom> {
        let mut diags = Vec::new();
        let resolved = self.env.resolve_type(self.m, ty, &mut diags);
        self.sink.diags.extend(diags);
        let c = match resolved? {
            Type::Concept(c) => c,
            other => {
                self.error(
                    codes::WRONG_KIND,
                    ty.span,
                    format!(
                        "a type test needs a concept, `{}` is not one",
                        self.env.type_name(&other)
                    ),
                );
                return None;
            }
        };
        let v = match self.vars.lookup(&var.name) {
            Some(v) => {
                match self.vars.ty(v).cloned() {
                    Some(Type::Concept(cur)) if self.env.is_sub(c, cur) => {
                        self.vars.set_ty(v, Type::Concept(c))
                    }
                    None => self.vars.set_ty(v, Type::Concept(c)),
                    _ => {}
                }
                v
            }
            None => self.vars.declare(&var.name, Some(Type::Concept(c))),
        };
        Some(Atom {
            pred: self.env.concepts[c.index()].pred,
            args: vec![Term::Var(v)],
        })
    }

    /// Records that variable `v` is used where `expected` is required.
    fn unify(&mut self, v: VarId, expected: Option<&Type>, span: Span) {
        let Some(t) = expected else { return };
        match self.vars.ty(v).cloned() {
            None => self.vars.set_ty(v, t.clone()),
            Some(cur) => {
                if !self.env.comparable(&cur, t) {
                    let d = self.env.mismatch(span, t, &cur);
                    self.sink.diags.push(d);
                }
            }
        }
    }

    /// A constant named by a path: an enum variant (qualified, imported, or
    /// unqualified when the expected type is that enum).
    fn constant(&mut self, path: &ast::Path, expected: Option<&Type>) -> Option<(Value, Type)> {
        if path.segments.len() == 1 {
            if let Some(Type::Enum(e)) = expected.map(Type::without_option) {
                let name = &path.segments[0].name;
                if let Some(i) = self
                    .env
                    .enums
                    .get(e.index())
                    .and_then(|d| d.variants.iter().position(|v| v.name == *name))
                {
                    return Some((Value::Enum(*e, i as u32, Vec::new()), Type::Enum(*e)));
                }
            }
        }
        match self.env.scope.resolve(self.m, path) {
            Ok(Symbol::Variant(e, i)) => Some((Value::Enum(e, i, Vec::new()), Type::Enum(e))),
            _ => None,
        }
    }

    /// An argument position: a variable, a constant, or a computed value bound to a fresh variable.
    pub fn term(&mut self, e: &ast::Expr, expected: Option<&Type>) -> Term {
        if let Some(id) = plain_name(e) {
            if let Some(v) = self.vars.lookup(&id.name) {
                self.unify(v, expected, e.span);
                return Term::Var(v);
            }
            if let ExprKind::Path(p) = &e.kind {
                if let Some((c, _)) = self.constant(p, expected) {
                    return Term::Const(c);
                }
            }
            return Term::Var(self.vars.declare(&id.name, expected.cloned()));
        }
        let (x, ty) = self.value(e, expected);
        if let (Some(exp), Some(found)) = (expected, ty.as_ref()) {
            if !self.env.comparable(found, exp) {
                let d = self.env.mismatch(e.span, exp, found);
                self.sink.diags.push(d);
            }
        }
        match x {
            Expr::Var(v) => Term::Var(v),
            Expr::Const(c) => Term::Const(c),
            other => {
                let text = self.env.text(e.span);
                let v = self.vars.fresh(&text, ty.or_else(|| expected.cloned()));
                self.lits.push(Literal::Bind {
                    var: v,
                    expr: other,
                });
                Term::Var(v)
            }
        }
    }

    /// Lowers two operands, typing a literal operand by the other one.
    fn operands(
        &mut self,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> ((Expr, Option<Type>), (Expr, Option<Type>)) {
        if is_literal(lhs) && !is_literal(rhs) {
            let r = self.value(rhs, None);
            let hint = literal_hint(op, r.1.as_ref());
            let l = self.value(lhs, hint.as_ref());
            (l, r)
        } else {
            let l = self.value(lhs, None);
            let hint = literal_hint(op, l.1.as_ref());
            let r = self.value(rhs, hint.as_ref());
            (l, r)
        }
    }

    /// A value expression of a rule body (no atoms of its own except field steps).
    pub fn value(&mut self, e: &ast::Expr, expected: Option<&Type>) -> (Expr, Option<Type>) {
        match &e.kind {
            ExprKind::Lit(l) => self.lit(&l.kind, expected, false, e.span),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                if let ExprKind::Lit(l) = &operand.kind {
                    return self.lit(&l.kind, expected, true, e.span);
                }
                let (x, t) = self.value(operand, expected);
                if let Some(t) = &t {
                    if !t.is_numeric() && *t != Type::Duration {
                        self.error(
                            codes::TYPE_MISMATCH,
                            e.span,
                            format!("cannot negate a value of type `{}`", self.env.type_name(t)),
                        );
                    }
                }
                (
                    Expr::Unary {
                        op: ox_ir::UnaryOp::Neg,
                        expr: Box::new(x),
                    },
                    t,
                )
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let (x, t) = self.value(operand, Some(&Type::Bool));
                self.expect(operand.span, &Type::Bool, t.as_ref());
                (
                    Expr::Unary {
                        op: ox_ir::UnaryOp::Not,
                        expr: Box::new(x),
                    },
                    Some(Type::Bool),
                )
            }
            ExprKind::Path(p) => {
                if p.segments.len() == 1 {
                    if let Some(v) = self.vars.lookup(&p.segments[0].name) {
                        self.unify(v, expected, e.span);
                        return (Expr::Var(v), self.vars.ty(v).cloned());
                    }
                }
                if let Some((c, t)) = self.constant(p, expected) {
                    return (Expr::Const(c), Some(t));
                }
                if p.segments.len() == 1 {
                    let v = self.vars.declare(&p.segments[0].name, expected.cloned());
                    return (Expr::Var(v), expected.cloned());
                }
                match self.env.scope.resolve(self.m, p) {
                    Ok(sym) => self.error(
                        codes::WRONG_KIND,
                        p.span,
                        format!("`{}` is {}, not a value", path_text(p), sym.describe()),
                    ),
                    Err(d) => self.sink.diags.push(d),
                }
                (Expr::Const(Value::Null), None)
            }
            ExprKind::Field { base, name } => self.field(base, name, e.span),
            ExprKind::MethodCall {
                receiver,
                method,
                args,
            } if args.is_empty() => {
                let (x, t) = self.value(receiver, None);
                match builtin_method(&method.name, t.as_ref()) {
                    Some((b, rt)) => (
                        Expr::Builtin {
                            builtin: b,
                            args: vec![x],
                        },
                        Some(rt),
                    ),
                    None => {
                        self.error(
                            codes::NOT_SUPPORTED,
                            method.span,
                            format!("method `{}` is not supported here", method.name),
                        );
                        (Expr::Const(Value::Null), None)
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let ((l, lt), (r, rt)) = self.operands(*op, lhs, rhs);
                let ty = self.binary_type(*op, lt.as_ref(), rt.as_ref(), e.span);
                (
                    Expr::Binary {
                        op: ir_binop(*op),
                        left: Box::new(l),
                        right: Box::new(r),
                    },
                    ty,
                )
            }
            ExprKind::Call { func, args }
                if args.is_empty()
                    && func.segments.len() == 1
                    && matches!(func.segments[0].name.as_str(), "today" | "now") =>
            {
                if func.segments[0].name == "today" {
                    (
                        Expr::Builtin {
                            builtin: Builtin::Today,
                            args: Vec::new(),
                        },
                        Some(Type::Date),
                    )
                } else {
                    (
                        Expr::Builtin {
                            builtin: Builtin::Now,
                            args: Vec::new(),
                        },
                        Some(Type::DateTime),
                    )
                }
            }
            ExprKind::Aggregate(agg) => self.aggregate(agg, e.span),
            ExprKind::Call { func, args } if self.is_fn(func) => self.fn_call(func, args, e.span),
            ExprKind::Call { func, .. } => {
                self.error(
                    codes::NOT_SUPPORTED,
                    e.span,
                    format!(
                        "calling `{}` inside a rule body is not supported yet",
                        path_text(func)
                    ),
                );
                (Expr::Const(Value::Null), None)
            }
            _ => {
                self.error(
                    codes::NOT_SUPPORTED,
                    e.span,
                    "this expression is not supported in rule bodies yet",
                );
                (Expr::Const(Value::Null), None)
            }
        }
    }

    /// `f(args)` of a pure `fn`: a call the compiler inlines once every
    /// function is lowered (see `inline`).
    fn fn_call(
        &mut self,
        func: &ast::Path,
        args: &[ast::Expr],
        span: Span,
    ) -> (Expr, Option<Type>) {
        let Ok(Symbol::Fn(id)) = self.env.scope.resolve(self.m, func) else {
            return (Expr::Const(Value::Null), None);
        };
        let sig = &self.env.fns[id.index()];
        if args.len() != sig.params.len() {
            let msg = format!(
                "`{}` takes {} argument(s), found {}",
                path_text(func),
                sig.params.len(),
                args.len()
            );
            self.error(codes::SIGNATURE_MISMATCH, span, msg);
            return (Expr::Const(Value::Null), None);
        }
        let params: Vec<Type> = sig.params.iter().map(|p| p.ty.clone()).collect();
        let result = sig.result.clone();
        let mut lowered = Vec::new();
        for (a, ty) in args.iter().zip(&params) {
            let (x, t) = self.value(a, Some(ty));
            self.expect(a.span, ty, t.as_ref());
            lowered.push(x);
        }
        (
            Expr::Call {
                func: id,
                args: lowered,
            },
            Some(result),
        )
    }

    fn expect(&mut self, span: Span, expected: &Type, found: Option<&Type>) {
        if let Some(f) = found {
            if !self.env.assignable(f, expected) {
                let d = self.env.mismatch(span, expected, f);
                self.sink.diags.push(d);
            }
        }
    }

    fn lit(
        &mut self,
        lit: &ast::LitKind,
        expected: Option<&Type>,
        negative: bool,
        span: Span,
    ) -> (Expr, Option<Type>) {
        match literal_const(lit, expected, negative) {
            Ok((e, t)) => (e, Some(t)),
            Err((code, msg)) => {
                self.error(code, span, msg);
                (Expr::Const(Value::Null), None)
            }
        }
    }

    /// The type of `l op r`, reporting operands that do not fit.
    fn binary_type(
        &mut self,
        op: BinaryOp,
        l: Option<&Type>,
        r: Option<&Type>,
        span: Span,
    ) -> Option<Type> {
        binary_type(self.env, &mut self.sink.diags, op, l, r, span)
    }

    /// `base.name`: a field step on an individual, a duration, a date part.
    fn field(&mut self, base: &ast::Expr, name: &ast::Ident, span: Span) -> (Expr, Option<Type>) {
        if let ExprKind::Lit(lit) = &base.kind {
            match types::unit_literal(&lit.kind, &name.name) {
                Some(Ok((value, ty))) => return (Expr::Const(value), Some(ty)),
                Some(Err((code, msg))) => {
                    self.error(code, span, msg);
                    return (Expr::Const(Value::Null), None);
                }
                None => {}
            }
        }
        let (b, bt) = self.value(base, None);
        match bt.as_ref().map(Type::without_option) {
            Some(Type::Concept(c)) => {
                let c = *c;
                let bv = match b {
                    Expr::Var(v) => v,
                    other => {
                        let v = self.vars.fresh(&self.env.text(base.span), bt.clone());
                        self.lits.push(Literal::Bind {
                            var: v,
                            expr: other,
                        });
                        v
                    }
                };
                match self.field_step(bv, c, name) {
                    Some((v, t)) => (Expr::Var(v), Some(t)),
                    None => (Expr::Const(Value::Null), None),
                }
            }
            Some(t) if t.is_integer() && DURATION_UNITS.contains(&name.name.as_str()) => (
                Expr::Builtin {
                    builtin: Builtin::DurationOf(name.name.clone()),
                    args: vec![b],
                },
                Some(Type::Duration),
            ),
            Some(t @ (Type::Date | Type::DateTime)) if date_part(t, &name.name) => (
                Expr::Builtin {
                    builtin: Builtin::DatePart(name.name.clone()),
                    args: vec![b],
                },
                Some(Type::Int),
            ),
            Some(t) => {
                let t = t.clone();
                self.error(
                    codes::UNKNOWN_FIELD,
                    name.span,
                    format!(
                        "type `{}` has no field `{}`",
                        self.env.type_name(&t),
                        name.name
                    ),
                );
                (Expr::Const(Value::Null), None)
            }
            None => (Expr::Const(Value::Null), None),
        }
    }

    /// Adds (or reuses) the field atom `C.f(base, v)` and returns v.
    fn field_step(
        &mut self,
        base: VarId,
        c: ConceptId,
        name: &ast::Ident,
    ) -> Option<(VarId, Type)> {
        let Some((fref, f)) = self.env.find_field(c, &name.name) else {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_FIELD,
                name.span,
                format!(
                    "concept `{}` has no field `{}`",
                    self.env.concepts[c.index()].name,
                    name.name
                ),
            );
            let names: Vec<String> = self
                .env
                .all_fields(c)
                .iter()
                .map(|(_, f)| f.name.clone())
                .collect();
            if let Some(s) = closest(&name.name, names.iter().map(String::as_str)) {
                d = d.with_help(format!("a similar field exists: `{s}`"));
            }
            self.sink.diags.push(d);
            return None;
        };
        let vt = field_value_type(&f.ty);
        if let Some(v) = self.cache.get(&(base, fref)) {
            return Some((*v, vt));
        }
        let display = format!("{}.{}", self.vars.name(base), name.name);
        let v = self.vars.fresh(&display, Some(vt.clone()));
        self.lits.push(Literal::Pos(Atom {
            pred: f.pred,
            args: vec![Term::Var(base), Term::Var(v)],
        }));
        self.cache.insert((base, fref), v);
        Some((v, vt))
    }

    /// `lhs op rhs`; `x == e` with a plain variable on one side is a binding.
    pub fn compare(&mut self, lhs: &ast::Expr, op: BinaryOp, rhs: &ast::Expr, span: Span) {
        if cmp_op(op).is_some() && self.meta_compare(lhs, op, rhs, span) {
            return;
        }
        let Some(cmp) = cmp_op(op) else {
            self.condition(&ast::Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs.clone()),
                    rhs: Box::new(rhs.clone()),
                },
                span,
            });
            return;
        };
        if op == BinaryOp::Eq {
            for (var_side, other) in [(lhs, rhs), (rhs, lhs)] {
                if let Some(id) = self.binding_var(var_side) {
                    if self.vars.lookup(&id.name).is_some() {
                        self.bind(id, other);
                    } else {
                        self.fresh_binding(id, var_side, other);
                    }
                    return;
                }
            }
        }
        let ((l, lt), (r, rt)) = self.operands(op, lhs, rhs);
        if let (Some(a), Some(b)) = (&lt, &rt) {
            if !self.env.comparable(a, b) {
                self.error(
                    codes::TYPE_MISMATCH,
                    span,
                    format!(
                        "cannot compare `{}` with `{}`",
                        self.env.type_name(a),
                        self.env.type_name(b)
                    ),
                );
            }
        }
        self.lits.push(Literal::Compare {
            op: cmp,
            left: l,
            right: r,
        });
    }

    /// The name of a plain variable operand (not an enum constant).
    fn binding_var<'x>(&mut self, e: &'x ast::Expr) -> Option<&'x ast::Ident> {
        let id = plain_name(e)?;
        if self.vars.lookup(&id.name).is_some() {
            return Some(id);
        }
        match &e.kind {
            ExprKind::Path(p) if self.constant(p, None).is_some() => None,
            _ => Some(id),
        }
    }

    /// `name == other` where `name` is not a variable yet: a variant of
    /// `other`'s enum type (`p.tier == Gold`) or a new variable bound to other.
    fn fresh_binding(&mut self, id: &ast::Ident, name: &ast::Expr, other: &ast::Expr) {
        let (x, t) = self.value(other, None);
        if let (ExprKind::Path(p), Some(t @ Type::Enum(_))) =
            (&name.kind, t.as_ref().map(Type::without_option))
        {
            if let Some((c, _)) = self.constant(p, Some(t)) {
                self.lits.push(Literal::Compare {
                    op: CmpOp::Eq,
                    left: x,
                    right: Expr::Const(c),
                });
                return;
            }
        }
        let v = self.vars.declare(&id.name, t);
        self.lits.push(Literal::Bind { var: v, expr: x });
    }

    /// `v = expr`.
    pub fn bind(&mut self, var: &ast::Ident, value: &ast::Expr) {
        let v = match self.vars.lookup(&var.name) {
            Some(v) => v,
            None => self.vars.declare(&var.name, None),
        };
        let expected = self.vars.ty(v).cloned();
        let (x, t) = self.value(value, expected.as_ref());
        self.unify(v, t.as_ref(), value.span);
        self.lits.push(Literal::Bind { var: v, expr: x });
    }

    /// `not atom`.
    fn negation(&mut self, inner: &ast::Atom) {
        let comparison =
            matches!(&inner.kind, AtomKind::Compare { op, .. } if cmp_op(*op).is_some());
        if has_aggregate(inner) && !comparison {
            self.error(
                codes::NEGATED_AGGREGATE,
                inner.span,
                "`not` cannot be applied to an aggregate: compare its value instead, e.g. `n = count { … }, n == 0`",
            );
            return;
        }
        match &inner.kind {
            AtomKind::Call {
                strong_negation: false,
                pred,
                args,
            } if self.is_fn(pred) => self.fn_condition(pred, args, inner.span, false),
            AtomKind::Call {
                strong_negation: false,
                args,
                ..
            } if args.iter().any(|a| self.introduces_var(a)) => {
                // `not P(x, y)` with y fresh means "no y such that P(x, y)".
                self.aux_negation(inner.span, |cx| cx.atom(inner))
            }
            AtomKind::Call {
                strong_negation: false,
                pred,
                args,
            } => {
                if let Some(at) = self.call(pred, args) {
                    self.lits.push(Literal::Neg(at));
                }
            }
            AtomKind::TypeTest { var, ty } => {
                if let Some(at) = self.type_test(var, ty) {
                    self.lits.push(Literal::Neg(at));
                }
            }
            AtomKind::Compare { lhs, op, rhs }
                if cmp_op(*op).is_some()
                    && meta::meta_read(lhs).is_none()
                    && meta::meta_read(rhs).is_none() =>
            {
                self.compare(lhs, invert(*op), rhs, inner.span)
            }
            // De Morgan: `not (a || b)` is `!a, !b`.
            AtomKind::Expr(
                e @ ast::Expr {
                    kind:
                        ExprKind::Binary {
                            op: BinaryOp::Or, ..
                        },
                    ..
                },
            ) => {
                for alt in disjunction::alternatives(e) {
                    self.condition(&disjunction::negated(alt));
                }
            }
            _ => self.aux_negation(inner.span, |cx| cx.atom(inner)),
        }
    }

    /// Whether an argument is a plain name that is neither a known variable nor a constant.
    fn introduces_var(&mut self, e: &ast::Expr) -> bool {
        let Some(id) = plain_name(e) else {
            return false;
        };
        if self.vars.lookup(&id.name).is_some() {
            return false;
        }
        match &e.kind {
            ExprKind::Path(p) => self.constant(p, None).is_none(),
            _ => false,
        }
    }

    /// Lowers `build` into an auxiliary predicate over the outer variables it
    /// uses and adds the negation of that predicate.
    fn aux_negation(&mut self, span: Span, build: impl FnOnce(&mut RuleCx<'_, '_>)) {
        let outer = self.vars.count();
        let path = format!("{}$not{}", self.owner, self.aux_count);
        self.aux_count += 1;
        let (inner, vars) = {
            let mut child = RuleCx {
                env: self.env,
                m: self.m,
                sink: &mut *self.sink,
                vars: self.vars.clone(),
                lits: Vec::new(),
                cache: self.cache.clone(),
                owner: path.clone(),
                aux_count: 0,
                in_aggregate: self.in_aggregate,
            };
            build(&mut child);
            (child.lits, child.vars)
        };
        let mut used = BTreeSet::new();
        for lit in &inner {
            literal_vars(lit, &mut used);
        }
        let head: Vec<VarId> = used.into_iter().filter(|v| v.0 < outer).collect();
        let params = head
            .iter()
            .map(|v| Param {
                name: vars.name(*v).to_string(),
                ty: vars.ty(*v).cloned().unwrap_or(Type::Unit),
            })
            .collect();
        let (pred, name) = self.sink.aux_predicate(path, params);
        let args: Vec<Term> = head.iter().map(|v| Term::Var(*v)).collect();
        // The positive atoms and bindings of the enclosing body bind the shared variables.
        let mut body: Vec<Literal> = self
            .lits
            .iter()
            .filter(|l| matches!(l, Literal::Pos(_) | Literal::Bind { .. }))
            .cloned()
            .collect();
        body.extend(inner);
        let head = Atom {
            pred,
            args: args.clone(),
        };
        self.sink
            .aux_rule(&name, 0, (head, body), vars.names.clone(), span);
        self.lits.push(Literal::Neg(Atom { pred, args }));
    }

    /// A boolean expression used as a condition (atoms of `iff`, `AtomKind::Expr`).
    pub fn condition(&mut self, e: &ast::Expr) {
        match &e.kind {
            ExprKind::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => {
                self.condition(lhs);
                self.condition(rhs);
            }
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
                self.compare(lhs, *op, rhs, e.span)
            }
            ExprKind::Binary {
                op: BinaryOp::Or, ..
            } => self.disjunction(&disjunction::alternatives(e), e.span),
            ExprKind::Binary {
                op: BinaryOp::In,
                lhs,
                rhs,
            } => self.membership(lhs, rhs, e.span),
            ExprKind::Binary {
                op: BinaryOp::NotIn,
                lhs,
                rhs,
            } => self.aux_negation(e.span, |cx| cx.membership(lhs, rhs, e.span)),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => match &operand.kind {
                ExprKind::Call { func, args }
                    if self.is_predicate(func) && !args.iter().any(|a| self.introduces_var(a)) =>
                {
                    if let Some(at) = self.call(func, args) {
                        self.lits.push(Literal::Neg(at));
                    }
                }
                ExprKind::Binary { op, lhs, rhs }
                    if op.is_comparison()
                        && meta::meta_read(lhs).is_none()
                        && meta::meta_read(rhs).is_none() =>
                {
                    self.compare(lhs, invert(*op), rhs, operand.span)
                }
                // De Morgan: `!(a || b)` is `!a, !b`.
                ExprKind::Binary {
                    op: BinaryOp::Or, ..
                } => {
                    for alt in disjunction::alternatives(operand) {
                        self.condition(&disjunction::negated(alt));
                    }
                }
                _ => self.aux_negation(e.span, |cx| cx.condition(operand)),
            },
            ExprKind::Call { func, args } if self.is_predicate(func) => {
                if let Some(at) = self.call(func, args) {
                    self.lits.push(Literal::Pos(at));
                }
            }
            ExprKind::MethodCall {
                receiver,
                method,
                args,
            } if args.len() == 1 => {
                // Navigation `x.f(y)`: binds y to each value of field f.
                let (b, bt) = self.value(receiver, None);
                let Some(Type::Concept(c)) = bt.as_ref().map(Type::without_option).cloned() else {
                    self.error(
                        codes::NOT_SUPPORTED,
                        method.span,
                        "navigation `x.f(y)` needs an individual on the left",
                    );
                    return;
                };
                let bv = match b {
                    Expr::Var(v) => v,
                    other => {
                        let v = self.vars.fresh(&self.env.text(receiver.span), bt.clone());
                        self.lits.push(Literal::Bind {
                            var: v,
                            expr: other,
                        });
                        v
                    }
                };
                let Some((_, f)) = self.env.find_field(c, &method.name) else {
                    if self.relation_step(bv, c, method, &args[0]) {
                        return;
                    }
                    self.error(
                        codes::UNKNOWN_FIELD,
                        method.span,
                        format!(
                            "concept `{}` has no field `{}`",
                            self.env.concepts[c.index()].name,
                            method.name
                        ),
                    );
                    return;
                };
                let pred = f.pred;
                let vt = field_value_type(&f.ty);
                let t = self.term(&args[0], Some(&vt));
                self.lits.push(Literal::Pos(Atom {
                    pred,
                    args: vec![Term::Var(bv), t],
                }));
            }
            _ => {
                let (x, t) = self.value(e, Some(&Type::Bool));
                self.expect(e.span, &Type::Bool, t.as_ref());
                self.lits.push(Literal::Compare {
                    op: CmpOp::Eq,
                    left: x,
                    right: Expr::Const(Value::Bool(true)),
                });
            }
        }
    }

    /// `x in base.f` over a multi-valued field: the field atom `(base, x)`;
    /// `x in base.R` over a relation: the tuples of R from base;
    /// `x in [a, b]`: the disjunction `x == a || x == b`.
    fn membership(&mut self, lhs: &ast::Expr, rhs: &ast::Expr, span: Span) {
        if let ExprKind::List(items) = &rhs.kind {
            let alts = disjunction::equalities(lhs, items);
            match alts.as_slice() {
                [] => self.lits.push(Literal::Compare {
                    op: CmpOp::Eq,
                    left: Expr::Const(Value::Bool(true)),
                    right: Expr::Const(Value::Bool(false)),
                }),
                [one] => self.condition(one),
                _ => self.disjunction(&alts.iter().collect::<Vec<_>>(), span),
            }
            return;
        }
        if let ExprKind::Field { base, name } = &rhs.kind {
            let (b, bt) = self.value(base, None);
            if let (Expr::Var(bv), Some(Type::Concept(c))) =
                (b, bt.as_ref().map(Type::without_option))
            {
                if let Some((_, f)) = self.env.find_field(*c, &name.name) {
                    let pred = f.pred;
                    let vt = field_value_type(&f.ty);
                    let t = self.term(lhs, Some(&vt));
                    self.lits.push(Literal::Pos(Atom {
                        pred,
                        args: vec![Term::Var(bv), t],
                    }));
                    return;
                }
                if self.relation_step(bv, *c, name, lhs) {
                    return;
                }
            }
        }
        self.error(
            codes::NOT_SUPPORTED,
            span,
            "`in` in rule bodies needs a literal list (`x in [a, b]`), a field of an individual (`x in y.tags`) or a relation from one (`x in y.LeaseOf`)",
        );
    }

    /// Whether `path` names a `fn`.
    fn is_fn(&self, path: &ast::Path) -> bool {
        matches!(self.env.scope.resolve(self.m, path), Ok(Symbol::Fn(_)))
    }

    /// `f(args)` (or `not f(args)`) of a `fn` returning `Bool`, used as an atom.
    fn fn_condition(&mut self, func: &ast::Path, args: &[ast::Expr], span: Span, holds: bool) {
        let (x, t) = self.fn_call(func, args, span);
        self.expect(span, &Type::Bool, t.as_ref());
        self.lits.push(Literal::Compare {
            op: CmpOp::Eq,
            left: x,
            right: Expr::Const(Value::Bool(holds)),
        });
    }

    fn is_predicate(&self, path: &ast::Path) -> bool {
        self.env
            .scope
            .resolve(self.m, path)
            .ok()
            .and_then(|s| self.env.predicate_of(s))
            .is_some()
    }
}

/// The builtin behind a zero-argument method, with its result type.
pub(crate) fn builtin_method(name: &str, receiver: Option<&Type>) -> Option<(Builtin, Type)> {
    match (name, receiver) {
        ("len", Some(Type::List(..) | Type::Set(_) | Type::Map(..) | Type::String) | None) => {
            Some((Builtin::Len, Type::Nat))
        }
        ("is_some", Some(Type::Option(_)) | None) => Some((Builtin::IsSome, Type::Bool)),
        ("is_none", Some(Type::Option(_)) | None) => Some((Builtin::IsNone, Type::Bool)),
        _ => None,
    }
}

/// Whether `name` is a date part accessor of a date or date-time.
pub(crate) fn date_part(t: &Type, name: &str) -> bool {
    match t {
        Type::Date => matches!(name, "year" | "month" | "day"),
        Type::DateTime => matches!(
            name,
            "year" | "month" | "day" | "hour" | "minute" | "second"
        ),
        _ => false,
    }
}

/// The type of a binary expression, reporting operands that do not fit.
pub(crate) fn binary_type(
    env: &Env<'_>,
    diags: &mut Vec<Diagnostic>,
    op: BinaryOp,
    l: Option<&Type>,
    r: Option<&Type>,
    span: Span,
) -> Option<Type> {
    match op {
        BinaryOp::And | BinaryOp::Or => {
            for t in [l, r].into_iter().flatten() {
                if !env.assignable(t, &Type::Bool) {
                    diags.push(env.mismatch(span, &Type::Bool, t));
                }
            }
            Some(Type::Bool)
        }
        BinaryOp::In | BinaryOp::NotIn => {
            if let (Some(a), Some(b)) = (l, r) {
                match b.without_option().element() {
                    Some(elem) if env.comparable(a, elem) => {}
                    _ => diags.push(Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        span,
                        format!(
                            "expected a collection of `{}`, found `{}`",
                            env.type_name(a),
                            env.type_name(b)
                        ),
                    )),
                }
            }
            Some(Type::Bool)
        }
        op if op.is_comparison() => {
            if let (Some(a), Some(b)) = (l, r) {
                if !env.comparable(a, b) {
                    diags.push(Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        span,
                        format!(
                            "cannot compare `{}` with `{}`",
                            env.type_name(a),
                            env.type_name(b)
                        ),
                    ));
                }
            }
            Some(Type::Bool)
        }
        _ => {
            let (a, b) = (l?, r?);
            match types::arithmetic(ir_binop(op), a, b) {
                Some(t) => Some(t),
                None => {
                    diags.push(Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        span,
                        format!(
                            "cannot apply `{}` to `{}` and `{}`",
                            op.as_str(),
                            env.type_name(a),
                            env.type_name(b)
                        ),
                    ));
                    None
                }
            }
        }
    }
}

/// The variables a literal mentions.
pub(crate) fn literal_vars(lit: &Literal, out: &mut BTreeSet<VarId>) {
    let mut vs = Vec::new();
    match lit {
        Literal::Pos(a) | Literal::Neg(a) => {
            for t in &a.args {
                if let Term::Var(v) = t {
                    vs.push(*v);
                }
            }
        }
        Literal::Compare { left, right, .. } => {
            ox_ir::analysis::expr_vars(left, &mut vs);
            ox_ir::analysis::expr_vars(right, &mut vs);
        }
        Literal::Bind { var, expr } => {
            vs.push(*var);
            ox_ir::analysis::expr_vars(expr, &mut vs);
        }
        // The result and the group; the aggregated body's variables are local.
        Literal::Aggregate {
            result, group_by, ..
        } => {
            vs.push(*result);
            vs.extend(group_by.iter().copied());
        }
    }
    out.extend(vs);
}
