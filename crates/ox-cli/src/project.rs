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
    let (bytes, artifact) = oxbin::encode_artifact(&checked.compiled.module)
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
    Ok(artifact)
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
            let (_, artifact) = oxbin::encode_artifact(&checked.compiled.module)
                .map_err(|e| Failure::user(format!("[{}] {}", e.code, e.message)))?;
            Ok((artifact, dir))
        }
    }
}

/// Where a command's data lives: the backend and its location.
#[derive(Debug, Clone, Copy)]
pub struct StorageTarget<'a> {
    pub kind: StorageKind,
    /// The sqlite file (`--data`); default `<PKG>/.ox/store.sqlite`.
    pub data: Option<&'a Path>,
    /// `--database-url` (or `OX_DATABASE_URL`, read by clap).
    pub database_url: Option<&'a str>,
}

impl StorageTarget<'_> {
    /// The sqlite file used for `package`.
    fn sqlite_path(&self, package: &Path) -> PathBuf {
        self.data
            .map(Path::to_path_buf)
            .unwrap_or_else(|| package.join(".ox").join("store.sqlite"))
    }

    /// The PostgreSQL URL: the flag (or `OX_DATABASE_URL`), else `DATABASE_URL`;
    /// missing or empty is a bad invocation (exit code 2).
    pub fn database_url(&self) -> Result<String, Failure> {
        self.database_url
            .map(str::to_owned)
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .filter(|url| !url.trim().is_empty())
            .ok_or_else(|| {
                Failure::usage(
                    "--storage pg needs a database URL: pass --database-url postgres://… \
                     or set OX_DATABASE_URL (or DATABASE_URL)",
                )
            })
    }

    /// A one-line description for logs and `/v1/health` (no password).
    pub fn describe(&self, package: &Path) -> String {
        match self.kind {
            StorageKind::Sqlite => format!("sqlite at {}", self.sqlite_path(package).display()),
            StorageKind::Mem => "mem (nothing is kept after exit)".to_owned(),
            StorageKind::Pg => match self.database_url() {
                Ok(url) => format!("pg at {}", redact_password(&url)),
                Err(_) => "pg".to_owned(),
            },
        }
    }

    /// Opens the store (pg: connects and migrates its schema).
    pub fn open(&self, package: &Path) -> Result<Arc<dyn StorageBackend>, Failure> {
        let config = ox_store::BackendConfig {
            kind: self.kind.as_str().to_owned(),
            sqlite_path: Some(self.sqlite_path(package)),
            database_url: match self.kind {
                StorageKind::Pg => Some(self.database_url()?),
                StorageKind::Sqlite | StorageKind::Mem => None,
            },
        };
        config.open().map_err(|e| {
            Failure::user(format!("cannot open the {} store: {e}", self.kind.as_str()))
        })
    }
}

/// The URL with its password, if any, replaced by `***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl crate::args::StoreArgs {
    /// The storage these flags select.
    pub fn target(&self) -> StorageTarget<'_> {
        StorageTarget {
            kind: self.storage,
            data: self.data.as_deref(),
            database_url: self.database_url.as_deref(),
        }
    }
}

/// The folder whose `.ox/store.sqlite` is the default store of a command that
/// loads no artifact (`ox store export|import`): `--project`, else the nearest
/// package, else the current folder.
pub fn data_dir(project: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(dir) = project {
        return Ok(dir.to_path_buf());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::user(format!("cannot read the current folder: {e}")))?;
    Ok(ox_compiler::find_package_root(&cwd).unwrap_or(cwd))
}

/// The engine of a local command: the artifact (`--oxbin`, else the package
/// built in memory) over the store the flags select.
pub fn local_engine(store: &crate::args::StoreArgs) -> Result<ox_runtime::Engine, Failure> {
    let (artifact, dir) = artifact_for(store.oxbin.as_deref(), store.project.as_deref())?;
    let backend = store.target().open(&dir)?;
    Ok(ox_runtime::Engine::new(
        Arc::new(artifact.module),
        artifact.module_hash,
        artifact.schema_hash,
        backend,
    )?)
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
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://ox:s3cret@db:5432/ox?sslmode=require"),
            "postgres://ox:***@db:5432/ox?sslmode=require"
        );
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_password("host=db user=ox"), "host=db user=ox");
    }

    #[test]
    fn pg_without_a_url_is_a_usage_error() {
        let target = StorageTarget {
            kind: StorageKind::Pg,
            data: None,
            database_url: Some("  "),
        };
        if std::env::var("DATABASE_URL").is_err() {
            assert_eq!(target.database_url().unwrap_err().code, 2);
        }
        let target = StorageTarget {
            database_url: Some("postgres://a@b/c"),
            ..target
        };
        assert_eq!(target.database_url().unwrap(), "postgres://a@b/c");
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
