//! The statement interpreter of mutation and test bodies: one running
//! transaction with its pending writes.

use std::collections::BTreeSet;
use std::sync::Arc;

use ox_ir::expr::FieldRef;
use ox_ir::{AssignOp, ConceptId, Expr, Mutation, Refinement, RelationId, Stmt, Type, Value};
use ox_store::Op;
use serde_json::json;

use crate::context::{Clock, RequestContext};
use crate::engine::Engine;
use crate::error::{ErrorCode, RuntimeError};
use crate::eval::{iterate, Evaluator, Locals};
use crate::events::{is_multi_valued, Fact};
use crate::query::QueryExec;
use crate::state::{Base, State};
use crate::typing::{check_count, conform};
use crate::view::{PendingView, StateView};

/// How deep mutations may call each other.
const MAX_MUTATION_DEPTH: u32 = 64;

/// A running transaction.
pub(crate) struct Txn {
    /// The committed state the transaction started from.
    pub start: Arc<State>,
    /// The (tenant, fork) generation of `start`: the append's expected generation.
    pub generation: u64,
    /// The start's base facts plus this transaction's writes.
    pub pending: Base,
    /// The facts written, in order.
    pub writes: Vec<(Fact, Op)>,
    /// Individuals whose facts this transaction changed (for validation).
    pub touched: BTreeSet<String>,
    /// Domain events emitted, in order.
    pub emitted: Vec<(String, Value)>,
}

impl Txn {
    /// A transaction on top of `start`; its pending base facts share
    /// `start`'s trees (an O(1) copy) until it writes.
    pub(crate) fn new(start: Arc<State>, generation: u64) -> Txn {
        Txn {
            pending: start.base.clone(),
            start,
            generation,
            writes: Vec::new(),
            touched: BTreeSet::new(),
            emitted: Vec::new(),
        }
    }

    fn write(&mut self, fact: Fact, op: Op) {
        self.writes.push((fact, op));
    }
}

/// What a statement list ended with.
pub(crate) enum Flow {
    /// Fell through.
    Next,
    /// `return value`.
    Return(Value),
}

/// Whether statements run as a mutation or as a test (`assert` allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Mutation,
    Test,
}

/// The interpreter of one request or test.
pub(crate) struct Interp<'a> {
    pub engine: &'a Engine,
    pub ctx: &'a RequestContext,
    pub clock: &'a Clock,
    pub txn: Txn,
    pub mode: Mode,
    /// Texts of failed `assert`s (tests only).
    pub failed_asserts: Vec<String>,
    depth: u32,
}

fn not_live(what: &str, v: &Value) -> RuntimeError {
    match v {
        Value::Ref(id) => crate::wire::unknown_individual(id)
            .with_details(json!({ "individual": id, "statement": what })),
        other => RuntimeError::validation(format!(
            "`{what}` needs an individual, found {}",
            other.kind_name()
        )),
    }
}

