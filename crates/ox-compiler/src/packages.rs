//! Path dependencies: every package reachable through `[dependencies]
//! name = { path = "…" }` is loaded once and compiled together with the
//! package being built into one module. A dependency's items are addressed
//! by the dependency's name (`use ufo::{kind, role};`); cycles are `OE0901`.

use std::path::{Path, PathBuf};

use ox_syntax::{Diagnostic, FileId, SourceMap, Span};

use crate::codes;
use crate::loader::{self, LoadedFile};
use crate::manifest::{self, Manifest};

/// One package of a compilation: the package being built (index 0) or a dependency.
pub(crate) struct Unit {
    /// The package name (the name its dependents use).
    pub name: String,
    /// The manifest's prelude entries, resolved from the package's root module.
    pub prelude: Vec<String>,
    /// Where prelude problems are reported.
    pub prelude_span: Span,
    /// Indices (into the unit list) of the packages this one depends on, with
    /// the name it uses for each.
    pub deps: Vec<(String, usize)>,
    /// The package's files; `parent` indices are local to this list.
    pub files: Vec<LoadedFile>,
}

/// Loads the dependencies of the package in `dir`, depth first; the result
/// holds the dependencies only (units 1…), and `root_deps` the root's edges.
pub(crate) fn load_dependencies(
    dir: &Path,
    manifest: &Manifest,
    manifest_file: FileId,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Unit>, Vec<(String, usize)>) {
    let mut loader = DepLoader {
        sources,
        diags,
        units: Vec::new(),
        dirs: Vec::new(),
        stack: vec![canonical(dir)],
    };
    let root_deps = loader.dependencies_of(dir, "", manifest, manifest_file);
    (loader.units, root_deps)
}

struct DepLoader<'s> {
    sources: &'s mut SourceMap,
    diags: &'s mut Vec<Diagnostic>,
    /// Loaded dependency units; unit `i` here is unit `i + 1` of the compilation.
    units: Vec<Unit>,
    /// Canonical folder of each loaded unit.
    dirs: Vec<PathBuf>,
    /// Folders being loaded (for cycle detection).
    stack: Vec<PathBuf>,
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The span of `needle` in a manifest file, or its start.
fn span_in(sources: &SourceMap, file: FileId, needle: &str) -> Span {
    match sources.get(file).and_then(|f| f.text.find(needle)) {
        Some(i) => Span::new(file, i as u32, (i + needle.len()) as u32),
        None => Span::new(file, 0, 0),
    }
}

impl DepLoader<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.diags
            .push(Diagnostic::error(codes::BAD_MANIFEST, span, message));
    }

    /// Loads every dependency of one package; returns its edges.
    fn dependencies_of(
        &mut self,
        dir: &Path,
        prefix: &str,
        manifest: &Manifest,
        manifest_file: FileId,
    ) -> Vec<(String, usize)> {
        let mut edges = Vec::new();
        for (name, path) in manifest.dependencies.iter().zip(&manifest.dependency_paths) {
            let span = span_in(self.sources, manifest_file, name);
            let Some(path) = path else {
                self.error(
                    span,
                    format!(
                        "dependency `{name}` has no `path`; only path dependencies are supported"
                    ),
                );
                continue;
            };
            if let Some(index) = self.load(dir, prefix, name, path, span) {
                edges.push((name.clone(), index));
            }
        }
        edges
    }

    /// Loads one dependency (once); returns its unit index in the compilation.
    fn load(
        &mut self,
        dir: &Path,
        prefix: &str,
        name: &str,
        path: &str,
        span: Span,
    ) -> Option<usize> {
        let dep_dir = dir.join(path);
        let key = canonical(&dep_dir);
        if let Some(pos) = self.stack.iter().position(|d| *d == key) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|d| {
                    d.file_name()
                        .map_or_else(|| d.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            self.error(span, format!("dependency cycle: {}", cycle.join(" → ")));
            return None;
        }
        if let Some(i) = self.dirs.iter().position(|d| *d == key) {
            return Some(i + 1);
        }
        let dep_prefix = format!("{prefix}{path}/");
        let manifest_name = format!("{dep_prefix}ox.toml");
        let Ok(text) = std::fs::read_to_string(dep_dir.join("ox.toml")) else {
            self.error(
                span,
                format!("dependency `{name}`: no ox.toml in `{}`", dep_dir.display()),
            );
            return None;
        };
        let file = self.sources.add(manifest_name, text.clone());
        let dep = match Manifest::parse(&text) {
            Ok(m) => m,
            Err(msg) => {
                self.error(Span::new(file, 0, 0), format!("invalid `ox.toml`: {msg}"));
                return None;
            }
        };
        if dep.name != name {
            self.error(
                span,
                format!(
                    "dependency `{name}` points at package `{}`; name the dependency after the package",
                    dep.name
                ),
            );
            return None;
        }
        let mut entry = dep.entry.clone();
        if !dep.entry_explicit
            && !dep_dir.join(&entry).is_file()
            && dep_dir.join(manifest::FALLBACK_ENTRY).is_file()
        {
            entry = manifest::FALLBACK_ENTRY.to_string();
        }
        let read = |rel: &str| std::fs::read_to_string(dep_dir.join(rel)).ok();
        let files = loader::load(
            &entry,
            &dep_prefix,
            &read,
            self.sources,
            self.diags,
            Span::new(file, 0, 0),
        );
        self.dirs.push(key.clone());
        self.units.push(Unit {
            name: dep.name.clone(),
            prelude: dep.prelude.clone(),
            prelude_span: span_in(self.sources, file, "prelude"),
            deps: Vec::new(),
            files,
        });
        let index = self.units.len();
        self.stack.push(key);
        let edges = self.dependencies_of(&dep_dir, &dep_prefix, &dep, file);
        self.stack.pop();
        if let Some(unit) = self.units.get_mut(index - 1) {
            unit.deps = edges;
        }
        Some(index)
    }
}
