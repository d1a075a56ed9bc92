//! The typed intermediate representation (IR) of an Argon module.
//!
//! The compiler lowers source to a [`Module`]; the `.oxbin` artifact stores it;
//! the runtime and the reasoner execute it. Nothing in this crate knows about
//! source text, storage or HTTP.
//!
//! Layout:
//! - [`types`]: the static types of fields, parameters and results;
//! - [`value`]: run-time values and their exact arithmetic and ordering;
//! - [`logic`]: Datalog rules (atoms, literals, terms) evaluated by the reasoner;
//! - [`expr`]: expressions and statements of functions, queries and mutations;
//! - [`module`]: the declarations of a module, addressed by typed indices.

pub mod analysis;
pub mod expr;
pub mod logic;
pub mod module;
pub mod oxbin;
pub mod types;
pub mod value;

pub use expr::{AssignOp, BinaryOp, Builtin, Expr, MatchArm, Pattern, Stmt, UnaryOp};
pub use logic::{
    AggKind, Atom, CmpOp, Defeasibility, Literal, Rule, RuleOrigin, Strength, Term, VarId,
};
pub use module::*;
pub use types::{Cardinality, Type, TypeNames};
pub use value::{Duration, Money, Value, ValueError};
