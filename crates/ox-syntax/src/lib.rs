//! ox-syntax: lexer, parser, AST and diagnostics for the Argon language.
//!
//! This crate depends on no other `ox` crate. The compiler consumes
//! [`ast::File`] values and reports its own problems as [`Diagnostic`]s whose
//! codes are registered in [`codes`].

pub mod ast;
pub mod codes;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod render;
pub mod span;
pub mod token;

pub use diagnostic::{Diagnostic, Severity};
pub use lexer::lex;
pub use parser::parse_file;
pub use span::{FileId, LineCol, SourceFile, SourceMap, Span};
