//! The preamble: four version axes, each a `u32` packing `major << 16 | minor`.
//!
//! A reader accepts any minor version of the major it speaks (older or newer) and
//! refuses any other major with `OE1202`.

use std::fmt;

use super::error::{OxbinError, INCOMPATIBLE_VERSION_AXIS};

/// A `major.minor` version, stored in the file as `major << 16 | minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    /// A version from its parts.
    pub const fn new(major: u16, minor: u16) -> Self {
        Version { major, minor }
    }

    /// The `u32` stored in the preamble.
    pub const fn packed(self) -> u32 {
        (self.major as u32) << 16 | self.minor as u32
    }

    /// Splits a stored `u32` into major (high 16 bits) and minor (low 16 bits).
    pub const fn from_packed(packed: u32) -> Self {
        Version {
            major: (packed >> 16) as u16,
            minor: (packed & 0xFFFF) as u16,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Version of the container layout (magic, preamble, directory, trailer).
pub const FORMAT_VERSION: Version = Version::new(1, 0);
/// Version of the IR types serialized in the declarations. 1.1: aggregates
/// carry the zero of a `sum` (an optional field readers of 1.0 skip).
pub const CORE_IR_VERSION: Version = Version::new(1, 1);
/// Version of the tier ladder (see [`super::tiers`]).
pub const TIER_LADDER_VERSION: Version = Version::new(1, 0);
/// Version of the contract between artifact and runtime (evaluation semantics).
pub const RUNTIME_CONTRACT_VERSION: Version = Version::new(1, 0);

/// The four version axes at the start of every artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Preamble {
    pub oxbin_format_version: Version,
    pub core_ir_version: Version,
    pub tier_ladder_version: Version,
    pub runtime_contract_version: Version,
}

impl Preamble {
    /// Size of the preamble in bytes.
    pub const LEN: usize = 16;

    /// The versions this crate writes and reads.
    pub const CURRENT: Preamble = Preamble {
        oxbin_format_version: FORMAT_VERSION,
        core_ir_version: CORE_IR_VERSION,
        tier_ladder_version: TIER_LADDER_VERSION,
        runtime_contract_version: RUNTIME_CONTRACT_VERSION,
    };

    /// The axes by name, in file order.
    pub fn axes(&self) -> [(&'static str, Version); 4] {
        [
            ("oxbin_format_version", self.oxbin_format_version),
            ("core_ir_version", self.core_ir_version),
            ("tier_ladder_version", self.tier_ladder_version),
            ("runtime_contract_version", self.runtime_contract_version),
        ]
    }

    /// The stored form: four big-endian `u32`s.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        for (slot, (_, version)) in out.chunks_exact_mut(4).zip(self.axes()) {
            slot.copy_from_slice(&version.packed().to_be_bytes());
        }
        out
    }

    /// Reads the stored form.
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        let axis = |i: usize| {
            Version::from_packed(u32::from_be_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ]))
        };
        Preamble {
            oxbin_format_version: axis(0),
            core_ir_version: axis(1),
            tier_ladder_version: axis(2),
            runtime_contract_version: axis(3),
        }
    }

    /// Checks every axis against what this reader speaks: same major, any minor
    /// (`OE1202 IncompatibleVersionAxis { axis, want, got }` otherwise).
    pub fn check_compatible(&self) -> Result<(), OxbinError> {
        for ((axis, got), (_, want)) in self.axes().into_iter().zip(Preamble::CURRENT.axes()) {
            if got.major != want.major {
                return Err(OxbinError::new(
                    INCOMPATIBLE_VERSION_AXIS,
                    format!(
                        "IncompatibleVersionAxis {{ axis: {axis}, want: {want}, got: {got} }}: \
                         this reader speaks major version {} only",
                        want.major
                    ),
                ));
            }
        }
        Ok(())
    }
}
