//! Datalog evaluation of Argon rules.
//!
//! A [`Program`] is compiled once per [`Module`]: it checks that every rule
//! can be evaluated (range restriction, supported expressions, stratified
//! negation — the "evaluability gate" of `ox build` / `ox check`) and builds a
//! join plan per rule. [`Program::evaluate`] then computes the least fixpoint
//! of the rules over a [`FactStore`] of base facts, stratum by stratum,
//! semi-naively within a stratum; [`Program::solve`] answers a conjunctive
//! body (a query's `from`/`where`) against a fixpoint.
//!
//! # Engine
//!
//! - Values are dictionary-encoded: a tuple is a row of `u32` ids, and each
//!   predicate's rows sit in one flat, append-only vector with a hash set for
//!   deduplication (for up to two columns, an open-addressing set of exact
//!   64-bit keys). Derived tuples are deduplicated in batches, so the hash
//!   probes' cache misses overlap instead of stalling the join one by one.
//! - Joins use hash indexes keyed by the columns a plan has bound, built
//!   lazily and extended incrementally as rows are appended. Every atom
//!   after the first of a plan is an index lookup (or a membership test when
//!   all its columns are bound) unless it shares no variable with what came
//!   before it.
//! - Semi-naive evaluation: because rows are append-only, the tuples a
//!   recursive predicate gained in the last iteration are a row range. A rule
//!   with k atoms over predicates of its own stratum is evaluated k times per
//!   iteration: variant m reads the delta at its m-th recursive atom, the
//!   old tuples (before the delta) at recursive atoms before m, and all
//!   tuples at those after m, so no derivation from old tuples alone is
//!   recomputed.
//! - Comparisons, bindings and negations run as soon as their variables are
//!   bound; negation reads the complete relation of a lower stratum.
//! - Results are deterministic: the fixpoint is a set, and everything that
//!   leaves the crate is sorted by [`Value`]'s order.
//! - The deadline is checked every 1024 rows visited and between iterations;
//!   a late evaluation returns [`EvalError::DeadlineExceeded`], never a
//!   partial result.
//!
//! # Semantics covered
//!
//! Least fixpoint and stratified negation; the well-founded semantics for
//! negation through recursion (alternating fixpoint: undefined facts are
//! kept apart, see [`FactStore::undefined`], and never answered);
//! strong negation and defeasible rules (lowered to negation over
//! auxiliary predicates, see the `defeasible` module;
//! [`Program::contradictions`]); rule-body aggregates (`count`, `sum`,
//! `min`, `max`, `avg` over a lower stratum, exact decimals);
//! provenance ([`EvalOptions::provenance`], [`Program::explain`], stable
//! [`fact_id`]s) and incremental maintenance ([`Program::update`]:
//! semi-naive insertion, delete-and-rederive). Standpoints are not
//! implemented yet. Decisions where the spec is silent:
//!
//! - Atoms match values structurally (`Int(3)` does not join with `Nat(3)`);
//!   comparisons and bindings compare semantically (`3 == 3.0`) and follow
//!   [`Value`]'s exact arithmetic: overflow, division by zero or comparing
//!   incomparable kinds inside a rule is an [`EvalError::Value`].
//! - A binding `v = e` may appear anywhere in a body; it runs once `e`'s
//!   variables are bound, and tests equality when `v` is already bound.
//! - A witness has minimal height *within its stratum*: facts of lower
//!   strata count as leaves. Semi-naive order guarantees it: every
//!   derivation in round k reads at least one fact first derived in round
//!   k - 1 and none newer, so the first derivation of a fact is one of
//!   least height, and the first one staged is kept.
//! - Expressions in rules: constants, variables, unary and binary operators
//!   (arithmetic, comparison, `&&`/`||`, `in`/`not in` on list, set and map
//!   values), and the builtins `today()`, `now()` (from [`EvalContext`]),
//!   durations (`n.days` …), date parts and `len`.

mod budget;
mod closure;
mod defeasible;
mod exec;
mod freeing;
mod incremental;
mod narrow;
mod plan;
mod provenance;
mod store;
mod wfs;

// The integration tests' module builder names this crate by its name.
#[cfg(test)]
extern crate self as ox_reasoner;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use ox_ir::analysis::{self, RuleCheckError, Strata};
use ox_ir::{Literal, Module, PredId, Rule, RuleOrigin, Term, Value, ValueError, VarId};

use budget::Budget;
pub use defeasible::{Contest, Contradiction, Outcome, RuleStanding};
use exec::{may_fire, Exec, Pending, Sink, Staged, NO_SLOT, UNBOUND};
use plan::{Access, Plan, Src};
pub use provenance::{
    fact_id, AggregateWitness, Derivation, ExplainOptions, FactId, FactRef, FactStatus, ProofDag,
    ProofNode, AGGREGATE_WITNESS_CAP,
};
use provenance::{witness_layout, VarAt};
pub use store::FactStore;
use store::{Id, Index, Interner, Keys, Witnesses};

/// How [`Program::evaluate_with`] evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvalOptions {
    /// Record one witness (rule and bindings) per derived fact, for
    /// [`Program::explain`]. Costs time and memory; off by default. The
    /// fixpoint remembers the choice, and [`Program::update`] keeps recording.
    pub provenance: bool,
}

/// The time an evaluation runs at, and when it must give up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalContext {
    /// What `today()` returns.
    pub today: NaiveDate,
    /// What `now()` returns.
    pub now: DateTime<Utc>,
    /// After this instant, evaluation stops with [`EvalError::DeadlineExceeded`].
    pub deadline: Option<Instant>,
}

impl EvalContext {
    /// A context at `now` (today is its UTC date), without a deadline.
    pub fn at(now: DateTime<Utc>) -> EvalContext {
        EvalContext {
            today: now.date_naive(),
            now,
            deadline: None,
        }
    }

    /// The same context with a deadline.
    pub fn with_deadline(mut self, deadline: Instant) -> EvalContext {
        self.deadline = Some(deadline);
        self
    }
}

