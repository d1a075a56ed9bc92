//! Route handlers, one module per group.

pub mod batch;
pub mod derived;
pub mod dispatch;
pub mod forks;
pub mod health;
pub mod schema;
