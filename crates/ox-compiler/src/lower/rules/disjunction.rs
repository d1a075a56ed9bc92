//! Disjunction (`a || b`) and literal-list membership (`x in [a, b]`) in
//! rule bodies.
//!
//! A disjunction becomes an auxiliary derived predicate with one clause per
//! alternative; the enclosing body keeps a positive atom of it. Each clause
//! repeats the positive atoms and bindings lowered so far, so the variables
//! they bind stay bound inside the alternative. The head carries the outer
//! variables the alternatives use and the variables every alternative binds,
//! which stay visible after the disjunction. Nested disjunctions get their
//! own predicate, so the number of clauses grows with the size of the
//! source, never with the product of the alternatives.

use std::collections::BTreeSet;

use ox_ir::{Atom, Literal, Param, Term, Type, VarId};
use ox_syntax::ast::{self, BinaryOp, ExprKind, UnaryOp};
use ox_syntax::Span;

use super::{literal_vars, RuleCx};

/// The alternatives of a chain `a || b || c`, left to right.
pub(super) fn alternatives(e: &ast::Expr) -> Vec<&ast::Expr> {
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => {
            let mut out = alternatives(lhs);
            out.extend(alternatives(rhs));
            out
        }
        _ => vec![e],
    }
}

/// `!e` as a syntax node (for De Morgan over a disjunction).
pub(super) fn negated(e: &ast::Expr) -> ast::Expr {
    ast::Expr {
        kind: ExprKind::Unary {
            op: UnaryOp::Not,
            operand: Box::new(e.clone()),
        },
        span: e.span,
    }
}

/// `lhs == item` for each item of a literal list: the alternatives of `lhs in [items]`.
pub(super) fn equalities(lhs: &ast::Expr, items: &[ast::Expr]) -> Vec<ast::Expr> {
    items
        .iter()
        .map(|item| ast::Expr {
            kind: ExprKind::Binary {
                op: BinaryOp::Eq,
                lhs: Box::new(lhs.clone()),
                rhs: Box::new(item.clone()),
            },
            span: item.span,
        })
        .collect()
}

impl RuleCx<'_, '_> {
    /// Lowers a disjunction of conditions into an auxiliary predicate and
    /// adds a positive atom of it.
    pub(super) fn disjunction(&mut self, alts: &[&ast::Expr], span: Span) {
        let outer = self.vars.count();
        let path = format!("{}$or{}", self.owner, self.aux_count);
        self.aux_count += 1;
        let prefix: Vec<Literal> = self
            .lits
            .iter()
            .filter(|l| matches!(l, Literal::Pos(_) | Literal::Bind { .. }))
            .cloned()
            .collect();
        let mut clauses = Vec::new();
        for (i, alt) in alts.iter().enumerate() {
            let mut child = RuleCx {
                env: self.env,
                m: self.m,
                sink: &mut *self.sink,
                vars: self.vars.clone(),
                lits: prefix.clone(),
                cache: self.cache.clone(),
                owner: format!("{path}.{i}"),
                aux_count: 0,
                in_aggregate: self.in_aggregate,
            };
            child.condition(alt);
            clauses.push((child.lits, child.vars));
        }
        // Outer variables that some alternative mentions.
        let mut used = BTreeSet::new();
        for (lits, _) in &clauses {
            for l in &lits[prefix.len()..] {
                literal_vars(l, &mut used);
            }
        }
        let shared: Vec<VarId> = used.into_iter().filter(|v| v.0 < outer).collect();
        // Names that every alternative binds afresh.
        let mut exported: Vec<(String, Option<Type>)> = Vec::new();
        if let Some((_, first)) = clauses.first() {
            for (name, v) in first.named_since(outer) {
                if clauses[1..]
                    .iter()
                    .all(|(_, vars)| vars.lookup(&name).is_some_and(|w| w.0 >= outer))
                    && !exported.iter().any(|(n, _)| *n == name)
                {
                    exported.push((name, first.ty(v).cloned()));
                }
            }
        }
        let mut params: Vec<Param> = shared
            .iter()
            .map(|v| Param {
                name: self.vars.name(*v).to_string(),
                ty: self.vars.ty(*v).cloned().unwrap_or(Type::Unit),
            })
            .collect();
        params.extend(exported.iter().map(|(n, t)| Param {
            name: n.clone(),
            ty: t.clone().unwrap_or(Type::Unit),
        }));
        let (pred, name) = self.sink.aux_predicate(path.clone(), params);
        for (clause, (lits, vars)) in clauses.into_iter().enumerate() {
            let mut args: Vec<Term> = shared.iter().map(|v| Term::Var(*v)).collect();
            args.extend(
                exported
                    .iter()
                    .filter_map(|(n, _)| vars.lookup(n).map(Term::Var)),
            );
            self.sink.aux_rule(
                &name,
                clause,
                (Atom { pred, args }, lits),
                vars.names.clone(),
                span,
            );
        }
        let mut args: Vec<Term> = shared.iter().map(|v| Term::Var(*v)).collect();
        for (n, t) in exported {
            args.push(Term::Var(self.vars.declare(&n, t)));
        }
        self.lits.push(Literal::Pos(Atom { pred, args }));
    }
}
