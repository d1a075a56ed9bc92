//! The one error type of the artifact format, with stable `OE12xx` codes.

/// Malformed artifact: bad magic, truncation, bad layout, hash mismatch, undecodable section.
pub const MALFORMED: &str = "OE1200";
/// The module cannot be written as an artifact (e.g. nesting deeper than a reader accepts).
pub const UNENCODABLE: &str = "OE1201";
/// A version axis of the preamble has a major version this reader does not speak.
pub const INCOMPATIBLE_VERSION_AXIS: &str = "OE1202";
/// A section this reader does not know is marked mandatory.
pub const UNKNOWN_MANDATORY_SECTION: &str = "OE1203";
/// The artifact needs a higher tier than this runtime supports.
pub const TIER_MISMATCH: &str = "OE1204";
/// An index or name does not resolve.
pub const SYMBOL_RESOLUTION_FAILED: &str = "OE1210";
/// The standpoint lattice has a cycle.
pub const STANDPOINT_LATTICE_CYCLE: &str = "OE1211";
/// An argument count or arity disagrees with the callee's signature.
pub const SIGNATURE_MISMATCH: &str = "OE1213";
/// The tier table disagrees with the rules it describes.
pub const TIER_TABLE_INCONSISTENT: &str = "OE1214";

/// An error reading, writing or validating an `.oxbin` artifact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct OxbinError {
    /// The stable diagnostic code (`OE1200` …).
    pub code: &'static str,
    pub message: String,
}

impl OxbinError {
    /// An error with the given code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        OxbinError {
            code,
            message: message.into(),
        }
    }

    /// An `OE1200` malformed-artifact error.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(MALFORMED, message)
    }
}
