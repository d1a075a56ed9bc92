//! Finding packages, compiling them through the evaluability gate, writing
//! and loading artifacts, and opening stores.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ox_compiler::{CompileFailure, Compiled};
use ox_ir::oxbin::{self, Artifact};
use ox_store::StorageBackend;
use ox_syntax::diagnostic::Diagnostic;

use crate::args::{PackageArg, StorageKind};
use crate::failure::Failure;
use crate::output;

/// The package folder named on the command line, or the nearest parent of the
/// current folder with an `ox.toml`.
pub fn package_dir(explicit: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(dir) = explicit {
        if !dir.join("ox.toml").is_file() {
            return Err(Failure::user(format!(
                "{} is not a package: it has no ox.toml",
                dir.display()
            )));
        }
        return Ok(dir.to_path_buf());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::user(format!("cannot read the current folder: {e}")))?;
    ox_compiler::find_package_root(&cwd).ok_or_else(|| {
        Failure::user("no ox.toml in this folder or any parent; pass the package folder (e.g. `ox build examples/lease`)")
    })
}

impl PackageArg {
    /// The package folder this argument names.
    pub fn resolve(&self) -> Result<PathBuf, Failure> {
        package_dir(self.package.as_deref().or(self.project.as_deref()))
    }
}

/// A package that compiled and passed the evaluability gate.
pub struct Checked {
    pub compiled: Compiled,
}

/// Compiles a package and runs the runtime's own rule compiler over every rule
/// (the evaluability gate). Errors are returned as diagnostics.
pub fn check_package(dir: &Path) -> Result<Checked, CompileFailure> {
    let compiled = ox_compiler::compile_package(dir)?;
    if let Err(error) = ox_reasoner::Program::new(&compiled.module) {
        let diagnostic = Diagnostic::error(
            ox_syntax::codes::RULE_NOT_EVALUABLE,
            ox_syntax::span::Span::default(),
            format!("the rules cannot be evaluated: {error}"),
        );
        return Err(CompileFailure {
            sources: compiled.sources,
            diagnostics: vec![diagnostic],
        });
    }
    Ok(Checked { compiled })
}

/// Compiles a package, printing diagnostics; fails with exit code 1 on errors.
pub fn check_package_or_report(dir: &Path) -> Result<Checked, Failure> {
    match check_package(dir) {
        Ok(checked) => {
            output::print_diagnostics(&checked.compiled.sources, &checked.compiled.warnings);
            Ok(checked)
        }
        Err(failure) => {
            output::print_diagnostics(&failure.sources, &failure.diagnostics);
            Err(Failure::printed())
        }
    }
}

/// The default artifact path: `<PKG>/target/<entry-stem>.oxbin`.
pub fn default_artifact_path(dir: &Path) -> Result<PathBuf, Failure> {
    let manifest_text = std::fs::read_to_string(dir.join("ox.toml")).map_err(|e| {
        Failure::user(format!(
            "cannot read {}: {e}",
            dir.join("ox.toml").display()
        ))
    })?;
    let manifest = ox_compiler::Manifest::parse(&manifest_text)
        .map_err(|e| Failure::user(format!("{}: {e}", dir.join("ox.toml").display())))?;
    let stem = Path::new(&manifest.entry)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("root")
        .to_string();
    Ok(dir.join("target").join(format!("{stem}.oxbin")))
}

/// Builds the package and writes the artifact atomically (temp file, then
/// rename), so a failed build never leaves a partial file behind.
pub fn build_to(dir: &Path, output: &Path) -> Result<Artifact, Failure> {
    let checked = check_package_or_report(dir)?;
    let bytes = oxbin::encode(&checked.compiled.module)
        .map_err(|e| Failure::user(format!("[{}] {}", e.code, e.message)))?;
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::user(format!("cannot create {}: {e}", parent.display())))?;
    }
    let temp = output.with_extension("oxbin.tmp");
    std::fs::write(&temp, &bytes)
        .map_err(|e| Failure::user(format!("cannot write {}: {e}", temp.display())))?;
    std::fs::rename(&temp, output)
        .map_err(|e| Failure::user(format!("cannot write {}: {e}", output.display())))?;
    oxbin::decode(&bytes).map_err(|e| {
        Failure::user(format!(
            "the artifact just built does not load: [{}] {}",
            e.code, e.message
        ))
    })
}

/// Reads and validates an artifact file.
pub fn load_artifact(path: &Path) -> Result<Artifact, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::user(format!(
            "cannot read the artifact {}: {e}; run `ox build` first",
            path.display()
        ))
    })?;
    oxbin::decode(&bytes).map_err(|e| {
        Failure::user(format!(
            "{} is not a valid artifact: [{}] {}",
            path.display(),
            e.code,
            e.message
        ))
    })
}

/// The artifact to run: `--oxbin` if given, else the package built in memory.
pub fn artifact_for(
    oxbin_path: Option<&Path>,
    project: Option<&Path>,
) -> Result<(Artifact, PathBuf), Failure> {
    let dir = package_dir(project);
    match oxbin_path {
        Some(path) => Ok((
            load_artifact(path)?,
            dir.unwrap_or_else(|_| PathBuf::from(".")),
        )),
        None => {
            let dir = dir?;
            let checked = check_package_or_report(&dir)?;
            let bytes = oxbin::encode(&checked.compiled.module)
                .map_err(|e| Failure::user(format!("[{}] {}", e.code, e.message)))?;
            let artifact = oxbin::decode(&bytes)
                .map_err(|e| Failure::user(format!("[{}] {}", e.code, e.message)))?;
            Ok((artifact, dir))
        }
    }
}

/// Opens the store: sqlite at `data` (default `<PKG>/.ox/store.sqlite`) or memory.
pub fn open_store(
    kind: StorageKind,
    data: Option<&Path>,
    package: &Path,
) -> Result<Arc<dyn StorageBackend>, Failure> {
    let default_path = package.join(".ox").join("store.sqlite");
    let path = data.unwrap_or(&default_path);
    ox_store::open_backend(kind.as_str(), Some(path))
        .map_err(|e| Failure::user(format!("cannot open the {} store: {e}", kind.as_str())))
}

/// Parses `--arg k=v` pairs: the value is read as JSON when it parses, else as a string.
pub fn parse_args(pairs: &[String]) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let mut map = serde_json::Map::new();
    for pair in pairs {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            Failure::usage(format!("--arg `{pair}` is not of the form name=value"))
        })?;
        if key.is_empty() {
            return Err(Failure::usage(format!("--arg `{pair}` has an empty name")));
        }
        let value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        if map.insert(key.to_string(), value).is_some() {
            return Err(Failure::usage(format!("--arg `{key}` is given twice")));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_read_json_or_fall_back_to_strings() {
        let map = parse_args(&[
            "age=25".into(),
            "name=Alice".into(),
            "start=2026-01-01".into(),
            "ok=true".into(),
        ])
        .unwrap();
        assert_eq!(map["age"], serde_json::json!(25));
        assert_eq!(map["name"], serde_json::json!("Alice"));
        assert_eq!(map["start"], serde_json::json!("2026-01-01"));
        assert_eq!(map["ok"], serde_json::json!(true));
    }

    #[test]
    fn malformed_args_are_usage_errors() {
        assert_eq!(parse_args(&["novalue".into()]).unwrap_err().code, 2);
        assert_eq!(parse_args(&["=x".into()]).unwrap_err().code, 2);
        assert_eq!(
            parse_args(&["a=1".into(), "a=2".into()]).unwrap_err().code,
            2
        );
    }
}
