//! Event bodies and axiom ids: how facts are written to the log and read back.
//!
//! | kind | op | axiom id | body (CBOR array) |
//! |---|---|---|---|
//! | `individual` / `individual_retired` | assert / retract | `ind:{id}` | `[id, concept path]` |
//! | `property_assertion` / `property_retraction` | assert / retract | `field:{id}:{field path}` (single-valued) or `field:{id}:{field path}:{value hash}` (multi-valued) | `[id, field path, value]` |
//! | `iof_assertion` / `iof_retraction` | assert / retract | `iof:{id}:{concept path}` | `[id, concept path]` |
//! | `relation_tuple` / `relation_retraction` | assert / retract | `rel:{relation path}:{args hash}` | `[relation path, [args]]` |
//! | `domain_event` | assert | `emit:{uuid}` | `[name, value]` |
//!
//! A field path is `{concept path}.{field name}` of the concept that declares
//! the field. Ids inside axiom ids escape `%` and `:` (`%25`, `%3A`) so an
//! axiom id always splits unambiguously. Paths and names, never indices, are
//! stored, so the log survives a rebuild that reorders declarations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ciborium::value::Value as Cbor;
use ox_ir::expr::FieldRef;
use ox_ir::{ConceptId, Module, RelationId, Type, Value};
use ox_store::{Event, NewEvent, Op};

use crate::codec::{self, DecodeError};

/// One logical fact carried by an event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fact {
    /// An individual and the concept it was inserted as.
    Individual { id: String, concept: ConceptId },
    /// One value of one field of an individual.
    Property {
        id: String,
        field: FieldRef,
        value: Value,
    },
    /// A classification of an individual into a (primitive) concept.
    Iof { id: String, concept: ConceptId },
    /// A relation tuple.
    Tuple {
        relation: RelationId,
        args: Vec<Value>,
    },
    /// A domain event (`emit`).
    Domain { name: String, value: Value },
}

/// Lookups from stored paths back to the module's indices.
#[derive(Debug, Default)]
pub(crate) struct PathIndex {
    concepts: HashMap<String, ConceptId>,
    fields: HashMap<String, FieldRef>,
    relations: HashMap<String, RelationId>,
}

impl PathIndex {
    /// Indexes every concept, field and relation path of the module.
    pub(crate) fn new(module: &Module) -> PathIndex {
        let mut index = PathIndex::default();
        for (ci, c) in module.concepts.iter().enumerate() {
            let concept = ConceptId(ci as u32);
            index.concepts.insert(c.path.clone(), concept);
            for (fi, f) in c.fields.iter().enumerate() {
                index.fields.insert(
                    format!("{}.{}", c.path, f.name),
                    FieldRef {
                        concept,
                        field: fi as u32,
                    },
                );
            }
        }
        for (ri, r) in module.relations.iter().enumerate() {
            index
                .relations
                .insert(r.path.clone(), RelationId(ri as u32));
        }
        index
    }
}

/// The stored path of a field.
pub(crate) fn field_path(module: &Module, field: FieldRef) -> String {
    let concept = module.concept(field.concept);
    format!("{}.{}", concept.path, module.field(field).name)
}

/// Whether a field of this type holds several values (one fact per element).
pub(crate) fn is_multi_valued(ty: &Type) -> bool {
    matches!(ty.without_option(), Type::List(..) | Type::Set(_))
}

fn escape_id(id: &str) -> String {
    id.replace('%', "%25").replace(':', "%3A")
}

/// The axiom id of a fact (a domain event gets a fresh unique one).
pub(crate) fn axiom_id(module: &Module, fact: &Fact) -> String {
    match fact {
        Fact::Individual { id, .. } => format!("ind:{}", escape_id(id)),
        Fact::Property { id, field, value } => {
            let base = format!("field:{}:{}", escape_id(id), field_path(module, *field));
            if is_multi_valued(&module.field(*field).ty) {
                format!(
                    "{base}:{}",
                    codec::hash_values(module, std::slice::from_ref(value))
                )
            } else {
                base
            }
        }
        Fact::Iof { id, concept } => {
            format!("iof:{}:{}", escape_id(id), module.concept(*concept).path)
        }
        Fact::Tuple { relation, args } => format!(
            "rel:{}:{}",
            module.relations[relation.index()].path,
            codec::hash_values(module, args)
        ),
        Fact::Domain { .. } => format!("emit:{}", uuid::Uuid::now_v7()),
    }
}

/// The kind tag of an event carrying `fact` with `op`.
pub(crate) fn kind(fact: &Fact, op: Op) -> &'static str {
    match (fact, op) {
        (Fact::Individual { .. }, Op::Assert) => "individual",
        (Fact::Individual { .. }, Op::Retract) => "individual_retired",
        (Fact::Property { .. }, Op::Assert) => "property_assertion",
        (Fact::Property { .. }, Op::Retract) => "property_retraction",
        (Fact::Iof { .. }, Op::Assert) => "iof_assertion",
        (Fact::Iof { .. }, Op::Retract) => "iof_retraction",
        (Fact::Tuple { .. }, Op::Assert) => "relation_tuple",
        (Fact::Tuple { .. }, Op::Retract) => "relation_retraction",
        (Fact::Domain { .. }, _) => "domain_event",
    }
}

