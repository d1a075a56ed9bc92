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
    /// Whether this event belongs to the snapshot at transaction `tx` (`None`:
    /// the latest) and valid point `valid`: an assert written at or before the
    /// transaction, not superseded by then, whose valid interval contains the
    /// valid point.
    pub fn visible_at(&self, tx: Option<u64>, valid: ValidPoint) -> bool {
        if self.op != Op::Assert {
            return false;
        }
        let in_tx = match tx {
            None => self.tx_to.is_none(),
            Some(n) => self.tx <= n && !matches!(self.tx_to, Some(to) if to <= n),
        };
        in_tx && self.valid_contains(valid)
    }

    /// Whether the valid interval `[valid_from, valid_to)` contains `valid`.
    pub fn valid_contains(&self, valid: ValidPoint) -> bool {
        match valid {
            ValidPoint::All => true,
            ValidPoint::At(t) => self.valid_from <= t && self.valid_to.is_none_or(|to| t < to),
        }
    }

    /// The supersession key: (axiom id, standpoint).
    pub fn key(&self) -> (String, Option<String>) {
        (self.axiom_id.clone(), self.standpoint.clone())
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
    /// axiom id and standpoint where their valid intervals overlap.
    pub events: Vec<NewEvent>,
    /// The idempotency record stored in the same transaction as the events
    /// (also for an empty append); a key already stored for (tenant, fork)
    /// fails with [`StoreError::IdempotencyReplay`] and writes nothing.
    pub idempotency: Option<IdempotencyRecord>,
}

/// A request's idempotency key, the fingerprint of the request and the
/// response to replay, stored with the write it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// SHA-256 of the canonical request.
    pub fingerprint: [u8; 32],
    /// The serialised response returned for the key.
    pub response: Vec<u8>,
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

/// The transaction-time coordinate of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxPoint {
    /// The latest committed state.
    Latest,
    /// The state right after transaction `n` committed.
    Tx(u64),
    /// The state after the last transaction committed at or before this time.
    Time(DateTime<Utc>),
}

/// The valid-time coordinate of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValidPoint {
    /// Only events whose valid interval contains this instant.
    At(DateTime<Utc>),
    /// Every event, whatever its valid interval (history views, exports).
    All,
}

/// Which snapshot a read sees: a transaction point and a valid-time point.
/// The snapshot at (tt, vt) holds the asserts with `tx <= tt`, not superseded
/// at `tt`, whose valid interval contains `vt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AsOf {
    /// Transaction time.
    pub tx: TxPoint,
    /// Valid time.
    pub valid: ValidPoint,
}

impl AsOf {
    /// The latest state, every valid interval (the raw current projection).
    pub const LATEST: AsOf = AsOf {
        tx: TxPoint::Latest,
        valid: ValidPoint::All,
    };

    /// The current state as valid at `now`: what an ordinary read sees.
    pub fn current(now: DateTime<Utc>) -> AsOf {
        AsOf {
            tx: TxPoint::Latest,
            valid: ValidPoint::At(now),
        }
    }

    /// The state right after transaction `tx`, as valid at `now`.
    pub fn at_tx(tx: u64, now: DateTime<Utc>) -> AsOf {
        AsOf {
            tx: TxPoint::Tx(tx),
            valid: ValidPoint::At(now),
        }
    }

    /// The state right after transaction `tx`, every valid interval.
    pub fn tx_all(tx: u64) -> AsOf {
        AsOf {
            tx: TxPoint::Tx(tx),
            valid: ValidPoint::All,
        }
    }
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
#[derive(Debug, Clone)]
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

impl PreparedEvent {
    /// A fresh copy of a stored event (new id) with the valid interval given,
    /// as re-appended by supersession, copy-on-write and promotion.
    pub(crate) fn copy_of(
        e: &Event,
        valid_from: DateTime<Utc>,
        valid_to: Option<DateTime<Utc>>,
    ) -> PreparedEvent {
        PreparedEvent {
            event_id: Uuid::now_v7(),
            axiom_id: e.axiom_id.clone(),
            kind: e.kind.clone(),
            op: e.op,
            body: e.body.clone(),
            content_id: e.content_id,
            standpoint: e.standpoint.clone(),
            valid_from,
            valid_to,
        }
    }

    /// The supersession key: (axiom id, standpoint).
    pub(crate) fn key(&self) -> (String, Option<String>) {
        (self.axiom_id.clone(), self.standpoint.clone())
    }
}

/// Whether the valid intervals `[a_from, a_to)` and `[b_from, b_to)` overlap
/// (`None` is an open end).
pub(crate) fn overlaps(
    a_from: DateTime<Utc>,
    a_to: Option<DateTime<Utc>>,
    b_from: DateTime<Utc>,
    b_to: Option<DateTime<Utc>>,
) -> bool {
    a_to.is_none_or(|to| b_from < to) && b_to.is_none_or(|to| a_from < to)
}

/// The parts of `[old_from, old_to)` not covered by `[new_from, new_to)`:
/// what supersession re-appends of a record the new event overlaps.
pub(crate) fn remainders(
    old_from: DateTime<Utc>,
    old_to: Option<DateTime<Utc>>,
    new_from: DateTime<Utc>,
    new_to: Option<DateTime<Utc>>,
) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut parts = Vec::new();
    if old_from < new_from {
        parts.push((old_from, Some(old_to.map_or(new_from, |t| t.min(new_from)))));
    }
    if let Some(new_to) = new_to {
        if old_to.is_none_or(|t| new_to < t) {
            parts.push((old_from.max(new_to), old_to));
        }
    }
    parts
}

/// The supersession plan of one new event against the current records of its
/// key: which of them to close and which remainders to re-append.
pub(crate) fn plan_supersession<'e>(
    current: impl IntoIterator<Item = &'e Event>,
    new: &PreparedEvent,
) -> (Vec<Uuid>, Vec<PreparedEvent>) {
    let mut closed = Vec::new();
    let mut reappend = Vec::new();
    for old in current {
        if !overlaps(old.valid_from, old.valid_to, new.valid_from, new.valid_to) {
            continue;
        }
        closed.push(old.event_id);
        for (from, to) in remainders(old.valid_from, old.valid_to, new.valid_from, new.valid_to) {
            reappend.push(PreparedEvent::copy_of(old, from, to));
        }
    }
    (closed, reappend)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn remainders_cover_the_uncovered_parts() {
        // an ordinary update at t5 of an open record from t1
        assert_eq!(remainders(t(1), None, t(5), None), vec![(t(1), Some(t(5)))]);
        // a correction from the past covers it all
        assert!(remainders(t(3), None, t(1), None).is_empty());
        // a bounded correction in the middle splits it
        assert_eq!(
            remainders(t(1), None, t(3), Some(t(5))),
            vec![(t(1), Some(t(3))), (t(5), None)]
        );
        assert_eq!(
            remainders(t(1), Some(t(9)), t(3), Some(t(5))),
            vec![(t(1), Some(t(3))), (t(5), Some(t(9)))]
        );
        assert!(overlaps(t(1), Some(t(3)), t(2), None));
        assert!(!overlaps(t(1), Some(t(3)), t(3), None));
        assert!(!overlaps(t(5), None, t(1), Some(t(5))));
    }
}