/// Why a module's rules cannot be evaluated. Raised by [`Program::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// The rule is not range-restricted (`OE1303`), or uses an expression
    /// kind rules cannot contain.
    #[error("{rule}: {}", describe_rule_error(error, var_name.as_deref()))]
    Rule {
        rule_index: usize,
        origin: RuleOrigin,
        /// Human description of the rule, e.g. ``derive `path` clause 1 (rule 4)``.
        rule: String,
        error: RuleCheckError,
        /// The source name of the offending variable, when known.
        var_name: Option<String>,
    },
    /// The rule reads a predicate that depends on the rule's own head
    /// through an aggregate (negation through recursion is evaluated under
    /// the well-founded semantics instead).
    #[error(
        "{rule}: recursion through an aggregate: {}",
        render_cycle(cycle_names)
    )]
    NotStratifiable {
        rule_index: usize,
        origin: RuleOrigin,
        rule: String,
        /// See [`analysis::StratificationError::cycle`].
        cycle: Vec<PredId>,
        /// The predicates' names, in the same order.
        cycle_names: Vec<String>,
    },
    /// The rule is structurally invalid IR: an unknown predicate, a
    /// predicate used with different numbers of arguments, more than 64
    /// arguments.
    #[error("{rule}: {reason}")]
    Malformed {
        rule_index: usize,
        origin: RuleOrigin,
        rule: String,
        reason: String,
    },
}

impl ProgramError {
    /// Index of the offending rule in [`Module::rules`].
    pub fn rule_index(&self) -> usize {
        match self {
            ProgramError::Rule { rule_index, .. }
            | ProgramError::NotStratifiable { rule_index, .. }
            | ProgramError::Malformed { rule_index, .. } => *rule_index,
        }
    }

    /// Where the offending rule came from.
    pub fn origin(&self) -> &RuleOrigin {
        match self {
            ProgramError::Rule { origin, .. }
            | ProgramError::NotStratifiable { origin, .. }
            | ProgramError::Malformed { origin, .. } => origin,
        }
    }
}

fn describe_rule_error(error: &RuleCheckError, var_name: Option<&str>) -> String {
    match (error, var_name) {
        (RuleCheckError::UnsafeVariable { position, .. }, Some(name)) => {
            format!("variable `{name}` in the {position} is not bound by a positive atom (not range-restricted)")
        }
        _ => error.to_string(),
    }
}

fn render_cycle(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [only] => format!("`{only}` aggregates over itself"),
        [head, negated, rest @ ..] => {
            let mut out = format!("`{head}` aggregates over `{negated}`");
            for name in rest {
                out.push_str(&format!(", which depends on `{name}`"));
            }
            out.push_str(&format!(", which depends on `{head}`"));
            out
        }
    }
}

/// Why an evaluation failed. No partial result is ever returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The [`EvalContext::deadline`] passed.
    #[error("evaluation exceeded its deadline")]
    DeadlineExceeded,
    /// A value operation inside a rule failed (overflow, division by zero,
    /// incomparable kinds …).
    #[error("{rule}: {error}")]
    Value { rule: String, error: ValueError },
    /// The input cannot be evaluated (a query body that is not
    /// range-restricted, facts whose arity contradicts the rules …).
    #[error("{0}")]
    Unsupported(String),
}

/// One rule, compiled.
#[derive(Debug, Clone)]
struct CompiledRule {
    head_pred: usize,
    head: Vec<Src>,
    var_count: usize,
    /// Reads every relation in full (non-recursive rules; first iteration).
    naive: Plan,
    /// One plan per atom over the rule's own stratum (semi-naive variants).
    deltas: Vec<Plan>,
    /// One plan per positive atom of any stratum, reading the delta there,
    /// old rows before it and all rows after it (incremental insertion).
    incremental: Vec<Plan>,
    /// Per positive atom: the rest of the body with that atom's variables
    /// bound (delete-and-rederive follows a deleted fact through it).
    seeded: Vec<Seeded>,
    /// The body with the head's variables bound (re-derivation checks).
    by_head: Plan,
    /// `by_head` reading its own stratum's relations as `Old` (support
    /// checks during deletion: premises must come before the fact).
    support: Plan,
    /// Witnesses: the variables the head does not determine (kept per
    /// derived fact), and where every variable's value is found (head
    /// column or one of `extras`).
    extras: Vec<u32>,
    layout: Vec<VarAt>,
}

/// A rule's body seeded by one of its positive atoms.
#[derive(Debug, Clone)]
struct Seeded {
    /// The atom's position in the body.
    at: usize,
    /// The atom's arguments (constants as slots of the constant table).
    args: Vec<Src>,
    /// The rest of the body, with the atom's variables bound.
    plan: Plan,
}

/// A module's rules compiled for evaluation: immutable, `Send + Sync`,
/// built once per module and shared by every evaluation.
#[derive(Debug, Clone)]
pub struct Program {
    pred_count: usize,
    /// The module's predicates and the shadows of the well-founded group.
    total_preds: usize,
    /// Per stratum: whether it belongs to the well-founded group.
    wfs_strata: Vec<bool>,
    /// Per stratum: the transitive closure it computes, if that is all it
    /// does (deletions are then followed by reachability, see `closure`).
    closures: Vec<Option<closure::Closure>>,
    /// `(predicate, shadow)` pairs of the well-founded group.
    shadows: Vec<(PredId, PredId)>,
    /// Arity of every predicate some rule mentions.
    arity: Vec<Option<usize>>,
    strata: Strata,
    rules: Vec<CompiledRule>,
    /// Constants of all plans (`Src::Const` indexes this).
    consts: Vec<Value>,
    /// Per rule, its description for messages.
    labels: Vec<String>,
    /// The rules as evaluated: as given, except for the lowering of
    /// defeasible families and negations inside the well-founded group
    /// reading shadows (explanations re-match their bodies).
    source: Vec<Rule>,
    /// Per evaluated rule, the index of the module rule it stands for.
    rule_source: Vec<usize>,
    /// `(predicate, strong negation)` pairs.
    complements: Vec<(PredId, PredId)>,
    /// The lowered defeasible families (to explain conflicts).
    families: Vec<defeasible::FamilyPreds>,
    /// Per predicate (auxiliary and shadow ones included), its path (fact
    /// ids hash it) and name.
    pred_paths: Vec<String>,
    pred_names: Vec<String>,
}

