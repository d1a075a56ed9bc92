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
}
