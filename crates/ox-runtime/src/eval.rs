//! Expression evaluation over a [`View`] of a state.

use std::cell::Cell;

use ox_ir::value::date_part;
use ox_ir::{
    AggKind, BinaryOp, Builtin, Duration, Expr, Pattern, QueryId, UnaryOp, Value, ValueError, VarId,
};

use crate::catalog::Catalog;
use crate::context::Clock;
use crate::error::RuntimeError;
use crate::view::View;

/// How deep fn calls may nest (the compiler forbids recursion; this guards the runtime).
const MAX_CALL_DEPTH: u32 = 256;

/// The locals of one frame (parameters, `let`s, loop variables); unset locals read as `Null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Locals(Vec<Value>);

impl Locals {
    /// A frame of `n` unset locals.
    pub(crate) fn with_len(n: usize) -> Locals {
        Locals(vec![Value::Null; n])
    }

    /// A frame of at least `len` locals whose first ones are `values`.
    pub(crate) fn frame(mut values: Vec<Value>, len: usize) -> Locals {
        if values.len() < len {
            values.resize(len, Value::Null);
        }
        Locals(values)
    }

    /// The value of a local (`Null` when unset).
    pub(crate) fn get(&self, var: VarId) -> Value {
        self.0.get(var.0 as usize).cloned().unwrap_or(Value::Null)
    }

    /// Sets a local, growing the frame when needed.
    pub(crate) fn set(&mut self, var: VarId, value: Value) {
        let i = var.0 as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, Value::Null);
        }
        self.0[i] = value;
    }
}

/// Runs queries called from expressions (`Expr::Query`).
pub(crate) trait QueryRunner {
    /// The query's result as a value (rows as a list, or the single value).
    fn run_query(&self, query: QueryId, args: Vec<Option<Value>>) -> Result<Value, RuntimeError>;
}

/// An expression evaluator over one view.
pub(crate) struct Evaluator<'a> {
    pub catalog: &'a Catalog,
    pub view: &'a dyn View,
    pub queries: &'a dyn QueryRunner,
    pub clock: &'a Clock,
    depth: Cell<u32>,
}

/// A value error as a runtime error.
pub(crate) fn value_error(e: ValueError) -> RuntimeError {
    RuntimeError::validation(e.to_string())
}

fn type_error(message: String) -> RuntimeError {
    RuntimeError::validation(message)
}

/// The message of the error that carries a `?` on an absent value up to the
/// enclosing fn or mutation (which turns it into a `None` result).
const ABSENT: &str = "`?` met an absent value outside a fn or mutation with an optional result";

/// The error raised by `e?` when `e` is absent.
fn absent() -> RuntimeError {
    RuntimeError::internal(ABSENT).with_details(serde_json::json!({ "absent": true }))
}

/// Whether `e` is the short-circuit of a `?` (and not a real error).
pub(crate) fn is_absent(e: &RuntimeError) -> bool {
    e.code == crate::error::ErrorCode::Internal && e.message == ABSENT
}

