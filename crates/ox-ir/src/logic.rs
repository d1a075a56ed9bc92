//! Datalog rules: what the reasoner evaluates.
//!
//! Every fact is a tuple of a predicate ([`PredId`]). Concepts are unary
//! predicates (membership), fields are binary predicates `(individual, value)`
//! (one tuple per element for multi-valued fields), relations are n-ary,
//! derived predicates (`derive`), `iff` refinements and check bodies are rules.

use serde::{Deserialize, Serialize};

use crate::expr::Expr;
use crate::module::{CheckId, ConceptId, PredId, RelationId};
use crate::value::Value;

/// A rule-local variable, numbered from 0 within one rule (or query body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VarId(pub u32);

/// An argument position of an atom: a variable or a constant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Term {
    Var(VarId),
    Const(Value),
}

/// `pred(args…)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Atom {
    pub pred: PredId,
    pub args: Vec<Term>,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The source spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// One conjunct of a rule body.
///
/// Expressions inside `Compare` and `Bind` use only `Expr::Var`, `Expr::Const`,
/// arithmetic, and builtins such as `today()`; field paths have already been
/// lowered to field atoms by the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Literal {
    /// A positive atom: binds its variables.
    Pos(Atom),
    /// Negation as failure: all variables must be bound by earlier positive atoms.
    Neg(Atom),
    /// A comparison of two expressions over bound variables.
    Compare { op: CmpOp, left: Expr, right: Expr },
    /// `var = expr`: binds `var` (or tests equality when already bound).
    Bind { var: VarId, expr: Expr },
    /// `result = kind { body }`: an aggregate over the solutions of `body`,
    /// one value per binding of `group_by` (variables bound outside that
    /// the body reads; they must be bound before it). The body's other
    /// variables are local to it, and its solutions are their distinct
    /// bindings. It reads strictly lower strata, like negation, and may
    /// not nest another aggregate. `count` of no solution is 0; `sum` of
    /// none is `zero`; `min`, `max` and `avg` of none bind nothing (the
    /// rule does not fire).
    Aggregate {
        result: VarId,
        kind: AggKind,
        group_by: Vec<VarId>,
        body: Vec<Literal>,
        /// The aggregated value per solution; `None` for `count`.
        value: Option<Expr>,
        /// For `sum`: its value over no solution, the zero of the summed
        /// type (see [`crate::types::Type::sum_zero`]). Modules built
        /// without it sum nothing to the integer 0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zero: Option<Value>,
    },
}

/// The aggregate functions of rule bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AggKind {
    Count,
    Sum,
    Min,
    Max,
    Avg,
}

impl AggKind {
    /// The source spelling.
    pub fn name(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Avg => "avg",
        }
    }

    /// The kind spelled `name`, if it is one.
    pub fn from_name(name: &str) -> Option<AggKind> {
        Some(match name {
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "avg" => AggKind::Avg,
            _ => return None,
        })
    }
}

/// Where a rule came from, for explanations and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleOrigin {
    /// A `derive` clause: the predicate's name and the clause index among its clauses.
    Derive { name: String, clause: u32 },
    /// The `iff` refinement that defines a concept.
    Refinement(ConceptId),
    /// Membership closed under specialisation: `Super(x) :- Sub(x)`.
    Specialisation { sub: ConceptId, sup: ConceptId },
    /// Tuples closed under relation specialisation: `Sup(a, b) :- Sub(a, b)`.
    RelationSpecialisation { sub: RelationId, sup: RelationId },
    /// The body of a `check`: its head collects violations.
    Check(CheckId),
}

/// How a rule concludes its head (see [`Defeasibility`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Strength {
    /// A rule without a marker: its conclusions are never defeated.
    #[default]
    Strict,
    /// `#[default]`: its conclusions hold unless defeated or blocked.
    Defeasible,
}

/// The defeasibility markers of a rule (`#[default]`, `#[label(name)]`,
/// `#[defeats(name)]`); `Defeasibility::default()` is a plain strict rule.
///
/// For a head predicate H and its strong negation `~H` (a predicate of kind
/// [`crate::PredKind::Complement`]), the conclusions are the strict ones
/// plus the defeasible ones that are not defeated — by a rule whose
/// `defeats` names the concluding rule's label and whose body holds for the
/// same tuple — nor blocked by a strict or undefeated defeasible conclusion
/// of the complement. Labels name rules among the clauses of H and `~H`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Defeasibility {
    pub strength: Strength,
    /// `#[label(name)]`.
    pub label: Option<String>,
    /// `#[defeats(name)]`, one entry per label defeated.
    pub defeats: Vec<String>,
}

impl Defeasibility {
    /// Whether the rule carries no marker at all (strict, no label, defeats nothing).
    pub fn is_plain(&self) -> bool {
        self.strength == Strength::Strict && self.label.is_none() && self.defeats.is_empty()
    }
}

/// `head :- body`. A rule with an empty body and a constant head is a ground fact.
///
/// A head over a [`crate::PredKind::Complement`] predicate derives the strong
/// negation `~p(…)`; a positive body atom over one reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rule {
    pub head: Atom,
    pub body: Vec<Literal>,
    /// Number of distinct variables (`VarId(0..var_count)`).
    pub var_count: u32,
    /// Variable names for explanations (`var_names[i]` names `VarId(i)`).
    pub var_names: Vec<String>,
    pub origin: RuleOrigin,
    /// Strict or defeasible, label, and the labels it defeats; construct
    /// plain rules with `Defeasibility::default()`.
    #[serde(default)]
    pub defeasibility: Defeasibility,
    /// The standpoint the rule was declared in; `None` is the default layer.
    /// A rule of standpoint S holds only for requests under S or a
    /// descendant of S.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standpoint: Option<crate::StandpointId>,
}
