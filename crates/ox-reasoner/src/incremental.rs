//! Incremental maintenance: bringing a fixpoint up to date after base facts
//! were inserted and deleted, without evaluating from scratch.
//!
//! - Deletions use delete-and-rederive: every derived fact with a
//!   derivation through a deleted fact is removed (over-deletion, against
//!   the previous fixpoint), then each removed fact that still has a
//!   derivation from the remaining facts is put back. In a stratum of one
//!   predicate, over-deletion stops at facts that still have a derivation
//!   from earlier rows not being deleted (why row order makes this sound is
//!   argued at the over-deletion loop); checks for a derivation stop at the
//!   first one found, which becomes the fact's witness when provenance is
//!   recorded (a derivation that computes a new value is not taken: the
//!   fact is over-deleted and re-derived instead). A fact reached from an
//!   over-deleted fact of its own predicate at a later row is not checked
//!   at all: the derivations a check accepts never read that row. A fact
//!   whose check found nothing without passing over a premise of a later
//!   row is not checked again for re-derivation: the check saw every
//!   derivation but those through facts put back or inserted, which the
//!   semi-naive continuation finds.
//! - Insertions, and the facts put back, continue semi-naive evaluation:
//!   the first round of an affected stratum reads the rows added since the
//!   previous fixpoint as the delta.
//! - A stratum that negates a changed predicate is recomputed from its
//!   updated inputs; so is a stratum that lost more than a quarter of its
//!   facts to over-deletion, or whose over-deletion has looked at a
//!   thirty-second of a relation (deleting and re-deriving fact by fact
//!   would cost more), or an eighth while most facts it checked were kept.
//!   Before over-deletion starts, the deleted facts are followed through
//!   the rules by their tuples alone; a stratum where that reaches more
//!   than a 256th of a relation, and more than eight facts per deleted one,
//!   is recomputed at once, without paying for an over-deletion that would
//!   give up, unless it is a stratum of one predicate where most facts
//!   reached have a second derivation (its support checks will keep them).
//!   Relations so small (against the size of the change) that eight facts
//!   per deleted one is the larger limit are left to over-deletion's own
//!   count.
//! - Removed rows leave the key set but keep their numbers, marked as
//!   removed (indexes keep listing them and readers skip them), until a
//!   quarter of a relation's rows are removed ones and it is compacted (see
//!   `Relation::remove_rows`): the evaluation that follows, and the next
//!   update, find the indexes built, and a small deletion costs in
//!   proportion to its size.
//! - Strata that read nothing that changed are not touched: the store is
//!   the previous one (or a copy of it, which shares their relations with
//!   it), and their relations stay as they were.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use ox_ir::{Literal, PredId, Value};
use rustc_hash::FxHashSet;

use crate::budget::Budget;
use crate::closure;
use crate::exec::{Exec, Pending, Sink};
use crate::plan::{Lookup, Plan, Src, Step};
use crate::store::{key_of, Found, Id, Index, Interner, RowSet};
use crate::{
    narrow, CompiledRule, EvalContext, EvalError, FactStore, FirstRound, Program, StratumRun,
    NO_SLOT,
};

impl Program {
    /// The fixpoint of this program over `previous`'s base facts plus
    /// `inserted` minus `deleted`, computed from `previous` (a fixpoint of
    /// this program from [`Program::evaluate`] or an earlier update) and the
    /// change only. Equal to evaluating the changed base facts from scratch.
    ///
    /// Deleting a fact that is not a base fact of `previous` changes
    /// nothing; inserting one that is already present makes it a base fact.
    /// Provenance is recorded when `previous` recorded it.
    ///
    /// `previous` stays as it was, so the update starts from a copy of it;
    /// a caller that replaces `previous` with the result should call
    /// [`Program::update_owned`], which skips the copy.
    pub fn update(
        &self,
        previous: &FactStore,
        inserted: &[(PredId, Vec<Value>)],
        deleted: &[(PredId, Vec<Value>)],
        ctx: &EvalContext,
    ) -> Result<FactStore, EvalError> {
        Budget::new(ctx.deadline).check()?;
        self.update_owned(previous.copy_to_update(), inserted, deleted, ctx)
    }

    /// [`Program::update`] taking the previous fixpoint by value: its rows,
    /// key sets and indexes are brought up to date in place instead of
    /// being copied first (an index still shared with another copy of the
    /// store is copied on its first extension). On an error the previous
    /// fixpoint is gone with the partial update.
    pub fn update_owned(
        &self,
        previous: FactStore,
        inserted: &[(PredId, Vec<Value>)],
        deleted: &[(PredId, Vec<Value>)],
        ctx: &EvalContext,
    ) -> Result<FactStore, EvalError> {
        let mut store = previous;
        match self.update_in(&mut store, inserted, deleted, ctx) {
            Ok(()) => Ok(store),
            Err(e) => {
                // Stopped: the caller gets the error now, not after the
                // store is freed.
                crate::freeing::free(store);
                Err(e)
            }
        }
    }

