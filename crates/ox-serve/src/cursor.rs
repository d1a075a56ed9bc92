//! Authenticated pagination cursors.
//!
//! A cursor is base64url (no padding) of
//! `version (1) ‖ flags (1) ‖ tx (8) ‖ offset (8) ‖ valid-at µs (8) ‖ scope hash (32) ‖ HMAC-SHA256 (32)`,
//! all integers big-endian; flag bit 0 says whether a valid time is pinned. The scope hash is SHA-256 over the tenant, fork,
//! standpoint, resolved query path and canonical arguments, so a cursor only
//! continues the request that issued it. The HMAC key is the server's cursor
//! secret: a cursor altered, forged, or issued by a server with another secret
//! is refused with `ARGON_RUNTIME_INVALID_CURSOR`.
//!
//! The cursor pins the transaction read by the first page (and the valid time
//! the first page asked for, if any), so following cursors reads the same
//! snapshot: pages never skip or repeat rows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use ox_runtime::ErrorCode;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::envelope::ApiError;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 1 + 8 + 8 + 8 + 32;
const HAS_VALID_AT: u8 = 1;
const TOKEN_LEN: usize = PAYLOAD_LEN + 32;
/// Longest cursor text looked at; anything longer is refused before decoding.
const MAX_TEXT_LEN: usize = 256;

/// What a cursor is valid for: one query with one set of arguments in one scope.
#[derive(Debug, Clone, Copy)]
pub struct CursorScope<'a> {
    pub tenant: &'a str,
    pub fork: &'a str,
    pub standpoint: Option<&'a str>,
    /// The resolved (qualified) query path.
    pub query: &'a str,
    pub args: &'a Map<String, Value>,
}

impl CursorScope<'_> {
    fn hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        let standpoint = self.standpoint.map(|s| format!("+{s}")).unwrap_or_default();
        let args = canonical_json(&Value::Object(self.args.clone()));
        for part in [self.tenant, self.fork, &standpoint, self.query, &args] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.finalize().into()
    }
}

/// The position a cursor continues from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorPosition {
    /// The transaction every page reads.
    pub tx: u64,
    /// Index of the first row of the next page.
    pub offset: u64,
    /// The valid time every page reads, in microseconds since the epoch (`None`: not pinned).
    pub valid_at_micros: Option<i64>,
}

/// Issues and opens cursors with one secret.
#[derive(Clone)]
pub struct CursorKey {
    secret: [u8; 32],
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// A key with the given secret (share it between replicas behind one gateway).
    pub fn new(secret: [u8; 32]) -> CursorKey {
        CursorKey { secret }
    }

    /// A key with a random secret: cursors die with the process.
    pub fn random() -> CursorKey {
        CursorKey::new(rand::random())
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail for 32 bytes.
        <HmacSha256 as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"))
    }

    /// The cursor text for `position` within `scope`.
    pub fn issue(&self, scope: &CursorScope<'_>, position: CursorPosition) -> String {
        let mut token = Vec::with_capacity(TOKEN_LEN);
        token.push(VERSION);
        token.push(if position.valid_at_micros.is_some() {
            HAS_VALID_AT
        } else {
            0
        });
        token.extend_from_slice(&position.tx.to_be_bytes());
        token.extend_from_slice(&position.offset.to_be_bytes());
        token.extend_from_slice(&position.valid_at_micros.unwrap_or(0).to_be_bytes());
        token.extend_from_slice(&scope.hash());
        let mut mac = self.mac();
        mac.update(&token);
        token.extend_from_slice(&mac.finalize().into_bytes());
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Checks `text` and returns its position, or `INVALID_CURSOR`.
    pub fn open(&self, text: &str, scope: &CursorScope<'_>) -> Result<CursorPosition, ApiError> {
        let foreign = || {
            ApiError::new(
                ErrorCode::InvalidCursor,
                "the cursor was not issued by this server (or was altered); start again without a cursor",
            )
        };
        if text.len() > MAX_TEXT_LEN {
            return Err(foreign());
        }
        let token = URL_SAFE_NO_PAD.decode(text).map_err(|_| foreign())?;
        if token.len() != TOKEN_LEN || token[0] != VERSION {
            return Err(foreign());
        }
        let (payload, tag) = token.split_at(PAYLOAD_LEN);
        let mut mac = self.mac();
        mac.update(payload);
        mac.verify_slice(tag).map_err(|_| foreign())?;
        let flags = payload[1];
        if flags & !HAS_VALID_AT != 0 {
            return Err(foreign());
        }
        if payload[26..58] != scope.hash() {
            return Err(ApiError::new(
                ErrorCode::InvalidCursor,
                "the cursor belongs to another request (tenant, fork, standpoint, query or arguments differ)",
            ));
        }
        let word = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&payload[at..at + 8]);
            bytes
        };
        Ok(CursorPosition {
            tx: u64::from_be_bytes(word(2)),
            offset: u64::from_be_bytes(word(10)),
            valid_at_micros: (flags & HAS_VALID_AT != 0).then(|| i64::from_be_bytes(word(18))),
        })
    }
}

/// JSON text with object keys sorted recursively, so equal arguments hash equally.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn round_trip_and_scope() {
        let key = CursorKey::new([7; 32]);
        let a = args(json!({"x": 1, "y": {"b": 2, "a": 1}}));
        let a_reordered = args(json!({"y": {"a": 1, "b": 2}, "x": 1}));
        let scope = CursorScope {
            tenant: "acme",
            fork: "main",
            standpoint: None,
            query: "p::q",
            args: &a,
        };
        let pos = CursorPosition {
            tx: 17,
            offset: 100,
            valid_at_micros: Some(-5),
        };
        let text = key.issue(&scope, pos);
        assert_eq!(key.open(&text, &scope).expect("opens"), pos);
        let reordered = CursorScope {
            args: &a_reordered,
            ..scope
        };
        assert_eq!(key.open(&text, &reordered).expect("same args"), pos);

        let other_tenant = CursorScope {
            tenant: "globex",
            ..scope
        };
        assert_eq!(
            key.open(&text, &other_tenant).unwrap_err().code(),
            ErrorCode::InvalidCursor
        );
        let other_sp = CursorScope {
            standpoint: Some("x"),
            ..scope
        };
        assert!(key.open(&text, &other_sp).is_err());
        assert!(CursorKey::new([8; 32]).open(&text, &scope).is_err());
    }

    #[test]
    fn tampering_is_refused() {
        let key = CursorKey::new([1; 32]);
        let a = Map::new();
        let scope = CursorScope {
            tenant: "t",
            fork: "main",
            standpoint: None,
            query: "q",
            args: &a,
        };
        let text = key.issue(
            &scope,
            CursorPosition {
                tx: 1,
                offset: 2,
                valid_at_micros: None,
            },
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).expect("decodes");
        bytes[10] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(bytes);
        assert!(key.open(&tampered, &scope).is_err());
        for junk in ["", "!!!", "abc", &"A".repeat(400)] {
            assert!(key.open(junk, &scope).is_err());
        }
    }
}
