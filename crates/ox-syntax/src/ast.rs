//! The abstract syntax tree of an Argon source file.
//!
//! Every node carries a [`Span`]. Names are [`Ident`]s; anything written
//! `a::b::c` is a [`Path`]. The tree is purely syntactic: introducers such as
//! `type` or `rel`, aggregate kinds, builtin functions (`today`, `meta`) and
//! primitive type names are kept as plain identifiers for the compiler to
//! resolve.

use serde::Serialize;

use crate::span::Span;

/// A parsed file: its inner doc (`//!`) and its items in source order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    /// Concatenated `//!` lines (one line each, without the marker), if any.
    pub inner_doc: Option<String>,
    /// Top-level items.
    pub items: Vec<Item>,
    /// The whole file.
    pub span: Span,
}

/// A name with its span. `$`-prefixed builtins (`$iof`) keep the `$`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    /// The name as written (Unicode aliases such as `∀` are stored as `forall`).
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// `a::b::c`; `self`, `super`, `pkg` and `std` are ordinary segments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Path {
    /// At least one segment.
    pub segments: Vec<Ident>,
    /// From the first to the last segment.
    pub span: Span,
}

/// Declaration visibility.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Visibility {
    /// No marker: private to the file.
    Private,
    /// `pub`: exported from the package.
    Public,
    /// `pub(pkg)`: visible package-wide, not exported.
    Package,
}

/// `#[name]` or `#[name(arg, …)]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attr {
    /// Attribute name (`key`, `severity`, `default`, `label`, `defeats`, `allow_forget`, …).
    pub name: Ident,
    /// Arguments in parentheses; empty when there are none.
    pub args: Vec<AttrArg>,
    /// From `#[` to `]`.
    pub span: Span,
}

/// One attribute argument.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AttrArg {
    /// A name or path, e.g. `error` in `#[severity(error)]`.
    Path(Path),
    /// A literal, e.g. `"reason"`.
    Lit(Lit),
}

/// A top-level (or standpoint-level) declaration with its attributes and doc.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    /// Attributes written before the item.
    pub attrs: Vec<Attr>,
    /// Concatenated `///` lines immediately before the item.
    pub doc: Option<String>,
    /// `pub` / `pub(pkg)` / private.
    pub vis: Visibility,
    /// What kind of item it is.
    pub kind: ItemKind,
    /// From the first attribute (or keyword) to the end of the item.
    pub span: Span,
}

/// The item kinds of the grammar.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[allow(clippy::large_enum_variant)] // items are few; boxing would only add noise
pub enum ItemKind {
    /// `use a::b;`, `use a::{b, c};`, `use a::*;`
    Use(UseDecl),
    /// `mod child;`
    Mod(ModDecl),
    /// `metaxis name for targets …;`
    Metaxis(MetaxisDecl),
    /// `abstract? fixed? metatype name = { axis: value, … };`
    Metatype(MetatypeDecl),
    /// `metarel name(end: metatype, …);`
    Metarel(MetarelDecl),
    /// `INTRODUCER Name <: T … { fields } | { Cover } | ;`
    Concept(ConceptDecl),
    /// `INTRODUCER Name(a: A, b: B) [cards] <: T { fields }?`
    Relation(RelationDecl),
    /// `struct Name { fields }`
    Struct(StructDecl),
    /// `enum Name { variants }`
    Enum(EnumDecl),
    /// `derive ~? head(args) :- atoms;` or a bodiless fact.
    Derive(DeriveDecl),
    /// `check name(params) :- atoms => "message";`
    Check(CheckDecl),
    /// `query name(params) -> T … ;` or with a `select` body.
    Query(QueryDecl),
    /// `mutate` / `mutation`.
    Mutate(MutateDecl),
    /// `fn` / `compute`.
    Fn(FnDecl),
    /// `standpoint Name <: parents { items }`
    Standpoint(StandpointDecl),
    /// `test "name" { statements }`
    Test(TestDecl),
}

// ---------------------------------------------------------------- modules

