//! `ox-store`: the append-only, bitemporal event log of Argon tenants and its
//! storage backends.
//!
//! The store knows tenants, forks, transactions, axiom ids, valid time and
//! supersession; event bodies are opaque bytes. Every read and write takes a
//! [`TenantId`] first, so no code path can reach another tenant's events.
//!
//! Backends: [`MemBackend`] (tests, REPL) and [`SqliteBackend`] (embedded,
//! durable, the default), both behind [`StorageBackend`]; pick one by name with
//! [`open_backend`].

mod backend;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod event;
mod mem;
mod sqlite;
mod tenant;

pub use backend::{open_backend, StorageBackend, DEFAULT_SQLITE_PATH};
pub use error::StoreError;
pub use event::{
    content_id, AppendRequest, AsOf, Committed, Event, NewEvent, Op, SchemaScope, MAIN_FORK,
};
pub use mem::MemBackend;
pub use sqlite::SqliteBackend;
pub use tenant::{TenantId, DEFAULT_TENANT, MAX_TENANT_LEN};