impl Program {
    /// Compiles `module.rules`: checks range restriction and supported
    /// expressions, stratifies negation (components with negation through
    /// recursion, and what depends on them, are evaluated under the
    /// well-founded semantics), and builds the join plans. The
    /// error names the first offending rule (by index and [`RuleOrigin`]).
    // The error is built at most once per module; its size does not matter.
    #[allow(clippy::result_large_err)]
    pub fn new(module: &Module) -> Result<Program, ProgramError> {
        let rules = &module.rules;
        let pred_count = module.predicates.len();
        let labels: Vec<String> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| rule_label(module, i, r))
            .collect();
        let pred_name = |p: PredId| {
            module
                .predicates
                .get(p.index())
                .map_or_else(|| format!("#{}", p.0), |p| p.name.clone())
        };

        // Structure: known predicates, consistent arities.
        let mut arity: Vec<Option<usize>> = vec![None; pred_count];
        for (i, rule) in rules.iter().enumerate() {
            let malformed = |reason: String| ProgramError::Malformed {
                rule_index: i,
                origin: rule.origin.clone(),
                rule: labels[i].clone(),
                reason,
            };
            let atoms = std::iter::once(&rule.head)
                .chain(body_atoms(&rule.body).into_iter().map(|(a, _)| a));
            for atom in atoms {
                let Some(slot) = arity.get_mut(atom.pred.index()) else {
                    return Err(malformed(format!(
                        "predicate #{} does not exist (the module has {pred_count})",
                        atom.pred.0
                    )));
                };
                let n = atom.args.len();
                if n > 64 {
                    return Err(malformed(format!(
                        "`{}` has {n} arguments; at most 64 are supported",
                        pred_name(atom.pred)
                    )));
                }
                match *slot {
                    None => *slot = Some(n),
                    Some(a) if a != n => {
                        return Err(malformed(format!(
                            "`{}` is used with {a} and with {n} arguments",
                            pred_name(atom.pred)
                        )))
                    }
                    Some(_) => {}
                }
            }
        }

        // Range restriction and expression kinds.
        for (i, rule) in rules.iter().enumerate() {
            analysis::check_range_restriction(rule).map_err(|error| ProgramError::Rule {
                rule_index: i,
                origin: rule.origin.clone(),
                rule: labels[i].clone(),
                var_name: error
                    .var()
                    .and_then(|v| rule.var_names.get(v.0 as usize).cloned()),
                error,
            })?;
        }

        // Strong negation and defeasibility: ordinary rules over auxiliary predicates.
        let lowered = defeasible::lower(module, &labels).map_err(|e| ProgramError::Malformed {
            rule_index: e.rule_index,
            origin: rules[e.rule_index].origin.clone(),
            rule: labels[e.rule_index].clone(),
            reason: e.reason,
        })?;
        let rule_source = lowered.source;
        let families = lowered.families;
        let module_labels = labels;
        let labels = lowered.labels;
        let mut pred_paths: Vec<String> =
            module.predicates.iter().map(|p| p.path.clone()).collect();
        let mut pred_names: Vec<String> =
            module.predicates.iter().map(|p| p.name.clone()).collect();
        for aux in &lowered.aux {
            arity.push(Some(aux.arity));
            pred_paths.push(aux.path.clone());
            pred_names.push(aux.name.clone());
        }

        // Negation through recursion: the well-founded group reads shadows.
        let wfs::WfsRewrite {
            rules: rewritten,
            in_group,
            shadows,
        } = wfs::rewrite(&lowered.rules, arity.len());
        let rules = &rewritten;
        let total_preds = arity.len() + shadows.len();
        for &(pred, _) in &shadows {
            arity.push(arity[pred.index()]);
            pred_paths.push(pred_paths[pred.index()].clone());
            pred_names.push(pred_names[pred.index()].clone());
        }
        let source_of = |i: usize| rule_source.get(i).copied().unwrap_or(i);

        // Stratification.
        let strata =
            analysis::stratify(rules, total_preds).map_err(|e| ProgramError::NotStratifiable {
                rule_index: source_of(e.rule_index),
                origin: rules[e.rule_index].origin.clone(),
                rule: module_labels[source_of(e.rule_index)].clone(),
                cycle_names: e.cycle.iter().map(|p| pred_name(*p)).collect(),
                cycle: e.cycle,
            })?;

