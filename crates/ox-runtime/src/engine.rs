//! The engine: runs a module's declared queries, mutations and fns over a
//! tenant's event log.

use std::sync::Arc;

use ox_ir::{Module, Param, QueryParam, Type, Value};
use ox_reasoner::Program;
use ox_store::{AppendRequest, AsOf, StorageBackend, StoreError};
use serde_json::{json, Map, Value as Json};

use crate::catalog::Catalog;
use crate::context::{Clock, MutateOptions, RequestContext};
use crate::error::{ErrorCode, RuntimeError};
use crate::eval::{Evaluator, Locals};
use crate::events;
use crate::interpret::{Flow, Interp, Mode, Txn};
use crate::query::{self, QueryExec, Shape};
use crate::state::{self, CacheKey, State, StateCache, Visibility};
use crate::view::StateView;
use crate::wire::{self, CoerceError};

/// How many fixpoints the engine keeps (all tenants together).
const CACHE_CAPACITY: usize = 48;
/// How often a mutation is re-run after a write conflict.
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

/// What a mutation did.
#[derive(Debug, Clone, PartialEq)]
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

/// A committed (or dry-run) transaction.
pub(crate) struct Committed {
    pub state: Arc<State>,
    pub generation: u64,
    pub events: Vec<Json>,
    pub events_written: usize,
}

