//! Who asks, where, and at which time: the context of one request.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use ox_reasoner::EvalContext;
use ox_store::{TenantId, MAIN_FORK};

use crate::error::RuntimeError;

/// The context of one request: tenant, fork, principal, standpoint, time points
/// and deadline. Every storage access and every cache lookup takes its tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestContext {
    /// The tenant read and written.
    pub tenant: TenantId,
    /// The fork (`main` by default).
    pub fork: String,
    /// Who asks (recorded on written events, never authorised).
    pub principal: String,
    /// A declared standpoint's name or path; `None` is the default layer.
    pub standpoint: Option<String>,
    /// Read the state right after this transaction instead of now (queries, fns).
    pub as_of_tx: Option<u64>,
    /// Read the state after the last transaction committed at or before this
    /// wall-clock time (queries, fns); `as_of_tx` wins when both are given.
    pub as_of_time: Option<DateTime<Utc>>,
    /// The valid-time point: what `today()`/`now()` return, which events are
    /// valid for reads, and the valid-from time of written events.
    pub valid_at: Option<DateTime<Utc>>,
    /// When to give up with `ARGON_RUNTIME_TIMEOUT`.
    pub deadline: Option<Instant>,
}

impl RequestContext {
    /// A context for `tenant` with the defaults: fork `main`, principal
    /// `anonymous`, default standpoint layer, current time, no deadline.
    pub fn new(tenant: TenantId) -> RequestContext {
        RequestContext {
            tenant,
            fork: MAIN_FORK.to_owned(),
            principal: "anonymous".to_owned(),
            standpoint: None,
            as_of_tx: None,
            as_of_time: None,
            valid_at: None,
            deadline: None,
        }
    }
}

/// Options of a mutation (or batch) request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MutateOptions {
    /// Validate everything and report the events that would be written, writing none.
    pub dry_run: bool,
    /// The client's `Idempotency-Key`: the same key with the same request
    /// returns the stored receipt and writes nothing; with another request it
    /// is `ARGON_RUNTIME_IDEMPOTENCY_CONFLICT`.
    pub idempotency_key: Option<String>,
}

/// The time points of one request, read once at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock {
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    pub deadline: Option<Instant>,
}

impl Clock {
    /// Reads the wall clock once (unless the context fixes the valid time).
    pub(crate) fn start(ctx: &RequestContext) -> Clock {
        let now = ctx.valid_at.unwrap_or_else(Utc::now);
        Clock {
            today: now.date_naive(),
            now,
            deadline: ctx.deadline,
        }
    }

    /// `Timeout` once the deadline has passed.
    pub(crate) fn check(&self) -> Result<(), RuntimeError> {
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(RuntimeError::timeout()),
            _ => Ok(()),
        }
    }

    /// The reasoner's view of this clock.
    pub(crate) fn eval_context(&self) -> EvalContext {
        EvalContext {
            today: self.today,
            now: self.now,
            deadline: self.deadline,
        }
    }
}
