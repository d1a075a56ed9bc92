//! Static types of the IR.

use serde::{Deserialize, Serialize};

use crate::module::{ConceptId, EnumId, PredId, StructId};

/// Bounds on the number of elements of a collection or of relation tuples an
/// endpoint takes part in. `max == None` means unbounded (`*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cardinality {
    pub min: u64,
    pub max: Option<u64>,
}

impl Cardinality {
    /// `[0..*]`: no constraint.
    pub const ANY: Cardinality = Cardinality { min: 0, max: None };

    /// Whether `n` lies within the bounds.
    pub fn admits(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

/// The type of a field, parameter, binding or result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Type {
    /// Unsigned 64-bit integer.
    Nat,
    /// Signed 64-bit integer.
    Int,
    /// Exact decimal (spelled `Real` in source; no binary floating point).
    Real,
    /// Exact decimal.
    Decimal,
    String,
    Bool,
    Date,
    /// UTC date-time.
    DateTime,
    Duration,
    /// Exact decimal amount with an optional ISO-4217 currency.
    Money,
    /// A reference to an individual that is an instance of the concept.
    Concept(ConceptId),
    Struct(StructId),
    Enum(EnumId),
    /// `Option<T>`: the value may be absent.
    Option(Box<Type>),
    /// `[T]` with optional cardinality bounds (`[T; >= n]` …): a set of values.
    List(Box<Type>, Cardinality),
    /// `Set<T>`.
    Set(Box<Type>),
    /// `Map<K, V>`.
    Map(Box<Type>, Box<Type>),
    /// The rows of a derived predicate or relation used as a result type: one
    /// record per tuple, keyed by the predicate's parameter names.
    Tuple(PredId),
    /// A record built by a query projection `{ name: expr, … }`.
    Record(Vec<(String, Type)>),
    /// The type of statements and of mutations without a result.
    Unit,
}

impl Type {
    /// Whether values of this type are decimals (`Real` and `Decimal` share a representation).
    pub fn is_decimal(&self) -> bool {
        matches!(self, Type::Real | Type::Decimal)
    }

    /// Whether values of this type are integers.
    pub fn is_integer(&self) -> bool {
        matches!(self, Type::Nat | Type::Int)
    }

    /// The zero that `sum` over nothing gives for values of this type (an
    /// option type's zero is its inner type's): `None` for a type that is
    /// not summed.
    pub fn sum_zero(&self) -> Option<crate::value::Value> {
        use crate::value::{Duration, Money, Value};
        match self.without_option() {
            Type::Nat => Some(Value::Nat(0)),
            Type::Int => Some(Value::Int(0)),
            Type::Real | Type::Decimal => Some(Value::Decimal(rust_decimal::Decimal::ZERO)),
            // No currency: a zero amount adds to and compares with any.
            Type::Money => Some(Value::Money(Money {
                amount: rust_decimal::Decimal::ZERO,
                currency: None,
            })),
            Type::Duration => Some(Value::Duration(Duration::default())),
            _ => None,
        }
    }

    /// Whether values of this type support `+ - * /`.
    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_decimal() || matches!(self, Type::Money)
    }

    /// The element type of a collection type, if this is one.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(t, _) | Type::Set(t) => Some(t),
            _ => None,
        }
    }

    /// Strips one `Option<…>` layer.
    pub fn without_option(&self) -> &Type {
        match self {
            Type::Option(t) => t,
            t => t,
        }
    }

    /// The type as written in source (`Option<Date>`, `[Person; >= 1]`,
    /// `Map<String, Int>`), for messages and the published schema; `names`
    /// gives the names of declared types (one it does not know renders as
    /// `<unknown struct 3>`).
    pub fn render(&self, names: &TypeNames<'_>) -> String {
        let named = |name: Option<&str>, kind: &str, index: u32| match name {
            Some(name) => name.to_owned(),
            None => format!("<unknown {kind} {index}>"),
        };
        match self {
            Type::Nat => "Nat".into(),
            Type::Int => "Int".into(),
            Type::Real => "Real".into(),
            Type::Decimal => "Decimal".into(),
            Type::String => "String".into(),
            Type::Bool => "Bool".into(),
            Type::Date => "Date".into(),
            Type::DateTime => "DateTime".into(),
            Type::Duration => "Duration".into(),
            Type::Money => "Money".into(),
            Type::Concept(id) => named(names.concept_name(*id), "concept", id.0),
            Type::Struct(id) => named(names.struct_name(*id), "struct", id.0),
            Type::Enum(id) => named(names.enum_name(*id), "enum", id.0),
            Type::Tuple(id) => named(names.predicate_name(*id), "predicate", id.0),
            Type::Option(inner) => format!("Option<{}>", inner.render(names)),
            Type::List(inner, card) => match card.bounds() {
                None => format!("[{}]", inner.render(names)),
                Some(bounds) => format!("[{}; {bounds}]", inner.render(names)),
            },
            Type::Set(inner) => format!("Set<{}>", inner.render(names)),
            Type::Map(k, v) => format!("Map<{}, {}>", k.render(names), v.render(names)),
            Type::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.render(names)))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            Type::Unit => "()".into(),
        }
    }
}

