//! The package manifest `ox.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Default entry file, tried first when `entry` is not given.
pub const DEFAULT_ENTRY: &str = "src/root.ar";
/// Fallback entry file when `src/root.ar` does not exist and `entry` is not given.
pub const FALLBACK_ENTRY: &str = "root.ar";

/// The `[package]` table of `ox.toml` (plus the names of declared dependencies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Package name; the first segment of every item path.
    pub name: String,
    /// Package version as written.
    pub version: String,
    /// Entry file relative to the package root (default `src/root.ar`, then `root.ar`).
    pub entry: String,
    /// Whether `entry` was written in the manifest (otherwise the fallback applies).
    pub entry_explicit: bool,
    /// Paths brought into scope in every file, e.g. `std::core::type`.
    pub prelude: Vec<String>,
    /// Names of the `[dependencies]` entries, sorted.
    pub dependencies: Vec<String>,
    /// The `path` of each dependency (same order as `dependencies`); `None`
    /// when the entry has no `path` (only path dependencies are supported).
    pub dependency_paths: Vec<Option<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    package: RawPackage,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    name: String,
    #[serde(default = "default_version")]
    version: String,
    entry: Option<String>,
    #[serde(default)]
    prelude: Vec<String>,
}

fn default_version() -> String {
    "0.0.0".to_string()
}

impl Manifest {
    /// A manifest with the given name, version `0.1.0`, the default entry and
    /// the prelude `std::core::{type, rel}`.
    pub fn new(name: impl Into<String>) -> Manifest {
        Manifest {
            name: name.into(),
            version: "0.1.0".to_string(),
            entry: DEFAULT_ENTRY.to_string(),
            entry_explicit: false,
            prelude: vec!["std::core::type".to_string(), "std::core::rel".to_string()],
            dependencies: Vec::new(),
            dependency_paths: Vec::new(),
        }
    }

    /// Parses the text of `ox.toml`; the error is a one-line message.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let p = raw.package;
        if !is_identifier(&p.name) {
            return Err(format!(
                "package name `{}` is not an identifier (letters, digits and `_`, not starting with a digit)",
                p.name
            ));
        }
        if matches!(p.name.as_str(), "std" | "self" | "super" | "pkg") {
            return Err(format!("package name `{}` is reserved", p.name));
        }
        for entry in &p.prelude {
            if entry.split("::").any(|s| !is_identifier(s)) {
                return Err(format!(
                    "prelude entry `{entry}` is not a path such as `std::core::type`"
                ));
            }
        }
        let entry_explicit = p.entry.is_some();
        Ok(Manifest {
            name: p.name,
            version: p.version,
            entry: p.entry.unwrap_or_else(|| DEFAULT_ENTRY.to_string()),
            entry_explicit,
            prelude: p.prelude,
            dependency_paths: raw
                .dependencies
                .values()
                .map(|v| v.get("path").and_then(|p| p.as_str()).map(str::to_string))
                .collect(),
            dependencies: raw.dependencies.into_keys().collect(),
        })
    }
}

/// Byte range of the first error in a manifest text, if the TOML parser reports one.
pub(crate) fn error_span(text: &str) -> Option<std::ops::Range<usize>> {
    match toml::from_str::<RawManifest>(text) {
        Err(e) => e.span(),
        Ok(_) => None,
    }
}

/// Whether `s` is an Argon identifier.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => chars.all(|c| c.is_alphanumeric() || c == '_'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_manifest() {
        let m = Manifest::parse(
            "[package]\nname = \"lease\"\nversion = \"0.1.0\"\nentry = \"main.ar\"\nprelude = [\"std::core::type\"]\n",
        )
        .unwrap();
        assert_eq!(m.name, "lease");
        assert_eq!(m.entry, "main.ar");
        assert!(m.entry_explicit);
        assert_eq!(m.prelude, vec!["std::core::type"]);
        assert!(m.dependencies.is_empty());
    }

    #[test]
    fn defaults_and_dependencies() {
        let m = Manifest::parse(
            "[package]\nname = \"a\"\n[dependencies]\nufo = { path = \"../ufo\" }\n",
        )
        .unwrap();
        assert_eq!(m.entry, DEFAULT_ENTRY);
        assert!(!m.entry_explicit);
        assert_eq!(m.version, "0.0.0");
        assert_eq!(m.dependencies, vec!["ufo"]);
        assert_eq!(m.dependency_paths, vec![Some("../ufo".to_string())]);
    }

    #[test]
    fn rejects_bad_manifests() {
        assert!(Manifest::parse("").is_err());
        assert!(Manifest::parse("[package]\nname = \"1x\"\n").is_err());
        assert!(Manifest::parse("[package]\nname = \"std\"\n").is_err());
        assert!(Manifest::parse("[package]\nname = \"a\"\nbogus = 1\n").is_err());
        assert!(Manifest::parse("[package]\nname = \"a\"\nprelude = [\"a::\"]\n").is_err());
    }
}
