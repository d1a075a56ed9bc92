//! The registry of every diagnostic code of the project.
//!
//! All crates register their codes here so that `ox explain CODE` and the
//! renderers have one source of truth. Codes are `OE####` (error),
//! `OW####` (warning) or `OI####` (info); the table is kept sorted by code.
//! Ranges: `OE00xx` syntax, `OE01xx` names, `OE02xx`–`OE07xx` declarations
//! and mutations, `OE12xx` artifacts and linking, `OE13xx` rules.

use crate::diagnostic::Severity;

/// Description of one diagnostic code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code, e.g. `OE0001`.
    pub code: &'static str,
    /// A short title.
    pub title: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// A paragraph explaining the problem and how to fix it.
    pub explanation: &'static str,
}

const fn entry(
    code: &'static str,
    title: &'static str,
    severity: Severity,
    explanation: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        title,
        severity,
        explanation,
    }
}

use Severity::{Error, Warning};

/// Unexpected token.
pub const UNEXPECTED_TOKEN: &str = "OE0001";
/// Unterminated string literal.
pub const UNTERMINATED_STRING: &str = "OE0002";
/// Invalid escape sequence.
pub const INVALID_ESCAPE: &str = "OE0003";
/// Unterminated block comment.
pub const UNTERMINATED_COMMENT: &str = "OE0004";
/// Invalid date or date-time literal.
pub const INVALID_DATE: &str = "OE0005";
/// Unexpected character.
pub const UNEXPECTED_CHAR: &str = "OE0006";
/// Unsupported query clause.
pub const UNSUPPORTED_QUERY_CLAUSE: &str = "OE0007";
/// Integer literal out of range.
pub const INTEGER_OVERFLOW: &str = "OE0008";
/// Chained comparison.
pub const CHAINED_COMPARISON: &str = "OE0009";
/// Instantiation in the supertype slot.
pub const INSTANTIATION_UNSUPPORTED: &str = "OE0010";
/// Missing semicolon.
pub const MISSING_SEMICOLON: &str = "OE0011";
/// Nesting too deep.
pub const NESTING_TOO_DEEP: &str = "OE0012";
/// Invalid visibility.
pub const INVALID_VISIBILITY: &str = "OE0013";
/// Invalid type arguments.
pub const INVALID_TYPE_ARGS: &str = "OE0014";
/// Nested standpoint.
pub const NESTED_STANDPOINT: &str = "OE0015";
/// Invalid cardinality.
pub const INVALID_CARDINALITY: &str = "OE0016";
/// Invalid call target.
pub const INVALID_CALL_TARGET: &str = "OE0017";
/// Source file too large.
pub const FILE_TOO_LARGE: &str = "OE0018";
/// The parser thread failed (a bug).
pub const INTERNAL_PARSER_ERROR: &str = "OE0019";
/// The compiled rules were refused by the rule evaluator.
pub const RULE_NOT_EVALUABLE: &str = "OE1305";
/// Doc comment not attached to anything.
pub const UNUSED_DOC_COMMENT: &str = "OW0001";