impl Cardinality {
    /// The bounds as written after `;` in a list type (`>= n`, `<= m`,
    /// `n..m` or `n`); `None` for `[0..*]`, which is written without bounds.
    pub fn bounds(&self) -> Option<String> {
        match (self.min, self.max) {
            (0, None) => None,
            (min, None) => Some(format!(">= {min}")),
            (0, Some(max)) => Some(format!("<= {max}")),
            (min, Some(max)) if min == max => Some(format!("{min}")),
            (min, Some(max)) => Some(format!("{min}..{max}")),
        }
    }
}

/// The declarations whose names [`Type::render`] writes: a module's
/// ([`crate::Module::type_names`]), or the compiler's before there is one.
#[derive(Clone, Copy)]
pub struct TypeNames<'a> {
    pub concepts: &'a [crate::Concept],
    pub structs: &'a [crate::StructDecl],
    pub enums: &'a [crate::EnumDecl],
    pub predicates: &'a [crate::Predicate],
}

impl TypeNames<'_> {
    fn concept_name(&self, id: ConceptId) -> Option<&str> {
        self.concepts.get(id.index()).map(|c| c.name.as_str())
    }

    fn struct_name(&self, id: StructId) -> Option<&str> {
        self.structs.get(id.index()).map(|s| s.name.as_str())
    }

    fn enum_name(&self, id: EnumId) -> Option<&str> {
        self.enums.get(id.index()).map(|e| e.name.as_str())
    }

    fn predicate_name(&self, id: PredId) -> Option<&str> {
        self.predicates.get(id.index()).map(|p| p.name.as_str())
    }
}

impl crate::Module {
    /// The names [`Type::render`] needs.
    pub fn type_names(&self) -> TypeNames<'_> {
        TypeNames {
            concepts: &self.concepts,
            structs: &self.structs,
            enums: &self.enums,
            predicates: &self.predicates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_render_like_source() {
        let list = |t: Type, min, max| Type::List(Box::new(t), Cardinality { min, max });
        let cases = [
            (Type::Option(Box::new(Type::Date)), "Option<Date>"),
            (list(Type::Date, 1, None), "[Date; >= 1]"),
            (list(Type::Int, 0, Some(3)), "[Int; <= 3]"),
            (list(Type::Int, 2, Some(2)), "[Int; 2]"),
            (list(Type::Int, 1, Some(4)), "[Int; 1..4]"),
            (list(Type::Int, 0, None), "[Int]"),
            (
                Type::Map(
                    Box::new(Type::String),
                    Box::new(Type::Concept(ConceptId(9))),
                ),
                "Map<String, <unknown concept 9>>",
            ),
            (
                Type::Set(Box::new(Type::Struct(StructId(1)))),
                "Set<<unknown struct 1>>",
            ),
            (Type::Tuple(PredId(2)), "<unknown predicate 2>"),
            (Type::Record(vec![("a".into(), Type::Bool)]), "{ a: Bool }"),
            (Type::Unit, "()"),
        ];
        let module: crate::Module = serde_json::from_value(serde_json::json!({
            "package": {"name": "p", "version": "0.1.0", "entry": "src/root.ar"},
            "concepts": [], "relations": [], "structs": [], "enums": [], "predicates": [],
            "rules": [], "checks": [], "queries": [], "mutations": [], "functions": [], "standpoints": []
        }))
        .expect("module");
        for (ty, text) in cases {
            assert_eq!(ty.render(&module.type_names()), text);
        }
    }
}
