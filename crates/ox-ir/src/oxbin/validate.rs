//! Layer-2 validation of a module: every index resolves (`OE1210`), the
//! standpoint lattice is acyclic (`OE1211`), and every arity and argument
//! count agrees with its callee (`OE1213`).
//!
//! The walker never indexes without a bounds check, so it is safe on any
//! decoded module; it runs before anything else looks at the module.

use std::collections::BTreeSet;

use super::canonical::MAX_NESTING;
use super::error::{
    OxbinError, SIGNATURE_MISMATCH, STANDPOINT_LATTICE_CYCLE, SYMBOL_RESOLUTION_FAILED, UNENCODABLE,
};
use crate::expr::{Builtin, Expr, FieldRef, Pattern, Stmt};
use crate::logic::{AggKind, Atom, Literal, Rule, RuleOrigin, Term, VarId};
use crate::module::{
    Check, CheckId, Concept, ConceptId, EnumDecl, EnumId, FnId, Function, Module, Mutation,
    MutationId, PredId, PredKind, Predicate, Query, QueryBody, QueryId, Refinement, Relation,
    RelationId, StandpointId, StructDecl, StructId,
};
use crate::types::Type;
use crate::value::Value;

/// Validates a module (layer 2 of load-time validation). The compiler runs
/// the same check before writing an artifact.
pub fn validate_module(module: &Module) -> Result<(), OxbinError> {
    let validator = Validator { module };
    validator.unique_paths()?;
    validator.concepts()?;
    validator.relations()?;
    validator.structs_and_enums()?;
    validator.predicates()?;
    for (index, rule) in module.rules.iter().enumerate() {
        let at = format!("rule #{index}");
        validator.rule(rule, &at)?;
        validator.standpoint(rule.standpoint, &at)?;
    }
    for check in &module.checks {
        validator.standpoint(check.standpoint, &format!("check `{}`", check.path))?;
    }
    for query in &module.queries {
        for id in &query.across {
            validator.standpoint(Some(*id), &format!("query `{}`, across", query.path))?;
        }
    }
    validator.checks()?;
    validator.queries()?;
    validator.mutations()?;
    validator.functions()?;
    validator.standpoints()
}

fn unresolved(message: String) -> OxbinError {
    OxbinError::new(SYMBOL_RESOLUTION_FAILED, message)
}

fn mismatch(message: String) -> OxbinError {
    OxbinError::new(SIGNATURE_MISMATCH, message)
}

/// Refuses an aggregate's `zero` unless it belongs to a `sum` and is the
/// zero of a summable type.
fn sum_zero(kind: AggKind, zero: Option<&Value>, at: &str) -> Result<(), OxbinError> {
    let Some(zero) = zero else {
        return Ok(());
    };
    let is_zero = match zero {
        Value::Nat(n) => *n == 0,
        Value::Int(n) => *n == 0,
        Value::Decimal(d) => d.is_zero(),
        Value::Money(m) => m.amount.is_zero() && m.currency.is_none(),
        Value::Duration(d) => *d == Default::default(),
        _ => false,
    };
    if kind == AggKind::Sum && is_zero {
        Ok(())
    } else {
        Err(mismatch(format!(
            "{at}: a `{}` aggregate with the sum zero {zero:?}",
            kind.name()
        )))
    }
}

/// Where an expression lives, how many locals it may use (`None`:
/// unchecked), and how deep in the CBOR of its section it is written.
#[derive(Clone, Copy)]
struct Scope<'a> {
    at: &'a str,
    var_count: Option<u32>,
    depth: usize,
}

impl<'a> Scope<'a> {
    /// A scope for the body of an item.
    fn new(at: &'a str, var_count: Option<u32>) -> Self {
        Scope {
            at,
            var_count,
            depth: ITEM_DEPTH,
        }
    }

    /// The scope of a child written `levels` CBOR levels further in.
    fn nested(self, levels: usize) -> Result<Self, OxbinError> {
        Ok(Scope {
            depth: within_nesting_limit(self.depth + levels, self.at)?,
            ..self
        })
    }
}

/// An upper bound of the CBOR depth at which the bodies of items (types,
/// expressions, literals, statements) start in the declarations section.
const ITEM_DEPTH: usize = 10;

/// The most CBOR levels a leaf node (e.g. `{"Const": {"Money": {…}}}`) spans.
const LEAF_LEVELS: usize = 3;

