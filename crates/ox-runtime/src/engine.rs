//! The engine: runs a module's declared queries, mutations and fns over a
//! tenant's event log.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use ox_ir::{Module, Param, QueryParam, Type, Value};
use ox_reasoner::Program;
use ox_store::{
    AppendRequest, AsOf, ForkState, IdempotencyRecord, StorageBackend, StoreError, TenantId,
    TxPoint, ValidPoint, MAIN_FORK,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::catalog::Catalog;
use crate::context::{Clock, MutateOptions, RequestContext};
use crate::error::{ErrorCode, RuntimeError};
use crate::eval::{Evaluator, Locals};
use crate::events;
use crate::idempotency;
use crate::interpret::{Interp, Mode, Txn};
use crate::layers::Programs;
use crate::query::{self, QueryExec, Shape};
use crate::state::{self, CacheKey, State, StateCache, ValidWindow, Visibility};
use crate::view::{PendingView, StateView, View};
use crate::wire::{self, CoerceError};

/// How many fixpoints the engine keeps (all tenants together).
const CACHE_CAPACITY: usize = 48;
/// How often a mutation is re-run after a write conflict (with a writer in
/// another process: this engine's own writers to a tenant take turns).
const MAX_ATTEMPTS: usize = 5;

/// The result of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    /// The transaction read: the tenant's last `tx` at or before the as-of point.
    pub tx: u64,
    pub result: QueryResult,
}

/// Rows (for `[T]`/`Set<T>` results and bodiless extent queries) or one value.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Rows(Vec<Json>),
    Value(Json),
}

/// What a mutation did. Serialisable: it is what an idempotency key replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationReceipt {
    /// The transaction written (for a dry run or a mutation that wrote
    /// nothing: the transaction read).
    pub tx: u64,
    /// The returned value (`null` without `return`).
    pub value: Json,
    /// Number of events appended (0 for a dry run).
    pub events_written: usize,
    /// `{"name": …, "value": …}` per `emit`, in order.
    pub events_emitted: Vec<Json>,
    /// For a dry run: the events that would have been written.
    pub dry_run_events: Option<Vec<Json>>,
}

/// What a batch did: all its mutations committed at one `tx`, or none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReceipt {
    /// The transaction written (see [`MutationReceipt::tx`]).
    pub tx: u64,
    /// One receipt per call, in order (each with the batch's `tx`; a call's
    /// `events_written` counts its own writes).
    pub results: Vec<MutationReceipt>,
}

/// A query evaluated to its rows, with the state and clock it read.
pub(crate) struct QueryRun<'q> {
    pub query: &'q ox_ir::Query,
    pub state: Arc<State>,
    pub clock: Clock,
    pub rows: Vec<Value>,
}

/// Builds the serialised response stored with an idempotency key from the
/// validated state.
type Respond<'r> = &'r dyn Fn(&State) -> Vec<u8>;

/// An idempotency key with the fingerprint of its request.
struct Idem<'a> {
    key: &'a str,
    fingerprint: [u8; 32],
}

/// A committed (or dry-run) transaction.
pub(crate) struct Committed {
    pub state: Arc<State>,
    pub generation: u64,
    pub events: Vec<Json>,
}

/// Why a commit did not happen.
enum CommitError {
    /// Another write landed since the transaction started: re-run it.
    Conflict,
    /// A concurrent request with the same idempotency key committed first.
    Replayed,
    Failed(RuntimeError),
}

fn commit_error(e: StoreError) -> CommitError {
    match e {
        StoreError::Conflict { .. } => CommitError::Conflict,
        StoreError::IdempotencyReplay(_) => CommitError::Replayed,
        other => CommitError::Failed(RuntimeError::from_store(other)),
    }
}

/// The transaction point of a read: a query's declared `as_of`, else the
/// context's `as_of_tx`, else its `as_of_time`, else the latest.
pub(crate) fn tx_point(ctx: &RequestContext, declared: Option<u64>) -> TxPoint {
    match (declared.or(ctx.as_of_tx), ctx.as_of_time) {
        (Some(tx), _) => TxPoint::Tx(tx),
        (None, Some(t)) => TxPoint::Time(t),
        (None, None) => TxPoint::Latest,
    }
}

impl From<RuntimeError> for CommitError {
    fn from(e: RuntimeError) -> Self {
        CommitError::Failed(e)
    }
}

