//! Executes one join plan: a depth-first nested join in which every atom after
//! the first is (normally) an index lookup on its bound columns.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use ox_ir::value::date_part;
use ox_ir::{AggKind, BinaryOp, Builtin, CmpOp, Duration, Expr, UnaryOp, Value, ValueError};

use crate::budget::Budget;
use crate::plan::{Access, AggregateStep, AtomStep, Lookup, Plan, Src, Step};
use crate::store::{key_of, Found, Id, Index, Interner, Keys, Relation, RowSet, RuleRun};
use crate::{EvalContext, EvalError};

/// Where complete bindings go.
pub(crate) enum Sink<'s> {
    /// A rule head: tuples new to the head's key set are staged.
    Head {
        pred: usize,
        /// The head's slot in [`Exec::keys`] / [`Exec::staged`].
        slot: usize,
        args: &'s [Src],
        /// With provenance: the variables the head does not determine,
        /// kept per derivation as its witness (the head tuple holds the rest).
        extras: &'s [u32],
    },
    /// A query: every binding of all variables (`UNBOUND` where unbound).
    Rows { out: &'s mut Vec<Vec<Id>> },
    /// Every head tuple `args` makes of a binding, back to back in `out`
    /// (repeats included), and how many there are.
    Tuples {
        args: &'s [Src],
        out: &'s mut Vec<Id>,
        count: &'s mut usize,
    },
    /// The first binding only, copied into `out` (which keeps its
    /// allocation from join to join): the join stops once it is found.
    First {
        out: &'s mut Vec<Id>,
        found: &'s mut bool,
    },
}

/// Tuples derived in one round for one head predicate: new and distinct,
/// they become rows `len..len + count` of the relation at commit.
#[derive(Default)]
pub(crate) struct Staged {
    pub data: Vec<Id>,
    pub count: usize,
    /// With provenance: the rules that derived the staged tuples, by runs …
    pub rules: Vec<RuleRun>,
    /// … and per staged tuple, the bindings of its rule's `extras`, padded
    /// to `stride` ids.
    pub kept: Vec<Id>,
    /// Ids kept per staged tuple: the most `extras` of a rule for the head.
    pub stride: usize,
}

/// No slot: the predicate is not being defined by the current round.
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// Marks a variable no literal bound (query results report it as `Null`).
pub(crate) const UNBOUND: Id = Id::MAX;

pub(crate) struct Exec<'a, 's> {
    pub steps: &'a [Step],
    pub rels: &'a [Arc<Relation>],
    /// The plan's index slots, resolved.
    pub indexes: &'a [Arc<Index>],
    /// Dictionary ids of the constant table.
    pub consts: &'a [Id],
    /// Per predicate: the first row of the current delta.
    pub delta_start: &'a [u32],
    pub dict: &'s mut Interner<'a>,
    /// Key sets of the predicates the round defines, taken out of their
    /// relations so head tuples can be deduplicated during the round (see
    /// [`Exec::flush`]); they cover the committed rows and the staged ones.
    pub keys: &'s mut [Keys],
    pub staged: &'s mut [Staged],
    /// Per predicate, its slot in `keys`/`staged`, or [`NO_SLOT`].
    pub slot_of: &'a [u32],
    pub env: Vec<Id>,
    pub budget: &'s mut Budget,
    pub ctx: &'a EvalContext,
    /// Names the rule in error messages.
    pub label: &'a str,
    pub sink: Sink<'s>,
    pub scratch: Vec<Id>,
    /// Head tuples derived but not yet deduplicated (see [`Exec::flush`]).
    pub pending: Pending,
    /// With provenance: the rule being run, whose bindings are kept as the
    /// witness of every new head tuple.
    pub witness: Option<u32>,
    /// Per predicate, rows the atoms must not read (facts being deleted).
    pub skip: Option<&'a [RowSet]>,
    /// Set when an atom passed over a row past the end of its range that
    /// it would otherwise have read (an `Old` range: a support check's
    /// earlier rows): a search that found nothing did not look everywhere.
    pub cut: bool,
}

