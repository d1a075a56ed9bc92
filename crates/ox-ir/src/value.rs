//! Run-time values: exact arithmetic, checked integer overflow, calendar
//! arithmetic, and a total order used for deterministic results.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::module::{EnumId, StructId};

/// A calendar duration: months and days are kept apart from seconds because a
/// month has no fixed length. `30.days` is `{ days: 30 }`, `2.months` is
/// `{ months: 2 }`, `4.hours` is `{ seconds: 14400 }`.
///
/// The derived order is lexicographic (months, days, seconds): total, used for
/// deterministic sorting; `<` between durations of different units compares
/// with the same order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct Duration {
    pub months: i64,
    pub days: i64,
    pub seconds: i64,
}

impl Duration {
    /// Builds the duration `n` units long; `unit` is the accessor name
    /// (`days`, `months`, `years`, `weeks`, `hours`, `minutes`, `seconds`).
    pub fn from_unit(n: i64, unit: &str) -> Result<Duration, ValueError> {
        let overflow = || ValueError::Overflow(format!("{n}.{unit}"));
        let d = match unit {
            "years" | "year" => Duration {
                months: n.checked_mul(12).ok_or_else(overflow)?,
                ..Default::default()
            },
            "months" | "month" => Duration {
                months: n,
                ..Default::default()
            },
            "weeks" | "week" => Duration {
                days: n.checked_mul(7).ok_or_else(overflow)?,
                ..Default::default()
            },
            "days" | "day" => Duration {
                days: n,
                ..Default::default()
            },
            "hours" | "hour" => Duration {
                seconds: n.checked_mul(3600).ok_or_else(overflow)?,
                ..Default::default()
            },
            "minutes" | "minute" => Duration {
                seconds: n.checked_mul(60).ok_or_else(overflow)?,
                ..Default::default()
            },
            "seconds" | "second" => Duration {
                seconds: n,
                ..Default::default()
            },
            other => return Err(ValueError::Type(format!("unknown duration unit `{other}`"))),
        };
        Ok(d)
    }

    fn checked_add(self, other: Duration) -> Option<Duration> {
        Some(Duration {
            months: self.months.checked_add(other.months)?,
            days: self.days.checked_add(other.days)?,
            seconds: self.seconds.checked_add(other.seconds)?,
        })
    }

    fn checked_neg(self) -> Option<Duration> {
        Some(Duration {
            months: self.months.checked_neg()?,
            days: self.days.checked_neg()?,
            seconds: self.seconds.checked_neg()?,
        })
    }

    /// ISO 8601 text, e.g. `P1Y2M30D`, `PT4H`, `P0D`.
    pub fn to_iso8601(&self) -> String {
        // Each component carries its own sign (mixed signs are rare).
        let mut out = String::from("P");
        let (years, months) = (self.months / 12, self.months % 12);
        if years != 0 {
            out.push_str(&format!("{years}Y"));
        }
        if months != 0 {
            out.push_str(&format!("{months}M"));
        }
        if self.days != 0 {
            out.push_str(&format!("{}D", self.days));
        }
        if self.seconds != 0 {
            out.push('T');
            let (h, rest) = (self.seconds / 3600, self.seconds % 3600);
            let (m, s) = (rest / 60, rest % 60);
            if h != 0 {
                out.push_str(&format!("{h}H"));
            }
            if m != 0 {
                out.push_str(&format!("{m}M"));
            }
            if s != 0 {
                out.push_str(&format!("{s}S"));
            }
        }
        if out == "P" {
            out.push_str("0D");
        }
        out
    }

    /// Parses the ISO 8601 forms produced by [`Duration::to_iso8601`]
    /// (`PnYnMnWnDTnHnMnS`, integer components, optional leading `-` per component).
    pub fn parse_iso8601(text: &str) -> Result<Duration, ValueError> {
        let bad = || {
            ValueError::Parse(format!(
                "`{text}` is not an ISO 8601 duration such as P30D or PT4H"
            ))
        };
        let rest = text.strip_prefix('P').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let mut d = Duration::default();
        let mut in_time = false;
        let mut number = String::new();
        for ch in rest.chars() {
            match ch {
                'T' if !in_time && number.is_empty() => in_time = true,
                '0'..='9' | '-' => number.push(ch),
                unit => {
                    let n: i64 = number.parse().map_err(|_| bad())?;
                    number.clear();
                    let part = match (in_time, unit) {
                        (false, 'Y') => Duration::from_unit(n, "years")?,
                        (false, 'M') => Duration::from_unit(n, "months")?,
                        (false, 'W') => Duration::from_unit(n, "weeks")?,
                        (false, 'D') => Duration::from_unit(n, "days")?,
                        (true, 'H') => Duration::from_unit(n, "hours")?,
                        (true, 'M') => Duration::from_unit(n, "minutes")?,
                        (true, 'S') => Duration::from_unit(n, "seconds")?,
                        _ => return Err(bad()),
                    };
                    d = d.checked_add(part).ok_or_else(bad)?;
                }
            }
        }
        if !number.is_empty() {
            return Err(bad());
        }
        Ok(d)
    }
}

