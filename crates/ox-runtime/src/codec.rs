//! Deterministic CBOR encoding of run-time values for event bodies.
//!
//! Values are written as self-describing CBOR trees that name structs and
//! enums by path and their fields and variants by name (never by index), so
//! stored data survives a rebuild of the module that reorders declarations.
//! Every compound is an array with a fixed element order, so equal values
//! always encode to equal bytes.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use ciborium::value::{Integer, Value as Cbor};
use ox_ir::{Duration, EnumId, Module, Money, StructId, Value};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Why a stored body could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError(pub String);

fn bad(what: impl Into<String>) -> DecodeError {
    DecodeError(what.into())
}

fn tagged(tag: &str, items: Vec<Cbor>) -> Cbor {
    let mut all = Vec::with_capacity(items.len() + 1);
    all.push(Cbor::Text(tag.to_owned()));
    all.extend(items);
    Cbor::Array(all)
}

/// Encodes a value as a CBOR tree.
pub(crate) fn encode_value(module: &Module, value: &Value) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Nat(n) => tagged("nat", vec![Cbor::Integer(Integer::from(*n))]),
        Value::Int(n) => tagged("int", vec![Cbor::Integer(Integer::from(*n))]),
        Value::Decimal(d) => tagged("dec", vec![Cbor::Text(d.to_string())]),
        Value::Money(m) => tagged(
            "money",
            vec![
                Cbor::Text(m.amount.to_string()),
                m.currency.clone().map_or(Cbor::Null, Cbor::Text),
            ],
        ),
        Value::Date(d) => tagged("date", vec![Cbor::Text(d.format("%Y-%m-%d").to_string())]),
        Value::DateTime(t) => tagged(
            "datetime",
            vec![Cbor::Text(
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )],
        ),
        Value::Duration(d) => tagged(
            "duration",
            vec![
                Cbor::Integer(Integer::from(d.months)),
                Cbor::Integer(Integer::from(d.days)),
                Cbor::Integer(Integer::from(d.seconds)),
            ],
        ),
        Value::Ref(id) => tagged("ref", vec![Cbor::Text(id.clone())]),
        Value::Struct(id, fields) => {
            let decl = module.structs.get(id.index());
            let pairs = fields
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let name = decl
                        .and_then(|d| d.fields.get(i))
                        .map_or_else(|| i.to_string(), |f| f.name.clone());
                    Cbor::Array(vec![Cbor::Text(name), encode_value(module, v)])
                })
                .collect();
            let path = decl.map_or_else(|| format!("#{}", id.0), |d| d.path.clone());
            tagged("struct", vec![Cbor::Text(path), Cbor::Array(pairs)])
        }
        Value::Enum(id, variant, payload) => {
            let decl = module.enums.get(id.index());
            let path = decl.map_or_else(|| format!("#{}", id.0), |d| d.path.clone());
            let name = decl
                .and_then(|d| d.variants.get(*variant as usize))
                .map_or_else(|| format!("#{variant}"), |v| v.name.clone());
            let items = payload.iter().map(|v| encode_value(module, v)).collect();
            tagged(
                "enum",
                vec![Cbor::Text(path), Cbor::Text(name), Cbor::Array(items)],
            )
        }
        Value::List(items) => tagged(
            "list",
            vec![Cbor::Array(
                items.iter().map(|v| encode_value(module, v)).collect(),
            )],
        ),
        Value::Map(pairs) => tagged(
            "map",
            vec![Cbor::Array(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        Cbor::Array(vec![encode_value(module, k), encode_value(module, v)])
                    })
                    .collect(),
            )],
        ),
    }
}

fn text(c: &Cbor) -> Result<&str, DecodeError> {
    match c {
        Cbor::Text(s) => Ok(s),
        _ => Err(bad("expected text")),
    }
}

fn array(c: &Cbor) -> Result<&[Cbor], DecodeError> {
    match c {
        Cbor::Array(items) => Ok(items),
        _ => Err(bad("expected an array")),
    }
}

fn int(c: &Cbor) -> Result<i128, DecodeError> {
    match c {
        Cbor::Integer(i) => Ok(i128::from(*i)),
        _ => Err(bad("expected an integer")),
    }
}