/// `use path;`, `use path::{a, b};` or `use path::*;`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UseDecl {
    /// The path before any `::{…}` or `::*`.
    pub path: Path,
    /// What is imported from `path`.
    pub tree: UseTree,
}

/// The tail of a `use` declaration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum UseTree {
    /// `use a::b;` imports `b` itself.
    Single,
    /// `use a::{b, c};` imports the listed names from `a`.
    Group(Vec<Ident>),
    /// `use a::*;` imports every public name of `a`.
    Glob,
}

/// `mod name;` — a child module in `name.ar`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModDecl {
    /// Module name.
    pub name: Ident,
}

// ---------------------------------------------------------------- substrate

/// `metaxis name for target (values)?;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetaxisDecl {
    /// Axis name.
    pub name: Ident,
    /// What the axis applies to; `[a, b]` lists are flattened.
    pub targets: Vec<MetaxisTarget>,
    /// The allowed values.
    pub values: MetaxisValues,
}

/// A metaxis target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetaxisTarget {
    /// Which kind of thing.
    pub kind: MetaxisTargetKind,
    /// Where written.
    pub span: Span,
}

/// What a metaxis qualifies.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum MetaxisTargetKind {
    /// `metatype`
    Metatype,
    /// `metarel`
    Metarel,
    /// `individual`
    Individual,
}

/// The value domain of a metaxis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum MetaxisValues {
    /// No values given (`metaxis a for metatype;`).
    Unspecified,
    /// `{ a, b, c }` — unordered.
    Unordered(Vec<Ident>),
    /// `{ a < b < c }` — totally ordered, least first.
    Chain(Vec<Ident>),
    /// `= Type (where expr)?` — values of a type, optionally constrained.
    Typed {
        /// Value type.
        ty: Type,
        /// Constraint over the value.
        constraint: Option<Expr>,
    },
}

/// `abstract? fixed? metatype name = { axis: value, … };`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetatypeDecl {
    /// `abstract` was written.
    pub is_abstract: bool,
    /// `fixed` was written.
    pub is_fixed: bool,
    /// Metatype name (it becomes an introducer).
    pub name: Ident,
    /// Axis assignments in source order.
    pub values: Vec<AxisValue>,
}

/// `axis: value` or `axis::value` inside a metatype.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AxisValue {
    /// The axis.
    pub axis: Ident,
    /// The value.
    pub value: AxisValueKind,
    /// The whole assignment.
    pub span: Span,
}

/// The right-hand side of an axis assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AxisValueKind {
    /// A named value of the axis.
    Ident(Ident),
    /// A literal for typed axes.
    Lit(Lit),
}

/// `metarel name(end: metatype, …);`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetarelDecl {
    /// Metarel name (it becomes an introducer of relations).
    pub name: Ident,
    /// Endpoints with the metatype each must have.
    pub endpoints: Vec<MetarelEndpoint>,
}

/// `name: metatype` in a metarel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetarelEndpoint {
    /// Endpoint role name.
    pub name: Ident,
    /// Required metatype.
    pub metatype: Ident,
    /// The whole endpoint.
    pub span: Span,
}

// ---------------------------------------------------------------- concepts

/// `INTRODUCER Name (<: T, …)? refinement? (body | cover | ;)`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConceptDecl {
    /// The introducer identifier (`type`, `kind`, `role`, …), resolved by name.
    pub introducer: Ident,
    /// Concept name.
    pub name: Ident,
    /// Supertypes after `<:`.
    pub supertypes: Vec<Type>,
    /// `iff { … }` or `where { … }`.
    pub refinement: Option<Refinement>,
    /// Fields, cover or nothing.
    pub body: ConceptBody,
}

/// A refinement clause of a concept.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refinement {
    /// `iff` (defined class) or `where` (invariant).
    pub kind: RefinementKind,
    /// Conditions, all of which must hold; `self` is the candidate.
    pub conditions: Vec<Expr>,
    /// From the keyword to `}`.
    pub span: Span,
}

