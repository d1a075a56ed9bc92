//! `ox-runtime`: runs a compiled Argon [`Module`](ox_ir::Module) over the
//! tenants' event logs.
//!
//! - [`Engine`]: declared queries, mutations and fns of one module over a
//!   [`StorageBackend`](ox_store::StorageBackend), with derived state from the
//!   reasoner cached per (tenant, fork, generation);
//! - [`run_tests`]: `ox test`, each test on a fresh in-memory store;
//! - [`wire`]: the JSON encoding of values;
//! - [`ErrorCode`] / [`RuntimeError`]: the one registry of error codes.
//!
//! Event bodies and axiom ids are described in the `events` module docs.

mod catalog;
mod codec;
mod context;
mod engine;
mod error;
mod eval;
mod events;
mod interpret;
mod query;
mod state;
mod testing;
mod typing;
mod validate;
mod view;
pub mod wire;

pub use context::{MutateOptions, RequestContext};
pub use engine::{Engine, MutationReceipt, QueryOutcome, QueryResult};
pub use error::{ErrorCode, RuntimeError};
pub use testing::{run_tests, TestOutcome, TestStatus};