fn i64_of(c: &Cbor) -> Result<i64, DecodeError> {
    i64::try_from(int(c)?).map_err(|_| bad("integer out of range"))
}

fn decimal(s: &str) -> Result<Decimal, DecodeError> {
    Decimal::from_str(s).map_err(|_| bad(format!("`{s}` is not a decimal")))
}

fn struct_named(module: &Module, path: &str) -> Option<StructId> {
    module
        .structs
        .iter()
        .position(|s| s.path == path)
        .map(|i| StructId(i as u32))
}

fn enum_named(module: &Module, path: &str) -> Option<EnumId> {
    module
        .enums
        .iter()
        .position(|e| e.path == path)
        .map(|i| EnumId(i as u32))
}

/// Decodes a CBOR tree written by [`encode_value`] under the current module.
pub(crate) fn decode_value(module: &Module, c: &Cbor) -> Result<Value, DecodeError> {
    let items = match c {
        Cbor::Null => return Ok(Value::Null),
        Cbor::Bool(b) => return Ok(Value::Bool(*b)),
        Cbor::Text(s) => return Ok(Value::String(s.clone())),
        Cbor::Array(items) => items,
        _ => return Err(bad("unexpected CBOR item in a value")),
    };
    let (tag, rest) = items
        .split_first()
        .ok_or_else(|| bad("empty value array"))?;
    let arg = |i: usize| rest.get(i).ok_or_else(|| bad("truncated value"));
    match text(tag)? {
        "nat" => u64::try_from(int(arg(0)?)?)
            .map(Value::Nat)
            .map_err(|_| bad("Nat out of range")),
        "int" => i64_of(arg(0)?).map(Value::Int),
        "dec" => decimal(text(arg(0)?)?).map(Value::Decimal),
        "money" => {
            let amount = decimal(text(arg(0)?)?)?;
            let currency = match arg(1)? {
                Cbor::Null => None,
                other => Some(text(other)?.to_owned()),
            };
            Ok(Value::Money(Money { amount, currency }))
        }
        "date" => {
            let s = text(arg(0)?)?;
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Value::Date)
                .map_err(|_| bad(format!("`{s}` is not a date")))
        }
        "datetime" => {
            let s = text(arg(0)?)?;
            DateTime::parse_from_rfc3339(s)
                .map(|t| Value::DateTime(t.with_timezone(&Utc)))
                .map_err(|_| bad(format!("`{s}` is not a date-time")))
        }
        "duration" => Ok(Value::Duration(Duration {
            months: i64_of(arg(0)?)?,
            days: i64_of(arg(1)?)?,
            seconds: i64_of(arg(2)?)?,
        })),
        "ref" => Ok(Value::Ref(text(arg(0)?)?.to_owned())),
        "struct" => {
            let path = text(arg(0)?)?;
            let id = struct_named(module, path)
                .ok_or_else(|| bad(format!("unknown struct `{path}`")))?;
            let decl = &module.structs[id.index()];
            let mut fields = vec![Value::Null; decl.fields.len()];
            for pair in array(arg(1)?)? {
                let pair = array(pair)?;
                let (name, value) = match pair {
                    [name, value] => (text(name)?, value),
                    _ => return Err(bad("malformed struct field")),
                };
                let pos = decl
                    .fields
                    .iter()
                    .position(|f| f.name == name)
                    .ok_or_else(|| bad(format!("struct `{path}` has no field `{name}`")))?;
                fields[pos] = decode_value(module, value)?;
            }
            Ok(Value::Struct(id, fields))
        }
        "enum" => {
            let path = text(arg(0)?)?;
            let id =
                enum_named(module, path).ok_or_else(|| bad(format!("unknown enum `{path}`")))?;
            let name = text(arg(1)?)?;
            let variant = module.enums[id.index()]
                .variants
                .iter()
                .position(|v| v.name == name)
                .ok_or_else(|| bad(format!("enum `{path}` has no variant `{name}`")))?;
            let payload = array(arg(2)?)?
                .iter()
                .map(|v| decode_value(module, v))
                .collect::<Result<_, _>>()?;
            Ok(Value::Enum(id, variant as u32, payload))
        }
        "list" => array(arg(0)?)?
            .iter()
            .map(|v| decode_value(module, v))
            .collect::<Result<_, _>>()
            .map(Value::List),
        "map" => array(arg(0)?)?
            .iter()
            .map(|pair| match array(pair)? {
                [k, v] => Ok((decode_value(module, k)?, decode_value(module, v)?)),
                _ => Err(bad("malformed map entry")),
            })
            .collect::<Result<_, _>>()
            .map(Value::Map),
        other => Err(bad(format!("unknown value tag `{other}`"))),
    }
}

