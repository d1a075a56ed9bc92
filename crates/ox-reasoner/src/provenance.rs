//! Provenance: stable fact ids and explanations.
//!
//! A fact id hashes the predicate's path and a canonical encoding of the
//! argument values, so the same fact has the same id in every process.
//! [`Program::explain`] turns the witnesses recorded during evaluation
//! ([`crate::EvalOptions::provenance`]) into a proof DAG, or re-matches the
//! rule bodies against the fixpoint to list every derivation.

use std::fmt;

use ox_ir::{AggKind, Literal, PredId, RuleOrigin, Term, Value, VarId};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::budget::Budget;
use crate::plan::Src;
use crate::store::Id;
use crate::{EvalContext, EvalError, FactStore, Program};

/// A stable fact id: `f-` followed by 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactId(pub String);

impl fmt::Display for FactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of the fact `path(values…)`: SHA-256 over the predicate path and
/// a canonical encoding of the values (decimals normalised, so `1.50` and
/// `1.5` — equal values — give one id), truncated to 128 bits.
pub fn fact_id(path: &str, values: &[Value]) -> FactId {
    let mut bytes = Vec::with_capacity(16 + path.len() + 9 * values.len());
    put_str(&mut bytes, path);
    bytes.extend_from_slice(&(values.len() as u64).to_be_bytes());
    for v in values {
        encode(&mut bytes, v);
    }
    let digest = Sha256::digest(&bytes);
    FactId(format!("f-{}", hex::encode(&digest[..16])))
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_values(out: &mut Vec<u8>, values: &[Value]) {
    out.extend_from_slice(&(values.len() as u64).to_be_bytes());
    for v in values {
        encode(out, v);
    }
}

/// A tag byte per kind, then a self-delimiting payload.
fn encode(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Nat(n) => {
            out.push(2);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Value::Int(n) => {
            out.push(3);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Value::Decimal(d) => {
            out.push(4);
            put_str(out, &d.normalize().to_string());
        }
        Value::Money(m) => {
            out.push(5);
            put_str(out, &m.amount.normalize().to_string());
            put_str(out, m.currency.as_deref().unwrap_or(""));
        }
        Value::String(s) => {
            out.push(6);
            put_str(out, s);
        }
        Value::Date(d) => {
            out.push(7);
            put_str(out, &d.to_string());
        }
        Value::DateTime(t) => {
            out.push(8);
            out.extend_from_slice(&t.timestamp().to_be_bytes());
            out.extend_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
        }
        Value::Duration(d) => {
            out.push(9);
            for part in [d.months, d.days, d.seconds] {
                out.extend_from_slice(&part.to_be_bytes());
            }
        }
        Value::Ref(id) => {
            out.push(10);
            put_str(out, id);
        }
        Value::Struct(id, fields) => {
            out.push(11);
            out.extend_from_slice(&id.0.to_be_bytes());
            put_values(out, fields);
        }
        Value::Enum(id, variant, payload) => {
            out.push(12);
            out.extend_from_slice(&id.0.to_be_bytes());
            out.extend_from_slice(&variant.to_be_bytes());
            put_values(out, payload);
        }
        Value::List(items) => {
            out.push(13);
            put_values(out, items);
        }
        Value::Map(pairs) => {
            out.push(14);
            out.extend_from_slice(&(pairs.len() as u64).to_be_bytes());
            for (k, v) in pairs {
                encode(out, k);
                encode(out, v);
            }
        }
    }
}

/// The fact to explain: by predicate and values, or by fact id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactRef {
    Tuple(PredId, Vec<Value>),
    Id(FactId),
}

/// Options of [`Program::explain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExplainOptions {
    /// Expand premises down to this depth (the explained fact is depth 0);
    /// `None` expands down to the base facts.
    pub depth: Option<u32>,
    /// List every derivation (re-matching the rule bodies against the
    /// fixpoint) instead of the one recorded witness.
    pub all: bool,
}