static CODES: &[CodeInfo] = &[
    entry(
        "OE0001",
        "unexpected token",
        Error,
        "The parser met a token that cannot appear at this point of the grammar. The \
         message names what was expected and what was found. Common causes are a \
         missing comma or closing bracket, a keyword used as a name, or a declaration \
         started with a word the grammar does not know. The parser skips to the next \
         `;`, `}` or declaration keyword and keeps going, so later errors may be \
         consequences of the first one.",
    ),
    entry(
        "OE0002",
        "unterminated string literal",
        Error,
        "A string literal was opened with `\"` but the file ended before the closing \
         quote. Add the closing `\"`; inside a string a quote character is written \
         as `\\\"`.",
    ),
    entry(
        "OE0003",
        "invalid escape sequence",
        Error,
        "Inside a string literal a backslash must be followed by one of `n`, `r`, `t`, \
         `0`, `\"`, `\\` or `u{…}` with one to six hexadecimal digits naming a \
         Unicode scalar value. Any other character after the backslash, or a `\\u` \
         escape that is malformed or names a surrogate or a value above 10FFFF, is \
         rejected. Write `\\\\` for a literal backslash.",
    ),
    entry(
        "OE0004",
        "unterminated block comment",
        Error,
        "A `/*` comment was not closed before the end of the file. Block comments \
         nest, so every `/*` inside the comment needs its own `*/` as well.",
    ),
    entry(
        "OE0005",
        "invalid date or date-time literal",
        Error,
        "Date literals are written between `#` signs: `#2026-01-31#` for a calendar \
         date and `#2026-01-31T09:30:00Z#` for an instant in RFC 3339 form (seconds \
         may carry a fraction; the offset is `Z` or `+hh:mm`/`-hh:mm`). The month \
         must be 1 to 12, the day must exist in that month (29 February only in leap \
         years), hours 0 to 23, minutes 0 to 59 and seconds 0 to 60.",
    ),
    entry(
        "OE0006",
        "unexpected character",
        Error,
        "The lexer found a character that starts no token of the language, such as a \
         stray `@` or a lone `&`. Remove it, or use the intended operator (`&&`, \
         `||`). The character is skipped and lexing continues.",
    ),
    entry(
        "OE0007",
        "unsupported query clause",
        Error,
        "ox supports `select`, `from`, `where`, `group by`, `having`, `order by`, \
         `limit` and `offset` in queries. This code is reported for clauses that \
         remain unsupported (for example `distinct`, `union` or `join`), for a \
         `having` clause without a `group by`, and for a grouped query whose \
         projection reads a variable that is neither grouped nor aggregated. Express the same question with the \
         supported clauses, or split it into several queries.",
    ),
    entry(
        "OE0008",
        "integer literal out of range",
        Error,
        "An integer literal does not fit in 64 bits. Integers in Argon are `Nat` \
         (unsigned 64-bit) or `Int` (signed 64-bit); use a `Decimal` literal for \
         larger exact quantities.",
    ),
    entry(
        "OE0009",
        "chained comparison",
        Error,
        "Comparison operators are not associative: `a < b < c` does not mean that b \
         lies between a and c. Write each comparison separately and join them with \
         `&&`, as in `a < b && b < c`.",
    ),
    entry(
        "OE0010",
        "instantiation in the supertype slot is not supported",
        Error,
        "In a concept declaration `<:` introduces supertypes (specialisation). Some \
         Argon dialects also allow `:` at that position to make the new concept an \
         instance of a higher-order type; ox does not support instantiation between \
         types. Use `<:` for specialisation, or model the classification with a \
         metatype.",
    ),
    entry(
        "OE0011",
        "missing `;`",
        Error,
        "A declaration or statement that ends without a body must be closed with a \
         semicolon. Add `;` at the position shown.",
    ),
    entry(
        "OE0012",
        "nesting too deep",
        Error,
        "Expressions, types, patterns or blocks are nested more deeply than the \
         parser allows. The limit protects the toolchain from exhausting its stack \
         on generated or malicious input. Split the expression into `let` bindings \
         or helper functions.",
    ),
    entry(
        "OE0013",
        "invalid visibility",
        Error,
        "Visibility is written `pub` (exported from the package) or `pub(pkg)` \
         (visible in the whole package but not exported). No other form is \
         accepted, and visibility cannot be given to tests.",
    ),
    entry(
        "OE0014",
        "invalid type arguments",
        Error,
        "Only the built-in generic types take type arguments: `Option<T>`, `Set<T>` \
         and `Map<K, V>`. Lists are written `[T]`. A concept, struct or enum name \
         takes no arguments, and the generic types need exactly the number of \
         arguments shown.",
    ),
    entry(
        "OE0015",
        "nested standpoint",
        Error,
        "A standpoint may contain rules, facts, checks and modules, but not another \
         standpoint. Declare the inner standpoint at the top level and place it in \
         the lattice with `<:`.",
    ),
    entry(
        "OE0016",
        "invalid cardinality",
        Error,
        "A relation cardinality is written `[n]`, `[n..m]` or `[n..*]` with \
         natural numbers, one per endpoint. The lower bound must not exceed the \
         upper bound.",
    ),
    entry(
        "OE0017",
        "invalid call target",
        Error,
        "Only a name can be called: a function, query, predicate, concept or \
         builtin such as `today()`. Methods are called with `value.method(args)`. \
         An arbitrary expression followed by `(` is not a call.",
    ),
    entry(
        "OE0018",
        "source file too large",
        Error,
        "Source positions are stored as 32-bit byte offsets, so a single source \
         file must be smaller than 4 GiB. Split the file into modules.",
    ),
    entry(
        "OE0019",
        "internal parser error",
        Error,
        "The parser stopped unexpectedly on this file. This is a bug in ox, not in \
         the source: the parser is meant to report every problem as a diagnostic. \
         Please report the file that triggers it; splitting the file may work \
         around the problem meanwhile.",
    ),
    entry(
        "OE0101",
        "unresolved name",
        Error,
        "A name used in a declaration, rule or expression does not refer to anything \
         in scope. Check the spelling, add the missing `use`, or make sure the \
         declaration it refers to is visible (`pub` or `pub(pkg)`) from here.",
    ),
    entry(
        "OE0102",
        "private item",
        Error,
        "The name resolves to an item declared without `pub` in another file. Items are private to their file by default. Mark the item `pub` to export it from the package, or `pub(pkg)` to make it visible everywhere inside the package only.",
    ),
    entry(
        "OE0103",
        "duplicate definition",
        Error,
        "Two items of one module (file) have the same name, a name is imported twice with different meanings, or a field, parameter, variant or `mod` is declared twice. Names inside one module must be unique; rename one of them. Several `derive` clauses of the same predicate are not duplicates.",
    ),
    entry(
        "OE0104",
        "wrong kind of item",
        Error,
        "The name resolves, but to a different kind of item than the place requires: for example a query where a type is expected, a mutation called inside an expression, or a struct where a concept is needed. Check which item the name refers to.",
    ),
    entry(
        "OE0201",
        "specialisation cycle",
        Error,
        "The `<:` declarations of concepts (or of relations) form a cycle, so a concept or relation would be its own proper supertype. Specialisation must be acyclic; remove one `<:` edge of the cycle.",
    ),
    entry(
        "OE0202",
        "unknown field",
        Error,
        "The concept or struct has no field with this name (inherited fields of supertypes included). Check the spelling or declare the field.",
    ),
    entry(
        "OE0203",
        "type mismatch",
        Error,
        "An expression has a different type than the place where it is used requires, for example a `Date` compared with an `Int`, an argument of the wrong type, or a query projection that does not match the declared result type. The message names the expected and the found type.",
    ),
    entry(
        "OE0204",
        "type cannot be inferred",
        Error,
        "The type of a parameter could not be determined: a query, mutation or function parameter without a type annotation, or a derived predicate or check parameter that no body atom constrains. Annotate it, for example `x: Person`.",
    ),
    entry(
        "OE0205",
        "too many cardinalities",
        Error,
        "A relation has more cardinality brackets than endpoints. Write one cardinality per endpoint, in endpoint order; missing ones mean `[0..*]`.",
    ),
    entry(
        "OE0206",
        "missing field",
        Error,
        "A struct literal does not give a value for a field that is not optional. Give every field a value; only `Option<T>` fields may be left out.",
    ),
    entry(
        "OE0207",
        "several key fields",
        Error,
        "A concept marks more than one field with `#[key]`. The key supplies the individual's id, so there can be at most one.",
    ),
    entry(
        "OE0208",
        "non-exhaustive match",
        Error,
        "A `match` has no arm for some values of its scrutinee: an enum variant, `true` or \
         `false`, `None` or `Some(…)`, or — for numbers, strings and other open types — \
         anything not written as a literal. Add the missing arms or a catch-all `_ => …` arm.",
    ),
    entry(
        "OE0209",
        "unknown method",
        Error,
        "A method call names a method that the receiver's type does not have. The built-in \
         methods are `len()`, `is_empty()` and `contains(x)` on lists, sets and strings; \
         `contains_key(k)`, `keys()` and `values()` on maps (besides `len()` and \
         `is_empty()`); `is_some()`, `is_none()` and `unwrap_or(d)` on optional values. \
         Date parts (`d.year`, `d.month`, `d.day`) are fields, written without parentheses.",
    ),
    entry(
        "OE0210",
        "`?` where the result is not optional",
        Error,
        "The `?` operator unwraps an `Option`; when the value is `None` it returns `None` \
         from the enclosing fn or mutation at once. It is therefore only allowed in a fn or \
         mutation whose declared result is an `Option<T>`. Elsewhere, handle the absent case \
         with `match`, `if x is Some(v) { … }` or `.unwrap_or(d)`.",
    ),
    entry(
        "OE0211",
        "insert into a defined class",
        Error,
        "A concept declared with `iff { … }` is a defined class: its members are \
         computed by the reasoner from the condition. Asserting membership directly, \
         for example with `insert iof(x, Adult)` or by inserting an individual of \
         that type, is refused. Insert into the supertype and let the condition \
         classify the individual, or declare the concept with `where` if membership \
         should be asserted.",
    ),
    entry(
        "OE0605",
        "unknown metatype",
        Error,
        "The word that introduces this concept declaration does not resolve to a \
         metatype. Introducers such as `type` or `kind` are ordinary names: bring \
         them into scope with `use std::core::type;`, a vocabulary package, or the \
         package prelude in `ox.toml`.",
    ),
    entry(
        "OE0606",
        "unknown metarel",
        Error,
        "The word that introduces this relation declaration does not resolve to a \
         metarel. Bring `rel` into scope with `use std::core::rel;` (or through the \
         prelude), or use a metarel declared by a vocabulary package.",
    ),
    entry(
        "OE0631",
        "relation endpoint metatype mismatch",
        Error,
        "The metarel that introduces this relation requires each endpoint to be a \
         type of a particular metatype (or one of its sub-metatypes). One endpoint \
         type has a different metatype. Change the endpoint type or introduce the \
         relation with a different metarel.",
    ),
    entry(
        "OE0632",
        "invalid axis value",
        Error,
        "A metatype gives a value to something that is not a metaxis in scope, to a \
         metaxis that does not apply to metatypes, a value the metaxis does not \
         declare, or the same metaxis twice. Check the metaxis declaration (its \
         `for` targets and its values) and bring it into scope with `use`.",
    ),
    entry(
        "OE0633",
        "abstract metatype used as an introducer",
        Error,
        "A metatype declared `abstract` groups other metatypes (for example as the \
         required endpoint metatype of a metarel) but cannot introduce a type \
         itself. Introduce the type with one of the concrete metatypes that \
         specialise it.",
    ),
    entry(
        "OE0640",
        "vocabulary check violated",
        Error,
        "A vocabulary package declares `#[severity(error)]` checks over declarations \
         (`$iof`, `$sub`, `meta(T).axis`), and a declaration of this build breaks \
         one of them, for example a rigid type specialising an anti-rigid one. The \
         message comes from the vocabulary; the label points at the check. Change \
         the declaration (its metatype or its supertypes).",
    ),
    entry(
        "OE0668",
        "`where` invariant violated",
        Error,
        "A concept declared with `where { … }` requires its condition to hold for \
         every member. A write made the condition false for some member. Fix the \
         data written, or relax the invariant.",
    ),
    entry(
        "OE0670",
        "field is not mutable",
        Error,
        "`update … set { f = … }` changes a field that was not declared with `mut`. Fields are immutable unless marked `mut f: T` in the concept.",
    ),
    entry(
        "OE0730",
        "`forget` without `#[allow_forget]`",
        Error,
        "`forget` physically erases data, which cannot be undone and defeats the \
         bitemporal history. A mutation that uses it must say so explicitly with the \
         `#[allow_forget]` attribute. Such mutations are also refused by the HTTP \
         server.",
    ),
    entry(
        "OE0740",
        "`assert` outside a test",
        Error,
        "`assert` statements are only allowed inside `test` blocks. In a mutation use `require { … }` to abort the transaction when a condition does not hold.",
    ),
    entry(
        "OE0741",
        "statement has no effect",
        Error,
        "An expression is used as a statement but neither inserts, calls a mutation nor changes anything, so it would be evaluated and thrown away. Remove it, bind it with `let`, or use it in a condition.",
    ),
    entry(
        "OE0801",
        "recursive function",
        Error,
        "A function calls itself, directly or through other functions. Functions must terminate and are evaluated eagerly, so recursion is refused. Express recursive definitions as `derive` rules, which the reasoner evaluates to a fixpoint.",
    ),
    entry(
        "OE0802",
        "impure function body",
        Error,
        "A function body may only contain `let` bindings and a final expression: no inserts, updates, deletes or other statements. Move effects into a mutation.",
    ),
    entry(
        "OE0901",
        "invalid manifest",
        Error,
        "The package manifest `ox.toml` is missing, is not valid TOML, lacks the `[package]` table or `name`, has unknown keys, or names a prelude entry that does not resolve. The message says which.",
    ),
    entry(
        "OE0902",
        "module file not found",
        Error,
        "The entry file named by the manifest, or the file of a `mod x;` declaration, does not exist. `mod x;` in the entry file `dir/root.ar` loads `dir/x.ar`; in any other file `dir/f.ar` it loads `dir/f/x.ar`.",
    ),
    entry(
        "OE0990",
        "not supported yet",
        Error,
        "The construct is part of the Argon grammar but this version of the compiler does not implement it yet (for example per-tuple fields of relations). Rewrite the model without it for now.",
    ),
    entry(
        "OE1200",
        "malformed artifact",
        Error,
        "The `.oxbin` file is damaged or is not an artifact at all: its magic bytes, layout, hashes or one of its sections could not be decoded. Rebuild the artifact from source with `ox build`.",
    ),
    entry(
        "OE1201",
        "module cannot be encoded",
        Error,
        "The compiled module cannot be written as an artifact, for example because an expression nests deeper than any reader would accept. Simplify the declaration named in the message.",
    ),
    entry(
        "OE1202",
        "incompatible artifact version",
        Error,
        "The artifact was produced for a format version that this toolchain cannot \
         read. Rebuild the package with this version of `ox`, or use a toolchain \
         that matches the artifact.",
    ),
    entry(
        "OE1203",
        "unknown mandatory section",
        Error,
        "The artifact contains a section marked as required that this toolchain does \
         not understand, so it cannot be loaded safely. It was probably produced by \
         a newer `ox`; rebuild it with this version.",
    ),
    entry(
        "OE1204",
        "tier mismatch",
        Error,
        "The artifact or package requires a reasoning or feature tier that differs \
         from the one in use. Build and run with matching tiers.",
    ),
    entry(
        "OE1210",
        "symbol resolution failed",
        Error,
        "While linking modules or packages a referenced symbol could not be found \
         in the module that should export it. Check that the dependency exports the \
         name with `pub` and that the versions of the packages agree.",
    ),
    entry(
        "OE1211",
        "standpoint lattice cycle",
        Error,
        "Standpoints are ordered by `<:` into a directed acyclic graph. The \
         declarations form a cycle, so no standpoint in it could be placed above or \
         below the others. Remove one of the `<:` edges of the cycle.",
    ),
    entry(
        "OE1212",
        "item not allowed in a standpoint",
        Error,
        "A standpoint is a layer of rules, not a namespace: it may hold `derive` rules (ground facts included), `check`s and `mod` declarations whose files hold the same. Declare concepts, relations, queries, mutations, fns and `use` imports outside the standpoint; rules inside it can name them.",
    ),
    entry(
        "OE1213",
        "signature mismatch",
        Error,
        "A use of a predicate, query, mutation or function does not agree with its \
         declaration: the number of arguments or their types differ, or clauses of \
         the same predicate disagree on arity. Make the call or clause match the \
         declared signature.",
    ),
    entry(
        "OE1214",
        "inconsistent tier table",
        Error,
        "The artifact's table of reasoning tiers disagrees with the rules and queries it describes, so the artifact cannot be trusted. Rebuild it with `ox build`.",
    ),
    entry(
        "OE1301",
        "unsafe-logic timeout",
        Error,
        "Evaluating rules with recursion through negation (evaluated under the \
         well-founded semantics, see OW1304; one alternation per step of the cycle) \
         exceeded the time budget of `ox check --reason` (`--deadline-ms`, 10 s by \
         default). The label points at a rule of the cycle. Break the cycle through \
         `not` so that the rules stratify, or raise the budget. Over HTTP the same \
         overrun is the request timeout (504).",
    ),
    entry(
        "OE1303",
        "rule not range-restricted",
        Error,
        "Every variable of a rule head, of a negated atom, of a comparison or of a \
         computed binding must also occur in a positive atom of the body; otherwise \
         the rule would range over infinitely many values. Add a positive atom that \
         binds the variable, for example a type test `x: Person`.",
    ),
    entry(
        "OE1305",
        "rules not evaluable",
        Error,
        "The rule evaluator refused the compiled rules (the evaluability gate of `ox check` and `ox build`), so queries over them could not be answered. The message gives the evaluator's reason; change the rules it names.",
    ),
    entry(
        "OE1311",
        "nested aggregate",
        Error,
        "An aggregate such as `count` or `sum` appears inside another aggregate. \
         Compute the inner aggregate in a separate derived predicate and aggregate \
         over that.",
    ),
    entry(
        "OE1312",
        "unsupported aggregate kind",
        Error,
        "Only the aggregates `count`, `sum`, `min`, `max` and `avg` are supported. \
         Other reductions have to be written as functions over a collected list.",
    ),
    entry(
        "OE1313",
        "negated aggregate",
        Error,
        "`not` cannot be applied to an aggregate: negation as failure needs an atom \
         whose truth is fixed in a lower stratum. Compare the aggregate's value \
         instead, for example `n = count { … }, n == 0`.",
    ),
    entry(
        "OE1321",
        "invalid defeasibility marker",
        Error,
        "A defeasibility marker of a derive clause is malformed or names nothing: `#[label(name)]` takes one name and may appear once per clause, labels are unique among the clauses of a predicate and its strong negation, and `#[defeats(name)]` must name the label of one of those clauses. Fix the marker or the label it refers to.",
    ),
    entry(
        "OE1322",
        "defeats a strict rule",
        Error,
        "`#[defeats(name)]` names a clause without `#[default]`. Strict clauses are never defeated, so the marker would have no effect. Mark the labelled clause `#[default]` to make it defeasible, or remove the marker.",
    ),
    entry(
        "OE1323",
        "strong negation without negative rules",
        Error,
        "An atom `~P(…)` reads the strong negation of `P`, but no clause `derive ~P(…)` concludes it, so the atom could never hold. Strong negation is available for derived predicates that have negative clauses; add one, or use `not P(…)` (negation as failure) instead.",
    ),
    entry(
        "OE1342",
        "bodiless derive with a free variable",
        Error,
        "A derive without a body states a ground fact, so all its arguments must be \
         constants. One argument is a variable, which would assert the fact for \
         every possible value. Give the rule a body that binds the variable, or \
         replace it with a constant.",
    ),
    entry(
        "OW0001",
        "unused doc comment",
        Warning,
        "A `///` doc comment is not followed by a declaration, field or variant it \
         could document, so it is ignored. Move it before the declaration, or turn \
         it into an ordinary `//` comment.",
    ),
    entry(
        "OW0640",
        "vocabulary check warning",
        Warning,
        "A vocabulary check over declarations without `#[severity(error)]` found a \
         declaration that breaks it. The build goes on; the message comes from the \
         vocabulary package and the label points at the check.",
    ),
    entry(
        "OW1304",
        "negation through recursion: well-founded semantics",
        Warning,
        "A predicate depends on itself through `not`, so the rules cannot be split into strata where every negated predicate is complete before it is used. The rules are evaluated under the well-founded semantics instead (an alternating fixpoint): a fact that depends on its own absence, such as a position of a game that can be drawn, is undefined, and undefined facts are never returned as answers or used to derive others. Restructure the rules if every fact should be decided.",
    ),
];

