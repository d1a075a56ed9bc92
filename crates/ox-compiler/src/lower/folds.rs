//! Aggregates in plain expressions (fn bodies, mutations, `require`, tests,
//! ungrouped query projections): `sum(e for x in xs where p)` or `sum(xs)`
//! over the elements of a collection or a type's extent at the current state.
//! The shape checks (`OE1311`–`OE1313`) run before lowering, in `aggregates`.

use ox_ir::{AggKind, Expr, Type, Value};
use ox_syntax::ast::{self, AggregateForm};
use ox_syntax::Span;

use super::exprs::ProcCx;
use crate::codes;

impl ProcCx<'_> {
    /// An aggregate folded over a collection; the result type follows the
    /// rule aggregates: `count` is `Nat`, `sum` the element type (0 when
    /// empty), `min`/`max`/`avg` an `Option` (`None` when empty).
    pub(crate) fn fold_aggregate(
        &mut self,
        a: &ast::Aggregate,
        span: Span,
    ) -> (Expr, Option<Type>) {
        let Some(kind) = AggKind::from_name(&a.func.name) else {
            // Reported by the aggregate shape check (`OE1312`).
            return (Expr::Const(Value::Null), None);
        };
        let (var, source, filter, element, et) = match &a.form {
            AggregateForm::Comprehension(c) => self.comprehension(c),
            AggregateForm::Group(collection) => {
                let (source, elem) = self.source(collection);
                let var = self.vars.fresh("element", elem.clone());
                (var, source, None, Expr::Var(var), elem)
            }
            AggregateForm::Atoms(_) => {
                self.error(
                    codes::UNSUPPORTED_AGGREGATE,
                    span,
                    format!(
                        "the form `{} {{ … }}` is only allowed in rule bodies; here write `{}(e for x in xs where p)`",
                        kind.name(),
                        kind.name()
                    ),
                );
                return (Expr::Const(Value::Null), None);
            }
        };
        let et = et.map(|t| t.without_option().clone());
        let ty = match (kind, et) {
            (AggKind::Count, _) => Some(Type::Nat),
            (_, None) => None,
            (AggKind::Sum | AggKind::Avg, Some(t))
                if !(t.is_numeric() || kind == AggKind::Sum && t == Type::Duration) =>
            {
                let msg = format!(
                    "`{}` needs numbers or money{}, found `{}`",
                    if kind == AggKind::Sum {
                        " or durations"
                    } else {
                        ""
                    },
                    kind.name(),
                    self.env.type_name(&t)
                );
                self.error(codes::TYPE_MISMATCH, span, msg);
                None
            }
            (AggKind::Sum, Some(t)) => Some(t),
            (AggKind::Avg, Some(t)) => Some(Type::Option(Box::new(match t {
                Type::Money => t,
                _ => Type::Decimal,
            }))),
            (AggKind::Min | AggKind::Max, Some(t)) => Some(Type::Option(Box::new(t))),
        };
        (
            Expr::Aggregate {
                kind,
                var,
                source: Box::new(source),
                filter,
                element: Box::new(element),
                zero: crate::types::sum_zero(kind, ty.as_ref()),
            },
            ty,
        )
    }
}
