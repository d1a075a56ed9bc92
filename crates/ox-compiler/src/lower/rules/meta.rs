//! `meta(x).axis op value` in rule bodies over individuals: x is an instance
//! of some concept whose metatype gives `axis` a value that compares so.
//!
//! The metatype axes are known at compile time, so the comparison becomes an
//! auxiliary predicate with one clause `C(x)` per concept C whose axis value
//! satisfies it; no axis value reaches the reasoner. `meta(T)` with T a
//! concept name compares to a constant.

use ox_ir::{Atom, CmpOp, ConceptId, Expr, Literal, Param, Term, Type, Value};
use ox_syntax::ast::{self, BinaryOp, ExprKind};
use ox_syntax::Span;

use super::RuleCx;
use crate::codes;
use crate::scope::Symbol;

/// The metatype axes of a compilation, as rule lowering needs them.
#[derive(Debug, Default)]
pub(crate) struct MetaTable {
    /// Per axis: name, whether its values form a chain, and the values.
    pub axes: Vec<(String, bool, Vec<String>)>,
    /// Per concept: the value index of each axis its metatype fixes.
    pub concept_values: Vec<std::collections::BTreeMap<usize, usize>>,
}

impl MetaTable {
    /// The axes and concept values of a validated substrate.
    pub(crate) fn new(sub: &crate::lower::substrate::Substrate) -> MetaTable {
        MetaTable {
            axes: sub
                .axes
                .iter()
                .map(|a| (a.name.clone(), a.ordered, a.values.clone()))
                .collect(),
            concept_values: sub
                .concept_metatype
                .iter()
                .map(|m| {
                    sub.metatypes
                        .get(*m)
                        .map(|m| m.values.clone())
                        .unwrap_or_default()
                })
                .collect(),
        }
    }
}

/// `meta(arg).axis`: the argument and the axis name.
pub(super) fn meta_read(e: &ast::Expr) -> Option<(&ast::Expr, &ast::Ident)> {
    let ExprKind::Field { base, name } = &e.kind else {
        return None;
    };
    match &base.kind {
        ExprKind::Call { func, args }
            if func.segments.len() == 1 && func.segments[0].name == "meta" && args.len() == 1 =>
        {
            Some((&args[0], name))
        }
        _ => None,
    }
}

