//! Grouped queries: `group by`, `having` and aggregate projections
//! (`select { t: t, n: count(l) } from … group by t having count(l) > 1`).
//!
//! Aggregates in the projection, `having` and `order by` become locals the
//! runtime computes per group ([`ox_ir::Grouping`]); the projection may read
//! only variables that occur in the group keys.

use std::collections::BTreeSet;

use ox_ir::{AggKind, Expr, Pattern, QueryAggregate, Type, VarId};
use ox_syntax::ast::{self, AggregateForm};
use ox_syntax::Span;

use super::exprs::ProcCx;
use crate::codes;

impl ProcCx<'_> {
    /// `count(e)`, `sum(e)`, `min(e)`, `max(e)`, `avg(e)` in a grouped query.
    pub(crate) fn query_aggregate(
        &mut self,
        a: &ast::Aggregate,
        span: Span,
    ) -> (Expr, Option<Type>) {
        let AggregateForm::Group(arg) = &a.form else {
            self.error(
                codes::UNSUPPORTED_AGGREGATE,
                span,
                "in a query projection, aggregate over the group: `count(x)`, `sum(x.f)` …",
            );
            return (Expr::Const(ox_ir::Value::Null), None);
        };
        let Some(kind) = AggKind::from_name(&a.func.name) else {
            let msg = format!("`{}` is not an aggregate function", a.func.name);
            self.error(codes::UNSUPPORTED_AGGREGATE, a.func.span, msg);
            return (Expr::Const(ox_ir::Value::Null), None);
        };
        // An aggregate inside an aggregate's argument is not grouped again.
        let outer = self.aggregates.take();
        let (value, t) = self.expr(arg, None);
        self.aggregates = outer;
        if let (AggKind::Sum | AggKind::Avg, Some(t)) = (kind, &t) {
            let t = t.without_option();
            if !t.is_numeric() && *t != Type::Money && *t != Type::Duration {
                let msg = format!(
                    "`{}` needs numbers, money or durations, found `{}`",
                    kind.name(),
                    self.env.type_name(t)
                );
                self.error(codes::TYPE_MISMATCH, arg.span, msg);
            }
        }
        let ty = match (kind, &t) {
            (AggKind::Count, _) => Some(Type::Nat),
            (AggKind::Avg, Some(Type::Money)) => Some(Type::Money),
            (AggKind::Avg, _) => Some(Type::Decimal),
            (AggKind::Min | AggKind::Max, Some(t)) => {
                Some(Type::Option(Box::new(t.without_option().clone())))
            }
            (AggKind::Sum, t) => t.as_ref().map(|t| t.without_option().clone()),
            (_, None) => None,
        };
        let mut over = BTreeSet::new();
        read_vars(&value, &mut over);
        let result = self.vars.fresh(kind.name(), ty.clone());
        if let Some(aggs) = &mut self.aggregates {
            aggs.push(QueryAggregate {
                kind,
                value,
                over: over.into_iter().collect(),
                result,
                zero: crate::types::sum_zero(kind, ty.as_ref()),
            });
        }
        (Expr::Var(result), ty)
    }
}

/// Every local an expression reads (including ones it binds itself).
pub(crate) fn read_vars(e: &Expr, out: &mut BTreeSet<VarId>) {
    match e {
        Expr::Var(v) => {
            out.insert(*v);
        }
        Expr::Const(_) | Expr::Extent(_) => {}
        Expr::Field { base, .. } | Expr::StructField { base, .. } => read_vars(base, out),
        Expr::Unary { expr, .. } => read_vars(expr, out),
        Expr::Binary { left, right, .. } => {
            read_vars(left, out);
            read_vars(right, out);
        }
        Expr::If {
            cond,
            then,
            otherwise,
        } => {
            read_vars(cond, out);
            read_vars(then, out);
            read_vars(otherwise, out);
        }
        Expr::Call { args, .. }
        | Expr::Builtin { args, .. }
        | Expr::Holds { args, .. }
        | Expr::List(args)
        | Expr::Struct { fields: args, .. }
        | Expr::Variant { payload: args, .. } => args.iter().for_each(|a| read_vars(a, out)),
        Expr::Query { args, .. } => args.iter().flatten().for_each(|a| read_vars(a, out)),
        Expr::Comprehension {
            source,
            filter,
            element,
            ..
        }
        | Expr::Aggregate {
            source,
            filter,
            element,
            ..
        } => {
            read_vars(source, out);
            if let Some(f) = filter {
                read_vars(f, out);
            }
            read_vars(element, out);
        }
        Expr::Let { value, body, .. }
        | Expr::Index {
            base: value,
            index: body,
        } => {
            read_vars(value, out);
            read_vars(body, out);
        }
        Expr::Try(inner) => read_vars(inner, out),
        Expr::MapLit(entries) => entries.iter().for_each(|(k, v)| {
            read_vars(k, out);
            read_vars(v, out);
        }),
        Expr::Match { scrutinee, arms } => {
            read_vars(scrutinee, out);
            for arm in arms {
                read_vars(&arm.body, out);
                pattern_vars(&arm.pattern, out);
            }
        }
    }
}

fn pattern_vars(p: &Pattern, out: &mut BTreeSet<VarId>) {
    match p {
        Pattern::Bind(v) => {
            out.insert(*v);
        }
        Pattern::Wildcard | Pattern::Const(_) => {}
        Pattern::Some(inner) => pattern_vars(inner, out),
        Pattern::Variant { elems, .. }
        | Pattern::Struct { fields: elems, .. }
        | Pattern::Or(elems) => elems.iter().for_each(|q| pattern_vars(q, out)),
    }
}
