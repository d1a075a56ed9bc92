//! The container: magic, preamble, section directory, module hash, payloads.
//!
//! ```text
//! offset        size   content
//! 0             5      magic "OXBIN"
//! 5             16     preamble: four big-endian u32 version axes (major << 16 | minor)
//! 21            4      section count N (big-endian u32, at most 256)
//! 25            50×N   directory, ascending type id; each entry:
//!                        type id u8 | flags u8 | offset u64 BE | length u64 BE | SHA-256 [32]
//! 25+50N        32     module hash = SHA-256 of bytes 0 .. 25+50N
//! 57+50N        …      payloads, contiguous, in directory order, ending at end of file
//! ```
//!
//! The module hash covers the composition signature (magic and version axes)
//! and the canonical directory, which holds every section's content hash, so a
//! change to any byte of the file is either a hash mismatch or a layout error.

use sha2::{Digest, Sha256};

use super::error::{OxbinError, UNENCODABLE};
use super::sections::section_name;
use super::version::Preamble;

/// The first bytes of every artifact.
pub const MAGIC: &[u8; 5] = b"OXBIN";
/// Size of one directory entry in bytes.
pub const DIRECTORY_ENTRY_LEN: usize = 50;
/// The most sections a directory may list (one per type id).
pub const MAX_SECTIONS: usize = 256;

const HASH_LEN: usize = 32;
const COUNT_OFFSET: usize = MAGIC.len() + Preamble::LEN;
const DIRECTORY_OFFSET: usize = COUNT_OFFSET + 4;

/// Flags of a directory entry (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SectionFlags(pub u8);

impl SectionFlags {
    /// A reader that does not know the section type must refuse the artifact.
    pub const MANDATORY: SectionFlags = SectionFlags(1);
    /// The directory's hash field is the SHA-256 of the payload (otherwise all zero).
    pub const CONTENT_HASHED: SectionFlags = SectionFlags(2);
    /// The section is not needed to run and may be loaded on demand.
    pub const LAZY: SectionFlags = SectionFlags(4);

    /// Both sets of flags.
    pub const fn union(self, other: SectionFlags) -> SectionFlags {
        SectionFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: SectionFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The names of the known flags that are set (`mandatory`, `content_hashed`, `lazy`).
    pub fn names(self) -> Vec<&'static str> {
        [
            (Self::MANDATORY, "mandatory"),
            (Self::CONTENT_HASHED, "content_hashed"),
            (Self::LAZY, "lazy"),
        ]
        .into_iter()
        .filter(|(flag, _)| self.contains(*flag))
        .map(|(_, name)| name)
        .collect()
    }
}

/// A section to be written: its type, flags and payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSection {
    pub type_id: u8,
    pub flags: SectionFlags,
    pub payload: Vec<u8>,
}

/// One directory entry as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInfo {
    pub type_id: u8,
    /// The section's name, or `unknown` for a type this reader does not know.
    pub name: &'static str,
    pub flags: SectionFlags,
    /// Absolute offset of the payload in the file.
    pub offset: u64,
    pub length: u64,
    /// The stored content hash, hex (all zeros when not content-hashed).
    pub hash: String,
}

/// A parsed, integrity-checked container: every hash verified.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    pub preamble: Preamble,
    /// The module hash (`moduleHash`), hex.
    pub module_hash: String,
    /// The directory entries with their payloads, in directory order.
    pub sections: Vec<(SectionInfo, &'a [u8])>,
}

/// Writes a container. Sections are laid out in ascending type id; two
/// sections with the same type id are an error.
pub fn write_container(
    preamble: &Preamble,
    sections: &[RawSection],
) -> Result<Vec<u8>, OxbinError> {
    let mut ordered: Vec<&RawSection> = sections.iter().collect();
    ordered.sort_by_key(|section| section.type_id);
    if ordered
        .windows(2)
        .any(|pair| pair[0].type_id == pair[1].type_id)
    {
        return Err(OxbinError::new(UNENCODABLE, "two sections share a type id"));
    }
    let header_len = DIRECTORY_OFFSET + DIRECTORY_ENTRY_LEN * ordered.len() + HASH_LEN;
    let payload_len: usize = ordered.iter().map(|s| s.payload.len()).sum();
    let mut out = Vec::with_capacity(header_len + payload_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&preamble.to_bytes());
    let count = u32::try_from(ordered.len())
        .map_err(|_| OxbinError::new(UNENCODABLE, "too many sections"))?;
    out.extend_from_slice(&count.to_be_bytes());
    let mut offset = header_len as u64;
    for section in &ordered {
        let length = section.payload.len() as u64;
        let hash: [u8; HASH_LEN] = if section.flags.contains(SectionFlags::CONTENT_HASHED) {
            Sha256::digest(&section.payload).into()
        } else {
            [0; HASH_LEN]
        };
        out.push(section.type_id);
        out.push(section.flags.0);
        out.extend_from_slice(&offset.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&hash);
        offset += length;
    }
    let module_hash = Sha256::digest(&out);
    out.extend_from_slice(&module_hash);
    for section in &ordered {
        out.extend_from_slice(&section.payload);
    }
    Ok(out)
}

