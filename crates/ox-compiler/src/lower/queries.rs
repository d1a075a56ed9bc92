//! Queries: bodiless extents and `select … from … where … order by … limit`.

use ox_ir::analysis::check_body;
use std::collections::BTreeSet;

use ox_ir::{
    Expr, Function, Grouping, Literal, Projection, Query, QueryBody, QueryId, QueryParam, Select,
    Type, VarId,
};
use ox_syntax::ast::{self, ItemKind};
use ox_syntax::Diagnostic;

use super::collect::Decl;
use super::decls::visibility;
use super::env::Env;
use super::exprs::{BodyKind, ProcCx};
use super::grouping::read_vars;
use super::inline;
use super::rules::{RuleCx, Sink};
use super::vars::Vars;
use crate::codes;
use crate::scope::Symbol;

/// Lowers a query. Diagnostics and auxiliary predicates go to `sink`.
pub(crate) fn query(
    env: &Env<'_>,
    d: &Decl<'_>,
    id: QueryId,
    functions: &[Function],
    sink: &mut Sink,
) -> Option<Query> {
    let ItemKind::Query(q) = &d.item.kind else {
        return None;
    };
    let sig = &env.queries[id.index()];
    let across = across(env, d, q, sink);
    let params: Vec<QueryParam> = sig
        .params
        .iter()
        .zip(&sig.optional)
        .map(|(p, o)| QueryParam {
            name: p.name.clone(),
            ty: p.ty.without_option().clone(),
            optional: *o,
        })
        .collect();
    let body = match &q.body {
        None => extent(env, q, &sig.result, sink)?,
        Some(b) => {
            let solutions = from_where(env, d, q, b, &params, functions, sink);
            QueryBody::Select(select(
                env,
                d,
                b,
                params.len(),
                &sig.result,
                solutions,
                sink,
            ))
        }
    };
    Some(Query {
        name: sig.name.clone(),
        path: sig.path.clone(),
        visibility: visibility(d.item.vis),
        params,
        result: sig.result.clone(),
        as_of: q.as_of,
        across,
        body,
        doc: d.item.doc.clone(),
    })
}

/// The standpoints of `across [...]`, resolved in the query's module; a
/// name that is not a standpoint is `OE0104`, a repeated one is dropped.
fn across(
    env: &Env<'_>,
    d: &Decl<'_>,
    q: &ast::QueryDecl,
    sink: &mut Sink,
) -> Vec<ox_ir::StandpointId> {
    let mut out = Vec::new();
    for path in &q.across {
        match env.scope.resolve(d.module, path) {
            Ok(Symbol::Standpoint(id)) => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            Ok(other) => sink.diags.push(Diagnostic::error(
                codes::WRONG_KIND,
                path.span,
                format!(
                    "`across` lists standpoints, but this names {}",
                    other.describe()
                ),
            )),
            Err(e) => sink.diags.push(e),
        }
    }
    out
}

/// The element type of a result type: `T` for `[T]` / `Set<T>`, else the type itself.
fn element(result: &Type) -> &Type {
    result.element().unwrap_or(result)
}

fn extent(env: &Env<'_>, q: &ast::QueryDecl, result: &Type, sink: &mut Sink) -> Option<QueryBody> {
    match element(result) {
        Type::Concept(c) => Some(QueryBody::Extent(env.concepts[c.index()].pred)),
        Type::Tuple(p) => Some(QueryBody::Extent(*p)),
        Type::Unit => None,
        other => {
            sink.diags.push(Diagnostic::error(
                codes::WRONG_KIND,
                q.ret.span,
                format!(
                    "a query without a body returns the extent of a concept or predicate, not `{}`",
                    env.type_name(other)
                ),
            ));
            None
        }
    }
}

/// The literals of `from` and `where` with `fn` calls inlined, and their
/// variables (the parameters first); a body that is not range-restricted is
/// `OE1303`.
fn from_where(
    env: &Env<'_>,
    d: &Decl<'_>,
    q: &ast::QueryDecl,
    b: &ast::QueryBody,
    params: &[QueryParam],
    functions: &[Function],
    sink: &mut Sink,
) -> (Vec<Literal>, Vars) {
    let path = env.scope.item_path(d.module, &q.name.name);
    let errors_before = sink.diags.len();
    let (mut lits, vars) = {
        let mut cx = RuleCx::new(env, d.module, sink, path);
        for p in params {
            cx.vars.declare(&p.name, Some(p.ty.clone()));
        }
        cx.body(&b.from);
        cx.body(&b.filter);
        (cx.lits, cx.vars)
    };
    let prebound: Vec<VarId> = (0..params.len())
        .filter(|i| !params[*i].optional)
        .map(|i| VarId(i as u32))
        .collect();
    inline::body(&mut lits, functions, b.span, &mut sink.diags);
    let body_ok = sink.diags.len() == errors_before;
    if let (true, Err(e)) = (body_ok, check_body(&lits, vars.count(), &prebound)) {
        let name = e
            .var()
            .map(|v| vars.name(v).to_string())
            .unwrap_or_default();
        sink.diags.push(Diagnostic::error(
            codes::NOT_RANGE_RESTRICTED,
            b.span,
            format!("query `{}` is not range-restricted: variable `{name}` is not bound by a positive atom", q.name.name),
        ));
    }
    (lits, vars)
}