/// Which refinement keyword was used.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum RefinementKind {
    /// `iff { P }`: membership is derived.
    Iff,
    /// `where { P }`: membership is asserted and P is an invariant.
    Where,
}

/// What follows a concept header.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ConceptBody {
    /// `;`
    None,
    /// `{ a: A, mut b: B }` (also `{}`).
    Fields(Vec<Field>),
    /// `{ Sub1, Sub2 }` — a complete cover by named subtypes.
    Cover(Vec<Ident>),
}

/// `#[attr]* mut? name: Type` in a concept, relation, struct or enum variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    /// Attributes such as `#[key]`.
    pub attrs: Vec<Attr>,
    /// `///` lines before the field.
    pub doc: Option<String>,
    /// `mut` was written.
    pub is_mut: bool,
    /// Field name.
    pub name: Ident,
    /// Field type.
    pub ty: Type,
    /// The whole field.
    pub span: Span,
}

// ---------------------------------------------------------------- relations

/// `INTRODUCER Name(end: T, …) [card]* (<: T, …)? (body | ;)`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RelationDecl {
    /// The introducer (`rel` or a metarel name).
    pub introducer: Ident,
    /// Relation name.
    pub name: Ident,
    /// Endpoints in order.
    pub endpoints: Vec<Endpoint>,
    /// One cardinality per endpoint, when given.
    pub cardinalities: Vec<Cardinality>,
    /// Super-relations after `<:`.
    pub supertypes: Vec<Type>,
    /// Per-tuple fields when a body is present.
    pub fields: Option<Vec<Field>>,
}

/// `name: Type` endpoint of a relation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Endpoint {
    /// Endpoint name.
    pub name: Ident,
    /// Endpoint type.
    pub ty: Type,
    /// The whole endpoint.
    pub span: Span,
}

/// `[n]`, `[n..m]` or `[n..*]` (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cardinality {
    /// Lower bound.
    pub min: u64,
    /// Upper bound; `None` for `*`.
    pub max: Option<u64>,
    /// From `[` to `]`.
    pub span: Span,
}

// ---------------------------------------------------------------- values

/// `struct Name { fields }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StructDecl {
    /// Struct name.
    pub name: Ident,
    /// Fields.
    pub fields: Vec<Field>,
}

/// `enum Name { variants }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnumDecl {
    /// Enum name.
    pub name: Ident,
    /// Variants in order.
    pub variants: Vec<Variant>,
}

/// One enum variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// `///` lines before the variant.
    pub doc: Option<String>,
    /// Variant name.
    pub name: Ident,
    /// Payload.
    pub data: VariantData,
    /// The whole variant.
    pub span: Span,
}

/// Payload of an enum variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum VariantData {
    /// No payload.
    Unit,
    /// `V(A, B)`
    Tuple(Vec<Type>),
    /// `V { a: A }`
    Record(Vec<Field>),
}

// ---------------------------------------------------------------- rules

/// `derive ~? name(args) (:- atoms)?;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeriveDecl {
    /// `~` before the head: the rule derives the strong negation.
    pub strong_negation: bool,
    /// Predicate name.
    pub name: Ident,
    /// Head arguments.
    pub args: Vec<HeadArg>,
    /// Body atoms; `None` for a bodiless derive (a ground fact).
    pub body: Option<Vec<Atom>>,
}

/// One head argument: a variable or constant, optionally typed (`x: Person`).
///
/// A variable is an [`ExprKind::Path`] with a single segment; a literal
/// constant is an [`ExprKind::Lit`]. Whether a bare name is a variable or a
/// constant is decided by the compiler.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeadArg {
    /// The argument.
    pub value: Expr,
    /// Optional type annotation.
    pub ty: Option<Type>,
    /// The whole argument.
    pub span: Span,
}

/// A body condition of a rule, check, query or atom-form aggregate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Atom {
    /// What kind of condition.
    pub kind: AtomKind,
    /// The whole atom.
    pub span: Span,
}

