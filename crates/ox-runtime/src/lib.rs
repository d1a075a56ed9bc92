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
//!
//! # Decisions (where the spec is silent)
//!
//! - **Reads inside a mutation.** Base facts (field values, asserted
//!   memberships and their supertypes, relation tuples, extents) read the
//!   state at the start of the transaction plus its own pending writes.
//!   Derived predicates, checks and memberships of `iff` classes read the
//!   fixpoint at the *start* of the transaction; the new fixpoint is only
//!   computed for validation at the end. Queries called from a mutation read
//!   the start state too. Tests commit before each `assert`,
//!   so asserts always read the current fixpoint.
//! - **Validation** at the end of a transaction, over the new fixpoint:
//!   relation cardinalities of every individual the transaction touched (and
//!   of every value in a tuple it added), `[T; n]` field bounds, `where`
//!   invariants of touched members, and error-severity checks that gained a
//!   violation. The first failure is reported (`CHECK_VIOLATED`) and nothing
//!   is written.
//! - **`delete x`** retracts the individual, its field values and
//!   classifications, and every relation tuple that mentions it (the other
//!   endpoints are then re-validated, so deleting a lease's only tenant fails
//!   the lease's `[1..1]`).
//! - **Ids**: the `#[key]` field of the concept or its nearest ancestor
//!   (else a field `id: String`), else a fresh UUIDv7. A live id inserted
//!   again is a key conflict (`CHECK_VIOLATED`).
//! - **Field initialisers** of `insert` index the concept's fields including
//!   inherited ones: own fields first, then each ancestor's (the order of
//!   `Module::all_fields`). A field that is neither optional nor a collection
//!   must be given.
//! - **Single-valued query results** (`-> T`) with zero rows (unless `T` is an
//!   `Option`) or several rows are `UNSUPPORTED_QUERY_RESULT`: the rows cannot
//!   be put on the wire as one value. A bodiless query returns rows whatever
//!   its declared element type.
//! - **As-of**: a query's declared `as_of` wins over the request's
//!   `as_of_tx`, which wins over `as_of_time` (the last tx committed at or
//!   before it); mutations refuse both (`VALIDATION_FAILED`).
//! - **Valid time**: reads see the events whose valid interval contains
//!   `valid_at`, or now when it is absent (an interval that ended is not
//!   current); writes start their valid interval at `valid_at` (else the
//!   commit time), and the store keeps the superseded value valid before it.
//! - **Idempotency**: the fingerprint is SHA-256 of the mutation paths with
//!   their arguments (keys sorted), fork, standpoint and `validAt`; the
//!   receipts are stored with the write (also for a mutation that writes
//!   nothing) and replayed with the stored `tx`. Dry runs ignore the key.
//! - **Batches** run their mutations in order in one transaction; arguments
//!   may name individuals inserted by earlier calls; validation runs once at
//!   the end.
//! - **Forks**: `create_fork` defaults to a fork of `main` at the last tx;
//!   promotion goes into the parent, after validating the parent's current
//!   state with the fork's records applied (the same checks as a mutation,
//!   over the individuals the fork changed).
//! - **Schema scopes**: the engine refuses, on first access, a tenant whose
//!   data was written under another `schemaHash` (`SCHEMA_MISMATCH`) unless
//!   built with `accept_schema_change(true)`.
//! - **Standpoints**: a request under standpoint `S` reads the default layer,
//!   `S` and its ancestors (for one axiom, the most specific layer wins) and
//!   writes into `S`. Unknown standpoints are `VALIDATION_FAILED`.
//! - **Caching**: one fixpoint per (tenant, fork, generation, standpoint,
//!   explicit valid time, and the day or instant when rules read
//!   `today()`/`now()`), 48 entries, least recently used evicted. A state read
//!   at "now" records its valid-time window — until the first visible interval
//!   ends or the next record starts to be valid — and is reused only inside
//!   it. A commit caches the fixpoint it validated under the new generation.
//! - **Incremental maintenance**: the engine also keeps the latest fixpoint
//!   per scope (the cache key without the generation, 48 entries); a new
//!   generation of the scope, and the validation of a transaction (from its
//!   start state), update that fixpoint with the base facts inserted and
//!   deleted since (`Program::update`; a replaced field value is one deletion
//!   and one insertion) when at most a quarter of its base facts plus 16
//!   changed in all and the rules cannot tell the two clocks apart; otherwise
//!   the fixpoint is evaluated from scratch. Deletions go through the
//!   reasoner's delete-and-rederive, which recomputes a stratum by itself
//!   when a deletion spreads widely (a 1% deletion measured 1.03–1.18× a
//!   fresh evaluation on the reasoner benchmarks, see BENCHMARKS.md). On by
//!   default (`Engine::incremental`). On the
//!   hand-built lease domain (non-recursive, 3,000 people, 900 leases,
//!   `cargo bench -p ox-runtime --bench incremental`) a mutation took
//!   0.72–0.73× the from-scratch time for an insert, 0.61–0.90× for a replaced
//!   field value and 0.85–0.89× for a removed lease.
//!   Every fixpoint records provenance (one witness per derived fact).
//! - **Write conflicts** re-run the whole mutation up to 5 times, then give
//!   `STORAGE_UNAVAILABLE` ("retry later").

mod across;
mod admin;
mod catalog;
mod codec;
mod context;
mod engine;
mod error;
mod eval;
mod events;
mod explain;
mod forks;
mod grouping;
mod idempotency;
mod interpret;
mod layers;
mod query;
mod state;
mod testing;
mod typing;
mod validate;
mod view;
pub mod wire;

pub use across::Truth;
pub use admin::{forget_individual, schema_gate, SchemaGateOutcome};
pub use context::{MutateOptions, RequestContext};
pub use engine::{BatchReceipt, Engine, MutationReceipt, QueryOutcome, QueryResult};
pub use error::{ErrorCode, RuntimeError};
pub use explain::{DerivedExtent, DerivedRow, ExplainRequest};
pub use forks::{ForkInfo, PromoteReceipt};
pub use testing::{run_tests, TestOutcome, TestStatus};