/// What a node of a proof says about its fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactStatus {
    /// A given fact (asserted, not derived).
    Base,
    /// Derived by the rules; see [`ProofNode::derivations`].
    Derived,
    /// A negated premise: the fact does not hold; `stratum` is the stratum
    /// whose complete result was checked (`None` for a predicate without rules).
    Absent { stratum: Option<usize> },
    /// The fact asked about does not hold.
    NotHeld,
    /// The fact is neither true nor false under the well-founded semantics
    /// (it depends on itself through negation); it has no proof.
    Undefined,
}

/// One derivation of a fact: the rule, its bindings, and its premises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derivation {
    /// Index of the rule in the module's rules.
    pub rule_index: usize,
    pub origin: RuleOrigin,
    /// The rule's description, e.g. ``derive `path` clause 1 (rule 1)``.
    pub rule: String,
    /// The rule's variables (by source name) and their values.
    pub bindings: Vec<(String, Value)>,
    /// Node indices of the premises in body order: positive atoms (facts
    /// that hold) and negated atoms (nodes with [`FactStatus::Absent`]).
    pub premises: Vec<usize>,
    /// The body's aggregates in body order, each with its witness set.
    pub aggregates: Vec<AggregateWitness>,
}

/// At most this many contributing facts of an aggregate are listed (the
/// count of all of them is always given).
pub const AGGREGATE_WITNESS_CAP: usize = 20;

/// What an aggregate of a rule body computed for one derivation: its value
/// for the group, and the facts that contributed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateWitness {
    pub kind: AggKind,
    /// The aggregate's value (the result variable's binding).
    pub value: Value,
    /// The group key: the grouping variables (by source name) and values.
    pub group: Vec<(String, Value)>,
    /// Number of distinct solutions of the aggregated body (what `count`
    /// counts and the other kinds fold).
    pub solutions: usize,
    /// Node indices of the contributing facts (the positive atoms of the
    /// solutions), sorted by fact id, at most [`AGGREGATE_WITNESS_CAP`].
    pub contributors: Vec<usize>,
    /// Number of distinct contributing facts, listed or not.
    pub contributor_count: usize,
    /// Whether some contributing facts are left out of `contributors`.
    pub truncated: bool,
}

/// One fact of a proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofNode {
    pub id: FactId,
    pub pred: PredId,
    /// The predicate's name.
    pub predicate: String,
    pub tuple: Vec<Value>,
    pub status: FactStatus,
    /// The recorded witness (one), or every derivation with
    /// [`ExplainOptions::all`]; empty for base, absent and truncated nodes.
    pub derivations: Vec<Derivation>,
    /// A derived fact at the depth limit: its derivations were not expanded.
    pub truncated: bool,
}

/// An explanation: facts as nodes, premises as edges. Witness proofs are
/// acyclic (each premise has a smaller height); with
/// [`ExplainOptions::all`], recursive rules may make the graph cyclic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofDag {
    /// The node of the explained fact (always 0).
    pub root: usize,
    pub nodes: Vec<ProofNode>,
}

