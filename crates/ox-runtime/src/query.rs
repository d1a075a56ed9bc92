//! Running declared queries over a state: solving the body with the reasoner,
//! projecting, ordering, paging and shaping the result.

use std::cmp::Ordering;
use std::collections::HashSet;

use ox_ir::{Projection, Query, QueryBody, QueryId, Type, Value};
use ox_store::AsOf;
use serde_json::json;

use crate::context::{Clock, RequestContext};
use crate::engine::Engine;
use crate::error::{ErrorCode, RuntimeError};
use crate::eval::{Evaluator, Locals, QueryRunner};
use crate::state::{eval_error, State};
use crate::view::StateView;

/// How a query's result goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// Several rows, each of this type.
    Rows(Type),
    /// Exactly one value of this type (zero rows allowed when it is an `Option`).
    Single(Type),
}

/// The result shape of a query, decided by its result type.
pub(crate) fn shape(q: &Query) -> Shape {
    match (&q.result, &q.body) {
        (Type::List(t, _) | Type::Set(t), _) => Shape::Rows((**t).clone()),
        // A bodiless query returns the extent, whatever its declared element type.
        (t, QueryBody::Extent(_)) => Shape::Rows(t.clone()),
        (t, QueryBody::Select(_)) => Shape::Single(t.clone()),
    }
}

/// Picks the single value of a single-valued result.
pub(crate) fn single(q: &Query, mut rows: Vec<Value>) -> Result<Value, RuntimeError> {
    match rows.len() {
        1 => Ok(rows.remove(0)),
        0 if matches!(q.result, Type::Option(_)) => Ok(Value::Null),
        n => Err(RuntimeError::new(
            ErrorCode::UnsupportedQueryResult,
            format!(
                "query `{}` returns a single value, but {n} rows matched",
                q.name
            ),
        )
        .with_details(json!({ "query": q.path, "rows": n }))),
    }
}

/// Runs queries against one state (loading another one for a query declared `as_of`).
pub(crate) struct QueryExec<'a> {
    pub engine: &'a Engine,
    pub ctx: &'a RequestContext,
    pub clock: &'a Clock,
    pub state: &'a State,
}

impl QueryExec<'_> {
    /// The rows of `q` with parameter seeds (`None` leaves a parameter free), in result order.
    pub(crate) fn rows(
        &self,
        q: &Query,
        seeds: &[Option<Value>],
    ) -> Result<Vec<Value>, RuntimeError> {
        Ok(self
            .keyed_rows(q, seeds)?
            .into_iter()
            .map(|(_, row)| row)
            .collect())
    }

    /// [`QueryExec::rows`], each with the values of the query's `order by`
    /// keys (none for a query without one), so that rows of several runs
    /// can be merged in the query's order ([`order_keyed`]).
    pub(crate) fn keyed_rows(
        &self,
        q: &Query,
        seeds: &[Option<Value>],
    ) -> Result<Vec<(Vec<Value>, Value)>, RuntimeError> {
        self.clock.check()?;
        let catalog = &self.engine.catalog;
        let sel = match &q.body {
            QueryBody::Extent(pred) => {
                let mut rows: Vec<Value> = self
                    .state
                    .facts
                    .tuples(*pred)
                    .into_iter()
                    .map(|mut t| {
                        if t.len() == 1 {
                            t.remove(0)
                        } else {
                            Value::List(t)
                        }
                    })
                    .collect();
                rows.sort();
                rows.dedup();
                return Ok(rows.into_iter().map(|row| (Vec::new(), row)).collect());
            }
            QueryBody::Select(sel) => sel,
        };
        let var_count = sel.var_count as usize;
        let mut seed: Vec<Option<Value>> = vec![None; var_count.max(seeds.len())];
        for (slot, s) in seed.iter_mut().zip(seeds) {
            *slot = s.clone();
        }
        seed.truncate(var_count);
        let solutions = self
            .engine
            .program_for(self.ctx)?
            .solve(
                &self.state.facts,
                &sel.body,
                sel.var_count as _,
                &seed,
                &self.clock.eval_context(),
            )
            .map_err(|e| eval_error(e, ErrorCode::UnsupportedQueryBody))?;
        let view = StateView {
            catalog,
            state: self.state,
        };
        let eval = Evaluator::new(catalog, &view, self, self.clock);
        let mut frames = Vec::with_capacity(solutions.len());
        for solution in solutions {
            self.clock.check()?;
            let mut locals = Locals::frame(solution, var_count);
            for (i, s) in seed.iter().enumerate() {
                if let Some(v) = s {
                    locals.set(ox_ir::VarId(i as u32), v.clone());
                }
            }
            frames.push(locals);
        }
        if let Some(grouping) = &sel.group {
            frames = crate::grouping::group(&eval, self.clock, grouping, frames, var_count)?;
        }
        // Records projected into a declared struct are values of that struct.
        let record_struct = match q.result.element().unwrap_or(&q.result).without_option() {
            Type::Struct(id) => Some(*id),
            _ => None,
        };
        let mut keyed: Vec<(Vec<Value>, Value)> = Vec::with_capacity(frames.len());
        for mut locals in frames {
            self.clock.check()?;
            let row = match &sel.projection {
                Projection::Value(e) => eval.eval(e, &mut locals)?,
                Projection::Record(fields) => {
                    let fields = fields
                        .iter()
                        .map(|(_, e)| eval.eval(e, &mut locals))
                        .collect::<Result<_, _>>()?;
                    match record_struct {
                        Some(id) => Value::Struct(id, fields),
                        None => Value::List(fields),
                    }
                }
            };
            let keys = sel
                .order_by
                .iter()
                .map(|(e, _)| eval.eval(e, &mut locals))
                .collect::<Result<Vec<_>, _>>()?;
            keyed.push((keys, row));
        }
        order_keyed(&q.body, &mut keyed);
        keep_first_of_equal_rows(&mut keyed, sel.order_by.is_empty());
        let offset = usize::try_from(sel.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let limit = sel
            .limit
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        Ok(keyed.into_iter().skip(offset).take(limit).collect())
    }

    /// Runs `q` at its declared `as_of` point, or at this state.
    pub(crate) fn rows_at_declared_point(
        &self,
        q: &Query,
        seeds: &[Option<Value>],
    ) -> Result<Vec<Value>, RuntimeError> {
        match q.as_of {
            Some(tx) => {
                let state =
                    self.engine
                        .state_at(self.ctx, self.clock, AsOf::at_tx(tx, self.clock.now))?;
                QueryExec {
                    state: &state,
                    ..*self
                }
                .rows(q, seeds)
            }
            None => self.rows(q, seeds),
        }
    }
}

