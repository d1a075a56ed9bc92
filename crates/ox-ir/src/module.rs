//! The declarations of a compiled module.
//!
//! Declarations refer to each other by typed indices into the module's
//! vectors ([`ConceptId`], [`PredId`] …), so the IR has no name lookups at run
//! time. Every item keeps its short `name` and its qualified `path`
//! (`package::module::item`), which is what clients call.

use serde::{Deserialize, Serialize};

use crate::expr::{Expr, Stmt};
use crate::logic::{Literal, Rule, VarId};
use crate::types::{Cardinality, Type};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into the module's vector of this kind of item.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type!(
    /// Index into [`Module::concepts`].
    ConceptId,
    /// Index into [`Module::relations`].
    RelationId,
    /// Index into [`Module::predicates`].
    PredId,
    /// Index into [`Module::structs`].
    StructId,
    /// Index into [`Module::enums`].
    EnumId,
    /// Index into [`Module::checks`].
    CheckId,
    /// Index into [`Module::queries`].
    QueryId,
    /// Index into [`Module::mutations`].
    MutationId,
    /// Index into [`Module::functions`].
    FnId,
    /// Index into [`Module::standpoints`].
    StandpointId,
);

/// The package a module was built from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PackageInfo {
    pub name: String,
    pub version: String,
    /// The entry file, relative to the package root (e.g. `src/root.ar`).
    pub entry: String,
}

/// A compiled module: everything the runtime needs, nothing about source text
/// except names and doc comments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Module {
    pub package: PackageInfo,
    pub concepts: Vec<Concept>,
    pub relations: Vec<Relation>,
    pub structs: Vec<StructDecl>,
    pub enums: Vec<EnumDecl>,
    /// Every predicate the reasoner knows: concept membership, fields,
    /// relations, derived predicates and check bodies.
    pub predicates: Vec<Predicate>,
    /// All rules, including specialisation closure, `iff` refinements, check
    /// bodies and ground facts (rules with an empty body).
    pub rules: Vec<Rule>,
    pub checks: Vec<Check>,
    pub queries: Vec<Query>,
    pub mutations: Vec<Mutation>,
    pub functions: Vec<Function>,
    pub standpoints: Vec<Standpoint>,
}

/// Visibility of an item outside its package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Visibility {
    /// Private to its file.
    Private,
    /// `pub(pkg)`: package-wide, not exported.
    Package,
    /// `pub`: exported; queries, mutations and fns are callable over HTTP.
    Public,
}

/// A named, typed parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub ty: Type,
}

/// A concept (`type`, `kind`, … declared with a metatype introducer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Concept {
    pub name: String,
    pub path: String,
    /// The introducer it was declared with (`type`, `kind`, `role` …).
    pub metatype: String,
    pub visibility: Visibility,
    /// Direct supertypes.
    pub supertypes: Vec<ConceptId>,
    /// Own fields (inherited fields live on the supertype that declares them).
    pub fields: Vec<Field>,
    /// The field that supplies the individual's id at insert, if any.
    pub key: Option<u32>,
    pub refinement: Refinement,
    /// The unary membership predicate.
    pub pred: PredId,
    pub doc: Option<String>,
    /// A complete cover (`kind Animal { Dog, Cat }`): every instance must be an
    /// instance of one of these subtypes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cover: Vec<ConceptId>,
}

/// How membership in a concept is decided.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Refinement {
    /// Membership is asserted.
    None,
    /// `iff { … }`: membership is derived (a rule with [`crate::RuleOrigin::Refinement`]);
    /// asserting it is refused.
    Iff,
    /// `where { … }`: asserted membership with invariants over `self` (`VarId(0)`),
    /// checked after every write that touches a member. `texts` hold the source of each condition.
    Where {
        conditions: Vec<Expr>,
        texts: Vec<String>,
    },
}

/// A field of a concept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    /// Whether `update` may change it.
    pub mutable: bool,
    /// The binary `(individual, value)` predicate holding its values.
    pub pred: PredId,
    /// The field's `///` comment (kept out of the schema hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// A relation between individuals (or values).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Relation {
    pub name: String,
    pub path: String,
    pub metarel: String,
    pub visibility: Visibility,
    pub params: Vec<Param>,
    /// One per endpoint: how many tuples each value at that position takes part in.
    pub cardinalities: Vec<Cardinality>,
    pub pred: PredId,
    pub doc: Option<String>,
    /// Relations this one specialises (`rel R(..) <: S`): every tuple of R is a tuple of S.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supertypes: Vec<RelationId>,
    /// Per-tuple fields (`rel R(..) { since: Date }`), in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Param>,
    /// The hidden relation holding each tuple with its field values (the
    /// endpoints, then one value per field); set exactly when `fields` is not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_values: Option<RelationId>,
}