/// An exact amount with an optional ISO-4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Option<String>,
}

/// A run-time value.
///
/// `Real` and `Decimal` share [`Value::Decimal`]; `Option<T>` is `Null` or the
/// value itself; `[T]` and `Set<T>` are sorted, duplicate-free lists; maps are
/// lists of pairs sorted by key. The derived order is total and is the order
/// of results that leave the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Nat(u64),
    Int(i64),
    Decimal(Decimal),
    Money(Money),
    String(String),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Duration(Duration),
    /// An individual, by its id (unique within tenant and fork).
    Ref(String),
    /// A struct value: fields in declaration order.
    Struct(StructId, Vec<Value>),
    /// An enum value: variant index and payload.
    Enum(EnumId, u32, Vec<Value>),
    List(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

/// An error raised by a value operation (overflow, division by zero, mixed currencies …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("arithmetic overflow in {0}")]
    Overflow(String),
    #[error("division by zero")]
    DivisionByZero,
    #[error("cannot combine money in {0} with money in {1}")]
    CurrencyMismatch(String, String),
    #[error("type error: {0}")]
    Type(String),
    #[error("{0}")]
    Parse(String),
}

impl Value {
    /// A short name of the value's kind for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "none",
            Value::Bool(_) => "Bool",
            Value::Nat(_) => "Nat",
            Value::Int(_) => "Int",
            Value::Decimal(_) => "Decimal",
            Value::Money(_) => "Money",
            Value::String(_) => "String",
            Value::Date(_) => "Date",
            Value::DateTime(_) => "DateTime",
            Value::Duration(_) => "Duration",
            Value::Ref(_) => "individual",
            Value::Struct(..) => "struct",
            Value::Enum(..) => "enum",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// Builds a set value: sorts and removes duplicates.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort();
        items.dedup();
        Value::List(items)
    }

    /// Builds a map value: sorted by key; of entries with equal keys the last one wins.
    pub fn map(pairs: Vec<(Value, Value)>) -> Value {
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            match out.binary_search_by(|(k, _)| k.cmp(&key)) {
                Ok(i) => out[i].1 = value,
                Err(i) => out.insert(i, (key, value)),
            }
        }
        Value::Map(out)
    }

    /// The boolean, or a type error.
    pub fn as_bool(&self) -> Result<bool, ValueError> {
        match self {
            Value::Bool(b) => Ok(*b),
            other => Err(ValueError::Type(format!(
                "expected Bool, found {}",
                other.kind_name()
            ))),
        }
    }

    /// The value as an exact decimal when it is numeric (integers widen).
    fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Nat(n) => Some(Decimal::from(*n)),
            Value::Int(n) => Some(Decimal::from(*n)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// Semantic comparison: numbers compare by value across `Nat`/`Int`/`Decimal`,
    /// money only within one currency, strings by code point, dates and
    /// durations by their order. `None` when the values are not comparable.
    pub fn compare(&self, other: &Value) -> Result<Ordering, ValueError> {
        use Value::*;
        match (self, other) {
            (Nat(a), Nat(b)) => Ok(a.cmp(b)),
            (Int(a), Int(b)) => Ok(a.cmp(b)),
            (Nat(a), Int(b)) => Ok(i128::from(*a).cmp(&i128::from(*b))),
            (Int(a), Nat(b)) => Ok(i128::from(*a).cmp(&i128::from(*b))),
            (Money(a), Money(b)) => {
                same_currency(a, b)?;
                Ok(a.amount.cmp(&b.amount))
            }
            (Money(a), b) | (b, Money(a)) if b.as_decimal().is_some() && a.currency.is_none() => {
                let ord = a.amount.cmp(&b.as_decimal().unwrap_or_default());
                Ok(if matches!(self, Money(_)) {
                    ord
                } else {
                    ord.reverse()
                })
            }
            (a, b) if a.as_decimal().is_some() && b.as_decimal().is_some() => {
                Ok(a.as_decimal().cmp(&b.as_decimal()))
            }
            (Date(a), DateTime(b)) => {
                Ok(a.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).cmp(&Some(*b)))
            }
            (DateTime(a), Date(b)) => {
                Ok(Some(*a).cmp(&b.and_hms_opt(0, 0, 0).map(|d| d.and_utc())))
            }
            (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => Ok(a.cmp(b)),
            (Null, _) | (_, Null) => Ok(self.cmp(other)),
            (a, b) => Err(ValueError::Type(format!(
                "cannot compare {} with {}",
                a.kind_name(),
                b.kind_name()
            ))),
        }
    }

    /// Semantic equality (`==`): numbers by value, otherwise structural.
    pub fn equals(&self, other: &Value) -> bool {
        match self.compare(other) {
            Ok(ord) => ord == Ordering::Equal,
            Err(_) => false,
        }
    }

    /// `self + other`: numbers, money of one currency, strings (concatenation),
    /// date/date-time plus duration, duration plus duration.
    pub fn add(&self, other: &Value) -> Result<Value, ValueError> {
        use Value::*;
        match (self, other) {
            (Nat(a), Nat(b)) => a
                .checked_add(*b)
                .map(Nat)
                .ok_or_else(|| overflow(self, "+", other)),
            (Int(a), Int(b)) => a
                .checked_add(*b)
                .map(Int)
                .ok_or_else(|| overflow(self, "+", other)),
            (Nat(_), Int(_)) | (Int(_), Nat(_)) => int_op(self, other, "+", i128::checked_add),
            (Money(a), Money(b)) => money(a, b, rust_decimal::Decimal::checked_add, self, other),
            (Money(a), n) | (n, Money(a)) if n.as_decimal().is_some() => {
                let amount = a
                    .amount
                    .checked_add(n.as_decimal().unwrap_or_default())
                    .ok_or_else(|| overflow(self, "+", other))?;
                Ok(Money(crate::Money {
                    amount,
                    currency: a.currency.clone(),
                }))
            }
            (String(a), String(b)) => Ok(String(format!("{a}{b}"))),
            (Date(d), Duration(p)) | (Duration(p), Date(d)) => add_to_date(*d, *p).map(Date),
            (DateTime(t), Duration(p)) | (Duration(p), DateTime(t)) => {
                add_to_datetime(*t, *p).map(DateTime)
            }
            (Duration(a), Duration(b)) => a
                .checked_add(*b)
                .map(Duration)
                .ok_or_else(|| overflow(self, "+", other)),
            (a, b) => decimal_op(a, b, "+", rust_decimal::Decimal::checked_add),
        }
    }

    /// `self - other`; `date - date` is a duration in days.
    pub fn sub(&self, other: &Value) -> Result<Value, ValueError> {
        use Value::*;
        match (self, other) {
            (Nat(a), Nat(b)) => a
                .checked_sub(*b)
                .map(Nat)
                .ok_or_else(|| overflow(self, "-", other)),
            (Int(a), Int(b)) => a
                .checked_sub(*b)
                .map(Int)
                .ok_or_else(|| overflow(self, "-", other)),
            (Nat(_), Int(_)) | (Int(_), Nat(_)) => int_op(self, other, "-", i128::checked_sub),
            (Money(a), Money(b)) => money(a, b, rust_decimal::Decimal::checked_sub, self, other),
            (Money(a), n) if n.as_decimal().is_some() => {
                let amount = a
                    .amount
                    .checked_sub(n.as_decimal().unwrap_or_default())
                    .ok_or_else(|| overflow(self, "-", other))?;
                Ok(Money(crate::Money {
                    amount,
                    currency: a.currency.clone(),
                }))
            }
            (Date(d), Duration(p)) => {
                let neg = p.checked_neg().ok_or_else(|| overflow(self, "-", other))?;
                add_to_date(*d, neg).map(Date)
            }
            (DateTime(t), Duration(p)) => {
                let neg = p.checked_neg().ok_or_else(|| overflow(self, "-", other))?;
                add_to_datetime(*t, neg).map(DateTime)
            }
            (Date(a), Date(b)) => Ok(Duration(crate::Duration {
                days: (*a - *b).num_days(),
                ..Default::default()
            })),
            (DateTime(a), DateTime(b)) => Ok(Duration(crate::Duration {
                seconds: (*a - *b).num_seconds(),
                ..Default::default()
            })),
            (Duration(a), Duration(b)) => {
                let neg = b.checked_neg().ok_or_else(|| overflow(self, "-", other))?;
                a.checked_add(neg)
                    .map(Duration)
                    .ok_or_else(|| overflow(self, "-", other))
            }
            (a, b) => decimal_op(a, b, "-", rust_decimal::Decimal::checked_sub),
        }
    }

    /// `self * other`: numbers; money times a number.
    pub fn mul(&self, other: &Value) -> Result<Value, ValueError> {
        use Value::*;
        match (self, other) {
            (Nat(a), Nat(b)) => a
                .checked_mul(*b)
                .map(Nat)
                .ok_or_else(|| overflow(self, "*", other)),
            (Int(a), Int(b)) => a
                .checked_mul(*b)
                .map(Int)
                .ok_or_else(|| overflow(self, "*", other)),
            (Nat(_), Int(_)) | (Int(_), Nat(_)) => int_op(self, other, "*", i128::checked_mul),
            (Money(a), n) | (n, Money(a)) if n.as_decimal().is_some() => {
                let amount = a
                    .amount
                    .checked_mul(n.as_decimal().unwrap_or_default())
                    .ok_or_else(|| overflow(self, "*", other))?;
                Ok(Money(crate::Money {
                    amount,
                    currency: a.currency.clone(),
                }))
            }
            (a, b) => decimal_op(a, b, "*", rust_decimal::Decimal::checked_mul),
        }
    }

    /// `self / other`: integer division for integers, exact for decimals;
    /// division by zero is an error.
    pub fn div(&self, other: &Value) -> Result<Value, ValueError> {
        use Value::*;
        if other.as_decimal().is_some_and(|d| d.is_zero()) {
            return Err(ValueError::DivisionByZero);
        }
        match (self, other) {
            (Nat(a), Nat(b)) => a
                .checked_div(*b)
                .map(Nat)
                .ok_or_else(|| overflow(self, "/", other)),
            (Int(a), Int(b)) => a
                .checked_div(*b)
                .map(Int)
                .ok_or_else(|| overflow(self, "/", other)),
            (Nat(_), Int(_)) | (Int(_), Nat(_)) => int_op(self, other, "/", i128::checked_div),
            (Money(a), n) if n.as_decimal().is_some() => {
                let amount = a
                    .amount
                    .checked_div(n.as_decimal().unwrap_or_default())
                    .ok_or_else(|| overflow(self, "/", other))?;
                Ok(Money(crate::Money {
                    amount,
                    currency: a.currency.clone(),
                }))
            }
            (a, b) => decimal_op(a, b, "/", rust_decimal::Decimal::checked_div),
        }
    }

    /// `self % other` on integers and decimals.
    pub fn rem(&self, other: &Value) -> Result<Value, ValueError> {
        use Value::*;
        if other.as_decimal().is_some_and(|d| d.is_zero()) {
            return Err(ValueError::DivisionByZero);
        }
        match (self, other) {
            (Nat(a), Nat(b)) => a
                .checked_rem(*b)
                .map(Nat)
                .ok_or_else(|| overflow(self, "%", other)),
            (Int(a), Int(b)) => a
                .checked_rem(*b)
                .map(Int)
                .ok_or_else(|| overflow(self, "%", other)),
            (Nat(_), Int(_)) | (Int(_), Nat(_)) => int_op(self, other, "%", i128::checked_rem),
            (a, b) => decimal_op(a, b, "%", rust_decimal::Decimal::checked_rem),
        }
    }

    /// Unary minus.
    pub fn neg(&self) -> Result<Value, ValueError> {
        use Value::*;
        match self {
            Int(a) => a
                .checked_neg()
                .map(Int)
                .ok_or_else(|| ValueError::Overflow(format!("-{a}"))),
            Nat(a) => i64::try_from(*a)
                .ok()
                .and_then(i64::checked_neg)
                .map(Int)
                .ok_or_else(|| ValueError::Overflow(format!("-{a}"))),
            Decimal(d) => Ok(Decimal(-*d)),
            Money(m) => Ok(Money(crate::Money {
                amount: -m.amount,
                currency: m.currency.clone(),
            })),
            Duration(d) => d
                .checked_neg()
                .map(Duration)
                .ok_or_else(|| ValueError::Overflow("-duration".into())),
            other => Err(ValueError::Type(format!(
                "cannot negate {}",
                other.kind_name()
            ))),
        }
    }
}

