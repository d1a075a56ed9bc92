//! The TBox as JSON, served by `GET /v1/schema`: concepts, relations, structs,
//! enums, standpoints and every `pub` query, mutation and fn with typed
//! parameters and result. Types are rendered as source-like text
//! (`Option<Date>`, `[Person; >= 1]`). Every list is sorted by path, so the
//! document is deterministic for one module.

use ox_ir::{Cardinality, Module, QueryBody, Refinement, Type, Visibility};
use serde_json::{json, Value};

fn name_or(name: Option<&String>, kind: &str, index: u32) -> String {
    name.cloned()
        .unwrap_or_else(|| format!("<unknown {kind} {index}>"))
}

fn cardinality_json(card: &Cardinality) -> Value {
    json!({ "min": card.min, "max": card.max })
}

fn visibility(v: Visibility) -> &'static str {
    match v {
        Visibility::Private => "private",
        Visibility::Package => "package",
        Visibility::Public => "public",
    }
}

fn sorted_by_path(mut items: Vec<(String, Value)>) -> Value {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(items.into_iter().map(|(_, v)| v).collect())
}

fn params(module: &Module, params: &[ox_ir::Param]) -> Value {
    Value::Array(
        params
            .iter()
            .map(|p| json!({ "name": p.name, "type": p.ty.render(&module.type_names()) }))
            .collect(),
    )
}

/// The TBox document with `schemaHash`.
pub fn schema_json(module: &Module, schema_hash: &str) -> Value {
    let concept_path = |id: &ox_ir::ConceptId| {
        name_or(
            module.concepts.get(id.index()).map(|c| &c.path),
            "concept",
            id.0,
        )
    };
    let concepts = module
        .concepts
        .iter()
        .map(|c| {
            let refinement = match &c.refinement {
                Refinement::None => json!({ "kind": "none" }),
                Refinement::Iff => json!({ "kind": "iff" }),
                Refinement::Where { texts, .. } => json!({ "kind": "where", "conditions": texts }),
            };
            let fields: Vec<Value> = c
                .fields
                .iter()
                .map(|f| json!({ "name": f.name, "type": f.ty.render(&module.type_names()), "mutable": f.mutable, "doc": f.doc }))
                .collect();
            let key = c
                .key
                .and_then(|k| c.fields.get(k as usize))
                .map(|f| f.name.clone());
            let value = json!({
                "name": c.name,
                "path": c.path,
                "metatype": c.metatype,
                "visibility": visibility(c.visibility),
                "supertypes": c.supertypes.iter().map(concept_path).collect::<Vec<_>>(),
                "key": key,
                "fields": fields,
                "refinement": refinement,
                "doc": c.doc,
            });
            (c.path.clone(), value)
        })
        .collect();
    // The hidden relations that hold per-tuple field values are storage
    // details of their relation, which lists the fields itself.
    let hidden: Vec<usize> = module
        .relations
        .iter()
        .filter_map(|r| r.field_values.map(|id| id.index()))
        .collect();
    let relations = module
        .relations
        .iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
        .map(|(_, r)| {
            let mut value = json!({
                "name": r.name,
                "path": r.path,
                "metarel": r.metarel,
                "visibility": visibility(r.visibility),
                "params": params(module, &r.params),
                "cardinalities": r.cardinalities.iter().map(cardinality_json).collect::<Vec<_>>(),
                "doc": r.doc,
            });
            if !r.fields.is_empty() {
                value["fields"] = params(module, &r.fields);
            }
            (r.path.clone(), value)
        })
        .collect();
    let structs = module
        .structs
        .iter()
        .map(|s| {
            let fields: Vec<Value> = s
                .fields
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let doc = s.field_docs.get(i).cloned().flatten();
                    json!({ "name": p.name, "type": p.ty.render(&module.type_names()), "doc": doc })
                })
                .collect();
            let value = json!({ "name": s.name, "path": s.path, "fields": fields, "doc": s.doc });
            (s.path.clone(), value)
        })
        .collect();
    let enums = module
        .enums
        .iter()
        .map(|e| {
            let variants: Vec<Value> = e
                .variants
                .iter()
                .map(|v| json!({ "name": v.name, "payload": params(module, &v.payload), "doc": v.doc }))
                .collect();
            (
                e.path.clone(),
                json!({ "name": e.name, "path": e.path, "variants": variants, "doc": e.doc }),
            )
        })
        .collect();
    let standpoints = module
        .standpoints
        .iter()
        .map(|s| {
            let parents: Vec<String> = s
                .parents
                .iter()
                .map(|p| {
                    name_or(
                        module.standpoints.get(p.index()).map(|s| &s.path),
                        "standpoint",
                        p.0,
                    )
                })
                .collect();
            (
                s.path.clone(),
                json!({ "name": s.name, "path": s.path, "parents": parents }),
            )
        })
        .collect();
    let queries = module
        .queries
        .iter()
        .filter(|q| q.visibility == Visibility::Public)
        .map(|q| {
            let qparams: Vec<Value> = q
                .params
                .iter()
                .map(|p| json!({ "name": p.name, "type": p.ty.render(&module.type_names()), "optional": p.optional }))
                .collect();
            let value = json!({
                "name": q.name,
                "path": q.path,
                "params": qparams,
                "result": q.result.render(&module.type_names()),
                "rows": matches!(q.result, Type::List(..) | Type::Set(_)) || matches!(q.body, QueryBody::Extent(_)),
                "across": q.across.iter().map(|s| name_or(module.standpoints.get(s.index()).map(|s| &s.path), "standpoint", s.0)).collect::<Vec<_>>(),
                "doc": q.doc,
            });
            (q.path.clone(), value)
        })
        .collect();
    let mutations = module
        .mutations
        .iter()
        .filter(|m| m.visibility == Visibility::Public)
        .map(|m| {
            let value = json!({
                "name": m.name,
                "path": m.path,
                "params": params(module, &m.params),
                "result": m.result.render(&module.type_names()),
                "forgets": m.forgets || m.allow_forget,
                "doc": m.doc,
            });
            (m.path.clone(), value)
        })
        .collect();
    let functions = module
        .functions
        .iter()
        .filter(|f| f.visibility == Visibility::Public)
        .map(|f| {
            let value = json!({
                "name": f.name,
                "path": f.path,
                "params": params(module, &f.params),
                "result": f.result.render(&module.type_names()),
                "doc": f.doc,
            });
            (f.path.clone(), value)
        })
        .collect();
    json!({
        "package": { "name": module.package.name, "version": module.package.version },
        "schemaHash": schema_hash,
        "concepts": sorted_by_path(concepts),
        "relations": sorted_by_path(relations),
        "structs": sorted_by_path(structs),
        "enums": sorted_by_path(enums),
        "standpoints": sorted_by_path(standpoints),
        "queries": sorted_by_path(queries),
        "mutations": sorted_by_path(mutations),
        "functions": sorted_by_path(functions),
    })
}
