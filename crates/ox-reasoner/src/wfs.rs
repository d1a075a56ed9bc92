//! Well-founded semantics for rules that negate through recursion.
//!
//! A component of the dependency graph with a negation inside cannot be
//! stratified. Such components, and every predicate that depends on them
//! (the *group*), are evaluated with the alternating fixpoint of Van Gelder:
//! `Γ(I)` is the least fixpoint of the group's rules when every negation of
//! a group predicate is checked against the fixed interpretation `I`. From
//! the base facts `T₀`, `U₀ = Γ(T₀)` over-estimates what holds and
//! `T₁ = Γ(U₀)` under-estimates it; the under-estimates grow until they stop
//! changing. Then the facts of `T` are true, those of `U = Γ(T)` not in `T`
//! are undefined, and every other fact is false.
//!
//! To evaluate `Γ` with the ordinary engine, each negated group predicate
//! gets a *shadow* predicate (an id after the module's predicates) that the
//! rewritten rules negate instead; the shadow holds `I`. The rewritten
//! rules are stratifiable, and the group's strata come after every other
//! stratum (nothing outside the group depends on it).

use std::sync::Arc;

use ox_ir::analysis;
use ox_ir::{Literal, PredId, Rule};

use crate::exec::NO_SLOT;
use crate::store::{Found, Relation};
use crate::{EvalError, FactStore, FirstRound, Program, StratumRun};

/// The rules rewritten for the alternating fixpoint.
pub(crate) struct WfsRewrite {
    /// The rules, negations of group predicates inside the group replaced
    /// by negations of their shadows.
    pub rules: Vec<Rule>,
    /// Per predicate (module predicates, then shadows): whether it belongs
    /// to the group.
    pub in_group: Vec<bool>,
    /// `(predicate, shadow)` pairs; shadow ids follow the rules' predicates.
    pub shadows: Vec<(PredId, PredId)>,
}