fn select(
    env: &Env<'_>,
    d: &Decl<'_>,
    b: &ast::QueryBody,
    param_count: usize,
    result: &Type,
    (lits, vars): (Vec<Literal>, Vars),
    sink: &mut Sink,
) -> Select {
    let mut cx = ProcCx::new(env, d.module, BodyKind::Query, Type::Unit);
    cx.vars = vars;
    let solution_vars = cx.vars.count();
    let keys: Vec<Expr> = b.group_by.iter().map(|k| cx.expr(k, None).0).collect();
    cx.aggregates = Some(Vec::new());
    let want = element(result).clone();
    let projection = match &b.select {
        ast::Projection::Expr(e) => {
            let (x, t) = cx.expr(e, Some(&want));
            if let Some(t) = &t {
                if want != Type::Unit && !env.assignable(t, &want) {
                    let d = env.mismatch(e.span, &want, t);
                    cx.diags.push(d);
                }
            }
            Projection::Value(x)
        }
        ast::Projection::Record(fields) => {
            let mut out = Vec::new();
            let mut types = Vec::new();
            for f in fields {
                let (x, t) = cx.expr(&f.value, None);
                out.push((f.name.name.clone(), x));
                types.push((f.name.name.clone(), t.unwrap_or(Type::Unit)));
            }
            match &want {
                Type::Struct(s) => {
                    let decl = &env.structs[s.index()];
                    let names: Vec<&str> = decl.fields.iter().map(|p| p.name.as_str()).collect();
                    let got: Vec<&str> = types.iter().map(|(n, _)| n.as_str()).collect();
                    if names != got {
                        cx.diags.push(Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            b.span,
                            format!(
                                "expected the fields of `{}` ({}) in order, found ({})",
                                decl.name,
                                names.join(", "),
                                got.join(", ")
                            ),
                        ));
                    }
                }
                Type::Record(_) | Type::Unit => {}
                other => {
                    let d = env.mismatch(b.span, other, &Type::Record(types));
                    cx.diags.push(d);
                }
            }
            Projection::Record(out)
        }
    };
    let order_by: Vec<(Expr, bool)> = b
        .order_by
        .iter()
        .map(|k| {
            (
                cx.expr(&k.expr, None).0,
                k.direction == ast::SortDirection::Desc,
            )
        })
        .collect();
    let having = b.having.as_ref().map(|h| cx.expr_of(h, &Type::Bool));
    let aggregates = cx.aggregates.take().unwrap_or_default();
    let group = if keys.is_empty() && aggregates.is_empty() && having.is_none() {
        None
    } else {
        let mut read = BTreeSet::new();
        match &projection {
            Projection::Value(e) => read_vars(e, &mut read),
            Projection::Record(fields) => fields.iter().for_each(|(_, e)| read_vars(e, &mut read)),
        }
        having.iter().for_each(|h| read_vars(h, &mut read));
        order_by.iter().for_each(|(k, _)| read_vars(k, &mut read));
        check_grouped_reads(&mut cx, b, &keys, read, param_count, solution_vars);
        Some(Box::new(Grouping {
            keys,
            aggregates: aggregates
                .into_iter()
                .map(|mut a| {
                    a.over.retain(|v| v.0 < solution_vars);
                    a
                })
                .collect(),
            having,
        }))
    };
    sink.diags.append(&mut cx.diags);
    Select {
        var_count: cx.vars.count(),
        var_names: cx.vars.names.clone(),
        body: lits,
        projection,
        order_by,
        limit: b.limit,
        offset: b.offset,
        group,
    }
}

/// In a grouped query the projection, `having` and `order by` (whose locals
/// are `read`) may read only the parameters and the variables of the group
/// keys (aggregates are separate locals): anything else would differ between
/// the rows of one group.
fn check_grouped_reads(
    cx: &mut ProcCx<'_>,
    b: &ast::QueryBody,
    keys: &[Expr],
    read: BTreeSet<VarId>,
    params: usize,
    solution_vars: u32,
) {
    let mut allowed = BTreeSet::new();
    keys.iter().for_each(|k| read_vars(k, &mut allowed));
    let stray: Vec<String> = read
        .into_iter()
        .filter(|v| v.0 < solution_vars && v.0 as usize >= params && !allowed.contains(v))
        .map(|v| format!("`{}`", cx.vars.name(v)))
        .collect();
    if !stray.is_empty() {
        let span = match &b.select {
            ast::Projection::Expr(e) => e.span,
            ast::Projection::Record(_) => b.span,
        };
        cx.error(
            codes::UNSUPPORTED_QUERY_CLAUSE,
            span,
            format!(
                "a grouped query reads {} outside an aggregate, but it is not in `group by`",
                stray.join(", ")
            ),
        );
    }
}
