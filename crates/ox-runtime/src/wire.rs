//! JSON encoding of values on the wire (see `50-serving.md`, "Value encoding on the wire").
//!
//! | type | JSON |
//! |---|---|
//! | `Int`, `Nat` | integer (input: integers only, range-checked) |
//! | `Real`, `Decimal` | decimal string `"100.50"` (input: number or string, exact) |
//! | `Money` | `{"amount": "9500.00", "currency": "USD"}` (input also a number or decimal string, currency-less) |
//! | `Date` / `DateTime` / `Duration` | `"2026-01-01"` / RFC 3339 UTC / ISO 8601 `"P30D"` |
//! | `String`, `Bool` | themselves |
//! | individual | `{"id": "alice", "type": "Person"}` (input `"alice"` or `{"id": "alice"}`) |
//! | enum | variant name, or `{"Variant": payload}` (one payload value as itself, several as an array or an object by name) |
//! | struct, record, tuple row | object keyed by field name |
//! | `[T]`, `Set<T>` | array |
//! | `Map<String, V>` | object; other maps: array of `[key, value]` pairs |
//! | `Option<T>` | `null` or the value |

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use ox_ir::{ConceptId, Duration, Module, Money, Param, Type, Value};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value as Json};

use crate::error::RuntimeError;

/// Encodes a value of type `ty`. An individual's `type` is the concept named
/// by `ty` (the engine reports the most specific asserted concept instead).
pub fn to_json(module: &Module, value: &Value, ty: &Type) -> Json {
    encode(module, value, ty, &|_| None)
}

/// Decodes a JSON value as type `ty`. `resolve_individual(id)` says whether
/// `id` names a live individual; an unknown one is `ARGON_RUNTIME_VALIDATION_FAILED`
/// naming it, as is any value that does not fit the type.
pub fn from_json(
    module: &Module,
    json: &Json,
    ty: &Type,
    resolve_individual: impl Fn(&str) -> bool,
) -> Result<Value, RuntimeError> {
    let resolve = |id: &str, _: ConceptId| {
        if resolve_individual(id) {
            Ok(())
        } else {
            Err(CoerceError::UnknownIndividual(id.to_owned()))
        }
    };
    decode(module, json, ty, &resolve).map_err(CoerceError::into_runtime)
}

/// Why a JSON value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CoerceError {
    /// The value does not fit the type.
    Shape(String),
    /// An individual id that names no live individual (of the expected concept).
    UnknownIndividual(String),
}

impl CoerceError {
    /// Both kinds as `ARGON_RUNTIME_VALIDATION_FAILED`.
    pub(crate) fn into_runtime(self) -> RuntimeError {
        match self {
            CoerceError::Shape(m) => RuntimeError::validation(m),
            CoerceError::UnknownIndividual(id) => unknown_individual(&id),
        }
    }
}

/// `ARGON_RUNTIME_VALIDATION_FAILED` naming an unknown individual.
pub(crate) fn unknown_individual(id: &str) -> RuntimeError {
    RuntimeError::validation(format!("unknown individual `{}`", id.escape_debug()))
        .with_details(json!({ "individual": id }))
}

fn shape(message: impl Into<String>) -> CoerceError {
    CoerceError::Shape(message.into())
}

/// Looks up the concept to report as an individual's `type`.
pub(crate) type TypeLookup<'a> = &'a dyn Fn(&str) -> Option<ConceptId>;

