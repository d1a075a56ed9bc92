//! Grouped queries: solutions grouped by key, aggregates computed per group,
//! `having` applied (see [`ox_ir::Grouping`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ox_ir::{AggKind, Grouping, QueryAggregate, Value, ValueError};

use crate::context::Clock;
use crate::error::RuntimeError;
use crate::eval::{value_error, Evaluator, Locals};

/// Turns one frame per solution into one frame per group that passes `having`,
/// with every aggregate's result local set.
pub(crate) fn group(
    eval: &Evaluator<'_>,
    clock: &Clock,
    grouping: &Grouping,
    frames: Vec<Locals>,
    var_count: usize,
) -> Result<Vec<Locals>, RuntimeError> {
    let mut groups: BTreeMap<Vec<Value>, Vec<Locals>> = BTreeMap::new();
    for mut frame in frames {
        clock.check()?;
        let key = grouping
            .keys
            .iter()
            .map(|k| eval.eval(k, &mut frame))
            .collect::<Result<Vec<_>, _>>()?;
        groups.entry(key).or_default().push(frame);
    }
    // Without keys the whole (possibly empty) solution set is one group.
    if grouping.keys.is_empty() && groups.is_empty() {
        groups.insert(Vec::new(), Vec::new());
    }
    let mut out = Vec::with_capacity(groups.len());
    for (_, members) in groups {
        let mut frame = members
            .first()
            .cloned()
            .unwrap_or_else(|| Locals::with_len(var_count));
        for agg in &grouping.aggregates {
            let value = aggregate(eval, clock, agg, &members)?;
            frame.set(agg.result, value);
        }
        if let Some(having) = &grouping.having {
            if !eval.eval_bool(having, &mut frame)? {
                continue;
            }
        }
        out.push(frame);
    }
    Ok(out)
}

/// One aggregate over a group: the value per distinct binding of `over`,
/// `Null`s skipped.
fn aggregate(
    eval: &Evaluator<'_>,
    clock: &Clock,
    agg: &QueryAggregate,
    members: &[Locals],
) -> Result<Value, RuntimeError> {
    let mut values: BTreeMap<Vec<Value>, Value> = BTreeMap::new();
    for member in members {
        clock.check()?;
        let binding: Vec<Value> = agg.over.iter().map(|v| member.get(*v)).collect();
        if values.contains_key(&binding) {
            continue;
        }
        let mut frame = member.clone();
        let value = eval.eval(&agg.value, &mut frame)?;
        if value != Value::Null {
            values.insert(binding, value);
        }
    }
    fold(agg.kind, agg.zero.as_ref(), values.into_values()).map_err(value_error)
}

/// Folds aggregated values: `count` counts, `sum` of nothing is `zero` (the
/// zero of the summed type; `Nat` 0 for modules built without one), `avg`,
/// `min` and `max` of nothing are `Null`. Overflow and mixed currencies are errors.
pub(crate) fn fold(
    kind: AggKind,
    zero: Option<&Value>,
    values: impl Iterator<Item = Value>,
) -> Result<Value, ValueError> {
    let mut count: u64 = 0;
    let mut acc: Option<Value> = None;
    for value in values {
        count += 1;
        acc = Some(match (kind, acc) {
            (_, None) => value,
            (AggKind::Count, Some(a)) => a,
            (AggKind::Sum | AggKind::Avg, Some(a)) => a.add(&value)?,
            (AggKind::Min, Some(a)) => pick(a, value, Ordering::Less)?,
            (AggKind::Max, Some(a)) => pick(a, value, Ordering::Greater)?,
        });
    }
    Ok(match (kind, acc) {
        (AggKind::Count, _) => Value::Nat(count),
        (AggKind::Sum, None) => zero.cloned().unwrap_or(Value::Nat(0)),
        (AggKind::Avg, Some(total)) => total.div(&Value::Nat(count))?,
        (_, acc) => acc.unwrap_or(Value::Null),
    })
}

/// `candidate` when it compares as `wanted` against `current`, else `current`.
fn pick(current: Value, candidate: Value, wanted: Ordering) -> Result<Value, ValueError> {
    Ok(if candidate.compare(&current)? == wanted {
        candidate
    } else {
        current
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> impl Iterator<Item = Value> + '_ {
        v.iter().map(|n| Value::Int(*n))
    }

    #[test]
    fn folds_each_kind() {
        let zero = Some(&Value::Int(0));
        assert_eq!(fold(AggKind::Count, None, ints(&[4, 5])), Ok(Value::Nat(2)));
        assert_eq!(fold(AggKind::Sum, zero, ints(&[4, 5])), Ok(Value::Int(9)));
        assert_eq!(
            fold(AggKind::Min, None, ints(&[4, 2, 5])),
            Ok(Value::Int(2))
        );
        assert_eq!(
            fold(AggKind::Max, None, ints(&[4, 2, 5])),
            Ok(Value::Int(5))
        );
        assert_eq!(fold(AggKind::Count, None, ints(&[])), Ok(Value::Nat(0)));
        assert_eq!(fold(AggKind::Sum, zero, ints(&[])), Ok(Value::Int(0)));
        assert_eq!(fold(AggKind::Max, None, ints(&[])), Ok(Value::Null));
    }

    #[test]
    fn sum_of_nothing_is_the_zero_it_is_given() {
        let money = Value::Money(ox_ir::Money {
            amount: rust_decimal::Decimal::ZERO,
            currency: None,
        });
        assert_eq!(fold(AggKind::Sum, Some(&money), ints(&[])), Ok(money));
        assert_eq!(
            fold(AggKind::Sum, None, ints(&[])),
            Ok(Value::Nat(0)),
            "older modules"
        );
    }

    #[test]
    fn sum_overflow_is_an_error() {
        assert!(matches!(
            fold(AggKind::Sum, None, ints(&[i64::MAX, 1])),
            Err(ValueError::Overflow(_))
        ));
    }
}