/// Why a commit did not happen.
enum CommitError {
    /// Another write landed since the transaction started: re-run it.
    Conflict,
    Failed(RuntimeError),
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
    pub(crate) program: Arc<Program>,
    module_hash: String,
    schema_hash: String,
    store: Arc<dyn StorageBackend>,
    cache: StateCache,
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
        let program = Program::new(&module).map_err(|e| {
            RuntimeError::internal(format!("the module's rules cannot be evaluated: {e}"))
        })?;
        Ok(Engine::with_program(
            module,
            Arc::new(program),
            module_hash,
            schema_hash,
            store,
        ))
    }

    /// An engine sharing an already prepared program (used by `run_tests`).
    pub(crate) fn with_program(
        module: Arc<Module>,
        program: Arc<Program>,
        module_hash: String,
        schema_hash: String,
        store: Arc<dyn StorageBackend>,
    ) -> Engine {
        Engine {
            catalog: Catalog::new(module),
            program,
            module_hash,
            schema_hash,
            store,
            cache: StateCache::new(CACHE_CAPACITY),
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

    /// Runs a declared `pub query`.
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
        let clock = Clock::start(ctx);
        clock.check()?;
        let q = self
            .module()
            .query_named(name)
            .map(|(_, q)| q)
            .filter(|q| q.visibility == ox_ir::Visibility::Public)
            .ok_or_else(|| RuntimeError::unknown_callable("query", name))?;
        let state = self.read_state(ctx, &clock, q.as_of.or(ctx.as_of_tx))?;
        let seeds = self.query_args(&q.name, &q.params, args, &state)?;
        let exec = QueryExec {
            engine: self,
            ctx,
            clock: &clock,
            state: &state,
        };
        let rows = exec.rows(q, &seeds)?;
        let types = |id: &str| state.type_of(&self.catalog, id);
        let result = match query::shape(q) {
            Shape::Rows(ty) => QueryResult::Rows(
                rows.iter()
                    .map(|r| wire::encode(self.module(), r, &ty, &types))
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
    /// Errors: as for [`Engine::query`], plus `REQUIRE_FAILED`, `CHECK_VIOLATED`
    /// (types, cardinality, `where` invariant, `iff` insert, key conflict,
    /// error-severity check), `FORGET_REFUSED`; any error writes nothing.
    pub fn mutate(
        &self,
        ctx: &RequestContext,
        name: &str,
        args: &Map<String, Json>,
        options: &MutateOptions,
    ) -> Result<MutationReceipt, RuntimeError> {
        let clock = Clock::start(ctx);
        clock.check()?;
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
        if ctx.as_of_tx.is_some() {
            return Err(RuntimeError::validation(
                "a mutation writes at the current state; it cannot be given an as-of transaction",
            ));
        }
        for _ in 0..MAX_ATTEMPTS {
            let (start, generation) = self.current(ctx, &clock)?;
            let values = self.fn_args(&m.name, &m.params, args, &start)?;
            let mut locals = Locals::frame(values, m.local_count as usize);
            let mut interp = Interp::new(
                self,
                ctx,
                &clock,
                Txn::new(start, generation),
                Mode::Mutation,
            );
            let value = match interp.run(&m.body, &mut locals)? {
                Flow::Return(v) => v,
                Flow::Next => Value::Null,
            };
            let txn = interp.txn;
            match self.commit(ctx, &clock, &txn, options.dry_run) {
                Ok(done) => {
                    let types = |id: &str| done.state.type_of(&self.catalog, id);
                    let module = self.module();
                    return Ok(MutationReceipt {
                        tx: done.state.tx,
                        value: wire::encode(module, &value, &m.result, &types),
                        events_written: done.events_written,
                        events_emitted: txn
                            .emitted
                            .iter()
                            .map(|(name, v)| {
                                json!({ "name": name, "value": wire::encode_untyped(module, v, &types) })
                            })
                            .collect(),
                        dry_run_events: options.dry_run.then_some(done.events),
                    });
                }
                Err(CommitError::Conflict) => continue,
                Err(CommitError::Failed(e)) => return Err(e),
            }
        }
        Err(RuntimeError::new(
            ErrorCode::StorageUnavailable,
            format!("mutation `{}` kept conflicting with concurrent writes after {MAX_ATTEMPTS} attempts; retry later", m.name),
        ))
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
        let state = self.read_state(ctx, &clock, ctx.as_of_tx)?;
        let values = self.fn_args(&f.name, &f.params, args, &state)?;
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
    fn visibility(&self, ctx: &RequestContext) -> Result<Visibility, RuntimeError> {
        Ok(Visibility {
            layers: self.standpoint_layers(ctx)?,
            valid_at: ctx.valid_at,
        })
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

    /// The state right after transaction `as_of`, or the current (cached) one.
    fn read_state(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        as_of: Option<u64>,
    ) -> Result<Arc<State>, RuntimeError> {
        match as_of {
            Some(tx) => self.state_at(ctx, clock, AsOf::Tx(tx)),
            None => Ok(self.current(ctx, clock)?.0),
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
                return Ok((state, generation));
            }
            let events = store
                .visible_events(&ctx.tenant, &ctx.fork, AsOf::Now)
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
            let base = state::base_from_events(&self.catalog, &events, &visibility)?;
            let state = Arc::new(state::evaluate(
                &self.catalog,
                &self.program,
                base,
                tx,
                clock,
            )?);
            if after == generation {
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
        let tx = match as_of {
            AsOf::Tx(n) => n.min(last),
            AsOf::Now => last,
        };
        let base = state::base_from_events(&self.catalog, &events, &visibility)?;
        Ok(Arc::new(state::evaluate(
            &self.catalog,
            &self.program,
            base,
            tx,
            clock,
        )?))
    }

    /// Validates and appends a transaction (used by tests before each `assert`).
    pub(crate) fn commit_txn(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        txn: &Txn,
        dry_run: bool,
    ) -> Result<Committed, RuntimeError> {
        self.commit(ctx, clock, txn, dry_run).map_err(|e| match e {
            CommitError::Conflict => RuntimeError::from_store(StoreError::Conflict {
                expected: txn.generation,
                actual: txn.generation.saturating_add(1),
            }),
            CommitError::Failed(e) => e,
        })
    }

    fn commit(
        &self,
        ctx: &RequestContext,
        clock: &Clock,
        txn: &Txn,
        dry_run: bool,
    ) -> Result<Committed, CommitError> {
        if txn.writes.is_empty() {
            return Ok(Committed {
                state: txn.start.clone(),
                generation: txn.generation,
                events: Vec::new(),
                events_written: 0,
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
                events_written: 0,
            });
        }
        let count = new_events.len();
        let committed = self
            .store
            .append(AppendRequest {
                tenant: &ctx.tenant,
                fork: &ctx.fork,
                expected_generation: txn.generation,
                principal: &ctx.principal,
                schema_hash: &self.schema_hash,
                events: new_events,
            })
            .map_err(|e| match e {
                StoreError::Conflict { .. } => CommitError::Conflict,
                other => CommitError::Failed(RuntimeError::from_store(other)),
            })?;
        let state = Arc::new(State {
            base: new.base,
            facts: new.facts,
            tx: committed.tx,
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
            self.cache.insert(key, state.clone());
        }
        Ok(Committed {
            state,
            generation: committed.generation,
            events: Vec::new(),
            events_written: count,
        })
    }

    /// Coerces query arguments: one seed per parameter (`None` = free).
    fn query_args(
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
                    Some(j) => self.coerce(callable, &p.name, j, &p.ty, state).map(Some),
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
        state: &State,
    ) -> Result<Vec<Value>, RuntimeError> {
        reject_extra(callable, args, params.iter().map(|p| p.name.as_str()))?;
        params
            .iter()
            .map(|p| match args.get(&p.name) {
                None if matches!(p.ty, Type::Option(_)) => Ok(Value::Null),
                None => Err(missing(callable, &p.name)),
                Some(j) => self.coerce(callable, &p.name, j, &p.ty, state),
            })
            .collect()
    }

    fn coerce(
        &self,
        callable: &str,
        param: &str,
        json: &Json,
        ty: &Type,
        state: &State,
    ) -> Result<Value, RuntimeError> {
        let view = StateView {
            catalog: &self.catalog,
            state,
        };
        let resolve = |id: &str, concept| {
            use crate::view::View;
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