/// Encodes with an individual-type lookup.
pub(crate) fn encode(module: &Module, value: &Value, ty: &Type, types: TypeLookup<'_>) -> Json {
    match (ty, value) {
        (_, Value::Null) => Json::Null,
        (Type::Option(inner), v) => encode(module, v, inner, types),
        (Type::Nat | Type::Int, Value::Nat(_) | Value::Int(_)) => {
            encode_untyped(module, value, types)
        }
        (Type::Real | Type::Decimal, Value::Nat(n)) => Json::String(n.to_string()),
        (Type::Real | Type::Decimal, Value::Int(n)) => Json::String(n.to_string()),
        (Type::Concept(c), Value::Ref(id)) => {
            let concept = types(id).unwrap_or(*c);
            individual_json(module, id, concept)
        }
        (Type::Struct(s), Value::Struct(id, fields)) if id == s => {
            match module.structs.get(s.index()) {
                Some(decl) => object_of(module, &decl.fields, fields, types),
                None => encode_untyped(module, value, types),
            }
        }
        (Type::Enum(e), Value::Enum(id, variant, payload)) if id == e => {
            let v = module
                .enums
                .get(e.index())
                .and_then(|d| d.variants.get(*variant as usize));
            match v {
                Some(v) => enum_json(module, &v.name, &v.payload, payload, types),
                None => encode_untyped(module, value, types),
            }
        }
        (Type::List(inner, _) | Type::Set(inner), Value::List(items)) => Json::Array(
            items
                .iter()
                .map(|i| encode(module, i, inner, types))
                .collect(),
        ),
        (Type::Map(k, v), Value::Map(pairs)) => {
            if matches!(**k, Type::String) {
                let mut obj = Map::new();
                for (key, value) in pairs {
                    if let Value::String(key) = key {
                        obj.insert(key.clone(), encode(module, value, v, types));
                    }
                }
                Json::Object(obj)
            } else {
                Json::Array(
                    pairs
                        .iter()
                        .map(|(key, value)| {
                            json!([
                                encode(module, key, k, types),
                                encode(module, value, v, types)
                            ])
                        })
                        .collect(),
                )
            }
        }
        (Type::Tuple(p), Value::List(items)) => match module.predicates.get(p.index()) {
            Some(pred) => object_of(module, &pred.params, items, types),
            None => encode_untyped(module, value, types),
        },
        (Type::Record(fields), Value::List(items)) => {
            let mut obj = Map::new();
            for ((name, t), v) in fields.iter().zip(items) {
                obj.insert(name.clone(), encode(module, v, t, types));
            }
            Json::Object(obj)
        }
        (Type::Unit, _) => Json::Null,
        _ => encode_untyped(module, value, types),
    }
}

fn individual_json(module: &Module, id: &str, concept: ConceptId) -> Json {
    let name = module
        .concepts
        .get(concept.index())
        .map_or("", |c| c.name.as_str());
    json!({ "id": id, "type": name })
}

fn object_of(module: &Module, params: &[Param], values: &[Value], types: TypeLookup<'_>) -> Json {
    let mut obj = Map::with_capacity(params.len());
    for (p, v) in params.iter().zip(values) {
        obj.insert(p.name.clone(), encode(module, v, &p.ty, types));
    }
    Json::Object(obj)
}

fn positional(params: &[Param]) -> bool {
    params.iter().all(|p| p.name.parse::<usize>().is_ok())
}

fn enum_json(
    module: &Module,
    name: &str,
    params: &[Param],
    payload: &[Value],
    types: TypeLookup<'_>,
) -> Json {
    let inner = match (params, payload) {
        (_, []) => return Json::String(name.to_owned()),
        ([p], [v]) => encode(module, v, &p.ty, types),
        _ if positional(params) => Json::Array(
            params
                .iter()
                .zip(payload)
                .map(|(p, v)| encode(module, v, &p.ty, types))
                .collect(),
        ),
        _ => object_of(module, params, payload, types),
    };
    let mut obj = Map::new();
    obj.insert(name.to_owned(), inner);
    Json::Object(obj)
}

