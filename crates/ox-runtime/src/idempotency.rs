//! Request fingerprints for idempotency keys.

use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::context::RequestContext;

/// SHA-256 of the canonical request: the mutation paths with their arguments
/// (object keys sorted at every level), fork, standpoint and `validAt`. The
/// same key with another fingerprint is a different request.
pub(crate) fn fingerprint(ctx: &RequestContext, calls: &[(&str, &Map<String, Json>)]) -> [u8; 32] {
    let calls: Vec<Json> = calls
        .iter()
        .map(|(path, args)| json!([path, canonical(&Json::Object((*args).clone()))]))
        .collect();
    let request = json!({
        "calls": calls,
        "fork": ctx.fork,
        "standpoint": ctx.standpoint,
        "validAt": ctx.valid_at.map(|t| t.to_rfc3339()),
    });
    Sha256::digest(request.to_string().as_bytes()).into()
}

/// The value with every object's keys sorted (so key order never matters).
fn canonical(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox_store::TenantId;

    fn args(j: Json) -> Map<String, Json> {
        match j {
            Json::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn key_order_does_not_matter_but_content_does() {
        let ctx = RequestContext::new(TenantId::parse("t").expect("tenant"));
        let a = args(json!({"id": "x", "age": 3, "nested": {"b": 1, "a": 2}}));
        let b = args(json!({"nested": {"a": 2, "b": 1}, "age": 3, "id": "x"}));
        let c = args(json!({"id": "x", "age": 4, "nested": {"b": 1, "a": 2}}));
        let fp = |m: &Map<String, Json>| fingerprint(&ctx, &[("p::m", m)]);
        assert_eq!(fp(&a), fp(&b));
        assert_ne!(fp(&a), fp(&c));
        let other_fork = RequestContext {
            fork: "f".into(),
            ..ctx.clone()
        };
        assert_ne!(fp(&a), fingerprint(&other_fork, &[("p::m", &a)]));
    }
}