impl<'a> Evaluator<'a> {
    /// An evaluator reading `view`, running called queries with `queries`.
    pub(crate) fn new(
        catalog: &'a Catalog,
        view: &'a dyn View,
        queries: &'a dyn QueryRunner,
        clock: &'a Clock,
    ) -> Evaluator<'a> {
        Evaluator {
            catalog,
            view,
            queries,
            clock,
            depth: Cell::new(0),
        }
    }

    /// Evaluates a condition that must be a boolean.
    pub(crate) fn eval_bool(&self, expr: &Expr, locals: &mut Locals) -> Result<bool, RuntimeError> {
        self.eval(expr, locals)?.as_bool().map_err(value_error)
    }

    /// `element` for each item of `source` (bound to `var`) that passes
    /// `filter`, in order: the shared walk of comprehensions and aggregates.
    fn comprehension(
        &self,
        var: VarId,
        source: &Expr,
        filter: Option<&Expr>,
        element: &Expr,
        locals: &mut Locals,
    ) -> Result<Vec<Value>, RuntimeError> {
        let source = self.eval(source, locals)?;
        let mut out = Vec::new();
        for item in iterate(source)? {
            self.clock.check()?;
            locals.set(var, item);
            if let Some(f) = filter {
                if !self.eval_bool(f, locals)? {
                    continue;
                }
            }
            out.push(self.eval(element, locals)?);
        }
        Ok(out)
    }

    /// Evaluates `expr` with `locals`.
    pub(crate) fn eval(&self, expr: &Expr, locals: &mut Locals) -> Result<Value, RuntimeError> {
        let module = &self.catalog.module;
        match expr {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Var(v) => Ok(locals.get(*v)),
            Expr::Field { base, field } => {
                let base = self.eval(base, locals)?;
                let id = match base {
                    Value::Ref(id) => id,
                    Value::Null => return Ok(Value::Null),
                    other => {
                        return Err(type_error(format!(
                            "`.{}` needs an individual, found {}",
                            module.field(*field).name,
                            other.kind_name()
                        )))
                    }
                };
                let values = self.view.field_values(&id, *field);
                if crate::events::is_multi_valued(&module.field(*field).ty) {
                    Ok(Value::List(values))
                } else {
                    Ok(values.into_iter().next().unwrap_or(Value::Null))
                }
            }
            Expr::StructField { base, index } => match self.eval(base, locals)? {
                Value::Struct(_, fields) => fields
                    .into_iter()
                    .nth(*index as usize)
                    .ok_or_else(|| type_error(format!("struct has no field #{index}"))),
                Value::Null => Ok(Value::Null),
                other => Err(type_error(format!(
                    "field access needs a struct, found {}",
                    other.kind_name()
                ))),
            },
            Expr::Unary { op, expr } => {
                let v = self.eval(expr, locals)?;
                match op {
                    UnaryOp::Not => Ok(Value::Bool(!v.as_bool().map_err(value_error)?)),
                    UnaryOp::Neg => v.neg().map_err(value_error),
                }
            }
            Expr::Binary { op, left, right } => self.binary(*op, left, right, locals),
            Expr::If {
                cond,
                then,
                otherwise,
            } => {
                if self.eval_bool(cond, locals)? {
                    self.eval(then, locals)
                } else {
                    self.eval(otherwise, locals)
                }
            }
            Expr::Call { func, args } => {
                let f = module
                    .functions
                    .get(func.index())
                    .ok_or_else(|| RuntimeError::internal(format!("no fn #{}", func.0)))?;
                let args = args
                    .iter()
                    .map(|a| self.eval(a, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                self.call_fn(&f.body, f.local_count as usize, args)
            }
            Expr::Builtin { builtin, args } => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                self.builtin(builtin, args)
            }
            Expr::Holds { pred, args } => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Bool(self.view.holds(*pred, &args)))
            }
            Expr::Query { query, args } => {
                let args = args
                    .iter()
                    .map(|a| a.as_ref().map(|e| self.eval(e, locals)).transpose())
                    .collect::<Result<Vec<_>, _>>()?;
                self.clock.check()?;
                self.queries.run_query(*query, args)
            }
            Expr::Extent(c) => Ok(Value::List(self.view.extent(*c))),
            Expr::List(items) => {
                let items = items
                    .iter()
                    .map(|a| self.eval(a, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::set(items))
            }
            Expr::Comprehension {
                var,
                source,
                filter,
                element,
            } => Ok(Value::set(self.comprehension(
                *var,
                source,
                filter.as_deref(),
                element,
                locals,
            )?)),
            Expr::Struct { id, fields } => {
                let fields = fields
                    .iter()
                    .map(|a| self.eval(a, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Struct(*id, fields))
            }
            Expr::Let { var, value, body } => {
                let v = self.eval(value, locals)?;
                locals.set(*var, v);
                self.eval(body, locals)
            }
            Expr::Variant { id, index, payload } => {
                let payload = payload
                    .iter()
                    .map(|a| self.eval(a, locals))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Enum(*id, *index, payload))
            }
            Expr::Match { scrutinee, arms } => {
                let value = self.eval(scrutinee, locals)?;
                for arm in arms {
                    if bind_pattern(&arm.pattern, &value, locals) {
                        return self.eval(&arm.body, locals);
                    }
                }
                Err(type_error(format!(
                    "no `match` arm matches this {} value",
                    value.kind_name()
                )))
            }
            Expr::MapLit(entries) => {
                let mut pairs = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    pairs.push((self.eval(k, locals)?, self.eval(v, locals)?));
                }
                Ok(Value::map(pairs))
            }
            Expr::Index { base, index } => {
                let base = self.eval(base, locals)?;
                let index = self.eval(index, locals)?;
                index_value(base, &index)
            }
            Expr::Try(inner) => match self.eval(inner, locals)? {
                Value::Null => Err(absent()),
                v => Ok(v),
            },
            Expr::Aggregate {
                kind,
                var,
                source,
                filter,
                element,
                zero,
            } => {
                let values = self
                    .comprehension(*var, source, filter.as_deref(), element, locals)?
                    .into_iter()
                    .filter(|v| *v != Value::Null)
                    .map(|v| {
                        if *kind == AggKind::Avg {
                            as_decimal(v)
                        } else {
                            v
                        }
                    });
                crate::grouping::fold(*kind, zero.as_ref(), values).map_err(value_error)
            }
        }
    }

    /// Calls a fn body with fresh locals holding `args`.
    pub(crate) fn call_fn(
        &self,
        body: &Expr,
        local_count: usize,
        args: Vec<Value>,
    ) -> Result<Value, RuntimeError> {
        let depth = self.depth.get();
        if depth >= MAX_CALL_DEPTH {
            return Err(RuntimeError::validation(format!(
                "fn calls nested deeper than {MAX_CALL_DEPTH}"
            )));
        }
        self.clock.check()?;
        let mut frame = Locals::frame(args, local_count);
        self.depth.set(depth + 1);
        let result = self.eval(body, &mut frame);
        self.depth.set(depth);
        match result {
            Err(e) if is_absent(&e) => Ok(Value::Null),
            other => other,
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        locals: &mut Locals,
    ) -> Result<Value, RuntimeError> {
        match op {
            BinaryOp::And => {
                return Ok(Value::Bool(
                    self.eval_bool(left, locals)? && self.eval_bool(right, locals)?,
                ))
            }
            BinaryOp::Or => {
                return Ok(Value::Bool(
                    self.eval_bool(left, locals)? || self.eval_bool(right, locals)?,
                ))
            }
            _ => {}
        }
        let l = self.eval(left, locals)?;
        let r = self.eval(right, locals)?;
        let cmp = |f: fn(std::cmp::Ordering) -> bool| -> Result<Value, RuntimeError> {
            l.compare(&r)
                .map(|o| Value::Bool(f(o)))
                .map_err(value_error)
        };
        match op {
            BinaryOp::Add => l.add(&r).map_err(value_error),
            BinaryOp::Sub => l.sub(&r).map_err(value_error),
            BinaryOp::Mul => l.mul(&r).map_err(value_error),
            BinaryOp::Div => l.div(&r).map_err(value_error),
            BinaryOp::Rem => l.rem(&r).map_err(value_error),
            BinaryOp::Eq => Ok(Value::Bool(l.equals(&r))),
            BinaryOp::Ne => Ok(Value::Bool(!l.equals(&r))),
            BinaryOp::Lt => cmp(|o| o.is_lt()),
            BinaryOp::Le => cmp(|o| o.is_le()),
            BinaryOp::Gt => cmp(|o| o.is_gt()),
            BinaryOp::Ge => cmp(|o| o.is_ge()),
            BinaryOp::In => contains(&r, &l).map(Value::Bool),
            BinaryOp::NotIn => contains(&r, &l).map(|b| Value::Bool(!b)),
            BinaryOp::And | BinaryOp::Or => Ok(Value::Bool(false)),
        }
    }

    fn builtin(&self, builtin: &Builtin, args: Vec<Value>) -> Result<Value, RuntimeError> {
        let first = || {
            args.first()
                .cloned()
                .ok_or_else(|| type_error("builtin called without its argument".into()))
        };
        match builtin {
            Builtin::Today => Ok(Value::Date(self.clock.today)),
            Builtin::Now => Ok(Value::DateTime(self.clock.now)),
            Builtin::DurationOf(unit) => {
                let n = match first()? {
                    Value::Int(i) => i,
                    Value::Nat(n) => i64::try_from(n)
                        .map_err(|_| type_error(format!("{n}.{unit} is out of range")))?,
                    other => {
                        return Err(type_error(format!(
                            "`.{unit}` needs an integer, found {}",
                            other.kind_name()
                        )))
                    }
                };
                Duration::from_unit(n, unit)
                    .map(Value::Duration)
                    .map_err(value_error)
            }
            Builtin::DatePart(part) => date_part(&first()?, part).map_err(value_error),
            Builtin::Len => match first()? {
                Value::List(items) => Ok(Value::Nat(items.len() as u64)),
                Value::Map(pairs) => Ok(Value::Nat(pairs.len() as u64)),
                Value::String(s) => Ok(Value::Nat(s.chars().count() as u64)),
                other => Err(type_error(format!(
                    "`len` needs a collection or string, found {}",
                    other.kind_name()
                ))),
            },
            Builtin::IsSome => Ok(Value::Bool(first()? != Value::Null)),
            Builtin::IsNone => Ok(Value::Bool(first()? == Value::Null)),
            // Keys are distinct and sorted; values come in key order, repeats kept.
            Builtin::Keys | Builtin::Values => match first()? {
                Value::Map(pairs) => Ok(Value::List(
                    pairs
                        .into_iter()
                        .map(|(k, v)| if *builtin == Builtin::Keys { k } else { v })
                        .collect(),
                )),
                Value::Null => Ok(Value::List(Vec::new())),
                other => Err(type_error(format!(
                    "`{}()` needs a map, found {}",
                    if *builtin == Builtin::Keys {
                        "keys"
                    } else {
                        "values"
                    },
                    other.kind_name()
                ))),
            },
            Builtin::UnwrapOr => match args.as_slice() {
                [Value::Null, default] => Ok(default.clone()),
                [value, _] => Ok(value.clone()),
                _ => Err(type_error("`unwrap_or` needs a value and a default".into())),
            },
        }
    }
}