/// Encodes a value without a declared type (domain events, dry-run bodies).
pub(crate) fn encode_untyped(module: &Module, value: &Value, types: TypeLookup<'_>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Nat(n) => json!(n),
        Value::Int(n) => json!(n),
        Value::Decimal(d) => Json::String(d.to_string()),
        Value::Money(m) => json!({ "amount": m.amount.to_string(), "currency": m.currency }),
        Value::String(s) => Json::String(s.clone()),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::DateTime(t) => Json::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        Value::Duration(d) => Json::String(d.to_iso8601()),
        Value::Ref(id) => match types(id) {
            Some(c) => individual_json(module, id, c),
            None => json!({ "id": id }),
        },
        Value::Struct(s, fields) => match module.structs.get(s.index()) {
            Some(decl) => object_of(module, &decl.fields, fields, types),
            None => Json::Array(
                fields
                    .iter()
                    .map(|f| encode_untyped(module, f, types))
                    .collect(),
            ),
        },
        Value::Enum(e, variant, payload) => {
            let v = module
                .enums
                .get(e.index())
                .and_then(|d| d.variants.get(*variant as usize));
            match v {
                Some(v) => enum_json(module, &v.name, &v.payload, payload, types),
                None => Json::String(format!("#{variant}")),
            }
        }
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|i| encode_untyped(module, i, types))
                .collect(),
        ),
        Value::Map(pairs) => {
            if pairs.iter().all(|(k, _)| matches!(k, Value::String(_))) {
                let mut obj = Map::new();
                for (k, v) in pairs {
                    if let Value::String(k) = k {
                        obj.insert(k.clone(), encode_untyped(module, v, types));
                    }
                }
                Json::Object(obj)
            } else {
                Json::Array(
                    pairs
                        .iter()
                        .map(|(k, v)| {
                            json!([
                                encode_untyped(module, k, types),
                                encode_untyped(module, v, types)
                            ])
                        })
                        .collect(),
                )
            }
        }
    }
}

/// Checks an individual id against the expected concept.
pub(crate) type Resolver<'a> = &'a dyn Fn(&str, ConceptId) -> Result<(), CoerceError>;

fn kind_of(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn expected(what: &str, json: &Json) -> CoerceError {
    shape(format!("expected {what}, found {}", kind_of(json)))
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

fn decimal_of(json: &Json) -> Result<Decimal, CoerceError> {
    match json {
        Json::Number(n) => parse_decimal(&n.to_string())
            .ok_or_else(|| shape(format!("{n} is not representable as an exact decimal"))),
        Json::String(s) => parse_decimal(s.trim())
            .filter(|_| !s.trim().is_empty())
            .ok_or_else(|| shape(format!("`{}` is not a decimal number", s.escape_debug()))),
        other => Err(expected("a decimal (number or string)", other)),
    }
}

fn currency_of(json: &Json) -> Result<Option<String>, CoerceError> {
    match json {
        Json::Null => Ok(None),
        Json::String(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) => {
            Ok(Some(c.clone()))
        }
        Json::String(c) => Err(shape(format!(
            "`{}` is not an ISO-4217 currency code (three capital letters)",
            c.escape_debug()
        ))),
        other => Err(expected("a currency code", other)),
    }
}

fn string_of<'j>(json: &'j Json, what: &str) -> Result<&'j str, CoerceError> {
    json.as_str().ok_or_else(|| expected(what, json))
}

