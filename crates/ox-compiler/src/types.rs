//! Type rules shared by rule and expression lowering: primitives, literal
//! typing, assignability, comparison and arithmetic.

use chrono::{DateTime, NaiveDate, Utc};
use ox_ir::{AggKind, BinaryOp, ConceptId, Duration, Money, Type, Value};
use ox_syntax::ast::LitKind;
use rust_decimal::Decimal;

use crate::codes;

/// The primitive type names, always in scope.
pub(crate) const PRIMITIVES: &[&str] = &[
    "Nat", "Int", "Real", "Decimal", "String", "Bool", "Date", "DateTime", "Duration", "Money",
];

/// The duration accessors accepted on integers (`30.days`).
pub(crate) const DURATION_UNITS: &[&str] = &[
    "years", "year", "months", "month", "weeks", "week", "days", "day", "hours", "hour", "minutes",
    "minute", "seconds", "second",
];

/// The primitive type with this name.
pub(crate) fn primitive(name: &str) -> Option<Type> {
    Some(match name {
        "Nat" => Type::Nat,
        "Int" => Type::Int,
        "Real" => Type::Real,
        "Decimal" => Type::Decimal,
        "String" => Type::String,
        "Bool" => Type::Bool,
        "Date" => Type::Date,
        "DateTime" => Type::DateTime,
        "Duration" => Type::Duration,
        "Money" => Type::Money,
        _ => return None,
    })
}

/// Whether a value of type `found` may be used where `expected` is required.
/// `is_sub(a, b)` tells whether concept `a` specialises (or is) `b`.
pub(crate) fn assignable(
    found: &Type,
    expected: &Type,
    is_sub: &dyn Fn(ConceptId, ConceptId) -> bool,
) -> bool {
    match (found, expected) {
        (a, b) if a == b => true,
        (Type::Concept(a), Type::Concept(b)) => is_sub(*a, *b),
        (a, b) if a.is_decimal() && b.is_decimal() => true,
        (Type::Nat, Type::Int) => true,
        (a, Type::Money) if a.is_numeric() => true,
        (Type::Option(a), Type::Option(b)) => assignable(a, b, is_sub),
        (a, Type::Option(b)) => assignable(a, b, is_sub),
        (Type::List(a, _) | Type::Set(a), Type::List(b, _) | Type::Set(b)) => {
            assignable(a, b, is_sub)
        }
        (Type::Map(ak, av), Type::Map(bk, bv)) => {
            assignable(ak, bk, is_sub) && assignable(av, bv, is_sub)
        }
        _ => false,
    }
}

/// Whether two values of these types may be compared with `==` / `<` ….
pub(crate) fn comparable(
    a: &Type,
    b: &Type,
    is_sub: &dyn Fn(ConceptId, ConceptId) -> bool,
) -> bool {
    let (a, b) = (a.without_option(), b.without_option());
    (a.is_numeric() && b.is_numeric())
        || assignable(a, b, is_sub)
        || assignable(b, a, is_sub)
        || matches!((a, b), (Type::Concept(_), Type::Concept(_)))
}

/// The result type of an arithmetic operator, or `None` when the operands do not fit.
pub(crate) fn arithmetic(op: BinaryOp, a: &Type, b: &Type) -> Option<Type> {
    use Type::*;
    let (a, b) = (a.without_option(), b.without_option());
    let numeric = |a: &Type, b: &Type| -> std::option::Option<Type> {
        if matches!(a, Money) || matches!(b, Money) {
            (a.is_numeric() && b.is_numeric()).then_some(Money)
        } else if a.is_decimal() || b.is_decimal() {
            (a.is_numeric() && b.is_numeric()).then_some(Decimal)
        } else if matches!((a, b), (Nat, Nat)) {
            Some(Nat)
        } else if a.is_integer() && b.is_integer() {
            Some(Int)
        } else {
            None
        }
    };
    match op {
        BinaryOp::Add => match (a, b) {
            (String, String) => Some(String),
            (Date, Duration) | (Duration, Date) => Some(Date),
            (DateTime, Duration) | (Duration, DateTime) => Some(DateTime),
            (Duration, Duration) => Some(Duration),
            _ => numeric(a, b),
        },
        BinaryOp::Sub => match (a, b) {
            (Date, Duration) => Some(Date),
            (DateTime, Duration) => Some(DateTime),
            (Date, Date) | (DateTime, DateTime) | (Duration, Duration) => Some(Duration),
            _ => numeric(a, b),
        },
        BinaryOp::Div if matches!((a, b), (Money, Money)) => Some(Decimal),
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
            if matches!((a, b), (Money, Money)) {
                None
            } else {
                numeric(a, b)
            }
        }
        _ => None,
    }
}

/// What an aggregate of `kind` over values of type `ty` gives over nothing,
/// when the IR records it: the zero of a `sum` (see [`Type::sum_zero`]).
pub(crate) fn sum_zero(kind: AggKind, ty: Option<&Type>) -> Option<Value> {
    match kind {
        AggKind::Sum => ty.and_then(Type::sum_zero),
        _ => None,
    }
}

