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
        for &r in members {
            let c = self.aux(rules[r].head.pred, &format!("rule {r}"));
            let mut rule = rules[r].clone();
            rule.head.pred = c;
            rule.defeasibility = Default::default();
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