/// Decodes a JSON value as `ty`, resolving individuals with `resolve`.
pub(crate) fn decode(
    module: &Module,
    json: &Json,
    ty: &Type,
    resolve: Resolver<'_>,
) -> Result<Value, CoerceError> {
    match ty {
        Type::Option(inner) => match json {
            Json::Null => Ok(Value::Null),
            j => decode(module, j, inner, resolve),
        },
        Type::Unit => match json {
            Json::Null => Ok(Value::Null),
            other => Err(expected("null", other)),
        },
        Type::Nat => match json {
            Json::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(v), _) => Ok(Value::Nat(v)),
                (None, Some(_)) => Err(shape(format!(
                    "expected Nat, found the negative number {n}"
                ))),
                _ => Err(shape(format!(
                    "expected Nat (a whole number from 0 to {}), found {n}",
                    u64::MAX
                ))),
            },
            other => Err(expected("Nat (a whole number)", other)),
        },
        Type::Int => match json {
            Json::Number(n) => n.as_i64().map(Value::Int).ok_or_else(|| {
                shape(format!(
                    "expected Int (a whole number from {} to {}), found {n}",
                    i64::MIN,
                    i64::MAX
                ))
            }),
            other => Err(expected("Int (a whole number)", other)),
        },
        Type::Real | Type::Decimal => decimal_of(json).map(Value::Decimal),
        Type::Money => match json {
            Json::Object(obj) => {
                if let Some(extra) = obj.keys().find(|k| *k != "amount" && *k != "currency") {
                    return Err(shape(format!("unexpected key `{extra}` in a Money value")));
                }
                let amount = decimal_of(
                    obj.get("amount")
                        .ok_or_else(|| shape("a Money value needs an `amount`"))?,
                )?;
                let currency = currency_of(obj.get("currency").unwrap_or(&Json::Null))?;
                Ok(Value::Money(Money { amount, currency }))
            }
            other => Ok(Value::Money(Money {
                amount: decimal_of(other)?,
                currency: None,
            })),
        },
        Type::String => string_of(json, "a string").map(|s| Value::String(s.to_owned())),
        Type::Bool => json
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| expected("a boolean", json)),
        Type::Date => {
            let s = string_of(json, "a date (\"2026-01-01\")")?;
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Value::Date)
                .map_err(|_| {
                    shape(format!(
                        "`{}` is not a date like 2026-01-01",
                        s.escape_debug()
                    ))
                })
        }
        Type::DateTime => {
            let s = string_of(json, "an RFC 3339 date-time")?;
            DateTime::parse_from_rfc3339(s)
                .map(|t| Value::DateTime(t.with_timezone(&Utc)))
                .map_err(|_| {
                    shape(format!(
                        "`{}` is not an RFC 3339 date-time like 2026-01-01T09:30:00Z",
                        s.escape_debug()
                    ))
                })
        }
        Type::Duration => {
            let s = string_of(json, "an ISO 8601 duration (\"P30D\")")?;
            Duration::parse_iso8601(s)
                .map(Value::Duration)
                .map_err(|e| shape(e.to_string()))
        }
        Type::Concept(c) => {
            let id = match json {
                Json::String(s) => s.as_str(),
                Json::Object(obj) => {
                    if let Some(extra) = obj.keys().find(|k| *k != "id" && *k != "type") {
                        return Err(shape(format!(
                            "unexpected key `{extra}` in an individual reference"
                        )));
                    }
                    obj.get("id")
                        .and_then(Json::as_str)
                        .ok_or_else(|| shape("an individual reference needs a string `id`"))?
                }
                other => {
                    return Err(expected(
                        "an individual id (\"alice\" or {\"id\": \"alice\"})",
                        other,
                    ))
                }
            };
            resolve(id, *c)?;
            Ok(Value::Ref(id.to_owned()))
        }
        Type::Struct(s) => {
            let decl = module
                .structs
                .get(s.index())
                .ok_or_else(|| shape("unknown struct type"))?;
            let obj = json
                .as_object()
                .ok_or_else(|| expected(&format!("a `{}` object", decl.name), json))?;
            decode_fields(module, &decl.name, &decl.fields, obj, resolve)
                .map(|fields| Value::Struct(*s, fields))
        }
        Type::Enum(e) => decode_enum(module, *e, json, resolve),
        Type::List(inner, card) => {
            crate::typing::bounded_set(decode_items(module, json, inner, resolve)?, card)
                .map_err(shape)
        }
        Type::Set(inner) => decode_items(module, json, inner, resolve).map(Value::set),
        Type::Map(k, v) => {
            let mut pairs = match json {
                Json::Object(obj) if matches!(**k, Type::String) => obj
                    .iter()
                    .map(|(key, value)| {
                        Ok((
                            Value::String(key.clone()),
                            decode(module, value, v, resolve)?,
                        ))
                    })
                    .collect::<Result<Vec<_>, CoerceError>>()?,
                Json::Array(items) => items
                    .iter()
                    .map(|pair| match pair.as_array().map(Vec::as_slice) {
                        Some([key, value]) => Ok((
                            decode(module, key, k, resolve)?,
                            decode(module, value, v, resolve)?,
                        )),
                        _ => Err(shape("a map entry must be a [key, value] pair")),
                    })
                    .collect::<Result<Vec<_>, CoerceError>>()?,
                other => return Err(expected("a map (object or array of pairs)", other)),
            };
            pairs.sort();
            pairs.dedup_by(|a, b| a.0 == b.0);
            Ok(Value::Map(pairs))
        }
        Type::Tuple(p) => {
            let pred = module
                .predicates
                .get(p.index())
                .ok_or_else(|| shape("unknown predicate type"))?;
            let obj = json
                .as_object()
                .ok_or_else(|| expected(&format!("a `{}` object", pred.name), json))?;
            decode_fields(module, &pred.name, &pred.params, obj, resolve).map(Value::List)
        }
        Type::Record(fields) => {
            let params: Vec<Param> = fields
                .iter()
                .map(|(name, ty)| Param {
                    name: name.clone(),
                    ty: ty.clone(),
                })
                .collect();
            let obj = json
                .as_object()
                .ok_or_else(|| expected("an object", json))?;
            decode_fields(module, "record", &params, obj, resolve).map(Value::List)
        }
    }
}

