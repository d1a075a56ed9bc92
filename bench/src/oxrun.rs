//! The workloads on the ox reasoner: facts into a [`FactStore`], rules into
//! a [`Module`](ox_ir::Module), one evaluation, tuple counts out.

use std::path::Path;

use chrono::Utc;
use ox_ir::Value;
use ox_reasoner::{EvalContext, EvalError, FactStore, Program, ProgramError};

use crate::datalog;
use crate::files::{self, FactFileError};
use crate::workload::Facts;

/// Why a workload could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Facts(#[from] FactFileError),
    #[error("the rules do not compile: {0}")]
    Program(Box<ProgramError>),
    #[error("evaluation failed: {0}")]
    Eval(#[from] EvalError),
}

/// The number of tuples of every derived predicate, and their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub per_predicate: Vec<(&'static str, usize)>,
    pub total: usize,
}

/// The workload's rules compiled for the reasoner.
pub fn compile(program: &datalog::Program) -> Result<Program, RunError> {
    Program::new(&program.to_module()).map_err(|e| RunError::Program(Box::new(e)))
}

/// A store holding `facts` (already in memory), loaded in bulk.
pub fn store_of(program: &datalog::Program, facts: &Facts) -> Result<FactStore, RunError> {
    let mut store = FactStore::new(program.predicates().count());
    for (pred, rows) in facts {
        if let Some(id) = program.pred_id(pred) {
            store.extend(
                id,
                rows.iter().map(|row| row.iter().map(|&k| Value::Int(k))),
            )?;
        }
    }
    Ok(store)
}

/// A store holding the base facts read from `<pred>.tsv` files in `dir`:
/// each file is read whole into one buffer, then loaded in bulk.
pub fn load(program: &datalog::Program, dir: &Path) -> Result<FactStore, RunError> {
    let mut store = FactStore::new(program.predicates().count());
    for (i, pred) in program.base.iter().enumerate() {
        let id = ox_ir::PredId(i as u32);
        let mut cells: Vec<i64> = Vec::new();
        files::read_tsv(&dir.join(format!("{}.tsv", pred.name)), pred.arity, |row| {
            cells.extend_from_slice(row);
        })?;
        let rows = cells.chunks_exact(pred.arity.max(1));
        store.extend(id, rows.map(|row| row.iter().map(|&k| Value::Int(k))))?;
    }
    Ok(store)
}

/// Evaluates to the fixpoint, without a deadline.
pub fn evaluate(compiled: &Program, store: FactStore) -> Result<FactStore, RunError> {
    Ok(compiled.evaluate(store, &EvalContext::at(Utc::now()))?)
}

/// The sizes of the derived predicates in a fixpoint.
pub fn counts(program: &datalog::Program, fixpoint: &FactStore) -> Counts {
    let per_predicate: Vec<(&'static str, usize)> = program
        .derived
        .iter()
        .filter_map(|p| program.pred_id(p.name).map(|id| (p.name, fixpoint.len(id))))
        .collect();
    let total = per_predicate.iter().map(|(_, n)| n).sum();
    Counts {
        per_predicate,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Workload;

    fn run(workload: Workload, facts: &Facts) -> Counts {
        let program = workload.program();
        let compiled = compile(&program).expect("compiles");
        let store = store_of(&program, facts).expect("loads");
        let fixpoint = evaluate(&compiled, store).expect("evaluates");
        counts(&program, &fixpoint)
    }

    #[test]
    fn transitive_closure_of_a_chain_and_a_cycle() {
        let w = Workload::Tc { nodes: 0, edges: 0 };
        let chain = vec![("edge", vec![vec![1, 2], vec![2, 3], vec![3, 4]])];
        assert_eq!(run(w, &chain).total, 6);
        let cycle = vec![("edge", vec![vec![1, 2], vec![2, 3], vec![3, 1]])];
        assert_eq!(run(w, &cycle).total, 9);
    }

    #[test]
    fn same_generation_of_a_small_tree() {
        // 0 has children 1, 2; 1 has children 3, 4; 2 has child 5.
        let par = vec![vec![1, 0], vec![2, 0], vec![3, 1], vec![4, 1], vec![5, 2]];
        // Level 1: {1,2}² = 4; level 2: {3,4,5}² = 9.
        assert_eq!(
            run(Workload::Sg { nodes: 0 }, &vec![("par", par)]).total,
            13
        );
    }

    #[test]
    fn deep_taxonomy_types_every_instance_with_every_class() {
        let w = Workload::Taxonomy {
            depth: 50,
            instances: 3,
        };
        assert_eq!(run(w, &w.facts(1)).total, 3 * 51);
    }

    #[test]
    fn lubm_closure_on_a_hand_made_university() {
        use crate::lubm::{class::*, prop::*};
        let w = Workload::Lubm { universities: 0 };
        let mut facts = w.facts(1);
        // The schema alone: 21 subclass + closure, 5 subprop + closure.
        let schema_only = run(w, &facts);
        let sc = schema_only.per_predicate[0].1;
        let sp = schema_only.per_predicate[1].1;
        assert_eq!(sp, 6, "headOf ⊑ worksFor ⊑ memberOf adds headOf ⊑ memberOf");
        assert!(sc > 21);
        // One university, one department, one chair who got a degree there
        // and a graduate student advised by the chair in the chair's course.
        let (u, d, p, s, k) = (1_000, 2_000, 2_001, 2_002, 2_003);
        facts[0].1 = vec![
            vec![d, SUB_ORGANIZATION_OF, u],
            vec![p, HEAD_OF, d],
            vec![p, DOCTORAL_DEGREE_FROM, u],
            vec![p, TEACHER_OF, k],
            vec![s, MEMBER_OF, d],
            vec![s, ADVISOR, p],
            vec![s, TAKES_COURSE, k],
            vec![s, UNDERGRADUATE_DEGREE_FROM, u],
        ];
        facts[1].1 = vec![vec![s, GRADUATE_STUDENT]];
        let got = run(w, &facts);
        let q = |name: &str| {
            got.per_predicate
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| *c)
        };
        assert_eq!(q("q1"), Some(1), "s studied at u and is a member of d ⊑ u");
        assert_eq!(q("q2"), Some(1), "s takes k taught by advisor p");
        assert_eq!(q("q3"), Some(2), "p and s are alumni of u");
        assert_eq!(q("q4"), Some(2), "p and s are members of u through d");
    }
}