/// Head tuples awaiting deduplication: `count` rows of the head's arity,
/// each followed, with provenance, by the bindings of the head's `extras`.
#[derive(Default)]
pub(crate) struct Pending {
    data: Vec<Id>,
    count: usize,
    /// Scratch for the tuples' keys during [`Exec::flush`].
    keys: Vec<u64>,
}

/// Head tuples are deduplicated in batches of this many.
const BATCH: usize = 1024;

/// Whether a plan can produce anything: no positive atom reads an empty range.
pub(crate) fn may_fire(plan: &Plan, rels: &[Arc<Relation>], delta_start: &[u32]) -> bool {
    plan.inputs.iter().all(|&(pred, access)| {
        let (lo, hi) = range(access, &rels[pred], delta_start, pred);
        lo < hi
    })
}

/// Whether a plan reads some predicate only up to a row short of its end
/// (an `Old` range that is not the whole relation).
pub(crate) fn reads_short(plan: &Plan, rels: &[Arc<Relation>], delta_start: &[u32]) -> bool {
    plan.inputs
        .iter()
        .any(|&(pred, access)| access == Access::Old && delta_start[pred] < rels[pred].len())
}

#[inline]
fn range(access: Access, rel: &Relation, delta_start: &[u32], pred: usize) -> (u32, u32) {
    match access {
        Access::Full => (0, rel.len()),
        Access::Old => (0, delta_start[pred]),
        Access::Delta => (delta_start[pred], rel.len()),
    }
}

/// How many rows of an index list a support check starts the next step's
/// lookups for (see [`Exec::prefetch_next_rows`]).
const PREFETCH_ROWS: usize = 8;

/// The widest tuple whose lookup [`Exec::prefetch_next_rows`] starts.
const PREFETCH_ARITY: usize = 4;

impl<'a, 's> Exec<'a, 's> {
    #[inline(always)]
    fn val(&self, src: Src) -> Id {
        match src {
            Src::Var(v) => self.env[v as usize],
            Src::Const(c) => self.consts[c as usize],
        }
    }

    pub(crate) fn run(&mut self, i: usize) -> Result<(), EvalError> {
        let steps = self.steps;
        let Some(step) = steps.get(i) else {
            return self.emit();
        };
        match step {
            Step::Atom(atom) => self.atom(atom, i),
            Step::Neg { pred, args } => {
                self.scratch.clear();
                for &src in args {
                    let id = self.val(src);
                    self.scratch.push(id);
                }
                if self.find(*pred, &self.scratch) == Found::Absent {
                    self.run(i + 1)?;
                }
                Ok(())
            }
            Step::Filter { op, left, right } => {
                let holds = {
                    let l = self.eval(left)?;
                    let r = self.eval(right)?;
                    compare(*op, &l, &r)
                };
                if holds.map_err(|e| self.value_error(e))? {
                    self.run(i + 1)?;
                }
                Ok(())
            }
            Step::Bind { var, expr } => {
                let value = self.eval(expr)?.into_owned();
                let id = self.dict.intern(value);
                self.env[*var as usize] = id;
                self.run(i + 1)
            }
            Step::Test { var, expr } => {
                let equal = {
                    let value = self.eval(expr)?;
                    self.dict.value(self.env[*var as usize]).equals(&value)
                };
                if equal {
                    self.run(i + 1)?;
                }
                Ok(())
            }
            Step::Aggregate(agg) => {
                let Some(value) = self.aggregate(agg)? else {
                    return Ok(());
                };
                if agg.test {
                    if !self
                        .dict
                        .value(self.env[agg.result as usize])
                        .equals(&value)
                    {
                        return Ok(());
                    }
                } else {
                    let id = self.dict.intern(value);
                    self.env[agg.result as usize] = id;
                }
                self.run(i + 1)
            }
        }
    }