fn overflow(a: &Value, op: &str, b: &Value) -> ValueError {
    ValueError::Overflow(format!("{a} {op} {b}"))
}

fn same_currency(a: &Money, b: &Money) -> Result<(), ValueError> {
    match (&a.currency, &b.currency) {
        (Some(x), Some(y)) if x != y => Err(ValueError::CurrencyMismatch(x.clone(), y.clone())),
        _ => Ok(()),
    }
}

fn money(
    a: &Money,
    b: &Money,
    op: fn(Decimal, Decimal) -> Option<Decimal>,
    left: &Value,
    right: &Value,
) -> Result<Value, ValueError> {
    same_currency(a, b)?;
    let amount = op(a.amount, b.amount).ok_or_else(|| overflow(left, "±", right))?;
    Ok(Value::Money(Money {
        amount,
        currency: a.currency.clone().or_else(|| b.currency.clone()),
    }))
}

/// Mixed `Nat`/`Int` arithmetic in i128, narrowed back to `Int` (or an overflow error).
fn int_op(
    a: &Value,
    b: &Value,
    op: &str,
    f: fn(i128, i128) -> Option<i128>,
) -> Result<Value, ValueError> {
    let widen = |v: &Value| match v {
        Value::Nat(n) => i128::from(*n),
        Value::Int(n) => i128::from(*n),
        _ => 0,
    };
    f(widen(a), widen(b))
        .and_then(|r| i64::try_from(r).ok())
        .map(Value::Int)
        .ok_or_else(|| overflow(a, op, b))
}