/// Refuses (`OE1201`) nodes nested deeper than an artifact may hold, so that
/// a module that validates can be serialized and read back: the depth is
/// tracked along the walk as an upper bound of the CBOR nesting.
fn within_nesting_limit(depth: usize, at: &str) -> Result<usize, OxbinError> {
    if depth + LEAF_LEVELS > MAX_NESTING {
        return Err(OxbinError::new(
            UNENCODABLE,
            format!("{at}: nested deeper than an artifact allows ({MAX_NESTING} CBOR levels)"),
        ));
    }
    Ok(depth)
}

struct Validator<'m> {
    module: &'m Module,
}

/// Looks up an item by typed index, or reports `OE1210`.
macro_rules! lookup {
    ($fn_name:ident, $id:ty, $field:ident, $item:ty, $what:literal) => {
        fn $fn_name(&self, id: $id, at: &str) -> Result<&'m $item, OxbinError> {
            self.module.$field.get(id.index()).ok_or_else(|| {
                unresolved(format!(
                    "{at}: {} #{} does not exist (the module has {})",
                    $what,
                    id.0,
                    self.module.$field.len()
                ))
            })
        }
    };
}

impl<'m> Validator<'m> {
    lookup!(concept, ConceptId, concepts, Concept, "concept");
    lookup!(relation, RelationId, relations, Relation, "relation");
    lookup!(predicate, PredId, predicates, Predicate, "predicate");
    lookup!(structure, StructId, structs, StructDecl, "struct");
    lookup!(enumeration, EnumId, enums, EnumDecl, "enum");
    lookup!(check, CheckId, checks, Check, "check");
    lookup!(query, QueryId, queries, Query, "query");
    lookup!(mutation, MutationId, mutations, Mutation, "mutation");
    lookup!(function, FnId, functions, Function, "fn");

    /// Paths identify items: two items of one kind may not share one
    /// (predicates excepted: a concept's predicates are named after it).
    fn unique_paths(&self) -> Result<(), OxbinError> {
        let m = self.module;
        let kinds: [(&str, Vec<&str>); 9] = [
            (
                "concept",
                m.concepts.iter().map(|x| x.path.as_str()).collect(),
            ),
            (
                "relation",
                m.relations.iter().map(|x| x.path.as_str()).collect(),
            ),
            (
                "struct",
                m.structs.iter().map(|x| x.path.as_str()).collect(),
            ),
            ("enum", m.enums.iter().map(|x| x.path.as_str()).collect()),
            ("check", m.checks.iter().map(|x| x.path.as_str()).collect()),
            ("query", m.queries.iter().map(|x| x.path.as_str()).collect()),
            (
                "mutation",
                m.mutations.iter().map(|x| x.path.as_str()).collect(),
            ),
            ("fn", m.functions.iter().map(|x| x.path.as_str()).collect()),
            (
                "standpoint",
                m.standpoints.iter().map(|x| x.path.as_str()).collect(),
            ),
        ];
        for (kind, paths) in kinds {
            let mut seen = BTreeSet::new();
            if let Some(duplicate) = paths.into_iter().find(|path| !seen.insert(*path)) {
                return Err(unresolved(format!(
                    "two {kind} declarations have the path `{duplicate}`"
                )));
            }
        }
        Ok(())
    }

    fn concepts(&self) -> Result<(), OxbinError> {
        // Supertypes first: counting inherited fields walks them.
        for concept in &self.module.concepts {
            let at = format!("concept `{}`", concept.path);
            for sup in &concept.supertypes {
                self.concept(*sup, &at)?;
            }
        }
        for (index, concept) in self.module.concepts.iter().enumerate() {
            let id = ConceptId(index as u32);
            let at = format!("concept `{}`", concept.path);
            for sub in &concept.cover {
                self.concept(*sub, &format!("{at}, cover"))?;
            }
            for (field_index, field) in concept.fields.iter().enumerate() {
                let field_at = format!("{at}, field `{}`", field.name);
                self.ty(&field.ty, &field_at, ITEM_DEPTH)?;
                self.own_predicate(
                    field.pred,
                    PredKind::Field(id, field_index as u32),
                    2,
                    &field_at,
                )?;
            }
            if let Some(key) = concept.key {
                self.field_index(id, key, &format!("{at}, key"))?;
            }
            if let Refinement::Where { conditions, .. } = &concept.refinement {
                let scope = Scope::new(&at, None);
                for condition in conditions {
                    self.expr(condition, scope)?;
                }
            }
            self.own_predicate(concept.pred, PredKind::Concept(id), 1, &at)?;
        }
        Ok(())
    }

