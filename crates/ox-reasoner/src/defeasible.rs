//! Strong negation and defeasible rules, lowered to ordinary rules with
//! negation over auxiliary predicates.
//!
//! A *family* is a derived predicate H with its strong negation `~H` (a
//! predicate of kind [`PredKind::Complement`]). A family with a defeasible
//! rule or a defeater is rewritten; for each side X of it (X̄ the other side):
//!
//! ```text
//! cand_R(t)        :- body of R            (every rule R of the family)
//! strict_X(t)      :- cand_R(t)            (R strict, head X)
//! defeated_r(t)    :- cand_R(t)            (R has #[defeats(label of r)])
//! undefeated_X(t)  :- cand_r(t), not defeated_r(t)   (r defeasible, head X)
//! X(t)             :- strict_X(t)
//! X(t)             :- undefeated_X(t), not strict_X̄(t), not undefeated_X̄(t)
//! ```
//!
//! so the conclusions of X are `strict[X] ∪ (defeasible[X] \ defeated[X])`,
//! less those blocked by a strict or undefeated defeasible conclusion of the
//! complement (ambiguity blocking leaves both sides out). A rule defeats
//! where its body holds, whether or not its own conclusion survives.
//! Recursion through these negations falls to the well-founded semantics
//! like any other. Families without markers are left as they are: strict
//! `p` and `~p` may then both hold, which [`crate::Program::contradictions`]
//! reports.

use std::collections::BTreeMap;

use ox_ir::{Atom, Literal, Module, PredId, PredKind, Rule, Strength, Term, VarId};

/// An auxiliary predicate of the lowering.
pub(crate) struct AuxPred {
    pub name: String,
    pub path: String,
    pub arity: usize,
}

/// The rules after lowering.
pub(crate) struct Lowered {
    pub rules: Vec<Rule>,
    /// Per lowered rule: the module rule it stands for (explanations and
    /// errors name it).
    pub source: Vec<usize>,
    /// Per lowered rule: its description.
    pub labels: Vec<String>,
    /// Predicates after the module's (`PredId(module.predicates.len() + k)`).
    pub aux: Vec<AuxPred>,
    /// The lowered families, to tell why a conclusion holds or not.
    pub families: Vec<FamilyPreds>,
}

/// The auxiliary predicates of one lowered family.
#[derive(Debug, Clone)]
pub(crate) struct FamilyPreds {
    /// Per side (the predicate, then its strong negation if any rule
    /// concludes it): its strict and its undefeated defeasible conclusions.
    pub sides: Vec<SidePreds>,
    pub members: Vec<MemberPreds>,
}

#[derive(Debug, Clone)]
pub(crate) struct SidePreds {
    pub pred: PredId,
    pub strict: Option<PredId>,
    pub undefeated: Option<PredId>,
}

/// One rule of a lowered family.
#[derive(Debug, Clone)]
pub(crate) struct MemberPreds {
    /// The module rule.
    pub rule: usize,
    /// The lowered rule that concludes its candidates (same body).
    pub cand_rule: usize,
    pub head: PredId,
    /// Where its body holds.
    pub cand: PredId,
    /// Where a defeater's body holds (only for rules some rule defeats).
    pub defeated: Option<PredId>,
    pub defeasible: bool,
    pub label: Option<String>,
    /// The module rules it defeats.
    pub defeats: Vec<usize>,
}

/// A family whose markers cannot be evaluated: the rule and the reason.
pub(crate) struct MarkerError {
    pub rule_index: usize,
    pub reason: String,
}

/// `(predicate, its strong negation)` pairs of the module.
pub(crate) fn complements(module: &Module) -> Vec<(PredId, PredId)> {
    module
        .predicates
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p.kind {
            PredKind::Complement(of) => Some((of, PredId(i as u32))),
            _ => None,
        })
        .collect()
}