    /// [`Program::update_owned`]'s work, on `store` in place.
    fn update_in(
        &self,
        store: &mut FactStore,
        inserted: &[(PredId, Vec<Value>)],
        deleted: &[(PredId, Vec<Value>)],
        ctx: &EvalContext,
    ) -> Result<(), EvalError> {
        let mut budget = Budget::new(ctx.deadline);
        budget.check()?;
        store.reclaim_keys();
        let record = store.rels.iter().any(|r| r.witnesses.is_some());
        let const_ids = self.prepare(store, record)?;
        for (pred, tuple) in inserted.iter().chain(deleted) {
            let arity = store.rels.get(pred.index()).map(|r| r.arity());
            match arity {
                None => {
                    return Err(EvalError::Unsupported(format!(
                        "predicate #{} does not exist",
                        pred.0
                    )))
                }
                Some(Some(a)) if a != tuple.len() => {
                    return Err(EvalError::Unsupported(format!(
                        "predicate #{} has {a} arguments, not {}",
                        pred.0,
                        tuple.len()
                    )))
                }
                Some(_) => {}
            }
        }

        // Base facts that go away.
        let n = store.rels.len();
        let mut marked: Vec<RowSet> = vec![RowSet::default(); n];
        let mut removed_base: Vec<RowSet> = vec![RowSet::default(); n];
        let mut work = Queue::new(&self.strata, n);
        // The deleted tuples as ids (a value the store never held is in no
        // fact), then their rows: each lookup misses the cache, so the
        // lookups a few places ahead are started first.
        let deleted_ids: Vec<(usize, Vec<Id>)> = deleted
            .iter()
            .filter_map(|(pred, tuple)| {
                let ids: Option<Vec<Id>> = tuple.iter().map(|v| store.dict.get(v)).collect();
                ids.map(|ids| (pred.index(), ids))
            })
            .collect();
        for (p, _) in &deleted_ids {
            store.rels[*p].record_rows(&budget)?;
        }
        let mut seeds: Vec<(usize, Vec<Id>)> = Vec::new();
        for (i, (p, ids)) in deleted_ids.iter().enumerate() {
            if let Some((ahead, ahead_ids)) = deleted_ids.get(i + ROW_LOOKUPS_AHEAD) {
                store.rels[*ahead].prefetch_row_of(ahead_ids);
            }
            let p = *p;
            let Some(row) = store.rels[p].row_of(ids) else {
                continue;
            };
            if store.rels[p].is_base(row) && removed_base[p].insert(row) {
                marked[p].insert(row);
                work.push(p, row);
                seeds.push((p, ids.clone()));
            }
        }

        // Which predicates change, and which strata must be recomputed.
        let mut changed = vec![false; n];
        for (pred, _) in inserted {
            changed[pred.index()] = true;
        }
        for p in work.preds() {
            changed[p] = true;
        }
        let strata = &self.strata.strata;
        let mut recompute = vec![false; strata.len()];
        let mut affected = vec![false; strata.len()];
        for (s, stratum) in strata.iter().enumerate() {
            for &r in &stratum.rules {
                for (atom, positive) in crate::body_atoms(&self.source[r].body) {
                    if changed[atom.pred.index()] {
                        if positive {
                            affected[s] = true;
                        } else {
                            recompute[s] = true;
                        }
                    }
                }
            }
            if stratum.preds.iter().any(|p| changed[p.index()]) {
                affected[s] = true;
            }
            if affected[s] || recompute[s] {
                for p in &stratum.preds {
                    changed[p.index()] = true;
                }
            }
        }
        if work.is_empty() && inserted.is_empty() {
            return Ok(());
        }
        // The well-founded group is recomputed as a whole when it reads a change.
        let wfs_touched = (0..strata.len()).any(|s| self.in_wfs_group(s) && affected[s]);
        if wfs_touched {
            for (s, again) in recompute.iter_mut().enumerate() {
                if self.in_wfs_group(s) {
                    *again = true;
                    for p in &strata[s].preds {
                        changed[p.index()] = true;
                    }
                }
            }
        }

        // Closures whose deletions are followed by reachability (see
        // `crate::closure`): those with no base facts of their own (pairs
        // the edges do not join), none inserted now. Their witnesses give
        // way to shortest paths, found when a pair is explained.
        let by_closure: Vec<bool> = (0..strata.len())
            .map(|s| {
                !recompute[s]
                    && self.closures[s].is_some_and(|c| {
                        !store.rels[c.pred].has_base_facts()
                            && !inserted.iter().any(|(p, _)| p.index() == c.pred)
                    })
            })
            .collect();
        // A stratum whose rows no longer follow their derivations (a
        // closure updated by reachability) that cannot stay one is
        // recomputed: support checks rely on that order, and its pairs'
        // explanations on the edges alone deriving them.
        for (s, stratum) in strata.iter().enumerate() {
            let unordered = || {
                stratum
                    .preds
                    .iter()
                    .any(|p| !store.rels[p.index()].rows_follow_derivations())
            };
            if affected[s] && !by_closure[s] && unordered() {
                recompute[s] = true;
            }
        }

        let mut seeded_by_pred: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (r, rule) in self.rules.iter().enumerate() {
            for (k, seeded) in rule.seeded.iter().enumerate() {
                if let Literal::Pos(atom) = &self.source[r].body[seeded.at] {
                    seeded_by_pred[atom.pred.index()].push((r, k));
                }
            }
        }
        // Over-deletion against the previous fixpoint. The derived facts of
        // recomputed strata go entirely; they are followed further only
        // where rules of other strata read them. In a stratum of one
        // predicate, a fact reached from a deleted one is first checked for
        // support: a derivation from facts not being deleted whose
        // own-predicate premises come before it.
        // Facts are taken in (stratum, row) order, so every fact that loses
        // all its derivations is marked before a later row relies on it
        // (a fact's rows follow the premises of one of its derivations);
        // supported facts stay, and nothing is derived from them again.
        let mut pending: Vec<RowSet> = vec![RowSet::default(); n];
        let mut kept: Vec<RowSet> = vec![RowSet::default(); n];
        // Per predicate: derived facts queued for over-deletion so far, and
        // of those checked, how many were kept.
        let mut visited: Vec<usize> = vec![0; n];
        let mut checks: Vec<usize> = vec![0; n];
        let mut keeps: Vec<usize> = vec![0; n];
        let fan_out_allowance = FAN_OUT * seeds.len();
        let checked_stratum: Vec<bool> = strata.iter().map(|st| st.preds.len() == 1).collect();
        // Facts whose support check found no derivation and passed over no
        // premise of a later row: the check saw every derivation
        // re-derivation could find, except those through facts put back or
        // inserted, which the semi-naive continuation derives anyway (they
        // are new rows by then). They are removed without being re-derived.
        let mut refuted: Vec<RowSet> = vec![RowSet::default(); n];
        // With provenance, a fact kept by a support check gets the
        // derivation found as its witness (its first one may have gone with
        // a deleted fact), once the relations can change: (pred, row, rule,
        // bindings).
        let mut new_witnesses: Vec<(usize, u32, usize, Vec<Id>)> = Vec::new();
        // Over-deletion reads the previous fixpoint, unchanged until the
        // marked rows are removed.
        let mut joins = Joins {
            may_mark: changed,
            ..Joins::default()
        };
        // Head tuples of one rule run, reused from run to run.
        let mut heads: Vec<Id> = Vec::new();
        let mut row_bounds: Vec<u32> = store.rels.iter().map(|r| r.len()).collect();
        let narrowed_scans = self.narrow_seeded_plans(
            store,
            &seeds,
            &seeded_by_pred,
            &by_closure,
            &const_ids,
            &mut joins.indexes,
            &budget,
        )?;
        self.recompute_wide_deletions(
            store,
            &mut joins,
            &seeds,
            &seeded_by_pred,
            &by_closure,
            &mut recompute,
            &const_ids,
            &mut budget,
            ctx,
        )?;
        for s in 0..strata.len() {
            if recompute[s] {
                self.wipe(
                    store,
                    s,
                    &recompute,
                    &seeded_by_pred,
                    &mut marked,
                    &mut work,
                );
            }
        }
        // Closures followed by reachability, lowest first: each once every
        // lower stratum's deletions are known (its edges' among them).
        let closures_due: Vec<usize> = (0..strata.len()).filter(|&s| by_closure[s]).collect();
        let mut next_closure = 0;
        let mut reordered: Vec<usize> = Vec::new();
        loop {
            if let Some(&s) = closures_due.get(next_closure) {
                if work.lowest_level().is_none_or(|level| level > s) {
                    next_closure += 1;
                    if let Some(pred) = self.follow_closure(
                        store,
                        s,
                        &mut recompute,
                        &seeded_by_pred,
                        &mut marked,
                        &mut refuted,
                        &mut work,
                        &budget,
                    )? {
                        reordered.push(pred);
                    }
                    continue;
                }
            }
            let Some((p, row)) = work.pop() else {
                break;
            };
            budget.check()?;
            if pending[p].remove(row) && !marked[p].contains(row) {
                if self.strata.stratum_of[p].is_some_and(|s| recompute[s]) {
                    // Given up on after it was queued: it goes with the
                    // recomputation (the wipe queued it again, marked, if
                    // rules of other strata read it).
                    continue;
                }
                let support = SupportCheck {
                    marked: &marked,
                    row_bounds: &mut row_bounds,
                };
                let (found, exhaustive) = self.supported(
                    store,
                    &mut joins,
                    p,
                    row,
                    support,
                    &const_ids,
                    &mut budget,
                    ctx,
                )?;
                // A witness must name values the store holds: a derivation
                // that computes a new one is left to re-derivation.
                let keep = match found {
                    None => {
                        if exhaustive {
                            refuted[p].insert(row);
                        }
                        false
                    }
                    Some(_) if !record => true,
                    Some(Derivation {
                        creates_values: true,
                        ..
                    }) => false,
                    Some(Derivation { rule, .. }) => {
                        new_witnesses.push((p, row, rule, joins.first.clone()));
                        true
                    }
                };
                checks[p] += 1;
                if keep {
                    keeps[p] += 1;
                    kept[p].insert(row);
                } else {
                    marked[p].insert(row);
                }
                // Most facts checked kept: few are marked and followed
                // further, and the walk ends soon.
                let share = if keeps[p] * 2 > checks[p] {
                    SETTLING_GIVE_UP_SHARE
                } else {
                    GIVE_UP_SHARE
                };
                if let Some(s) = self.strata.stratum_of[p] {
                    if !recompute[s]
                        && gives_up(checks[p], share, &store.rels[p], fan_out_allowance)
                    {
                        recompute[s] = true;
                        self.wipe(
                            store,
                            s,
                            &recompute,
                            &seeded_by_pred,
                            &mut marked,
                            &mut work,
                        );
                    }
                }
                if keep {
                    continue;
                }
            }
            let tuple = store.rels[p].row(row);
            for &(r, k) in &seeded_by_pred[p] {
                let rule = &self.rules[r];
                let Some(head_stratum) = self.strata.stratum_of[rule.head_pred] else {
                    continue;
                };
                if recompute[head_stratum] || by_closure[head_stratum] {
                    continue;
                }
                let seeded = &rule.seeded[k];
                if !bindings(
                    &seeded.args,
                    tuple,
                    rule.var_count,
                    &const_ids,
                    &mut joins.env,
                ) {
                    continue;
                }
                let plan = &seeded.plan;
                let count = self.run_heads(
                    store,
                    plan,
                    &mut joins,
                    (&rule.head, &mut heads),
                    &const_ids,
                    &mut budget,
                    ctx,
                    r,
                )?;
                let head_rel = &store.rels[rule.head_pred];
                if count > 0 {
                    head_rel.record_rows(&budget)?;
                }
                let check = checked_stratum[head_stratum];
                let mut overflow = false;
                if count > 1 {
                    // Each head's row lookup misses the cache: start them
                    // all before the first one is needed.
                    for head in tuples(&heads, rule.head.len(), count) {
                        head_rel.prefetch_row_of(head);
                    }
                }
                for head in tuples(&heads, rule.head.len(), count) {
                    if head.iter().any(|&id| id as usize >= store.dict.len()) {
                        continue;
                    }
                    if let Some(hr) = head_rel.row_of(head) {
                        let h = rule.head_pred;
                        if head_rel.is_base(hr) || marked[h].contains(hr) || kept[h].contains(hr) {
                            continue;
                        }
                        if check && h == p && hr < row {
                            // An earlier row of the same predicate: the
                            // derivations its support check accepts read
                            // only rows before it, never this one. If it
                            // loses them all, an earlier marked row reaches it.
                            continue;
                        }
                        let queued = if check {
                            pending[h].insert(hr)
                        } else {
                            marked[h].insert(hr)
                        };
                        if queued {
                            visited[h] += 1;
                            work.push(h, hr);
                        }
                    }
                    // Queueing a fact costs a row lookup, looking at it
                    // (support check, rules seeded by it) several times what
                    // deriving it does: see `gives_up`. Facts to check are
                    // counted again as they are checked.
                    let h = rule.head_pred;
                    let share = if check {
                        SETTLING_GIVE_UP_SHARE
                    } else {
                        GIVE_UP_SHARE
                    };
                    if gives_up(visited[h], share, head_rel, fan_out_allowance) {
                        overflow = true;
                        break;
                    }
                }
                if overflow {
                    recompute[head_stratum] = true;
                    self.wipe(
                        store,
                        head_stratum,
                        &recompute,
                        &seeded_by_pred,
                        &mut marked,
                        &mut work,
                    );
                    // The rules of other strata seeded by this fact still
                    // run: the wipe queues only rows not marked already.
                }
            }
        }

        // A compaction below renumbers the indexes in place only if
        // nothing else holds them: hold none.
        drop(joins);
        // With witnesses, a closure whose edges change is explained along
        // shortest paths from now on, deletions or not: an insertion leaves
        // its pairs' witnesses valid but not always of minimal height (a
        // new edge can shorten the way to a pair derived before).
        if record {
            for s in (0..strata.len()).filter(|&s| by_closure[s] && affected[s]) {
                reordered.extend(self.closures[s].map(|c| c.pred));
            }
        }
        for pred in reordered {
            store.rel_mut(pred).lose_derivation_order();
        }
        for (p, row, rule, env) in new_witnesses {
            let kept = witness_bindings(&self.rules[rule], &env);
            if let Some(witnesses) = store.rel_mut(p).witnesses.as_mut() {
                witnesses.replace(row, rule as u32, &kept);
            }
        }
        for (pred, mask) in narrowed_scans {
            store.rel_mut(pred).count_narrowed_scan(mask);
        }
        // Remove the marked rows, keeping the derived ones of strata that
        // are not recomputed as candidates for re-derivation.
        let mut candidates: Vec<Candidates> = vec![Candidates::default(); n];
        for p in 0..n {
            let in_recomputed = self.strata.stratum_of[p].is_some_and(|s| recompute[s]);
            if in_recomputed {
                // Only base rows survive (in the stratum loop); deleted base rows go now.
                if !removed_base[p].is_empty() {
                    let gone = &removed_base[p];
                    store.rel_mut(p).retain(|r| !gone.contains(r));
                }
                continue;
            }
            if marked[p].is_empty() {
                continue;
            }
            let has_rules = self.strata.stratum_of[p].is_some();
            if has_rules {
                let rel = &store.rels[p];
                let list = &mut candidates[p];
                list.arity = rel.arity().unwrap_or(0);
                for r in marked[p].iter().filter(|&r| !refuted[p].contains(r)) {
                    list.ids.extend_from_slice(rel.row(r));
                    list.count += 1;
                }
            }
            store.rel_mut(p).remove_rows(&marked[p]);
        }
        let mut mark: Vec<u32> = store.rels.iter().map(|r| r.len()).collect();
        for (pred, tuple) in inserted {
            store.insert_within(*pred, tuple.clone(), &budget)?;
        }

        // Strata in order: recompute, or re-derive and continue semi-naively.
        let mut delta_start = mark.clone();
        let mut slot_of = vec![NO_SLOT; store.rels.len()];
        for s in 0..strata.len() {
            if !(affected[s] || recompute[s]) || self.in_wfs_group(s) {
                continue;
            }
            delta_start.copy_from_slice(&mark);
            let preds = &strata[s].preds;
            let lost: usize = preds.iter().map(|p| candidates[p.index()].count).sum();
            let kept: usize = preds
                .iter()
                .map(|p| store.rels[p.index()].fact_count() as usize)
                .sum();
            let first_round = if recompute[s] || lost > 0 && lost * 4 > lost + kept {
                for p in preds {
                    // The recomputation derives about as many rows again.
                    let rel = store.rel_mut(p.index());
                    let before = rel.fact_count() as usize;
                    rel.retain_base();
                    rel.reserve(before - rel.len() as usize);
                    delta_start[p.index()] = 0;
                }
                FirstRound::Naive
            } else {
                self.rederive(store, s, &candidates, &const_ids, &mut budget, ctx)?;
                FirstRound::Incremental
            };
            let mut run = StratumRun {
                const_ids: &const_ids,
                delta_start: &mut delta_start,
                slot_of: &mut slot_of,
                budget: &mut budget,
                ctx,
            };
            self.eval_stratum(store, s, first_round, &mut run)?;
            if first_round == FirstRound::Naive {
                // Recomputed from its base rows: every row is new to the
                // strata above (the old row numbers mean nothing now). Room
                // was reserved for as many rows as before; a deletion that
                // took most of them away gives it back.
                for p in preds {
                    mark[p.index()] = 0;
                    store.rel_mut(p.index()).shrink_if_sparse();
                }
            }
        }
        if wfs_touched {
            for s in (0..strata.len()).filter(|&s| self.in_wfs_group(s)) {
                for p in &strata[s].preds {
                    store.rel_mut(p.index()).retain_base();
                }
            }
            let mut run = StratumRun {
                const_ids: &const_ids,
                delta_start: &mut delta_start,
                slot_of: &mut slot_of,
                budget: &mut budget,
                ctx,
            };
            self.eval_wfs(store, &mut run)?;
        }
        store.dict_changed();
        store.settle();
        Ok(())
    }

