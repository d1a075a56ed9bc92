//! Route handlers, one module per group.

pub mod dispatch;
pub mod health;
pub mod schema;