    /// The value of an aggregate for the current bindings (its group):
    /// the nested plan's solutions, deduplicated on the variables it binds,
    /// folded by the aggregate's kind. `None` when it has no value (`min`,
    /// `max`, `avg` of no solution).
    fn aggregate(&mut self, agg: &'a AggregateStep) -> Result<Option<Value>, EvalError> {
        let mut rows: Vec<Vec<Id>> = Vec::new();
        {
            let mut nested = Exec {
                steps: &agg.steps,
                rels: self.rels,
                indexes: self.indexes,
                consts: self.consts,
                delta_start: self.delta_start,
                dict: &mut *self.dict,
                keys: &mut [],
                staged: &mut [],
                slot_of: &[],
                env: self.env.clone(),
                budget: &mut *self.budget,
                ctx: self.ctx,
                label: self.label,
                sink: Sink::Rows { out: &mut rows },
                scratch: Vec::new(),
                pending: Pending::default(),
                witness: None,
                skip: self.skip,
                cut: false,
            };
            nested.run(0)?;
            self.cut |= nested.cut;
        }
        let mut solutions: Vec<Vec<Id>> = rows
            .into_iter()
            .map(|env| agg.locals.iter().map(|&v| env[v as usize]).collect())
            .collect();
        solutions.sort_unstable();
        solutions.dedup();
        if agg.kind == AggKind::Count {
            return Ok(Some(Value::Nat(solutions.len() as u64)));
        }
        let Some(expr) = &agg.value else {
            return Err(EvalError::Unsupported(format!(
                "{}: `{}` needs a value to aggregate",
                self.label,
                agg.kind.name()
            )));
        };
        let mut acc: Option<Value> = None;
        for solution in &solutions {
            self.budget.tick()?;
            let value = {
                let mut env = self.env.clone();
                for (&v, &id) in agg.locals.iter().zip(solution) {
                    env[v as usize] = id;
                }
                let dict = &*self.dict;
                eval_expr(expr, &|v| dict.value(env[v as usize]), self.ctx)
                    .map(Cow::into_owned)
                    .map_err(|e| self.value_error(e))?
            };
            acc = Some(match acc {
                None => value,
                Some(acc) => match agg.kind {
                    AggKind::Sum | AggKind::Avg => acc.add(&value),
                    AggKind::Min => match value.compare(&acc) {
                        Ok(Ordering::Less) => Ok(value),
                        Ok(_) => Ok(acc),
                        Err(e) => Err(e),
                    },
                    AggKind::Max => match value.compare(&acc) {
                        Ok(Ordering::Greater) => Ok(value),
                        Ok(_) => Ok(acc),
                        Err(e) => Err(e),
                    },
                    AggKind::Count => Ok(acc),
                }
                .map_err(|e| self.value_error(e))?,
            });
        }
        Ok(match (agg.kind, acc) {
            (AggKind::Sum, None) => Some(agg.zero.clone().unwrap_or(Value::Int(0))),
            (AggKind::Avg, Some(sum)) => {
                let n = Value::Decimal(rust_decimal::Decimal::from(solutions.len() as u64));
                Some(sum.div(&n).map_err(|e| self.value_error(e))?)
            }
            (_, acc) => acc,
        })
    }

    #[inline(always)]
    fn bind_row(&mut self, atom: &AtomStep, row: &[Id]) -> bool {
        for &(col, var) in &atom.binds {
            self.env[var as usize] = row[col];
        }
        atom.eqs
            .iter()
            .all(|&(col, var)| row[col] == self.env[var as usize])
    }