/// Lowers the families that have defeasible rules or defeaters; every
/// other rule is kept as it is. `labels` describes the module's rules.
pub(crate) fn lower(module: &Module, labels: &[String]) -> Result<Lowered, MarkerError> {
    let rules = &module.rules;
    let pred_count = module.predicates.len();
    let complement_of: BTreeMap<PredId, PredId> = complements(module)
        .into_iter()
        .flat_map(|(p, c)| [(p, c), (c, p)])
        .collect();
    // The family of a rule: its head predicate and the complement (lower id first).
    let family_of = |p: PredId| -> (PredId, Option<PredId>) {
        match complement_of.get(&p) {
            Some(&c) if c < p => (c, Some(p)),
            Some(&c) => (p, Some(c)),
            None => (p, None),
        }
    };
    let mut families: BTreeMap<(PredId, Option<PredId>), Vec<usize>> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate() {
        families
            .entry(family_of(rule.head.pred))
            .or_default()
            .push(i);
    }
    let mut out = Lowered {
        rules: Vec::new(),
        source: Vec::new(),
        labels: Vec::new(),
        aux: Vec::new(),
        families: Vec::new(),
    };
    let mut lowered = vec![false; rules.len()];
    for ((first, second), members) in &families {
        let marked = members.iter().any(|&r| {
            let d = &rules[r].defeasibility;
            d.strength == Strength::Defeasible || !d.defeats.is_empty()
        });
        check_labels(rules, members)?;
        if !marked {
            continue;
        }
        let sides: Vec<PredId> = std::iter::once(*first).chain(*second).collect();
        let mut family = Family {
            module,
            pred_count,
            arity: rules[members[0]].head.args.len(),
            out: &mut out,
        };
        family.lower(&sides, members, labels);
        for &r in members {
            lowered[r] = true;
        }
    }
    for (i, rule) in rules.iter().enumerate() {
        if !lowered[i] {
            out.rules.push(rule.clone());
            out.source.push(i);
            out.labels.push(labels[i].clone());
        }
    }
    Ok(out)
}

