//! Lowering a loaded package to an IR [`Module`]: collection, declarations,
//! rules, queries, functions, mutations, tests, and the rule checks.

mod aggregates;
mod collect;
mod cover;
mod decls;
mod derive;
mod env;
mod exprs;
mod folds;
mod grouping;
mod inline;
mod matching;
mod queries;
mod relation_spec;
mod rules;
mod stmts;
mod substrate;
mod values;
mod vars;
pub(crate) mod vocabulary;

use std::collections::BTreeSet;

use ox_ir::analysis::{check_range_restriction, stratify, RuleCheckError};
use ox_ir::{
    ConceptId, Expr, FnId, Function, Module, Mutation, MutationId, PackageInfo, Query, QueryBody,
    QueryId,
};
use ox_syntax::ast::ItemKind;
use ox_syntax::{Diagnostic, SourceMap};

use crate::codes;
use crate::manifest::Manifest;
use crate::packages::Unit;
use derive::SpannedRule;
use rules::Sink;

/// The lowered module and the tests found in the package.
pub(crate) struct Output {
    pub module: Module,
    pub tests: Vec<ox_ir::Test>,
}

/// Lowers the loaded files; every problem is appended to `diags`.
pub(crate) fn lower(
    manifest: &Manifest,
    entry: &str,
    units: Vec<Unit>,
    sources: &SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Output {
    let (packages, files) = collect::flatten(units);
    aggregates::check_items(files.iter().flat_map(|f| f.ast.items.iter()), diags);
    let (scope, collected) = collect::collect(&packages, &files, sources, diags);
    let (mut env, standpoints) = decls::declare(scope, &collected, sources, diags);
    let substrate = substrate::build(&env, &collected, diags);
    vocabulary::run(&env, &collected, &substrate, diags);
    let mut sink = Sink::new(env.preds.len());
    sink.meta = rules::meta::MetaTable::new(&substrate);

    let mut rules: Vec<SpannedRule> = derive::concept_rules(&env, &collected, &mut sink);
    rules.extend(relation_spec::rules(&env, &collected));
    rules.extend(derive::derive_rules(&mut env, &collected, &mut sink));
    rules.extend(derive::check_rules(&mut env, &collected, &mut sink));

    // `where` invariants.
    let invariants: Vec<(usize, ox_ir::Refinement)> = collected
        .concepts
        .iter()
        .enumerate()
        .filter_map(|(i, d)| stmts::invariant(&env, d, ConceptId(i as u32), diags).map(|r| (i, r)))
        .collect();
    for (i, r) in invariants {
        env.concepts[i].refinement = r;
    }

    let functions = lower_functions(&env, &collected, diags);
    let queries: Vec<Query> = collected
        .queries
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let id = QueryId(i as u32);
            queries::query(&env, d, id, &functions, &mut sink)
                .unwrap_or_else(|| placeholder_query(&env, id))
        })
        .collect();

    let mutations = lower_mutations(&env, &collected, diags);
    let tests: Vec<ox_ir::Test> = collected
        .tests
        .iter()
        .filter_map(|d| stmts::test(&env, d, diags))
        .collect();

    diags.append(&mut sink.diags);
    let mut preds = std::mem::take(&mut env.preds);
    preds.append(&mut sink.aux_preds);
    rules.append(&mut sink.aux_rules);
    inline::calls(&mut rules, &functions, diags);
    check_rules(&rules, &preds, diags);

    let mut module = Module {
        package: PackageInfo {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            entry: entry.to_string(),
        },
        concepts: env.concepts,
        relations: env.relations,
        structs: env.structs,
        enums: env.enums,
        predicates: preds,
        rules: rules.into_iter().map(|(r, _)| r).collect(),
        checks: env.checks,
        queries,
        mutations,
        functions,
        standpoints,
    };
    let mut tests = tests;
    crate::order::canonicalize(&mut module, &mut tests);
    Output { module, tests }
}

fn placeholder_query(env: &env::Env<'_>, id: QueryId) -> Query {
    let sig = &env.queries[id.index()];
    Query {
        name: sig.name.clone(),
        path: sig.path.clone(),
        visibility: sig.visibility,
        params: Vec::new(),
        result: sig.result.clone(),
        as_of: None,
        across: Vec::new(),
        body: QueryBody::Select(ox_ir::Select {
            var_count: 0,
            var_names: Vec::new(),
            body: Vec::new(),
            projection: ox_ir::Projection::Value(Expr::Const(ox_ir::Value::Null)),
            order_by: Vec::new(),
            limit: None,
            offset: None,
            group: None,
        }),
        doc: None,
    }
}

