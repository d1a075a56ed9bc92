//! Read access to a state for expression evaluation: a committed snapshot
//! ([`StateView`]) or a running transaction ([`PendingView`]).

use ox_ir::expr::FieldRef;
use ox_ir::{ConceptId, PredId, PredKind, Value};

use crate::catalog::Catalog;
use crate::state::{Base, State};

/// What expressions may read.
pub(crate) trait View {
    /// The values of a field of an individual, sorted (empty when absent).
    fn field_values(&self, id: &str, field: FieldRef) -> Vec<Value>;
    /// Whether `id` names a live individual.
    fn is_live(&self, id: &str) -> bool;
    /// Whether the individual is an instance of the concept.
    fn is_member(&self, id: &str, concept: ConceptId) -> bool;
    /// Whether the fact `pred(args)` holds.
    fn holds(&self, pred: PredId, args: &[Value]) -> bool;
    /// The current instances of a concept, sorted.
    fn extent(&self, concept: ConceptId) -> Vec<Value>;
}

/// A committed snapshot: everything reads the fixpoint.
pub(crate) struct StateView<'a> {
    pub catalog: &'a Catalog,
    pub state: &'a State,
}

impl View for StateView<'_> {
    fn field_values(&self, id: &str, field: FieldRef) -> Vec<Value> {
        self.state.base.field_values(id, field)
    }

    fn is_live(&self, id: &str) -> bool {
        self.state.base.individuals.contains_key(id)
    }

    fn is_member(&self, id: &str, concept: ConceptId) -> bool {
        let pred = self.catalog.module.concept(concept).pred;
        self.state
            .facts
            .contains(pred, &[Value::Ref(id.to_owned())])
    }

    fn holds(&self, pred: PredId, args: &[Value]) -> bool {
        self.state.facts.contains(pred, args)
    }

    fn extent(&self, concept: ConceptId) -> Vec<Value> {
        let pred = self.catalog.module.concept(concept).pred;
        let mut out: Vec<Value> = self
            .state
            .facts
            .tuples(pred)
            .into_iter()
            .filter_map(|t| t.into_iter().next())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A running transaction: base facts (fields, asserted memberships, relation
/// tuples, extents) read the start state plus the transaction's own writes;
/// derived predicates (and memberships of defined classes) read the fixpoint
/// at the start of the transaction.
pub(crate) struct PendingView<'a> {
    pub catalog: &'a Catalog,
    pub start: &'a State,
    pub pending: &'a Base,
}

impl PendingView<'_> {
    fn asserted_member(&self, id: &str, concept: ConceptId) -> bool {
        let Some(inserted) = self.pending.individuals.get(id) else {
            return false;
        };
        self.catalog.is_sub(*inserted, concept)
            || self
                .pending
                .iofs_of(id)
                .into_iter()
                .any(|c| self.catalog.is_sub(c, concept))
    }
}

impl View for PendingView<'_> {
    fn field_values(&self, id: &str, field: FieldRef) -> Vec<Value> {
        self.pending.field_values(id, field)
    }

    fn is_live(&self, id: &str) -> bool {
        self.pending.individuals.contains_key(id)
    }

    fn is_member(&self, id: &str, concept: ConceptId) -> bool {
        if !self.is_live(id) {
            return false;
        }
        if self.asserted_member(id, concept) {
            return true;
        }
        let pred = self.catalog.module.concept(concept).pred;
        self.start
            .facts
            .contains(pred, &[Value::Ref(id.to_owned())])
    }

    fn holds(&self, pred: PredId, args: &[Value]) -> bool {
        let module = &self.catalog.module;
        let Some(p) = module.predicates.get(pred.index()) else {
            return false;
        };
        match p.kind {
            PredKind::Concept(c) => match args {
                [Value::Ref(id)] => self.is_member(id, c),
                _ => false,
            },
            PredKind::Field(c, f) => match args {
                [Value::Ref(id), value] => {
                    let field = FieldRef {
                        concept: c,
                        field: f,
                    };
                    self.pending
                        .fields
                        .get(&(id.clone(), field))
                        .is_some_and(|vs| vs.contains(value))
                }
                _ => false,
            },
            PredKind::Relation(r) => {
                let key = (r, args.to_vec());
                // Ground tuples of the module live only in the fixpoint.
                self.pending.tuples.contains(&key)
                    || (self.start.facts.contains(pred, args)
                        && !self.start.base.tuples.contains(&key))
            }
            PredKind::Derived | PredKind::Check(_) | PredKind::Complement(_) => {
                self.start.facts.contains(pred, args)
            }
        }
    }

    fn extent(&self, concept: ConceptId) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .pending
            .individuals
            .keys()
            .filter(|id| self.is_member(id, concept))
            .map(|id| Value::Ref(id.clone()))
            .collect();
        out.sort();
        out
    }
}