        // Join plans.
        let mut consts = Vec::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let var_count = rule.var_count as usize;
            let stratum = strata.stratum_of[rule.head.pred.index()];
            let recursive_at = |k: usize| match &rule.body[k] {
                Literal::Pos(a) => strata.stratum_of[a.pred.index()] == stratum,
                _ => false,
            };
            let unplannable = |k: usize| ProgramError::Malformed {
                rule_index: source_of(i),
                origin: rule.origin.clone(),
                rule: labels[i].clone(),
                reason: format!("literal {k} cannot be scheduled"),
            };
            let naive = plan::plan(
                &rule.body,
                &mut vec![false; var_count],
                None,
                |_| Access::Full,
                &mut consts,
            )
            .map_err(unplannable)?;
            let mut deltas = Vec::new();
            for j in (0..rule.body.len()).filter(|&j| recursive_at(j)) {
                let access = |k: usize| match (recursive_at(k), k.cmp(&j)) {
                    (false, _) => Access::Full,
                    (true, std::cmp::Ordering::Less) => Access::Old,
                    (true, std::cmp::Ordering::Equal) => Access::Delta,
                    (true, std::cmp::Ordering::Greater) => Access::Full,
                };
                let p = plan::plan(
                    &rule.body,
                    &mut vec![false; var_count],
                    Some(j),
                    access,
                    &mut consts,
                )
                .map_err(unplannable)?;
                deltas.push(p);
            }
            let positive: Vec<usize> = (0..rule.body.len())
                .filter(|&k| matches!(rule.body[k], Literal::Pos(_)))
                .collect();
            let mut incremental = Vec::new();
            let mut seeded = Vec::new();
            for &j in &positive {
                let access = |k: usize| match k.cmp(&j) {
                    std::cmp::Ordering::Less => Access::Old,
                    std::cmp::Ordering::Equal => Access::Delta,
                    std::cmp::Ordering::Greater => Access::Full,
                };
                incremental.push(
                    plan::plan(
                        &rule.body,
                        &mut vec![false; var_count],
                        Some(j),
                        access,
                        &mut consts,
                    )
                    .map_err(unplannable)?,
                );
                let mut bound = vec![false; var_count];
                if let Literal::Pos(atom) = &rule.body[j] {
                    mark_vars(&atom.args, &mut bound);
                }
                let rest: Vec<Literal> = rule
                    .body
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != j)
                    .map(|(_, l)| l.clone())
                    .collect();
                let Literal::Pos(atom) = &rule.body[j] else {
                    continue;
                };
                seeded.push(Seeded {
                    at: j,
                    args: atom_sources(&atom.args, &mut consts),
                    plan: plan::plan(&rest, &mut bound, None, |_| Access::Full, &mut consts)
                        .map_err(unplannable)?,
                });
            }
            let mut bound = vec![false; var_count];
            mark_vars(&rule.head.args, &mut bound);
            // Checks with the head bound read the other strata first (ties
            // go in body order): the own relation is the large one, probed last.
            let mut order: Vec<usize> = (0..rule.body.len()).collect();
            order.sort_by_key(|&k| recursive_at(k));
            let reordered: Vec<Literal> = order.iter().map(|&k| rule.body[k].clone()).collect();
            let by_head = plan::plan_check(
                &reordered,
                &mut bound.clone(),
                |_| Access::Full,
                &mut consts,
                |k| recursive_at(order[k]),
            )
            .map_err(unplannable)?;
            let support = plan::plan_check(
                &reordered,
                &mut bound,
                |k| {
                    if recursive_at(order[k]) {
                        Access::Old
                    } else {
                        Access::Full
                    }
                },
                &mut consts,
                |k| recursive_at(order[k]),
            )
            .map_err(unplannable)?;
            let head = atom_sources(&rule.head.args, &mut consts);
            let (extras, layout) = witness_layout(&head, var_count);
            compiled.push(CompiledRule {
                head_pred: rule.head.pred.index(),
                head,
                var_count,
                naive,
                deltas,
                incremental,
                seeded,
                by_head,
                support,
                extras,
                layout,
            });
        }

        let wfs_strata: Vec<bool> = strata
            .strata
            .iter()
            .map(|st| st.preds.iter().any(|p| in_group[p.index()]))
            .collect();
        let closures = strata
            .strata
            .iter()
            .enumerate()
            .map(|(s, stratum)| closure::recognise(stratum, rules).filter(|_| !wfs_strata[s]))
            .collect();
        Ok(Program {
            pred_count,
            total_preds,
            wfs_strata,
            closures,
            shadows,
            arity,
            strata,
            rules: compiled,
            consts,
            labels,
            source: rules.clone(),
            rule_source,
            complements: defeasible::complements(module),
            families,
            pred_paths,
            pred_names,
        })
    }

    /// Number of predicates of the module.
    pub fn pred_count(&self) -> usize {
        self.pred_count
    }

    /// The strata, lower first (for diagnostics and explanations).
    pub fn strata(&self) -> &Strata {
        &self.strata
    }

    /// The least fixpoint of the rules over `base`: strata in order,
    /// semi-naive within each stratum. The result holds the base facts and
    /// every derived fact.
    ///
    /// Errors: [`EvalError::DeadlineExceeded`] when the deadline passes
    /// (checked before starting, between iterations and every 1024 rows
    /// visited); [`EvalError::Value`] when a rule's arithmetic or comparison
    /// fails; [`EvalError::Unsupported`] when a base predicate's facts have
    /// a different arity than the rules use.
    pub fn evaluate(&self, store: FactStore, ctx: &EvalContext) -> Result<FactStore, EvalError> {
        self.evaluate_with(store, ctx, EvalOptions::default())
    }

    /// [`Program::evaluate`] with options: with `provenance`, every derived
    /// fact keeps one witness of minimal height (see [`Program::explain`]).
    pub fn evaluate_with(
        &self,
        mut store: FactStore,
        ctx: &EvalContext,
        options: EvalOptions,
    ) -> Result<FactStore, EvalError> {
        match self.evaluate_in(&mut store, ctx, options) {
            Ok(()) => Ok(store),
            Err(e) => {
                // Stopped: the caller gets the error now, not after the
                // store it handed over is freed.
                freeing::free(store);
                Err(e)
            }
        }
    }

    /// [`Program::evaluate_with`]'s work, on `store` in place.
    fn evaluate_in(
        &self,
        store: &mut FactStore,
        ctx: &EvalContext,
        options: EvalOptions,
    ) -> Result<(), EvalError> {
        let mut budget = Budget::new(ctx.deadline);
        budget.check()?;
        let const_ids = self.prepare(store, options.provenance)?;
        let mut delta_start = vec![0u32; store.rels.len()];
        let mut slot_of = vec![NO_SLOT; store.rels.len()];
        let mut state = StratumRun {
            const_ids: &const_ids,
            delta_start: &mut delta_start,
            slot_of: &mut slot_of,
            budget: &mut budget,
            ctx,
        };
        for s in 0..self.strata.strata.len() {
            if !self.in_wfs_group(s) {
                self.eval_stratum(store, s, FirstRound::Naive, &mut state)?;
            }
        }
        self.eval_wfs(store, &mut state)?;
        store.settle();
        Ok(())
    }

    /// Sizes the store for the program, fixes the rules' arities, sets up
    /// witness recording, and interns the constants of all plans.
    fn prepare(&self, store: &mut FactStore, provenance: bool) -> Result<Vec<Id>, EvalError> {
        store.grow(self.total_preds);
        for (p, arity) in self.arity.iter().enumerate() {
            // A relation that has its arity already is left alone (and
            // shared, if it is).
            if let Some(a) = arity.filter(|&a| store.rels[p].arity() != Some(a)) {
                store.rel_mut(p).set_arity(a).map_err(|actual| {
                    EvalError::Unsupported(format!(
                        "predicate #{p} has facts with {actual} values but its rules use {a}"
                    ))
                })?;
            }
        }
        if provenance {
            for p in 0..store.rels.len() {
                if store.rels[p].witnesses.is_none() {
                    store.rel_mut(p).witnesses = Some(Witnesses::default());
                }
            }
        }
        store.dict_changed();
        Ok(self
            .consts
            .iter()
            .map(|v| store.dict.intern(v.clone()).0)
            .collect())
    }

    /// Ids kept per derived fact of `pred` as its witness: the most
    /// variables a rule for `pred` leaves out of its head.
    fn witness_stride(&self, pred: usize) -> usize {
        self.rules
            .iter()
            .filter(|rule| rule.head_pred == pred)
            .map(|rule| rule.extras.len())
            .max()
            .unwrap_or(0)
    }

    /// Evaluates stratum `s` to its fixpoint. The first round runs either
    /// the naive plans (every relation in full) or the incremental plans
    /// (reading rows from `delta_start` on as new); later rounds run the
    /// semi-naive variants of the recursive atoms.
    fn eval_stratum(
        &self,
        store: &mut FactStore,
        s: usize,
        first_round: FirstRound,
        run: &mut StratumRun<'_>,
    ) -> Result<(), EvalError> {
        let stratum = &self.strata.strata[s];
        run.budget.check()?;
        for (slot, p) in stratum.preds.iter().enumerate() {
            run.slot_of[p.index()] = slot as u32;
        }
        let record = stratum
            .preds
            .first()
            .is_some_and(|p| store.rels[p.index()].witnesses.is_some());
        let mut staged: Vec<Staged> = stratum
            .preds
            .iter()
            .map(|p| Staged {
                stride: self.witness_stride(p.index()),
                ..Staged::default()
            })
            .collect();
        let first: Vec<(usize, &Plan)> = match first_round {
            FirstRound::Naive => stratum
                .rules
                .iter()
                .map(|&r| (r, &self.rules[r].naive))
                .collect(),
            FirstRound::Incremental => stratum
                .rules
                .iter()
                .flat_map(|&r| self.rules[r].incremental.iter().map(move |p| (r, p)))
                .collect(),
        };
        let mut round = Round {
            preds: &stratum.preds,
            slot_of: run.slot_of,
            const_ids: run.const_ids,
            ctx: run.ctx,
            record,
            narrow: first_round == FirstRound::Incremental,
        };
        self.run_round(
            store,
            &round,
            &first,
            &mut staged,
            run.delta_start,
            run.budget,
        )
        .map_err(|e| stopped(std::mem::take(&mut staged), e))?;
        let mut changed = commit(store, &stratum.preds, &mut staged, run.delta_start);
        // Later rounds may probe the same columns again: full indexes.
        round.narrow = false;
        if stratum.recursive {
            let variants: Vec<(usize, &Plan)> = stratum
                .rules
                .iter()
                .flat_map(|&r| self.rules[r].deltas.iter().map(move |p| (r, p)))
                .collect();
            while changed {
                run.budget.check()?;
                self.run_round(
                    store,
                    &round,
                    &variants,
                    &mut staged,
                    run.delta_start,
                    run.budget,
                )
                .map_err(|e| stopped(std::mem::take(&mut staged), e))?;
                changed = commit(store, &stratum.preds, &mut staged, run.delta_start);
            }
        }
        for p in &stratum.preds {
            run.slot_of[p.index()] = NO_SLOT;
        }
        Ok(())
    }

    /// Runs `jobs` (rule index, plan) against the relations as they are,
    /// staging new head tuples; the relations change only in [`commit`].
    fn run_round(
        &self,
        store: &mut FactStore,
        round: &Round<'_>,
        jobs: &[(usize, &Plan)],
        staged: &mut [Staged],
        delta_start: &[u32],
        budget: &mut Budget,
    ) -> Result<(), EvalError> {
        let live: Vec<(usize, &Plan)> = jobs
            .iter()
            .copied()
            .filter(|(_, plan)| may_fire(plan, &store.rels, delta_start))
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        let narrowed = if round.narrow {
            let plans: Vec<&Plan> = live.iter().map(|&(_, plan)| plan).collect();
            let narrowed = narrow::narrowed_indexes(
                &plans,
                &store.rels,
                delta_start,
                round.const_ids,
                budget,
            )?;
            for &(pred, mask) in &narrowed.scanned {
                store.rel_mut(pred).count_narrowed_scan(mask);
            }
            narrowed.indexes
        } else {
            Vec::new()
        };
        let mut indexes: Vec<Vec<Arc<Index>>> = Vec::with_capacity(live.len());
        for (i, (_, plan)) in live.iter().enumerate() {
            let mut of_plan = Vec::with_capacity(plan.needs.len());
            for (slot, &(pred, mask)) in plan.needs.iter().enumerate() {
                of_plan.push(
                    match narrowed.get(i).and_then(|slots| slots[slot].clone()) {
                        Some(index) => index,
                        // A relation only this store holds is indexed without
                        // locking; one shared with other stores (this round
                        // does not change it) under its lock, for all of them,
                        // instead of being copied to hold an index of its own.
                        None => match Arc::get_mut(&mut store.rels[pred]) {
                            Some(rel) => rel.index_mut(mask, budget)?,
                            None => store.rels[pred].index_shared(mask, budget)?,
                        },
                    },
                );
            }
            indexes.push(of_plan);
        }
        // The round's key sets leave their relations so that heads are
        // deduplicated as they are derived (one hash probe per derivation).
        let mut keys: Vec<Keys> = round
            .preds
            .iter()
            .map(|p| std::mem::take(&mut store.rel_mut(p.index()).keys))
            .collect();
        let mut run_jobs = || -> Result<Vec<Value>, EvalError> {
            let mut interner = Interner::new(&store.dict);
            for ((r, plan), indexes) in live.iter().zip(&indexes) {
                let rule = &self.rules[*r];
                let slot = round.slot_of[rule.head_pred];
                debug_assert_ne!(slot, NO_SLOT, "a rule runs in its head's stratum");
                let mut exec = Exec {
                    steps: &plan.steps,
                    rels: &store.rels,
                    indexes,
                    consts: round.const_ids,
                    delta_start,
                    dict: &mut interner,
                    keys: &mut keys,
                    staged,
                    slot_of: round.slot_of,
                    env: vec![0; rule.var_count],
                    budget,
                    ctx: round.ctx,
                    label: &self.labels[*r],
                    sink: Sink::Head {
                        pred: rule.head_pred,
                        slot: slot as usize,
                        args: &rule.head,
                        extras: &rule.extras,
                    },
                    scratch: Vec::new(),
                    pending: Pending::default(),
                    witness: round.record.then_some(*r as u32),
                    skip: None,
                    cut: false,
                };
                exec.run(0)?;
                exec.flush()?;
            }
            Ok(interner.into_new_values())
        };
        let ran = run_jobs();
        // Back into their relations even when the round stopped: a stopped
        // evaluation frees a large store away from the caller, key sets too.
        for (p, k) in round.preds.iter().zip(keys) {
            store.rel_mut(p.index()).keys = k;
        }
        let new_values = ran?;
        drop(indexes);
        if !new_values.is_empty() {
            store.dict.absorb(new_values);
        }
        Ok(())
    }

    /// All satisfying assignments of a conjunctive `body` (a query's
    /// `from`/`where`) against `facts` (normally a fixpoint from
    /// [`Program::evaluate`]).
    ///
    /// `seed[i] = Some(v)` pre-binds `VarId(i)` (query parameters given by
    /// the caller); `seed` may be shorter than `var_count`. Each solution is
    /// one `Vec` of `var_count` values (variables the body never binds are
    /// [`Value::Null`]); solutions are deduplicated and sorted.
    ///
    /// The body is checked like a rule body (seeded variables count as
    /// bound); a body that is not range-restricted, uses an unsupported
    /// expression, or names an unknown predicate gives
    /// [`EvalError::Unsupported`].
    pub fn solve(
        &self,
        facts: &FactStore,
        body: &[Literal],
        var_count: u32,
        seed: &[Option<Value>],
        ctx: &EvalContext,
    ) -> Result<Vec<Vec<Value>>, EvalError> {
        let budget_start = Budget::new(ctx.deadline);
        budget_start.check()?;
        if seed.len() > var_count as usize {
            return Err(EvalError::Unsupported(format!(
                "{} parameter values given for a body with {var_count} variables",
                seed.len()
            )));
        }
        let seeded: Vec<VarId> = seed
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some())
            .map(|(i, _)| VarId(i as u32))
            .collect();
        analysis::check_body(body, var_count, &seeded)
            .map_err(|e| EvalError::Unsupported(format!("query body: {e}")))?;
        // Every atom must name a known predicate with the arity of its facts.
        for (atom, _) in body_atoms(body) {
            let Some(rel) = facts.rels.get(atom.pred.index()) else {
                return Err(EvalError::Unsupported(format!(
                    "query body: predicate #{} does not exist",
                    atom.pred.0
                )));
            };
            match rel.arity() {
                Some(a) if a != atom.args.len() => {
                    return Err(EvalError::Unsupported(format!(
                        "query body: predicate #{} has {a} arguments, not {}",
                        atom.pred.0,
                        atom.args.len()
                    )))
                }
                _ => {}
            }
        }
        // Only seeded variables are bound when the body starts.
        let mut bound = vec![false; var_count as usize];
        for v in &seeded {
            bound[v.0 as usize] = true;
        }
        let mut consts = Vec::new();
        let plan =
            plan::plan(body, &mut bound, None, |_| Access::Full, &mut consts).map_err(|k| {
                EvalError::Unsupported(format!("query body: literal {k} cannot be scheduled"))
            })?;
        if !may_fire(&plan, &facts.rels, &[]) {
            return Ok(Vec::new());
        }
        let indexes: Vec<Arc<Index>> = plan
            .needs
            .iter()
            .map(|&(pred, mask)| facts.rels[pred].index_shared(mask, &budget_start))
            .collect::<Result<_, _>>()?;

        let mut interner = Interner::new(&facts.dict);
        let const_ids: Vec<Id> = consts.into_iter().map(|v| interner.intern(v)).collect();
        let mut env = vec![UNBOUND; var_count as usize];
        for (i, value) in seed.iter().enumerate() {
            if let Some(value) = value {
                env[i] = interner.intern(value.clone());
            }
        }
        let mut rows: Vec<Vec<Id>> = Vec::new();
        let mut budget = budget_start;
        let mut exec = Exec {
            steps: &plan.steps,
            rels: &facts.rels,
            indexes: &indexes,
            consts: &const_ids,
            delta_start: &[],
            dict: &mut interner,
            keys: &mut [],
            staged: &mut [],
            slot_of: &[],
            env,
            budget: &mut budget,
            ctx,
            label: "query",
            sink: Sink::Rows { out: &mut rows },
            scratch: Vec::new(),
            pending: Pending::default(),
            witness: None,
            skip: None,
            cut: false,
        };
        exec.run(0)?;
        drop(exec);
        // Sorted by the values' ranks, the rows decode in value order; a
        // row holding a value the query made up, or an unbound variable,
        // has no rank, and the decoded rows are sorted instead.
        let ranks = facts
            .ranks_for(rows.len().saturating_mul(var_count as usize))
            .filter(|ranks| rows.iter().flatten().all(|&id| (id as usize) < ranks.len()));
        match ranks {
            Some(ranks) => rows.sort_unstable_by(|a, b| {
                let rank = |&id: &Id| ranks[id as usize];
                a.iter().map(rank).cmp(b.iter().map(rank))
            }),
            None => rows.sort_unstable(),
        }
        rows.dedup();
        let mut out: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|id| {
                        if id == UNBOUND {
                            Value::Null
                        } else {
                            interner.value(id).clone()
                        }
                    })
                    .collect()
            })
            .collect();
        // `not p(…)` over an undefined fact is undefined, not true.
        let undefined_negations: Vec<&ox_ir::Atom> = body
            .iter()
            .filter_map(|l| match l {
                Literal::Neg(a) if facts.undefined_rel(a.pred.index()).is_some() => Some(a),
                _ => None,
            })
            .collect();
        if !undefined_negations.is_empty() {
            out.retain(|row| {
                undefined_negations.iter().all(|atom| {
                    let tuple: Vec<Value> = atom
                        .args
                        .iter()
                        .map(|t| match t {
                            Term::Var(v) => row.get(v.0 as usize).cloned().unwrap_or(Value::Null),
                            Term::Const(c) => c.clone(),
                        })
                        .collect();
                    !facts.is_undefined(atom.pred, &tuple)
                })
            });
        }
        if ranks.is_none() {
            out.sort_unstable();
        }
        Ok(out)
    }
}

