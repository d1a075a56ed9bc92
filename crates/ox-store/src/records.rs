//! Audit records kept beside the log: schema changes and forget receipts;
//! and what `forget` erases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::TenantId;

/// One schema change of one scope (tenant): recorded when an operator loads an
/// artifact with another `schemaHash` over live data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaChange {
    /// The scope.
    pub tenant: TenantId,
    /// The `schemaHash` it held.
    pub old_hash: String,
    /// The `schemaHash` it holds now.
    pub new_hash: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who accepted the change.
    pub principal: String,
    /// The host that loaded the artifact.
    pub host: String,
}

/// Which events [`crate::StorageBackend::forget`] erases, within one fork.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgetSelector {
    /// Exact axiom ids.
    pub axiom_ids: Vec<String>,
    /// Axiom id prefixes (e.g. every field of one individual).
    pub axiom_prefixes: Vec<String>,
}

impl ForgetSelector {
    /// Whether an axiom id is selected.
    pub fn matches(&self, axiom_id: &str) -> bool {
        self.axiom_ids.iter().any(|a| a == axiom_id)
            || self
                .axiom_prefixes
                .iter()
                .any(|p| !p.is_empty() && axiom_id.starts_with(p.as_str()))
    }

    /// Whether it selects nothing.
    pub fn is_empty(&self) -> bool {
        self.axiom_ids.is_empty() && self.axiom_prefixes.iter().all(String::is_empty)
    }
}

/// The receipt of a physical erasure. It names what was erased (event and
/// content ids) and keeps none of the erased content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetReceipt {
    /// Unique id of the receipt (UUIDv7).
    pub receipt_id: Uuid,
    /// The tenant.
    pub tenant: TenantId,
    /// The fork erased from.
    pub fork: String,
    /// Who erased.
    pub actor: String,
    /// Why (free text given by the operator).
    pub reason: String,
    /// Ids of the erased events.
    pub event_ids: Vec<Uuid>,
    /// Content ids (hex SHA-256) of the erased bodies.
    pub content_ids: Vec<String>,
    /// The tenant's last transaction when the erasure happened.
    pub tx: u64,
    /// When.
    pub at: DateTime<Utc>,
}