fn decode_items(
    module: &Module,
    json: &Json,
    inner: &Type,
    resolve: Resolver<'_>,
) -> Result<Vec<Value>, CoerceError> {
    let items = json.as_array().ok_or_else(|| expected("an array", json))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            decode(module, item, inner, resolve).map_err(|e| match e {
                CoerceError::Shape(m) => shape(format!("element {i}: {m}")),
                other => other,
            })
        })
        .collect()
}

fn decode_fields(
    module: &Module,
    what: &str,
    params: &[Param],
    obj: &Map<String, Json>,
    resolve: Resolver<'_>,
) -> Result<Vec<Value>, CoerceError> {
    if let Some(extra) = obj.keys().find(|k| !params.iter().any(|p| &p.name == *k)) {
        return Err(shape(format!("`{what}` has no field `{extra}`")));
    }
    params
        .iter()
        .map(|p| match obj.get(&p.name) {
            Some(v) => decode(module, v, &p.ty, resolve).map_err(|e| match e {
                CoerceError::Shape(m) => shape(format!("`{}`: {m}", p.name)),
                other => other,
            }),
            None if matches!(p.ty, Type::Option(_)) => Ok(Value::Null),
            None => Err(shape(format!("`{what}` needs field `{}`", p.name))),
        })
        .collect()
}

fn decode_enum(
    module: &Module,
    e: ox_ir::EnumId,
    json: &Json,
    resolve: Resolver<'_>,
) -> Result<Value, CoerceError> {
    let decl = module
        .enums
        .get(e.index())
        .ok_or_else(|| shape("unknown enum type"))?;
    let find = |name: &str| {
        decl.variants
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = decl.variants.iter().map(|v| v.name.as_str()).collect();
                shape(format!(
                    "`{}` is not a variant of `{}` (one of: {})",
                    name.escape_debug(),
                    decl.name,
                    names.join(", ")
                ))
            })
    };
    match json {
        Json::String(name) => {
            let i = find(name)?;
            if decl.variants[i].payload.is_empty() {
                Ok(Value::Enum(e, i as u32, Vec::new()))
            } else {
                Err(shape(format!(
                    "variant `{name}` needs a payload: {{\"{name}\": …}}"
                )))
            }
        }
        Json::Object(obj) if obj.len() == 1 => {
            let (name, payload) = obj
                .iter()
                .next()
                .ok_or_else(|| shape("empty enum object"))?;
            let i = find(name)?;
            let params = &decl.variants[i].payload;
            let values = match (params.as_slice(), payload) {
                ([], Json::Null) => Vec::new(),
                ([], _) => return Err(shape(format!("variant `{name}` takes no payload"))),
                ([p], j) => vec![decode(module, j, &p.ty, resolve)?],
                (ps, Json::Array(items)) if items.len() == ps.len() => ps
                    .iter()
                    .zip(items)
                    .map(|(p, j)| decode(module, j, &p.ty, resolve))
                    .collect::<Result<_, _>>()?,
                (ps, Json::Object(fields)) => decode_fields(module, name, ps, fields, resolve)?,
                (ps, _) => {
                    return Err(shape(format!(
                        "variant `{name}` needs {} payload values",
                        ps.len()
                    )))
                }
            };
            Ok(Value::Enum(e, i as u32, values))
        }
        other => Err(expected(
            &format!("a `{}` variant name or {{\"Variant\": payload}}", decl.name),
            other,
        )),
    }
}
