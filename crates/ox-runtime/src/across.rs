//! `across [S1, S2]`: a query evaluated under each listed standpoint, its
//! answers merged per row into the four values `Is`, `Not`, `Both`, `Can`.
//!
//! Under one standpoint a row *holds* when the query answers it, is
//! *refuted* when the query answers it with its primary predicate replaced
//! by the predicate's strong negation (a bodiless query: the extent of the
//! complement; a `select`: the first positive body atom whose predicate has
//! a complement), and is *undefined* when it rests on a fact of the primary
//! predicate that the well-founded semantics leaves undefined. Rows known
//! under no standpoint are not listed (open world).

use std::collections::BTreeMap;
use std::sync::Arc;

use ox_ir::{Literal, PredId, PredKind, Query, QueryBody, Value};
use serde_json::{json, Map, Value as Json};

use crate::context::{Clock, RequestContext};
use crate::engine::{tx_point, Engine, QueryOutcome, QueryResult};
use crate::error::{ErrorCode, RuntimeError};
use crate::query::{self, order_keyed, QueryExec, Shape};
use crate::state::State;
use crate::wire;

/// The four-valued truth of a row across standpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Truth {
    /// Holds under some standpoint, refuted under none.
    Is,
    /// Refuted under some standpoint, holds under none.
    Not,
    /// Holds under one standpoint and is refuted under one (maybe the same).
    Both,
    /// Only undefined (neither holds nor is refuted anywhere).
    Can,
}

impl Truth {
    /// The wire name: `Is`, `Not`, `Both`, `Can`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::Is => "Is",
            Truth::Not => "Not",
            Truth::Both => "Both",
            Truth::Can => "Can",
        }
    }
}

/// What the standpoints said about one row so far.
#[derive(Debug, Default, Clone, Copy)]
struct Verdicts {
    holds: bool,
    refuted: bool,
    undefined: bool,
}

impl Verdicts {
    fn truth(self) -> Truth {
        match (self.holds, self.refuted) {
            (true, true) => Truth::Both,
            (true, false) => Truth::Is,
            (false, true) => Truth::Not,
            (false, false) => Truth::Can,
        }
    }
}