    fn relations(&self) -> Result<(), OxbinError> {
        for (index, relation) in self.module.relations.iter().enumerate() {
            let at = format!("relation `{}`", relation.path);
            for sup in &relation.supertypes {
                self.relation(*sup, &at)?;
            }
            for param in relation.params.iter().chain(&relation.fields) {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
            if let Some(hidden) = relation.field_values {
                let stored = self.relation(hidden, &at)?;
                if relation.fields.is_empty()
                    || stored.params.len() != relation.params.len() + relation.fields.len()
                {
                    return Err(mismatch(format!(
                        "{at}: the relation holding its field values must take the endpoints and the fields"
                    )));
                }
            } else if !relation.fields.is_empty() {
                return Err(mismatch(format!(
                    "{at}: per-tuple fields without a relation holding their values"
                )));
            }
            if relation.cardinalities.len() != relation.params.len() {
                return Err(mismatch(format!(
                    "{at}: {} cardinalities for {} endpoints",
                    relation.cardinalities.len(),
                    relation.params.len()
                )));
            }
            self.own_predicate(
                relation.pred,
                PredKind::Relation(RelationId(index as u32)),
                relation.params.len(),
                &at,
            )?;
        }
        Ok(())
    }

    fn structs_and_enums(&self) -> Result<(), OxbinError> {
        for decl in &self.module.structs {
            let at = format!("struct `{}`", decl.path);
            for field in &decl.fields {
                self.ty(&field.ty, &at, ITEM_DEPTH)?;
            }
        }
        for decl in &self.module.enums {
            let at = format!("enum `{}`", decl.path);
            for param in decl.variants.iter().flat_map(|v| &v.payload) {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
        }
        Ok(())
    }

    fn predicates(&self) -> Result<(), OxbinError> {
        for predicate in &self.module.predicates {
            let at = format!("predicate `{}`", predicate.path);
            match predicate.kind {
                PredKind::Concept(concept) => {
                    self.concept(concept, &at)?;
                }
                PredKind::Field(concept, field) => {
                    self.field_ref(FieldRef { concept, field }, &at)?;
                }
                PredKind::Relation(relation) => {
                    self.relation(relation, &at)?;
                }
                PredKind::Check(check) => {
                    self.check(check, &at)?;
                }
                PredKind::Derived => {}
                PredKind::Complement(of) => {
                    let negated = self.predicate(of, &at)?;
                    if negated.kind != PredKind::Derived
                        || negated.params.len() != predicate.params.len()
                    {
                        return Err(mismatch(format!(
                            "{at}: the strong negation of `{}` must be a derived predicate with the same parameters",
                            negated.path
                        )));
                    }
                }
            }
            for param in &predicate.params {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
        }
        Ok(())
    }

    /// An item's own predicate: it exists, stands for that item and has the given arity.
    fn own_predicate(
        &self,
        pred: PredId,
        kind: PredKind,
        arity: usize,
        at: &str,
    ) -> Result<(), OxbinError> {
        let predicate = self.predicate(pred, at)?;
        if predicate.kind != kind {
            return Err(unresolved(format!(
                "{at}: predicate #{} (`{}`) stands for {:?}, not for this item",
                pred.0, predicate.path, predicate.kind
            )));
        }
        if predicate.params.len() != arity {
            return Err(mismatch(format!(
                "{at}: predicate `{}` has {} parameters, expected {arity}",
                predicate.path,
                predicate.params.len()
            )));
        }
        Ok(())
    }

    fn rule(&self, rule: &Rule, at: &str) -> Result<(), OxbinError> {
        if rule.var_names.len() != rule.var_count as usize {
            return Err(mismatch(format!(
                "{at}: {} variable names for {} variables",
                rule.var_names.len(),
                rule.var_count
            )));
        }
        let scope = Scope::new(at, Some(rule.var_count));
        self.atom(&rule.head, scope)?;
        self.literals(&rule.body, scope)?;
        match &rule.origin {
            RuleOrigin::Derive { .. } => {}
            RuleOrigin::Refinement(concept) => {
                self.concept(*concept, at)?;
            }
            RuleOrigin::Specialisation { sub, sup } => {
                self.concept(*sub, at)?;
                self.concept(*sup, at)?;
            }
            RuleOrigin::RelationSpecialisation { sub, sup } => {
                self.relation(*sub, at)?;
                self.relation(*sup, at)?;
            }
            RuleOrigin::Check(check) => {
                self.check(*check, at)?;
            }
        }
        Ok(())
    }

    fn checks(&self) -> Result<(), OxbinError> {
        for (index, check) in self.module.checks.iter().enumerate() {
            let at = format!("check `{}`", check.path);
            for param in &check.params {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
            self.own_predicate(
                check.pred,
                PredKind::Check(CheckId(index as u32)),
                check.params.len(),
                &at,
            )?;
        }
        Ok(())
    }

    fn queries(&self) -> Result<(), OxbinError> {
        for query in &self.module.queries {
            let at = format!("query `{}`", query.path);
            for param in &query.params {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
            self.ty(&query.result, &at, ITEM_DEPTH)?;
            match &query.body {
                QueryBody::Extent(pred) => {
                    self.predicate(*pred, &at)?;
                }
                QueryBody::Select(select) => {
                    if select.var_names.len() != select.var_count as usize {
                        return Err(mismatch(format!(
                            "{at}: {} variable names for {} variables",
                            select.var_names.len(),
                            select.var_count
                        )));
                    }
                    self.locals_cover_params(query.params.len(), select.var_count, &at)?;
                    let scope = Scope::new(&at, Some(select.var_count));
                    self.literals(&select.body, scope)?;
                    match &select.projection {
                        crate::module::Projection::Value(expr) => self.expr(expr, scope)?,
                        crate::module::Projection::Record(fields) => {
                            for (_, expr) in fields {
                                self.expr(expr, scope)?;
                            }
                        }
                    }
                    for (key, _) in &select.order_by {
                        self.expr(key, scope)?;
                    }
                    if let Some(group) = &select.group {
                        let inner = scope.nested(3)?;
                        for key in &group.keys {
                            self.expr(key, inner)?;
                        }
                        for agg in &group.aggregates {
                            self.var(agg.result, scope)?;
                            agg.over.iter().try_for_each(|v| self.var(*v, scope))?;
                            self.expr(&agg.value, inner)?;
                            sum_zero(agg.kind, agg.zero.as_ref(), scope.at)?;
                        }
                        if let Some(having) = &group.having {
                            self.expr(having, inner)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn mutations(&self) -> Result<(), OxbinError> {
        for mutation in &self.module.mutations {
            let at = format!("mutation `{}`", mutation.path);
            for param in &mutation.params {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
            self.ty(&mutation.result, &at, ITEM_DEPTH)?;
            self.locals_cover_params(mutation.params.len(), mutation.local_count, &at)?;
            let scope = Scope::new(&at, Some(mutation.local_count));
            self.stmts(&mutation.body, scope)?;
        }
        Ok(())
    }

    fn functions(&self) -> Result<(), OxbinError> {
        for function in &self.module.functions {
            let at = format!("fn `{}`", function.path);
            for param in &function.params {
                self.ty(&param.ty, &at, ITEM_DEPTH)?;
            }
            self.ty(&function.result, &at, ITEM_DEPTH)?;
            self.locals_cover_params(function.params.len(), function.local_count, &at)?;
            let scope = Scope::new(&at, Some(function.local_count));
            self.expr(&function.body, scope)?;
        }
        Ok(())
    }

    /// Parameter `i` is local `i`, so there are at least as many locals as parameters.
    fn locals_cover_params(&self, params: usize, locals: u32, at: &str) -> Result<(), OxbinError> {
        if params > locals as usize {
            return Err(mismatch(format!(
                "{at}: {params} parameters but only {locals} locals"
            )));
        }
        Ok(())
    }

    /// Parents resolve, and following parents never leads back (`OE1211`).
    /// A standpoint reference (of a rule, check or `across`) is in range.
    fn standpoint(&self, id: Option<StandpointId>, at: &str) -> Result<(), OxbinError> {
        match id {
            Some(id) if id.index() >= self.module.standpoints.len() => Err(unresolved(format!(
                "{at}: standpoint #{} does not exist (the module has {})",
                id.0,
                self.module.standpoints.len()
            ))),
            _ => Ok(()),
        }
    }

    fn standpoints(&self) -> Result<(), OxbinError> {
        let standpoints = &self.module.standpoints;
        for standpoint in standpoints {
            for parent in &standpoint.parents {
                if parent.index() >= standpoints.len() {
                    return Err(unresolved(format!(
                        "standpoint `{}`: parent standpoint #{} does not exist (the module has {})",
                        standpoint.path,
                        parent.0,
                        standpoints.len()
                    )));
                }
            }
        }
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut marks = vec![Mark::New; standpoints.len()];
        for root in 0..standpoints.len() {
            if marks[root] != Mark::New {
                continue;
            }
            // Iterative depth-first search: (standpoint, next parent to visit).
            let mut path: Vec<(usize, usize)> = vec![(root, 0)];
            marks[root] = Mark::OnPath;
            while let Some((node, next)) = path.last_mut() {
                let node = *node;
                match standpoints[node].parents.get(*next) {
                    Some(StandpointId(parent)) => {
                        *next += 1;
                        let parent = *parent as usize;
                        match marks[parent] {
                            Mark::New => {
                                marks[parent] = Mark::OnPath;
                                path.push((parent, 0));
                            }
                            Mark::OnPath => {
                                let start = path.iter().position(|(n, _)| *n == parent);
                                let cycle: Vec<&str> = path[start.unwrap_or(0)..]
                                    .iter()
                                    .map(|(n, _)| standpoints[*n].path.as_str())
                                    .chain(std::iter::once(standpoints[parent].path.as_str()))
                                    .collect();
                                return Err(OxbinError::new(
                                    STANDPOINT_LATTICE_CYCLE,
                                    format!("standpoint lattice cycle: {}", cycle.join(" <: ")),
                                ));
                            }
                            Mark::Done => {}
                        }
                    }
                    None => {
                        marks[node] = Mark::Done;
                        path.pop();
                    }
                }
            }
        }
        Ok(())
    }

    /// A type written at CBOR depth `depth`.
    fn ty(&self, ty: &Type, at: &str, depth: usize) -> Result<(), OxbinError> {
        within_nesting_limit(depth, at)?;
        match ty {
            Type::Nat
            | Type::Int
            | Type::Real
            | Type::Decimal
            | Type::String
            | Type::Bool
            | Type::Date
            | Type::DateTime
            | Type::Duration
            | Type::Money
            | Type::Unit => Ok(()),
            Type::Concept(id) => self.concept(*id, at).map(drop),
            Type::Struct(id) => self.structure(*id, at).map(drop),
            Type::Enum(id) => self.enumeration(*id, at).map(drop),
            Type::Tuple(id) => self.predicate(*id, at).map(drop),
            Type::Option(inner) | Type::Set(inner) => self.ty(inner, at, depth + 1),
            Type::List(inner, _) => self.ty(inner, at, depth + 2),
            Type::Map(key, value) => {
                self.ty(key, at, depth + 2)?;
                self.ty(value, at, depth + 2)
            }
            Type::Record(fields) => fields
                .iter()
                .try_for_each(|(_, ty)| self.ty(ty, at, depth + 3)),
        }
    }

    /// A constant written at CBOR depth `depth`.
    fn value(&self, value: &Value, at: &str, depth: usize) -> Result<(), OxbinError> {
        within_nesting_limit(depth, at)?;
        match value {
            Value::Struct(id, fields) => {
                self.structure(*id, at)?;
                fields.iter().try_for_each(|v| self.value(v, at, depth + 3))
            }
            Value::Enum(id, variant, payload) => {
                let decl = self.enumeration(*id, at)?;
                if *variant as usize >= decl.variants.len() {
                    return Err(unresolved(format!(
                        "{at}: enum `{}` has no variant #{variant}",
                        decl.path
                    )));
                }
                payload
                    .iter()
                    .try_for_each(|v| self.value(v, at, depth + 3))
            }
            Value::List(items) => items.iter().try_for_each(|v| self.value(v, at, depth + 2)),
            Value::Map(pairs) => pairs.iter().try_for_each(|(k, v)| {
                self.value(k, at, depth + 3)?;
                self.value(v, at, depth + 3)
            }),
            Value::Null
            | Value::Bool(_)
            | Value::Nat(_)
            | Value::Int(_)
            | Value::Decimal(_)
            | Value::Money(_)
            | Value::String(_)
            | Value::Date(_)
            | Value::DateTime(_)
            | Value::Duration(_)
            | Value::Ref(_) => Ok(()),
        }
    }

    fn var(&self, var: VarId, scope: Scope<'_>) -> Result<(), OxbinError> {
        match scope.var_count {
            Some(count) if var.0 >= count => Err(unresolved(format!(
                "{}: variable #{} is out of range ({count} variables)",
                scope.at, var.0
            ))),
            _ => Ok(()),
        }
    }

    /// A field declared by the concept itself.
    fn field_ref(&self, field: FieldRef, at: &str) -> Result<(), OxbinError> {
        let concept = self.concept(field.concept, at)?;
        if field.field as usize >= concept.fields.len() {
            return Err(unresolved(format!(
                "{at}: concept `{}` has no field #{} (it declares {})",
                concept.path,
                field.field,
                concept.fields.len()
            )));
        }
        Ok(())
    }

    /// A field index among a concept's own and inherited fields.
    fn field_index(&self, concept: ConceptId, index: u32, at: &str) -> Result<(), OxbinError> {
        let count = self.all_field_count(concept, at)?;
        if index as usize >= count {
            return Err(unresolved(format!(
                "{at}: field #{index} is out of range (the concept has {count} fields with inherited ones)"
            )));
        }
        Ok(())
    }

    fn all_field_count(&self, concept: ConceptId, at: &str) -> Result<usize, OxbinError> {
        let concepts = &self.module.concepts;
        self.concept(concept, at)?;
        let mut seen = vec![false; concepts.len()];
        let mut pending = vec![concept.index()];
        seen[concept.index()] = true;
        let mut count = 0;
        while let Some(index) = pending.pop() {
            let current = self.concept(ConceptId(index as u32), at)?;
            count += current.fields.len();
            for sup in &current.supertypes {
                let sup = self.concept(*sup, at).map(|_| sup.index())?;
                if !seen[sup] {
                    seen[sup] = true;
                    pending.push(sup);
                }
            }
        }
        Ok(count)
    }

    /// An atom whose literal is written at `scope.depth` (`{"Pos": {"args": [{"Const": …}]}}`).
    fn atom(&self, atom: &Atom, scope: Scope<'_>) -> Result<(), OxbinError> {
        let predicate = self.predicate(atom.pred, scope.at)?;
        if atom.args.len() != predicate.params.len() {
            return Err(mismatch(format!(
                "{}: atom `{}` has {} arguments, the predicate has {} parameters",
                scope.at,
                predicate.path,
                atom.args.len(),
                predicate.params.len()
            )));
        }
        let constants = scope.nested(4)?;
        atom.args.iter().try_for_each(|term| match term {
            Term::Var(var) => self.var(*var, scope),
            Term::Const(value) => self.value(value, scope.at, constants.depth),
        })
    }

    fn literals(&self, body: &[Literal], scope: Scope<'_>) -> Result<(), OxbinError> {
        body.iter().try_for_each(|literal| match literal {
            Literal::Pos(atom) | Literal::Neg(atom) => self.atom(atom, scope),
            Literal::Compare { left, right, .. } => {
                self.expr(left, scope.nested(2)?)?;
                self.expr(right, scope.nested(2)?)
            }
            Literal::Bind { var, expr } => {
                self.var(*var, scope)?;
                self.expr(expr, scope.nested(2)?)
            }
            Literal::Aggregate {
                result,
                kind,
                group_by,
                body,
                value,
                zero,
            } => {
                sum_zero(*kind, zero.as_ref(), scope.at)?;
                self.var(*result, scope)?;
                group_by.iter().try_for_each(|v| self.var(*v, scope))?;
                // `{"Aggregate": {"body": [<literal>]}}`: three levels in.
                self.literals(body, scope.nested(3)?)?;
                match value {
                    Some(value) => self.expr(value, scope.nested(3)?),
                    None => Ok(()),
                }
            }
        })
    }

    fn arg_count(
        &self,
        scope: Scope<'_>,
        callee: &str,
        given: usize,
        wanted: usize,
    ) -> Result<(), OxbinError> {
        if given != wanted {
            return Err(mismatch(format!(
                "{}: {callee} takes {wanted} arguments, given {given}",
                scope.at
            )));
        }
        Ok(())
    }

    /// Expressions written as elements of an array `levels` deeper than `scope`.
    fn exprs(&self, exprs: &[Expr], scope: Scope<'_>, levels: usize) -> Result<(), OxbinError> {
        let inner = scope.nested(levels)?;
        exprs.iter().try_for_each(|e| self.expr(e, inner))
    }

    /// An expression written at `scope.depth`; a variant `{"V": {"child": …}}`
    /// puts its children two levels deeper, argument arrays three.
    fn expr(&self, expr: &Expr, scope: Scope<'_>) -> Result<(), OxbinError> {
        match expr {
            Expr::Const(value) => self.value(value, scope.at, scope.nested(1)?.depth),
            Expr::Var(var) => self.var(*var, scope),
            Expr::Field { base, field } => {
                self.field_ref(*field, scope.at)?;
                self.expr(base, scope.nested(2)?)
            }
            Expr::StructField { base, .. } | Expr::Unary { expr: base, .. } => {
                self.expr(base, scope.nested(2)?)
            }
            Expr::Binary { left, right, .. } => {
                self.expr(left, scope.nested(2)?)?;
                self.expr(right, scope.nested(2)?)
            }
            Expr::If {
                cond,
                then,
                otherwise,
            } => {
                let inner = scope.nested(2)?;
                self.expr(cond, inner)?;
                self.expr(then, inner)?;
                self.expr(otherwise, inner)
            }
            Expr::Call { func, args } => {
                let function = self.function(*func, scope.at)?;
                let callee = format!("fn `{}`", function.path);
                self.arg_count(scope, &callee, args.len(), function.params.len())?;
                self.exprs(args, scope, 3)
            }
            Expr::Builtin { builtin, args } => {
                let wanted = match builtin {
                    Builtin::Today | Builtin::Now => 0,
                    Builtin::DurationOf(_)
                    | Builtin::DatePart(_)
                    | Builtin::Len
                    | Builtin::IsSome
                    | Builtin::IsNone
                    | Builtin::Keys
                    | Builtin::Values => 1,
                    Builtin::UnwrapOr => 2,
                };
                let callee = format!("builtin {builtin:?}");
                self.arg_count(scope, &callee, args.len(), wanted)?;
                self.exprs(args, scope, 3)
            }
            Expr::Holds { pred, args } => {
                let predicate = self.predicate(*pred, scope.at)?;
                let callee = format!("predicate `{}`", predicate.path);
                self.arg_count(scope, &callee, args.len(), predicate.params.len())?;
                self.exprs(args, scope, 3)
            }
            Expr::Query { query, args } => {
                let callee = self.query(*query, scope.at)?;
                let name = format!("query `{}`", callee.path);
                self.arg_count(scope, &name, args.len(), callee.params.len())?;
                let inner = scope.nested(3)?;
                for (arg, param) in args.iter().zip(&callee.params) {
                    match arg {
                        Some(arg) => self.expr(arg, inner)?,
                        None if param.optional => {}
                        None => {
                            return Err(mismatch(format!(
                                "{}: {name} parameter `{}` is required but left free",
                                scope.at, param.name
                            )))
                        }
                    }
                }
                Ok(())
            }
            Expr::Extent(concept) => self.concept(*concept, scope.at).map(drop),
            Expr::List(items) => self.exprs(items, scope, 2),
            Expr::Comprehension {
                var,
                source,
                filter,
                element,
                ..
            }
            | Expr::Aggregate {
                var,
                source,
                filter,
                element,
                ..
            } => {
                if let Expr::Aggregate { kind, zero, .. } = expr {
                    sum_zero(*kind, zero.as_ref(), scope.at)?;
                }
                self.var(*var, scope)?;
                let inner = scope.nested(2)?;
                self.expr(source, inner)?;
                if let Some(filter) = filter {
                    self.expr(filter, inner)?;
                }
                self.expr(element, inner)
            }
            Expr::Struct { id, fields } => {
                let decl = self.structure(*id, scope.at)?;
                let callee = format!("struct `{}`", decl.path);
                self.arg_count(scope, &callee, fields.len(), decl.fields.len())?;
                self.exprs(fields, scope, 3)
            }
            Expr::Let { var, value, body } => {
                self.var(*var, scope)?;
                let inner = scope.nested(2)?;
                self.expr(value, inner)?;
                self.expr(body, inner)
            }
            Expr::Variant { id, payload, .. } => {
                self.enumeration(*id, scope.at)?;
                self.exprs(payload, scope, 3)
            }
            Expr::Match { scrutinee, arms } => {
                self.expr(scrutinee, scope.nested(2)?)?;
                let arm = scope.nested(4)?;
                arms.iter().try_for_each(|a| {
                    self.pattern(&a.pattern, arm)?;
                    self.expr(&a.body, arm)
                })
            }
            Expr::MapLit(entries) => {
                let entry = scope.nested(4)?;
                entries.iter().try_for_each(|(k, v)| {
                    self.expr(k, entry)?;
                    self.expr(v, entry)
                })
            }
            Expr::Index { base, index } => {
                let inner = scope.nested(2)?;
                self.expr(base, inner)?;
                self.expr(index, inner)
            }
            Expr::Try(inner) => self.expr(inner, scope.nested(2)?),
        }
    }

    /// A `match` pattern written at `scope.depth` (children two or three levels deeper).
    fn pattern(&self, pattern: &Pattern, scope: Scope<'_>) -> Result<(), OxbinError> {
        within_nesting_limit(scope.depth, scope.at)?;
        match pattern {
            Pattern::Wildcard => Ok(()),
            Pattern::Bind(var) => self.var(*var, scope),
            Pattern::Const(value) => self.value(value, scope.at, scope.nested(1)?.depth),
            Pattern::Variant { id, elems, .. } => {
                self.enumeration(*id, scope.at)?;
                let inner = scope.nested(3)?;
                elems.iter().try_for_each(|p| self.pattern(p, inner))
            }
            Pattern::Struct { id, fields } => {
                self.structure(*id, scope.at)?;
                let inner = scope.nested(3)?;
                fields.iter().try_for_each(|p| self.pattern(p, inner))
            }
            Pattern::Some(inner) => self.pattern(inner, scope.nested(2)?),
            Pattern::Or(alternatives) => {
                let inner = scope.nested(2)?;
                alternatives.iter().try_for_each(|p| self.pattern(p, inner))
            }
        }
    }

    /// Statements written as elements of an array at `scope.depth`.
    fn stmts(&self, stmts: &[Stmt], scope: Scope<'_>) -> Result<(), OxbinError> {
        stmts.iter().try_for_each(|s| self.stmt(s, scope))
    }

    /// A statement written at `scope.depth`: `{"V": {"child": …}}` puts
    /// expressions two levels deeper, arrays of them three, arrays of pairs four.
    fn stmt(&self, stmt: &Stmt, scope: Scope<'_>) -> Result<(), OxbinError> {
        match stmt {
            Stmt::Let { var, value } => {
                self.var(*var, scope)?;
                self.expr(value, scope.nested(2)?)
            }
            Stmt::Require { cond, .. } | Stmt::Assert { cond, .. } => {
                self.expr(cond, scope.nested(2)?)
            }
            Stmt::InsertIndividual {
                concept,
                fields,
                bind,
            } => {
                self.concept(*concept, scope.at)?;
                let inner = scope.nested(4)?;
                for (field, value) in fields {
                    self.field_index(*concept, *field, scope.at)?;
                    self.expr(value, inner)?;
                }
                bind.map_or(Ok(()), |var| self.var(var, scope))
            }
            Stmt::InsertTuple { relation, args } => {
                let decl = self.relation(*relation, scope.at)?;
                let callee = format!("relation `{}`", decl.path);
                let arity = decl.params.len() + decl.fields.len();
                self.arg_count(scope, &callee, args.len(), arity)?;
                self.exprs(args, scope, 3)
            }
            Stmt::DeleteTuple { relation, args } => {
                let decl = self.relation(*relation, scope.at)?;
                let callee = format!("relation `{}`", decl.path);
                self.arg_count(scope, &callee, args.len(), decl.params.len())?;
                self.exprs(args, scope, 3)
            }
            Stmt::InsertIof {
                individual,
                concept,
            }
            | Stmt::DeleteIof {
                individual,
                concept,
            } => {
                self.concept(*concept, scope.at)?;
                self.expr(individual, scope.nested(2)?)
            }
            Stmt::Update { target, sets } => {
                self.expr(target, scope.nested(2)?)?;
                let inner = scope.nested(4)?;
                for (field, _, value) in sets {
                    self.field_ref(*field, scope.at)?;
                    self.expr(value, inner)?;
                }
                Ok(())
            }
            Stmt::DeleteIndividual(expr) | Stmt::Forget(expr) | Stmt::Return(expr) => {
                self.expr(expr, scope.nested(1)?)
            }
            Stmt::Emit { value, .. } => self.expr(value, scope.nested(2)?),
            Stmt::For { var, source, body } => {
                self.var(*var, scope)?;
                self.expr(source, scope.nested(2)?)?;
                self.stmts(body, scope.nested(3)?)
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, scope.nested(2)?)?;
                let inner = scope.nested(3)?;
                self.stmts(then, inner)?;
                self.stmts(otherwise, inner)
            }
            Stmt::CallMutation {
                mutation,
                args,
                bind,
            } => {
                if let Some(var) = bind {
                    self.var(*var, scope)?;
                }
                let callee = self.mutation(*mutation, scope.at)?;
                let name = format!("mutation `{}`", callee.path);
                self.arg_count(scope, &name, args.len(), callee.params.len())?;
                self.exprs(args, scope, 3)
            }
        }
    }
}