    /// Marks for recomputation the recursive strata whose over-deletion
    /// would look at more than a [`SPREAD_LIMIT`]th of one of their
    /// relations (counted with 256 facts more, so that any relation allows
    /// one) and more than [`FAN_OUT`] facts per deleted one. The deleted
    /// facts are followed through the rules by their tuples alone (no
    /// support checks, no row lookups), so the estimate errs high and
    /// costs a fraction of an over-deletion that would give up anyway.
    /// Relations whose share is below the allowance are followed up to the
    /// allowance only when over-deletion would look at more before giving
    /// up (a [`GIVE_UP_SHARE`]th of the relation): a deletion that cuts a
    /// deep taxonomy reaches nearly all of it, and over-deletion would first
    /// record the rows of the whole relation and check thousands of facts.
    ///
    /// A stratum of one predicate that reaches too far is recomputed only
    /// if at most half of a sample of the facts reached have a second
    /// derivation (a chain of classes, a tree: facts with one derivation
    /// each): its over-deletion keeps a fact with a derivation left (from
    /// earlier rows), and in a well-connected graph most facts reached have
    /// one. Otherwise over-deletion's own limits decide.
    #[allow(clippy::too_many_arguments)]
    fn recompute_wide_deletions(
        &self,
        store: &FactStore,
        joins: &mut Joins,
        seeds: &[(usize, Vec<Id>)],
        seeded_by_pred: &[Vec<(usize, usize)>],
        by_closure: &[bool],
        recompute: &mut [bool],
        const_ids: &[Id],
        budget: &mut Budget,
        ctx: &EvalContext,
    ) -> Result<(), EvalError> {
        let mut walk = SpreadWalk {
            store,
            joins,
            const_ids,
            budget,
            ctx,
        };
        // Strata no longer followed: reached too far (recomputed or not).
        let mut stopped = vec![false; recompute.len()];
        // Facts reached, by key: two facts of more than two columns may
        // share one (a hash), which only makes the estimate err low by them.
        let mut reached: Vec<FxHashSet<u64>> = vec![FxHashSet::default(); store.rels.len()];
        // In strata of one predicate, the facts reached, back to back, to
        // sample from.
        let mut reached_tuples: Vec<Vec<Id>> = vec![Vec::new(); store.rels.len()];
        let mut heads: Vec<Id> = Vec::new();
        // A few facts reached per deleted one are cheaper to follow than
        // any recomputation, however small the relation's share.
        let fan_out_allowance = FAN_OUT * seeds.len();
        let mut stack = seeds.to_vec();
        while let Some((p, tuple)) = stack.pop() {
            walk.budget.check()?;
            if self.strata.stratum_of[p].is_some_and(|s| recompute[s] || stopped[s]) {
                continue;
            }
            for &(r, k) in &seeded_by_pred[p] {
                let rule = &self.rules[r];
                let h = rule.head_pred;
                let Some(head_stratum) = self.strata.stratum_of[h] else {
                    continue;
                };
                // Only in a recursive stratum can a deletion spread without bound.
                if recompute[head_stratum]
                    || stopped[head_stratum]
                    || by_closure[head_stratum]
                    || !self.strata.strata[head_stratum].recursive
                {
                    continue;
                }
                let head_rel = &store.rels[h];
                let size = head_rel.fact_count() as usize + 256;
                let share = size / SPREAD_LIMIT;
                if share <= fan_out_allowance && size / GIVE_UP_SHARE <= fan_out_allowance {
                    // Over-deletion gives up at the allowance too, having
                    // looked at few facts: estimating first would repeat it.
                    continue;
                }
                // Above the allowance, over-deletion would look at up to a
                // `GIVE_UP_SHARE`th of the relation (recording its rows
                // first) before giving up.
                let limit = share.max(fan_out_allowance);
                let seeded = &rule.seeded[k];
                if !bindings(
                    &seeded.args,
                    &tuple,
                    rule.var_count,
                    const_ids,
                    &mut walk.joins.env,
                ) {
                    continue;
                }
                let count = self.run_heads(
                    store,
                    &seeded.plan,
                    walk.joins,
                    (&rule.head, &mut heads),
                    const_ids,
                    walk.budget,
                    ctx,
                    r,
                )?;
                let single = self.strata.strata[head_stratum].preds.len() == 1;
                for head in tuples(&heads, rule.head.len(), count) {
                    if head.iter().any(|&id| id as usize >= store.dict.len())
                        || matches!(head_rel.find(head), Found::Absent)
                        || !reached[h].insert(key_of(head.len(), |i| head[i]))
                    {
                        continue;
                    }
                    if single {
                        reached_tuples[h].extend_from_slice(head);
                    }
                    if reached[h].len() > limit {
                        stopped[head_stratum] = true;
                        let arity = head.len();
                        recompute[head_stratum] = !single
                            || !self.mostly_alternatives(
                                &mut walk,
                                head_stratum,
                                h,
                                &reached_tuples[h],
                                arity,
                            )?;
                        break;
                    }
                    stack.push((h, head.to_vec()));
                }
            }
        }
        Ok(())
    }

