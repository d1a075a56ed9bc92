//! Expressions and statements: the bodies of functions, query projections,
//! mutations and tests. Evaluated by the runtime against a state (the
//! reasoner's fixpoint at one point in time).

use serde::{Deserialize, Serialize};

use crate::logic::VarId;
use crate::module::{ConceptId, EnumId, FnId, MutationId, PredId, QueryId, RelationId, StructId};
use crate::value::Value;

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryOp {
    Not,
    Neg,
}

/// Binary operators (comparisons included; `&&`/`||` short-circuit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// Membership in a list/set value.
    In,
    NotIn,
}

/// Built-in functions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Builtin {
    /// The evaluation's valid-time date (never the host clock mid-run).
    Today,
    /// The evaluation's valid-time instant.
    Now,
    /// `n.days`, `n.months` …: the argument is an integer, the payload the unit.
    DurationOf(String),
    /// `d.year`, `d.month`, `d.day` on a date or date-time.
    DatePart(String),
    /// Number of elements of a list, set or map, or characters of a string.
    Len,
    /// `x.is_some()` / `x.is_none()` on an optional value.
    IsSome,
    IsNone,
    /// `m.keys()`: the keys of a map, sorted.
    Keys,
    /// `m.values()`: the values of a map in key order (repeated values kept).
    Values,
    /// `x.unwrap_or(d)`: the optional value, or `d` when it is absent.
    UnwrapOr,
}

/// A reference to one field of a concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldRef {
    pub concept: ConceptId,
    pub field: u32,
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Expr {
    Const(Value),
    /// A local: a parameter, `let` binding, loop variable or rule variable.
    Var(VarId),
    /// `base.field` where `base` is an individual. Single-valued fields give
    /// the value (or `Null` when absent); multi-valued fields give a set.
    Field {
        base: Box<Expr>,
        field: FieldRef,
    },
    /// `base.field` where `base` is a struct value.
    StructField {
        base: Box<Expr>,
        index: u32,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// A call of a pure `fn`.
    Call {
        func: FnId,
        args: Vec<Expr>,
    },
    Builtin {
        builtin: Builtin,
        args: Vec<Expr>,
    },
    /// `P(args)` as a boolean: whether the fact holds in the current state.
    Holds {
        pred: PredId,
        args: Vec<Expr>,
    },
    /// A call of a query; `None` leaves an optional parameter free.
    Query {
        query: QueryId,
        args: Vec<Option<Expr>>,
    },
    /// All current instances of a concept (a set of individuals).
    Extent(ConceptId),
    List(Vec<Expr>),
    /// `[element for var in source where filter]`.
    Comprehension {
        var: VarId,
        source: Box<Expr>,
        filter: Option<Box<Expr>>,
        element: Box<Expr>,
    },
    /// A struct literal, fields in declaration order.
    Struct {
        id: StructId,
        fields: Vec<Expr>,
    },
    /// `{ let var = value; body }`.
    Let {
        var: VarId,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    /// An enum value built from a variant and its payload (`Shape::Circle(r)`).
    Variant {
        id: EnumId,
        index: u32,
        payload: Vec<Expr>,
    },
    /// `match scrutinee { pattern => body, … }`: the first arm whose pattern
    /// matches is evaluated with the pattern's bindings set; no arm matching
    /// is a run-time error (the compiler requires a catch-all or full cover).
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    /// `Map { k => v, … }`: a map value; a later entry for a key replaces an earlier one.
    MapLit(Vec<(Expr, Expr)>),
    /// `base[index]`: a list element by 0-based position (out of range is a
    /// run-time error) or a map's value for a key (`Null` when absent).
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `e?`: the value of `e`; when it is absent the enclosing fn or mutation
    /// returns `Null` at once (the compiler allows it only where the result is optional).
    Try(Box<Expr>),
    /// `kind(element for var in source where filter)` outside rule bodies: one
    /// value per element of `source` (absent values skipped), folded like rule
    /// aggregates (`count` of nothing is 0, `sum` of nothing is `zero`,
    /// `min`/`max`/`avg` of nothing is `Null`).
    Aggregate {
        kind: crate::logic::AggKind,
        var: VarId,
        source: Box<Expr>,
        filter: Option<Box<Expr>>,
        element: Box<Expr>,
        /// As [`crate::logic::Literal::Aggregate`]'s `zero`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zero: Option<Value>,
    },
}

/// One arm of [`Expr::Match`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MatchArm {
    pub pattern: Pattern,
    pub body: Expr,
}

/// A pattern of [`Expr::Match`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pattern {
    /// `_`: matches anything.
    Wildcard,
    /// Matches anything and binds it to a local.
    Bind(VarId),
    /// Matches a value equal to the constant (literals, unit variants).
    Const(Value),
    /// Matches one variant of an enum whose payload matches `elems`.
    Variant {
        id: EnumId,
        index: u32,
        elems: Vec<Pattern>,
    },
    /// Matches a struct whose fields (declaration order) match `fields`.
    Struct { id: StructId, fields: Vec<Pattern> },
    /// Matches when any alternative does (alternatives bind the same locals).
    Or(Vec<Pattern>),
    /// `Some(p)` on an optional value: present (not `Null`) and matching `p`.
    Some(Box<Pattern>),
}

/// How `update … set { f op e }` changes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AssignOp {
    /// `=`: replace the value.
    Set,
    /// `+=`: add (numbers) or insert an element (multi-valued fields).
    Add,
    /// `-=`: subtract (numbers) or remove an element (multi-valued fields).
    Remove,
}

/// A statement of a mutation or test body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Stmt {
    Let {
        var: VarId,
        value: Expr,
    },
    /// `require { cond }`: abort the transaction when false; `text` is the source of the condition.
    Require {
        cond: Expr,
        text: String,
    },
    /// `insert Concept { inits }`; binds the new individual to `bind` when given.
    InsertIndividual {
        concept: ConceptId,
        fields: Vec<(u32, Expr)>,
        bind: Option<VarId>,
    },
    /// `insert Rel(args) { fields }`: `args` are the endpoints, then the
    /// values of the relation's per-tuple fields in declaration order.
    InsertTuple {
        relation: RelationId,
        args: Vec<Expr>,
    },
    /// `insert iof(x, T)`: classify into a primitive subtype.
    InsertIof {
        individual: Expr,
        concept: ConceptId,
    },
    /// `update target set { field op value, … }`.
    Update {
        target: Expr,
        sets: Vec<(crate::expr::FieldRef, AssignOp, Expr)>,
    },
    /// `delete Rel(args)`: a bitemporal retraction of the tuple.
    DeleteTuple {
        relation: RelationId,
        args: Vec<Expr>,
    },
    /// `delete iof(x, T)`.
    DeleteIof {
        individual: Expr,
        concept: ConceptId,
    },
    /// `delete x`: retire the individual.
    DeleteIndividual(Expr),
    /// `emit Name { value }`: a domain event returned in the receipt.
    Emit {
        name: String,
        value: Expr,
    },
    /// `forget x`: physical erasure (only with `#[allow_forget]`; refused over HTTP).
    Forget(Expr),
    For {
        var: VarId,
        source: Expr,
        body: Vec<Stmt>,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    /// Calling another mutation inside this transaction.
    CallMutation {
        mutation: MutationId,
        args: Vec<Expr>,
        /// `let var = other(args);`: the local that receives the called mutation's result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bind: Option<VarId>,
    },
    /// `return value;`
    Return(Expr),
    /// `assert cond;` (tests only); `text` is the source of the condition.
    Assert {
        cond: Expr,
        text: String,
    },
}