impl ProofDag {
    /// Every premise edge `(fact, premise)` as node indices, deduplicated
    /// and sorted; the listed contributors of an aggregate count as premises.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut edges: Vec<(usize, usize)> = self
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| {
                n.derivations.iter().flat_map(move |d| {
                    let contributors = d.aggregates.iter().flat_map(|a| &a.contributors);
                    d.premises.iter().chain(contributors).map(move |&p| (i, p))
                })
            })
            .collect();
        edges.sort_unstable();
        edges.dedup();
        edges
    }

    /// The height of the root's proof: 0 for a base fact, else one more
    /// than its highest premise (following the first derivation of every
    /// node; `None` when a node on the way is truncated or the graph is cyclic).
    pub fn height(&self) -> Option<u32> {
        let mut memo: Vec<Option<Option<u32>>> = vec![None; self.nodes.len()];
        self.height_of(self.root, &mut memo, 0)
    }

    fn height_of(&self, n: usize, memo: &mut [Option<Option<u32>>], depth: usize) -> Option<u32> {
        if depth > self.nodes.len() {
            return None;
        }
        if let Some(h) = memo[n] {
            return h;
        }
        let node = &self.nodes[n];
        let h = match (&node.status, node.derivations.first()) {
            (FactStatus::Base | FactStatus::Absent { .. }, _) => Some(0),
            (_, _) if node.truncated => None,
            (FactStatus::Derived, Some(d)) => {
                let mut max = 0;
                for &p in &d.premises {
                    max = max.max(self.height_of(p, memo, depth + 1)?);
                }
                Some(max + 1)
            }
            _ => None,
        };
        memo[n] = Some(h);
        h
    }
}

impl Program {
    /// The stable id of `pred(tuple…)` (see [`fact_id`]).
    pub fn fact_id(&self, pred: PredId, tuple: &[Value]) -> FactId {
        let path = self
            .pred_paths
            .get(pred.index())
            .cloned()
            .unwrap_or_else(|| format!("#{}", pred.0));
        fact_id(&path, tuple)
    }

    /// The fact of `facts` whose id is `id`, if any (hashes the facts one by
    /// one until it finds it).
    pub fn find_fact(&self, facts: &FactStore, id: &FactId) -> Option<(PredId, Vec<Value>)> {
        for (p, rel) in facts.rels.iter().enumerate() {
            let pred = PredId(p as u32);
            for r in (0..rel.len()).filter(|&r| rel.is_live(r)) {
                let tuple: Vec<Value> = rel
                    .row(r)
                    .iter()
                    .map(|&v| facts.dict.value(v).clone())
                    .collect();
                if self.fact_id(pred, &tuple) == *id {
                    return Some((pred, tuple));
                }
            }
        }
        None
    }

    /// Explains why a fact holds in `facts` (a fixpoint of this program):
    /// a proof DAG of the recorded witnesses (a lookup per node; the
    /// fixpoint must have been evaluated with provenance, otherwise derived
    /// facts show no derivation), or with [`ExplainOptions::all`] every
    /// derivation, found by re-matching the rule bodies against `facts`.
    ///
    /// A fact that does not hold gives a single [`FactStatus::NotHeld`]
    /// node; an unknown fact id gives [`EvalError::Unsupported`].
    pub fn explain(
        &self,
        facts: &FactStore,
        target: &FactRef,
        options: ExplainOptions,
        ctx: &EvalContext,
    ) -> Result<ProofDag, EvalError> {
        let (pred, tuple) = match target {
            FactRef::Tuple(pred, tuple) => (*pred, tuple.clone()),
            FactRef::Id(id) => self
                .find_fact(facts, id)
                .ok_or_else(|| EvalError::Unsupported(format!("no fact has the id {id}")))?,
        };
        let mut builder = Builder {
            program: self,
            facts,
            options,
            ctx,
            budget: Budget::new(ctx.deadline),
            nodes: Vec::new(),
            seen: FxHashMap::default(),
            closure_paths: FxHashMap::default(),
        };
        let root = builder.node(pred, tuple, false)?;
        if builder.nodes[root].status != FactStatus::Derived {
            if matches!(builder.nodes[root].status, FactStatus::Absent { .. }) {
                builder.nodes[root].status = FactStatus::NotHeld;
            }
            return Ok(ProofDag {
                root,
                nodes: builder.nodes,
            });
        }
        let mut queue = std::collections::VecDeque::from([(root, 0u32)]);
        while let Some((n, depth)) = queue.pop_front() {
            builder.budget.check()?;
            if builder.nodes[n].status != FactStatus::Derived {
                continue;
            }
            if options.depth.is_some_and(|limit| depth >= limit) {
                builder.nodes[n].truncated = true;
                continue;
            }
            let fresh_from = builder.nodes.len();
            builder.expand(n)?;
            for m in fresh_from..builder.nodes.len() {
                queue.push_back((m, depth + 1));
            }
        }
        Ok(ProofDag {
            root,
            nodes: builder.nodes,
        })
    }
}