fn decimal_op(
    a: &Value,
    b: &Value,
    op: &str,
    f: fn(Decimal, Decimal) -> Option<Decimal>,
) -> Result<Value, ValueError> {
    match (a.as_decimal(), b.as_decimal()) {
        (Some(x), Some(y)) => f(x, y)
            .map(Value::Decimal)
            .ok_or_else(|| overflow(a, op, b)),
        _ => Err(ValueError::Type(format!(
            "cannot apply `{op}` to {} and {}",
            a.kind_name(),
            b.kind_name()
        ))),
    }
}

fn add_to_date(date: NaiveDate, d: Duration) -> Result<NaiveDate, ValueError> {
    if d.seconds % 86_400 != 0 {
        return Err(ValueError::Type(
            "cannot add a duration with hours, minutes or seconds to a Date".into(),
        ));
    }
    let err = || ValueError::Overflow(format!("{date} + {}", d.to_iso8601()));
    let with_months = shift_months(date, d.months).ok_or_else(err)?;
    let days = d.days.checked_add(d.seconds / 86_400).ok_or_else(err)?;
    with_months
        .checked_add_signed(chrono::Duration::try_days(days).ok_or_else(err)?)
        .ok_or_else(err)
}

fn add_to_datetime(t: DateTime<Utc>, d: Duration) -> Result<DateTime<Utc>, ValueError> {
    let err = || ValueError::Overflow(format!("{t} + {}", d.to_iso8601()));
    let date = shift_months(t.date_naive(), d.months).ok_or_else(err)?;
    let shifted = date.and_time(t.time()).and_utc();
    let delta = chrono::Duration::try_days(d.days)
        .and_then(|days| days.checked_add(&chrono::Duration::try_seconds(d.seconds)?))
        .ok_or_else(err)?;
    shifted.checked_add_signed(delta).ok_or_else(err)
}

