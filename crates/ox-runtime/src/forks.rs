//! Forks through the engine: create, list, inspect, abort, diff and promote
//! (with validation of the promoted result against the module's rules).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use ox_ir::Value;
use ox_store::{Event, ForkRecord, ForkState, StoreError, ValidPoint, MAIN_FORK};
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::context::{Clock, RequestContext};
use crate::engine::Engine;
use crate::error::{ErrorCode, RuntimeError};
use crate::events::{self, Fact, PathIndex};
use crate::interpret::Txn;
use crate::state;

/// A fork as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForkInfo {
    /// Fork name.
    pub name: String,
    /// The fork it branches from (`null` for `main`).
    pub parent: Option<String>,
    /// The fork sees its parent's events with `tx` below this.
    pub fork_point_tx: u64,
    /// When it was created (`null` for a `main` never written).
    pub created_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: String,
    /// `open`, `promoted` or `aborted`.
    pub state: ForkState,
    /// Bumped with every committed write to the fork.
    pub generation: u64,
}

impl From<ForkRecord> for ForkInfo {
    fn from(r: ForkRecord) -> Self {
        ForkInfo {
            name: r.name,
            parent: r.parent,
            fork_point_tx: r.fork_point_tx,
            created_at: r.created_at,
            created_by: r.created_by,
            state: r.state,
            generation: r.generation,
        }
    }
}

/// What a promotion did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromoteReceipt {
    /// The transaction written on the parent.
    pub tx: u64,
    /// How many of the fork's records were re-stamped onto the parent.
    pub events_promoted: usize,
}

fn store_error(e: StoreError) -> RuntimeError {
    RuntimeError::from_store(e)
}

fn unknown_fork(name: &str) -> RuntimeError {
    RuntimeError::new(
        ErrorCode::UnknownFork,
        format!("no fork named `{}`", name.escape_debug()),
    )
    .with_details(json!({ "fork": name }))
}

impl Engine {
    /// Creates fork `name` of `from` (default `main`) at `at_tx` (default: the
    /// tenant's last tx) in O(1). Errors: `FORK_EXISTS`, `UNKNOWN_FORK` for
    /// the parent, `VALIDATION_FAILED` for a bad name or a future `at_tx`.
    pub fn create_fork(
        &self,
        ctx: &RequestContext,
        name: &str,
        from: Option<&str>,
        at_tx: Option<u64>,
    ) -> Result<ForkInfo, RuntimeError> {
        self.check_scope(&ctx.tenant)?;
        self.store()
            .create_fork(
                &ctx.tenant,
                name,
                from.unwrap_or(MAIN_FORK),
                at_tx,
                &ctx.principal,
            )
            .map(ForkInfo::from)
            .map_err(store_error)
    }

    /// Every fork of the tenant, `main` first.
    pub fn list_forks(&self, ctx: &RequestContext) -> Result<Vec<ForkInfo>, RuntimeError> {
        self.check_scope(&ctx.tenant)?;
        Ok(self
            .store()
            .forks(&ctx.tenant)
            .map_err(store_error)?
            .into_iter()
            .map(ForkInfo::from)
            .collect())
    }

    /// One fork (`UNKNOWN_FORK` if there is none).
    pub fn fork_info(&self, ctx: &RequestContext, name: &str) -> Result<ForkInfo, RuntimeError> {
        self.check_scope(&ctx.tenant)?;
        self.store()
            .fork(&ctx.tenant, name)
            .map_err(store_error)?
            .map(ForkInfo::from)
            .ok_or_else(|| unknown_fork(name))
    }

    /// Aborts (closes) an open fork; its events stay readable. `main` cannot
    /// be aborted (`VALIDATION_FAILED`); a closed fork is `FORK_CLOSED`.
    pub fn abort_fork(&self, ctx: &RequestContext, name: &str) -> Result<ForkInfo, RuntimeError> {
        self.check_scope(&ctx.tenant)?;
        self.store()
            .close_fork(&ctx.tenant, name, ForkState::Aborted, &ctx.principal)
            .map(ForkInfo::from)
            .map_err(store_error)
    }