struct Builder<'p> {
    program: &'p Program,
    facts: &'p FactStore,
    options: ExplainOptions,
    ctx: &'p EvalContext,
    budget: Budget,
    nodes: Vec<ProofNode>,
    seen: FxHashMap<(PredId, Vec<Value>, bool), usize>,
    /// Per closure predicate whose witnesses no longer hold, the shortest
    /// paths searched so far (see [`Builder::closure_derivation`]).
    closure_paths: FxHashMap<usize, crate::closure::ShortestPaths>,
}

impl Builder<'_> {
    /// The node of `pred(tuple)` (added when new). `negated` nodes stand for
    /// a negated premise.
    fn node(&mut self, pred: PredId, tuple: Vec<Value>, negated: bool) -> Result<usize, EvalError> {
        let key = (pred, tuple, negated);
        if let Some(&n) = self.seen.get(&key) {
            return Ok(n);
        }
        let (pred, tuple, _) = key.clone();
        let status = if negated {
            FactStatus::Absent {
                stratum: self
                    .program
                    .strata
                    .stratum_of
                    .get(pred.index())
                    .copied()
                    .flatten(),
            }
        } else {
            match self.row(pred, &tuple)? {
                None if self.facts.is_undefined(pred, &tuple) => FactStatus::Undefined,
                None => FactStatus::Absent { stratum: None },
                Some(r) if self.facts.rels[pred.index()].is_base(r) => FactStatus::Base,
                Some(_) => FactStatus::Derived,
            }
        };
        let n = self.nodes.len();
        self.nodes.push(ProofNode {
            id: self.program.fact_id(pred, &tuple),
            pred,
            predicate: self
                .program
                .pred_names
                .get(pred.index())
                .cloned()
                .unwrap_or_else(|| format!("#{}", pred.0)),
            tuple,
            status,
            derivations: Vec::new(),
            truncated: false,
        });
        self.seen.insert(key, n);
        Ok(n)
    }

    /// The row of `pred(tuple)`, if held (the relation's rows are recorded
    /// first, within the deadline).
    fn row(&self, pred: PredId, tuple: &[Value]) -> Result<Option<u32>, EvalError> {
        let Some(rel) = self.facts.rels.get(pred.index()) else {
            return Ok(None);
        };
        let Some(ids) = tuple
            .iter()
            .map(|v| self.facts.dict.get(v))
            .collect::<Option<Vec<Id>>>()
        else {
            return Ok(None);
        };
        rel.record_rows(&self.budget)?;
        Ok(rel.row_of(&ids))
    }

    /// Fills in the derivations of node `n` (a derived fact).
    fn expand(&mut self, n: usize) -> Result<(), EvalError> {
        let (pred, tuple) = (self.nodes[n].pred, self.nodes[n].tuple.clone());
        let mut found: Vec<(usize, Vec<Value>)> = Vec::new();
        if self.options.all {
            for (r, rule) in self.program.source.iter().enumerate() {
                if rule.head.pred != pred {
                    continue;
                }
                let Some(seed) = seed_from_head(&rule.head.args, &tuple, rule.var_count) else {
                    continue;
                };
                for env in
                    self.program
                        .solve(self.facts, &rule.body, rule.var_count, &seed, self.ctx)?
                {
                    found.push((r, env));
                }
            }
        } else if let Some(row) = self.row(pred, &tuple)? {
            let rel = &self.facts.rels[pred.index()];
            if rel.witnesses.is_some() && !rel.rows_follow_derivations() {
                found.extend(self.closure_derivation(pred, row)?);
                return self.add_derivations(n, found);
            }
            let witness = rel.witnesses.as_ref().and_then(|w| w.get(row));
            if let Some((rule, kept)) = witness {
                if let Some(compiled) = self.program.rules.get(rule as usize) {
                    let env = witness_bindings(&compiled.layout, rel.row(row), kept)
                        .map(|id| self.facts.dict.value(id).clone())
                        .collect();
                    found.push((rule as usize, env));
                }
            }
        }
        self.add_derivations(n, found)
    }

    /// Adds to node `n` one derivation per (rule, bindings) of `found`.
    fn add_derivations(
        &mut self,
        n: usize,
        found: Vec<(usize, Vec<Value>)>,
    ) -> Result<(), EvalError> {
        for (r, env) in found {
            self.budget.check()?;
            let derivation = self.derivation(r, &env)?;
            self.nodes[n].derivations.push(derivation);
        }
        Ok(())
    }

    /// The derivation of the pair at `row` of a closure updated by
    /// reachability, whose rows (and witnesses) no longer follow their
    /// derivations: one along a shortest path of the edges present, which
    /// is of minimal height (see `crate::closure`).
    fn closure_derivation(
        &mut self,
        pred: PredId,
        row: u32,
    ) -> Result<Option<(usize, Vec<Value>)>, EvalError> {
        let closure = self.program.strata.stratum_of[pred.index()]
            .and_then(|s| self.program.closures[s])
            .filter(|c| c.pred == pred.index());
        let Some(closure) = closure else {
            return Ok(None);
        };
        let pair = self.facts.rels[pred.index()].row(row);
        let (from, to) = (pair[0], pair[1]);
        let paths = self.closure_paths.entry(pred.index()).or_default();
        let derivation = closure.derivation(
            self.facts,
            &self.program.source,
            paths,
            (from, to),
            &self.budget,
        )?;
        Ok(derivation.map(|(rule, env)| {
            let env = env
                .into_iter()
                .map(|id| id.map_or(Value::Null, |id| self.facts.dict.value(id).clone()))
                .collect();
            (rule, env)
        }))
    }

    fn derivation(&mut self, r: usize, env: &[Value]) -> Result<Derivation, EvalError> {
        let rule = &self.program.source[r];
        let value = |t: &Term| match t {
            Term::Var(v) => env.get(v.0 as usize).cloned().unwrap_or(Value::Null),
            Term::Const(c) => c.clone(),
        };
        let mut premises = Vec::new();
        let mut aggregates = Vec::new();
        let mut used = vec![false; rule.var_count as usize];
        for literal in &rule.body {
            let (atom, negated) = match literal {
                Literal::Pos(a) => (a, false),
                Literal::Neg(a) => (a, true),
                Literal::Aggregate {
                    result,
                    kind,
                    group_by,
                    body,
                    ..
                } => {
                    mark_literal_vars(literal, &mut used);
                    let aggregate = AggregateLiteral {
                        result: *result,
                        kind: *kind,
                        group_by,
                        body,
                        var_count: rule.var_count,
                        var_names: &rule.var_names,
                    };
                    aggregates.push(self.aggregate_witness(&aggregate, env)?);
                    continue;
                }
                Literal::Compare { .. } | Literal::Bind { .. } => {
                    mark_literal_vars(literal, &mut used);
                    continue;
                }
            };
            mark_literal_vars(literal, &mut used);
            let tuple = atom.args.iter().map(value).collect();
            let pred = self.program.unshadow(atom.pred);
            premises.push(self.node(pred, tuple, negated)?);
        }
        let bindings = (0..rule.var_count as usize)
            .filter(|&v| used[v])
            .map(|v| {
                (
                    rule.var_names
                        .get(v)
                        .cloned()
                        .unwrap_or_else(|| format!("v{v}")),
                    env.get(v).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        Ok(Derivation {
            rule_index: self.program.rule_source.get(r).copied().unwrap_or(r),
            origin: rule.origin.clone(),
            rule: self.program.labels[r].clone(),
            bindings,
            premises,
            aggregates,
        })
    }

    /// Re-matches an aggregate's body for the group of `env` and collects
    /// the facts its solutions read (as nodes, so they are explained too).
    fn aggregate_witness(
        &mut self,
        aggregate: &AggregateLiteral<'_>,
        env: &[Value],
    ) -> Result<AggregateWitness, EvalError> {
        let binding = |v: VarId| env.get(v.0 as usize).cloned().unwrap_or(Value::Null);
        let mut seed: Vec<Option<Value>> = vec![None; aggregate.var_count as usize];
        for &v in aggregate.group_by {
            if let Some(slot) = seed.get_mut(v.0 as usize) {
                *slot = Some(binding(v));
            }
        }
        let mut solutions = self.program.solve(
            self.facts,
            aggregate.body,
            aggregate.var_count,
            &seed,
            self.ctx,
        )?;
        solutions.sort_unstable();
        solutions.dedup();
        let mut facts: Vec<(FactId, PredId, Vec<Value>)> = Vec::new();
        for solution in &solutions {
            self.budget.check()?;
            for literal in aggregate.body {
                let Literal::Pos(atom) = literal else {
                    continue;
                };
                let tuple: Vec<Value> = atom
                    .args
                    .iter()
                    .map(|t| match t {
                        Term::Var(v) => solution.get(v.0 as usize).cloned().unwrap_or(Value::Null),
                        Term::Const(c) => c.clone(),
                    })
                    .collect();
                let pred = self.program.unshadow(atom.pred);
                facts.push((self.program.fact_id(pred, &tuple), pred, tuple));
            }
        }
        facts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        facts.dedup_by(|a, b| a.0 == b.0);
        let contributor_count = facts.len();
        let contributors = facts
            .into_iter()
            .take(AGGREGATE_WITNESS_CAP)
            .map(|(_, pred, tuple)| self.node(pred, tuple, false))
            .collect::<Result<_, _>>()?;
        let group = aggregate
            .group_by
            .iter()
            .map(|&v| (var_name(aggregate.var_names, v), binding(v)))
            .collect();
        Ok(AggregateWitness {
            kind: aggregate.kind,
            value: binding(aggregate.result),
            group,
            solutions: solutions.len(),
            contributors,
            contributor_count,
            truncated: contributor_count > AGGREGATE_WITNESS_CAP,
        })
    }
}

/// The parts of an aggregate literal a witness needs, with its rule's variables.
struct AggregateLiteral<'r> {
    result: VarId,
    kind: AggKind,
    group_by: &'r [VarId],
    body: &'r [Literal],
    var_count: u32,
    var_names: &'r [String],
}

/// A variable's source name (`v<n>` when it has none).
fn var_name(names: &[String], v: VarId) -> String {
    names
        .get(v.0 as usize)
        .cloned()
        .unwrap_or_else(|| format!("v{}", v.0))
}

/// The firings of lowered rules for given head tuples, their premises
/// gathered as nodes of one table (conflict reports list rules side by side).
pub(crate) struct Firings<'p> {
    builder: Builder<'p>,
}