    /// Whether more than half of a sample of the facts of `pred` (in
    /// stratum `s`) in `facts` (tuples of `arity` back to back) have a
    /// second derivation from the facts present: every one of them up to
    /// [`ALTERNATIVES_SAMPLE`], past that facts at even intervals (between
    /// one and two samples' worth).
    fn mostly_alternatives(
        &self,
        walk: &mut SpreadWalk<'_, '_>,
        s: usize,
        pred: usize,
        facts: &[Id],
        arity: usize,
    ) -> Result<bool, EvalError> {
        let count = facts.len() / arity.max(1);
        let stride = (count / ALTERNATIVES_SAMPLE).max(1);
        let mut derivations: Vec<Id> = Vec::new();
        let (mut sampled, mut with_alternative) = (0, 0);
        for fact in tuples(facts, arity, count).step_by(stride) {
            sampled += 1;
            if self.derivation_count(walk, s, pred, fact, &mut derivations)? >= 2 {
                with_alternative += 1;
            }
        }
        Ok(with_alternative * 2 > sampled)
    }

    /// How many derivations fact `head` of `pred` (in stratum `s`) has from
    /// the facts present, counted rule by rule until there are two: only
    /// whether it has more than one matters.
    fn derivation_count(
        &self,
        walk: &mut SpreadWalk<'_, '_>,
        s: usize,
        pred: usize,
        head: &[Id],
        out: &mut Vec<Id>,
    ) -> Result<usize, EvalError> {
        let mut total = 0;
        for &r in &self.strata.strata[s].rules {
            let rule = &self.rules[r];
            if rule.head_pred != pred
                || !bindings(
                    &rule.head,
                    head,
                    rule.var_count,
                    walk.const_ids,
                    &mut walk.joins.env,
                )
            {
                continue;
            }
            total += self.run_heads(
                walk.store,
                &rule.by_head,
                walk.joins,
                (&rule.head, out),
                walk.const_ids,
                walk.budget,
                walk.ctx,
                r,
            )?;
            if total >= 2 {
                break;
            }
        }
        Ok(total)
    }