/// Finds the components with a negation inside, closes them under
/// "depends on", and rewrites the group's negations to read shadows.
/// `pred_count` covers every predicate the rules mention.
pub(crate) fn rewrite(rules: &[Rule], pred_count: usize) -> WfsRewrite {
    let comp = analysis::components(rules, pred_count);
    let graph = analysis::DependencyGraph::from_rules(rules, pred_count);
    let n = graph.pred_count;
    let mut in_group = vec![false; n];
    for e in &graph.edges {
        // Plain negation only: recursion through an aggregate stays an error.
        if e.negative && !e.aggregate && comp[e.head.index()] == comp[e.body.index()] {
            in_group[e.head.index()] = true;
        }
    }
    // Whole components, then everything depending on them.
    let bad: Vec<usize> = (0..n).filter(|&p| in_group[p]).map(|p| comp[p]).collect();
    for p in 0..n {
        if bad.contains(&comp[p]) {
            in_group[p] = true;
        }
    }
    loop {
        let mut grew = false;
        for e in &graph.edges {
            if in_group[e.body.index()] && !in_group[e.head.index()] {
                in_group[e.head.index()] = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let mut shadow_of: Vec<Option<PredId>> = vec![None; n];
    let mut shadows = Vec::new();
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        let mut rule = rule.clone();
        if in_group[rule.head.pred.index()] {
            for literal in &mut rule.body {
                let Literal::Neg(atom) = literal else {
                    continue;
                };
                let p = atom.pred.index();
                if !in_group[p] {
                    continue;
                }
                let shadow = *shadow_of[p].get_or_insert_with(|| {
                    let id = PredId((n + shadows.len()) as u32);
                    shadows.push((atom.pred, id));
                    id
                });
                atom.pred = shadow;
            }
        }
        out.push(rule);
    }
    in_group.resize(n + shadows.len(), false);
    WfsRewrite {
        rules: out,
        in_group,
        shadows,
    }
}

impl Program {
    /// The predicate a shadow stands for (any other predicate: itself).
    pub(crate) fn unshadow(&self, pred: PredId) -> PredId {
        self.shadows
            .iter()
            .find(|(_, shadow)| *shadow == pred)
            .map_or(pred, |(p, _)| *p)
    }

    /// Whether stratum `s` belongs to the well-founded group.
    pub(crate) fn in_wfs_group(&self, s: usize) -> bool {
        self.wfs_strata.get(s).copied().unwrap_or(false)
    }

    /// Evaluates the well-founded group (if any) by the alternating
    /// fixpoint, over the group's predicates as they are in `store` (their
    /// base facts). Afterwards the group's relations hold the true facts,
    /// the shadows the over-estimate, and `store.undefined` the facts that
    /// are neither true nor false. Every strata below must be evaluated.
    pub(crate) fn eval_wfs(
        &self,
        store: &mut FactStore,
        run: &mut StratumRun<'_>,
    ) -> Result<(), EvalError> {
        store.undefined.clear();
        let group: Vec<usize> = (0..self.strata.strata.len())
            .filter(|&s| self.in_wfs_group(s))
            .collect();
        if group.is_empty() {
            return Ok(());
        }
        let preds: Vec<usize> = group
            .iter()
            .flat_map(|&s| self.strata.strata[s].preds.iter().map(|p| p.index()))
            .collect();
        let init: Vec<Arc<Relation>> = preds.iter().map(|&p| store.rels[p].clone()).collect();
        let sizes = |store: &FactStore| -> Vec<u32> {
            preds.iter().map(|&p| store.rels[p].len()).collect()
        };
        // The under-estimate starts at the base facts.
        self.copy_to_shadows(store);
        let mut under = sizes(store);
        loop {
            run.budget.check()?;
            self.gamma(store, &group, &preds, &init, run)?;
            let over: Vec<Arc<Relation>> = preds.iter().map(|&p| store.rels[p].clone()).collect();
            self.copy_to_shadows(store);
            self.gamma(store, &group, &preds, &init, run)?;
            let now = sizes(store);
            // Under-estimates only grow: equal sizes mean equal sets.
            if now == under {
                self.record_undefined(store, &preds, &over);
                return Ok(());
            }
            under = now;
            self.copy_to_shadows(store);
        }
    }

    /// `Γ(I)`: the group's relations reset to `init`, then its strata
    /// evaluated in order with negations reading the shadows (`I`).
    fn gamma(
        &self,
        store: &mut FactStore,
        group: &[usize],
        preds: &[usize],
        init: &[Arc<Relation>],
        run: &mut StratumRun<'_>,
    ) -> Result<(), EvalError> {
        for (&p, rel) in preds.iter().zip(init) {
            store.rels[p] = rel.clone();
        }
        for &s in group {
            self.eval_stratum(store, s, FirstRound::Naive, run)?;
        }
        for p in preds {
            run.slot_of[*p] = NO_SLOT;
        }
        Ok(())
    }

    /// Sets every shadow to the current relation of its predicate: the
    /// same relation, shared, unless it records witnesses (a shadow needs
    /// none).
    fn copy_to_shadows(&self, store: &mut FactStore) {
        for &(pred, shadow) in &self.shadows {
            let current = &store.rels[pred.index()];
            store.rels[shadow.index()] = if current.witnesses.is_none() {
                Arc::clone(current)
            } else {
                let mut copy = Relation::clone(current);
                copy.witnesses = None;
                Arc::new(copy)
            };
        }
    }

    /// The facts of the over-estimate that are not true are undefined.
    fn record_undefined(&self, store: &mut FactStore, preds: &[usize], over: &[Arc<Relation>]) {
        let mut undefined = Vec::new();
        for (&p, over) in preds.iter().zip(over) {
            let truth = &store.rels[p];
            let mut rel = Relation::new();
            if let Some(arity) = truth.arity() {
                // A fresh relation takes any arity.
                let _ = rel.set_arity(arity);
            }
            for r in (0..over.len()).filter(|&r| over.is_live(r)) {
                let row = over.row(r);
                if truth.find(row) == Found::Absent {
                    rel.insert(row);
                }
            }
            if rel.len() > 0 {
                undefined.push((p, rel));
            }
        }
        store.undefined = undefined;
    }
}