/// `base[index]`: a list element by 0-based position, or a map's value
/// for a key (`Null` when absent).
fn index_value(base: Value, index: &Value) -> Result<Value, RuntimeError> {
    match base {
        Value::List(mut items) => {
            let len = items.len();
            let position = match index {
                Value::Nat(n) => usize::try_from(*n).ok(),
                Value::Int(i) => usize::try_from(*i).ok(),
                other => {
                    return Err(type_error(format!(
                        "a list index must be an integer, found {}",
                        other.kind_name()
                    )))
                }
            };
            match position.filter(|p| *p < len) {
                Some(p) => Ok(items.swap_remove(p)),
                None => Err(RuntimeError::validation(format!(
                    "index {index} is out of range for a list of {len} element(s)"
                ))
                .with_details(serde_json::json!({ "length": len }))),
            }
        }
        Value::Map(pairs) => Ok(pairs
            .into_iter()
            .find(|(k, _)| k.equals(index))
            .map_or(Value::Null, |(_, v)| v)),
        Value::Null => Ok(Value::Null),
        other => Err(type_error(format!(
            "cannot index a value of kind {}",
            other.kind_name()
        ))),
    }
}

/// Integers as decimals (so that `avg` of integers keeps its fraction).
fn as_decimal(v: Value) -> Value {
    match v {
        Value::Nat(n) => Value::Decimal(n.into()),
        Value::Int(i) => Value::Decimal(i.into()),
        other => other,
    }
}

