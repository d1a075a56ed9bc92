//! The diagnostic codes the compiler emits (all registered in `ox_syntax::codes`).

/// A name does not resolve.
pub const UNRESOLVED: &str = "OE0101";
/// A name resolves to an item that is not visible from here.
pub const PRIVATE: &str = "OE0102";
/// Two items of one module have the same name.
pub const DUPLICATE: &str = "OE0103";
/// A name resolves to the wrong kind of item (a query where a type is expected …).
pub const WRONG_KIND: &str = "OE0104";
/// Specialisation (`<:`) cycle.
pub const SPECIALISATION_CYCLE: &str = "OE0201";
/// Unknown field of a concept or struct.
pub const UNKNOWN_FIELD: &str = "OE0202";
/// Type mismatch.
pub const TYPE_MISMATCH: &str = "OE0203";
/// A `match` without an arm for some values of its scrutinee.
pub const NON_EXHAUSTIVE_MATCH: &str = "OE0208";
/// A method that the receiver's type does not have.
pub const UNKNOWN_METHOD: &str = "OE0209";
/// The `?` operator where the enclosing body's result is not an `Option`.
pub const TRY_NOT_OPTIONAL: &str = "OE0210";
/// A type that cannot be inferred.
pub const CANNOT_INFER: &str = "OE0204";
/// More cardinalities than relation endpoints.
pub const TOO_MANY_CARDINALITIES: &str = "OE0205";
/// A struct literal misses a field.
pub const MISSING_FIELD: &str = "OE0206";
/// More than one `#[key]` field.
pub const DUPLICATE_KEY: &str = "OE0207";
/// Membership asserted into an `iff`-defined class.
pub const INSERT_DEFINED: &str = "OE0211";
/// Introducer is not a metatype.
pub const UNKNOWN_METATYPE: &str = "OE0605";
/// Relation endpoint type of the wrong metatype.
pub const ENDPOINT_METATYPE: &str = "OE0631";
/// Unknown metaxis, a value not of its metaxis, or an axis given twice.
pub const INVALID_AXIS_VALUE: &str = "OE0632";
/// A concept introduced by an `abstract` metatype.
pub const ABSTRACT_METATYPE: &str = "OE0633";
/// A vocabulary check with error severity found a violation.
pub const VOCABULARY_VIOLATION: &str = "OE0640";
/// A vocabulary check with warning severity found a violation.
pub const VOCABULARY_WARNING: &str = "OW0640";
/// Introducer is not a metarel.
pub const UNKNOWN_METAREL: &str = "OE0606";
/// `update` of a field not marked `mut`.
pub const FIELD_NOT_MUTABLE: &str = "OE0670";
/// `forget` without `#[allow_forget]`.
pub const FORGET_NOT_ALLOWED: &str = "OE0730";
/// `assert` outside a test.
pub const ASSERT_OUTSIDE_TEST: &str = "OE0740";
/// An expression statement without effect.
pub const NO_EFFECT: &str = "OE0741";
/// Direct or indirect recursion between functions.
pub const RECURSIVE_FN: &str = "OE0801";
/// A statement with effects inside a function.
pub const IMPURE_FN: &str = "OE0802";
/// `ox.toml` is missing or malformed.
pub const BAD_MANIFEST: &str = "OE0901";
/// The file of a `mod` declaration (or the entry file) is missing.
pub const MISSING_MODULE_FILE: &str = "OE0902";
/// A construct that this milestone does not support yet.
pub const NOT_SUPPORTED: &str = "OE0990";
/// Standpoint lattice cycle.
pub const STANDPOINT_CYCLE: &str = "OE1211";
/// An item of a kind a standpoint cannot hold (only rules, checks, `mod`s).
pub const NOT_IN_STANDPOINT: &str = "OE1212";
/// Wrong number of arguments, or clauses that disagree on arity.
pub const SIGNATURE_MISMATCH: &str = "OE1213";
/// Rule not range-restricted.
pub const NOT_RANGE_RESTRICTED: &str = "OE1303";
/// Negation through recursion: the rules are evaluated under the
/// well-founded semantics (a warning).
pub const WELL_FOUNDED: &str = "OW1304";
/// An aggregate nested inside another aggregate.
pub const NESTED_AGGREGATE: &str = "OE1311";
/// An aggregate function other than `count sum min max avg`.
pub const UNSUPPORTED_AGGREGATE: &str = "OE1312";
/// `not` applied to an aggregate.
pub const NEGATED_AGGREGATE: &str = "OE1313";
/// A malformed or unresolved defeasibility marker (`#[label]`, `#[defeats]`).
pub const INVALID_MARKER: &str = "OE1321";
/// `#[defeats]` names a strict clause.
pub const DEFEATS_STRICT: &str = "OE1322";
/// `~P(…)` of a predicate that has no `derive ~P` clause.
pub const NO_STRONG_NEGATION: &str = "OE1323";
/// Bodiless derive with a free variable.
pub const BODILESS_FREE_VAR: &str = "OE1342";
/// Invalid date literal (shared with the parser).
pub const INVALID_LITERAL: &str = "OE0005";
/// Integer literal out of range for its type (shared with the parser).
pub const INTEGER_OVERFLOW: &str = "OE0008";
/// Unsupported query clause (shared with the parser).
pub const UNSUPPORTED_QUERY_CLAUSE: &str = "OE0007";
