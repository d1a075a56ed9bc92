//! Forks: copy-on-write branches of a tenant's log.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Event, StoreError, MAIN_FORK};

/// The longest fork name accepted, in characters.
pub const MAX_FORK_NAME_LEN: usize = 128;

/// Whether a fork takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForkState {
    /// Takes writes.
    Open,
    /// Promoted into its parent: closed to writes, history readable.
    Promoted,
    /// Aborted: closed to writes, history readable.
    Aborted,
}

impl ForkState {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ForkState::Open => "open",
            ForkState::Promoted => "promoted",
            ForkState::Aborted => "aborted",
        }
    }
}

impl fmt::Display for ForkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ForkState {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(ForkState::Open),
            "promoted" => Ok(ForkState::Promoted),
            "aborted" => Ok(ForkState::Aborted),
            other => Err(StoreError::Corrupt(format!(
                "unknown fork state `{}`",
                other.escape_debug()
            ))),
        }
    }
}

/// One fork of a tenant.
///
/// The child sees its parent's events with `tx < fork_point_tx` plus its own;
/// `main` has no parent and fork point 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkRecord {
    /// Fork name (the tenant-id alphabet).
    pub name: String,
    /// The fork it branches from (`None` for `main`).
    pub parent: Option<String>,
    /// The child sees the parent's events with `tx` below this.
    pub fork_point_tx: u64,
    /// When it was created (`None` for a `main` never written).
    pub created_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: String,
    /// Open, promoted or aborted.
    pub state: ForkState,
    /// Bumped with every committed write to the fork.
    pub generation: u64,
}

impl ForkRecord {
    /// The implicit record of `main` for a tenant that has none stored.
    pub(crate) fn implicit_main() -> ForkRecord {
        ForkRecord {
            name: MAIN_FORK.to_owned(),
            parent: None,
            fork_point_tx: 0,
            created_at: None,
            created_by: String::new(),
            state: ForkState::Open,
            generation: 0,
        }
    }
}

/// Checks a fork name: 1–128 characters of `A–Z a–z 0–9 . _ : -`.
pub fn validate_fork_name(name: &str) -> Result<(), StoreError> {
    let len = name.chars().count();
    if len == 0 || len > MAX_FORK_NAME_LEN {
        return Err(StoreError::InvalidFork(format!(
            "fork name must be 1–{MAX_FORK_NAME_LEN} characters (got {len})"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(StoreError::InvalidFork(format!(
            "fork name `{}` contains {bad:?} (allowed: A–Z a–z 0–9 . _ : -)",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// The events visible in one fork and not the other, since their common
/// ancestor; each list in (tx, position) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForkDiff {
    /// The common ancestor of the two forks.
    pub ancestor: String,
    /// Visible in the first fork only.
    pub only_in_a: Vec<Event>,
    /// Visible in the second fork only.
    pub only_in_b: Vec<Event>,
}

/// What [`crate::StorageBackend::promote`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// The transaction written on the parent.
    pub tx: u64,
    /// The parent's generation after it.
    pub generation: u64,
    /// Ids of the re-stamped events written on the parent.
    pub event_ids: Vec<Uuid>,
    /// Ids of the fork's events they came from.
    pub source_event_ids: Vec<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_names_use_the_tenant_alphabet() {
        for ok in ["what-if", "a", "A.z_0:9-", &"f".repeat(128)] {
            assert!(validate_fork_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", &"f".repeat(129)] {
            assert!(matches!(
                validate_fork_name(bad),
                Err(StoreError::InvalidFork(_))
            ));
        }
        assert_eq!("promoted".parse::<ForkState>(), Ok(ForkState::Promoted));
    }
}
