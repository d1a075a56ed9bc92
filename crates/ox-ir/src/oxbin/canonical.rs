//! Deterministic CBOR (RFC 8949 §4.2.1, core deterministic encoding).
//!
//! serde writes struct fields as maps in declaration order, so values are first
//! serialized to a [`ciborium::Value`], then canonicalized: map entries sorted by
//! the bytes of their encoded keys, no duplicate keys, no floats. ciborium
//! already writes the shortest integer forms and definite lengths only.
//!
//! Decoding is lenient about map order but bounded: nesting deeper than
//! [`MAX_NESTING`] is an error, never a stack overflow.

use ciborium::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::{OxbinError, UNENCODABLE};
use crate::module::Module;

/// The deepest nesting of arrays, maps and tags a section may have. The
/// encoder refuses deeper values so that every written artifact can be read.
///
/// An expression level takes two CBOR levels, so this admits expressions
/// about 120 levels deep. Decoding a section at the limit needs about 1.5 MB
/// of stack in unoptimized builds (much less optimized), within the default
/// 2 MB of a spawned thread.
pub const MAX_NESTING: usize = 256;

/// Serializes `value` to deterministic CBOR bytes.
pub fn to_canonical_cbor<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, OxbinError> {
    let canonical = canonical_value(value)?;
    let depth = nesting_depth(&canonical);
    if depth > MAX_NESTING {
        return Err(OxbinError::new(
            UNENCODABLE,
            format!("value nests {depth} levels deep; readers accept at most {MAX_NESTING}"),
        ));
    }
    write_value(&canonical)
}

/// The canonical CBOR of a module, without the nesting bound (for hashing).
///
/// # Panics
///
/// Never for IR values: they contain no floats, and serde serialization of
/// the IR types cannot fail.
pub(crate) fn schema_bytes(module: &Module) -> Vec<u8> {
    canonical_value(module)
        .and_then(|value| write_value(&value))
        .expect("IR modules always have a canonical CBOR form")
}

/// Serializes `value` to a canonicalized [`Value`].
fn canonical_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, OxbinError> {
    let raw = Value::serialized(value)
        .map_err(|e| OxbinError::new(UNENCODABLE, format!("cannot serialize: {e}")))?;
    canonicalize(raw)
}

/// Decodes CBOR bytes (any map order) into `T`; trailing bytes are an error.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, OxbinError> {
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_NESTING)
        .map_err(|e| OxbinError::malformed(format!("invalid CBOR: {e}")))?;
    if !reader.is_empty() {
        return Err(OxbinError::malformed(format!(
            "{} trailing bytes after the CBOR item",
            reader.len()
        )));
    }
    value
        .deserialized()
        .map_err(|e| OxbinError::malformed(format!("unexpected CBOR content: {e}")))
}

/// Sorts every map by encoded key bytes and refuses floats and duplicate keys.
fn canonicalize(value: Value) -> Result<Value, OxbinError> {
    Ok(match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(canonicalize)
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut keyed = entries
                .into_iter()
                .map(|(key, value)| {
                    let key = canonicalize(key)?;
                    let key_order = KeyOrder::of(&key)?;
                    Ok((key_order, key, canonicalize(value)?))
                })
                .collect::<Result<Vec<_>, OxbinError>>()?;
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            if keyed.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                return Err(OxbinError::new(UNENCODABLE, "duplicate map key"));
            }
            Value::Map(keyed.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        Value::Tag(tag, inner) => Value::Tag(tag, Box::new(canonicalize(*inner)?)),
        Value::Float(_) => {
            return Err(OxbinError::new(
                UNENCODABLE,
                "floating-point values are not allowed in an artifact",
            ))
        }
        other => other,
    })
}

/// A map key's place in the canonical order (by its encoded bytes), without
/// encoding it when it is text. The encoding of a text is a header whose
/// bytes grow with the length, then the UTF-8 bytes, so texts order by
/// length, then bytes; and a text header (major type 3) sorts after every
/// integer and byte-string header and before every array, map, tag and
/// simple value. Other keys are compared by their encoded bytes.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyOrder {
    /// Integers and byte strings (major types 0–2).
    BelowText(Vec<u8>),
    /// A text: its length, then its bytes.
    Text(usize, Vec<u8>),
    /// Arrays, maps, tags and simple values (major types 4–7).
    AboveText(Vec<u8>),
}

impl KeyOrder {
    fn of(key: &Value) -> Result<KeyOrder, OxbinError> {
        if let Value::Text(text) = key {
            return Ok(KeyOrder::Text(text.len(), text.as_bytes().to_vec()));
        }
        let bytes = write_value(key)?;
        // The major type is the top three bits of the first byte.
        Ok(if bytes.first().is_some_and(|b| b >> 5 < 3) {
            KeyOrder::BelowText(bytes)
        } else {
            KeyOrder::AboveText(bytes)
        })
    }
}

/// The number of nested arrays, maps and tags on the deepest path.
fn nesting_depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nesting_depth).max().unwrap_or(0),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| nesting_depth(k).max(nesting_depth(v)))
                .max()
                .unwrap_or(0)
        }
        Value::Tag(_, inner) => 1 + nesting_depth(inner),
        _ => 0,
    }
}

fn write_value(value: &Value) -> Result<Vec<u8>, OxbinError> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out)
        .map_err(|e| OxbinError::new(UNENCODABLE, format!("cannot write CBOR: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keys_are_sorted_by_encoded_bytes() {
        // "b" (0x61 0x62) sorts before "aa" (0x62 0x61 0x61): the shorter encoding first.
        let value = Value::Map(vec![
            (Value::Text("aa".into()), Value::Integer(1.into())),
            (Value::Text("b".into()), Value::Integer(2.into())),
        ]);
        let bytes = to_canonical_cbor(&value).unwrap();
        assert_eq!(bytes, [0xA2, 0x61, b'b', 0x02, 0x62, b'a', b'a', 0x01]);
    }

    #[test]
    fn key_order_agrees_with_the_encoded_bytes() {
        let text = |len: usize, c: char| Value::Text(c.to_string().repeat(len));
        let keys = vec![
            Value::Integer(0.into()),
            Value::Integer(500.into()),
            Value::Integer((-3).into()),
            Value::Bytes(vec![1, 2]),
            text(0, 'a'),
            text(1, 'b'),
            text(2, 'a'),
            text(23, 'z'),
            text(24, 'a'),
            text(300, 'a'),
            text(300, 'b'),
            Value::Array(vec![]),
            Value::Bool(true),
            Value::Null,
        ];
        for a in &keys {
            for b in &keys {
                let by_bytes = write_value(a).unwrap().cmp(&write_value(b).unwrap());
                let by_order = KeyOrder::of(a).unwrap().cmp(&KeyOrder::of(b).unwrap());
                assert_eq!(by_bytes, by_order, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn floats_are_refused() {
        assert_eq!(to_canonical_cbor(&1.5f64).unwrap_err().code, UNENCODABLE);
    }

    #[test]
    fn deep_nesting_is_an_error_both_ways() {
        let mut deep = Value::Null;
        for _ in 0..MAX_NESTING + 1 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(to_canonical_cbor(&deep).unwrap_err().code, UNENCODABLE);
        let mut bytes = vec![0x81; 100_000];
        bytes.push(0xF6);
        assert_eq!(from_cbor::<Value>(&bytes).unwrap_err().code, "OE1200");
    }
}