/// Functions, with direct or indirect recursion reported as `OE0801`.
fn lower_functions(
    env: &env::Env<'_>,
    c: &collect::Collected<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Function> {
    let mut out = Vec::new();
    let mut calls: Vec<Vec<FnId>> = Vec::new();
    for (i, d) in c.fns.iter().enumerate() {
        let id = FnId(i as u32);
        match stmts::function(env, d, id, diags) {
            Some((f, callees)) => {
                out.push(f);
                calls.push(callees);
            }
            None => {
                let sig = &env.fns[i];
                out.push(Function {
                    name: sig.name.clone(),
                    path: sig.path.clone(),
                    visibility: sig.visibility,
                    params: sig.params.clone(),
                    result: sig.result.clone(),
                    body: Expr::Const(ox_ir::Value::Null),
                    local_count: 0,
                    doc: None,
                });
                calls.push(Vec::new());
            }
        }
    }
    for (i, d) in c.fns.iter().enumerate() {
        if reaches(&calls, i, i) {
            let span = match &d.item.kind {
                ItemKind::Fn(f) => f.name.span,
                _ => d.item.span,
            };
            diags.push(
                Diagnostic::error(
                    codes::RECURSIVE_FN,
                    span,
                    format!(
                        "function `{}` calls itself (directly or through other functions)",
                        env.fns[i].name
                    ),
                )
                .with_help("functions must not recurse; express recursion with a `derive` rule"),
            );
        }
    }
    out
}

/// Whether `to` is reachable from `from` in one or more call steps.
fn reaches(calls: &[Vec<FnId>], from: usize, to: usize) -> bool {
    let mut stack: Vec<usize> = calls
        .get(from)
        .map(|c| c.iter().map(|f| f.index()).collect())
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n) {
            if let Some(next) = calls.get(n) {
                stack.extend(next.iter().map(|f| f.index()));
            }
        }
    }
    false
}

/// Mutations, with `forgets` closed over calls.
fn lower_mutations(
    env: &env::Env<'_>,
    c: &collect::Collected<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Mutation> {
    let mut lowered = Vec::new();
    for (i, d) in c.mutations.iter().enumerate() {
        let id = MutationId(i as u32);
        match stmts::mutation(env, d, id, diags) {
            Some(m) => lowered.push(m),
            None => {
                let sig = &env.mutations[i];
                lowered.push(stmts::LoweredMutation {
                    mutation: Mutation {
                        name: sig.name.clone(),
                        path: sig.path.clone(),
                        visibility: sig.visibility,
                        params: sig.params.clone(),
                        result: sig.result.clone(),
                        body: Vec::new(),
                        local_count: 0,
                        allow_forget: false,
                        forgets: false,
                        doc: None,
                    },
                    calls: Vec::new(),
                    name_span: d.item.span,
                });
            }
        }
    }
    let calls: Vec<Vec<MutationId>> = lowered.iter().map(|m| m.calls.clone()).collect();
    let mut forgets: Vec<bool> = lowered.iter().map(|m| m.mutation.forgets).collect();
    loop {
        let mut changed = false;
        for i in 0..forgets.len() {
            if !forgets[i]
                && calls[i]
                    .iter()
                    .any(|c| forgets.get(c.index()).copied().unwrap_or(false))
            {
                forgets[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    lowered
        .into_iter()
        .zip(forgets)
        .map(|(mut m, f)| {
            if f && !m.mutation.forgets && !m.mutation.allow_forget {
                diags.push(Diagnostic::error(
                    codes::FORGET_NOT_ALLOWED,
                    m.name_span,
                    format!("mutation `{}` calls a mutation that uses `forget`, but has no `#[allow_forget]`", m.mutation.name),
                ));
            }
            m.mutation.forgets = f;
            m.mutation
        })
        .collect()
}

/// Range restriction (`OE1303`) and stratification (`OW1304`: negation
/// through recursion, evaluated under the well-founded semantics) of all rules.
fn check_rules(rules: &[SpannedRule], preds: &[ox_ir::Predicate], diags: &mut Vec<Diagnostic>) {
    let name = |r: &ox_ir::Rule| {
        preds
            .get(r.head.pred.index())
            .map_or("?".to_string(), |p| p.name.clone())
    };
    for (r, span) in rules {
        match check_range_restriction(r) {
            Ok(()) => {}
            Err(RuleCheckError::UnsafeVariable { var, position, .. }) => {
                let var_name = r.var_names.get(var.0 as usize).cloned().unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        codes::NOT_RANGE_RESTRICTED,
                        *span,
                        format!(
                            "rule for `{}` is not range-restricted: `{var_name}` in the {position} is not bound by a positive atom",
                            name(r)
                        ),
                    )
                    .with_help(format!("add an atom that binds `{var_name}`, e.g. a type test `{var_name}: SomeConcept`")),
                );
            }
            Err(other) => diags.push(Diagnostic::error(
                codes::NOT_SUPPORTED,
                *span,
                format!("rule for `{}` cannot be evaluated: {other}", name(r)),
            )),
        }
    }
    let plain: Vec<ox_ir::Rule> = rules.iter().map(|(r, _)| r.clone()).collect();
    if let Err(e) = stratify(&plain, preds.len()) {
        let span = rules.get(e.rule_index).map(|(_, s)| *s).unwrap_or_default();
        let names: Vec<String> = e
            .cycle
            .iter()
            .map(|p| {
                preds
                    .get(p.index())
                    .map_or("?".to_string(), |p| format!("`{}`", p.name))
            })
            .collect();
        diags.push(
            Diagnostic::warning(
                codes::WELL_FOUNDED,
                span,
                format!(
                    "negation through recursion: {} depend on each other through `not`; these rules are evaluated under the well-founded semantics, where facts that depend on their own absence are undefined",
                    names.join(" → ")
                ),
            )
            .with_help("undefined facts are never answered; break the cycle if every fact should be decided"),
        );
    }
}
