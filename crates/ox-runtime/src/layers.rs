//! Standpoint layers of the module's rules: a request sees the rules of the
//! default layer plus those of its standpoint and every ancestor. Each set of
//! visible standpoints gets its own reasoner program over the same
//! predicates (ids unchanged), built on first use and kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use ox_ir::{Module, PredId, PredKind, StandpointId};
use ox_reasoner::{Program, ProgramError};

use crate::error::RuntimeError;

/// The reasoner programs of one module, one per set of visible standpoints
/// that own rules.
pub(crate) struct Programs {
    /// The program of the default layer (no standpoint).
    default: Arc<Program>,
    /// Standpoints that own at least one rule; other standpoints see
    /// exactly the default program.
    owners: BTreeSet<StandpointId>,
    built: Mutex<HashMap<Vec<StandpointId>, Arc<Program>>>,
}

impl Programs {
    /// Prepares the default layer's program; errors are the reasoner's.
    #[allow(clippy::result_large_err)]
    pub(crate) fn new(module: &Module) -> Result<Programs, ProgramError> {
        let default = Program::new(&layer_module(module, &BTreeSet::new()))?;
        Ok(Programs::with_default(module, Arc::new(default)))
    }

    /// Uses an already prepared program of the default layer.
    pub(crate) fn with_default(module: &Module, default: Arc<Program>) -> Programs {
        Programs {
            default,
            owners: module.rules.iter().filter_map(|r| r.standpoint).collect(),
            built: Mutex::new(HashMap::new()),
        }
    }

    /// The program of the default layer.
    pub(crate) fn default_program(&self) -> &Arc<Program> {
        &self.default
    }

    /// The program seeing the default layer and the `visible` standpoints.
    pub(crate) fn for_standpoints(
        &self,
        module: &Module,
        visible: &BTreeSet<StandpointId>,
    ) -> Result<Arc<Program>, RuntimeError> {
        let key: Vec<StandpointId> = visible.intersection(&self.owners).copied().collect();
        if key.is_empty() {
            return Ok(self.default.clone());
        }
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(program) = built.get(&key) {
            return Ok(program.clone());
        }
        let layered = layer_module(module, &key.iter().copied().collect());
        let program = Arc::new(Program::new(&layered).map_err(|e| {
            RuntimeError::internal(format!(
                "the rules visible under this standpoint cannot be evaluated: {e}"
            ))
        })?);
        built.insert(key, program.clone());
        Ok(program)
    }
}

/// A copy of `module` keeping the rules of the default layer and of the
/// `visible` standpoints. A `#[defeats(l)]` naming a label that only an
/// invisible rule carries is dropped with that rule.
pub(crate) fn layer_module(module: &Module, visible: &BTreeSet<StandpointId>) -> Module {
    let mut out = module.clone();
    out.rules
        .retain(|r| r.standpoint.is_none_or(|s| visible.contains(&s)));
    let family = family_map(module);
    let family_of = |p: PredId| family.get(&p).copied().unwrap_or(p);
    let mut labels: BTreeSet<(PredId, String)> = BTreeSet::new();
    for rule in &out.rules {
        if let Some(label) = &rule.defeasibility.label {
            labels.insert((family_of(rule.head.pred), label.clone()));
        }
    }
    for rule in &mut out.rules {
        let f = family_of(rule.head.pred);
        rule.defeasibility
            .defeats
            .retain(|l| labels.contains(&(f, l.clone())));
    }
    out
}

/// Maps a predicate and its strong negation to one representative (the
/// positive predicate), so labels are compared within a family.
fn family_map(module: &Module) -> BTreeMap<PredId, PredId> {
    module
        .predicates
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p.kind {
            PredKind::Complement(of) => Some((PredId(i as u32), of)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox_ir::{Atom, Defeasibility, Rule, RuleOrigin, Strength, Term, VarId};

    fn rule(head: u32, standpoint: Option<u32>, label: Option<&str>, defeats: &[&str]) -> Rule {
        Rule {
            head: Atom {
                pred: PredId(head),
                args: vec![Term::Var(VarId(0))],
            },
            body: vec![ox_ir::Literal::Pos(Atom {
                pred: PredId(0),
                args: vec![Term::Var(VarId(0))],
            })],
            var_count: 1,
            var_names: vec!["x".into()],
            origin: RuleOrigin::Derive {
                name: "p".into(),
                clause: 0,
            },
            defeasibility: Defeasibility {
                strength: Strength::Defeasible,
                label: label.map(str::to_owned),
                defeats: defeats.iter().map(|d| d.to_string()).collect(),
            },
            standpoint: standpoint.map(StandpointId),
        }
    }

    fn module(rules: Vec<Rule>) -> Module {
        let pred = |name: &str, kind: PredKind| ox_ir::Predicate {
            name: name.into(),
            path: format!("m::{name}"),
            kind,
            params: vec![ox_ir::Param {
                name: "x".into(),
                ty: ox_ir::Type::String,
            }],
            visibility: ox_ir::Visibility::Public,
            doc: None,
        };
        Module {
            package: ox_ir::PackageInfo {
                name: "m".into(),
                version: "0.1.0".into(),
                entry: "src/root.ar".into(),
            },
            concepts: vec![],
            relations: vec![],
            structs: vec![],
            enums: vec![],
            predicates: vec![
                pred("base", PredKind::Derived),
                pred("p", PredKind::Derived),
                pred("~p", PredKind::Complement(PredId(1))),
            ],
            rules,
            checks: vec![],
            queries: vec![],
            mutations: vec![],
            functions: vec![],
            standpoints: vec![],
        }
    }

    #[test]
    fn rules_of_invisible_standpoints_are_left_out() {
        let m = module(vec![
            rule(1, None, None, &[]),
            rule(1, Some(0), None, &[]),
            rule(2, Some(1), None, &[]),
        ]);
        let none = layer_module(&m, &BTreeSet::new());
        assert_eq!(none.rules.len(), 1);
        let first = layer_module(&m, &[StandpointId(0)].into());
        assert_eq!(first.rules.len(), 2);
        assert!(first
            .rules
            .iter()
            .all(|r| r.standpoint != Some(StandpointId(1))));
        let both = layer_module(&m, &[StandpointId(0), StandpointId(1)].into());
        assert_eq!(both.rules, m.rules);
    }

    #[test]
    fn defeats_of_an_invisible_label_are_dropped() {
        let m = module(vec![
            rule(1, Some(0), Some("usual"), &[]),
            rule(2, None, None, &["usual"]),
        ]);
        let none = layer_module(&m, &BTreeSet::new());
        assert_eq!(none.rules.len(), 1);
        assert!(none.rules[0].defeasibility.defeats.is_empty());
        let seen = layer_module(&m, &[StandpointId(0)].into());
        assert_eq!(
            seen.rules[1].defeasibility.defeats,
            vec!["usual".to_string()]
        );
    }
}