impl<'p> Firings<'p> {
    pub(crate) fn new(program: &'p Program, facts: &'p FactStore, ctx: &'p EvalContext) -> Self {
        Firings {
            builder: Builder {
                program,
                facts,
                options: ExplainOptions::default(),
                ctx,
                budget: Budget::new(ctx.deadline),
                nodes: Vec::new(),
                seen: FxHashMap::default(),
                closure_paths: FxHashMap::default(),
            },
        }
    }

    /// The first firing of lowered rule `rule` that concludes `tuple`
    /// (re-matching its body), if its body holds for it.
    pub(crate) fn firing(
        &mut self,
        rule: usize,
        tuple: &[Value],
    ) -> Result<Option<Derivation>, EvalError> {
        let program = self.builder.program;
        let Some(source) = program.source.get(rule) else {
            return Ok(None);
        };
        let Some(seed) = seed_from_head(&source.head.args, tuple, source.var_count) else {
            return Ok(None);
        };
        let envs = program.solve(
            self.builder.facts,
            &source.body,
            source.var_count,
            &seed,
            self.builder.ctx,
        )?;
        match envs.first() {
            Some(env) => Ok(Some(self.builder.derivation(rule, env)?)),
            None => Ok(None),
        }
    }

    /// The premise nodes of every firing so far.
    pub(crate) fn into_nodes(self) -> Vec<ProofNode> {
        self.builder.nodes
    }
}

