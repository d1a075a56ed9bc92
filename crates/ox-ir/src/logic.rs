//! Datalog rules: what the reasoner evaluates.
//!
//! Every fact is a tuple of a predicate ([`PredId`]). Concepts are unary
//! predicates (membership), fields are binary predicates `(individual, value)`
//! (one tuple per element for multi-valued fields), relations are n-ary,
//! derived predicates (`derive`), `iff` refinements and check bodies are rules.

use serde::{Deserialize, Serialize};

use crate::expr::Expr;
use crate::module::{CheckId, ConceptId, PredId};
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
    /// The body of a `check`: its head collects violations.
    Check(CheckId),
}

/// `head :- body`. A rule with an empty body and a constant head is a ground fact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rule {
    pub head: Atom,
    pub body: Vec<Literal>,
    /// Number of distinct variables (`VarId(0..var_count)`).
    pub var_count: u32,
    /// Variable names for explanations (`var_names[i]` names `VarId(i)`).
    pub var_names: Vec<String>,
    pub origin: RuleOrigin,
}