/// What every job of one evaluation round shares.
struct Round<'r> {
    preds: &'r [PredId],
    /// Per predicate, its position in `preds`, or `NO_SLOT`.
    slot_of: &'r [u32],
    const_ids: &'r [Id],
    ctx: &'r EvalContext,
    /// Whether witnesses are recorded.
    record: bool,
    /// Whether plans that start from a small delta may probe narrowed
    /// indexes (the first round of an update: see [`narrow`]).
    narrow: bool,
}

/// How the first round of a stratum reads its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstRound {
    /// Every relation in full (a stratum evaluated from scratch).
    Naive,
    /// Rows from `delta_start` on are new (continuing from a fixpoint).
    Incremental,
}

/// The evaluation state the strata share.
struct StratumRun<'r> {
    const_ids: &'r [Id],
    delta_start: &'r mut [u32],
    slot_of: &'r mut [u32],
    budget: &'r mut Budget,
    ctx: &'r EvalContext,
}

/// `error`, which stopped a stratum, after handing the tuples its round
/// had staged (millions, for a large one) to [`freeing`]: the caller gets
/// the error without waiting for them to be freed.
fn stopped(staged: Vec<Staged>, error: EvalError) -> EvalError {
    let ids: usize = staged.iter().map(|s| s.data.len() + s.kept.len()).sum();
    freeing::free_sized(staged, ids);
    error
}