/// Looks up a code.
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .map(|i| &CODES[i])
}

/// All registered codes, sorted by code.
pub fn all() -> &'static [CodeInfo] {
    CODES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for pair in CODES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
        for c in CODES {
            assert_eq!(c.code.len(), 6, "{}", c.code);
            assert!(
                c.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                c.code
            );
            assert_eq!(Severity::from_code(c.code), c.severity, "{}", c.code);
            assert!(
                !c.title.is_empty() && c.explanation.len() > 40,
                "{}",
                c.code
            );
        }
    }

    #[test]
    fn spec_codes_are_registered() {
        for code in [
            "OE0001", "OE0007", "OE0011", "OE0101", "OE0211", "OE0605", "OE0606", "OE0631",
            "OE0668", "OE0730", "OE1202", "OE1203", "OE1204", "OE1210", "OE1211", "OE1213",
            "OE1301", "OE1303", "OE1311", "OE1312", "OE1313", "OE1342",
        ] {
            assert!(lookup(code).is_some(), "{code} missing");
        }
        assert!(lookup("OE9999").is_none());
    }

    #[test]
    fn named_constants_are_registered() {
        for code in [
            UNEXPECTED_TOKEN,
            UNTERMINATED_STRING,
            INVALID_ESCAPE,
            UNTERMINATED_COMMENT,
            INVALID_DATE,
            UNEXPECTED_CHAR,
            UNSUPPORTED_QUERY_CLAUSE,
            INTEGER_OVERFLOW,
            CHAINED_COMPARISON,
            INSTANTIATION_UNSUPPORTED,
            MISSING_SEMICOLON,
            NESTING_TOO_DEEP,
            INVALID_VISIBILITY,
            INVALID_TYPE_ARGS,
            NESTED_STANDPOINT,
            INVALID_CARDINALITY,
            INVALID_CALL_TARGET,
            FILE_TOO_LARGE,
            INTERNAL_PARSER_ERROR,
            RULE_NOT_EVALUABLE,
            UNUSED_DOC_COMMENT,
        ] {
            assert!(lookup(code).is_some(), "{code} missing");
        }
    }
}