    fn atom(&mut self, atom: &'a AtomStep, i: usize) -> Result<(), EvalError> {
        let rels: &'a [Arc<Relation>] = self.rels;
        let rel = &rels[atom.pred];
        let (lo, hi) = range(atom.access, rel, self.delta_start, atom.pred);
        if lo >= hi {
            return Ok(());
        }
        let rel_rows = rel.rows();
        match atom.lookup {
            Lookup::Scan => {
                // Rows past the range are not read (conservatively: any of
                // them might have matched).
                self.cut |= hi < rel.len();
                for r in lo..hi {
                    self.budget.tick()?;
                    if !rel.is_live(r) || self.skipped(atom.pred, r) {
                        continue;
                    }
                    let row = rel_rows.row(r);
                    if atom.bound.iter().all(|&(c, s)| row[c] == self.val(s))
                        && self.bind_row(atom, row)
                    {
                        self.run(i + 1)?;
                        if self.found_first() {
                            break;
                        }
                    }
                }
            }
            Lookup::Index(slot) => {
                let indexes: &'a [Arc<Index>] = self.indexes;
                let index: &'a Index = &indexes[slot];
                let key = key_of(atom.bound.len(), |k| self.val(atom.bound[k].1));
                let rows = index.rows(key);
                let start = if lo == 0 {
                    0
                } else {
                    rows.partition_point(|&r| r < lo)
                };
                let exact = index.exact();
                if self.skip.is_some() {
                    self.prefetch_next_rows(atom, i, &rows[start..], hi);
                }
                for &r in &rows[start..] {
                    if r >= hi {
                        self.cut |= rel.is_live(r);
                        break;
                    }
                    self.budget.tick()?;
                    if !rel.is_live(r) || self.skipped(atom.pred, r) {
                        continue;
                    }
                    let row = rel_rows.row(r);
                    if !exact && !atom.bound.iter().all(|&(c, s)| row[c] == self.val(s)) {
                        continue;
                    }
                    if self.bind_row(atom, row) {
                        self.run(i + 1)?;
                        if self.found_first() {
                            break;
                        }
                    }
                }
            }
            Lookup::Contains => {
                self.budget.tick()?;
                self.scratch.clear();
                for &(_, src) in &atom.bound {
                    let id = self.val(src);
                    self.scratch.push(id);
                }
                // A support check: unless every row qualifies, the row must
                // be in range and not being deleted, so look the row up
                // (one probe tells both whether the tuple is there and where).
                let needs_row = self
                    .skip
                    .is_some_and(|skip| lo != 0 || hi != rel.len() || !skip[atom.pred].is_empty());
                let hit = if needs_row {
                    let row = rel.row_of(&self.scratch);
                    self.cut |= row.is_some_and(|r| r >= hi);
                    row.is_some_and(|r| lo <= r && r < hi && !self.skipped(atom.pred, r))
                } else {
                    // A set without row numbers (arity <= 2) answers for all
                    // rows: reading more than the `Old` range is sound (it
                    // can only repeat a derivation), and `Delta` atoms never
                    // get here.
                    match self.find(atom.pred, &self.scratch) {
                        Found::Absent => false,
                        Found::Present(None) => true,
                        Found::Present(Some(r)) => {
                            self.cut |= r >= hi;
                            lo <= r && r < hi && !self.skipped(atom.pred, r)
                        }
                    }
                };
                if hit {
                    self.run(i + 1)?;
                }
            }
        }
        Ok(())
    }

    /// In a support check, where the step after index lookup `atom` (step
    /// `i`) looks a tuple up by its row, starts the lookups the first few
    /// of `rows` (below `hi`) will make: each misses the cache in a large
    /// relation, and one started early overlaps the others instead of
    /// waiting its turn.
    fn prefetch_next_rows(&self, atom: &AtomStep, i: usize, rows: &[u32], hi: u32) {
        let Some(Step::Atom(next)) = self.steps.get(i + 1) else {
            return;
        };
        if !matches!(next.lookup, Lookup::Contains) || next.bound.len() > PREFETCH_ARITY {
            return;
        }
        let rel = &self.rels[atom.pred];
        let rel_rows = rel.rows();
        let target = &self.rels[next.pred];
        let mut tuple = [0 as Id; PREFETCH_ARITY];
        for &r in rows.iter().take(PREFETCH_ROWS) {
            if r >= hi {
                break;
            }
            let row = rel_rows.row(r);
            for (slot, &(_, src)) in tuple.iter_mut().zip(&next.bound) {
                *slot = match src {
                    Src::Var(v) => match atom.binds.iter().find(|&&(_, var)| var == v) {
                        Some(&(col, _)) => row[col],
                        None => self.env[v as usize],
                    },
                    Src::Const(c) => self.consts[c as usize],
                };
            }
            target.prefetch_row_of(&tuple[..next.bound.len()]);
        }
    }