/// Appends the staged tuples (already deduplicated against the key sets);
/// afterwards `delta_start[p]` is the first new row of each predicate `p`.
/// True when some predicate gained a tuple.
fn commit(
    store: &mut FactStore,
    preds: &[PredId],
    staged: &mut [Staged],
    delta_start: &mut [u32],
) -> bool {
    let mut changed = false;
    for (p, st) in preds.iter().zip(staged.iter_mut()) {
        let rel = store.rel_mut(p.index());
        delta_start[p.index()] = rel.len();
        let arity = rel.arity().unwrap_or(0);
        let len = rel.len();
        if let Some(witnesses) = rel.witnesses.as_mut() {
            witnesses.pad(len);
            witnesses.extend(&st.rules, st.stride, &st.kept);
        }
        for k in 0..st.count {
            rel.push_row(&st.data[k * arity..(k + 1) * arity]);
        }
        changed |= st.count > 0;
        st.data.clear();
        st.rules.clear();
        st.kept.clear();
        st.count = 0;
    }
    changed
}

/// Every atom of a body, aggregated bodies included, with whether it is
/// read positively in the body itself (`false`: negated or aggregated, so a
/// change to it cannot be propagated semi-naively).
fn body_atoms(body: &[Literal]) -> Vec<(&ox_ir::Atom, bool)> {
    let mut out = Vec::new();
    for literal in body {
        match literal {
            Literal::Pos(a) => out.push((a, true)),
            Literal::Neg(a) => out.push((a, false)),
            Literal::Aggregate { body, .. } => {
                out.extend(body_atoms(body).into_iter().map(|(a, _)| (a, false)))
            }
            Literal::Compare { .. } | Literal::Bind { .. } => {}
        }
    }
    out
}