/// The elements a `for` or comprehension ranges over.
pub(crate) fn iterate(source: Value) -> Result<Vec<Value>, RuntimeError> {
    match source {
        Value::List(items) => Ok(items),
        Value::Map(pairs) => Ok(pairs
            .into_iter()
            .map(|(k, v)| Value::List(vec![k, v]))
            .collect()),
        Value::Null => Ok(Vec::new()),
        other => Err(type_error(format!(
            "cannot iterate over {}",
            other.kind_name()
        ))),
    }
}

fn contains(haystack: &Value, needle: &Value) -> Result<bool, RuntimeError> {
    match haystack {
        Value::List(items) => Ok(items.iter().any(|i| i.equals(needle))),
        Value::Map(pairs) => Ok(pairs.iter().any(|(k, _)| k.equals(needle))),
        Value::String(s) => match needle {
            Value::String(n) => Ok(s.contains(n.as_str())),
            other => Err(type_error(format!(
                "`in` a string needs a string, found {}",
                other.kind_name()
            ))),
        },
        Value::Null => Ok(false),
        other => Err(type_error(format!(
            "`in` needs a collection, found {}",
            other.kind_name()
        ))),
    }
}

/// Whether `value` matches `pattern`; bindings are written to `locals` as it goes.
fn bind_pattern(pattern: &Pattern, value: &Value, locals: &mut Locals) -> bool {
    match (pattern, value) {
        (Pattern::Wildcard, _) => true,
        (Pattern::Bind(var), v) => {
            locals.set(*var, v.clone());
            true
        }
        (Pattern::Const(c), v) => c == v || c.equals(v),
        (Pattern::Variant { id, index, elems }, Value::Enum(vid, vindex, payload)) => {
            id == vid
                && index == vindex
                && elems.len() == payload.len()
                && elems
                    .iter()
                    .zip(payload)
                    .all(|(p, v)| bind_pattern(p, v, locals))
        }
        (Pattern::Struct { id, fields }, Value::Struct(vid, values)) => {
            id == vid
                && fields.len() == values.len()
                && fields
                    .iter()
                    .zip(values)
                    .all(|(p, v)| bind_pattern(p, v, locals))
        }
        (Pattern::Some(inner), v) => *v != Value::Null && bind_pattern(inner, v, locals),
        (Pattern::Or(alternatives), v) => alternatives.iter().any(|p| bind_pattern(p, v, locals)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Value {
        Value::List(v.iter().map(|n| Value::Int(*n)).collect())
    }

    #[test]
    fn list_index_in_range_and_out_of_range() {
        assert_eq!(
            index_value(ints(&[7, 8]), &Value::Nat(1)),
            Ok(Value::Int(8))
        );
        for bad in [Value::Nat(2), Value::Int(-1), Value::Nat(u64::MAX)] {
            let e = index_value(ints(&[7, 8]), &bad).unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::ValidationFailed);
            assert!(e.message.contains("out of range"), "{}", e.message);
        }
        assert!(index_value(ints(&[1]), &Value::String("0".into())).is_err());
    }

    #[test]
    fn map_index_gives_null_for_a_missing_key() {
        let m = Value::map(vec![(Value::String("a".into()), Value::Int(1))]);
        assert_eq!(
            index_value(m.clone(), &Value::String("a".into())),
            Ok(Value::Int(1))
        );
        assert_eq!(index_value(m, &Value::String("z".into())), Ok(Value::Null));
    }

    #[test]
    fn the_try_short_circuit_is_recognised_and_other_errors_are_not() {
        assert!(is_absent(&absent()));
        assert!(!is_absent(&RuntimeError::internal("something else")));
        assert!(!is_absent(&RuntimeError::validation(ABSENT)));
    }

    #[test]
    fn avg_of_integers_keeps_the_fraction() {
        let values = [Value::Int(1), Value::Int(2)].map(as_decimal);
        let avg = crate::grouping::fold(AggKind::Avg, None, values.into_iter()).unwrap();
        assert_eq!(avg, Value::Decimal(rust_decimal::Decimal::new(15, 1)));
    }
}