/// The atom forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AtomKind {
    /// `P(args)` or `~P(args)`: a relation, derived predicate or concept test.
    Call {
        /// `~` was written (strong negation).
        strong_negation: bool,
        /// The predicate.
        pred: Path,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `x: Type` — x is an instance of Type.
    TypeTest {
        /// The tested variable.
        var: Ident,
        /// The type.
        ty: Type,
    },
    /// `lhs op rhs` with a comparison operator.
    Compare {
        /// Left operand.
        lhs: Expr,
        /// One of `== != < <= > >=`.
        op: BinaryOp,
        /// Right operand.
        rhs: Expr,
    },
    /// `not atom` — negation as failure.
    Not(Box<Atom>),
    /// `v = expr` — binds v.
    Bind {
        /// Bound variable.
        var: Ident,
        /// Value.
        value: Expr,
    },
    /// `(a, b, …)` — a conjunction group.
    Group(Vec<Atom>),
    /// Any other boolean expression, e.g. a navigation `x.f(y)` or `a in b`.
    Expr(Expr),
}

/// `check name(params) :- atoms (=> "message")?;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckDecl {
    /// Check name.
    pub name: Ident,
    /// Parameters (the variables reported per violation).
    pub params: Vec<Param>,
    /// Body atoms; each solution is a violation.
    pub body: Vec<Atom>,
    /// The message template (escapes resolved; `{x}` kept verbatim).
    pub message: Option<StrLit>,
}

/// A string literal with its span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrLit {
    /// The value with escapes resolved.
    pub value: String,
    /// Including the quotes.
    pub span: Span,
}

/// `optional? name (: Type)?` parameter of a check, query, mutation or fn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Param {
    /// `optional` was written before the name.
    pub optional: bool,
    /// Parameter name.
    pub name: Ident,
    /// Type annotation, if written.
    pub ty: Option<Type>,
    /// The whole parameter.
    pub span: Span,
}

// ---------------------------------------------------------------- queries

/// `query name(params) -> T (as_of N)? (across [paths])? (body | ;)`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueryDecl {
    /// Query name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Param>,
    /// Result type; decides the wire shape.
    pub ret: Type,
    /// `as_of N`: read the state at transaction N.
    pub as_of: Option<u64>,
    /// `across [a, b]`: standpoints to read across (empty when absent).
    pub across: Vec<Path>,
    /// `None` for a bodiless query returning the extent of `ret`.
    pub body: Option<QueryBody>,
}

/// `select … from … where … group by … having … order by … limit … offset …`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueryBody {
    /// The projection.
    pub select: Projection,
    /// Atoms after `from`.
    pub from: Vec<Atom>,
    /// Atoms after `where` (empty when absent).
    pub filter: Vec<Atom>,
    /// `group by` expressions (empty when absent).
    pub group_by: Vec<Expr>,
    /// `having` condition.
    pub having: Option<Expr>,
    /// `order by` keys.
    pub order_by: Vec<OrderKey>,
    /// `limit N`.
    pub limit: Option<u64>,
    /// `offset N`.
    pub offset: Option<u64>,
    /// From `select` to the last clause.
    pub span: Span,
}

/// What a query selects.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Projection {
    /// `select expr`
    Expr(Expr),
    /// `select { name: expr, … }`
    Record(Vec<FieldInit>),
}

/// `expr (asc | desc)?`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderKey {
    /// Sort key.
    pub expr: Expr,
    /// Direction (`asc` by default).
    pub direction: SortDirection,
    /// The whole key.
    pub span: Span,
}

/// Sort direction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum SortDirection {
    /// Ascending (default).
    Asc,
    /// Descending.
    Desc,
}

// ---------------------------------------------------------------- mutations, fns, tests

/// `mutate name(params) (-> T)? { require { … } stmts }` (also `mutation`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MutateDecl {
    /// Mutation name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Param>,
    /// Return type, if any.
    pub ret: Option<Type>,
    /// `require { … }` conditions (empty when absent).
    pub require: Vec<Expr>,
    /// Statements, including a final `return` if written.
    pub body: Vec<Stmt>,
}