    /// A [`Sink::First`] that has its binding: every loop stops.
    #[inline(always)]
    fn found_first(&self) -> bool {
        matches!(&self.sink, Sink::First { found, .. } if **found)
    }

    #[inline(always)]
    fn skipped(&self, pred: usize, r: u32) -> bool {
        self.skip.is_some_and(|skip| skip[pred].contains(r))
    }

    /// Looks a tuple up in `pred`, through the round's key set when the
    /// round defines `pred`.
    fn find(&self, pred: usize, tuple: &[Id]) -> Found {
        let rel = &self.rels[pred];
        match self.slot_of.get(pred) {
            Some(&slot) if slot != NO_SLOT => {
                let (len, data) = (rel.len(), &self.staged[slot as usize].data);
                self.keys[slot as usize].find(tuple, |r| row_or_staged(rel, len, data, r))
            }
            _ => rel.find(tuple),
        }
    }

    fn emit(&mut self) -> Result<(), EvalError> {
        match &mut self.sink {
            Sink::Head { args, extras, .. } => {
                for &src in args.iter() {
                    self.pending.data.push(match src {
                        Src::Var(v) => self.env[v as usize],
                        Src::Const(c) => self.consts[c as usize],
                    });
                }
                if self.witness.is_some() {
                    for &v in extras.iter() {
                        self.pending.data.push(self.env[v as usize]);
                    }
                }
                self.pending.count += 1;
                if self.pending.count >= BATCH {
                    self.flush()?;
                }
            }
            Sink::Rows { out } => out.push(self.env.clone()),
            Sink::Tuples { args, out, count } => {
                for &src in args.iter() {
                    out.push(match src {
                        Src::Var(v) => self.env[v as usize],
                        Src::Const(c) => self.consts[c as usize],
                    });
                }
                **count += 1;
            }
            Sink::First { out, found } => {
                if !**found {
                    out.clear();
                    out.extend_from_slice(&self.env);
                    **found = true;
                }
            }
        }
        Ok(())
    }

    /// Deduplicates the pending head tuples against the head's key set and
    /// stages the new ones. Doing this in a tight loop rather than one probe
    /// per derivation inside the join lets the CPU overlap the probes'
    /// cache misses. Call once more after [`Exec::run`].
    pub(crate) fn flush(&mut self) -> Result<(), EvalError> {
        let Sink::Head {
            pred,
            slot,
            args,
            extras,
        } = &self.sink
        else {
            return Ok(());
        };
        let (arity, rel) = (args.len(), &self.rels[*pred]);
        let len = rel.len();
        let witness = self.witness;
        // A pending derivation: the head tuple, then the kept bindings.
        let step = arity + witness.map_or(0, |_| extras.len());
        let keys = &mut self.keys[*slot];
        let staged = &mut self.staged[*slot];
        let pending = &mut self.pending;
        let tuple = |k: usize| &pending.data[k * step..k * step + arity];
        let kept = |k: usize| &pending.data[k * step + arity..(k + 1) * step];
        // Compute every key, then probe with the slot of a later key
        // already on its way into the cache.
        const AHEAD: usize = 8;
        pending.keys.clear();
        pending
            .keys
            .extend((0..pending.count).map(|k| key_of(arity, |i| tuple(k)[i])));
        match keys {
            Keys::Small(set) => {
                // Room first: growing a large set moves every key, and the
                // inserts below would do it without looking at the deadline.
                set.reserve_own_within(pending.count, self.budget)?;
                for k in 0..pending.count {
                    if let Some(&later) = pending.keys.get(k + AHEAD) {
                        set.prefetch(later);
                    }
                    if set.insert(pending.keys[k], len + staged.count as u32) {
                        staged.stage(tuple(k), witness.map(|rule| (rule, kept(k))));
                    }
                }
            }
            Keys::Wide(wide) => {
                wide.reserve_own_within(pending.count, self.budget)?;
                for k in 0..pending.count {
                    if let Some(&later) = pending.keys.get(k + AHEAD) {
                        wide.prefetch(later);
                    }
                    let next = len + staged.count as u32;
                    let data = &staged.data;
                    let row = |r| row_or_staged(rel, len, data, r);
                    if wide.insert(pending.keys[k], tuple(k), next, row) {
                        staged.stage(tuple(k), witness.map(|rule| (rule, kept(k))));
                    }
                }
            }
        }
        pending.data.clear();
        pending.count = 0;
        Ok(())
    }

