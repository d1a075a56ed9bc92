//! Statements of mutations and tests, and the lowering of whole mutations,
//! tests, functions and `where` invariants.

use ox_ir::{
    AssignOp, ConceptId, Expr, FnId, Function, Mutation, MutationId, Refinement, RelationId, Stmt,
    Test, Type, Value,
};
use ox_syntax::ast::{self, ExprKind, ItemKind, StmtKind};
use ox_syntax::Span;

use super::collect::Decl;
use super::decls::{has_attr, visibility};
use super::env::{path_text, Env};
use super::exprs::{BodyKind, ProcCx};
use crate::codes;
use crate::scope::Symbol;

impl ProcCx<'_> {
    /// Lowers a list of statements.
    pub fn stmts(&mut self, stmts: &[ast::Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for s in stmts {
            self.stmt(s, &mut out);
        }
        out
    }

    fn concept_of(&mut self, path_or_ty: Result<&ast::Path, &ast::Type>) -> Option<ConceptId> {
        let (resolved, span) = match path_or_ty {
            Ok(p) => (
                match self.env.scope.resolve(self.m, p) {
                    Ok(Symbol::Concept(c)) => Some(Type::Concept(c)),
                    Ok(sym) => {
                        self.error(
                            codes::WRONG_KIND,
                            p.span,
                            format!(
                                "expected a concept, `{}` is {}",
                                path_text(p),
                                sym.describe()
                            ),
                        );
                        return None;
                    }
                    Err(d) => {
                        self.diags.push(d);
                        return None;
                    }
                },
                p.span,
            ),
            Err(t) => {
                let mut d = Vec::new();
                let r = self.env.resolve_type(self.m, t, &mut d);
                self.diags.extend(d);
                (r, t.span)
            }
        };
        match resolved? {
            Type::Concept(c) => Some(c),
            other => {
                let msg = format!("expected a concept, found `{}`", self.env.type_name(&other));
                self.error(codes::WRONG_KIND, span, msg);
                None
            }
        }
    }

    /// `insert C { f: e, … }`: the concept and the field values by `all_fields` position.
    fn insert(
        &mut self,
        ty: &ast::Path,
        inits: &[ast::FieldInit],
    ) -> Option<(ConceptId, Vec<(u32, Expr)>)> {
        let c = self.concept_of(Ok(ty))?;
        if self.env.iff[c.index()] {
            let msg = format!(
                "cannot insert into `{}`: it is defined by `iff`, its members are derived",
                self.env.concepts[c.index()].name
            );
            self.error(codes::INSERT_DEFINED, ty.span, msg);
        }
        let fields: Vec<(String, Type)> = self
            .env
            .all_fields(c)
            .iter()
            .map(|(_, f)| (f.name.clone(), f.ty.clone()))
            .collect();
        let mut out: Vec<(u32, Expr)> = Vec::new();
        for init in inits {
            match fields.iter().position(|(n, _)| *n == init.name.name) {
                Some(i) => {
                    if out.iter().any(|(k, _)| *k == i as u32) {
                        self.error(
                            codes::DUPLICATE,
                            init.name.span,
                            format!("field `{}` is given twice", init.name.name),
                        );
                    }
                    let x = self.expr_of(&init.value, &fields[i].1);
                    out.push((i as u32, x));
                }
                None => {
                    self.unknown_field(c, &init.name);
                    self.expr(&init.value, None);
                }
            }
        }
        out.sort_by_key(|(i, _)| *i);
        Some((c, out))
    }

    /// An individual expression (for `update`, `delete`, `forget`, `iof`).
    fn individual(&mut self, e: &ast::Expr) -> Expr {
        let (x, t) = self.expr(e, None);
        if let Some(t) = t {
            if !matches!(t.without_option(), Type::Concept(_)) {
                let msg = format!("expected an individual, found `{}`", self.env.type_name(&t));
                self.error(codes::TYPE_MISMATCH, e.span, msg);
            }
        }
        x
    }

    fn relation_args(
        &mut self,
        relation: &ast::Path,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<(ox_ir::RelationId, Vec<Expr>)> {
        let id = match self.env.scope.resolve(self.m, relation) {
            Ok(Symbol::Relation(r)) => r,
            Ok(sym) => {
                self.error(
                    codes::WRONG_KIND,
                    relation.span,
                    format!(
                        "only relation tuples can be inserted or deleted; `{}` is {}",
                        path_text(relation),
                        sym.describe()
                    ),
                );
                return None;
            }
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let params: Vec<Option<Type>> = self.env.relations[id.index()]
            .params
            .iter()
            .map(|p| Some(p.ty.clone()))
            .collect();
        let args = self.args(&path_text(relation), args, &params, span)?;
        Some((id, args))
    }

    /// The values of a tuple's fields in declaration order, from the `{ f: e, … }`
    /// of `insert R(…) { … }`; an omitted `Option` field is `none`.
    fn tuple_fields(
        &mut self,
        relation: RelationId,
        inits: &[ast::FieldInit],
        span: Span,
    ) -> Vec<Expr> {
        let rel = &self.env.relations[relation.index()];
        let (name, fields) = (rel.name.clone(), rel.fields.clone());
        let mut values: Vec<Option<Expr>> = vec![None; fields.len()];
        for init in inits {
            match fields.iter().position(|f| f.name == init.name.name) {
                Some(i) => {
                    if values[i].is_some() {
                        self.error(
                            codes::DUPLICATE,
                            init.name.span,
                            format!("field `{}` is given twice", init.name.name),
                        );
                    }
                    values[i] = Some(self.expr_of(&init.value, &fields[i].ty));
                }
                None => {
                    let msg = if fields.is_empty() {
                        format!(
                            "relation `{name}` has no per-tuple fields, so it has no field `{}`",
                            init.name.name
                        )
                    } else {
                        format!("relation `{name}` has no field `{}`", init.name.name)
                    };
                    self.error(codes::UNKNOWN_FIELD, init.name.span, msg);
                    self.expr(&init.value, None);
                }
            }
        }
        let mut out = Vec::with_capacity(fields.len());
        for (value, field) in values.into_iter().zip(&fields) {
            match value {
                Some(v) => out.push(v),
                None => {
                    if !matches!(field.ty, Type::Option(_)) {
                        self.error(
                            codes::MISSING_FIELD,
                            span,
                            format!("missing field `{}` of relation `{name}`", field.name),
                        );
                    }
                    out.push(Expr::Const(Value::Null));
                }
            }
        }
        out
    }

    fn stmt(&mut self, s: &ast::Stmt, out: &mut Vec<Stmt>) {
        match &s.kind {
            StmtKind::Let { name, ty, value } => {
                let declared = ty.as_ref().and_then(|t| {
                    let mut d = Vec::new();
                    let r = self.env.resolve_type(self.m, t, &mut d);
                    self.diags.extend(d);
                    r
                });
                if let ExprKind::Insert { ty: cty, inits } = &value.kind {
                    if let Some((concept, fields)) = self.insert(cty, inits) {
                        let t = Type::Concept(concept);
                        if let Some(d) = &declared {
                            self.expect(value.span, d, Some(&t));
                        }
                        let v = self.vars.declare(&name.name, Some(declared.unwrap_or(t)));
                        out.push(Stmt::InsertIndividual {
                            concept,
                            fields,
                            bind: Some(v),
                        });
                    } else {
                        self.vars.declare(&name.name, declared);
                    }
                    return;
                }
                if let ExprKind::Call { func, args } = &value.kind {
                    if let Ok(Symbol::Mutation(id)) = self.env.scope.resolve(self.m, func) {
                        let result = self.env.mutations[id.index()].result.clone();
                        if result == Type::Unit {
                            let msg = format!(
                                "mutation `{}` declares no result type (`-> T`), there is no value to bind",
                                path_text(func)
                            );
                            self.error(codes::TYPE_MISMATCH, value.span, msg);
                        } else if let Some(d) = &declared {
                            self.expect(value.span, d, Some(&result));
                        }
                        let v = self
                            .vars
                            .declare(&name.name, Some(declared.unwrap_or(result)));
                        if let Some(call) = self.mutation_call(id, func, args, value.span, Some(v))
                        {
                            out.push(call);
                        }
                        return;
                    }
                }
                let (x, t) = match &declared {
                    Some(d) => (self.expr_of(value, d), Some(d.clone())),
                    None => self.expr(value, None),
                };
                let v = self.vars.declare(&name.name, t);
                out.push(Stmt::Let { var: v, value: x });
            }
            StmtKind::InsertTuple {
                relation,
                args,
                inits,
            } => {
                if let Some((relation, mut args)) = self.relation_args(relation, args, s.span) {
                    args.extend(self.tuple_fields(relation, inits, s.span));
                    out.push(Stmt::InsertTuple { relation, args });
                }
            }
            StmtKind::DeleteTuple { relation, args } => {
                if let Some((relation, args)) = self.relation_args(relation, args, s.span) {
                    out.push(Stmt::DeleteTuple { relation, args });
                }
            }
            StmtKind::InsertIof { individual, ty } => {
                let x = self.individual(individual);
                if let Some(c) = self.concept_of(Err(ty)) {
                    if self.env.iff[c.index()] {
                        let msg = format!(
                            "cannot assert membership in `{}`: it is defined by `iff`, its members are derived",
                            self.env.concepts[c.index()].name
                        );
                        self.error(codes::INSERT_DEFINED, ty.span, msg);
                    }
                    out.push(Stmt::InsertIof {
                        individual: x,
                        concept: c,
                    });
                }
            }
            StmtKind::DeleteIof { individual, ty } => {
                let x = self.individual(individual);
                if let Some(c) = self.concept_of(Err(ty)) {
                    out.push(Stmt::DeleteIof {
                        individual: x,
                        concept: c,
                    });
                }
            }
            StmtKind::Update {
                target,
                assignments,
            } => self.update(target, assignments, out),
            StmtKind::Delete(e) => {
                let x = self.individual(e);
                out.push(Stmt::DeleteIndividual(x));
            }
            StmtKind::Emit { event, value } => {
                let (x, _) = self.expr(value, None);
                out.push(Stmt::Emit {
                    name: path_text(event),
                    value: x,
                });
            }
            StmtKind::Forget(e) => {
                let x = self.individual(e);
                self.forget_spans.push(s.span);
                out.push(Stmt::Forget(x));
            }
            StmtKind::For { var, iter, body } => {
                let (source, elem) = self.source(iter);
                self.vars.push();
                let v = self.vars.declare(&var.name, elem);
                let body = self.stmts(body);
                self.vars.pop();
                out.push(Stmt::For {
                    var: v,
                    source,
                    body,
                });
            }
            StmtKind::If {
                cond,
                then_body,
                else_body,
            } => {
                // Bindings of `if x is P { … }` are in scope in the then branch only.
                self.vars.push();
                let c = self.condition(cond);
                let then = self.stmts(then_body);
                self.vars.pop();
                self.vars.push();
                let otherwise = else_body
                    .as_ref()
                    .map(|b| self.stmts(b))
                    .unwrap_or_default();
                self.vars.pop();
                out.push(Stmt::If {
                    cond: c,
                    then,
                    otherwise,
                });
            }
            StmtKind::Return(value) => {
                let result = self.result.clone();
                match value {
                    Some(e) => {
                        if result == Type::Unit && self.kind != BodyKind::Test {
                            self.error(codes::TYPE_MISMATCH, e.span, "this mutation declares no result type (`-> T`), it cannot return a value");
                            self.expr(e, None);
                        } else {
                            let x = self.expr_of(e, &result);
                            out.push(Stmt::Return(x));
                        }
                    }
                    None => {
                        if result != Type::Unit {
                            let msg = format!(
                                "expected a value of type `{}` after `return`",
                                self.env.type_name(&result)
                            );
                            self.error(codes::TYPE_MISMATCH, s.span, msg);
                        }
                        out.push(Stmt::Return(Expr::Const(Value::Null)));
                    }
                }
            }
            StmtKind::Assert(e) => {
                let cond = self.expr_of(e, &Type::Bool);
                if self.kind != BodyKind::Test {
                    self.error(
                        codes::ASSERT_OUTSIDE_TEST,
                        s.span,
                        "`assert` is only allowed in tests",
                    );
                }
                out.push(Stmt::Assert {
                    cond,
                    text: self.env.text(e.span),
                });
            }
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Insert { ty, inits } => {
                    if let Some((concept, fields)) = self.insert(ty, inits) {
                        out.push(Stmt::InsertIndividual {
                            concept,
                            fields,
                            bind: None,
                        });
                    }
                }
                ExprKind::Call { func, args }
                    if matches!(
                        self.env.scope.resolve(self.m, func),
                        Ok(Symbol::Mutation(_))
                    ) =>
                {
                    let Ok(Symbol::Mutation(id)) = self.env.scope.resolve(self.m, func) else {
                        return;
                    };
                    if let Some(call) = self.mutation_call(id, func, args, e.span, None) {
                        out.push(call);
                    }
                }
                _ => {
                    self.expr(e, None);
                    self.error(
                        codes::NO_EFFECT,
                        e.span,
                        "this expression statement has no effect",
                    );
                }
            },
        }
    }

    /// A call of mutation `id` inside this transaction; `bind` receives its result.
    fn mutation_call(
        &mut self,
        id: MutationId,
        func: &ast::Path,
        args: &[ast::Expr],
        span: Span,
        bind: Option<ox_ir::VarId>,
    ) -> Option<Stmt> {
        let params: Vec<Option<Type>> = self.env.mutations[id.index()]
            .params
            .iter()
            .map(|p| Some(p.ty.clone()))
            .collect();
        self.called_mutations.insert(id);
        let args = self.args(&path_text(func), args, &params, span)?;
        Some(Stmt::CallMutation {
            mutation: id,
            args,
            bind,
        })
    }

    fn update(&mut self, target: &ast::Expr, assignments: &[ast::Assignment], out: &mut Vec<Stmt>) {
        let (x, t) = self.expr(target, None);
        let c = match t.as_ref().map(Type::without_option) {
            Some(Type::Concept(c)) => *c,
            Some(other) => {
                let msg = format!(
                    "`update` needs an individual, found `{}`",
                    self.env.type_name(other)
                );
                self.error(codes::TYPE_MISMATCH, target.span, msg);
                return;
            }
            None => return,
        };
        let mut sets = Vec::new();
        for a in assignments {
            let Some((fref, f)) = self.env.find_field(c, &a.field.name) else {
                self.unknown_field(c, &a.field);
                continue;
            };
            let (fty, mutable) = (f.ty.clone(), f.mutable);
            if !mutable {
                self.diags.push(
                    ox_syntax::Diagnostic::error(
                        codes::FIELD_NOT_MUTABLE,
                        a.field.span,
                        format!("field `{}` is not mutable", a.field.name),
                    )
                    .with_help(format!(
                        "declare it as `mut {}: …` to allow `update`",
                        a.field.name
                    )),
                );
            }
            let op = match a.op {
                ast::AssignOp::Set => AssignOp::Set,
                ast::AssignOp::Add => AssignOp::Add,
                ast::AssignOp::Remove => AssignOp::Remove,
            };
            let value_ty = match (op, fty.element()) {
                (AssignOp::Set, _) => fty.clone(),
                (_, Some(elem)) => elem.clone(),
                _ if fty.without_option().is_numeric()
                    || *fty.without_option() == Type::Duration =>
                {
                    fty.without_option().clone()
                }
                _ => {
                    let msg = format!(
                        "`+=`/`-=` need a number or a multi-valued field, `{}` is `{}`",
                        a.field.name,
                        self.env.type_name(&fty)
                    );
                    self.error(codes::TYPE_MISMATCH, a.span, msg);
                    fty.clone()
                }
            };
            let v = self.expr_of(&a.value, &value_ty);
            sets.push((fref, op, v));
        }
        out.push(Stmt::Update { target: x, sets });
    }
}

/// Result of lowering one mutation (before the forget closure is computed).
pub(crate) struct LoweredMutation {
    pub mutation: Mutation,
    pub calls: Vec<MutationId>,
    pub name_span: Span,
}

/// Lowers a mutation.
pub(crate) fn mutation(
    env: &Env<'_>,
    d: &Decl<'_>,
    id: MutationId,
    diags: &mut Vec<ox_syntax::Diagnostic>,
) -> Option<LoweredMutation> {
    let ItemKind::Mutate(m) = &d.item.kind else {
        return None;
    };
    let sig = &env.mutations[id.index()];
    let mut cx = ProcCx::new(env, d.module, BodyKind::Mutation, sig.result.clone());
    for p in &sig.params {
        cx.vars.declare(&p.name, Some(p.ty.clone()));
    }
    let mut body = Vec::new();
    for r in &m.require {
        let cond = cx.expr_of(r, &Type::Bool);
        body.push(Stmt::Require {
            cond,
            text: env.text(r.span),
        });
    }
    body.extend(cx.stmts(&m.body));
    let allow_forget = has_attr(&d.item.attrs, "allow_forget");
    if !allow_forget {
        for s in &cx.forget_spans {
            diags.push(
                ox_syntax::Diagnostic::error(
                    codes::FORGET_NOT_ALLOWED,
                    *s,
                    "`forget` needs `#[allow_forget]` on the mutation",
                )
                .with_help("add `#[allow_forget]` before `mutate` if physical erasure is intended"),
            );
        }
    }
    diags.append(&mut cx.diags);
    Some(LoweredMutation {
        mutation: Mutation {
            name: sig.name.clone(),
            path: sig.path.clone(),
            visibility: visibility(d.item.vis),
            params: sig.params.clone(),
            result: sig.result.clone(),
            body,
            local_count: cx.vars.count(),
            allow_forget,
            forgets: !cx.forget_spans.is_empty(),
            doc: d.item.doc.clone(),
        },
        calls: cx.called_mutations.into_iter().collect(),
        name_span: m.name.span,
    })
}

/// Lowers a test block.
pub(crate) fn test(
    env: &Env<'_>,
    d: &Decl<'_>,
    diags: &mut Vec<ox_syntax::Diagnostic>,
) -> Option<Test> {
    let ItemKind::Test(t) = &d.item.kind else {
        return None;
    };
    let mut cx = ProcCx::new(env, d.module, BodyKind::Test, Type::Unit);
    let body = cx.stmts(&t.body);
    diags.append(&mut cx.diags);
    Some(Test {
        name: t.name.value.clone(),
        body,
        local_count: cx.vars.count(),
        local_names: cx.vars.names,
    })
}

/// Lowers a function; returns it with the functions it calls.
pub(crate) fn function(
    env: &Env<'_>,
    d: &Decl<'_>,
    id: FnId,
    diags: &mut Vec<ox_syntax::Diagnostic>,
) -> Option<(Function, Vec<FnId>)> {
    let ItemKind::Fn(f) = &d.item.kind else {
        return None;
    };
    let sig = &env.fns[id.index()];
    let mut cx = ProcCx::new(env, d.module, BodyKind::Fn, sig.result.clone());
    for p in &sig.params {
        cx.vars.declare(&p.name, Some(p.ty.clone()));
    }
    let body = cx.expr_of(&f.body, &sig.result);
    diags.append(&mut cx.diags);
    Some((
        Function {
            name: sig.name.clone(),
            path: sig.path.clone(),
            visibility: visibility(d.item.vis),
            params: sig.params.clone(),
            result: sig.result.clone(),
            body,
            local_count: cx.vars.count(),
            doc: d.item.doc.clone(),
        },
        cx.called_fns.into_iter().collect(),
    ))
}

/// The conditions of a `where { … }` refinement, over `self` = `VarId(0)`.
pub(crate) fn invariant(
    env: &Env<'_>,
    d: &Decl<'_>,
    c: ConceptId,
    diags: &mut Vec<ox_syntax::Diagnostic>,
) -> Option<Refinement> {
    let ItemKind::Concept(decl) = &d.item.kind else {
        return None;
    };
    let r = decl.refinement.as_ref()?;
    if r.kind != ast::RefinementKind::Where {
        return None;
    }
    let mut cx = ProcCx::new(env, d.module, BodyKind::Invariant, Type::Unit);
    cx.vars.declare("self", Some(Type::Concept(c)));
    let mut conditions = Vec::new();
    let mut texts = Vec::new();
    for cond in &r.conditions {
        conditions.push(cx.expr_of(cond, &Type::Bool));
        texts.push(env.text(cond.span));
    }
    diags.append(&mut cx.diags);
    Some(Refinement::Where { conditions, texts })
}