/// Labels are unique within a family, and `defeats` names a defeasible
/// rule of the family.
fn check_labels(rules: &[Rule], members: &[usize]) -> Result<(), MarkerError> {
    let mut by_label: BTreeMap<&str, usize> = BTreeMap::new();
    for &r in members {
        if let Some(label) = &rules[r].defeasibility.label {
            if by_label.insert(label, r).is_some() {
                return Err(MarkerError {
                    rule_index: r,
                    reason: format!("the label `{label}` names two rules of one predicate"),
                });
            }
        }
    }
    for &r in members {
        for target in &rules[r].defeasibility.defeats {
            match by_label.get(target.as_str()) {
                None => {
                    return Err(MarkerError {
                        rule_index: r,
                        reason: format!(
                            "`#[defeats({target})]` names no rule of this predicate or its strong negation"
                        ),
                    })
                }
                Some(&t) if rules[t].defeasibility.strength == Strength::Strict => {
                    return Err(MarkerError {
                        rule_index: r,
                        reason: format!(
                            "`#[defeats({target})]` names a strict rule, which is never defeated"
                        ),
                    })
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

struct Family<'a> {
    module: &'a Module,
    pred_count: usize,
    arity: usize,
    out: &'a mut Lowered,
}

impl Family<'_> {
    fn name(&self, p: PredId) -> (String, String) {
        self.module.predicates.get(p.index()).map_or_else(
            || (format!("#{}", p.0), format!("#{}", p.0)),
            |p| (p.name.clone(), p.path.clone()),
        )
    }

    fn aux(&mut self, of: PredId, what: &str) -> PredId {
        let (name, path) = self.name(of);
        self.out.aux.push(AuxPred {
            name: format!("{name}·{what}"),
            path: format!("{path}·{what}"),
            arity: self.arity,
        });
        PredId((self.pred_count + self.out.aux.len() - 1) as u32)
    }

    fn push(&mut self, rule: Rule, source: usize, label: String) {
        self.out.rules.push(rule);
        self.out.source.push(source);
        self.out.labels.push(label);
    }

    /// `head(x0…) :- body atoms over (x0…)`, with origin and label of `source`.
    fn copy_rule(&mut self, head: PredId, body: Vec<(PredId, bool)>, source: usize, label: String) {
        let args: Vec<Term> = (0..self.arity)
            .map(|i| Term::Var(VarId(i as u32)))
            .collect();
        let atom = |pred| Atom {
            pred,
            args: args.clone(),
        };
        let rule = Rule {
            head: atom(head),
            body: body
                .into_iter()
                .map(|(p, negated)| {
                    if negated {
                        Literal::Neg(atom(p))
                    } else {
                        Literal::Pos(atom(p))
                    }
                })
                .collect(),
            var_count: self.arity as u32,
            var_names: (0..self.arity).map(|i| format!("a{i}")).collect(),
            origin: self.module.rules[source].origin.clone(),
            defeasibility: Default::default(),
            standpoint: self.module.rules[source].standpoint,
        };
        self.push(rule, source, label);
    }

    fn lower(&mut self, sides: &[PredId], members: &[usize], labels: &[String]) {
        let rules = &self.module.rules;
        // Candidates: every rule's body, concluding into its own predicate.
        let mut cand = BTreeMap::new();
        let mut cand_rule = BTreeMap::new();
        for &r in members {
            let c = self.aux(rules[r].head.pred, &format!("rule {r}"));
            let mut rule = rules[r].clone();
            rule.head.pred = c;
            rule.defeasibility = Default::default();
            cand_rule.insert(r, self.out.rules.len());
            self.push(rule, r, labels[r].clone());
            cand.insert(r, c);
        }
        let by_label: BTreeMap<&str, usize> = members
            .iter()
            .filter_map(|&r| rules[r].defeasibility.label.as_deref().map(|l| (l, r)))
            .collect();
        // Defeaters of each targeted rule.
        let mut defeated: BTreeMap<usize, PredId> = BTreeMap::new();
        for &r in members {
            for target in &rules[r].defeasibility.defeats {
                let Some(&t) = by_label.get(target.as_str()) else {
                    continue;
                };
                let d = match defeated.get(&t) {
                    Some(&d) => d,
                    None => {
                        let d = self.aux(rules[t].head.pred, &format!("defeated rule {t}"));
                        defeated.insert(t, d);
                        d
                    }
                };
                let label = format!("{} defeats rule {t}", labels[r]);
                self.copy_rule(d, vec![(cand[&r], false)], r, label);
            }
        }
        let family_members = members
            .iter()
            .map(|&r| MemberPreds {
                rule: r,
                cand_rule: cand_rule[&r],
                head: rules[r].head.pred,
                cand: cand[&r],
                defeated: defeated.get(&r).copied(),
                defeasible: rules[r].defeasibility.strength == Strength::Defeasible,
                label: rules[r].defeasibility.label.clone(),
                defeats: rules[r]
                    .defeasibility
                    .defeats
                    .iter()
                    .filter_map(|l| by_label.get(l.as_str()).copied())
                    .collect(),
            })
            .collect();
        // Per side: strict and undefeated defeasible conclusions.
        let mut strict: BTreeMap<PredId, (PredId, usize)> = BTreeMap::new();
        let mut undefeated: BTreeMap<PredId, (PredId, usize)> = BTreeMap::new();
        for &side in sides {
            let (name, _) = self.name(side);
            for &r in members.iter().filter(|&&r| rules[r].head.pred == side) {
                let defeasible = rules[r].defeasibility.strength == Strength::Defeasible;
                let (map, what) = if defeasible {
                    (&mut undefeated, "defeasible")
                } else {
                    (&mut strict, "strict")
                };
                let target = match map.get(&side) {
                    Some(&(p, _)) => p,
                    None => {
                        let p = self.aux(side, what);
                        let map = if defeasible {
                            &mut undefeated
                        } else {
                            &mut strict
                        };
                        map.insert(side, (p, r));
                        p
                    }
                };
                let mut body = vec![(cand[&r], false)];
                if let Some(&d) = defeated.get(&r) {
                    body.push((d, true));
                }
                let label = format!("{what} conclusion of `{name}` by {}", labels[r]);
                self.copy_rule(target, body, r, label);
            }
        }
        for &side in sides {
            let (name, _) = self.name(side);
            let other = sides.iter().copied().find(|&s| s != side);
            if let Some(&(s, r)) = strict.get(&side) {
                self.copy_rule(side, vec![(s, false)], r, format!("strict `{name}`"));
            }
            if let Some(&(u, r)) = undefeated.get(&side) {
                let mut body = vec![(u, false)];
                if let Some(other) = other {
                    if let Some(&(s, _)) = strict.get(&other) {
                        body.push((s, true));
                    }
                    if let Some(&(u, _)) = undefeated.get(&other) {
                        body.push((u, true));
                    }
                }
                self.copy_rule(side, body, r, format!("undefeated default `{name}`"));
            }
        }
        self.out.families.push(FamilyPreds {
            sides: sides
                .iter()
                .map(|&side| SidePreds {
                    pred: side,
                    strict: strict.get(&side).map(|&(p, _)| p),
                    undefeated: undefeated.get(&side).map(|&(p, _)| p),
                })
                .collect(),
            members: family_members,
        });
    }
}

/// A fact that holds together with its strong negation: `p(t)` and `~p(t)`
/// both concluded strictly (defeasible conclusions of the two sides block
/// each other, so only strict ones can meet).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Contradiction {
    /// The predicate `p`.
    pub pred: PredId,
    /// Its strong negation `~p`.
    pub complement: PredId,
    /// The name of `p`.
    pub predicate: String,
    pub tuple: Vec<ox_ir::Value>,
}

impl crate::Program {
    /// Every fact of `facts` (a fixpoint of this program) that holds
    /// together with its strong negation, sorted by predicate then tuple.
    /// Under a single standpoint each is an error to report (`/v1/checks`,
    /// `ox check --reason`).
    pub fn contradictions(&self, facts: &crate::FactStore) -> Vec<Contradiction> {
        let mut out = Vec::new();
        for &(pred, complement) in &self.complements {
            let negated: std::collections::BTreeSet<Vec<ox_ir::Value>> =
                facts.tuples(complement).into_iter().collect();
            if negated.is_empty() {
                continue;
            }
            for tuple in facts.tuples(pred) {
                if negated.contains(&tuple) {
                    out.push(Contradiction {
                        pred,
                        complement,
                        predicate: self
                            .pred_names
                            .get(pred.index())
                            .cloned()
                            .unwrap_or_else(|| format!("#{}", pred.0)),
                        tuple,
                    });
                }
            }
        }
        out.sort();
        out
    }
}

/// How one rule of a defeasible family fared for one tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its conclusion holds.
    Concluded,
    /// A rule that defeats it fired for the same tuple (`by`: indices into
    /// [`Contest::rules`]).
    Defeated { by: Vec<usize> },
    /// The strong negation was concluded strictly or by an undefeated
    /// defeasible rule (`by`: those rules, indices into [`Contest::rules`]).
    Blocked { by: Vec<usize> },
}

/// A rule of a family whose body holds for the contested tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleStanding {
    /// The module rule.
    pub rule_index: usize,
    /// Its description, e.g. ``derive `fly` clause 0 (rule 3)``.
    pub rule: String,
    /// Its `#[label]`.
    pub label: Option<String>,
    /// `#[default]` (else strict).
    pub defeasible: bool,
    /// What it concludes: the predicate or its strong negation.
    pub conclusion: PredId,
    /// The name of `conclusion`.
    pub predicate: String,
    /// Its body's bindings and premises (indices into [`Contest::nodes`]).
    pub firing: crate::Derivation,
    pub outcome: Outcome,
}