    /// Gives the rules seeded by the deleted facts of predicates without
    /// rules (all known before over-deletion starts, and the only facts of
    /// theirs it follows) narrowed indexes where they would otherwise build
    /// one on a large relation (see `crate::narrow`): a deleted `edge(a, b)`
    /// probes `path(_, a)`, which evaluation never indexed. Rules of
    /// strata `skipped` are left alone (they do not run). Returns the
    /// (relation, columns) scanned, to count once the relations can change.
    #[allow(clippy::too_many_arguments)]
    fn narrow_seeded_plans(
        &self,
        store: &FactStore,
        seeds: &[(usize, Vec<Id>)],
        seeded_by_pred: &[Vec<(usize, usize)>],
        skipped: &[bool],
        const_ids: &[Id],
        plan_indexes: &mut PlanIndexes,
        budget: &Budget,
    ) -> Result<Vec<(usize, u64)>, EvalError> {
        let mut by_pred: Vec<(usize, Vec<&[Id]>)> = Vec::new();
        for (p, tuple) in seeds {
            if self.strata.stratum_of[*p].is_some() {
                continue;
            }
            match by_pred.iter_mut().find(|(q, _)| q == p) {
                Some((_, tuples)) => tuples.push(tuple),
                None => by_pred.push((*p, vec![tuple])),
            }
        }
        let runs: Vec<narrow::SeededRun<'_>> = by_pred
            .iter()
            .flat_map(|(p, tuples)| {
                let runs = seeded_by_pred[*p].iter().filter(|&&(r, _)| {
                    let head = self.strata.stratum_of[self.rules[r].head_pred];
                    !head.is_some_and(|s| skipped[s])
                });
                runs.map(move |&(r, k)| {
                    let seeded = &self.rules[r].seeded[k];
                    narrow::SeededRun {
                        plan: &seeded.plan,
                        args: &seeded.args,
                        tuples,
                    }
                })
            })
            .collect();
        let narrowed = narrow::narrowed_for_seeds(&runs, &store.rels, const_ids, budget)?;
        for (run, slots) in runs.iter().zip(narrowed.indexes) {
            if slots.iter().all(Option::is_none) {
                continue;
            }
            let indexes = run
                .plan
                .needs
                .iter()
                .zip(slots)
                .map(|(&(pred, mask), narrowed)| match narrowed {
                    Some(index) => Ok(index),
                    None => store.rels[pred].index_shared(mask, budget),
                })
                .collect::<Result<_, _>>()?;
            plan_indexes.set(run.plan, indexes);
        }
        Ok(narrowed.scanned)
    }

    /// Marks the derived facts of stratum `s` (about to be recomputed) as
    /// deleted, queueing those that rules of other, not recomputed strata read.
    fn wipe(
        &self,
        store: &FactStore,
        s: usize,
        recompute: &[bool],
        seeded_by_pred: &[Vec<(usize, usize)>],
        marked: &mut [RowSet],
        work: &mut Queue,
    ) {
        for q in &self.strata.strata[s].preds {
            if !self.read_by_other_strata(q.index(), recompute, seeded_by_pred) {
                continue;
            }
            let rel = &store.rels[q.index()];
            for r in 0..rel.len() {
                if rel.is_live(r) && !rel.is_base(r) && marked[q.index()].insert(r) {
                    work.push(q.index(), r);
                }
            }
        }
    }

    /// Whether rules of strata not recomputed read `pred` (other than its
    /// own stratum's, when that is recomputed).
    fn read_by_other_strata(
        &self,
        pred: usize,
        recompute: &[bool],
        seeded_by_pred: &[Vec<(usize, usize)>],
    ) -> bool {
        seeded_by_pred[pred].iter().any(|&(r, _)| {
            self.strata.stratum_of[self.rules[r].head_pred].is_some_and(|h| !recompute[h])
        })
    }

    /// Follows the deleted edges of the closure computed by stratum `s`
    /// by reachability (see `crate::closure`): the pairs lost are marked,
    /// as refuted (the edges left join them no more, so nothing derives
    /// them again), and queued where rules of other strata read them.
    /// Where the reachability bitmaps would take too much room, the
    /// stratum is recomputed instead. Returns the closure's predicate when
    /// edges went (its rows may no longer follow their derivations).
    #[allow(clippy::too_many_arguments)]
    fn follow_closure(
        &self,
        store: &FactStore,
        s: usize,
        recompute: &mut [bool],
        seeded_by_pred: &[Vec<(usize, usize)>],
        marked: &mut [RowSet],
        refuted: &mut [RowSet],
        work: &mut Queue,
        budget: &Budget,
    ) -> Result<Option<usize>, EvalError> {
        let Some(closure) = self.closures[s] else {
            return Ok(None);
        };
        if recompute[s] || marked[closure.edge].is_empty() {
            return Ok(None);
        }
        let Some(lost) = closure::lost_rows(store, closure, &marked[closure.edge], budget)? else {
            recompute[s] = true;
            self.wipe(store, s, recompute, seeded_by_pred, marked, work);
            return Ok(None);
        };
        let pred = closure.pred;
        let read_elsewhere = self.read_by_other_strata(pred, recompute, seeded_by_pred);
        for row in lost {
            marked[pred].insert(row);
            refuted[pred].insert(row);
            if read_elsewhere {
                work.push(pred, row);
            }
        }
        Ok(Some(pred))
    }