/// Keeps the first of each set of equal rows in `keyed` (sorted by
/// [`order_keyed`]). Sorted by value alone (`by_value`), equal rows are
/// neighbours; otherwise `order by` keys may separate them, and a set of
/// the rows seen finds them (by reference: copying every row to remember
/// it doubled a large result's memory).
fn keep_first_of_equal_rows(keyed: &mut Vec<(Vec<Value>, Value)>, by_value: bool) {
    if by_value {
        keyed.dedup_by(|later, earlier| later.1 == earlier.1);
        return;
    }
    let first: Vec<bool> = {
        let mut seen = HashSet::with_capacity(keyed.len());
        keyed.iter().map(|(_, row)| seen.insert(row)).collect()
    };
    let mut first = first.into_iter();
    keyed.retain(|_| first.next().unwrap_or(false));
}

/// Semantic order where defined (numbers by value, dates …), else the total order.
/// Sorts rows with their `order by` keys ([`QueryExec::keyed_rows`]) in
/// the order `body` asks for: by the keys (each ascending or descending),
/// then by value; by value alone without `order by`.
pub(crate) fn order_keyed(body: &QueryBody, keyed: &mut [(Vec<Value>, Value)]) {
    let order_by: &[_] = match body {
        QueryBody::Select(sel) => &sel.order_by,
        QueryBody::Extent(_) => &[],
    };
    keyed.sort_by(|a, b| {
        for (i, (_, desc)) in order_by.iter().enumerate() {
            let ord = match (a.0.get(i), b.0.get(i)) {
                (Some(x), Some(y)) => order(x, y),
                _ => Ordering::Equal,
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.1.cmp(&b.1)
    });
}

fn order(a: &Value, b: &Value) -> Ordering {
    a.compare(b).unwrap_or_else(|_| a.cmp(b))
}

impl QueryRunner for QueryExec<'_> {
    fn run_query(&self, query: QueryId, args: Vec<Option<Value>>) -> Result<Value, RuntimeError> {
        let q = self
            .engine
            .module()
            .queries
            .get(query.index())
            .ok_or_else(|| RuntimeError::internal(format!("no query #{}", query.0)))?;
        // A declared `across` query gives its `Is` rows as a value.
        let rows = if q.across.is_empty() {
            self.rows_at_declared_point(q, &args)?
        } else {
            self.engine.across_values(self.ctx, self.clock, q, &args)?
        };
        match shape(q) {
            Shape::Rows(_) => Ok(Value::List(rows)),
            Shape::Single(_) => single(q, rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(keys: &[i64], value: i64) -> (Vec<Value>, Value) {
        (
            keys.iter().map(|&k| Value::Int(k)).collect(),
            Value::Int(value),
        )
    }

    #[test]
    fn equal_rows_keep_their_first_place() {
        // Sorted by value: equal rows are neighbours.
        let mut sorted = vec![
            row(&[], 1),
            row(&[], 1),
            row(&[], 2),
            row(&[], 3),
            row(&[], 3),
        ];
        keep_first_of_equal_rows(&mut sorted, true);
        assert_eq!(sorted, vec![row(&[], 1), row(&[], 2), row(&[], 3)]);
        // Sorted by `order by` keys first: equal rows may be apart.
        let mut keyed = vec![
            row(&[1], 7),
            row(&[2], 5),
            row(&[3], 7),
            row(&[4], 5),
            row(&[5], 6),
        ];
        keep_first_of_equal_rows(&mut keyed, false);
        assert_eq!(keyed, vec![row(&[1], 7), row(&[2], 5), row(&[5], 6)]);
    }
}
