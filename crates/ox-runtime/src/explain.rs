//! Derived extents, explanations and checks over a request's fixpoint.
//!
//! Fixpoints are evaluated with provenance (see `state::evaluate`), so any
//! fact of a state can be explained by its stable fact id. Base facts of a
//! proof name the visible events that asserted them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use ox_ir::expr::Expr;
use ox_ir::{
    Literal, PredId, PredKind, Projection, Query, QueryBody, RuleOrigin, Severity, Term, Value,
    VarId,
};
use ox_reasoner::{
    Contest, Derivation, ExplainOptions, FactId, FactRef, FactStatus, Outcome, Program, ProofDag,
    ProofNode,
};
use ox_store::{AsOf, Event, TxPoint, ValidPoint};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::context::{Clock, RequestContext};
use crate::engine::{tx_point, Engine, QueryOutcome};
use crate::error::{ErrorCode, RuntimeError};
use crate::query::{self, Shape};
use crate::state::{self, State, Visibility};
use crate::validate::render_message;
use crate::wire;

/// The extent of one derived predicate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedExtent {
    /// The predicate's name, e.g. `breach`.
    pub predicate: String,
    /// Its facts, sorted by value.
    pub rows: Vec<DerivedRow>,
}

/// One derived fact: its stable id and its arguments on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivedRow {
    pub fact_id: String,
    pub args: Vec<Json>,
}

/// How deep and how wide an explanation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExplainRequest {
    /// Expand premises down to this depth; `None`: down to the base facts.
    pub depth: Option<u32>,
    /// Every derivation instead of the one recorded witness.
    pub all: bool,
}

impl Engine {
    /// The extents of the derived predicates (`derive` clauses), or of those
    /// named in `rules` (by name or path), at the request's point.
    ///
    /// Errors: a name that is no derived predicate → `VALIDATION_FAILED`.
    pub fn derive(
        &self,
        ctx: &RequestContext,
        rules: Option<&[String]>,
    ) -> Result<Vec<DerivedExtent>, RuntimeError> {
        let preds = self.derived_preds(rules)?;
        let scope = self.explain_state(ctx, false)?;
        let state = &scope.state;
        Ok(preds
            .into_iter()
            .map(|pred| self.extent(state, pred, |_| true))
            .collect())
    }