/// `fn name(params) -> T = expr;` or `fn name(params) -> T { … }` (also `compute`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FnDecl {
    /// Function name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Param>,
    /// Return type (required by the grammar).
    pub ret: Type,
    /// The body; the block form is an [`ExprKind::Block`].
    pub body: Expr,
}

/// `standpoint Name (<: parents)? { items }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StandpointDecl {
    /// Standpoint name.
    pub name: Ident,
    /// Parent standpoints in the lattice.
    pub parents: Vec<Path>,
    /// Items inside (standpoints nested in standpoints are reported by the parser).
    pub items: Vec<Item>,
}

/// `test "name" { stmts }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestDecl {
    /// Test name.
    pub name: StrLit,
    /// Statements (mutation statements plus `assert`).
    pub body: Vec<Stmt>,
}

/// A statement of a mutation, test or expression block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stmt {
    /// What kind of statement.
    pub kind: StmtKind,
    /// Including the terminating `;` or `}`.
    pub span: Span,
}

/// Statement forms. `insert Type { … }` is an expression ([`ExprKind::Insert`])
/// and appears as [`StmtKind::Expr`] when used as a statement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum StmtKind {
    /// `let name (: T)? = value;`
    Let {
        /// Bound name.
        name: Ident,
        /// Optional type annotation.
        ty: Option<Type>,
        /// Value.
        value: Expr,
    },
    /// `insert Rel(args) ({ inits })?;` — a relation tuple.
    InsertTuple {
        /// The relation.
        relation: Path,
        /// Endpoint values.
        args: Vec<Expr>,
        /// Per-tuple field values.
        inits: Vec<FieldInit>,
    },
    /// `insert iof(e, T);` — classify into a primitive subtype.
    InsertIof {
        /// The individual.
        individual: Expr,
        /// The type.
        ty: Type,
    },
    /// `update target set { f = e, f += e, f -= e };`
    Update {
        /// The individual updated.
        target: Expr,
        /// Assignments.
        assignments: Vec<Assignment>,
    },
    /// `delete Rel(args);` — retract a relation tuple.
    DeleteTuple {
        /// The relation.
        relation: Path,
        /// Endpoint values.
        args: Vec<Expr>,
    },
    /// `delete iof(e, T);` — retract a classification.
    DeleteIof {
        /// The individual.
        individual: Expr,
        /// The type.
        ty: Type,
    },
    /// `delete e;` — retire an individual.
    Delete(Expr),
    /// `emit Name { value };`
    Emit {
        /// Event name.
        event: Path,
        /// Event payload.
        value: Expr,
    },
    /// `forget e;` — physical erasure.
    Forget(Expr),
    /// `for var in iter { stmts }`
    For {
        /// Loop variable.
        var: Ident,
        /// Iterated collection or type extent.
        iter: Expr,
        /// Loop body.
        body: Vec<Stmt>,
    },
    /// `if cond { stmts } (else { stmts })?`; `else if` nests an `If` in `else_body`.
    If {
        /// Condition.
        cond: Expr,
        /// Then branch.
        then_body: Vec<Stmt>,
        /// Else branch, if any.
        else_body: Option<Vec<Stmt>>,
    },
    /// `return e;` (`return;` has no value).
    Return(Option<Expr>),
    /// `assert e;` (tests only).
    Assert(Expr),
    /// `e;`
    Expr(Expr),
}

/// `field = e`, `field += e` or `field -= e` in an `update … set { … }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    /// Updated field.
    pub field: Ident,
    /// Kind of assignment.
    pub op: AssignOp,
    /// Value.
    pub value: Expr,
    /// The whole assignment.
    pub span: Span,
}

/// Assignment operator.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AssignOp {
    /// `=` replaces the value.
    Set,
    /// `+=` adds to a number or a set.
    Add,
    /// `-=` subtracts from a number or removes from a set.
    Remove,
}

/// `name: expr` in struct literals, inserts and record projections.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldInit {
    /// Field name.
    pub name: Ident,
    /// Value (for the shorthand `P { x }` this is the path `x`).
    pub value: Expr,
    /// The whole initialiser.
    pub span: Span,
}