impl<'a> Interp<'a> {
    /// An interpreter over `txn`.
    pub(crate) fn new(
        engine: &'a Engine,
        ctx: &'a RequestContext,
        clock: &'a Clock,
        txn: Txn,
        mode: Mode,
    ) -> Interp<'a> {
        Interp {
            engine,
            ctx,
            clock,
            txn,
            mode,
            failed_asserts: Vec::new(),
            depth: 0,
        }
    }

    /// Evaluates an expression against the running transaction.
    fn eval(&self, expr: &Expr, locals: &mut Locals) -> Result<Value, RuntimeError> {
        let catalog = &self.engine.catalog;
        let view = PendingView {
            catalog,
            start: &self.txn.start,
            pending: &self.txn.pending,
        };
        let queries = QueryExec {
            engine: self.engine,
            ctx: self.ctx,
            clock: self.clock,
            state: &self.txn.start,
        };
        Evaluator::new(catalog, &view, &queries, self.clock).eval(expr, locals)
    }

    fn conform(&self, value: Value, ty: &Type) -> Result<Value, String> {
        let view = PendingView {
            catalog: &self.engine.catalog,
            start: &self.txn.start,
            pending: &self.txn.pending,
        };
        conform(&self.engine.catalog, &view, value, ty)
    }

    fn live_id(&self, v: Value, what: &str) -> Result<String, RuntimeError> {
        match v {
            Value::Ref(id) if self.txn.pending.individuals.contains_key(&id) => Ok(id),
            other => Err(not_live(what, &other)),
        }
    }

    /// Runs statements until they end or `return`.
    pub(crate) fn run(&mut self, body: &[Stmt], locals: &mut Locals) -> Result<Flow, RuntimeError> {
        for stmt in body {
            self.clock.check()?;
            if let Flow::Return(v) = self.exec(stmt, locals)? {
                return Ok(Flow::Return(v));
            }
        }
        Ok(Flow::Next)
    }

    /// Runs mutation `m` on its parameter frame: its result checked against
    /// the declared result type (list bounds, concept membership at this
    /// point of the transaction, numeric ranges), `Null` when the body ends
    /// without `return` or when a `?` met an absent value. A result that does
    /// not fit is a `CHECK_VIOLATED` error, and the transaction rolls back.
    pub(crate) fn run_mutation(
        &mut self,
        m: &Mutation,
        locals: &mut Locals,
    ) -> Result<Value, RuntimeError> {
        let value = self.run_body(&m.body, locals)?;
        if value == Value::Null || m.result == Type::Unit {
            return Ok(value);
        }
        self.conform(value, &m.result).map_err(|e| {
            RuntimeError::check_violated(format!(
                "mutation `{}` returned a value that does not fit its result type: {e}",
                m.name
            ))
            .with_details(json!({ "mutation": m.path }))
        })
    }

    /// Runs a whole mutation body: its result, `Null` when it ends without
    /// `return` or when a `?` met an absent value.
    fn run_body(&mut self, body: &[Stmt], locals: &mut Locals) -> Result<Value, RuntimeError> {
        match self.run(body, locals) {
            Ok(Flow::Return(v)) => Ok(v),
            Ok(Flow::Next) => Ok(Value::Null),
            Err(e) if crate::eval::is_absent(&e) => Ok(Value::Null),
            Err(e) => Err(e),
        }
    }

    fn exec(&mut self, stmt: &Stmt, locals: &mut Locals) -> Result<Flow, RuntimeError> {
        match stmt {
            Stmt::Let { var, value } => {
                let v = self.eval(value, locals)?;
                locals.set(*var, v);
            }
            Stmt::Require { cond, text } => {
                let holds = self.eval(cond, locals)?.as_bool().map_err(|e| {
                    RuntimeError::validation(format!("require `{text}`: {e}"))
                })?;
                if !holds {
                    return Err(RuntimeError::new(
                        ErrorCode::RequireFailed,
                        format!("require failed: {text}"),
                    )
                    .with_details(json!({ "condition": text })));
                }
            }
            Stmt::InsertIndividual {
                concept,
                fields,
                bind,
            } => {
                let id = self.insert_individual(*concept, fields, locals)?;
                if let Some(var) = bind {
                    locals.set(*var, Value::Ref(id));
                }
            }
            Stmt::InsertTuple { relation, args } => {
                let args = self.eval_all(args, locals)?;
                self.insert_tuple(*relation, args)?;
            }
            Stmt::InsertIof {
                individual,
                concept,
            } => {
                let v = self.eval(individual, locals)?;
                let id = self.live_id(v, "insert iof")?;
                self.insert_iof(id, *concept)?;
            }
            Stmt::Update { target, sets } => {
                let v = self.eval(target, locals)?;
                let id = self.live_id(v, "update")?;
                // Every right-hand side reads the state before the update.
                let mut values = Vec::with_capacity(sets.len());
                for (field, op, expr) in sets {
                    values.push((*field, *op, self.eval(expr, locals)?));
                }
                for (field, op, value) in values {
                    self.update_field(&id, field, op, value)?;
                }
            }
            Stmt::DeleteTuple { relation, args } => {
                let args = self.eval_all(args, locals)?;
                self.delete_tuple(*relation, args);
            }
            Stmt::DeleteIof {
                individual,
                concept,
            } => {
                let v = self.eval(individual, locals)?;
                let id = self.live_id(v, "delete iof")?;
                let key = (id.clone(), *concept);
                if self.txn.pending.iofs.remove(&key).is_some() {
                    self.txn.write(
                        Fact::Iof {
                            id: id.clone(),
                            concept: *concept,
                        },
                        Op::Retract,
                    );
                    self.txn.touched.insert(id);
                }
            }
            Stmt::DeleteIndividual(target) => {
                let v = self.eval(target, locals)?;
                let id = self.live_id(v, "delete")?;
                self.retire(&id);
            }
            Stmt::Emit { name, value } => {
                let value = self.eval(value, locals)?;
                self.txn.write(
                    Fact::Domain {
                        name: name.clone(),
                        value: value.clone(),
                    },
                    Op::Assert,
                );
                self.txn.emitted.push((name.clone(), value));
            }
            Stmt::Forget(_) => {
                return Err(RuntimeError::new(
                    ErrorCode::ForgetRefused,
                    "`forget` (physical erasure) is not available here; use the local `ox store forget`",
                ))
            }
            Stmt::For { var, source, body } => {
                let source = self.eval(source, locals)?;
                for item in iterate(source)? {
                    self.clock.check()?;
                    locals.set(*var, item);
                    if let Flow::Return(v) = self.run(body, locals)? {
                        return Ok(Flow::Return(v));
                    }
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let branch = if self.eval(cond, locals)?.as_bool().map_err(crate::eval::value_error)? {
                    then
                } else {
                    otherwise
                };
                return self.run(branch, locals);
            }
            Stmt::CallMutation {
                mutation,
                args,
                bind,
            } => {
                let m = self
                    .engine
                    .module()
                    .mutations
                    .get(mutation.index())
                    .ok_or_else(|| RuntimeError::internal(format!("no mutation #{}", mutation.0)))?;
                if self.depth >= MAX_MUTATION_DEPTH {
                    return Err(RuntimeError::validation(format!(
                        "mutation calls nested deeper than {MAX_MUTATION_DEPTH}"
                    )));
                }
                let mut values = Vec::with_capacity(args.len());
                for (expr, param) in args.iter().zip(&m.params) {
                    let v = self.eval(expr, locals)?;
                    let v = self.conform(v, &param.ty).map_err(|e| {
                        RuntimeError::signature(
                            &param.name,
                            format!("`{}` parameter `{}`: {e}", m.name, param.name),
                        )
                    })?;
                    values.push(v);
                }
                let mut frame = Locals::frame(values, m.local_count as usize);
                self.depth += 1;
                let result = self.run_mutation(m, &mut frame);
                self.depth -= 1;
                let value = result?;
                if let Some(var) = bind {
                    locals.set(*var, value);
                }
            }
            Stmt::Return(expr) => return Ok(Flow::Return(self.eval(expr, locals)?)),
            Stmt::Assert { cond, text } => self.assert(cond, text, locals)?,
        }
        Ok(Flow::Next)
    }

    fn eval_all(&self, exprs: &[Expr], locals: &mut Locals) -> Result<Vec<Value>, RuntimeError> {
        exprs.iter().map(|e| self.eval(e, locals)).collect()
    }

    /// `assert` in a test: commits pending writes, then reads the new fixpoint.
    fn assert(&mut self, cond: &Expr, text: &str, locals: &mut Locals) -> Result<(), RuntimeError> {
        if self.mode != Mode::Test {
            return Err(RuntimeError::internal("`assert` outside a test"));
        }
        let committed = self
            .engine
            .commit_txn(self.ctx, self.clock, &self.txn, false)?;
        self.txn = Txn::new(committed.state, committed.generation);
        let catalog = &self.engine.catalog;
        let view = StateView {
            catalog,
            state: &self.txn.start,
        };
        let queries = QueryExec {
            engine: self.engine,
            ctx: self.ctx,
            clock: self.clock,
            state: &self.txn.start,
        };
        let holds = Evaluator::new(catalog, &view, &queries, self.clock)
            .eval(cond, locals)?
            .as_bool()
            .map_err(|e| RuntimeError::validation(format!("assert `{text}`: {e}")))?;
        if !holds {
            self.failed_asserts.push(text.to_owned());
        }
        Ok(())
    }

    fn insert_individual(
        &mut self,
        concept: ConceptId,
        inits: &[(u32, Expr)],
        locals: &mut Locals,
    ) -> Result<String, RuntimeError> {
        let catalog = &self.engine.catalog;
        let module = &catalog.module;
        let c = assertable(module, concept)?;
        let all = catalog.all_fields(concept).to_vec();
        let mut values: Vec<(FieldRef, Value)> = Vec::with_capacity(inits.len());
        for (index, expr) in inits {
            let field = *all.get(*index as usize).ok_or_else(|| {
                RuntimeError::internal(format!("`{}` has no field #{index}", c.name))
            })?;
            let v = self.eval(expr, locals)?;
            let decl = module.field(field);
            let v = self.conform(v, &decl.ty).map_err(|e| {
                RuntimeError::check_violated(format!("`{}.{}`: {e}", c.name, decl.name))
                    .with_details(json!({ "concept": c.path, "field": decl.name }))
            })?;
            values.retain(|(f, _)| *f != field);
            values.push((field, v));
        }
        for field in &all {
            let decl = module.field(*field);
            if !values.iter().any(|(f, _)| f == field) && required(&decl.ty) {
                return Err(RuntimeError::check_violated(format!(
                    "`{}.{}` is required",
                    c.name, decl.name
                ))
                .with_details(json!({ "concept": c.path, "field": decl.name })));
            }
        }
        let id = match catalog.key(concept) {
            Some(key) => match values.iter().find(|(f, _)| *f == key).map(|(_, v)| v) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::Nat(n)) => n.to_string(),
                Some(Value::Int(n)) => n.to_string(),
                Some(Value::Null) | None => {
                    return Err(RuntimeError::check_violated(format!(
                        "`{}` needs its key `{}`",
                        c.name,
                        module.field(key).name
                    )))
                }
                Some(Value::String(_)) => {
                    return Err(RuntimeError::check_violated(format!(
                        "the key `{}.{}` is empty",
                        c.name,
                        module.field(key).name
                    )))
                }
                Some(other) => other.to_string(),
            },
            None => uuid::Uuid::now_v7().to_string(),
        };
        if self.txn.pending.individuals.contains_key(&id) {
            return Err(RuntimeError::check_violated(format!(
                "key conflict: an individual with id `{id}` already exists"
            ))
            .with_details(json!({ "id": id, "concept": c.path })));
        }
        let individual = Fact::Individual {
            id: id.clone(),
            concept,
        };
        self.txn.pending.apply(individual.clone());
        self.txn.write(individual, Op::Assert);
        for (field, v) in values {
            for element in elements(module.field(field).ty.clone(), v) {
                let fact = Fact::Property {
                    id: id.clone(),
                    field,
                    value: element,
                };
                self.txn.pending.apply(fact.clone());
                self.txn.write(fact, Op::Assert);
            }
        }
        self.txn.touched.insert(id.clone());
        Ok(id)
    }

    /// `insert R(args)`: `args` are the endpoints, then the field values of a
    /// relation with per-tuple fields. Such a tuple is stored twice, in `R`
    /// (the endpoints) and in the relation holding its field values, by the
    /// same transaction; inserting it again with other values is refused.
    fn insert_tuple(&mut self, relation: RelationId, args: Vec<Value>) -> Result<(), RuntimeError> {
        let module = self.engine.module();
        let rel = module
            .relations
            .get(relation.index())
            .ok_or_else(|| RuntimeError::internal(format!("no relation #{}", relation.0)))?;
        if args.len() != rel.params.len() + rel.fields.len() {
            return Err(RuntimeError::internal(format!(
                "`{}` takes {} arguments, {} given",
                rel.name,
                rel.params.len() + rel.fields.len(),
                args.len()
            )));
        }
        let mut checked = Vec::with_capacity(args.len());
        let slots = rel.params.iter().map(|p| ("argument", p));
        let slots = slots.chain(rel.fields.iter().map(|f| ("field", f)));
        for (v, (what, p)) in args.into_iter().zip(slots) {
            checked.push(self.conform(v, &p.ty).map_err(|e| {
                RuntimeError::check_violated(format!("`{}` {what} `{}`: {e}", rel.name, p.name))
                    .with_details(json!({ "relation": rel.path, "parameter": p.name }))
            })?);
        }
        let Some(stored) = rel.field_values else {
            self.write_tuple(relation, checked);
            return Ok(());
        };
        let endpoints = checked[..rel.params.len()].to_vec();
        if let Some(existing) = self.tuple_with_fields(stored, &endpoints) {
            if existing == checked {
                return Ok(());
            }
            return Err(RuntimeError::check_violated(format!(
                "`{}` already holds for these endpoints with other field values; delete the tuple before inserting it again",
                rel.name
            ))
            .with_details(json!({ "relation": rel.path })));
        }
        self.write_tuple(relation, endpoints);
        self.write_tuple(stored, checked);
        Ok(())
    }

    /// Asserts one tuple unless it is already pending.
    fn write_tuple(&mut self, relation: RelationId, args: Vec<Value>) {
        let key = (relation, args);
        if self.txn.pending.tuples.contains(&key) {
            return;
        }
        for v in &key.1 {
            if let Value::Ref(id) = v {
                self.txn.touched.insert(id.clone());
            }
        }
        self.txn.pending.tuples.insert(key.clone());
        self.txn.write(
            Fact::Tuple {
                relation,
                args: key.1,
            },
            Op::Assert,
        );
    }

    /// The pending tuple of `stored` (a relation holding field values) that
    /// starts with `endpoints`.
    fn tuple_with_fields(&self, stored: RelationId, endpoints: &[Value]) -> Option<Vec<Value>> {
        self.txn
            .pending
            .tuples
            .range((stored, endpoints.to_vec())..)
            .next()
            .filter(|(r, args)| *r == stored && args.starts_with(endpoints))
            .map(|(_, args)| args.clone())
    }

    /// `delete R(args)`; for a relation with per-tuple fields, the tuple's
    /// field values are retracted with it.
    fn delete_tuple(&mut self, relation: RelationId, args: Vec<Value>) {
        // Normalise numbers the way inserts do, so `delete R(1)` finds `R(Nat 1)`.
        let module = self.engine.module();
        let rel = module.relations.get(relation.index());
        let args: Vec<Value> = match rel {
            Some(rel) => args
                .into_iter()
                .zip(&rel.params)
                .map(|(v, p)| self.conform(v.clone(), &p.ty).unwrap_or(v))
                .collect(),
            None => args,
        };
        if let Some(stored) = rel.and_then(|r| r.field_values) {
            if let Some(full) = self.tuple_with_fields(stored, &args) {
                self.retract_tuple(stored, full);
            }
        }
        self.retract_tuple(relation, args);
    }

    /// Retracts one tuple if it is pending.
    fn retract_tuple(&mut self, relation: RelationId, args: Vec<Value>) {
        let key = (relation, args);
        if self.txn.pending.tuples.remove(&key).is_some() {
            for v in &key.1 {
                if let Value::Ref(id) = v {
                    self.txn.touched.insert(id.clone());
                }
            }
            self.txn.write(
                Fact::Tuple {
                    relation,
                    args: key.1,
                },
                Op::Retract,
            );
        }
    }

    fn insert_iof(&mut self, id: String, concept: ConceptId) -> Result<(), RuntimeError> {
        assertable(self.engine.module(), concept)?;
        let inserted = self.txn.pending.individuals.get(&id).copied();
        let already = inserted.is_some_and(|i| i == concept)
            || self.txn.pending.iofs.contains(&(id.clone(), concept));
        if !already {
            let fact = Fact::Iof {
                id: id.clone(),
                concept,
            };
            self.txn.pending.apply(fact.clone());
            self.txn.write(fact, Op::Assert);
            self.txn.touched.insert(id);
        }
        Ok(())
    }

    fn update_field(
        &mut self,
        id: &str,
        field: FieldRef,
        op: AssignOp,
        value: Value,
    ) -> Result<(), RuntimeError> {
        let catalog = &self.engine.catalog;
        let module = &catalog.module;
        let decl = module.field(field).clone();
        let owner = catalog.concept_name(field.concept).to_owned();
        let name = format!("{owner}.{}", decl.name);
        let details = json!({ "individual": id, "field": name });
        if !decl.mutable {
            return Err(RuntimeError::check_violated(format!(
                "`{name}` is not `mut` and cannot be updated"
            ))
            .with_details(details));
        }
        let view = PendingView {
            catalog,
            start: &self.txn.start,
            pending: &self.txn.pending,
        };
        if !crate::view::View::is_member(&view, id, field.concept) {
            return Err(RuntimeError::check_violated(format!(
                "`{id}` is not a `{owner}` and has no field `{}`",
                decl.name
            ))
            .with_details(details));
        }
        let current: Vec<Value> = self.txn.pending.field_values(id, field);
        let violated = |e: String| {
            RuntimeError::check_violated(format!("`{name}` of `{id}`: {e}"))
                .with_details(details.clone())
        };
        let new: Vec<Value> = if is_multi_valued(&decl.ty) {
            let whole = decl.ty.without_option().clone();
            let element_ty = whole.element().cloned().unwrap_or(Type::Unit);
            let items = |v: Value| -> Vec<Value> {
                match v {
                    Value::List(items) if !matches!(element_ty, Type::List(..) | Type::Set(_)) => {
                        items
                    }
                    Value::Null => Vec::new(),
                    other => vec![other],
                }
            };
            let conform_items = |vs: Vec<Value>| -> Result<Vec<Value>, RuntimeError> {
                vs.into_iter()
                    .map(|v| self.conform(v, &element_ty).map_err(violated))
                    .collect()
            };
            let mut set: BTreeSet<Value> = current.iter().cloned().collect();
            match op {
                AssignOp::Set => set = conform_items(items(value))?.into_iter().collect(),
                AssignOp::Add => set.extend(conform_items(items(value))?),
                AssignOp::Remove => {
                    for v in conform_items(items(value))? {
                        set.retain(|x| !x.equals(&v));
                    }
                }
            }
            if let Type::List(_, card) = &whole {
                check_count(set.len(), card).map_err(violated)?;
            }
            set.into_iter().collect()
        } else {
            let old = current.first().cloned().unwrap_or(Value::Null);
            let combined = match op {
                AssignOp::Set => value,
                _ if old == Value::Null => {
                    return Err(violated("has no value to add to or subtract from".into()))
                }
                AssignOp::Add => old.add(&value).map_err(crate::eval::value_error)?,
                AssignOp::Remove => old.sub(&value).map_err(crate::eval::value_error)?,
            };
            match self.conform(combined, &decl.ty).map_err(violated)? {
                Value::Null => Vec::new(),
                v => vec![v],
            }
        };
        let old: BTreeSet<Value> = current.into_iter().collect();
        let new_set: BTreeSet<Value> = new.iter().cloned().collect();
        if old == new_set {
            return Ok(());
        }
        let multi = is_multi_valued(&decl.ty);
        for v in old.difference(&new_set) {
            // A single-valued field's new value supersedes the old one by axiom id.
            if multi || new_set.is_empty() {
                self.txn.write(
                    Fact::Property {
                        id: id.to_owned(),
                        field,
                        value: v.clone(),
                    },
                    Op::Retract,
                );
            }
        }
        for v in new_set.difference(&old) {
            self.txn.write(
                Fact::Property {
                    id: id.to_owned(),
                    field,
                    value: v.clone(),
                },
                Op::Assert,
            );
        }
        let key = (id.to_owned(), field);
        if new_set.is_empty() {
            self.txn.pending.fields.remove(&key);
        } else {
            self.txn.pending.fields.insert(key, new_set);
        }
        self.txn.touched.insert(id.to_owned());
        Ok(())
    }

    /// Retires an individual: its membership, field values, classifications
    /// and every relation tuple that mentions it are retracted.
    fn retire(&mut self, id: &str) {
        let Some(concept) = self.txn.pending.individuals.remove(id) else {
            return;
        };
        self.txn.write(
            Fact::Individual {
                id: id.to_owned(),
                concept,
            },
            Op::Retract,
        );
        for (field, values) in self.txn.pending.fields_of(id) {
            for value in values {
                self.txn.write(
                    Fact::Property {
                        id: id.to_owned(),
                        field,
                        value,
                    },
                    Op::Retract,
                );
            }
            self.txn.pending.fields.remove(&(id.to_owned(), field));
        }
        for c in self.txn.pending.iofs_of(id) {
            self.txn.pending.iofs.remove(&(id.to_owned(), c));
            self.txn.write(
                Fact::Iof {
                    id: id.to_owned(),
                    concept: c,
                },
                Op::Retract,
            );
        }
        let me = Value::Ref(id.to_owned());
        let mentioning: Vec<(RelationId, Vec<Value>)> = self
            .txn
            .pending
            .tuples
            .iter()
            .filter(|(_, args)| args.contains(&me))
            .cloned()
            .collect();
        let module = self.engine.module();
        for (relation, mut args) in mentioning {
            // A tuple whose field value names the individual goes as a whole.
            let owner = module.relations.iter().enumerate().find_map(|(i, r)| {
                (r.field_values == Some(relation)).then_some((RelationId(i as u32), r.params.len()))
            });
            match owner {
                Some((owner, endpoints)) => {
                    args.truncate(endpoints);
                    self.delete_tuple(owner, args);
                }
                None => self.delete_tuple(relation, args),
            }
        }
        self.txn.touched.remove(id);
    }
}

/// The concept, if membership in it may be asserted (it is not an `iff` class).
fn assertable(module: &ox_ir::Module, concept: ConceptId) -> Result<&ox_ir::Concept, RuntimeError> {
    let c = module
        .concepts
        .get(concept.index())
        .ok_or_else(|| RuntimeError::internal(format!("no concept #{}", concept.0)))?;
    if c.refinement == Refinement::Iff {
        return Err(RuntimeError::check_violated(format!(
            "cannot assert membership in the defined class `{}` (its members are derived by `iff`)",
            c.name
        ))
        .with_details(json!({ "concept": c.path })));
    }
    Ok(c)
}

/// Whether a field must be given at insert: not optional and not a collection.
fn required(ty: &Type) -> bool {
    match ty {
        Type::Option(_) | Type::Set(_) | Type::Map(..) | Type::Unit => false,
        Type::List(_, card) => card.min > 0,
        _ => true,
    }
}

/// The facts a field value becomes: one per element for multi-valued fields,
/// none for an absent value.
fn elements(ty: Type, v: Value) -> Vec<Value> {
    match v {
        Value::Null => Vec::new(),
        Value::List(items) if is_multi_valued(&ty) => items,
        other => vec![other],
    }
}