fn holds(op: BinaryOp, l: usize, r: usize) -> bool {
    match op {
        BinaryOp::Eq => l == r,
        BinaryOp::Ne => l != r,
        BinaryOp::Lt => l < r,
        BinaryOp::Le => l <= r,
        BinaryOp::Gt => l > r,
        BinaryOp::Ge => l >= r,
        _ => false,
    }
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

impl RuleCx<'_, '_> {
    /// Lowers `lhs op rhs` when one side reads `meta(…).axis`; whether it did.
    pub(super) fn meta_compare(
        &mut self,
        lhs: &ast::Expr,
        op: BinaryOp,
        rhs: &ast::Expr,
        span: Span,
    ) -> bool {
        let (read, value, op) = match (meta_read(lhs), meta_read(rhs)) {
            (Some(_), Some(_)) => {
                self.error(
                    codes::NOT_SUPPORTED,
                    span,
                    "comparing two `meta(…)` reads in a rule body is not supported; compare with a value such as `rigidity::rigid`",
                );
                return true;
            }
            (Some(read), None) => (read, rhs, op),
            (None, Some(read)) => (read, lhs, flip(op)),
            (None, None) => return false,
        };
        let (arg, axis_name) = read;
        let Some(axis) = self
            .sink
            .meta
            .axes
            .iter()
            .position(|(n, ..)| *n == axis_name.name)
        else {
            self.error(
                codes::INVALID_AXIS_VALUE,
                axis_name.span,
                format!("`{}` is not a metaxis", axis_name.name),
            );
            return true;
        };
        let Some(target) = self.axis_value(axis, value) else {
            return true;
        };
        let ordered = self.sink.meta.axes[axis].1;
        if !ordered && !matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            let msg = format!(
                "the values of metaxis `{}` are unordered: compare them with `==` or `!=`",
                axis_name.name
            );
            self.error(codes::TYPE_MISMATCH, span, msg);
            return true;
        }
        let fits = |c: usize, table: &MetaTable| {
            table
                .concept_values
                .get(c)
                .and_then(|vals| vals.get(&axis))
                .is_some_and(|v| holds(op, *v, target))
        };
        // `meta(T)` of a concept name: a constant.
        if let ExprKind::Path(p) = &arg.kind {
            if self.vars.lookup(&p.segments[0].name).is_none() || p.segments.len() > 1 {
                if let Ok(Symbol::Concept(c)) = self.env.scope.resolve(self.m, p) {
                    let truth = fits(c.index(), &self.sink.meta);
                    self.lits.push(Literal::Compare {
                        op: CmpOp::Eq,
                        left: Expr::Const(Value::Bool(truth)),
                        right: Expr::Const(Value::Bool(true)),
                    });
                    return true;
                }
            }
        }
        let term = self.term(arg, None);
        let Term::Var(x) = term else {
            self.error(
                codes::TYPE_MISMATCH,
                arg.span,
                "`meta(…)` reads the metatype of an individual or of a concept",
            );
            return true;
        };
        if let Some(t) = self.vars.ty(x) {
            if !matches!(t, Type::Concept(_)) {
                let msg = format!(
                    "`meta(…)` reads the metatype of an individual or of a concept, not of a `{}`",
                    self.env.type_name(t)
                );
                self.error(codes::TYPE_MISMATCH, arg.span, msg);
                return true;
            }
        }
        let concepts: Vec<ConceptId> = (0..self.env.concepts.len())
            .filter(|c| fits(*c, &self.sink.meta))
            .map(|c| ConceptId(c as u32))
            .collect();
        let path = format!("{}$meta{}", self.owner, self.aux_count);
        self.aux_count += 1;
        let params = vec![Param {
            name: "x".into(),
            ty: self.vars.ty(x).cloned().unwrap_or(Type::Unit),
        }];
        let (pred, name) = self.sink.aux_predicate(path, params);
        let var = ox_ir::VarId(0);
        for (clause, c) in concepts.iter().enumerate() {
            let head = Atom {
                pred,
                args: vec![Term::Var(var)],
            };
            let body = vec![Literal::Pos(Atom {
                pred: self.env.concepts[c.index()].pred,
                args: vec![Term::Var(var)],
            })];
            self.sink
                .aux_rule(&name, clause, (head, body), vec!["x".into()], span);
        }
        self.lits.push(Literal::Pos(Atom {
            pred,
            args: vec![Term::Var(x)],
        }));
        true
    }

    /// The value index that `value` names on `axis` (`rigidity::rigid`, or
    /// `rigid` bare since the axis is known).
    fn axis_value(&mut self, axis: usize, value: &ast::Expr) -> Option<usize> {
        let ExprKind::Path(p) = &value.kind else {
            self.error(
                codes::INVALID_AXIS_VALUE,
                value.span,
                format!(
                    "compare `meta(…).{}` with a value of the metaxis, e.g. `{}::…`",
                    self.sink.meta.axes[axis].0, self.sink.meta.axes[axis].0
                ),
            );
            return None;
        };
        let (_, _, values) = &self.sink.meta.axes[axis];
        let bare = match p.segments.as_slice() {
            [one] => values.iter().position(|v| *v == one.name),
            _ => None,
        };
        if bare.is_some() {
            return bare;
        }
        match self.env.scope.resolve(self.m, p) {
            Ok(Symbol::AxisValue(a, v)) if a == axis => Some(v),
            _ => {
                let msg = format!(
                    "`{}` is not a value of metaxis `{}`",
                    super::path_text(p),
                    self.sink.meta.axes[axis].0
                );
                self.error(codes::INVALID_AXIS_VALUE, value.span, msg);
                None
            }
        }
    }
}
