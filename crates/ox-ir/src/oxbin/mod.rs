//! The `.oxbin` artifact: one file holding a compiled [`Module`].
//!
//! Layout (see [`layout`] for the byte-level table): magic `OXBIN`, a preamble
//! of four version axes (`major << 16 | minor` each, see [`version`]), a
//! directory of typed sections, the module hash, then the section payloads.
//!
//! Sections (structural ones are deterministic CBOR, see [`canonical`]):
//!
//! | id     | name                 | flags                     | content                       |
//! |--------|----------------------|---------------------------|-------------------------------|
//! | `0x01` | `control`            | mandatory, content-hashed | format, tier cap, schema hash |
//! | `0x02` | `symbol_table`       | mandatory, content-hashed | kind, name, path of each item |
//! | `0x03` | `declarations`       | mandatory, content-hashed | package + tagged item records |
//! | `0x04` | `standpoint_lattice` | mandatory, content-hashed | standpoints and their parents |
//! | `0x05` | `tier_table`         | mandatory, content-hashed | tier of each rule and query   |
//! | `0x20` | `doc_blocks`         | content-hashed, lazy      | doc comments by item          |
//!
//! Doc comments live only in `doc_blocks`, so they never reach the schema hash.
//! There is no source map: the IR has no source positions.
//!
//! Two hashes identify an artifact:
//! - `moduleHash`: SHA-256 over the magic, the version axes and the directory
//!   (which holds every section's content hash); stored after the directory and
//!   re-computed at load, as is every content hash;
//! - `schemaHash` ([`schema_hash`]): SHA-256 over the canonical CBOR of the
//!   module without doc comments and without package metadata (name, version,
//!   entry file), so comments and file names do not change it.

pub mod canonical;
pub mod docs;
pub mod error;
pub mod layout;
pub mod sections;
pub mod summary;
pub mod tiers;
pub mod validate;
pub mod version;

use sha2::{Digest, Sha256};

pub use canonical::{from_cbor, to_canonical_cbor, MAX_NESTING};
pub use error::OxbinError;
pub use layout::{read_container, write_container, RawSection, SectionFlags, SectionInfo, MAGIC};
pub use sections::{Control, Declarations, DocBlock, Symbol, SymbolKind, TierTable};
pub use summary::summary;
pub use tiers::SUPPORTED_TIER;
pub use validate::validate_module;
pub use version::{
    Preamble, Version, CORE_IR_VERSION, FORMAT_VERSION, RUNTIME_CONTRACT_VERSION,
    TIER_LADDER_VERSION,
};

use crate::module::{Module, PackageInfo, Standpoint};
use error::{SYMBOL_RESOLUTION_FAILED, UNKNOWN_MANDATORY_SECTION};

/// A loaded, fully validated artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub module: Module,
    /// `moduleHash`, hex.
    pub module_hash: String,
    /// `schemaHash`, hex.
    pub schema_hash: String,
    pub preamble: Preamble,
    /// The directory, including sections this reader skipped.
    pub sections: Vec<SectionInfo>,
}

impl Artifact {
    /// The artifact `container` holds, with its module decoded and its
    /// schema hash computed.
    fn new(module: Module, container: layout::Container<'_>, schema_hash: String) -> Artifact {
        Artifact {
            module,
            module_hash: container.module_hash,
            schema_hash,
            preamble: container.preamble,
            sections: container
                .sections
                .into_iter()
                .map(|(info, _)| info)
                .collect(),
        }
    }
}

/// Writes a module as an artifact. Deterministic: equal modules give equal bytes.
/// Refuses a module that [`validate_module`] rejects, so every written
/// artifact loads.
pub fn encode(module: &Module) -> Result<Vec<u8>, OxbinError> {
    write_container(&Preamble::CURRENT, &encode_sections(module)?)
}

/// Writes a module as an artifact (like [`encode`]) and returns the
/// artifact it loads as, without decoding the bytes again: the module was
/// validated before encoding, the symbol and tier tables are computed from
/// it, and the container just written is read back to verify its layout and
/// hashes. Artifacts read from disk still go through [`decode`].
pub fn encode_artifact(module: &Module) -> Result<(Vec<u8>, Artifact), OxbinError> {
    let (sections, schema_hash) = sections_and_schema_hash(module)?;
    let bytes = write_container(&Preamble::CURRENT, &sections)?;
    let container = read_container(&bytes)?;
    let artifact = Artifact::new(module.clone(), container, schema_hash);
    Ok((bytes, artifact))
}

/// The sections [`encode`] writes, for tools that assemble containers themselves.
pub fn encode_sections(module: &Module) -> Result<Vec<RawSection>, OxbinError> {
    sections_and_schema_hash(module).map(|(sections, _)| sections)
}