/// Why a literal is invalid: its diagnostic code and message.
pub(crate) type Invalid = (&'static str, String);

/// `3.days`, `100.EUR`, `12.50.USD`: the value a number literal followed
/// by a duration unit (an integer only) or an ISO-4217 currency code (three
/// capital letters) stands for. `None` when `lit.unit` is neither; otherwise
/// the value and its type, or the code and message of why it is invalid.
pub(crate) fn unit_literal(lit: &LitKind, unit: &str) -> Option<Result<(Value, Type), Invalid>> {
    if DURATION_UNITS.contains(&unit) {
        let LitKind::Int(n) = lit else {
            return None;
        };
        let duration = i64::try_from(*n)
            .ok()
            .and_then(|n| Duration::from_unit(n, unit).ok());
        return Some(match duration {
            Some(d) => Ok((Value::Duration(d), Type::Duration)),
            None => Err((
                codes::INTEGER_OVERFLOW,
                "duration literal out of range".to_owned(),
            )),
        });
    }
    let is_code = unit.len() == 3 && unit.bytes().all(|b| b.is_ascii_uppercase());
    if !is_code || !matches!(lit, LitKind::Int(_) | LitKind::Decimal(_)) {
        return None;
    }
    Some(match literal(lit, Some(&Type::Money), false) {
        Ok((Value::Money(m), t)) => Ok((
            Value::Money(Money {
                currency: Some(unit.to_owned()),
                ..m
            }),
            t,
        )),
        Ok(other) => Ok(other),
        Err(msg) => Err((codes::INVALID_LITERAL, msg)),
    })
}

/// The value and type of a literal, typed by the expected type when there is one.
/// `negative` negates a numeric literal (a `-` written before it).
pub(crate) fn literal(
    lit: &LitKind,
    expected: Option<&Type>,
    negative: bool,
) -> Result<(Value, Type), String> {
    let expected = expected.map(Type::without_option);
    match lit {
        LitKind::Int(n) => {
            let n = *n;
            match expected {
                Some(Type::Nat) if !negative => Ok((Value::Nat(n), Type::Nat)),
                Some(t @ (Type::Real | Type::Decimal)) => Ok((
                    Value::Decimal(signed_dec(Decimal::from(n), negative)),
                    t.clone(),
                )),
                Some(Type::Money) => Ok((
                    Value::Money(Money {
                        amount: signed_dec(Decimal::from(n), negative),
                        currency: None,
                    }),
                    Type::Money,
                )),
                _ => {
                    let v = if negative {
                        0i64.checked_sub_unsigned(n)
                    } else {
                        i64::try_from(n).ok()
                    };
                    match v {
                        Some(v) => Ok((Value::Int(v), Type::Int)),
                        None if !negative => Ok((Value::Nat(n), Type::Nat)),
                        None => Err(format!("integer literal -{n} does not fit in `Int`")),
                    }
                }
            }
        }
        LitKind::Decimal(text) => {
            let d = Decimal::from_str_exact(text)
                .map_err(|e| format!("invalid decimal literal `{text}`: {e}"))?;
            let d = signed_dec(d, negative);
            match expected {
                Some(Type::Money) => Ok((
                    Value::Money(Money {
                        amount: d,
                        currency: None,
                    }),
                    Type::Money,
                )),
                Some(Type::Real) => Ok((Value::Decimal(d), Type::Real)),
                _ => Ok((Value::Decimal(d), Type::Decimal)),
            }
        }
        LitKind::Str(s) => Ok((Value::String(s.clone()), Type::String)),
        LitKind::Bool(b) => Ok((Value::Bool(*b), Type::Bool)),
        LitKind::Date(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| (Value::Date(d), Type::Date))
            .map_err(|e| format!("invalid date `{text}`: {e}")),
        LitKind::DateTime(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| (Value::DateTime(t.with_timezone(&Utc)), Type::DateTime))
            .map_err(|e| format!("invalid date-time `{text}`: {e}")),
    }
}

fn signed_dec(d: Decimal, negative: bool) -> Decimal {
    if negative {
        -d
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: ConceptId, _: ConceptId) -> bool {
        false
    }

    #[test]
    fn literals_follow_context() {
        assert_eq!(
            literal(&LitKind::Int(5), Some(&Type::Nat), false)
                .unwrap()
                .0,
            Value::Nat(5)
        );
        assert_eq!(
            literal(&LitKind::Int(5), None, true).unwrap().0,
            Value::Int(-5)
        );
        let (v, t) = literal(
            &LitKind::Decimal("100.50".into()),
            Some(&Type::Money),
            false,
        )
        .unwrap();
        assert_eq!(t, Type::Money);
        assert_eq!(
            v,
            Value::Money(Money {
                amount: Decimal::new(10050, 2),
                currency: None
            })
        );
        assert!(literal(&LitKind::Date("2026-02-30".into()), None, false).is_err());
        assert!(literal(
            &LitKind::DateTime("2026-01-01T09:30:00Z".into()),
            None,
            false
        )
        .is_ok());
    }

    #[test]
    fn arithmetic_and_assignability() {
        assert_eq!(
            arithmetic(BinaryOp::Add, &Type::Date, &Type::Duration),
            Some(Type::Date)
        );
        assert_eq!(
            arithmetic(BinaryOp::Sub, &Type::Date, &Type::Date),
            Some(Type::Duration)
        );
        assert_eq!(
            arithmetic(BinaryOp::Mul, &Type::Money, &Type::Int),
            Some(Type::Money)
        );
        assert_eq!(arithmetic(BinaryOp::Add, &Type::Bool, &Type::Int), None);
        assert!(assignable(
            &Type::Int,
            &Type::Option(Box::new(Type::Int)),
            &never
        ));
        assert!(!assignable(&Type::String, &Type::Int, &never));
        assert!(comparable(&Type::Nat, &Type::Decimal, &never));
    }
}
