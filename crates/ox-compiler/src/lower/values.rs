//! Collection and option expressions of procedural bodies: map literals,
//! indexing (`xs[i]`, `m[k]`), the `?` operator and built-in methods
//! (`.len()`, `.contains(x)`, `.unwrap_or(d)` …).

use ox_ir::{Builtin, Expr, Type, Value};
use ox_syntax::ast;
use ox_syntax::Span;

use super::exprs::{BodyKind, ProcCx};
use crate::codes;

fn null() -> Expr {
    Expr::Const(Value::Null)
}

/// The built-in methods, by receiver kind, as listed in "unknown method" errors.
fn methods_of(t: &Type) -> &'static [&'static str] {
    match t {
        Type::List(..) | Type::Set(_) => &["contains(x)", "is_empty()", "len()"],
        Type::Map(..) => &[
            "contains_key(k)",
            "is_empty()",
            "keys()",
            "len()",
            "values()",
        ],
        Type::String => &["contains(s)", "is_empty()", "len()"],
        Type::Option(_) => &["is_none()", "is_some()", "unwrap_or(d)"],
        _ => &[],
    }
}

impl ProcCx<'_> {
    /// `Map { k => v, … }`: key and value types come from the expected type
    /// or from the first entry.
    pub(crate) fn map_literal(
        &mut self,
        entries: &[(ast::Expr, ast::Expr)],
        expected: Option<&Type>,
        span: Span,
    ) -> (Expr, Option<Type>) {
        let (mut key_ty, mut value_ty) = match expected.map(Type::without_option) {
            Some(Type::Map(k, v)) => (Some((**k).clone()), Some((**v).clone())),
            _ => (None, None),
        };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let key = self.typed_entry(k, &mut key_ty);
            let value = self.typed_entry(v, &mut value_ty);
            out.push((key, value));
        }
        match (key_ty, value_ty) {
            (Some(k), Some(v)) => (Expr::MapLit(out), Some(Type::Map(Box::new(k), Box::new(v)))),
            _ if entries.is_empty() => {
                self.error(
                    codes::CANNOT_INFER,
                    span,
                    "cannot infer the key and value types of an empty map; \
                     declare them, e.g. `let m: Map<String, Int> = Map {};`",
                );
                (null(), None)
            }
            _ => (Expr::MapLit(out), None),
        }
    }

    /// One key or value of a map literal, checked against (or fixing) `ty`.
    fn typed_entry(&mut self, e: &ast::Expr, ty: &mut Option<Type>) -> Expr {
        let (x, found) = self.expr(e, ty.as_ref());
        match (&*ty, found) {
            (None, Some(found)) => *ty = Some(found),
            (Some(want), Some(found)) if !self.env.assignable(&found, want) => {
                let d = self.env.mismatch(e.span, want, &found);
                self.diags.push(d);
            }
            _ => {}
        }
        x
    }

    /// `xs[i]` on a list or set (0-based, in the collection's order) or `m[k]`
    /// on a map (an `Option` of the value: absent keys give `None`).
    pub(crate) fn index(
        &mut self,
        base: &ast::Expr,
        index: &ast::Expr,
        span: Span,
    ) -> (Expr, Option<Type>) {
        let (b, bt) = self.expr(base, None);
        let Some(bt) = bt else {
            self.expr(index, None);
            return (null(), None);
        };
        let (i, result) = match &bt {
            Type::List(elem, _) | Type::Set(elem) => {
                let (i, it) = self.expr(index, Some(&Type::Nat));
                if let Some(it) = &it {
                    if !it.is_integer() {
                        let msg = format!(
                            "a list index must be `Nat` or `Int`, found `{}`",
                            self.env.type_name(it)
                        );
                        self.error(codes::TYPE_MISMATCH, index.span, msg);
                    }
                }
                (i, (**elem).clone())
            }
            Type::Map(k, v) => {
                let i = self.expr_of(index, k);
                (i, Type::Option(v.clone()))
            }
            other => {
                let msg = format!(
                    "cannot index a value of type `{}`; only lists, sets and maps can be indexed",
                    self.env.type_name(other)
                );
                self.error(codes::TYPE_MISMATCH, span, msg);
                self.expr(index, None);
                return (null(), None);
            }
        };
        (
            Expr::Index {
                base: Box::new(b),
                index: Box::new(i),
            },
            Some(result),
        )
    }

    /// `e?`: the value inside an `Option`; `None` returns `None` from the
    /// enclosing fn or mutation, which must therefore have an optional result.
    pub(crate) fn try_expr(&mut self, inner: &ast::Expr, span: Span) -> (Expr, Option<Type>) {
        let (x, t) = self.expr(inner, None);
        let allowed = matches!(self.kind, BodyKind::Fn | BodyKind::Mutation)
            && matches!(self.result, Type::Option(_));
        if !allowed {
            let where_ = match self.kind {
                BodyKind::Fn => "a fn",
                BodyKind::Mutation => "a mutation",
                BodyKind::Test => "a test",
                BodyKind::Query => "a query",
                BodyKind::Invariant => "a `where` invariant",
            };
            let d = ox_syntax::Diagnostic::error(
                codes::TRY_NOT_OPTIONAL,
                span,
                format!("the `?` operator is used in {where_} whose result is not an `Option`"),
            )
            .with_help(
                "`?` returns `None` early; use it in a fn or mutation declared `-> Option<T>`, \
                 or handle the absent case with `match`, `if x is Some(v)` or `.unwrap_or(d)`",
            );
            self.diags.push(d);
        }
        let t = match t {
            Some(Type::Option(t)) => Some(*t),
            Some(other) => {
                let msg = format!(
                    "the `?` operator needs an `Option`, found `{}`",
                    self.env.type_name(&other)
                );
                self.error(codes::TYPE_MISMATCH, inner.span, msg);
                None
            }
            None => None,
        };
        (Expr::Try(Box::new(x)), t)
    }

    /// `receiver.method(args)` for the built-in methods.
    pub(crate) fn method_call(
        &mut self,
        receiver: &ast::Expr,
        method: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (Expr, Option<Type>) {
        let (r, rt) = self.expr(receiver, None);
        let Some(rt) = rt else {
            for a in args {
                self.expr(a, None);
            }
            return (null(), None);
        };
        let builtin = |builtin: Builtin, args: Vec<Expr>| Expr::Builtin { builtin, args };
        let name = method.name.as_str();
        let arity = match name {
            "contains" | "contains_key" | "unwrap_or" => 1,
            _ => 0,
        };
        if methods_of(&rt)
            .iter()
            .any(|m| m.split('(').next() == Some(name))
            && args.len() != arity
        {
            self.error(
                codes::SIGNATURE_MISMATCH,
                span,
                format!(
                    "method `{name}` takes {arity} argument(s), found {}",
                    args.len()
                ),
            );
            for a in args {
                self.expr(a, None);
            }
            return (null(), None);
        }
        let len = |r: Expr| builtin(Builtin::Len, vec![r]);
        match (name, &rt) {
            ("len", Type::List(..) | Type::Set(_) | Type::Map(..) | Type::String) => {
                (len(r), Some(Type::Nat))
            }
            ("is_empty", Type::List(..) | Type::Set(_) | Type::Map(..) | Type::String) => (
                Expr::Binary {
                    op: ox_ir::BinaryOp::Eq,
                    left: Box::new(len(r)),
                    right: Box::new(Expr::Const(Value::Nat(0))),
                },
                Some(Type::Bool),
            ),
            ("contains", Type::List(elem, _) | Type::Set(elem)) => {
                let x = self.member(&args[0], elem);
                (contains(x, r), Some(Type::Bool))
            }
            ("contains", Type::String) => {
                let x = self.expr_of(&args[0], &Type::String);
                (contains(x, r), Some(Type::Bool))
            }
            ("contains_key", Type::Map(k, _)) => {
                let x = self.expr_of(&args[0], k);
                (contains(x, r), Some(Type::Bool))
            }
            ("keys", Type::Map(k, _)) => {
                (builtin(Builtin::Keys, vec![r]), Some(Type::Set(k.clone())))
            }
            ("values", Type::Map(_, v)) => (
                builtin(Builtin::Values, vec![r]),
                Some(Type::List(v.clone(), ox_ir::Cardinality::ANY)),
            ),
            ("is_some", Type::Option(_)) => (builtin(Builtin::IsSome, vec![r]), Some(Type::Bool)),
            ("is_none", Type::Option(_)) => (builtin(Builtin::IsNone, vec![r]), Some(Type::Bool)),
            ("unwrap_or", Type::Option(inner)) => {
                let d = self.expr_of(&args[0], inner);
                (
                    builtin(Builtin::UnwrapOr, vec![r, d]),
                    Some((**inner).clone()),
                )
            }
            _ => {
                let available = methods_of(&rt);
                let mut d = ox_syntax::Diagnostic::error(
                    codes::UNKNOWN_METHOD,
                    method.span,
                    format!(
                        "unknown method `{name}` on type `{}`",
                        self.env.type_name(&rt)
                    ),
                );
                d = d.with_help(if available.is_empty() {
                    format!("type `{}` has no methods", self.env.type_name(&rt))
                } else {
                    format!("the methods of this type are {}", list(available))
                });
                self.diags.push(d);
                for a in args {
                    self.expr(a, None);
                }
                (null(), None)
            }
        }
    }

    /// An element looked up in a collection of `elem` (a supertype is fine).
    fn member(&mut self, e: &ast::Expr, elem: &Type) -> Expr {
        let (x, found) = self.expr(e, Some(elem));
        if let Some(found) = found {
            if !self.env.comparable(&found, elem) {
                let d = self.env.mismatch(e.span, elem, &found);
                self.diags.push(d);
            }
        }
        x
    }
}

/// `needle in haystack` (lists, sets, map keys, substrings).
fn contains(needle: Expr, haystack: Expr) -> Expr {
    Expr::Binary {
        op: ox_ir::BinaryOp::In,
        left: Box::new(needle),
        right: Box::new(haystack),
    }
}

/// `a`, `b` and `c` with backquotes.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}