    /// The derived facts that mention the individual `id`, one extent per
    /// derived predicate that has some.
    ///
    /// Errors: an individual that is not live → `UNKNOWN_FACT`.
    pub fn derived_for_individual(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Vec<DerivedExtent>, RuntimeError> {
        let scope = self.explain_state(ctx, false)?;
        let state = &scope.state;
        self.individual_extents(state, id)
    }

    /// The proof DAG of every derived fact that mentions the individual `id`.
    ///
    /// Errors: as for [`Engine::derived_for_individual`].
    pub fn explain_individual(
        &self,
        ctx: &RequestContext,
        id: &str,
        request: ExplainRequest,
    ) -> Result<Vec<Json>, RuntimeError> {
        let scope = self.explain_state(ctx, true)?;
        let extents = self.individual_extents(&scope.state, id)?;
        extents
            .iter()
            .flat_map(|e| e.rows.iter())
            .map(|row| self.proof_json(&scope, &row.fact_id, request))
            .collect()
    }

    /// The proof DAG of the fact whose stable id is `fact_id`, as JSON:
    /// `{"root", "nodes": [{factId, predicate, args, status, …}], "edges"}`.
    /// Base facts list the events that asserted them, derived facts their
    /// rule, clause and bindings, negated premises are `absent` with the
    /// stratum checked, and undefined facts are `undefined`.
    ///
    /// Errors: no fact with that id in the request's scope (tenant, fork,
    /// point in time) → `UNKNOWN_FACT`.
    pub fn explain_fact(
        &self,
        ctx: &RequestContext,
        fact_id: &str,
        request: ExplainRequest,
    ) -> Result<Json, RuntimeError> {
        let scope = self.explain_state(ctx, true)?;
        self.proof_json(&scope, fact_id, request)
    }

    /// The rule firings behind the derived facts of [`Engine::derive`] (same
    /// `rules` filter), one per fact in extent order: the fact, then the
    /// recorded firing's rule, bindings and premises (fact id, predicate,
    /// status).
    ///
    /// Errors: as for [`Engine::derive`].
    pub fn derive_trace(
        &self,
        ctx: &RequestContext,
        rules: Option<&[String]>,
    ) -> Result<Vec<Json>, RuntimeError> {
        let preds = self.derived_preds(rules)?;
        let scope = self.explain_state(ctx, false)?;
        let state = &scope.state;
        let eval_ctx = scope.clock.eval_context();
        let options = ExplainOptions {
            depth: Some(1),
            all: false,
        };
        let mut firings = Vec::new();
        for pred in preds {
            for tuple in state.facts.tuples(pred) {
                let dag = scope
                    .program
                    .explain(
                        &state.facts,
                        &FactRef::Tuple(pred, tuple),
                        options,
                        &eval_ctx,
                    )
                    .map_err(|e| state::eval_error(e, ErrorCode::Internal))?;
                let Some(root) = dag.nodes.get(dag.root) else {
                    continue;
                };
                for d in &root.derivations {
                    let mut firing = self.derivation_json(state, d);
                    let premises = self.premises_json(state, &dag.nodes, d);
                    if let Some(obj) = firing.as_object_mut() {
                        obj.insert("premises".into(), Json::Array(premises));
                        obj.insert("factId".into(), json!(root.id.0));
                        obj.insert("predicate".into(), json!(root.predicate));
                        obj.insert(
                            "args".into(),
                            Json::Array(self.args_json(state, root.pred, &root.tuple)),
                        );
                    }
                    firings.push(firing);
                }
            }
        }
        Ok(firings)
    }

    /// Runs a declared `pub query` like [`Engine::query`] and explains the
    /// rows at positions `window` (the page the caller returns): one entry
    /// per row of the window, `{"factId", "proof"}` when the row is a fact of
    /// a predicate (see [`row_predicate`]), both `null` otherwise. A
    /// single-valued result has no rows to explain (an empty list).
    ///
    /// Errors: as for [`Engine::query`].
    pub fn query_explained(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
        request: ExplainRequest,
        window: Range<usize>,
    ) -> Result<(QueryOutcome, Vec<Json>), RuntimeError> {
        let run = self.run_query(ctx, name, args)?;
        let q = run.query;
        let pred = row_predicate(q);
        let mut proofs = Vec::new();
        if matches!(query::shape(q), Shape::Rows(_)) {
            let point = tx_point(ctx, q.as_of);
            let events = match pred {
                Some(_) => self.events_at(ctx, &run.clock, point)?,
                None => Vec::new(),
            };
            let scope = Scope {
                state: Arc::clone(&run.state),
                program: self.program_for(ctx)?,
                clock: run.clock,
                events,
                visibility: Some(self.visibility(ctx)?),
            };
            let end = window.end.min(run.rows.len());
            let start = window.start.min(end);
            for row in &run.rows[start..end] {
                let fact = pred.and_then(|p| {
                    let tuple = row_tuple(row, self.module().predicates[p.index()].params.len())?;
                    scope
                        .state
                        .facts
                        .contains(p, &tuple)
                        .then(|| scope.program.fact_id(p, &tuple))
                });
                proofs.push(match fact {
                    Some(id) => json!({
                        "factId": id.0,
                        "proof": self.proof_json(&scope, &id.0, request)?,
                    }),
                    None => json!({ "factId": null, "proof": null }),
                });
            }
        }
        Ok((self.encode_query(run)?, proofs))
    }

    /// The violations of every check in the request's scope (`check`,
    /// `severity`, rendered `message`, `bindings`), then the contradictions
    /// (facts that hold together with their strong negation), then the
    /// blocked ambiguities (undefeated defaults for a fact and its strong
    /// negation, neither holding; each a contest, see `docs/explain.md`).
    pub fn checks(&self, ctx: &RequestContext) -> Result<Json, RuntimeError> {
        let scope = self.explain_state(ctx, false)?;
        let state = &scope.state;
        let module = self.module();
        let types = |id: &str| state.type_of(&self.catalog, id);
        let mut violations = Vec::new();
        for check in &module.checks {
            for tuple in state.facts.tuples(check.pred) {
                let bindings: Map<String, Json> = check
                    .params
                    .iter()
                    .zip(&tuple)
                    .map(|(p, v)| (p.name.clone(), wire::encode(module, v, &p.ty, &types)))
                    .collect();
                violations.push(json!({
                    "check": check.name,
                    "severity": match check.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    "message": render_message(check, &tuple),
                    "bindings": bindings,
                    "factId": scope.program.fact_id(check.pred, &tuple).0,
                }));
            }
        }
        let contradictions: Vec<Json> = scope
            .program
            .contradictions(&state.facts)
            .into_iter()
            .map(|c| {
                json!({
                    "predicate": c.predicate,
                    "args": self.args_json(state, c.pred, &c.tuple),
                    "factId": scope.program.fact_id(c.pred, &c.tuple).0,
                })
            })
            .collect();
        let ambiguities: Vec<Json> = scope
            .program
            .ambiguities(&state.facts, &scope.clock.eval_context())
            .map_err(|e| state::eval_error(e, ErrorCode::Internal))?
            .iter()
            .map(|c| self.contest_json(state, c))
            .collect();
        Ok(json!({
            "tx": state.tx,
            "violations": violations,
            "contradictions": contradictions,
            "ambiguities": ambiguities,
        }))
    }

    /// The request's state and clock, and with `with_events` the events
    /// visible at the same point with the request's visibility (to name the
    /// events behind base facts).
    fn explain_state(
        &self,
        ctx: &RequestContext,
        with_events: bool,
    ) -> Result<Scope, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
        let point = tx_point(ctx, None);
        let state = self.read_state(ctx, &clock, point)?;
        let program = self.program_for(ctx)?;
        if !with_events {
            return Ok(Scope {
                state,
                program,
                clock,
                events: Vec::new(),
                visibility: None,
            });
        }
        let events = self.events_at(ctx, &clock, point)?;
        Ok(Scope {
            state,
            program,
            clock,
            events,
            visibility: Some(self.visibility(ctx)?),
        })
    }

