//! Run-time type checks of values written to fields and relations, with the
//! usual widenings (`Int` ↔ `Nat` when in range, integers to decimals, numbers
//! to currency-less money).

use ox_ir::{Cardinality, Money, Type, Value};
use rust_decimal::Decimal;

use crate::catalog::Catalog;
use crate::view::View;

/// Checks `value` against `ty`, returning the normalised value (sets sorted
/// and deduplicated, numbers widened) or a message saying what is wrong.
pub(crate) fn conform(
    catalog: &Catalog,
    view: &dyn View,
    value: Value,
    ty: &Type,
) -> Result<Value, String> {
    let module = &catalog.module;
    let mismatch = |v: &Value| format!("expected {}, found {v}", type_name(catalog, ty));
    match (ty, value) {
        (Type::Option(inner), v) => match v {
            Value::Null => Ok(Value::Null),
            v => conform(catalog, view, v, inner),
        },
        (_, Value::Null) if *ty != Type::Unit => Err(format!(
            "expected {}, found no value",
            type_name(catalog, ty)
        )),
        (Type::Nat, Value::Nat(n)) => Ok(Value::Nat(n)),
        (Type::Nat, Value::Int(i)) => u64::try_from(i)
            .map(Value::Nat)
            .map_err(|_| format!("expected Nat, found the negative number {i}")),
        (Type::Int, Value::Int(i)) => Ok(Value::Int(i)),
        (Type::Int, Value::Nat(n)) => i64::try_from(n)
            .map(Value::Int)
            .map_err(|_| format!("{n} is out of range for Int")),
        (Type::Real | Type::Decimal, Value::Decimal(d)) => Ok(Value::Decimal(d)),
        (Type::Real | Type::Decimal, Value::Nat(n)) => Ok(Value::Decimal(Decimal::from(n))),
        (Type::Real | Type::Decimal, Value::Int(i)) => Ok(Value::Decimal(Decimal::from(i))),
        (Type::Money, Value::Money(m)) => Ok(Value::Money(m)),
        (Type::Money, v @ (Value::Decimal(_) | Value::Nat(_) | Value::Int(_))) => {
            let amount = match v {
                Value::Decimal(d) => d,
                Value::Nat(n) => Decimal::from(n),
                Value::Int(i) => Decimal::from(i),
                _ => Decimal::ZERO,
            };
            Ok(Value::Money(Money {
                amount,
                currency: None,
            }))
        }
        (Type::String, Value::String(s)) => Ok(Value::String(s)),
        (Type::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Date, Value::Date(d)) => Ok(Value::Date(d)),
        (Type::DateTime, Value::DateTime(t)) => Ok(Value::DateTime(t)),
        (Type::Duration, Value::Duration(d)) => Ok(Value::Duration(d)),
        (Type::Concept(c), Value::Ref(id)) => {
            if view.is_member(&id, *c) {
                Ok(Value::Ref(id))
            } else if view.is_live(&id) {
                Err(format!(
                    "`{id}` is not an instance of `{}`",
                    catalog.concept_name(*c)
                ))
            } else {
                Err(format!("`{id}` is not a live individual"))
            }
        }
        (Type::Struct(s), Value::Struct(id, fields)) if id == *s => {
            let decl = &module.structs[s.index()];
            if fields.len() != decl.fields.len() {
                return Err(format!("malformed `{}` value", decl.name));
            }
            let fields = fields
                .into_iter()
                .zip(&decl.fields)
                .map(|(v, f)| {
                    conform(catalog, view, v, &f.ty).map_err(|e| format!("`{}`: {e}", f.name))
                })
                .collect::<Result<_, _>>()?;
            Ok(Value::Struct(id, fields))
        }
        (Type::Enum(e), Value::Enum(id, variant, payload)) if id == *e => {
            let decl = &module.enums[e.index()];
            let v = decl
                .variants
                .get(variant as usize)
                .filter(|v| v.payload.len() == payload.len())
                .ok_or_else(|| format!("malformed `{}` value", decl.name))?;
            let payload = payload
                .into_iter()
                .zip(&v.payload)
                .map(|(value, p)| conform(catalog, view, value, &p.ty))
                .collect::<Result<_, _>>()?;
            Ok(Value::Enum(id, variant, payload))
        }
        (Type::List(inner, card), Value::List(items)) => {
            bounded_set(conform_all(catalog, view, items, inner)?, card)
        }
        (Type::Set(inner), Value::List(items)) => {
            Ok(Value::set(conform_all(catalog, view, items, inner)?))
        }
        (Type::Map(k, v), Value::Map(pairs)) => {
            let mut out = pairs
                .into_iter()
                .map(|(key, value)| {
                    Ok((
                        conform(catalog, view, key, k)?,
                        conform(catalog, view, value, v)?,
                    ))
                })
                .collect::<Result<Vec<_>, String>>()?;
            out.sort();
            out.dedup_by(|a, b| a.0 == b.0);
            Ok(Value::Map(out))
        }
        (Type::Tuple(_) | Type::Record(_) | Type::Unit, v) => Ok(v),
        (_, v) => Err(mismatch(&v)),
    }
}

fn conform_all(
    catalog: &Catalog,
    view: &dyn View,
    items: Vec<Value>,
    ty: &Type,
) -> Result<Vec<Value>, String> {
    items
        .into_iter()
        .map(|v| conform(catalog, view, v, ty))
        .collect()
}

/// `Ok` when `n` elements satisfy `card`, else what is wrong.
pub(crate) fn check_count(n: usize, card: &Cardinality) -> Result<(), String> {
    if card.admits(n as u64) {
        Ok(())
    } else {
        Err(format!(
            "{n} element(s), but {} are required",
            render_card(card.min, card.max)
        ))
    }
}

/// The set of `items` (sorted, deduplicated), if its size satisfies `card`.
pub(crate) fn bounded_set(mut items: Vec<Value>, card: &Cardinality) -> Result<Value, String> {
    items.sort();
    items.dedup();
    check_count(items.len(), card)?;
    Ok(Value::List(items))
}

/// `[min..max]` as in source.
pub(crate) fn render_card(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) if max == min => format!("[{min}]"),
        Some(max) => format!("[{min}..{max}]"),
        None => format!("[{min}..*]"),
    }
}

/// A source-like rendering of a type for messages.
pub(crate) fn type_name(catalog: &Catalog, ty: &Type) -> String {
    ty.render(&catalog.module.type_names())
}