    fn value_error(&self, error: ValueError) -> EvalError {
        EvalError::Value {
            rule: self.label.to_string(),
            error,
        }
    }

    fn eval<'e>(&'e self, expr: &'e Expr) -> Result<Cow<'e, Value>, EvalError> {
        eval_expr(expr, &|v| self.dict.value(self.env[v as usize]), self.ctx)
            .map_err(|e| self.value_error(e))
    }
}

impl Staged {
    /// Stages a new head tuple, with its rule and kept bindings when
    /// provenance is recorded.
    #[inline(always)]
    fn stage(&mut self, tuple: &[Id], witness: Option<(u32, &[Id])>) {
        self.data.extend_from_slice(tuple);
        self.count += 1;
        if let Some((rule, kept)) = witness {
            self.stage_witness(rule, kept);
        }
    }

    /// Records the witness of the tuple just staged: its rule and the
    /// bindings of the rule's `extras`.
    #[inline]
    fn stage_witness(&mut self, rule: u32, kept: &[Id]) {
        match self.rules.last_mut() {
            Some((last, rows)) if *last == rule => *rows += 1,
            _ => self.rules.push((rule, 1)),
        }
        self.kept.extend_from_slice(kept);
        if kept.len() < self.stride {
            self.kept.resize(self.count * self.stride, 0);
        }
    }
}

/// Row `r` of a relation whose rows from `len` on are still staged in `data`.
#[inline]
fn row_or_staged<'r>(rel: &'r Relation, len: u32, data: &'r [Id], r: u32) -> &'r [Id] {
    if r < len {
        rel.row(r)
    } else {
        let arity = rel.arity().unwrap_or(0);
        let k = (r - len) as usize * arity;
        &data[k..k + arity]
    }
}

/// Whether `l op r` holds: `==`/`!=` by semantic equality (numbers by value,
/// different kinds unequal), orderings by [`Value::compare`] (an error for
/// incomparable kinds).
pub(crate) fn compare(op: CmpOp, l: &Value, r: &Value) -> Result<bool, ValueError> {
    Ok(match op {
        CmpOp::Eq => l.equals(r),
        CmpOp::Ne => !l.equals(r),
        CmpOp::Lt => l.compare(r)? == Ordering::Less,
        CmpOp::Le => l.compare(r)? != Ordering::Greater,
        CmpOp::Gt => l.compare(r)? == Ordering::Greater,
        CmpOp::Ge => l.compare(r)? != Ordering::Less,
    })
}