/// Marks the variables among `args` as bound.
fn mark_vars(args: &[Term], bound: &mut [bool]) {
    for t in args {
        if let Term::Var(v) = t {
            if let Some(b) = bound.get_mut(v.0 as usize) {
                *b = true;
            }
        }
    }
}

/// An atom's arguments as variables and slots of the constant table.
fn atom_sources(args: &[Term], consts: &mut Vec<Value>) -> Vec<Src> {
    args.iter()
        .map(|t| match t {
            Term::Var(v) => Src::Var(v.0),
            Term::Const(c) => Src::Const(const_index(consts, c)),
        })
        .collect()
}

fn const_index(consts: &mut Vec<Value>, value: &Value) -> u32 {
    match consts.iter().position(|c| c == value) {
        Some(i) => i as u32,
        None => {
            consts.push(value.clone());
            (consts.len() - 1) as u32
        }
    }
}

/// ``derive `path` clause 1 (rule 4)``, ``refinement of `Adult` (rule 7)`` …
fn rule_label(module: &Module, index: usize, rule: &Rule) -> String {
    let concept = |c: ox_ir::ConceptId| {
        module
            .concepts
            .get(c.index())
            .map_or_else(|| format!("#{}", c.0), |c| c.name.clone())
    };
    let what = match &rule.origin {
        RuleOrigin::Derive { name, clause } => format!("derive `{name}` clause {clause}"),
        RuleOrigin::Refinement(c) => format!("refinement of `{}`", concept(*c)),
        RuleOrigin::Specialisation { sub, sup } => {
            format!("specialisation `{}` <: `{}`", concept(*sub), concept(*sup))
        }
        RuleOrigin::RelationSpecialisation { sub, sup } => {
            let relation = |r: ox_ir::RelationId| {
                module
                    .relations
                    .get(r.index())
                    .map_or_else(|| format!("#{}", r.0), |r| r.name.clone())
            };
            format!(
                "specialisation `{}` <: `{}`",
                relation(*sub),
                relation(*sup)
            )
        }
        RuleOrigin::Check(c) => format!(
            "check `{}`",
            module
                .checks
                .get(c.index())
                .map_or_else(|| format!("#{}", c.0), |c| c.name.clone())
        ),
    };
    format!("{what} (rule {index})")
}