/// Runs one module over a store. `Send + Sync`; share it with an `Arc`.
///
/// Reads evaluate the reasoner's fixpoint of the visible events and cache it
/// per (tenant, fork, generation, standpoint, valid time); every storage call
/// and cache key takes the request's tenant first.
pub struct Engine {
    pub(crate) catalog: Catalog,
    /// The reasoner programs per set of visible standpoints.
    programs: Programs,
    module_hash: String,
    schema_hash: String,
    store: Arc<dyn StorageBackend>,
    cache: StateCache,
    /// The latest fixpoint per scope (the cache key without the generation):
    /// the starting point of incremental maintenance.
    latest: StateCache,
    /// Bring fixpoints up to date incrementally (default: yes).
    incremental: bool,
    /// Serve scopes written under another `schemaHash` (the operator set
    /// `ARGON_ACCEPT_SCHEMA_CHANGE=1`).
    accept_schema_change: bool,
    /// Tenants whose schema scope was found to match this module's.
    checked_scopes: Mutex<HashSet<TenantId>>,
    /// Per tenant, the turn its writers take: two mutations of one tenant
    /// through this engine never run at once, so they never conflict with
    /// each other (retrying on conflicts could starve one of them).
    writer_turns: Mutex<HashMap<TenantId, Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("package", &self.catalog.module.package.name)
            .field("module_hash", &self.module_hash)
            .field("store", &self.store.kind())
            .finish()
    }
}

impl Engine {
    /// Builds the engine; prepares the reasoner program once. A module whose
    /// rules the reasoner refuses is `ARGON_RUNTIME_INTERNAL`.
    pub fn new(
        module: Arc<Module>,
        module_hash: String,
        schema_hash: String,
        store: Arc<dyn StorageBackend>,
    ) -> Result<Engine, RuntimeError> {
        let programs = Programs::new(&module).map_err(|e| {
            RuntimeError::internal(format!("the module's rules cannot be evaluated: {e}"))
        })?;
        Ok(Engine::with_program(
            module,
            programs.default_program().clone(),
            module_hash,
            schema_hash,
            store,
        ))
    }

    /// An engine sharing an already prepared program of the default layer
    /// (see [`crate::layers::layer_module`]; used by `run_tests`).
    pub(crate) fn with_program(
        module: Arc<Module>,
        program: Arc<Program>,
        module_hash: String,
        schema_hash: String,
        store: Arc<dyn StorageBackend>,
    ) -> Engine {
        Engine {
            programs: Programs::with_default(&module, program),
            catalog: Catalog::new(module),
            module_hash,
            schema_hash,
            store,
            cache: StateCache::new(CACHE_CAPACITY),
            latest: StateCache::new(CACHE_CAPACITY),
            incremental: true,
            accept_schema_change: false,
            checked_scopes: Mutex::new(HashSet::new()),
            writer_turns: Mutex::new(HashMap::new()),
        }
    }

    /// Whether to serve tenants whose data was written under another
    /// `schemaHash` (default `false`: the first access to such a tenant — e.g.
    /// one another replica migrated after this one started — is
    /// `ARGON_RUNTIME_SCHEMA_MISMATCH`). Set it when the operator accepted the
    /// schema change (`ARGON_ACCEPT_SCHEMA_CHANGE=1`).
    pub fn accept_schema_change(mut self, accept: bool) -> Engine {
        self.accept_schema_change = accept;
        self
    }

    /// Whether a new fixpoint of a scope is computed from the previous one
    /// when few base facts were inserted or deleted (`Program::update`) or
    /// always from scratch. Both give the same answers. The default is
    /// incremental: on recursive rules an insertion costs a fraction of a
    /// fresh evaluation, and on the non-recursive lease domain the runtime
    /// benchmark measures a whole mutation at 0.1–0.3× of one evaluating from
    /// scratch (see BENCHMARKS.md). Off is for comparing the two.
    pub fn incremental(mut self, incremental: bool) -> Engine {
        self.incremental = incremental;
        self
    }