/// Serialises a CBOR tree to bytes.
pub(crate) fn to_bytes(c: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail for a well-formed tree; an error leaves
    // whatever was written, which decoding then reports as malformed.
    if ciborium::ser::into_writer(c, &mut out).is_err() {
        out.clear();
    }
    out
}

/// Parses bytes into a CBOR tree.
pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Cbor, DecodeError> {
    ciborium::de::from_reader(bytes).map_err(|e| bad(format!("malformed CBOR: {e}")))
}

/// A short, stable content hash (32 hex digits of SHA-256) of encoded values.
pub(crate) fn hash_values(module: &Module, values: &[Value]) -> String {
    let tree = Cbor::Array(values.iter().map(|v| encode_value(module, v)).collect());
    let digest = Sha256::digest(to_bytes(&tree));
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module() -> Module {
        Module {
            package: ox_ir::PackageInfo {
                name: "t".into(),
                version: "0".into(),
                entry: "root.ar".into(),
            },
            concepts: vec![],
            relations: vec![],
            structs: vec![ox_ir::StructDecl {
                name: "P".into(),
                path: "t::P".into(),
                fields: vec![
                    ox_ir::Param {
                        name: "x".into(),
                        ty: ox_ir::Type::Int,
                    },
                    ox_ir::Param {
                        name: "y".into(),
                        ty: ox_ir::Type::String,
                    },
                ],
                doc: None,
                field_docs: Vec::new(),
            }],
            enums: vec![ox_ir::EnumDecl {
                name: "E".into(),
                path: "t::E".into(),
                variants: vec![
                    ox_ir::Variant {
                        name: "A".into(),
                        payload: vec![],
                        doc: None,
                    },
                    ox_ir::Variant {
                        name: "B".into(),
                        payload: vec![ox_ir::Param {
                            name: "0".into(),
                            ty: ox_ir::Type::Nat,
                        }],
                        doc: None,
                    },
                ],
                doc: None,
            }],
            predicates: vec![],
            rules: vec![],
            checks: vec![],
            queries: vec![],
            mutations: vec![],
            functions: vec![],
            standpoints: vec![],
        }
    }

    #[test]
    fn every_kind_round_trips_and_is_deterministic() {
        let m = module();
        let values = vec![
            Value::Null,
            Value::Bool(true),
            Value::Nat(u64::MAX),
            Value::Int(i64::MIN),
            Value::Decimal(Decimal::from_str("100.50").unwrap()),
            Value::Money(Money {
                amount: Decimal::from_str("9500.00").unwrap(),
                currency: Some("USD".into()),
            }),
            Value::String("ref".into()),
            Value::Date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            Value::DateTime(Utc::now()),
            Value::Duration(Duration {
                months: 1,
                days: -2,
                seconds: 3,
            }),
            Value::Ref("alice".into()),
            Value::Struct(StructId(0), vec![Value::Int(1), Value::String("a".into())]),
            Value::Enum(EnumId(0), 1, vec![Value::Nat(3)]),
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Value::Map(vec![(Value::String("k".into()), Value::Bool(false))]),
        ];
        for v in values {
            let bytes = to_bytes(&encode_value(&m, &v));
            assert_eq!(bytes, to_bytes(&encode_value(&m, &v)));
            let back = decode_value(&m, &from_bytes(&bytes).unwrap()).unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn unknown_names_are_errors_not_panics() {
        let m = module();
        let tree = tagged(
            "struct",
            vec![Cbor::Text("t::Gone".into()), Cbor::Array(vec![])],
        );
        assert!(decode_value(&m, &tree).is_err());
        assert!(decode_value(&m, &tagged("nat", vec![])).is_err());
        assert!(from_bytes(&[0xff, 0x00]).is_err());
    }
}