#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Program>();
        assert_send_sync::<FactStore>();
        assert_send_sync::<EvalError>();
        assert_send_sync::<ProgramError>();
    }

    #[test]
    fn cycle_rendering() {
        assert_eq!(render_cycle(&["p".into()]), "`p` aggregates over itself");
        assert_eq!(
            render_cycle(&["c".into(), "a".into(), "b".into()]),
            "`c` aggregates over `a`, which depends on `b`, which depends on `c`"
        );
    }

    /// An update copies the relations it changes and shares the others with
    /// the previous fixpoint, so a write to a large store costs in
    /// proportion to what it touches.
    #[test]
    fn an_update_shares_the_relations_it_does_not_change() {
        let mut m = ModuleBuilder::new();
        let edge = m.pred("edge", 2);
        let path = m.pred("path", 2);
        let label = m.pred("label", 2);
        let named = m.pred("named", 1);
        m.rule(
            atom(path, vec![v(0), v(1)]),
            vec![pos(edge, vec![v(0), v(1)])],
        );
        m.rule(
            atom(path, vec![v(0), v(2)]),
            vec![pos(path, vec![v(0), v(1)]), pos(edge, vec![v(1), v(2)])],
        );
        m.rule(atom(named, vec![v(0)]), vec![pos(label, vec![v(0), v(1)])]);
        let module = m.build();
        let program = Program::new(&module).expect("valid rules");
        let mut base = FactStore::new(module.predicates.len());
        insert_pairs(
            &mut base,
            edge,
            &(0..50).map(|i| (i, i + 1)).collect::<Vec<_>>(),
        );
        insert_pairs(
            &mut base,
            label,
            &(0..5000).map(|i| (i, i % 7)).collect::<Vec<_>>(),
        );
        let previous = program.evaluate(base, &ctx()).expect("evaluates");
        let shared = |a: &FactStore, b: &FactStore, p: PredId| {
            Arc::ptr_eq(&a.rels[p.index()], &b.rels[p.index()])
        };

        let added = program
            .update(&previous, &[(label, ints(&[9000, 1]))], &[], &ctx())
            .expect("updates");
        assert!(shared(&previous, &added, edge) && shared(&previous, &added, path));
        assert!(!shared(&previous, &added, label) && !shared(&previous, &added, named));
        assert_eq!(added.len(named), 5001);
        assert_eq!(
            previous.len(named),
            5000,
            "the previous fixpoint is unchanged"
        );

        let cut = program
            .update(&added, &[], &[(edge, ints(&[25, 26]))], &ctx())
            .expect("updates");
        assert!(shared(&added, &cut, label) && shared(&added, &cut, named));
        assert!(!shared(&added, &cut, path));
        // Chains of 26 and 25 nodes remain.
        assert_eq!(cut.len(path), 25 * 26 / 2 + 24 * 25 / 2);
        assert_eq!(added.len(path), 50 * 51 / 2);
    }

    /// A support check that finds a premise in a relation no deletion can
    /// reach needs no row number for it, so that relation's rows are not
    /// recorded (recording walks the whole relation; relations this large
    /// do not record them from the start).
    #[test]
    fn support_checks_record_rows_only_where_rows_may_go() {
        let mut m = ModuleBuilder::new();
        let asserted = m.pred("asserted", 2);
        let inferred = m.pred("inferred", 2);
        let typed = m.pred("typed", 2);
        m.rule(
            atom(typed, vec![v(0), v(1)]),
            vec![pos(asserted, vec![v(0), v(1)])],
        );
        m.rule(
            atom(typed, vec![v(0), v(1)]),
            vec![pos(inferred, vec![v(0), v(1)])],
        );
        let module = m.build();
        let program = Program::new(&module).expect("valid rules");
        let mut base = FactStore::new(module.predicates.len());
        let pairs: Vec<(i64, i64)> = (0..i64::from(store::KEYS_PAST_ROWS_FROM_START))
            .map(|i| (i, i % 3))
            .collect();
        insert_pairs(&mut base, asserted, &pairs);
        insert_pairs(&mut base, inferred, &pairs);
        let previous = program.evaluate(base, &ctx()).expect("evaluates");
        let tracks = |store: &FactStore, p: PredId| match &store.rels[p.index()].keys {
            store::Keys::Small(set) => set.records_every_row(),
            store::Keys::Wide(_) => true,
        };
        assert!(!tracks(&previous, asserted) && !tracks(&previous, inferred));

        let updated = program
            .update_owned(previous, &[], &[(inferred, ints(&[7, 1]))], &ctx())
            .expect("updates");
        assert!(updated.contains(typed, &ints(&[7, 1])), "still asserted");
        assert!(!updated.contains(inferred, &ints(&[7, 1])));
        assert!(tracks(&updated, typed) && tracks(&updated, inferred));
        assert!(
            !tracks(&updated, asserted),
            "nothing deleted reaches `asserted`: its rows are not needed"
        );
    }
}