    /// The state to update incrementally instead of evaluating from scratch.
    pub(crate) fn previous_for<'s>(&self, state: &'s State) -> Option<&'s State> {
        self.incremental.then_some(state)
    }

    /// Refuses a tenant whose schema scope was written by another schema,
    /// checked on the first access to each tenant.
    pub(crate) fn check_scope(&self, tenant: &TenantId) -> Result<(), RuntimeError> {
        if self.accept_schema_change {
            return Ok(());
        }
        let checked = |set: &HashSet<TenantId>| set.contains(tenant);
        if checked(
            &self
                .checked_scopes
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        ) {
            return Ok(());
        }
        match self
            .store
            .schema_scope(tenant)
            .map_err(RuntimeError::from_store)?
        {
            None => Ok(()),
            Some(stored) if stored == self.schema_hash => {
                self.checked_scopes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(tenant.clone());
                Ok(())
            }
            Some(stored) => Err(crate::admin::schema_mismatch(
                &self.schema_hash,
                &[(tenant.clone(), stored)],
            )),
        }
    }

    /// The module served.
    pub fn module(&self) -> &Module {
        &self.catalog.module
    }

    /// The module's content hash.
    pub fn module_hash(&self) -> &str {
        &self.module_hash
    }

    /// The module's schema hash (recorded on written events).
    pub fn schema_hash(&self) -> &str {
        &self.schema_hash
    }

    /// The storage backend.
    pub fn store(&self) -> &Arc<dyn StorageBackend> {
        &self.store
    }

    /// Whether the named mutation (or one it calls) contains `forget`; the
    /// HTTP server refuses those before running anything. Unknown names: `false`.
    pub fn mutation_forgets(&self, name: &str) -> bool {
        self.module()
            .mutation_named(name)
            .is_some_and(|(_, m)| m.forgets)
    }

    /// Runs a declared `pub query`; one declared `across [...]` answers
    /// four-valued rows (see [`Engine::query_across`]).
    ///
    /// Errors: unknown or non-public name → `UNKNOWN_CALLABLE`; missing, extra
    /// or ill-typed arguments → `SIGNATURE_MISMATCH` naming the parameter; an
    /// unknown individual → `VALIDATION_FAILED`; a single-valued result with
    /// zero (unless optional) or several rows → `UNSUPPORTED_QUERY_RESULT`.
    pub fn query(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
    ) -> Result<QueryOutcome, RuntimeError> {
        let declares_across = self
            .module()
            .query_named(name)
            .is_some_and(|(_, q)| !q.across.is_empty());
        if declares_across {
            return self.query_across(ctx, name, args, &[], false);
        }
        let run = self.run_query(ctx, name, args)?;
        self.encode_query(run)
    }

    /// The `pub query` named `name`; any other name → `UNKNOWN_CALLABLE`.
    pub(crate) fn public_query(&self, name: &str) -> Result<&ox_ir::Query, RuntimeError> {
        self.module()
            .query_named(name)
            .map(|(_, q)| q)
            .filter(|q| q.visibility == ox_ir::Visibility::Public)
            .ok_or_else(|| RuntimeError::unknown_callable("query", name))
    }

    /// Evaluates a declared `pub query` to its rows (values, before encoding).
    pub(crate) fn run_query(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
    ) -> Result<QueryRun<'_>, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
        let q = self.public_query(name)?;
        let state = self.read_state(ctx, &clock, tx_point(ctx, q.as_of))?;
        let seeds = self.query_args(&q.name, &q.params, args, &state)?;
        let exec = QueryExec {
            engine: self,
            ctx,
            clock: &clock,
            state: &state,
        };
        let rows = exec.rows(q, &seeds)?;
        Ok(QueryRun {
            query: q,
            state,
            clock,
            rows,
        })
    }

    /// Puts a query's rows on the wire.
    pub(crate) fn encode_query(&self, run: QueryRun<'_>) -> Result<QueryOutcome, RuntimeError> {
        let QueryRun {
            query: q,
            state,
            rows,
            ..
        } = run;
        let types = |id: &str| state.type_of(&self.catalog, id);
        let result = match query::shape(q) {
            // Each row is dropped once encoded: a large result is not held twice.
            Shape::Rows(ty) => QueryResult::Rows(
                rows.into_iter()
                    .map(|r| wire::encode(self.module(), &r, &ty, &types))
                    .collect(),
            ),
            Shape::Single(ty) => {
                let value = query::single(q, rows)?;
                QueryResult::Value(wire::encode(self.module(), &value, &ty, &types))
            }
        };
        Ok(QueryOutcome {
            tx: state.tx,
            result,
        })
    }

    /// Runs a declared `pub mutate` as one transaction (re-run on a write conflict).
    ///
    /// Writes at `ctx.valid_at` when given (else the commit time). With
    /// `options.idempotency_key`, the same key and request return the stored
    /// receipt and write nothing; the same key with another request is
    /// `IDEMPOTENCY_CONFLICT`.
    ///
    /// Errors: as for [`Engine::query`], plus `REQUIRE_FAILED`, `CHECK_VIOLATED`
    /// (types, cardinality, `where` invariant, `iff` insert, key conflict,
    /// error-severity check), `FORGET_REFUSED`, `UNKNOWN_FORK`, `FORK_CLOSED`;
    /// any error writes nothing.
    pub fn mutate(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
        options: &MutateOptions,
    ) -> Result<MutationReceipt, RuntimeError> {
        let calls = [(name.to_owned(), args.clone())];
        let mut receipts = self.execute(ctx, &calls, options)?;
        receipts
            .pop()
            .ok_or_else(|| RuntimeError::internal("a mutation produced no receipt"))
    }

    /// Runs an ordered list of declared mutations as ONE transaction: one
    /// `tx`, all or nothing. Later calls see the writes of earlier ones
    /// (arguments may name individuals inserted earlier in the batch).
    /// Idempotency and dry runs as for [`Engine::mutate`].
    pub fn batch(
        &self,
        ctx: &RequestContext,
        calls: &[(String, Map<String, Json>)],
        options: &MutateOptions,
    ) -> Result<BatchReceipt, RuntimeError> {
        if calls.is_empty() {
            return Err(RuntimeError::validation(
                "a batch needs at least one mutation",
            ));
        }
        let results = self.execute(ctx, calls, options)?;
        Ok(BatchReceipt {
            tx: results.first().map_or(0, |r| r.tx),
            results,
        })
    }

    /// The shared body of [`Engine::mutate`] and [`Engine::batch`].
    fn execute(
        &self,
        ctx: &RequestContext,
        calls: &[(String, Map<String, Json>)],
        options: &MutateOptions,
    ) -> Result<Vec<MutationReceipt>, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
        let mut mutations = Vec::with_capacity(calls.len());
        for (name, args) in calls {
            let m = self
                .module()
                .mutation_named(name)
                .map(|(_, m)| m)
                .filter(|m| m.visibility == ox_ir::Visibility::Public)
                .ok_or_else(|| RuntimeError::unknown_callable("mutation", name))?;
            if m.forgets {
                return Err(RuntimeError::new(
                    ErrorCode::ForgetRefused,
                    format!(
                        "mutation `{}` contains `forget`, which is refused here",
                        m.name
                    ),
                ));
            }
            mutations.push((m, args));
        }
        if ctx.as_of_tx.is_some() || ctx.as_of_time.is_some() {
            return Err(RuntimeError::validation(
                "a mutation writes at the current state; it cannot be given an as-of transaction",
            ));
        }
        self.check_scope(&ctx.tenant)?;
        self.check_writable(ctx)?;
        let idem = match (&options.idempotency_key, options.dry_run) {
            (Some(key), false) => {
                let paths: Vec<(&str, &Map<String, Json>)> = mutations
                    .iter()
                    .map(|(m, args)| (m.path.as_str(), *args))
                    .collect();
                let idem = Idem {
                    key,
                    fingerprint: idempotency::fingerprint(ctx, &paths),
                };
                if let Some(receipts) = self.replay(ctx, &idem)? {
                    return Ok(receipts);
                }
                Some(idem)
            }
            _ => None,
        };
        // A dry run writes nothing, so it needs no turn.
        let turn = (!options.dry_run).then(|| self.writer_turn(&ctx.tenant));
        let _turn = turn
            .as_ref()
            .map(|t| t.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        for _ in 0..MAX_ATTEMPTS {
            let (start, generation) = self.current(ctx, &clock)?;
            let mut interp = Interp::new(
                self,
                ctx,
                &clock,
                Txn::new(start.clone(), generation),
                Mode::Mutation,
            );
            let mut runs = Vec::with_capacity(mutations.len());
            for (m, args) in &mutations {
                let values = {
                    let view = PendingView {
                        catalog: &self.catalog,
                        start: &start,
                        pending: &interp.txn.pending,
                    };
                    self.fn_args(&m.name, &m.params, args, &view)?
                };
                let (writes, emitted) = (interp.txn.writes.len(), interp.txn.emitted.len());
                let mut locals = Locals::frame(values, m.local_count as usize);
                let value = interp.run_mutation(m, &mut locals)?;
                runs.push((*m, value, writes, emitted));
            }
            let txn = interp.txn;
            let receipts = |state: &State, tx: u64| -> Vec<MutationReceipt> {
                let types = |id: &str| state.type_of(&self.catalog, id);
                let module = self.module();
                runs.iter()
                    .enumerate()
                    .map(|(i, (m, value, writes, emitted))| {
                        let next = runs.get(i + 1);
                        let writes_end = next.map_or(txn.writes.len(), |n| n.2);
                        let emitted_end = next.map_or(txn.emitted.len(), |n| n.3);
                        MutationReceipt {
                            tx,
                            value: wire::encode(module, value, &m.result, &types),
                            events_written: if options.dry_run { 0 } else { writes_end - writes },
                            events_emitted: txn.emitted[*emitted..emitted_end]
                                .iter()
                                .map(|(name, v)| {
                                    json!({ "name": name, "value": wire::encode_untyped(module, v, &types) })
                                })
                                .collect(),
                            dry_run_events: None,
                        }
                    })
                    .collect()
            };
            let respond =
                |state: &State| serde_json::to_vec(&receipts(state, 0)).unwrap_or_default();
            match self.commit_with(
                ctx,
                &clock,
                &txn,
                options.dry_run,
                idem.as_ref().map(|i| (i, &respond as Respond<'_>)),
            ) {
                Ok(done) => {
                    let mut out = receipts(&done.state, done.state.tx);
                    if options.dry_run {
                        // the dry-run events of the whole transaction go on the last receipt
                        let mut events = Some(done.events);
                        let last = out.len().saturating_sub(1);
                        for (i, r) in out.iter_mut().enumerate() {
                            r.dry_run_events = if i == last {
                                events.take()
                            } else {
                                Some(Vec::new())
                            };
                        }
                    }
                    return Ok(out);
                }
                Err(CommitError::Conflict) => continue,
                Err(CommitError::Replayed) => {
                    if let Some(idem) = &idem {
                        if let Some(receipts) = self.replay(ctx, idem)? {
                            return Ok(receipts);
                        }
                    }
                    continue;
                }
                Err(CommitError::Failed(e)) => return Err(e),
            }
        }
        Err(RuntimeError::new(
            ErrorCode::StorageUnavailable,
            format!("the mutation kept conflicting with concurrent writes after {MAX_ATTEMPTS} attempts; retry later"),
        ))
    }

    /// The stored receipts of an idempotency key used with the same request;
    /// `IDEMPOTENCY_CONFLICT` when it was used with another request.
    fn replay(
        &self,
        ctx: &RequestContext,
        idem: &Idem<'_>,
    ) -> Result<Option<Vec<MutationReceipt>>, RuntimeError> {
        let Some(stored) = self
            .store
            .idempotent_response(&ctx.tenant, &ctx.fork, idem.key)
            .map_err(RuntimeError::from_store)?
        else {
            return Ok(None);
        };
        if stored.fingerprint != idem.fingerprint {
            return Err(RuntimeError::new(
                ErrorCode::IdempotencyConflict,
                format!(
                    "idempotency key `{}` was used with a different request",
                    idem.key.escape_debug()
                ),
            )
            .with_details(json!({ "idempotencyKey": idem.key })));
        }
        let mut receipts: Vec<MutationReceipt> = serde_json::from_slice(&stored.response)
            .map_err(|e| RuntimeError::internal(format!("stored idempotent response: {e}")))?;
        for r in &mut receipts {
            r.tx = stored.tx;
        }
        Ok(Some(receipts))
    }

    /// Refuses writes to an unknown (`UNKNOWN_FORK`) or closed (`FORK_CLOSED`) fork.
    fn check_writable(&self, ctx: &RequestContext) -> Result<(), RuntimeError> {
        if ctx.fork == MAIN_FORK {
            return Ok(());
        }
        let record = self
            .store
            .fork(&ctx.tenant, &ctx.fork)
            .map_err(RuntimeError::from_store)?
            .ok_or_else(|| RuntimeError::from_store(StoreError::UnknownFork(ctx.fork.clone())))?;
        if record.state != ForkState::Open {
            return Err(RuntimeError::new(
                ErrorCode::ForkClosed,
                format!(
                    "fork `{}` is {} and takes no writes",
                    ctx.fork.escape_debug(),
                    record.state
                ),
            )
            .with_details(json!({ "fork": ctx.fork, "state": record.state.as_str() })));
        }
        Ok(())
    }

    /// Runs a declared `pub fn` (no writes; `query` calls read the request's state).
    pub fn compute(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
    ) -> Result<Json, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
        let f = self
            .module()
            .function_named(name)
            .map(|(_, f)| f)
            .filter(|f| f.visibility == ox_ir::Visibility::Public)
            .ok_or_else(|| RuntimeError::unknown_callable("fn", name))?;
        let state = self.read_state(ctx, &clock, tx_point(ctx, None))?;
        let values = self.fn_args(
            &f.name,
            &f.params,
            args,
            &StateView {
                catalog: &self.catalog,
                state: &state,
            },
        )?;
        let view = StateView {
            catalog: &self.catalog,
            state: &state,
        };
        let queries = QueryExec {
            engine: self,
            ctx,
            clock: &clock,
            state: &state,
        };
        let value = Evaluator::new(&self.catalog, &view, &queries, &clock).call_fn(
            &f.body,
            f.local_count as usize,
            values,
        )?;
        let types = |id: &str| state.type_of(&self.catalog, id);
        Ok(wire::encode(self.module(), &value, &f.result, &types))
    }

    /// Which events the request sees (standpoint layers, valid time).
    pub(crate) fn visibility(&self, ctx: &RequestContext) -> Result<Visibility, RuntimeError> {
        Ok(Visibility {
            layers: self.standpoint_layers(ctx)?,
            valid_at: ctx.valid_at,
        })
    }

    /// The reasoner program for what `visibility` sees: the default layer's
    /// rules plus those of its standpoint layers.
    pub(crate) fn program(&self, visibility: &Visibility) -> Result<Arc<Program>, RuntimeError> {
        let visible = self.catalog.standpoint_ids(visibility.layers.as_deref());
        self.programs.for_standpoints(self.module(), &visible)
    }

    /// The stable id of a fact; it depends only on the predicate's path and
    /// the values, so it is the same under every standpoint.
    pub(crate) fn fact_id(&self, pred: ox_ir::PredId, tuple: &[Value]) -> ox_reasoner::FactId {
        self.programs.default_program().fact_id(pred, tuple)
    }

    /// The reasoner program for the request's standpoint.
    pub(crate) fn program_for(&self, ctx: &RequestContext) -> Result<Arc<Program>, RuntimeError> {
        self.program(&self.visibility(ctx)?)
    }

    fn standpoint_layers(&self, ctx: &RequestContext) -> Result<Option<Vec<String>>, RuntimeError> {
        match &ctx.standpoint {
            None => Ok(None),
            Some(name) => self
                .catalog
                .standpoint_layers(name)
                .map(Some)
                .ok_or_else(|| {
                    RuntimeError::validation(format!(
                        "unknown standpoint `{}`",
                        name.escape_debug()
                    ))
                    .with_details(json!({ "standpoint": name }))
                }),
        }
    }

    /// The state at transaction point `point` (valid at the request's
    /// instant), or the current (cached) one.
    pub(crate) fn read_state(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        point: TxPoint,
    ) -> Result<Arc<State>, RuntimeError> {
        self.check_scope(&ctx.tenant)?;
        match point {
            TxPoint::Latest => Ok(self.current(ctx, clock)?.0),
            tx => self.state_at(
                ctx,
                clock,
                AsOf {
                    tx,
                    valid: ValidPoint::At(clock.now),
                },
            ),
        }
    }

    /// The current state of the request's (tenant, fork) and its generation.
    pub(crate) fn current(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
    ) -> Result<(Arc<State>, u64), RuntimeError> {
        let visibility = self.visibility(ctx)?;
        let standpoint = visibility.layers.as_ref().and_then(|l| l.first().cloned());
        let store = &self.store;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let generation = store
                .generation(&ctx.tenant, &ctx.fork)
                .map_err(RuntimeError::from_store)?;
            let key = CacheKey::new(
                &ctx.tenant,
                &ctx.fork,
                generation,
                standpoint.as_deref(),
                ctx.valid_at,
                clock,
                self.catalog.clock_use,
            );
            if let Some(state) = self.cache.get(&key) {
                if ctx.valid_at.is_some() || state.window.contains(clock.now) {
                    return Ok((state, generation));
                }
            }
            let events = store
                .visible_events(&ctx.tenant, &ctx.fork, AsOf::current(clock.now))
                .map_err(RuntimeError::from_store)?;
            let next_start = store
                .next_valid_change(&ctx.tenant, &ctx.fork, clock.now)
                .map_err(RuntimeError::from_store)?;
            let tx = store
                .last_tx(&ctx.tenant)
                .map_err(RuntimeError::from_store)?;
            let after = store
                .generation(&ctx.tenant, &ctx.fork)
                .map_err(RuntimeError::from_store)?;
            if after != generation && attempt < 3 {
                continue;
            }
            let base = state::base_from_events(&self.catalog, &events, &visibility, clock)?;
            let previous = self.latest.get(&key.latest());
            let previous = previous.as_deref().and_then(|p| self.previous_for(p));
            let program = self.program(&visibility)?;
            let mut state = state::evaluate(&self.catalog, &program, base, tx, clock, previous)?;
            state.window = ValidWindow::of_events(clock.now, &events, next_start);
            let state = Arc::new(state);
            if after == generation {
                self.latest.insert(key.latest(), state.clone());
                self.cache.insert(key, state.clone());
            }
            // A write that raced the read makes a later append conflict and re-run.
            return Ok((state, generation));
        }
    }

    /// The state right after transaction `as_of` (not cached).
    pub(crate) fn state_at(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        as_of: AsOf,
    ) -> Result<Arc<State>, RuntimeError> {
        let visibility = self.visibility(ctx)?;
        let events = self
            .store
            .visible_events(&ctx.tenant, &ctx.fork, as_of)
            .map_err(RuntimeError::from_store)?;
        let last = self
            .store
            .last_tx(&ctx.tenant)
            .map_err(RuntimeError::from_store)?;
        let tx = match as_of.tx {
            TxPoint::Tx(n) => n.min(last),
            TxPoint::Latest => last,
            TxPoint::Time(t) => self
                .store
                .last_tx_at(&ctx.tenant, t)
                .map_err(RuntimeError::from_store)?,
        };
        let base = state::base_from_events(&self.catalog, &events, &visibility, clock)?;
        Ok(Arc::new(state::evaluate(
            &self.catalog,
            &*self.program(&visibility)?,
            base,
            tx,
            clock,
            None,
        )?))
    }

    /// The lock whose holder may write to `tenant` through this engine.
    fn writer_turn(&self, tenant: &TenantId) -> Arc<Mutex<()>> {
        let mut turns = self
            .writer_turns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(turns.entry(tenant.clone()).or_default())
    }

    /// Validates and appends a transaction (used by tests before each `assert`).
    pub(crate) fn commit_txn(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        txn: &Txn,
        dry_run: bool,
    ) -> Result<Committed, RuntimeError> {
        self.commit_with(ctx, clock, txn, dry_run, None)
            .map_err(|e| match e {
                CommitError::Conflict | CommitError::Replayed => {
                    RuntimeError::from_store(StoreError::Conflict {
                        expected: txn.generation,
                        actual: txn.generation.saturating_add(1),
                    })
                }
                CommitError::Failed(e) => e,
            })
    }

    /// Validates and appends a transaction, storing the idempotency record
    /// (key, fingerprint, the response built from the validated state) in the
    /// same store transaction.
    fn commit_with(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        txn: &Txn,
        dry_run: bool,
        idem: Option<(&Idem<'_>, Respond<'_>)>,
    ) -> Result<Committed, CommitError> {
        if txn.writes.is_empty() {
            if let Some((idem, respond)) = idem {
                let committed = self
                    .store
                    .append(AppendRequest {
                        tenant: &ctx.tenant,
                        fork: &ctx.fork,
                        expected_generation: txn.generation,
                        principal: &ctx.principal,
                        schema_hash: &self.schema_hash,
                        events: Vec::new(),
                        idempotency: Some(IdempotencyRecord {
                            key: idem.key.to_owned(),
                            fingerprint: idem.fingerprint,
                            response: respond(&txn.start),
                        }),
                    })
                    .map_err(commit_error)?;
                return Ok(Committed {
                    state: txn.start.clone(),
                    generation: committed.generation,
                    events: Vec::new(),
                });
            }
            return Ok(Committed {
                state: txn.start.clone(),
                generation: txn.generation,
                events: Vec::new(),
            });
        }
        let new = crate::validate::validate(self, ctx, clock, txn)?;
        clock.check()?;
        let standpoint = self
            .standpoint_layers(ctx)?
            .and_then(|l| l.into_iter().next());
        let module = self.module();
        let new_events: Vec<ox_store::NewEvent> = txn
            .writes
            .iter()
            .map(|(fact, op)| {
                events::new_event(module, fact, *op, standpoint.as_deref(), ctx.valid_at)
            })
            .collect();
        let types = |id: &str| new.type_of(&self.catalog, id);
        let rendered: Vec<Json> = if dry_run {
            new_events
                .iter()
                .zip(&txn.writes)
                .map(|(e, (fact, _))| events::event_json(module, e, fact, &types))
                .collect()
        } else {
            Vec::new()
        };
        if dry_run {
            return Ok(Committed {
                state: Arc::new(new),
                generation: txn.generation,
                events: rendered,
            });
        }
        let idempotency = idem.map(|(idem, respond)| IdempotencyRecord {
            key: idem.key.to_owned(),
            fingerprint: idem.fingerprint,
            response: respond(&new),
        });
        let committed = self
            .store
            .append(AppendRequest {
                tenant: &ctx.tenant,
                fork: &ctx.fork,
                expected_generation: txn.generation,
                principal: &ctx.principal,
                schema_hash: &self.schema_hash,
                events: new_events,
                idempotency,
            })
            .map_err(commit_error)?;
        let state = Arc::new(State {
            base: new.base,
            facts: new.facts,
            tx: committed.tx,
            window: ValidWindow {
                from: committed.committed_at,
                until: txn.start.window.until,
            },
            evaluated_at: new.evaluated_at,
        });
        if standpoint.is_none() {
            let key = CacheKey::new(
                &ctx.tenant,
                &ctx.fork,
                committed.generation,
                None,
                ctx.valid_at,
                clock,
                self.catalog.clock_use,
            );
            self.latest.insert(key.latest(), state.clone());
            self.cache.insert(key, state.clone());
        }
        Ok(Committed {
            state,
            generation: committed.generation,
            events: Vec::new(),
        })
    }

    /// Coerces query arguments: one seed per parameter (`None` = free).
    pub(crate) fn query_args(
        &self,
        callable: &str,
        params: &[QueryParam],
        args: &Map<String, Json>,
        state: &State,
    ) -> Result<Vec<Option<Value>>, RuntimeError> {
        reject_extra(callable, args, params.iter().map(|p| p.name.as_str()))?;
        params
            .iter()
            .map(|p| {
                let free = p.optional || matches!(p.ty, Type::Option(_));
                match args.get(&p.name) {
                    None | Some(Json::Null) if free => Ok(None),
                    None => Err(missing(callable, &p.name)),
                    Some(j) => self
                        .coerce(
                            callable,
                            &p.name,
                            j,
                            &p.ty,
                            &StateView {
                                catalog: &self.catalog,
                                state,
                            },
                        )
                        .map(Some),
                }
            })
            .collect()
    }

    /// Coerces mutation and fn arguments; an absent `Option` parameter is `null`.
    fn fn_args(
        &self,
        callable: &str,
        params: &[Param],
        args: &Map<String, Json>,
        view: &dyn View,
    ) -> Result<Vec<Value>, RuntimeError> {
        reject_extra(callable, args, params.iter().map(|p| p.name.as_str()))?;
        params
            .iter()
            .map(|p| match args.get(&p.name) {
                None if matches!(p.ty, Type::Option(_)) => Ok(Value::Null),
                None => Err(missing(callable, &p.name)),
                Some(j) => self.coerce(callable, &p.name, j, &p.ty, view),
            })
            .collect()
    }

    fn coerce(
        &self,
        callable: &str,
        param: &str,
        json: &Json,
        ty: &Type,
        view: &dyn View,
    ) -> Result<Value, RuntimeError> {
        let resolve = |id: &str, concept| {
            if !view.is_live(id) {
                Err(CoerceError::UnknownIndividual(id.to_owned()))
            } else if !view.is_member(id, concept) {
                Err(CoerceError::Shape(format!(
                    "`{}` is not a `{}`",
                    id.escape_debug(),
                    self.catalog.concept_name(concept)
                )))
            } else {
                Ok(())
            }
        };
        wire::decode(self.module(), json, ty, &resolve).map_err(|e| match e {
            CoerceError::Shape(m) => {
                RuntimeError::signature(param, format!("`{callable}` parameter `{param}`: {m}"))
            }
            CoerceError::UnknownIndividual(id) => wire::unknown_individual(&id)
                .with_details(json!({ "individual": id, "parameter": param })),
        })
    }
}

fn missing(callable: &str, param: &str) -> RuntimeError {
    RuntimeError::signature(param, format!("`{callable}` needs the argument `{param}`"))
}

fn reject_extra<'p>(
    callable: &str,
    args: &Map<String, Json>,
    names: impl Iterator<Item = &'p str> + Clone,
) -> Result<(), RuntimeError> {
    for key in args.keys() {
        if !names.clone().any(|n| n == key) {
            return Err(RuntimeError::signature(
                key,
                format!("`{callable}` has no parameter `{}`", key.escape_debug()),
            ));
        }
    }
    Ok(())
}