/// Evaluates a rule expression. `var` gives a bound variable's value.
pub(crate) fn eval_expr<'e>(
    expr: &'e Expr,
    var: &dyn Fn(u32) -> &'e Value,
    ctx: &EvalContext,
) -> Result<Cow<'e, Value>, ValueError> {
    Ok(match expr {
        Expr::Const(v) => Cow::Borrowed(v),
        Expr::Var(v) => Cow::Borrowed(var(v.0)),
        Expr::Unary { op, expr } => {
            let v = eval_expr(expr, var, ctx)?;
            Cow::Owned(match op {
                UnaryOp::Not => Value::Bool(!v.as_bool()?),
                UnaryOp::Neg => v.neg()?,
            })
        }
        Expr::Binary { op, left, right } => {
            let l = eval_expr(left, var, ctx)?;
            match op {
                BinaryOp::And | BinaryOp::Or => {
                    let lb = l.as_bool()?;
                    let short = matches!(op, BinaryOp::Or) == lb;
                    if short {
                        return Ok(Cow::Owned(Value::Bool(lb)));
                    }
                    return Ok(Cow::Owned(Value::Bool(
                        eval_expr(right, var, ctx)?.as_bool()?,
                    )));
                }
                _ => {}
            }
            let r = eval_expr(right, var, ctx)?;
            let cmp = |op| compare(op, &l, &r).map(Value::Bool);
            Cow::Owned(match op {
                BinaryOp::Add => l.add(&r)?,
                BinaryOp::Sub => l.sub(&r)?,
                BinaryOp::Mul => l.mul(&r)?,
                BinaryOp::Div => l.div(&r)?,
                BinaryOp::Rem => l.rem(&r)?,
                BinaryOp::Eq => cmp(CmpOp::Eq)?,
                BinaryOp::Ne => cmp(CmpOp::Ne)?,
                BinaryOp::Lt => cmp(CmpOp::Lt)?,
                BinaryOp::Le => cmp(CmpOp::Le)?,
                BinaryOp::Gt => cmp(CmpOp::Gt)?,
                BinaryOp::Ge => cmp(CmpOp::Ge)?,
                BinaryOp::In | BinaryOp::NotIn => {
                    let found = match &*r {
                        Value::List(items) => items.iter().any(|x| x.equals(&l)),
                        Value::Map(pairs) => pairs.iter().any(|(k, _)| k.equals(&l)),
                        other => {
                            return Err(ValueError::Type(format!(
                                "`in` needs a list, set or map, found {}",
                                other.kind_name()
                            )))
                        }
                    };
                    Value::Bool(found == matches!(op, BinaryOp::In))
                }
                BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
            })
        }
        Expr::Builtin { builtin, args } => {
            let arg = |i: usize| -> Result<Cow<'e, Value>, ValueError> {
                let e = args.get(i).ok_or_else(|| {
                    ValueError::Type(format!("builtin {builtin:?} is missing argument {i}"))
                })?;
                eval_expr(e, var, ctx)
            };
            Cow::Owned(match builtin {
                Builtin::Today => Value::Date(ctx.today),
                Builtin::Now => Value::DateTime(ctx.now),
                Builtin::DurationOf(unit) => {
                    let n = match &*arg(0)? {
                        Value::Int(n) => *n,
                        Value::Nat(n) => i64::try_from(*n)
                            .map_err(|_| ValueError::Overflow(format!("{n}.{unit}")))?,
                        other => {
                            return Err(ValueError::Type(format!(
                                "`.{unit}` needs an integer, found {}",
                                other.kind_name()
                            )))
                        }
                    };
                    Value::Duration(Duration::from_unit(n, unit)?)
                }
                Builtin::DatePart(part) => date_part(&*arg(0)?, part)?,
                Builtin::Len => match &*arg(0)? {
                    Value::List(items) => Value::Nat(items.len() as u64),
                    Value::Map(pairs) => Value::Nat(pairs.len() as u64),
                    Value::String(s) => Value::Nat(s.chars().count() as u64),
                    other => {
                        return Err(ValueError::Type(format!(
                            "`len` needs a list, set, map or string, found {}",
                            other.kind_name()
                        )))
                    }
                },
                Builtin::IsSome
                | Builtin::IsNone
                | Builtin::Keys
                | Builtin::Values
                | Builtin::UnwrapOr => {
                    return Err(ValueError::Type(format!(
                        "{builtin:?} is not supported in rules"
                    )))
                }
            })
        }
        other => {
            return Err(ValueError::Type(format!(
                "expression {other:?} is not supported in rules"
            )))
        }
    })
}