fn mark_literal_vars(literal: &Literal, used: &mut [bool]) {
    let mut vars = Vec::new();
    match literal {
        Literal::Pos(a) | Literal::Neg(a) => {
            for t in &a.args {
                if let Term::Var(v) = t {
                    vars.push(*v);
                }
            }
        }
        Literal::Compare { left, right, .. } => {
            ox_ir::analysis::expr_vars(left, &mut vars);
            ox_ir::analysis::expr_vars(right, &mut vars);
        }
        Literal::Bind { var, expr } => {
            vars.push(*var);
            ox_ir::analysis::expr_vars(expr, &mut vars);
        }
        // The result and the group; the aggregated body's variables are local.
        Literal::Aggregate {
            result, group_by, ..
        } => {
            vars.push(*result);
            vars.extend(group_by.iter().copied());
        }
    }
    for v in vars {
        if let Some(u) = used.get_mut(v.0 as usize) {
            *u = true;
        }
    }
}

/// Where a witness finds a rule variable's value: a column of the derived
/// row, or one of the bindings kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarAt {
    Head(u32),
    Kept(u32),
}

/// How a rule's witnesses are laid out: the variables its head does not
/// determine (kept per derived fact, in this order), and for each of the
/// rule's `var_count` variables where its value is found. A variable
/// repeated in the head is read from its first column; constants in the
/// head bind nothing.
pub(crate) fn witness_layout(head: &[Src], var_count: usize) -> (Vec<u32>, Vec<VarAt>) {
    let mut kept = Vec::new();
    let layout = (0..var_count as u32)
        .map(|v| match head.iter().position(|s| *s == Src::Var(v)) {
            Some(c) => VarAt::Head(c as u32),
            None => {
                kept.push(v);
                VarAt::Kept(kept.len() as u32 - 1)
            }
        })
        .collect();
    (kept, layout)
}