// ---------------------------------------------------------------- types

/// A type expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Type {
    /// What kind of type.
    pub kind: TypeKind,
    /// Where written.
    pub span: Span,
}

/// Type forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TypeKind {
    /// A named type: primitive, concept, relation, struct or enum.
    Named(Path),
    /// `Option<T>`
    Option(Box<Type>),
    /// `[T]` or `[T; >= n]` / `[T; <= n]` / `[T; == n]`.
    List {
        /// Element type.
        elem: Box<Type>,
        /// Cardinality bound, if any.
        bound: Option<SizeBound>,
    },
    /// `Set<T>`
    Set(Box<Type>),
    /// `Map<K, V>`
    Map(Box<Type>, Box<Type>),
}

/// `>= n`, `<= n` or `== n` inside a list type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SizeBound {
    /// The comparison.
    pub op: BoundOp,
    /// The bound.
    pub n: u64,
    /// Operator and number.
    pub span: Span,
}

/// List size comparison.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum BoundOp {
    /// `>=`
    AtLeast,
    /// `<=`
    AtMost,
    /// `==`
    Exactly,
}

// ---------------------------------------------------------------- expressions

/// An expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where written (parentheses included).
    pub span: Span,
}

/// Expression forms. Calls of builtins (`today()`, `now()`, `meta(T)`) are
/// ordinary [`ExprKind::Call`]s; durations such as `30.days` are
/// [`ExprKind::Field`] on an integer literal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ExprKind {
    /// A literal.
    Lit(Lit),
    /// A variable, constant, type or enum value: `x`, `self`, `Status::Pending`.
    Path(Path),
    /// `base.name`
    Field {
        /// Receiver.
        base: Box<Expr>,
        /// Field or accessor.
        name: Ident,
    },
    /// `receiver.method(args)` (also relation navigation `x.f(y)`).
    MethodCall {
        /// Receiver.
        receiver: Box<Expr>,
        /// Method name.
        method: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `base[index]`
    Index {
        /// Indexed value.
        base: Box<Expr>,
        /// Index.
        index: Box<Expr>,
    },
    /// `e?`
    Try(Box<Expr>),
    /// `f(args)` — fn, query, predicate, concept or builtin call.
    Call {
        /// Called name.
        func: Path,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `!e`, `not e`, `-e`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        operand: Box<Expr>,
    },
    /// `lhs op rhs`.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `if cond { … } (else …)?`; the else branch is a `Block` or another `If`.
    If {
        /// Condition.
        cond: Box<Expr>,
        /// Then branch.
        then_branch: Block,
        /// Else branch.
        else_branch: Option<Box<Expr>>,
    },
    /// `match e { pat => e, … }`
    Match {
        /// Scrutinee.
        scrutinee: Box<Expr>,
        /// Arms in order.
        arms: Vec<MatchArm>,
    },
    /// `{ let …; e }`
    Block(Block),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `[elem for var in source where filter]`
    Comprehension(Box<Comprehension>),
    /// `Path { a: e, b, ..base }`
    Struct {
        /// Struct or variant path.
        path: Path,
        /// Field initialisers.
        fields: Vec<FieldInit>,
        /// `..base` functional update.
        base: Option<Box<Expr>>,
    },
    /// `count(…)`, `sum(…)`, `count { … }`, …
    Aggregate(Box<Aggregate>),
    /// `Map { key => value, … }` (also `Map {}`).
    Map(Vec<(Expr, Expr)>),
    /// `insert Type { inits }` — creates an individual and yields it.
    Insert {
        /// Concept type.
        ty: Path,
        /// Field values.
        inits: Vec<FieldInit>,
    },
    /// `forall x in xs { p }` / `exists x in xs { p }` (also `∀`, `∃`).
    Quantifier {
        /// Which quantifier.
        kind: QuantifierKind,
        /// Bound variable.
        var: Ident,
        /// Range: a collection or a type extent.
        source: Box<Expr>,
        /// Condition.
        body: Box<Expr>,
    },
    /// `e is Pattern` (`x is Some(v)`): whether `e` matches; as the condition
    /// of an `if`, the pattern's bindings are in scope in the `then` branch.
    Is {
        /// The value tested.
        expr: Box<Expr>,
        /// The pattern it must match.
        pattern: Box<Pattern>,
    },
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lit {
    /// The value.
    pub kind: LitKind,
    /// Where written.
    pub span: Span,
}

/// Literal forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum LitKind {
    /// `42` (negative numbers are `Unary::Neg`).
    Int(u64),
    /// `100.50`, kept as written for exact decimal parsing.
    Decimal(String),
    /// `"…"` with escapes resolved.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `#2026-01-01#` — the text between the `#`s (already validated).
    Date(String),
    /// `#2026-01-01T09:30:00Z#` — the RFC 3339 text between the `#`s (validated).
    DateTime(String),
}