/// A struct type (a value without identity).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StructDecl {
    pub name: String,
    pub path: String,
    pub fields: Vec<Param>,
    pub doc: Option<String>,
    /// The `///` comment of each field, by position (empty when none has one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_docs: Vec<Option<String>>,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnumDecl {
    pub name: String,
    pub path: String,
    pub variants: Vec<Variant>,
    pub doc: Option<String>,
}

/// One enum variant with its payload types (empty for a unit variant).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    pub payload: Vec<Param>,
    /// The variant's `///` comment (kept out of the schema hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// What a predicate stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PredKind {
    /// Membership in a concept: `(individual)`. Base facts plus derived closure.
    Concept(ConceptId),
    /// A field: `(individual, value)`. Base facts only.
    Field(ConceptId, u32),
    /// A relation's tuples. Base facts (and ground facts).
    Relation(RelationId),
    /// A `derive`d predicate. Derived only.
    Derived,
    /// The violations of a check. Derived only.
    Check(CheckId),
    /// The strong negation `~p` of the derived predicate `p` (same
    /// parameters): derived by `derive ~p(…)` clauses, read by `~p(…)` atoms.
    Complement(PredId),
}

/// A predicate known to the reasoner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Predicate {
    /// Display name: `Person`, `Person.age`, `LeaseOf`, `breach`.
    pub name: String,
    pub path: String,
    pub kind: PredKind,
    pub params: Vec<Param>,
    pub visibility: Visibility,
    pub doc: Option<String>,
}

/// Severity of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Reported only.
    Warning,
    /// A guard: a mutation that adds a violation is rolled back.
    Error,
}

/// A `check`: each binding of its body is a violation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub path: String,
    pub params: Vec<Param>,
    pub severity: Severity,
    /// Message template; `{x}` interpolates parameter `x`.
    pub message: Option<String>,
    /// The predicate collecting violations (head of the check's rules).
    pub pred: PredId,
    /// The standpoint the check was declared in; `None` is the default
    /// layer. A check of standpoint S runs only under S or a descendant of S.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standpoint: Option<StandpointId>,
}

/// A query parameter; an optional one left out by the caller becomes a free join variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueryParam {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
}

/// A declared query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Query {
    pub name: String,
    pub path: String,
    pub visibility: Visibility,
    /// Parameter `i` is `VarId(i)` in the body.
    pub params: Vec<QueryParam>,
    pub result: Type,
    /// `as_of N`: read the state at transaction N.
    pub as_of: Option<u64>,
    /// `across [S1, S2]`: the standpoints whose answers are merged into
    /// four-valued rows (empty: an ordinary query).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub across: Vec<StandpointId>,
    pub body: QueryBody,
    pub doc: Option<String>,
}

/// What a query evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QueryBody {
    /// A bodiless query: the extent of a concept or predicate.
    Extent(PredId),
    /// `select projection from … where …`.
    Select(Select),
}

/// A conjunctive query with a projection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Select {
    pub var_count: u32,
    pub var_names: Vec<String>,
    /// The `from` and `where` atoms, in order.
    pub body: Vec<Literal>,
    pub projection: Projection,
    /// `order by` keys; `true` = descending. Without it rows are sorted by value.
    pub order_by: Vec<(Expr, bool)>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// `group by` / `having` / aggregate projections: when present, the
    /// projection, `having` and `order by` are evaluated once per group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Box<Grouping>>,
}

/// How a query's solutions are grouped before projection.
///
/// Solutions with equal `keys` form a group (no keys: one group, even when
/// there are no solutions). Each aggregate's result is written to its
/// `result` local; the other locals keep the values of the group's first
/// solution (the compiler only lets the projection read variables that occur
/// in the keys, so they are equal across the group).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grouping {
    pub keys: Vec<Expr>,
    pub aggregates: Vec<QueryAggregate>,
    /// `having`: groups where it is false are dropped.
    pub having: Option<Expr>,
}

/// One aggregate of a grouped query (`count(l)`, `sum(l.rent)` …).
///
/// It ranges over the distinct bindings of `over` (the solution variables
/// `value` reads) within the group; bindings whose value is `Null` are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueryAggregate {
    pub kind: crate::logic::AggKind,
    pub value: Expr,
    pub over: Vec<VarId>,
    pub result: VarId,
    /// As [`crate::logic::Literal::Aggregate`]'s `zero`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero: Option<crate::value::Value>,
}

/// The shape of each query row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Projection {
    /// `select e`: one value per row.
    Value(Expr),
    /// `select { a: e1, b: e2 }`: one record per row.
    Record(Vec<(String, Expr)>),
}

