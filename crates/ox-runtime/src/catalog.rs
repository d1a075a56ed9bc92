//! Facts about the module computed once per engine: ancestors, fields, keys,
//! stored-path lookups and which rules read the clock.

use std::collections::BTreeSet;
use std::sync::Arc;

use ox_ir::expr::FieldRef;

use ox_ir::{Builtin, ConceptId, Expr, Literal, Module, Refinement, StandpointId, Type};

use crate::events::PathIndex;

/// What the clock means to derived state, for cache keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClockUse {
    /// No rule reads the clock: one fixpoint per generation.
    None,
    /// Some rule reads `today()`: one fixpoint per generation and day.
    Today,
    /// Some rule reads `now()`: one fixpoint per generation and instant.
    Now,
}

/// The module plus precomputed lookups.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub module: Arc<Module>,
    pub paths: PathIndex,
    /// Per concept: itself and every transitive supertype.
    ancestors: Vec<BTreeSet<ConceptId>>,
    /// Per concept: own fields first, then inherited ones (ancestor order).
    all_fields: Vec<Vec<FieldRef>>,
    /// Per concept: the field that supplies the id at insert.
    keys: Vec<Option<FieldRef>>,
    /// Concepts with `where` invariants.
    pub where_concepts: Vec<ConceptId>,
    pub clock_use: ClockUse,
}

impl Catalog {
    /// Precomputes the lookups of `module`.
    pub(crate) fn new(module: Arc<Module>) -> Catalog {
        let n = module.concepts.len();
        let ancestors: Vec<BTreeSet<ConceptId>> = (0..n)
            .map(|i| module.ancestors(ConceptId(i as u32)).into_iter().collect())
            .collect();
        let all_fields = (0..n)
            .map(|i| {
                module
                    .all_fields(ConceptId(i as u32))
                    .into_iter()
                    .map(|(r, _)| r)
                    .collect()
            })
            .collect();
        let keys = (0..n)
            .map(|i| key_field(&module, ConceptId(i as u32)))
            .collect();
        let where_concepts = module
            .concepts
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.refinement, Refinement::Where { .. }))
            .map(|(i, _)| ConceptId(i as u32))
            .collect();
        let clock_use = clock_use(&module);
        Catalog {
            paths: PathIndex::new(&module),
            module,
            ancestors,
            all_fields,
            keys,
            where_concepts,
            clock_use,
        }
    }

    /// Whether `sub` is `sup` or one of its specialisations.
    pub(crate) fn is_sub(&self, sub: ConceptId, sup: ConceptId) -> bool {
        self.ancestors
            .get(sub.index())
            .is_some_and(|a| a.contains(&sup))
    }

    /// Number of ancestors (a measure of how specific a concept is).
    pub(crate) fn depth(&self, c: ConceptId) -> usize {
        self.ancestors.get(c.index()).map_or(0, BTreeSet::len)
    }

    /// Every field of a concept: own fields first, then inherited ones.
    /// `InsertIndividual` field indices index this list.
    pub(crate) fn all_fields(&self, c: ConceptId) -> &[FieldRef] {
        self.all_fields.get(c.index()).map_or(&[], Vec::as_slice)
    }

    /// The field that supplies the id of a new individual of `c`, if any.
    pub(crate) fn key(&self, c: ConceptId) -> Option<FieldRef> {
        self.keys.get(c.index()).copied().flatten()
    }

    /// A display name of a concept.
    pub(crate) fn concept_name(&self, c: ConceptId) -> &str {
        self.module
            .concepts
            .get(c.index())
            .map_or("?", |c| c.name.as_str())
    }

    /// The ids of standpoint layers given by path (unknown paths are skipped;
    /// `None` is the default layer alone).
    pub(crate) fn standpoint_ids(&self, layers: Option<&[String]>) -> BTreeSet<StandpointId> {
        let standpoints = &self.module.standpoints;
        layers
            .unwrap_or_default()
            .iter()
            .filter_map(|path| standpoints.iter().position(|s| &s.path == path))
            .map(|i| StandpointId(i as u32))
            .collect()
    }

    /// The standpoint named `name` (by path or unambiguous short name) and
    /// its ancestors, most specific first.
    pub(crate) fn standpoint_layers(&self, name: &str) -> Option<Vec<String>> {
        let standpoints = &self.module.standpoints;
        let by_path = standpoints.iter().position(|s| s.path == name);
        let found = by_path.or_else(|| {
            let mut hits = standpoints
                .iter()
                .enumerate()
                .filter(|(_, s)| s.name == name);
            let first = hits.next()?;
            hits.next().is_none().then_some(first.0)
        })?;
        let mut order = vec![StandpointId(found as u32)];
        let mut i = 0;
        while i < order.len() {
            if let Some(s) = standpoints.get(order[i].index()) {
                for p in &s.parents {
                    if !order.contains(p) {
                        order.push(*p);
                    }
                }
            }
            i += 1;
        }
        Some(
            order
                .into_iter()
                .filter_map(|id| standpoints.get(id.index()).map(|s| s.path.clone()))
                .collect(),
        )
    }
}

