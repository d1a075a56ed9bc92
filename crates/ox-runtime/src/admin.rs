//! Operator functions beside the request path: the schema-change gate and
//! physical erasure (`forget`, local only).

use ox_ir::{Module, Value};
use ox_store::{ForgetReceipt, ForgetSelector, SchemaChange, StorageBackend, TenantId};
use serde_json::json;

use crate::error::{ErrorCode, RuntimeError};
use crate::events::{self, Fact, PathIndex};

/// What the schema-change gate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaGateOutcome {
    /// No scope holds data: nothing to check.
    Empty,
    /// Every scope was written under this `schemaHash`.
    Unchanged,
    /// Scopes written under another `schemaHash` were re-stamped (the change
    /// was accepted) and a schema-change record appended for each.
    Migrated {
        /// One record per re-stamped scope.
        scopes: Vec<SchemaChange>,
    },
}

/// The schema-change gate ("R-B7"), run at startup and on every reload:
/// loading an artifact whose `schemaHash` differs from that of a scope that
/// holds data is refused with `ARGON_RUNTIME_SCHEMA_MISMATCH` (naming the
/// scopes and both hashes), unless `accept_change` (the operator's
/// `ARGON_ACCEPT_SCHEMA_CHANGE=1`), which re-stamps the scopes and records the
/// change with `principal` and `host`.
pub fn schema_gate(
    store: &dyn StorageBackend,
    schema_hash: &str,
    accept_change: bool,
    principal: &str,
    host: &str,
) -> Result<SchemaGateOutcome, RuntimeError> {
    let scopes = store.schema_scopes().map_err(RuntimeError::from_store)?;
    if scopes.is_empty() {
        return Ok(SchemaGateOutcome::Empty);
    }
    let stale: Vec<(TenantId, String)> = scopes
        .into_iter()
        .filter(|s| s.schema_hash != schema_hash)
        .map(|s| (s.tenant, s.schema_hash))
        .collect();
    if stale.is_empty() {
        return Ok(SchemaGateOutcome::Unchanged);
    }
    if !accept_change {
        return Err(schema_mismatch(schema_hash, &stale));
    }
    let scopes = store
        .restamp_schema_scopes(schema_hash, principal, host)
        .map_err(RuntimeError::from_store)?;
    Ok(SchemaGateOutcome::Migrated { scopes })
}

/// `ARGON_RUNTIME_SCHEMA_MISMATCH` naming the scopes and both hashes.
pub(crate) fn schema_mismatch(artifact: &str, scopes: &[(TenantId, String)]) -> RuntimeError {
    let names: Vec<String> = scopes
        .iter()
        .map(|(t, h)| format!("{t} (schemaHash {h})"))
        .collect();
    let stored: serde_json::Map<String, serde_json::Value> = scopes
        .iter()
        .map(|(t, h)| (t.to_string(), json!(h)))
        .collect();
    RuntimeError::new(
        ErrorCode::SchemaMismatch,
        format!(
            "the artifact's schemaHash {artifact} differs from the schema that wrote the live data of {}; \
             set ARGON_ACCEPT_SCHEMA_CHANGE=1 to migrate deliberately",
            names.join(", ")
        ),
    )
    .with_details(json!({
        "scopes": scopes.iter().map(|(t, _)| t.to_string()).collect::<Vec<_>>(),
        "artifactSchemaHash": artifact,
        "storedSchemaHashes": stored,
    }))
}

fn escape_id(id: &str) -> String {
    id.replace('%', "%25").replace(':', "%3A")
}

/// Physically erases one individual from a fork (local use only: the HTTP
/// server never calls it): its insertion, field values, classifications and
/// every relation tuple that mentions it, in one transaction, with a receipt
/// that keeps no erased content.
pub fn forget_individual(
    store: &dyn StorageBackend,
    module: &Module,
    tenant: &TenantId,
    fork: &str,
    individual_id: &str,
    reason: &str,
    principal: &str,
) -> Result<ForgetReceipt, RuntimeError> {
    let id = escape_id(individual_id);
    let mut selector = ForgetSelector {
        axiom_ids: vec![format!("ind:{id}")],
        axiom_prefixes: vec![format!("field:{id}:"), format!("iof:{id}:")],
    };
    let index = PathIndex::new(module);
    let mentions = |args: &[Value]| {
        args.iter()
            .any(|a| matches!(a, Value::Ref(r) if r == individual_id))
    };
    for event in store
        .history(tenant, fork)
        .map_err(RuntimeError::from_store)?
    {
        if !event.axiom_id.starts_with("rel:") {
            continue;
        }
        if let Ok(Some(Fact::Tuple { args, .. })) = events::decode(module, &index, &event) {
            if mentions(&args) && !selector.axiom_ids.contains(&event.axiom_id) {
                selector.axiom_ids.push(event.axiom_id);
            }
        }
    }
    store
        .forget(tenant, fork, &selector, principal, reason)
        .map_err(RuntimeError::from_store)
}