/// Adds calendar months, clamping the day to the end of the target month.
fn shift_months(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    let magnitude = u32::try_from(months.unsigned_abs()).ok()?;
    if months >= 0 {
        date.checked_add_months(Months::new(magnitude))
    } else {
        date.checked_sub_months(Months::new(magnitude))
    }
}

impl fmt::Display for Value {
    /// A compact human rendering (used in messages and the CLI's tables).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "none"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Nat(n) => write!(f, "{n}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Money(m) => match &m.currency {
                Some(c) => write!(f, "{} {c}", m.amount),
                None => write!(f, "{}", m.amount),
            },
            Value::String(s) => write!(f, "{s:?}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::DateTime(t) => write!(
                f,
                "{}",
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            Value::Duration(d) => write!(f, "{}", d.to_iso8601()),
            Value::Ref(id) => write!(f, "{id}"),
            Value::Struct(_, fields) | Value::Enum(_, _, fields) => {
                write!(f, "(")?;
                write_joined(f, fields.iter())?;
                write!(f, ")")
            }
            Value::List(items) => {
                write!(f, "[")?;
                write_joined(f, items.iter())?;
                write!(f, "]")
            }
            Value::Map(pairs) => {
                write!(f, "{{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

fn write_joined<'a>(
    f: &mut fmt::Formatter<'_>,
    items: impl Iterator<Item = &'a Value>,
) -> fmt::Result {
    for (i, v) in items.enumerate() {
        if i > 0 {
            write!(f, ", ")?;
        }
        write!(f, "{v}")?;
    }
    Ok(())
}

/// The year of a date value (used by date accessors such as `d.year`).
pub fn date_part(value: &Value, part: &str) -> Result<Value, ValueError> {
    let date = match value {
        Value::Date(d) => *d,
        Value::DateTime(t) => t.date_naive(),
        other => {
            return Err(ValueError::Type(format!(
                "`.{part}` needs a Date, found {}",
                other.kind_name()
            )))
        }
    };
    match part {
        "year" => Ok(Value::Int(i64::from(date.year()))),
        "month" => Ok(Value::Nat(u64::from(date.month()))),
        "day" => Ok(Value::Nat(u64::from(date.day()))),
        other => Err(ValueError::Type(format!(
            "unknown date accessor `.{other}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Value {
        Value::Decimal(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn map_values_are_sorted_by_key_and_the_last_entry_wins() {
        let s = |t: &str| Value::String(t.into());
        let m = Value::map(vec![
            (s("b"), Value::Int(1)),
            (s("a"), Value::Int(2)),
            (s("b"), Value::Int(3)),
        ]);
        assert_eq!(
            m,
            Value::Map(vec![(s("a"), Value::Int(2)), (s("b"), Value::Int(3))])
        );
    }

    #[test]
    fn integer_overflow_is_an_error_not_a_wrap() {
        assert!(matches!(
            Value::Int(i64::MAX).add(&Value::Int(1)),
            Err(ValueError::Overflow(_))
        ));
        assert!(matches!(
            Value::Nat(0).sub(&Value::Nat(1)),
            Err(ValueError::Overflow(_))
        ));
        assert_eq!(Value::Nat(2).sub(&Value::Int(5)).unwrap(), Value::Int(-3));
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(dec("0.1").add(&dec("0.2")).unwrap(), dec("0.3"));
        assert!(dec("100.50").equals(&dec("100.5")));
        assert!(Value::Int(3).equals(&dec("3.0")));
    }

    #[test]
    fn money_refuses_mixed_currencies() {
        let usd = Value::Money(Money {
            amount: Decimal::from(5),
            currency: Some("USD".into()),
        });
        let eur = Value::Money(Money {
            amount: Decimal::from(5),
            currency: Some("EUR".into()),
        });
        assert!(matches!(
            usd.add(&eur),
            Err(ValueError::CurrencyMismatch(..))
        ));
        assert_eq!(
            usd.add(&usd).unwrap(),
            Value::Money(Money {
                amount: Decimal::from(10),
                currency: Some("USD".into())
            })
        );
    }

    #[test]
    fn date_arithmetic_uses_the_calendar() {
        let jan31 = Value::Date(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap());
        let one_month = Value::Duration(Duration::from_unit(1, "months").unwrap());
        assert_eq!(
            jan31.add(&one_month).unwrap(),
            Value::Date(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap())
        );
        let thirty_days = Value::Duration(Duration::from_unit(30, "days").unwrap());
        assert_eq!(
            jan31.add(&thirty_days).unwrap(),
            Value::Date(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
        );
        let four_hours = Value::Duration(Duration::from_unit(4, "hours").unwrap());
        assert!(jan31.add(&four_hours).is_err());
    }

    #[test]
    fn durations_round_trip_through_iso8601() {
        for text in ["P30D", "P1Y2M", "PT4H", "P1DT1H1M1S", "P0D"] {
            let d = Duration::parse_iso8601(text).unwrap();
            assert_eq!(d.to_iso8601(), text);
        }
        assert!(Duration::parse_iso8601("30D").is_err());
        assert!(Duration::parse_iso8601("P").is_err());
        assert!(Duration::parse_iso8601("PXD").is_err());
    }

    #[test]
    fn comparing_unrelated_kinds_is_an_error() {
        assert!(Value::String("a".into()).compare(&Value::Int(1)).is_err());
        assert_eq!(
            Value::Nat(3).compare(&Value::Int(-1)).unwrap(),
            Ordering::Greater
        );
    }
}
