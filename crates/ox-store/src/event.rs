//! The event-log model: what the runtime hands in, what the store hands back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{StoreError, TenantId};

/// The trunk fork of every tenant, created implicitly.
pub const MAIN_FORK: &str = "main";

/// Whether an event asserts or retracts its fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// The fact holds (from `valid_from`).
    Assert,
    /// The fact no longer holds; kept for history, never itself visible.
    Retract,
}

impl Op {
    /// The stable lowercase name: `"assert"` or `"retract"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Assert => "assert",
            Op::Retract => "retract",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Op {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "assert" => Ok(Op::Assert),
            "retract" => Ok(Op::Retract),
            other => Err(StoreError::Corrupt(format!(
                "unknown op `{}` (expected `assert` or `retract`)",
                other.escape_debug()
            ))),
        }
    }
}

/// One event as the runtime hands it to [`crate::StorageBackend::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Stable id of the logical fact across edits (e.g. `field:alice:age`); a new
    /// event supersedes the current one with the same axiom id and standpoint.
    pub axiom_id: String,
    /// Stable kind tag (`individual`, `property_assertion`, `domain_event`, …).
    pub kind: String,
    /// Assert or retract.
    pub op: Op,
    /// Opaque body (deterministic CBOR); the store computes `content_id = sha256(body)`.
    pub body: Vec<u8>,
    /// Standpoint layer; `None` is the default layer.
    pub standpoint: Option<String>,
    /// Start of the valid-time interval; `None` means the commit time.
    pub valid_from: Option<DateTime<Utc>>,
    /// End of the valid-time interval (exclusive); `None` means open.
    pub valid_to: Option<DateTime<Utc>>,
}

/// One stored event as the store hands it back.
///
/// Timestamps carry microsecond precision: the store truncates finer ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id (UUIDv7).
    pub event_id: Uuid,
    /// Stable id of the logical fact.
    pub axiom_id: String,
    /// Kind tag.
    pub kind: String,
    /// Assert or retract.
    pub op: Op,
    /// Opaque body.
    pub body: Vec<u8>,
    /// SHA-256 of `body`.
    pub content_id: [u8; 32],
    /// Owning tenant.
    pub tenant: TenantId,
    /// Fork the event was written to.
    pub fork: String,
    /// Standpoint layer; `None` is the default layer.
    pub standpoint: Option<String>,
    /// Transaction number (per tenant, from 1).
    pub tx: u64,
    /// Start of the valid-time interval.
    pub valid_from: DateTime<Utc>,
    /// End of the valid-time interval (exclusive); `None` means open.
    pub valid_to: Option<DateTime<Utc>>,
    /// Transaction that superseded this event; `None` while current. A retract
    /// event carries its own `tx`.
    pub tx_to: Option<u64>,
    /// Who wrote it (recorded, never authorised).
    pub principal: String,
    /// `schemaHash` of the artifact that wrote it.
    pub schema_hash: String,
    /// Wall-clock commit time of its transaction.
    pub committed_at: DateTime<Utc>,
}

impl Event {
    /// Whether this event belongs to the snapshot `as_of`: an assert written at
    /// or before the snapshot's transaction and not superseded by then.
    pub fn visible_at(&self, as_of: AsOf) -> bool {
        if self.op != Op::Assert {
            return false;
        }
        match as_of {
            AsOf::Now => self.tx_to.is_none(),
            AsOf::Tx(n) => self.tx <= n && !matches!(self.tx_to, Some(to) if to <= n),
        }
    }

    /// `content_id` as lowercase hex.
    pub fn content_id_hex(&self) -> String {
        hex::encode(self.content_id)
    }
}

/// One atomic write: all `events` get the same `tx`, or nothing is written.
#[derive(Debug, Clone)]
pub struct AppendRequest<'a> {
    /// Tenant written to.
    pub tenant: &'a TenantId,
    /// Fork written to (only [`MAIN_FORK`] for now).
    pub fork: &'a str,
    /// The generation of (tenant, fork) the caller based its write on; a
    /// mismatch yields [`StoreError::Conflict`].
    pub expected_generation: u64,
    /// Who writes (recorded on every event).
    pub principal: &'a str,
    /// `schemaHash` of the writing artifact (recorded on every event and as the
    /// tenant's schema scope).
    pub schema_hash: &'a str,
    /// Events in order; a later one supersedes an earlier one with the same
    /// axiom id and standpoint.
    pub events: Vec<NewEvent>,
}

/// What a successful append returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committed {
    /// The transaction number (for an empty append: the tenant's last `tx`).
    pub tx: u64,
    /// The (tenant, fork) generation after the write.
    pub generation: u64,
    /// Commit wall-clock time (microsecond precision; never earlier than the
    /// tenant's previous commit).
    pub committed_at: DateTime<Utc>,
    /// Ids of the written events, in request order.
    pub event_ids: Vec<Uuid>,
}

/// Which snapshot a read sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AsOf {
    /// The current state.
    Now,
    /// The state right after transaction `n` committed.
    Tx(u64),
}

/// A tenant and the `schemaHash` of the artifact that last wrote to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaScope {
    /// The scope (a tenant).
    pub tenant: TenantId,
    /// `schemaHash` of its last write.
    pub schema_hash: String,
}

/// SHA-256 of an event body.
pub fn content_id(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

/// A [`NewEvent`] checked and completed by the store, ready to be written.
pub(crate) struct PreparedEvent {
    pub event_id: Uuid,
    pub axiom_id: String,
    pub kind: String,
    pub op: Op,
    pub body: Vec<u8>,
    pub content_id: [u8; 32],
    pub standpoint: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// Checks that `fork` names an existing fork (only [`MAIN_FORK`] for now).
pub(crate) fn check_fork(fork: &str) -> Result<(), StoreError> {
    if fork == MAIN_FORK {
        Ok(())
    } else {
        Err(StoreError::UnknownFork(fork.escape_debug().to_string()))
    }
}

/// The commit time of a new transaction: now, at microsecond precision, and never
/// earlier than the tenant's previous commit.
pub(crate) fn commit_time(previous: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now().trunc_subsecs(6);
    previous.map_or(now, |p| p.max(now))
}

/// Checks every event and completes it (ids, content ids, valid time), before
/// anything is written.
pub(crate) fn prepare(
    events: Vec<NewEvent>,
    committed_at: DateTime<Utc>,
) -> Result<Vec<PreparedEvent>, StoreError> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            if e.axiom_id.is_empty() {
                return Err(StoreError::InvalidEvent(format!(
                    "event {i}: empty axiom_id"
                )));
            }
            if e.kind.is_empty() {
                return Err(StoreError::InvalidEvent(format!("event {i}: empty kind")));
            }
            if e.standpoint.as_deref() == Some("") {
                return Err(StoreError::InvalidEvent(format!(
                    "event {i}: empty standpoint name (use None for the default layer)"
                )));
            }
            let valid_from = e.valid_from.map_or(committed_at, |t| t.trunc_subsecs(6));
            let valid_to = e.valid_to.map(|t| t.trunc_subsecs(6));
            if let Some(to) = valid_to {
                if to <= valid_from {
                    return Err(StoreError::InvalidEvent(format!(
                        "event {i} ({}): valid_to {to} is not after valid_from {valid_from}",
                        e.axiom_id
                    )));
                }
            }
            Ok(PreparedEvent {
                event_id: Uuid::now_v7(),
                content_id: content_id(&e.body),
                axiom_id: e.axiom_id,
                kind: e.kind,
                op: e.op,
                body: e.body,
                standpoint: e.standpoint,
                valid_from,
                valid_to,
            })
        })
        .collect()
}