/// The bindings of all of a rule's variables at a recorded derivation,
/// restored from the derived row and the ids kept beside it.
pub(crate) fn witness_bindings<'w>(
    layout: &'w [VarAt],
    row: &'w [Id],
    kept: &'w [Id],
) -> impl Iterator<Item = Id> + 'w {
    layout.iter().map(|at| match *at {
        VarAt::Head(c) => row[c as usize],
        VarAt::Kept(k) => kept[k as usize],
    })
}

/// Seeds the head's variables with the fact's values; `None` when the head
/// cannot produce the fact (a constant or a repeated variable disagrees).
pub(crate) fn seed_from_head(
    head: &[Term],
    tuple: &[Value],
    var_count: u32,
) -> Option<Vec<Option<Value>>> {
    if head.len() != tuple.len() {
        return None;
    }
    let mut seed: Vec<Option<Value>> = vec![None; var_count as usize];
    for (term, value) in head.iter().zip(tuple) {
        match term {
            Term::Const(c) if c != value => return None,
            Term::Const(_) => {}
            Term::Var(v) => {
                let slot = seed.get_mut(v.0 as usize)?;
                match slot {
                    Some(bound) if bound != value => return None,
                    _ => *slot = Some(value.clone()),
                }
            }
        }
    }
    Some(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn fact_ids_are_stable_and_distinguish_kinds() {
        let a = fact_id("m::edge", &[Value::Int(1), Value::Int(2)]);
        assert_eq!(a, fact_id("m::edge", &[Value::Int(1), Value::Int(2)]));
        assert!(a.0.starts_with("f-"));
        assert_eq!(a.0.len(), 34);
        assert_ne!(a, fact_id("m::edge", &[Value::Int(2), Value::Int(1)]));
        assert_ne!(a, fact_id("m::path", &[Value::Int(1), Value::Int(2)]));
        assert_ne!(
            fact_id("p", &[Value::Int(1)]),
            fact_id("p", &[Value::Nat(1)])
        );
        assert_ne!(
            fact_id(
                "p",
                &[Value::String("ab".into()), Value::String("c".into())]
            ),
            fact_id(
                "p",
                &[Value::String("a".into()), Value::String("bc".into())]
            )
        );
        // Equal decimals, written differently, are one fact.
        let one_five = Decimal::new(15, 1);
        let one_fifty = Decimal::new(150, 2);
        assert_eq!(
            fact_id("p", &[Value::Decimal(one_five)]),
            fact_id("p", &[Value::Decimal(one_fifty)])
        );
    }

    #[test]
    fn fact_id_is_fixed_across_processes() {
        // A golden value: the encoding and the hash must never change.
        let golden = fact_id("tc::edge", &[Value::Int(1), Value::Int(2)]);
        assert_eq!(golden.0, GOLDEN_EDGE_1_2);
    }

    /// SHA-256 of the documented encoding, computed independently.
    const GOLDEN_EDGE_1_2: &str = "f-c8cfbe526a2c423a500d5480569b3e9b";

    #[test]
    fn witness_bindings_restore_head_variables() {
        // p(x, 5, x, y) :- … with variables x = 0, y = 1, z = 2, w = 3:
        // a constant and a repeated variable in the head, two variables
        // (z, w) only in the body.
        let head = [Src::Var(0), Src::Const(0), Src::Var(0), Src::Var(1)];
        let (kept_vars, layout) = witness_layout(&head, 4);
        assert_eq!(kept_vars, vec![2, 3]);
        assert_eq!(
            layout,
            vec![
                VarAt::Head(0),
                VarAt::Head(3),
                VarAt::Kept(0),
                VarAt::Kept(1)
            ]
        );
        let row = [10, 5, 10, 11];
        let kept = [12, 13];
        let env: Vec<Id> = witness_bindings(&layout, &row, &kept).collect();
        assert_eq!(env, vec![10, 11, 12, 13]);
        // A witness padded to a wider stride reads only its own ids.
        let padded = [12, 13, 0];
        let env: Vec<Id> = witness_bindings(&layout, &row, &padded).collect();
        assert_eq!(env, vec![10, 11, 12, 13]);
        // A head holding every variable keeps nothing.
        let (kept_vars, layout) = witness_layout(&[Src::Var(1), Src::Var(0)], 2);
        assert!(kept_vars.is_empty());
        let env: Vec<Id> = witness_bindings(&layout, &[7, 8], &[]).collect();
        assert_eq!(env, vec![8, 7]);
    }

    #[test]
    fn seeding_respects_constants_and_repeats() {
        let x = Term::Var(ox_ir::VarId(0));
        let c = Term::Const(Value::Int(5));
        assert_eq!(
            seed_from_head(&[x.clone(), c.clone()], &[Value::Int(1), Value::Int(5)], 1),
            Some(vec![Some(Value::Int(1))])
        );
        assert_eq!(
            seed_from_head(&[x.clone(), c], &[Value::Int(1), Value::Int(6)], 1),
            None
        );
        assert_eq!(
            seed_from_head(&[x.clone(), x], &[Value::Int(1), Value::Int(2)], 1),
            None
        );
    }
}