/// Every rule of a defeasible family that fires for one tuple, and how it
/// fared: why a conclusion holds over its rivals, or why it is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contest {
    /// The predicate asked about (one side of the family).
    pub pred: PredId,
    pub predicate: String,
    pub tuple: Vec<ox_ir::Value>,
    /// Whether `pred(tuple)` holds.
    pub holds: bool,
    pub rules: Vec<RuleStanding>,
    /// The premises of the rules' firings.
    pub nodes: Vec<crate::ProofNode>,
}

impl Contest {
    /// Two undefeated defeasible rules with complementary conclusions and
    /// no strict conclusion: ambiguity blocking left both sides out.
    pub fn is_ambiguous(&self) -> bool {
        let blocked_sides: std::collections::BTreeSet<PredId> = self
            .rules
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Blocked { .. }))
            .map(|r| r.conclusion)
            .collect();
        blocked_sides.len() == 2 && self.rules.iter().all(|r| r.defeasible)
    }
}

impl crate::Program {
    /// The contest of the defeasible family of `pred` at `tuple` in `facts`
    /// (a fixpoint of this program): every rule of the family whose body
    /// holds for it, with its outcome. `None` when `pred` has no defeasible
    /// rule or defeater on either side, or no rule fires for `tuple`.
    pub fn contest(
        &self,
        facts: &crate::FactStore,
        pred: PredId,
        tuple: &[ox_ir::Value],
        ctx: &crate::EvalContext,
    ) -> Result<Option<Contest>, crate::EvalError> {
        let Some(family) = self
            .families
            .iter()
            .find(|f| f.sides.iter().any(|s| s.pred == pred))
        else {
            return Ok(None);
        };
        let holds = |p: Option<PredId>| p.is_some_and(|p| facts.contains(p, tuple));
        let firing: Vec<&MemberPreds> = family
            .members
            .iter()
            .filter(|m| holds(Some(m.cand)))
            .collect();
        if firing.is_empty() {
            return Ok(None);
        }
        let index_of = |rule: usize| firing.iter().position(|m| m.rule == rule);
        let undefeated = |m: &MemberPreds| !m.defeasible || !holds(m.defeated);
        let mut firings = crate::provenance::Firings::new(self, facts, ctx);
        let mut rules = Vec::with_capacity(firing.len());
        for m in &firing {
            let outcome = if !m.defeasible {
                Outcome::Concluded
            } else if holds(m.defeated) {
                Outcome::Defeated {
                    by: firing
                        .iter()
                        .filter(|d| d.defeats.contains(&m.rule))
                        .filter_map(|d| index_of(d.rule))
                        .collect(),
                }
            } else {
                let rivals: Vec<usize> = firing
                    .iter()
                    .filter(|o| o.head != m.head && undefeated(o))
                    .filter_map(|o| index_of(o.rule))
                    .collect();
                if rivals.is_empty() {
                    Outcome::Concluded
                } else {
                    Outcome::Blocked { by: rivals }
                }
            };
            let Some(derivation) = firings.firing(m.cand_rule, tuple)? else {
                continue;
            };
            rules.push(RuleStanding {
                rule_index: m.rule,
                rule: derivation.rule.clone(),
                label: m.label.clone(),
                defeasible: m.defeasible,
                conclusion: m.head,
                predicate: self.pred_name(m.head),
                firing: derivation,
                outcome,
            });
        }
        Ok(Some(Contest {
            pred,
            predicate: self.pred_name(pred),
            tuple: tuple.to_vec(),
            holds: facts.contains(pred, tuple),
            rules,
            nodes: firings.into_nodes(),
        }))
    }