/// The declared key of `c` or its nearest ancestor; else a field named `id` of type `String`.
fn key_field(module: &Module, c: ConceptId) -> Option<FieldRef> {
    let ancestors = module.ancestors(c);
    let declared = ancestors.iter().find_map(|a| {
        module.concept(*a).key.map(|k| FieldRef {
            concept: *a,
            field: k,
        })
    });
    declared.or_else(|| {
        module
            .all_fields(c)
            .into_iter()
            .find(|(_, f)| f.name == "id" && f.ty == Type::String)
            .map(|(r, _)| r)
    })
}

fn clock_use(module: &Module) -> ClockUse {
    let mut found = ClockUse::None;
    for rule in &module.rules {
        walk_literals(&rule.body, &mut found);
    }
    found
}

fn walk_literals(body: &[Literal], found: &mut ClockUse) {
    for lit in body {
        match lit {
            Literal::Compare { left, right, .. } => {
                walk_builtins(left, found);
                walk_builtins(right, found);
            }
            Literal::Bind { expr, .. } => walk_builtins(expr, found),
            Literal::Aggregate { body, value, .. } => {
                walk_literals(body, found);
                if let Some(value) = value {
                    walk_builtins(value, found);
                }
            }
            Literal::Pos(_) | Literal::Neg(_) => {}
        }
    }
}

fn walk_builtins(e: &Expr, found: &mut ClockUse) {
    match e {
        Expr::Builtin { builtin, args } => {
            match builtin {
                Builtin::Now => *found = ClockUse::Now,
                Builtin::Today if *found == ClockUse::None => *found = ClockUse::Today,
                _ => {}
            }
            args.iter().for_each(|a| walk_builtins(a, found));
        }
        Expr::Const(_) | Expr::Var(_) | Expr::Extent(_) => {}
        Expr::Field { base, .. } | Expr::StructField { base, .. } => walk_builtins(base, found),
        Expr::Unary { expr, .. } => walk_builtins(expr, found),
        Expr::Binary { left, right, .. } => {
            walk_builtins(left, found);
            walk_builtins(right, found);
        }
        Expr::If {
            cond,
            then,
            otherwise,
        } => {
            walk_builtins(cond, found);
            walk_builtins(then, found);
            walk_builtins(otherwise, found);
        }
        Expr::Call { args, .. } | Expr::Holds { args, .. } => {
            // A fn called from a rule may read the clock: be conservative.
            if matches!(e, Expr::Call { .. }) {
                *found = ClockUse::Now;
            }
            args.iter().for_each(|a| walk_builtins(a, found));
        }
        Expr::Query { args, .. } => args.iter().flatten().for_each(|a| walk_builtins(a, found)),
        Expr::List(items)
        | Expr::Struct { fields: items, .. }
        | Expr::Variant { payload: items, .. } => {
            items.iter().for_each(|a| walk_builtins(a, found))
        }
        Expr::Match { scrutinee, arms } => {
            walk_builtins(scrutinee, found);
            arms.iter().for_each(|a| walk_builtins(&a.body, found));
        }
        Expr::Comprehension {
            source,
            filter,
            element,
            ..
        }
        | Expr::Aggregate {
            source,
            filter,
            element,
            ..
        } => {
            walk_builtins(source, found);
            if let Some(f) = filter {
                walk_builtins(f, found);
            }
            walk_builtins(element, found);
        }
        Expr::Let { value, body, .. }
        | Expr::Index {
            base: value,
            index: body,
        } => {
            walk_builtins(value, found);
            walk_builtins(body, found);
        }
        Expr::Try(inner) => walk_builtins(inner, found),
        Expr::MapLit(entries) => entries.iter().for_each(|(k, v)| {
            walk_builtins(k, found);
            walk_builtins(v, found);
        }),
    }
}