    /// Puts back the over-deleted facts of stratum `s` that still have a
    /// derivation from the facts present (checked rule by rule with the
    /// head bound); they become new rows, read as the delta afterwards.
    fn rederive(
        &self,
        store: &mut FactStore,
        s: usize,
        candidates: &[Candidates],
        const_ids: &[Id],
        budget: &mut Budget,
        ctx: &EvalContext,
    ) -> Result<(), EvalError> {
        let stratum = &self.strata.strata[s];
        // The relations do not change until the facts found are put back.
        let mut joins = Joins::default();
        // (predicate, candidate, rule, the rule's bindings when the
        // derivation becomes a witness).
        let mut back: Vec<(usize, usize, u32, Vec<Id>)> = Vec::new();
        for p in &stratum.preds {
            let list = &candidates[p.index()];
            let record = store.rels[p.index()].witnesses.is_some();
            for (i, tuple) in list.tuples().enumerate() {
                budget.check()?;
                for &r in &stratum.rules {
                    let rule = &self.rules[r];
                    if rule.head_pred != p.index() {
                        continue;
                    }
                    if !bindings(&rule.head, tuple, rule.var_count, const_ids, &mut joins.env) {
                        continue;
                    }
                    let (found, new_values) = self.run_first(
                        store,
                        &rule.by_head,
                        &mut joins,
                        const_ids,
                        (&[], None),
                        budget,
                        ctx,
                        r,
                    )?;
                    if found {
                        if !new_values.is_empty() {
                            store.dict.absorb(new_values);
                        }
                        let env = if record {
                            joins.first.clone()
                        } else {
                            Vec::new()
                        };
                        back.push((p.index(), i, r as u32, env));
                        break;
                    }
                }
            }
        }
        for (p, i, rule, env) in back {
            let tuple = candidates[p].tuple(i);
            let rel = store.rel_mut(p);
            let len = rel.len();
            // A candidate inserted as a base fact by this update is there
            // already: no row, so no witness either.
            if !rel.insert(tuple) {
                continue;
            }
            if let Some(witnesses) = rel.witnesses.as_mut() {
                let kept = witness_bindings(&self.rules[rule as usize], &env);
                witnesses.pad(len);
                witnesses.push(rule, &kept);
            }
        }
        Ok(())
    }

    /// A derivation of the derived fact at `row` of `pred` from facts not
    /// `marked` whose premises of `pred` itself come before `row`, if it has
    /// one (the bindings of its rule's variables are left in
    /// `joins.first`). With `None`, whether the search was exhaustive: no
    /// premise at or after `row` was passed over.
    #[allow(clippy::too_many_arguments)]
    fn supported(
        &self,
        store: &FactStore,
        joins: &mut Joins,
        pred: usize,
        row: u32,
        check: SupportCheck<'_>,
        const_ids: &[Id],
        budget: &mut Budget,
        ctx: &EvalContext,
    ) -> Result<(Option<Derivation>, bool), EvalError> {
        let Some(s) = self.strata.stratum_of[pred] else {
            return Ok((None, false));
        };
        joins.cut = false;
        let tuple = store.rels[pred].row(row);
        let all_rows = std::mem::replace(&mut check.row_bounds[pred], row);
        let mut found = || {
            for &r in &self.strata.strata[s].rules {
                let rule = &self.rules[r];
                if !bindings(&rule.head, tuple, rule.var_count, const_ids, &mut joins.env) {
                    continue;
                }
                let view = (&*check.row_bounds, Some(check.marked));
                let (found, new_values) =
                    self.run_first(store, &rule.support, joins, const_ids, view, budget, ctx, r)?;
                if found {
                    return Ok(Some(Derivation {
                        rule: r,
                        creates_values: !new_values.is_empty(),
                    }));
                }
            }
            Ok(None)
        };
        let found = found();
        check.row_bounds[pred] = all_rows;
        Ok((found?, !joins.cut))
    }

    /// The head tuples `head.0` makes of every completion of `joins.env` by
    /// `plan` against `store` (all relations in full), written back to back
    /// into `head.1` (cleared first); returns how many there are. Values
    /// the plan's bindings create are not in the store, so no fact holds them.
    #[allow(clippy::too_many_arguments)]
    fn run_heads(
        &self,
        store: &FactStore,
        plan: &Plan,
        joins: &mut Joins,
        head: (&[Src], &mut Vec<Id>),
        const_ids: &[Id],
        budget: &mut Budget,
        ctx: &EvalContext,
        rule: usize,
    ) -> Result<usize, EvalError> {
        let (args, out) = head;
        out.clear();
        let mut count = 0;
        self.run_join(
            store,
            plan,
            joins,
            const_ids,
            (&[], None),
            budget,
            ctx,
            rule,
            Sink::Tuples {
                args,
                out,
                count: &mut count,
            },
        )?;
        Ok(count)
    }

    /// Whether `plan` completes `joins.env` against `store` (all relations
    /// in full, or `Old` atoms up to `view.0`, never reading the rows
    /// `view.1` lists), with the first completion left in `joins.first`,
    /// and the values the plan's bindings created.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn run_first(
        &self,
        store: &FactStore,
        plan: &Plan,
        joins: &mut Joins,
        const_ids: &[Id],
        view: (&[u32], Option<&[RowSet]>),
        budget: &mut Budget,
        ctx: &EvalContext,
        rule: usize,
    ) -> Result<(bool, Vec<Value>), EvalError> {
        let mut first = std::mem::take(&mut joins.first);
        let mut found = false;
        let new_values = self.run_join(
            store,
            plan,
            joins,
            const_ids,
            view,
            budget,
            ctx,
            rule,
            Sink::First {
                out: &mut first,
                found: &mut found,
            },
        );
        joins.first = first;
        Ok((found, new_values?))
    }

    /// Runs `plan` from `joins.env` into `sink`; returns the values its
    /// bindings created. The join borrows the buffers of `joins` and gives
    /// them back (garbage: the next [`bindings`] refills `env`).
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn run_join(
        &self,
        store: &FactStore,
        plan: &Plan,
        joins: &mut Joins,
        const_ids: &[Id],
        view: (&[u32], Option<&[RowSet]>),
        budget: &mut Budget,
        ctx: &EvalContext,
        rule: usize,
        sink: Sink<'_>,
    ) -> Result<Vec<Value>, EvalError> {
        let (delta_start, skip) = view;
        if !crate::exec::may_fire(plan, &store.rels, delta_start) {
            joins.cut |= crate::exec::reads_short(plan, &store.rels, delta_start);
            return Ok(Vec::new());
        }
        let reads = joins.indexes.of(store, plan, budget)?;
        if skip.is_some() && !reads.rows_recorded {
            // A support check looks up the row of what a membership test
            // finds in a relation that may lose rows (the row must not be
            // marked, nor in its own relation at or after the fact
            // checked): the relation's rows are recorded first, within the
            // deadline (the relations do not change during over-deletion).
            for step in &plan.steps {
                if let Step::Atom(atom) = step {
                    let may_mark = joins.may_mark.get(atom.pred).copied().unwrap_or(true);
                    if may_mark && matches!(atom.lookup, Lookup::Contains) {
                        store.rels[atom.pred].record_rows(budget)?;
                    }
                }
            }
            reads.rows_recorded = true;
        }
        let indexes = &reads.indexes;
        let mut interner = Interner::new(&store.dict);
        let mut exec = Exec {
            steps: &plan.steps,
            rels: &store.rels,
            indexes,
            consts: const_ids,
            delta_start,
            dict: &mut interner,
            keys: &mut [],
            staged: &mut [],
            slot_of: &[],
            env: std::mem::take(&mut joins.env),
            budget,
            ctx,
            label: &self.labels[rule],
            sink,
            scratch: std::mem::take(&mut joins.probe),
            pending: Pending::default(),
            witness: None,
            skip,
            cut: false,
        };
        exec.run(0)?;
        let Exec {
            env, scratch, cut, ..
        } = exec;
        joins.env = env;
        joins.probe = scratch;
        joins.cut |= cut;
        Ok(interner.into_new_values())
    }
}