/// A declared mutation: one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mutation {
    pub name: String,
    pub path: String,
    pub visibility: Visibility,
    /// Parameter `i` is `VarId(i)`.
    pub params: Vec<Param>,
    pub result: Type,
    pub body: Vec<Stmt>,
    /// Number of locals (parameters included).
    pub local_count: u32,
    /// Whether it may `forget` (`#[allow_forget]`); the HTTP server refuses these outright.
    pub allow_forget: bool,
    /// Whether the body (or a mutation it calls) contains `forget`.
    pub forgets: bool,
    pub doc: Option<String>,
}

/// A pure function.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    pub path: String,
    pub visibility: Visibility,
    /// Parameter `i` is `VarId(i)`.
    pub params: Vec<Param>,
    pub result: Type,
    pub body: Expr,
    pub local_count: u32,
    pub doc: Option<String>,
}

/// A standpoint in the lattice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Standpoint {
    pub name: String,
    pub path: String,
    pub parents: Vec<StandpointId>,
}

/// A `test` block (kept by the compiler for `ox test`; not part of the artifact).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Test {
    pub name: String,
    pub body: Vec<Stmt>,
    pub local_count: u32,
    /// Local names for messages (`local_names[i]` names `VarId(i)`).
    pub local_names: Vec<String>,
}

impl Module {
    /// Finds a callable by qualified path, or by short name when exactly one item has it.
    fn find<'a, T>(
        items: &'a [T],
        name: &str,
        key: impl Fn(&T) -> (&str, &str),
    ) -> Option<(usize, &'a T)> {
        if let Some(found) = items
            .iter()
            .enumerate()
            .find(|(_, item)| key(item).1 == name)
        {
            return Some(found);
        }
        let mut matches = items
            .iter()
            .enumerate()
            .filter(|(_, item)| key(item).0 == name);
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    }

    /// A query by `package::item` path or unambiguous short name.
    pub fn query_named(&self, name: &str) -> Option<(QueryId, &Query)> {
        Self::find(&self.queries, name, |q| (&q.name, &q.path)).map(|(i, q)| (QueryId(i as u32), q))
    }

    /// A mutation by `package::item` path or unambiguous short name.
    pub fn mutation_named(&self, name: &str) -> Option<(MutationId, &Mutation)> {
        Self::find(&self.mutations, name, |m| (&m.name, &m.path))
            .map(|(i, m)| (MutationId(i as u32), m))
    }

    /// A function by `package::item` path or unambiguous short name.
    pub fn function_named(&self, name: &str) -> Option<(FnId, &Function)> {
        Self::find(&self.functions, name, |f| (&f.name, &f.path)).map(|(i, f)| (FnId(i as u32), f))
    }

    /// A concept by path or unambiguous short name.
    pub fn concept_named(&self, name: &str) -> Option<(ConceptId, &Concept)> {
        Self::find(&self.concepts, name, |c| (&c.name, &c.path))
            .map(|(i, c)| (ConceptId(i as u32), c))
    }

    /// A predicate by path or unambiguous short name.
    pub fn predicate_named(&self, name: &str) -> Option<(PredId, &Predicate)> {
        Self::find(&self.predicates, name, |p| (&p.name, &p.path))
            .map(|(i, p)| (PredId(i as u32), p))
    }

    pub fn concept(&self, id: ConceptId) -> &Concept {
        &self.concepts[id.index()]
    }

    pub fn predicate(&self, id: PredId) -> &Predicate {
        &self.predicates[id.index()]
    }

    /// The concept and every transitive supertype, the concept first.
    pub fn ancestors(&self, id: ConceptId) -> Vec<ConceptId> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            for sup in &self.concepts[out[i].index()].supertypes {
                if !out.contains(sup) {
                    out.push(*sup);
                }
            }
            i += 1;
        }
        out
    }

    /// Whether `sub` is `sup` or one of its (transitive) specialisations.
    pub fn is_subconcept(&self, sub: ConceptId, sup: ConceptId) -> bool {
        self.ancestors(sub).contains(&sup)
    }

    /// All fields of a concept including inherited ones, as field references.
    pub fn all_fields(&self, id: ConceptId) -> Vec<(crate::expr::FieldRef, &Field)> {
        self.ancestors(id)
            .into_iter()
            .flat_map(|c| {
                self.concepts[c.index()]
                    .fields
                    .iter()
                    .enumerate()
                    .map(move |(i, f)| {
                        (
                            crate::expr::FieldRef {
                                concept: c,
                                field: i as u32,
                            },
                            f,
                        )
                    })
            })
            .collect()
    }

    pub fn field(&self, r: crate::expr::FieldRef) -> &Field {
        &self.concepts[r.concept.index()].fields[r.field as usize]
    }
}