/// The deterministic CBOR body of a fact.
pub(crate) fn body(module: &Module, fact: &Fact) -> Vec<u8> {
    let tree = match fact {
        Fact::Individual { id, concept } | Fact::Iof { id, concept } => Cbor::Array(vec![
            Cbor::Text(id.clone()),
            Cbor::Text(module.concept(*concept).path.clone()),
        ]),
        Fact::Property { id, field, value } => Cbor::Array(vec![
            Cbor::Text(id.clone()),
            Cbor::Text(field_path(module, *field)),
            codec::encode_value(module, value),
        ]),
        Fact::Tuple { relation, args } => Cbor::Array(vec![
            Cbor::Text(module.relations[relation.index()].path.clone()),
            Cbor::Array(
                args.iter()
                    .map(|v| codec::encode_value(module, v))
                    .collect(),
            ),
        ]),
        Fact::Domain { name, value } => Cbor::Array(vec![
            Cbor::Text(name.clone()),
            codec::encode_value(module, value),
        ]),
    };
    codec::to_bytes(&tree)
}

/// Builds the event that writes `fact` with `op`.
pub(crate) fn new_event(
    module: &Module,
    fact: &Fact,
    op: Op,
    standpoint: Option<&str>,
    valid_from: Option<DateTime<Utc>>,
) -> NewEvent {
    NewEvent {
        axiom_id: axiom_id(module, fact),
        kind: kind(fact, op).to_owned(),
        op,
        body: body(module, fact),
        standpoint: standpoint.map(str::to_owned),
        valid_from,
        valid_to: None,
    }
}

fn text(c: &Cbor) -> Result<&str, DecodeError> {
    match c {
        Cbor::Text(s) => Ok(s),
        _ => Err(DecodeError("expected text in an event body".into())),
    }
}

/// Reads the fact of a stored event; `Ok(None)` for kinds this runtime does not know.
pub(crate) fn decode(
    module: &Module,
    index: &PathIndex,
    event: &Event,
) -> Result<Option<Fact>, DecodeError> {
    let tree = codec::from_bytes(&event.body)?;
    let items: &[Cbor] = match &tree {
        Cbor::Array(items) => items,
        _ => return Err(DecodeError("event body is not an array".into())),
    };
    let item = |i: usize| {
        items
            .get(i)
            .ok_or_else(|| DecodeError(format!("truncated `{}` body", event.kind)))
    };
    let concept = |path: &str| {
        index
            .concepts
            .get(path)
            .copied()
            .ok_or_else(|| DecodeError(format!("unknown concept `{path}`")))
    };
    let fact = match event.kind.as_str() {
        "individual" | "individual_retired" => Fact::Individual {
            id: text(item(0)?)?.to_owned(),
            concept: concept(text(item(1)?)?)?,
        },
        "iof_assertion" | "iof_retraction" => Fact::Iof {
            id: text(item(0)?)?.to_owned(),
            concept: concept(text(item(1)?)?)?,
        },
        "property_assertion" | "property_retraction" => {
            let path = text(item(1)?)?;
            let field = index
                .fields
                .get(path)
                .copied()
                .ok_or_else(|| DecodeError(format!("unknown field `{path}`")))?;
            Fact::Property {
                id: text(item(0)?)?.to_owned(),
                field,
                value: codec::decode_value(module, item(2)?)?,
            }
        }
        "relation_tuple" | "relation_retraction" => {
            let path = text(item(0)?)?;
            let relation = index
                .relations
                .get(path)
                .copied()
                .ok_or_else(|| DecodeError(format!("unknown relation `{path}`")))?;
            let args = match item(1)? {
                Cbor::Array(args) => args
                    .iter()
                    .map(|a| codec::decode_value(module, a))
                    .collect::<Result<_, _>>()?,
                _ => return Err(DecodeError("relation arguments are not an array".into())),
            };
            Fact::Tuple { relation, args }
        }
        "domain_event" => Fact::Domain {
            name: text(item(0)?)?.to_owned(),
            value: codec::decode_value(module, item(1)?)?,
        },
        _ => return Ok(None),
    };
    Ok(Some(fact))
}

/// A JSON rendering of an event about to be written (dry runs).
pub(crate) fn event_json(
    module: &Module,
    event: &NewEvent,
    fact: &Fact,
    types: crate::wire::TypeLookup<'_>,
) -> serde_json::Value {
    serde_json::json!({
        "kind": event.kind,
        "op": event.op.as_str(),
        "axiomId": event.axiom_id,
        "standpoint": event.standpoint,
        "fact": fact_json(module, fact, types),
    })
}

/// A JSON rendering of a fact (paths and wire-encoded values).
pub(crate) fn fact_json(
    module: &Module,
    fact: &Fact,
    types: crate::wire::TypeLookup<'_>,
) -> serde_json::Value {
    use serde_json::json;
    let value = |v: &Value| crate::wire::encode_untyped(module, v, types);
    match fact {
        Fact::Individual { id, concept } | Fact::Iof { id, concept } => {
            json!({ "id": id, "concept": module.concept(*concept).path })
        }
        Fact::Property {
            id,
            field,
            value: v,
        } => json!({ "id": id, "field": field_path(module, *field), "value": value(v) }),
        Fact::Tuple { relation, args } => json!({
            "relation": module.relations[relation.index()].path,
            "args": args.iter().map(value).collect::<Vec<_>>(),
        }),
        Fact::Domain { name, value: v } => json!({ "name": name, "value": value(v) }),
    }
}