/// The over-deleted facts of one predicate left to re-derivation, their
/// ids back to back (one allocation, not one per fact).
#[derive(Clone, Default)]
struct Candidates {
    ids: Vec<Id>,
    arity: usize,
    count: usize,
}

impl Candidates {
    fn tuples(&self) -> impl Iterator<Item = &[Id]> {
        tuples(&self.ids, self.arity, self.count)
    }

    fn tuple(&self, i: usize) -> &[Id] {
        &self.ids[i * self.arity..(i + 1) * self.arity]
    }
}

/// What looking up a fact's derivations while following a deletion (see
/// [`Program::recompute_wide_deletions`]) reads and borrows.
struct SpreadWalk<'a, 'j> {
    store: &'a FactStore,
    joins: &'j mut Joins,
    const_ids: &'a [Id],
    budget: &'j mut Budget,
    ctx: &'a EvalContext,
}

/// What joins of one phase of an update share: the indexes each plan
/// reads, and buffers each join borrows in turn (allocating them per join
/// cost more than a join that starts from one fact).
#[derive(Default)]
struct Joins {
    indexes: PlanIndexes,
    /// The bindings a join starts from (see [`bindings`]).
    env: Vec<Id>,
    /// The tuple a full-key probe looks up.
    probe: Vec<Id>,
    /// The bindings of the completion the last [`Program::run_first`] found.
    first: Vec<Id>,
    /// Whether a join since this was last cleared passed over rows past an
    /// `Old` range's end (see `Exec::cut`).
    cut: bool,
    /// Per predicate: whether over-deletion may mark rows of it (those of
    /// the deleted facts' predicates and of the strata reading them);
    /// support checks look up rows only there.
    may_mark: Vec<bool>,
}

/// The indexes each plan reads, looked up once for a phase of an update in
/// which the relations do not change (looking them up per run costs more
/// than the run when it starts from one fact). Plans are told apart by
/// address: they live in the [`Program`], borrowed for the whole update.
#[derive(Default)]
struct PlanIndexes {
    by_plan: rustc_hash::FxHashMap<*const Plan, PlanReads>,
}

/// What one plan reads in this phase.
struct PlanReads {
    /// One index per slot.
    indexes: Vec<Arc<Index>>,
    /// Whether the rows of the relations its membership tests read are
    /// recorded (a support check looks up the rows they find).
    rows_recorded: bool,
}

impl PlanIndexes {
    /// Makes `plan` read `indexes` (one per slot) in this phase.
    fn set(&mut self, plan: &Plan, indexes: Vec<Arc<Index>>) {
        let reads = PlanReads {
            indexes,
            rows_recorded: false,
        };
        self.by_plan.insert(plan as *const Plan, reads);
    }

    /// What `plan` reads, its indexes built when first asked for.
    fn of(
        &mut self,
        store: &FactStore,
        plan: &Plan,
        budget: &Budget,
    ) -> Result<&mut PlanReads, EvalError> {
        let reads = match self.by_plan.entry(plan as *const Plan) {
            Entry::Occupied(built) => built.into_mut(),
            Entry::Vacant(slot) => slot.insert(PlanReads {
                indexes: plan
                    .needs
                    .iter()
                    .map(|&(pred, mask)| store.rels[pred].index_shared(mask, budget))
                    .collect::<Result<_, _>>()?,
                rows_recorded: false,
            }),
        };
        Ok(reads)
    }
}

/// A derivation a support check found: its rule (the bindings of its
/// variables are in `Joins::first`), and whether the rule computed a value
/// the store does not hold yet.
struct Derivation {
    rule: usize,
    creates_values: bool,
}

/// What a support check reads: the facts being deleted, and per relation
/// the rows that may serve as premises (all of them, but for the checked
/// fact's own relation only those before it).
struct SupportCheck<'a> {
    marked: &'a [RowSet],
    row_bounds: &'a mut [u32],
}

/// Fills `env` with the bindings of a rule's variables (`var_count` of
/// them) from matching an atom's `args` against `tuple`; false when a
/// constant or a repeated variable disagrees.
fn bindings(
    args: &[Src],
    tuple: &[Id],
    var_count: usize,
    const_ids: &[Id],
    env: &mut Vec<Id>,
) -> bool {
    // Most atoms a fact is matched against differ in a constant (a rule
    // about another property): reject those before touching `env`.
    let constants_agree = args.iter().zip(tuple).all(|(&arg, &id)| match arg {
        Src::Const(c) => const_ids[c as usize] == id,
        Src::Var(_) => true,
    });
    if !constants_agree {
        return false;
    }
    env.clear();
    env.resize(var_count, crate::exec::UNBOUND);
    for (&arg, &id) in args.iter().zip(tuple) {
        match arg {
            Src::Const(_) => {}
            Src::Var(v) => {
                let Some(slot) = env.get_mut(v as usize) else {
                    return false;
                };
                if *slot != crate::exec::UNBOUND && *slot != id {
                    return false;
                }
                *slot = id;
            }
        }
    }
    true
}

/// The bindings a witness of `rule` keeps (see `Witnesses`), read from the
/// `env` of a join that derived the fact. A variable no atom of the body
/// binds keeps id 0, as in evaluation.
fn witness_bindings(rule: &CompiledRule, env: &[Id]) -> Vec<Id> {
    rule.extras
        .iter()
        .map(|&v| match env[v as usize] {
            crate::exec::UNBOUND => 0,
            id => id,
        })
        .collect()
}

/// The `count` tuples of `arity` ids laid back to back in `data` (empty
/// ones for arity 0).
fn tuples(data: &[Id], arity: usize, count: usize) -> impl Iterator<Item = &[Id]> {
    (0..count).map(move |i| &data[i * arity..(i + 1) * arity])
}

/// A stratum is recomputed when following a deletion through the rules
/// reaches more than this fraction (one in so many) of one of its relations:
/// over-deletion looks at fewer facts than that estimate (support checks stop
/// it), but each costs tens of times more.
const SPREAD_LIMIT: usize = 256;

/// Over-deletion gives up on a stratum (and recomputes it) once it has
/// looked at this fraction (one in so many) of one of its relations and
/// more than [`FAN_OUT`] facts per deleted one: looking at a fact costs
/// several times what deriving it does (on TC-1000-3000, checking 72,000
/// facts costs about half an evaluation deriving 880,000).
const GIVE_UP_SHARE: usize = 32;

/// [`GIVE_UP_SHARE`] while most facts checked in the relation were kept
/// (their stratum's over-deletion is settling): in a well-connected graph,
/// deleting a few edges looks at about a fourteenth of the closure and
/// costs about half an evaluation, while recomputing costs a whole one.
const SETTLING_GIVE_UP_SHARE: usize = 8;