/// Unary operators.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    /// `!` or `not` (`¬`).
    Not,
    /// `-`
    Neg,
}

/// Binary operators.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl BinaryOp {
    /// True for `== != < <= > >=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// `{ stmts; tail }` — only `let` and expression statements occur in blocks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Block {
    /// Statements before the value.
    pub stmts: Vec<Stmt>,
    /// The final expression without `;`, if any.
    pub value: Option<Box<Expr>>,
    /// From `{` to `}`.
    pub span: Span,
}

/// `pattern => body`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchArm {
    /// Pattern.
    pub pattern: Pattern,
    /// Result.
    pub body: Expr,
    /// The whole arm.
    pub span: Span,
}

/// A match pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pattern {
    /// What kind of pattern.
    pub kind: PatternKind,
    /// Where written.
    pub span: Span,
}

/// Pattern forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum PatternKind {
    /// `_`
    Wildcard,
    /// A literal (negative numbers allowed: the literal is then `Lit` of the
    /// absolute value with `negative` set).
    Lit {
        /// The literal.
        lit: Lit,
        /// A `-` was written before a number.
        negative: bool,
    },
    /// A name: an enum variant, a constant or a binding (resolved later).
    Path(Path),
    /// `Variant(p, …)`
    Tuple {
        /// Variant path.
        path: Path,
        /// Sub-patterns.
        elems: Vec<Pattern>,
    },
    /// `Variant { f: p, g, .. }`
    Record {
        /// Variant or struct path.
        path: Path,
        /// Field patterns; shorthand `g` binds the field to `g`.
        fields: Vec<FieldPattern>,
        /// `..` was written.
        rest: bool,
    },
    /// `p | q`
    Or(Vec<Pattern>),
}

/// `name: pattern` or shorthand `name` in a record pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldPattern {
    /// Field name.
    pub name: Ident,
    /// Sub-pattern; `None` for the shorthand.
    pub pattern: Option<Pattern>,
    /// The whole field pattern.
    pub span: Span,
}

/// `[elem for var in source where filter]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comprehension {
    /// Produced element.
    pub elem: Expr,
    /// Bound variable.
    pub var: Ident,
    /// Range: a collection or a type extent.
    pub source: Expr,
    /// Optional filter.
    pub filter: Option<Expr>,
}

/// An aggregate such as `count(o for o in T where p)` or `count { o: T, p }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Aggregate {
    /// Aggregate function name (`count`, `sum`, `min`, `max`, `avg`, or any
    /// other name for the compiler to reject).
    pub func: Ident,
    /// Argument form.
    pub form: AggregateForm,
}

/// The three aggregate argument forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[allow(clippy::large_enum_variant)] // already boxed inside `ExprKind::Aggregate`
pub enum AggregateForm {
    /// `f(elem for var in source where filter)`
    Comprehension(Comprehension),
    /// `f { atoms }` — counts/sums over the solutions of the atoms.
    Atoms(Vec<Atom>),
    /// `f(expr)` — over the rows of the current group in a grouped query.
    Group(Expr),
}

/// Quantifier kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum QuantifierKind {
    /// `forall` / `∀`
    Forall,
    /// `exists` / `∃`
    Exists,
}
