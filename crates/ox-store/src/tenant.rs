//! Tenant ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The longest tenant id accepted, in characters.
pub const MAX_TENANT_LEN: usize = 128;

/// The tenant used when a caller names none.
pub const DEFAULT_TENANT: &str = "default";

/// A validated tenant id: 1–128 characters of `A–Z a–z 0–9 . _ : -`.
///
/// Every read and write path of the store takes one first; there is no way to
/// reach events without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// Validates `raw` as a tenant id.
    pub fn parse(raw: &str) -> Result<TenantId, StoreError> {
        if raw.is_empty() {
            return Err(StoreError::InvalidTenant(
                "tenant id is empty (expected 1–128 characters of A–Z a–z 0–9 . _ : -)".into(),
            ));
        }
        let len = raw.chars().count();
        if len > MAX_TENANT_LEN {
            return Err(StoreError::InvalidTenant(format!(
                "tenant id is {len} characters long (at most {MAX_TENANT_LEN})"
            )));
        }
        if let Some(bad) = raw.chars().find(|c| !is_tenant_char(*c)) {
            return Err(StoreError::InvalidTenant(format!(
                "tenant id `{}` contains {bad:?} (allowed: A–Z a–z 0–9 . _ : -)",
                raw.escape_debug()
            )));
        }
        Ok(TenantId(raw.to_owned()))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_tenant_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')
}

impl Default for TenantId {
    /// The default tenant, [`DEFAULT_TENANT`].
    fn default() -> Self {
        TenantId(DEFAULT_TENANT.to_owned())
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for TenantId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantId::parse(s)
    }
}

impl TryFrom<String> for TenantId {
    type Error = StoreError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        TenantId::parse(&value)
    }
}

impl From<TenantId> for String {
    fn from(value: TenantId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet() {
        let id = TenantId::parse("Acme-01.eu_west:prod").expect("valid");
        assert_eq!(id.as_str(), "Acme-01.eu_west:prod");
        assert_eq!(id.to_string(), "Acme-01.eu_west:prod");
        assert!(TenantId::parse(&"x".repeat(128)).is_ok());
        assert_eq!(TenantId::default().as_str(), DEFAULT_TENANT);
    }

    #[test]
    fn refuses_bad_ids() {
        for bad in ["", " ", "a b", "a/b", "é", "a\n", &"x".repeat(129)] {
            assert!(
                matches!(TenantId::parse(bad), Err(StoreError::InvalidTenant(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn serde_validates() {
        let ok: TenantId = serde_json::from_str("\"t1\"").expect("valid");
        assert_eq!(ok.as_str(), "t1");
        assert_eq!(serde_json::to_string(&ok).expect("serialises"), "\"t1\"");
        assert!(serde_json::from_str::<TenantId>("\"a b\"").is_err());
    }
}