impl Engine {
    /// Runs a `pub query` across standpoints: `across` names them (by path
    /// or unambiguous short name); empty uses the query's declared
    /// `across [...]`. Each row is `{"value": <row>, "truth": "Is"|"Not"|"Both"|"Can"}`;
    /// with `strict` only `Is` rows are returned (as the same objects).
    /// Rows come in the query's order: by its `order by` keys (as computed
    /// where a row first appears, standpoints in the listed order), then by
    /// value; by value without `order by`.
    ///
    /// Errors: as for [`Engine::query`]; an unknown standpoint, a request
    /// that also names a standpoint (header or body), or a query without
    /// any `across` list → `VALIDATION_FAILED`; a single-valued query →
    /// `UNSUPPORTED_QUERY_RESULT`.
    pub fn query_across(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
        across: &[String],
        strict: bool,
    ) -> Result<QueryOutcome, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
        let q = self.public_query(name)?;
        if let Some(standpoint) = &ctx.standpoint {
            return Err(RuntimeError::validation(format!(
                "`across` evaluates under each listed standpoint; it cannot be combined with the standpoint `{}` (X-Standpoint or body `standpoint`)",
                standpoint.escape_debug()
            ))
            .with_details(json!({ "standpoint": standpoint })));
        }
        let paths = self.across_paths(q, across)?;
        let Shape::Rows(ty) = query::shape(q) else {
            return Err(RuntimeError::new(
                ErrorCode::UnsupportedQueryResult,
                format!(
                    "query `{}` returns a single value; `across` needs a query that returns rows",
                    q.name
                ),
            )
            .with_details(json!({ "query": q.path })));
        };
        // `limit`/`offset` apply to the merged rows, not under each standpoint.
        let (window, q) = without_window(q);
        let merged = self.merge_across(ctx, &clock, &q, &paths, &|state| {
            self.query_args(&q.name, &q.params, args, state)
        })?;
        let module = self.module();
        let rows = match &merged.last_state {
            None => Vec::new(),
            Some(state) => {
                let types = |id: &str| state.type_of(&self.catalog, id);
                merged
                    .rows
                    .into_iter()
                    .filter(|(_, truth)| !strict || *truth == Truth::Is)
                    .skip(window.offset)
                    .take(window.limit)
                    .map(|(row, truth)| {
                        json!({
                            "value": wire::encode(module, &row, &ty, &types),
                            "truth": truth.as_str(),
                        })
                    })
                    .collect()
            }
        };
        Ok(QueryOutcome {
            tx: merged.tx,
            result: QueryResult::Rows(rows),
        })
    }

    /// The rows a declared `across` query gives where a value is expected
    /// (a query called inside a `fn` or a query): those that are `Is`, holding
    /// under some listed standpoint and refuted under none, whatever
    /// standpoint the request reads, with the query's `limit`/`offset`
    /// applied to them. A value has the query's row type, which has no room
    /// for a truth value.
    pub(crate) fn across_values(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        q: &Query,
        seeds: &[Option<Value>],
    ) -> Result<Vec<Value>, RuntimeError> {
        let paths = self.across_paths(q, &[])?;
        let (window, q) = without_window(q);
        let merged = self.merge_across(ctx, clock, &q, &paths, &|_| Ok(seeds.to_vec()))?;
        Ok(merged
            .rows
            .into_iter()
            .filter(|(_, truth)| *truth == Truth::Is)
            .skip(window.offset)
            .take(window.limit)
            .map(|(row, _)| row)
            .collect())
    }

    /// `q` (its window already taken off) evaluated under each of `paths`,
    /// from `ctx` with its standpoint replaced, its rows merged with their
    /// truth in the query's order: by its `order by` keys (as computed
    /// where a row first appears, standpoints in the listed order), then
    /// by value. `seeds` gives the query's arguments under each state.
    fn merge_across(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        q: &Query,
        paths: &[String],
        seeds: &SeedsUnder<'_>,
    ) -> Result<Merged, RuntimeError> {
        let refuting = refuting_query(self.module(), q);
        // Each row with its `order by` keys where it first appeared.
        let mut merged: Vec<(Vec<Value>, Value)> = Vec::new();
        let mut verdicts: Vec<Verdicts> = Vec::new();
        let mut index: BTreeMap<Value, usize> = BTreeMap::new();
        let mut note = |(keys, row): (Vec<Value>, Value), mark: fn(&mut Verdicts)| {
            let i = *index.entry(row.clone()).or_insert_with(|| {
                merged.push((keys, row));
                verdicts.push(Verdicts::default());
                merged.len() - 1
            });
            mark(&mut verdicts[i]);
        };
        let mut tx = 0;
        let mut last_state: Option<Arc<State>> = None;
        for path in paths {
            let mut under = ctx.clone();
            under.standpoint = Some(path.clone());
            let state = self.read_state(&under, clock, tx_point(&under, q.as_of))?;
            tx = tx.max(state.tx);
            let seeds = seeds(&state)?;
            let exec = QueryExec {
                engine: self,
                ctx: &under,
                clock,
                state: &state,
            };
            for row in exec.keyed_rows(q, &seeds)? {
                note(row, |v| v.holds = true);
            }
            if let Some((refuted, primary)) = &refuting {
                for row in exec.keyed_rows(refuted, &seeds)? {
                    note(row, |v| v.refuted = true);
                }
                for row in undefined_rows(&exec, q, *primary, &seeds)? {
                    note(row, |v| v.undefined = true);
                }
            } else if let Some(primary) = primary_predicate(q) {
                for row in undefined_rows(&exec, q, primary, &seeds)? {
                    note(row, |v| v.undefined = true);
                }
            }
            last_state = Some(state);
        }
        order_keyed(&q.body, &mut merged);
        let rows = merged
            .into_iter()
            .map(|(_, row)| {
                let truth = verdicts[index[&row]].truth();
                (row, truth)
            })
            .collect();
        Ok(Merged {
            rows,
            tx,
            last_state,
        })
    }

    /// The standpoint paths to evaluate under: the requested names, else the
    /// query's declared list.
    fn across_paths(&self, q: &Query, across: &[String]) -> Result<Vec<String>, RuntimeError> {
        let standpoints = &self.module().standpoints;
        let mut out: Vec<String> = Vec::new();
        if across.is_empty() {
            out = q
                .across
                .iter()
                .filter_map(|id| standpoints.get(id.index()).map(|s| s.path.clone()))
                .collect();
        }
        for name in across {
            let path = self
                .catalog
                .standpoint_layers(name)
                .and_then(|layers| layers.into_iter().next())
                .ok_or_else(|| {
                    RuntimeError::validation(format!(
                        "unknown standpoint `{}` in `across`",
                        name.escape_debug()
                    ))
                    .with_details(json!({ "standpoint": name }))
                })?;
            if !out.contains(&path) {
                out.push(path);
            }
        }
        if out.is_empty() {
            return Err(RuntimeError::validation(format!(
                "query `{}` declares no `across [...]` list; name the standpoints with `across`",
                q.name
            ))
            .with_details(json!({ "query": q.path })));
        }
        Ok(out)
    }
}