    /// Every blocked ambiguity of `facts` (a fixpoint of this program): a
    /// tuple where undefeated defeasible rules conclude both a predicate
    /// and its strong negation and no strict rule decides, so neither
    /// holds. One contest per tuple (asked of the predicate), sorted by
    /// predicate then tuple.
    pub fn ambiguities(
        &self,
        facts: &crate::FactStore,
        ctx: &crate::EvalContext,
    ) -> Result<Vec<Contest>, crate::EvalError> {
        let mut out = Vec::new();
        for family in &self.families {
            let [first, second] = family.sides.as_slice() else {
                continue;
            };
            let (Some(u1), Some(u2)) = (first.undefeated, second.undefeated) else {
                continue;
            };
            let other: std::collections::BTreeSet<Vec<ox_ir::Value>> =
                facts.tuples(u2).into_iter().collect();
            for tuple in facts.tuples(u1) {
                let strict = [first.strict, second.strict]
                    .into_iter()
                    .flatten()
                    .any(|s| facts.contains(s, &tuple));
                if strict || !other.contains(&tuple) {
                    continue;
                }
                if let Some(contest) = self.contest(facts, first.pred, &tuple, ctx)? {
                    out.push(contest);
                }
            }
        }
        out.sort_by(|a, b| (a.pred, &a.tuple).cmp(&(b.pred, &b.tuple)));
        Ok(out)
    }

    /// The family member `pred(tuple)` whose id is `id` among the
    /// conclusions some rule's body supports (held or not), if any: finds
    /// facts that were defeated or blocked.
    pub fn find_contested(
        &self,
        facts: &crate::FactStore,
        id: &crate::FactId,
    ) -> Option<(PredId, Vec<ox_ir::Value>)> {
        self.families.iter().flat_map(|f| &f.members).find_map(|m| {
            facts
                .tuples(m.cand)
                .into_iter()
                .find(|t| self.fact_id(m.head, t) == *id)
                .map(|t| (m.head, t))
        })
    }

    fn pred_name(&self, pred: PredId) -> String {
        self.pred_names
            .get(pred.index())
            .cloned()
            .unwrap_or_else(|| format!("#{}", pred.0))
    }
}