    /// The events visible in fork `a` and not in `b`, then those visible in
    /// `b` and not in `a`, since their common ancestor; each as JSON
    /// (`fork`, `eventId`, `tx`, `kind`, `op`, `axiomId`, `standpoint`, decoded
    /// `fact`, `validFrom`, `validTo`, `principal`).
    pub fn diff_forks(
        &self,
        ctx: &RequestContext,
        a: &str,
        b: &str,
    ) -> Result<Vec<Json>, RuntimeError> {
        self.check_scope(&ctx.tenant)?;
        let diff = self.store().diff(&ctx.tenant, a, b).map_err(store_error)?;
        let index = PathIndex::new(self.module());
        let render = |fork: &str, e: &Event| {
            let fact = match events::decode(self.module(), &index, e) {
                Ok(Some(fact)) => events::fact_json(self.module(), &fact, &|_| None),
                _ => Json::Null,
            };
            json!({
                "fork": fork,
                "eventId": e.event_id.to_string(),
                "tx": e.tx,
                "kind": e.kind,
                "op": e.op.as_str(),
                "axiomId": e.axiom_id,
                "standpoint": e.standpoint,
                "fact": fact,
                "validFrom": e.valid_from.to_rfc3339(),
                "validTo": e.valid_to.map(|t| t.to_rfc3339()),
                "principal": e.principal,
            })
        };
        Ok(diff
            .only_in_a
            .iter()
            .map(|e| render(a, e))
            .chain(diff.only_in_b.iter().map(|e| render(b, e)))
            .collect())
    }

    /// Promotes an open fork into its parent: validates the parent's state
    /// with the fork's changes applied (cardinalities, `where` invariants,
    /// error-severity checks → `CHECK_VIOLATED`), then appends the fork's
    /// records to the parent at a new tx and closes the fork. The parent having
    /// changed the same axioms since the fork point is `PROMOTE_CONFLICT`
    /// (the axioms in `details.axioms`).
    pub fn promote_fork(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<PromoteReceipt, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
        self.check_scope(&ctx.tenant)?;
        let record = self
            .store()
            .fork(&ctx.tenant, name)
            .map_err(store_error)?
            .ok_or_else(|| unknown_fork(name))?;
        let Some(parent) = record.parent else {
            return Err(RuntimeError::validation(format!(
                "`{MAIN_FORK}` has no parent to promote into"
            )));
        };
        if record.state != ForkState::Open {
            return Err(store_error(StoreError::ForkClosed(name.to_owned())));
        }
        let parent_ctx = RequestContext {
            fork: parent.clone(),
            standpoint: None,
            as_of_tx: None,
            as_of_time: None,
            ..ctx.clone()
        };
        let (start, generation) = self.current(&parent_ctx, &clock)?;
        let promoted = self
            .store()
            .promoted_view(&ctx.tenant, name, ValidPoint::At(clock.now))
            .map_err(store_error)?;
        let visibility = self.visibility(&parent_ctx)?;
        let mut txn = Txn::new(start, generation);
        txn.pending = state::base_from_events(&self.catalog, &promoted, &visibility, &clock)?;
        let changes = self
            .store()
            .diff(&ctx.tenant, &parent, name)
            .map_err(store_error)?;
        txn.touched = touched_individuals(self, &changes.only_in_b);
        crate::validate::validate(self, &parent_ctx, &clock, &txn)?;
        clock.check()?;
        let promotion = self
            .store()
            .promote(&ctx.tenant, name, &ctx.principal, self.schema_hash())
            .map_err(store_error)?;
        Ok(PromoteReceipt {
            tx: promotion.tx,
            events_promoted: promotion.source_event_ids.len(),
        })
    }
}

/// The individuals a set of events is about (for validation).
fn touched_individuals(engine: &Engine, events: &[Event]) -> BTreeSet<String> {
    let module = engine.module();
    let index = PathIndex::new(module);
    let mut ids = BTreeSet::new();
    for e in events {
        match events::decode(module, &index, e) {
            Ok(Some(Fact::Individual { id, .. }))
            | Ok(Some(Fact::Iof { id, .. }))
            | Ok(Some(Fact::Property { id, .. })) => {
                ids.insert(id);
            }
            Ok(Some(Fact::Tuple { args, .. })) => {
                ids.extend(args.into_iter().filter_map(|a| match a {
                    Value::Ref(id) => Some(id),
                    _ => None,
                }));
            }
            _ => {}
        }
    }
    ids
}