/// The sections of a module's artifact and its `schemaHash`.
fn sections_and_schema_hash(module: &Module) -> Result<(Vec<RawSection>, String), OxbinError> {
    validate_module(module)?;
    let mut stripped = module.clone();
    let docs = docs::take_docs(&mut stripped);
    let tier_table = tiers::tier_table(&stripped);
    let symbols = to_canonical_cbor(&sections::symbols(&stripped))?;
    let tier_payload = to_canonical_cbor(&tier_table)?;
    let (declarations, standpoints) = Declarations::from_module(stripped);
    // The declarations are the deepest part of a module: encoding them first
    // refuses a too-deeply nested module before anything hashes it unbounded.
    let declarations = to_canonical_cbor(&declarations)?;
    let lattice = to_canonical_cbor(&standpoints)?;
    let docs = (!docs.is_empty())
        .then(|| to_canonical_cbor(&docs))
        .transpose()?;
    let schema_hash = schema_hash(module);
    let control = to_canonical_cbor(&Control {
        format: sections::FORMAT_NAME.to_owned(),
        required_tier: tier_table.max_tier,
        schema_hash: schema_hash.clone(),
    })?;
    let section = |type_id, payload| RawSection {
        type_id,
        flags: sections::section_flags(type_id),
        payload,
    };
    let mut out = vec![
        section(sections::CONTROL, control),
        section(sections::SYMBOL_TABLE, symbols),
        section(sections::DECLARATIONS, declarations),
        section(sections::STANDPOINT_LATTICE, lattice),
        section(sections::TIER_TABLE, tier_payload),
    ];
    out.extend(docs.map(|docs| section(sections::DOC_BLOCKS, docs)));
    Ok((out, schema_hash))
}

/// Loads an artifact: verifies the container (magic, version axes, module and
/// content hashes), then validates layer 1 (tier cap) and layer 2 (symbols,
/// lattice, signatures, tier table). Never panics.
pub fn decode(bytes: &[u8]) -> Result<Artifact, OxbinError> {
    let container = read_container(bytes)?;
    let mut payloads = KnownPayloads::default();
    for (info, payload) in &container.sections {
        let slot = match info.type_id {
            sections::CONTROL => &mut payloads.control,
            sections::SYMBOL_TABLE => &mut payloads.symbols,
            sections::DECLARATIONS => &mut payloads.declarations,
            sections::STANDPOINT_LATTICE => &mut payloads.lattice,
            sections::TIER_TABLE => &mut payloads.tiers,
            sections::DOC_BLOCKS => &mut payloads.docs,
            unknown if info.flags.contains(SectionFlags::MANDATORY) => {
                return Err(OxbinError::new(
                    UNKNOWN_MANDATORY_SECTION,
                    format!("UnknownMandatorySection: section type {unknown} is mandatory and unknown to this reader"),
                ))
            }
            _ => continue,
        };
        if !info.flags.contains(SectionFlags::CONTENT_HASHED) {
            return Err(OxbinError::malformed(format!(
                "section `{}` is not content-hashed",
                info.name
            )));
        }
        *slot = Some(payload);
    }

    let control: Control = from_cbor(required(sections::CONTROL, payloads.control)?)?;
    if control.format != sections::FORMAT_NAME {
        return Err(OxbinError::malformed(format!(
            "the control section names format `{}`",
            control.format
        )));
    }
    tiers::check_tier_cap(&control)?;

    let symbols: Vec<Symbol> = from_cbor(required(sections::SYMBOL_TABLE, payloads.symbols)?)?;
    let declarations: Declarations =
        from_cbor(required(sections::DECLARATIONS, payloads.declarations)?)?;
    let standpoints: Vec<Standpoint> =
        from_cbor(required(sections::STANDPOINT_LATTICE, payloads.lattice)?)?;
    let tier_table: TierTable = from_cbor(required(sections::TIER_TABLE, payloads.tiers)?)?;
    let doc_blocks: Vec<DocBlock> = match payloads.docs {
        Some(bytes) => from_cbor(bytes)?,
        None => Vec::new(),
    };

    let mut module = declarations.into_module(standpoints);
    validate_module(&module)?;
    if symbols != sections::symbols(&module) {
        return Err(OxbinError::new(
            SYMBOL_RESOLUTION_FAILED,
            "the symbol table does not match the declarations",
        ));
    }
    tiers::check_tier_table(&module, &tier_table, &control)?;
    docs::apply_docs(&mut module, doc_blocks)?;
    let schema_hash = schema_hash(&module);
    if schema_hash != control.schema_hash {
        return Err(OxbinError::malformed(
            "schema hash mismatch: the control section disagrees with the declarations",
        ));
    }
    Ok(Artifact::new(module, container, schema_hash))
}

/// The payloads of the sections this reader knows.
#[derive(Default)]
struct KnownPayloads<'a> {
    control: Option<&'a [u8]>,
    symbols: Option<&'a [u8]>,
    declarations: Option<&'a [u8]>,
    lattice: Option<&'a [u8]>,
    tiers: Option<&'a [u8]>,
    docs: Option<&'a [u8]>,
}

/// The payload of a known mandatory section, or `OE1200` when it is missing.
fn required(type_id: u8, payload: Option<&[u8]>) -> Result<&[u8], OxbinError> {
    payload.ok_or_else(|| {
        OxbinError::malformed(format!(
            "the mandatory section `{}` is missing",
            sections::section_name(type_id)
        ))
    })
}

/// `schemaHash` (hex): SHA-256 over the canonical CBOR of the module with
/// every doc comment and the package metadata cleared. Item order is the
/// compiler's canonical order, so the hash does not depend on source order.
pub fn schema_hash(module: &Module) -> String {
    let mut schema = module.clone();
    docs::take_docs(&mut schema);
    schema.package = PackageInfo {
        name: String::new(),
        version: String::new(),
        entry: String::new(),
    };
    hex::encode(Sha256::digest(canonical::schema_bytes(&schema)))
}