    /// The events visible at transaction point `point` (valid at the clock's instant).
    fn events_at(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        point: TxPoint,
    ) -> Result<Vec<Event>, RuntimeError> {
        let as_of = match point {
            TxPoint::Latest => AsOf::current(clock.now),
            tx => AsOf {
                tx,
                valid: ValidPoint::At(clock.now),
            },
        };
        self.store()
            .visible_events(&ctx.tenant, &ctx.fork, as_of)
            .map_err(RuntimeError::from_store)
    }

    /// The derived predicates named by `rules` (all of them for `None`).
    fn derived_preds(&self, rules: Option<&[String]>) -> Result<Vec<PredId>, RuntimeError> {
        let module = self.module();
        let derived: Vec<PredId> = module
            .predicates
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == PredKind::Derived)
            .map(|(i, _)| PredId(i as u32))
            .collect();
        let Some(names) = rules else {
            return Ok(derived);
        };
        names
            .iter()
            .map(|name| {
                derived
                    .iter()
                    .copied()
                    .find(|p| {
                        let pred = &module.predicates[p.index()];
                        pred.name == *name || pred.path == *name
                    })
                    .ok_or_else(|| {
                        RuntimeError::validation(format!("no derived predicate is named `{name}`"))
                            .with_details(json!({ "rule": name }))
                    })
            })
            .collect()
    }

    /// The facts of `pred` that pass `keep`.
    fn extent(
        &self,
        state: &State,
        pred: PredId,
        keep: impl Fn(&[Value]) -> bool,
    ) -> DerivedExtent {
        let rows = state
            .facts
            .tuples(pred)
            .into_iter()
            .filter(|t| keep(t))
            .map(|t| DerivedRow {
                fact_id: self.fact_id(pred, &t).0,
                args: self.args_json(state, pred, &t),
            })
            .collect();
        DerivedExtent {
            predicate: self.module().predicates[pred.index()].name.clone(),
            rows,
        }
    }

    fn individual_extents(
        &self,
        state: &State,
        id: &str,
    ) -> Result<Vec<DerivedExtent>, RuntimeError> {
        if !state.base.individuals.contains_key(id) {
            return Err(RuntimeError::new(
                ErrorCode::UnknownFact,
                format!("no individual `{id}` in scope"),
            )
            .with_details(json!({ "id": id })));
        }
        let target = Value::Ref(id.to_owned());
        Ok(self
            .derived_preds(None)?
            .into_iter()
            .map(|pred| self.extent(state, pred, |t| t.contains(&target)))
            .filter(|e| !e.rows.is_empty())
            .collect())
    }

    /// A tuple's arguments on the wire, typed by the predicate's parameters.
    fn args_json(&self, state: &State, pred: PredId, tuple: &[Value]) -> Vec<Json> {
        let module = self.module();
        let types = |id: &str| state.type_of(&self.catalog, id);
        // Auxiliary predicates of the reasoner (after the module's) are untyped.
        let params: &[ox_ir::Param] = module
            .predicates
            .get(pred.index())
            .map_or(&[], |p| p.params.as_slice());
        tuple
            .iter()
            .enumerate()
            .map(|(i, v)| match params.get(i) {
                Some(p) => wire::encode(module, v, &p.ty, &types),
                None => wire::encode_untyped(module, v, &types),
            })
            .collect()
    }

    /// The proof of one fact of the scope's state, as JSON.
    fn proof_json(
        &self,
        scope: &Scope,
        fact_id: &str,
        request: ExplainRequest,
    ) -> Result<Json, RuntimeError> {
        let id = FactId(fact_id.to_owned());
        let state = &scope.state;
        let Some((pred, tuple)) = scope.program.find_fact(&state.facts, &id) else {
            return Err(self.absent_fact(scope, fact_id)?);
        };
        let options = ExplainOptions {
            depth: request.depth,
            all: request.all,
        };
        let dag = scope
            .program
            .explain(
                &state.facts,
                &FactRef::Tuple(pred, tuple.clone()),
                options,
                &scope.clock.eval_context(),
            )
            .map_err(|e| state::eval_error(e, ErrorCode::Internal))?;
        let origins = match &scope.visibility {
            Some(v) => state::event_origins(&self.catalog, &scope.events, v),
            None => HashMap::new(),
        };
        let mut proof = self.dag_json(state, &dag, &origins);
        let contest = scope
            .program
            .contest(&state.facts, pred, &tuple, &scope.clock.eval_context())
            .map_err(|e| state::eval_error(e, ErrorCode::Internal))?;
        // Only a contested conclusion (some rule of its family defeated or
        // blocked) carries its contest.
        let contested = contest.filter(|c| c.rules.iter().any(|r| r.outcome != Outcome::Concluded));
        if let (Some(contest), Some(obj)) = (contested, proof.as_object_mut()) {
            obj.insert("contest".into(), self.contest_json(state, &contest));
        }
        Ok(proof)
    }

    /// The error for a fact id that holds no fact of the scope: when some
    /// rule's body supports it (a defeated or blocked defeasible
    /// conclusion), `UNKNOWN_FACT` names the defeating or conflicting rules
    /// in `details.contest`; otherwise a plain `UNKNOWN_FACT`.
    fn absent_fact(&self, scope: &Scope, fact_id: &str) -> Result<RuntimeError, RuntimeError> {
        let state = &scope.state;
        let id = FactId(fact_id.to_owned());
        let Some((pred, tuple)) = scope.program.find_contested(&state.facts, &id) else {
            return Ok(unknown_fact(fact_id));
        };
        let contest = scope
            .program
            .contest(&state.facts, pred, &tuple, &scope.clock.eval_context())
            .map_err(|e| state::eval_error(e, ErrorCode::Internal))?;
        let Some(contest) = contest else {
            return Ok(unknown_fact(fact_id));
        };
        let reason = absence_reason(&contest);
        Ok(RuntimeError::new(
            ErrorCode::UnknownFact,
            format!("`{fact_id}` does not hold: {reason}"),
        )
        .with_details(json!({
            "factId": fact_id,
            "contest": self.contest_json(state, &contest),
        })))
    }

    /// A contest as JSON: the fact (`predicate`, `args`, `factId`, `holds`,
    /// `ambiguous`) and every rule of its family that fires for it (rule,
    /// label, strength, what it `concludes` and that fact's `conclusionId`,
    /// its `outcome` — `concluded`,
    /// `defeated` or `blocked` — with `by` naming the rules responsible as
    /// indices into `rules`, and its bindings and premises).
    fn contest_json(&self, state: &State, contest: &Contest) -> Json {
        let rules: Vec<Json> = contest
            .rules
            .iter()
            .map(|r| {
                let mut rule = self.derivation_json(state, &r.firing);
                let (outcome, by) = match &r.outcome {
                    Outcome::Concluded => ("concluded", Vec::new()),
                    Outcome::Defeated { by } => ("defeated", by.clone()),
                    Outcome::Blocked { by } => ("blocked", by.clone()),
                };
                if let Some(obj) = rule.as_object_mut() {
                    obj.insert("label".into(), json!(r.label));
                    obj.insert(
                        "strength".into(),
                        json!(if r.defeasible { "defeasible" } else { "strict" }),
                    );
                    obj.insert("concludes".into(), json!(r.predicate));
                    obj.insert(
                        "conclusionId".into(),
                        json!(self.fact_id(r.conclusion, &contest.tuple).0),
                    );
                    obj.insert("outcome".into(), json!(outcome));
                    obj.insert("by".into(), json!(by));
                    obj.insert(
                        "premises".into(),
                        Json::Array(self.premises_json(state, &contest.nodes, &r.firing)),
                    );
                }
                rule
            })
            .collect();
        json!({
            "predicate": contest.predicate,
            "args": self.args_json(state, contest.pred, &contest.tuple),
            "factId": self.fact_id(contest.pred, &contest.tuple).0,
            "holds": contest.holds,
            "ambiguous": contest.is_ambiguous(),
            "rules": rules,
        })
    }

    /// The premises of a derivation as `{factId, predicate, args, status}`.
    fn premises_json(&self, state: &State, nodes: &[ProofNode], d: &Derivation) -> Vec<Json> {
        d.premises
            .iter()
            .filter_map(|&i| nodes.get(i))
            .map(|n| {
                json!({
                    "factId": n.id.0,
                    "predicate": n.predicate,
                    "args": self.args_json(state, n.pred, &n.tuple),
                    "status": status_name(&n.status),
                })
            })
            .collect()
    }

    /// Renders a proof DAG: nodes with their status, derivations and (for
    /// base facts) the events that asserted them, and the premise edges.
    fn dag_json(
        &self,
        state: &State,
        dag: &ProofDag,
        origins: &HashMap<(PredId, Vec<Value>), Vec<&Event>>,
    ) -> Json {
        let nodes: Vec<Json> = dag
            .nodes
            .iter()
            .map(|node| self.node_json(state, node, origins))
            .collect();
        let edges: Vec<Json> = dag
            .edges()
            .into_iter()
            .map(|(a, b)| json!([a, b]))
            .collect();
        json!({
            "root": dag.root,
            "factId": dag.nodes.get(dag.root).map(|n| n.id.0.clone()),
            "nodes": nodes,
            "edges": edges,
        })
    }

    fn node_json(
        &self,
        state: &State,
        node: &ProofNode,
        origins: &HashMap<(PredId, Vec<Value>), Vec<&Event>>,
    ) -> Json {
        let mut out = json!({
            "factId": node.id.0,
            "predicate": node.predicate,
            "args": self.args_json(state, node.pred, &node.tuple),
            "status": status_name(&node.status),
        });
        let Some(obj) = out.as_object_mut() else {
            return out;
        };
        match &node.status {
            FactStatus::Absent { stratum } => {
                obj.insert("stratum".into(), json!(stratum));
            }
            FactStatus::Base => {
                let asserted: Vec<Json> = origins
                    .get(&(node.pred, node.tuple.clone()))
                    .map(|events| {
                        events
                            .iter()
                            .map(|e| {
                                json!({
                                    "eventId": e.event_id.to_string(),
                                    "tx": e.tx,
                                    "kind": e.kind,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                obj.insert("events".into(), Json::Array(asserted));
            }
            FactStatus::Derived => {
                let derivations: Vec<Json> = node
                    .derivations
                    .iter()
                    .map(|d| self.derivation_json(state, d))
                    .collect();
                obj.insert("derivations".into(), Json::Array(derivations));
                obj.insert("truncated".into(), json!(node.truncated));
            }
            FactStatus::NotHeld | FactStatus::Undefined => {}
        }
        out
    }

    fn derivation_json(&self, state: &State, d: &Derivation) -> Json {
        let module = self.module();
        let types = |id: &str| state.type_of(&self.catalog, id);
        let bindings: Map<String, Json> = d
            .bindings
            .iter()
            .map(|(name, v)| (name.clone(), wire::encode_untyped(module, v, &types)))
            .collect();
        let (name, clause) = match &d.origin {
            RuleOrigin::Derive { name, clause } => (Some(name.clone()), Some(*clause)),
            RuleOrigin::Check(c) => (Some(module.checks[c.index()].name.clone()), None),
            _ => (None, None),
        };
        let aggregates: Vec<Json> = d
            .aggregates
            .iter()
            .map(|a| {
                let group: Map<String, Json> = a
                    .group
                    .iter()
                    .map(|(name, v)| (name.clone(), wire::encode_untyped(module, v, &types)))
                    .collect();
                json!({
                    "kind": a.kind.name(),
                    "value": wire::encode_untyped(module, &a.value, &types),
                    "group": group,
                    "solutions": a.solutions,
                    "contributors": a.contributors,
                    "contributorCount": a.contributor_count,
                    "truncated": a.truncated,
                })
            })
            .collect();
        json!({
            "rule": d.rule,
            "ruleName": name,
            "clause": clause,
            "bindings": bindings,
            "premises": d.premises,
            "aggregates": aggregates,
        })
    }
}

/// What an explanation reads: the state, the request's clock, and the
/// visible events with the request's visibility.
struct Scope {
    state: Arc<State>,
    /// The program the state was evaluated with (the request's standpoint).
    program: Arc<Program>,
    clock: Clock,
    events: Vec<Event>,
    visibility: Option<Visibility>,
}

/// The predicate whose facts a query's rows are: the predicate of a
/// bodiless (extent) query, or of a positive atom of the body whose
/// arguments are exactly the projected variables in order (`select l from
/// breach(l)`, `select {l: l, t: t} from LeaseOf(l, t)`). Grouped queries
/// have none.
pub(crate) fn row_predicate(q: &Query) -> Option<PredId> {
    let sel = match &q.body {
        QueryBody::Extent(pred) => return Some(*pred),
        QueryBody::Select(sel) => sel,
    };
    if sel.group.is_some() {
        return None;
    }
    let projected: Vec<VarId> = match &sel.projection {
        Projection::Value(Expr::Var(v)) => vec![*v],
        Projection::Record(fields) => fields
            .iter()
            .map(|(_, e)| match e {
                Expr::Var(v) => Some(*v),
                _ => None,
            })
            .collect::<Option<_>>()?,
        Projection::Value(_) => return None,
    };
    sel.body.iter().find_map(|lit| match lit {
        Literal::Pos(atom)
            if atom.args.len() == projected.len()
                && atom
                    .args
                    .iter()
                    .zip(&projected)
                    .all(|(t, v)| *t == Term::Var(*v)) =>
        {
            Some(atom.pred)
        }
        _ => None,
    })
}

/// The tuple a row stands for: the row itself for one column, else the
/// items of a list or the fields of a record.
fn row_tuple(row: &Value, arity: usize) -> Option<Vec<Value>> {
    match row {
        _ if arity == 1 => Some(vec![row.clone()]),
        Value::List(items) | Value::Struct(_, items) if items.len() == arity => Some(items.clone()),
        _ => None,
    }
}

/// The wire name of a node's status.
fn status_name(status: &FactStatus) -> &'static str {
    match status {
        FactStatus::Base => "base",
        FactStatus::Derived => "derived",
        FactStatus::Absent { .. } => "absent",
        FactStatus::NotHeld => "notHeld",
        FactStatus::Undefined => "undefined",
    }
}

/// Why the fact of a contest does not hold, naming the rules responsible.
fn absence_reason(contest: &Contest) -> String {
    let name = |i: usize| {
        contest
            .rules
            .get(i)
            .map_or_else(String::new, |r| match &r.label {
                Some(label) => format!("`{label}` ({})", r.rule),
                None => r.rule.clone(),
            })
    };
    let reasons: Vec<String> = contest
        .rules
        .iter()
        .filter(|r| r.conclusion == contest.pred)
        .filter_map(|r| {
            let (verb, by) = match &r.outcome {
                Outcome::Concluded => return None,
                Outcome::Defeated { by } => ("is defeated by", by),
                Outcome::Blocked { by } => ("conflicts with", by),
            };
            let by: Vec<String> = by.iter().map(|&i| name(i)).collect();
            Some(format!("{} {verb} {}", r.rule, by.join(", ")))
        })
        .collect();
    if contest.is_ambiguous() {
        format!("ambiguous: {}", reasons.join("; "))
    } else if reasons.is_empty() {
        "its strong negation holds".to_owned()
    } else {
        reasons.join("; ")
    }
}

/// `UNKNOWN_FACT` for a fact id that is not in the request's scope.
fn unknown_fact(fact_id: &str) -> RuntimeError {
    RuntimeError::new(
        ErrorCode::UnknownFact,
        format!("no fact `{fact_id}` in scope"),
    )
    .with_details(json!({ "factId": fact_id }))
}