/// Reads a container and verifies it: magic, version axes (`OE1202`), layout,
/// the module hash and every content hash (`OE1200`). Never panics.
pub fn read_container(bytes: &[u8]) -> Result<Container<'_>, OxbinError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(OxbinError::malformed(
            "not an oxbin artifact (the file does not start with `OXBIN`)",
        ));
    }
    let preamble_bytes: &[u8; Preamble::LEN] = bytes
        .get(MAGIC.len()..COUNT_OFFSET)
        .and_then(|slice| slice.try_into().ok())
        .ok_or_else(|| OxbinError::malformed("truncated preamble"))?;
    let preamble = Preamble::from_bytes(preamble_bytes);
    preamble.check_compatible()?;

    let mut cursor = Cursor {
        bytes,
        position: COUNT_OFFSET,
    };
    let count = cursor.u32("section count")? as usize;
    if count > MAX_SECTIONS {
        return Err(OxbinError::malformed(format!(
            "the directory lists {count} sections (at most {MAX_SECTIONS})"
        )));
    }
    let directory_end = DIRECTORY_OFFSET + DIRECTORY_ENTRY_LEN * count;
    let header_len = directory_end + HASH_LEN;
    if bytes.len() < header_len {
        return Err(OxbinError::malformed("truncated section directory"));
    }

    let mut entries = Vec::with_capacity(count);
    let mut expected_offset = header_len as u64;
    for index in 0..count {
        let type_id = cursor.u8("section type")?;
        let flags = SectionFlags(cursor.u8("section flags")?);
        let offset = cursor.u64("section offset")?;
        let length = cursor.u64("section length")?;
        let hash = cursor.hash()?;
        if let Some((previous, _)) = entries.last() {
            let previous: &SectionInfo = previous;
            if type_id <= previous.type_id {
                return Err(OxbinError::malformed(format!(
                    "directory entry {index}: section types must be unique and ascending"
                )));
            }
        }
        if offset != expected_offset {
            return Err(OxbinError::malformed(format!(
                "directory entry {index}: payload at offset {offset}, expected {expected_offset}"
            )));
        }
        let end = offset
            .checked_add(length)
            .filter(|end| *end <= bytes.len() as u64)
            .ok_or_else(|| {
                OxbinError::malformed(format!(
                    "directory entry {index}: payload of {length} bytes runs past the end of the file"
                ))
            })?;
        expected_offset = end;
        entries.push((
            SectionInfo {
                type_id,
                name: section_name(type_id),
                flags,
                offset,
                length,
                hash: hex::encode(hash),
            },
            hash,
        ));
    }
    if expected_offset != bytes.len() as u64 {
        return Err(OxbinError::malformed(format!(
            "{} unexpected bytes after the last section",
            bytes.len() as u64 - expected_offset.min(bytes.len() as u64)
        )));
    }

    let stored_hash = &bytes[directory_end..header_len];
    let computed_hash = Sha256::digest(&bytes[..directory_end]);
    if computed_hash.as_slice() != stored_hash {
        return Err(OxbinError::malformed(
            "module hash mismatch: the preamble or directory was altered after the build",
        ));
    }

    let mut sections = Vec::with_capacity(count);
    for (info, stored) in entries {
        // Offsets and lengths were checked against the file length above.
        let start = info.offset as usize;
        let payload = &bytes[start..start + info.length as usize];
        let expected = if info.flags.contains(SectionFlags::CONTENT_HASHED) {
            Sha256::digest(payload).into()
        } else {
            [0; HASH_LEN]
        };
        if expected != stored {
            return Err(OxbinError::malformed(format!(
                "content hash mismatch in section `{}` (type {}): the file was altered after the build",
                info.name, info.type_id
            )));
        }
        sections.push((info, payload));
    }
    Ok(Container {
        preamble,
        module_hash: hex::encode(computed_hash),
        sections,
    })
}

/// Bounds-checked big-endian reads.
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], OxbinError> {
        let end = self
            .position
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| OxbinError::malformed(format!("truncated file while reading {what}")))?;
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    fn u8(&mut self, what: &str) -> Result<u8, OxbinError> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, OxbinError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4, what)?);
        Ok(u32::from_be_bytes(buf))
    }

    fn u64(&mut self, what: &str) -> Result<u64, OxbinError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_be_bytes(buf))
    }

    fn hash(&mut self) -> Result<[u8; HASH_LEN], OxbinError> {
        let mut buf = [0u8; HASH_LEN];
        buf.copy_from_slice(self.take(HASH_LEN, "section hash")?);
        Ok(buf)
    }
}
