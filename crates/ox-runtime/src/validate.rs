//! Validation at the end of a transaction: relation and field cardinalities,
//! `where` invariants, complete covers and error-severity checks, over the
//! new fixpoint.

use std::collections::BTreeSet;

use imbl::ordset;
use ox_ir::{Refinement, Severity, Type, Value};
use serde_json::json;

use crate::context::{Clock, RequestContext};
use crate::engine::Engine;
use crate::error::RuntimeError;
use crate::eval::{Evaluator, Locals};
use crate::interpret::Txn;
use crate::query::QueryExec;
use crate::state::{self, State};
use crate::typing::{check_count, render_card};
use crate::view::{StateView, View};

/// Evaluates the transaction's new state and validates it; the state is
/// returned for committing (its `tx` is the start's until the append).
pub(crate) fn validate(
    engine: &Engine,
    ctx: &RequestContext,
    clock: &Clock,
    txn: &Txn,
) -> Result<State, RuntimeError> {
    let catalog = &engine.catalog;
    let new = state::evaluate(
        catalog,
        &*engine.program_for(ctx)?,
        txn.pending.clone(),
        txn.start.tx,
        clock,
        engine.previous_for(&txn.start),
    )?;
    let live: Vec<&String> = txn
        .touched
        .iter()
        .filter(|id| new.base.individuals.contains_key(*id))
        .collect();
    relation_cardinalities(engine, txn, &new, &live)?;
    field_cardinalities(engine, &new, &live)?;
    where_invariants(engine, ctx, clock, &new, &live)?;
    covers(engine, &new, &live)?;
    error_checks(engine, &txn.start, &new)?;
    Ok(new)
}

fn relation_cardinalities(
    engine: &Engine,
    txn: &Txn,
    new: &State,
    live: &[&String],
) -> Result<(), RuntimeError> {
    let module = engine.module();
    let view = StateView {
        catalog: &engine.catalog,
        state: new,
    };
    // The diff skips the subtrees the transaction left as they were.
    let added: Vec<&(ox_ir::RelationId, Vec<Value>)> = txn
        .start
        .base
        .tuples
        .diff(&txn.pending.tuples)
        .filter_map(|item| match item {
            ordset::DiffItem::Add(tuple) => Some(tuple),
            ordset::DiffItem::Remove(_) => None,
        })
        .collect();
    for (ri, rel) in module.relations.iter().enumerate() {
        for (i, card) in rel.cardinalities.iter().enumerate() {
            if *card == ox_ir::Cardinality::ANY {
                continue;
            }
            let Some(param) = rel.params.get(i) else {
                continue;
            };
            let mut candidates: BTreeSet<Value> = added
                .iter()
                .filter(|(r, _)| r.index() == ri)
                .filter_map(|(_, args)| args.get(i).cloned())
                .collect();
            if let Type::Concept(c) = param.ty.without_option() {
                for id in live {
                    if view.is_member(id, *c) {
                        candidates.insert(Value::Ref((*id).clone()));
                    }
                }
            }
            for v in candidates {
                let n = new.facts.matching(rel.pred, i, &v).len() as u64;
                if !card.admits(n) {
                    return Err(RuntimeError::check_violated(format!(
                        "cardinality of `{}`: `{v}` takes part in {n} tuple(s) as `{}`, but {} are required",
                        rel.name,
                        param.name,
                        render_card(card.min, card.max)
                    ))
                    .with_details(json!({
                        "relation": rel.path,
                        "endpoint": param.name,
                        "value": v.to_string(),
                        "count": n,
                        "min": card.min,
                        "max": card.max,
                    })));
                }
            }
        }
    }
    Ok(())
}

fn field_cardinalities(engine: &Engine, new: &State, live: &[&String]) -> Result<(), RuntimeError> {
    let catalog = &engine.catalog;
    for id in live {
        let Some(concept) = new.base.individuals.get(*id) else {
            continue;
        };
        for field in catalog.all_fields(*concept) {
            let decl = catalog.module.field(*field);
            if let Type::List(_, card) = decl.ty.without_option() {
                let n = new.base.field_values(id, *field).len();
                check_count(n, card).map_err(|e| {
                    RuntimeError::check_violated(format!(
                        "`{}.{}` of `{id}`: {e}",
                        catalog.concept_name(field.concept),
                        decl.name,
                    ))
                    .with_details(json!({ "individual": id, "field": decl.name }))
                })?;
            }
        }
    }
    Ok(())
}