/// How many facts of one relation per deleted base fact a deletion may
/// reach before [`SPREAD_LIMIT`] applies: a deletion that touches a few
/// derived facts for each deleted one (a class hierarchy) is followed fact by
/// fact even where that is more than a [`SPREAD_LIMIT`]th of a relation.
const FAN_OUT: usize = 8;

/// How many of the facts a deletion reaches (up to [`SPREAD_LIMIT`]) are
/// looked up for a second derivation, in a stratum of one predicate that
/// reaches too far (at least this many when it reached more): enough to
/// tell a graph where most facts have one from a chain or a tree, at a
/// cost that does not grow with the relation.
const ALTERNATIVES_SAMPLE: usize = 64;

/// How many deleted facts ahead the lookup of a deleted fact's row is
/// started (see the seeds of `Program::update_in`).
const ROW_LOOKUPS_AHEAD: usize = 8;

/// Whether over-deletion gives up on `relation` (and recomputes its
/// stratum) after looking at `seen` of its facts: once it has looked at a
/// `share`th of the relation and more than `allowance` facts (a few per
/// deleted one), recomputing is cheaper.
fn gives_up(
    seen: usize,
    share: usize,
    relation: &crate::store::Relation,
    allowance: usize,
) -> bool {
    seen * share > relation.fact_count() as usize + 256 && seen > allowance
}

/// Facts to look at during over-deletion: lower strata first (base facts
/// before all), and in a stratum of one predicate by row (its support
/// checks rely on every earlier row being settled). Elsewhere the order does
/// not matter: those facts are marked before they are queued.
struct Queue {
    /// Per predicate: its level, 0 for base predicates, else its stratum + 1.
    level_of: Vec<usize>,
    levels: Vec<Level>,
    /// Every level below this one is empty.
    lowest: usize,
}

/// The facts queued at one level of a [`Queue`].
enum Level {
    /// A stratum of one predicate: the queued rows, taken lowest first.
    /// `from` is the first word of `rows` that may hold one (a bitmap read
    /// from the last row taken costs nothing like a heap per fact).
    ByRow {
        pred: usize,
        rows: RowSet,
        from: usize,
    },
    /// Base facts, or a stratum of several predicates: taken in any order.
    AnyOrder(Vec<(usize, u32)>),
}

impl Queue {
    fn new(strata: &ox_ir::analysis::Strata, n: usize) -> Queue {
        let level_of = (0..n)
            .map(|p| {
                strata
                    .stratum_of
                    .get(p)
                    .copied()
                    .flatten()
                    .map_or(0, |s| s + 1)
            })
            .collect();
        let levels = std::iter::once(Level::AnyOrder(Vec::new()))
            .chain(strata.strata.iter().map(|stratum| match stratum.preds[..] {
                [pred] => Level::ByRow {
                    pred: pred.index(),
                    rows: RowSet::default(),
                    from: 0,
                },
                _ => Level::AnyOrder(Vec::new()),
            }))
            .collect();
        Queue {
            level_of,
            levels,
            lowest: 0,
        }
    }

    /// Queues `row` of `pred` (once: a row queued again before it is taken
    /// is taken once).
    fn push(&mut self, pred: usize, row: u32) {
        let level = self.level_of[pred];
        self.lowest = self.lowest.min(level);
        match &mut self.levels[level] {
            Level::ByRow { rows, from, .. } => {
                if rows.insert(row) {
                    *from = (*from).min(row as usize / 64);
                }
            }
            Level::AnyOrder(facts) => facts.push((pred, row)),
        }
    }

    fn pop(&mut self) -> Option<(usize, u32)> {
        while let Some(level) = self.levels.get_mut(self.lowest) {
            let taken = match level {
                Level::ByRow { pred, rows, from } => {
                    rows.take_lowest_from(from).map(|row| (*pred, row))
                }
                Level::AnyOrder(facts) => facts.pop(),
            };
            if taken.is_some() {
                return taken;
            }
            self.lowest += 1;
        }
        None
    }

    /// The lowest level holding a queued fact (its stratum + 1, 0 for
    /// base facts), if any.
    fn lowest_level(&mut self) -> Option<usize> {
        while let Some(level) = self.levels.get(self.lowest) {
            let empty = match level {
                Level::ByRow { rows, .. } => rows.is_empty(),
                Level::AnyOrder(facts) => facts.is_empty(),
            };
            if !empty {
                return Some(self.lowest);
            }
            self.lowest += 1;
        }
        None
    }

    /// The predicates with queued facts.
    fn preds(&self) -> Vec<usize> {
        let mut preds = Vec::new();
        for level in &self.levels[self.lowest.min(self.levels.len())..] {
            match level {
                Level::ByRow { pred, rows, .. } if !rows.is_empty() => preds.push(*pred),
                Level::ByRow { .. } => {}
                Level::AnyOrder(facts) => preds.extend(facts.iter().map(|&(p, _)| p)),
            }
        }
        preds
    }

    fn is_empty(&self) -> bool {
        self.levels.iter().all(|level| match level {
            Level::ByRow { rows, .. } => rows.is_empty(),
            Level::AnyOrder(facts) => facts.is_empty(),
        })
    }
}

#[cfg(test)]
mod tests {
    use ox_ir::analysis::{Strata, Stratum};
    use ox_ir::PredId;

    use super::Queue;

    /// Predicate 0 is a base predicate, 1 alone in stratum 0, 2 and 3
    /// together in stratum 1.
    fn queue() -> Queue {
        let strata = Strata {
            strata: vec![
                Stratum {
                    preds: vec![PredId(1)],
                    rules: vec![],
                    recursive: true,
                },
                Stratum {
                    preds: vec![PredId(2), PredId(3)],
                    rules: vec![],
                    recursive: true,
                },
            ],
            stratum_of: vec![None, Some(0), Some(1), Some(1)],
        };
        Queue::new(&strata, 4)
    }

    fn drain(queue: &mut Queue) -> Vec<(usize, u32)> {
        std::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn facts_come_out_by_level_and_a_single_predicate_stratum_by_row() {
        let mut queue = queue();
        for (pred, row) in [(2, 5), (1, 700), (3, 1), (1, 3), (0, 9), (1, 64), (1, 3)] {
            queue.push(pred, row);
        }
        let mut preds = queue.preds();
        preds.sort_unstable();
        preds.dedup();
        assert_eq!(preds, vec![0, 1, 2, 3]);
        let taken = drain(&mut queue);
        assert_eq!(taken[0], (0, 9));
        assert_eq!(&taken[1..4], &[(1, 3), (1, 64), (1, 700)]);
        let mut last: Vec<(usize, u32)> = taken[4..].to_vec();
        last.sort_unstable();
        assert_eq!(last, vec![(2, 5), (3, 1)]);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_row_queued_below_the_last_one_taken_is_still_taken() {
        let mut queue = queue();
        queue.push(1, 200);
        assert_eq!(queue.pop(), Some((1, 200)));
        queue.push(2, 0);
        queue.push(1, 7);
        queue.push(1, 300);
        assert_eq!(queue.pop(), Some((1, 7)));
        assert_eq!(queue.pop(), Some((1, 300)));
        // A lower level queued after a higher one was reached comes first.
        queue.push(0, 4);
        assert_eq!(drain(&mut queue), vec![(0, 4), (2, 0)]);
        assert!(queue.is_empty());
        assert_eq!(queue.pop(), None);
    }
}