/// A query's arguments under one standpoint's state (where a reference
/// argument is resolved).
type SeedsUnder<'a> = dyn Fn(&State) -> Result<Vec<Option<Value>>, RuntimeError> + 'a;

/// An `across` query's rows under all its standpoints (see
/// [`Engine::merge_across`]).
struct Merged {
    /// Each row with its truth, in the query's order.
    rows: Vec<(Value, Truth)>,
    /// The newest transaction any standpoint's state reads.
    tx: u64,
    /// The state of the last standpoint (for the types of individuals).
    last_state: Option<Arc<State>>,
}

/// A `select`'s `limit` and `offset` (none: every row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    offset: usize,
    limit: usize,
}

/// The query without its `limit`/`offset`, and that window, so the window
/// can be applied once to the merged rows.
fn without_window(q: &Query) -> (Window, Query) {
    let mut unbounded = q.clone();
    let mut window = Window {
        offset: 0,
        limit: usize::MAX,
    };
    if let QueryBody::Select(sel) = &mut unbounded.body {
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        if let Some(offset) = sel.offset.take() {
            window.offset = to_usize(offset);
        }
        if let Some(limit) = sel.limit.take() {
            window.limit = to_usize(limit);
        }
    }
    (window, unbounded)
}

/// The predicate whose truth decides a row: the extent's predicate, or the
/// first positive atom of a `select` body.
fn primary_predicate(q: &Query) -> Option<PredId> {
    match &q.body {
        QueryBody::Extent(p) => Some(*p),
        QueryBody::Select(sel) => sel.body.iter().find_map(|l| match l {
            Literal::Pos(a) => Some(a.pred),
            _ => None,
        }),
    }
}

/// The strong negation of `pred` (or the predicate a complement negates).
fn complement(module: &ox_ir::Module, pred: PredId) -> Option<PredId> {
    if let Some(PredKind::Complement(of)) = module.predicates.get(pred.index()).map(|p| p.kind) {
        return Some(of);
    }
    module
        .predicates
        .iter()
        .position(|p| p.kind == PredKind::Complement(pred))
        .map(|i| PredId(i as u32))
}

/// The query answering the refuted rows, and the primary predicate it
/// negates; `None` when no predicate of the query has a strong negation.
fn refuting_query(module: &ox_ir::Module, q: &Query) -> Option<(Query, PredId)> {
    let mut refuted = q.clone();
    let primary = match &mut refuted.body {
        QueryBody::Extent(p) => {
            let original = *p;
            *p = complement(module, original)?;
            original
        }
        QueryBody::Select(sel) => sel.body.iter_mut().find_map(|l| match l {
            Literal::Pos(a) => {
                let negation = complement(module, a.pred)?;
                let original = a.pred;
                a.pred = negation;
                Some(original)
            }
            _ => None,
        })?,
    };
    Some((refuted, primary))
}

/// The rows that rest on an undefined fact of `primary`: the query answered
/// over a copy of the state whose `primary` facts are its undefined ones.
fn undefined_rows(
    exec: &QueryExec<'_>,
    q: &Query,
    primary: PredId,
    seeds: &[Option<Value>],
) -> Result<Vec<(Vec<Value>, Value)>, RuntimeError> {
    let facts = &exec.state.facts;
    if facts.undefined(primary).is_empty() {
        return Ok(Vec::new());
    }
    let state = State {
        base: exec.state.base.clone(),
        facts: facts.with_undefined_as_facts(primary),
        tx: exec.state.tx,
        window: exec.state.window,
        evaluated_at: exec.state.evaluated_at,
    };
    let exec = QueryExec {
        state: &state,
        ..*exec
    };
    exec.keyed_rows(q, seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_merge_into_four_values() {
        let v = |holds, refuted, undefined| Verdicts {
            holds,
            refuted,
            undefined,
        };
        assert_eq!(v(true, false, false).truth(), Truth::Is);
        assert_eq!(v(true, false, true).truth(), Truth::Is);
        assert_eq!(v(false, true, false).truth(), Truth::Not);
        assert_eq!(v(true, true, false).truth(), Truth::Both);
        assert_eq!(v(false, false, true).truth(), Truth::Can);
    }
}