fn where_invariants(
    engine: &Engine,
    ctx: &RequestContext,
    clock: &Clock,
    new: &State,
    live: &[&String],
) -> Result<(), RuntimeError> {
    let catalog = &engine.catalog;
    let view = StateView {
        catalog,
        state: new,
    };
    let queries = QueryExec {
        engine,
        ctx,
        clock,
        state: new,
    };
    let eval = Evaluator::new(catalog, &view, &queries, clock);
    for concept in &catalog.where_concepts {
        let c = catalog.module.concept(*concept);
        let Refinement::Where { conditions, texts } = &c.refinement else {
            continue;
        };
        for id in live {
            if !view.is_member(id, *concept) {
                continue;
            }
            for (i, cond) in conditions.iter().enumerate() {
                let text = texts.get(i).map_or("<condition>", String::as_str);
                let mut locals = Locals::frame(vec![Value::Ref((*id).clone())], 1);
                let holds = eval.eval(cond, &mut locals)?.as_bool().map_err(|e| {
                    RuntimeError::validation(format!("invariant `{text}` of `{}`: {e}", c.name))
                })?;
                if !holds {
                    return Err(RuntimeError::check_violated(format!(
                        "`{id}` violates the invariant of `{}`: {text} (OE0668)",
                        c.name
                    ))
                    .with_details(json!({
                        "concept": c.path,
                        "condition": text,
                        "individual": id,
                    })));
                }
            }
        }
    }
    Ok(())
}

/// Complete covers (`kind Animal { Dog, Cat }`): every instance of a covered
/// concept that the transaction wrote is an instance of one of the covering
/// subtypes at the end of the transaction.
fn covers(engine: &Engine, new: &State, live: &[&String]) -> Result<(), RuntimeError> {
    let catalog = &engine.catalog;
    let view = StateView {
        catalog,
        state: new,
    };
    let covered = catalog
        .module
        .concepts
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.cover.is_empty());
    for (index, c) in covered {
        let concept = ox_ir::ConceptId(index as u32);
        for id in live {
            if !view.is_member(id, concept) || c.cover.iter().any(|s| view.is_member(id, *s)) {
                continue;
            }
            let names: Vec<String> = c
                .cover
                .iter()
                .map(|s| format!("`{}`", catalog.module.concept(*s).name))
                .collect();
            return Err(RuntimeError::check_violated(format!(
                "`{id}` is a `{}` but none of the subtypes that cover it: {}",
                c.name,
                names.join(", ")
            ))
            .with_details(json!({
                "concept": c.path,
                "cover": c.cover.iter().map(|s| catalog.module.concept(*s).path.clone()).collect::<Vec<_>>(),
                "individual": id,
            })));
        }
    }
    Ok(())
}

fn error_checks(engine: &Engine, start: &State, new: &State) -> Result<(), RuntimeError> {
    let module = engine.module();
    for check in module
        .checks
        .iter()
        .filter(|c| c.severity == Severity::Error)
    {
        let fresh: Vec<Vec<Value>> = new
            .facts
            .tuples(check.pred)
            .into_iter()
            .filter(|t| !start.facts.contains(check.pred, t))
            .collect();
        let Some(first) = fresh.first() else {
            continue;
        };
        let message = render_message(check, first);
        let violations: Vec<Vec<String>> = fresh
            .iter()
            .map(|t| t.iter().map(ToString::to_string).collect())
            .collect();
        return Err(RuntimeError::check_violated(format!(
            "check `{}` violated: {message}",
            check.name
        ))
        .with_details(json!({
            "check": check.path,
            "message": message,
            "violations": violations,
        })));
    }
    Ok(())
}

/// Renders a check's message template: `{x}` becomes the value of parameter `x`.
pub(crate) fn render_message(check: &ox_ir::Check, tuple: &[Value]) -> String {
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match &check.message {
        Some(template) => {
            let mut out = template.clone();
            for (p, v) in check.params.iter().zip(tuple) {
                out = out.replace(&format!("{{{}}}", p.name), &show(v));
            }
            out
        }
        None => {
            let args: Vec<String> = tuple.iter().map(show).collect();
            format!("{}({})", check.name, args.join(", "))
        }
    }
}
