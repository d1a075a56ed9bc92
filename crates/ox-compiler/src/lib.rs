//! ox-compiler: packages (`ox.toml`), the module tree, `std::core`, name
//! resolution, type checking, lowering of Argon source to the IR
//! [`ox_ir::Module`], and test discovery.
//!
//! Entry points: [`compile_package`] (a package directory on disk) and
//! [`compile_sources`] (in-memory files, for tests and tools). Both return
//! every diagnostic of the run, sorted by file and position.
//!
//! Module layout on disk: the entry file (`src/root.ar` by default) is the
//! root module; `mod x;` in the entry file `dir/root.ar` loads `dir/x.ar`, and
//! in any other file `dir/f.ar` loads `dir/f/x.ar`. Item paths are
//! `<package>::<module path>::<item>` (`lease::Person`, `lease::billing::paid`).
//!
//! Path dependencies (`[dependencies] ufo = { path = "../ufo" }`) are loaded
//! with the package and compiled into the same module; their items are
//! addressed by the dependency's name (`ufo::kind`). The substrate
//! (metaxes, metatypes, metarels) is validated and vocabulary checks over
//! declarations run during compilation (see `lower::substrate`,
//! `lower::vocabulary`).

mod codes;
mod loader;
mod lower;
mod manifest;
mod order;
mod packages;
mod scope;
mod types;

use std::path::{Path, PathBuf};

pub use manifest::Manifest;
use ox_syntax::{Diagnostic, FileId, SourceMap, Span};

/// A successful compilation.
#[derive(Debug)]
pub struct Compiled {
    /// The lowered module, in canonical order.
    pub module: ox_ir::Module,
    /// The `test` blocks of the package, in source order.
    pub tests: Vec<ox_ir::Test>,
    /// Every source file read (the manifest first).
    pub sources: SourceMap,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
}

/// A failed compilation: all errors and warnings, sorted by file and position.
#[derive(Debug)]
pub struct CompileFailure {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// The nearest directory at or above `start` that contains `ox.toml`.
pub fn find_package_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("ox.toml").is_file())
        .map(Path::to_path_buf)
}

/// Compiles the package in `dir` (reads `dir/ox.toml` and the module files).
pub fn compile_package(dir: &Path) -> Result<Compiled, CompileFailure> {
    let mut sources = SourceMap::new();
    let manifest_path = dir.join("ox.toml");
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(t) => t,
        Err(e) => {
            let file = sources.add("ox.toml", "");
            let d = Diagnostic::error(
                codes::BAD_MANIFEST,
                Span::new(file, 0, 0),
                format!("cannot read `{}`: {e}", manifest_path.display()),
            );
            return Err(CompileFailure {
                sources,
                diagnostics: vec![d],
            });
        }
    };
    let file = sources.add("ox.toml", text.clone());
    let manifest = match Manifest::parse(&text) {
        Ok(m) => m,
        Err(msg) => {
            let span = manifest::error_span(&text)
                .map(|r| Span::new(file, r.start as u32, r.end as u32))
                .unwrap_or_else(|| first_line(&sources, file));
            let d = Diagnostic::error(
                codes::BAD_MANIFEST,
                span,
                format!("invalid `ox.toml`: {msg}"),
            );
            return Err(CompileFailure {
                sources,
                diagnostics: vec![d],
            });
        }
    };
    let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).ok();
    compile_with(&manifest, sources, file, &read, Some(dir))
}

/// Compiles in-memory files (paths relative to the package root, `/`-separated).
/// An `ox.toml` among the files is only used for diagnostic positions.
pub fn compile_sources(
    manifest: &Manifest,
    files: &[(String, String)],
) -> Result<Compiled, CompileFailure> {
    let mut sources = SourceMap::new();
    let text = files
        .iter()
        .find(|(p, _)| p == "ox.toml")
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| render_manifest(manifest));
    let file = sources.add("ox.toml", text);
    let read = |rel: &str| files.iter().find(|(p, _)| p == rel).map(|(_, t)| t.clone());
    compile_with(manifest, sources, file, &read, None)
}

/// A TOML rendering of a manifest (for diagnostics about in-memory packages).
fn render_manifest(m: &Manifest) -> String {
    let mut s = format!(
        "[package]\nname = {:?}\nversion = {:?}\n",
        m.name, m.version
    );
    if m.entry_explicit {
        s.push_str(&format!("entry = {:?}\n", m.entry));
    }
    if !m.prelude.is_empty() {
        let items: Vec<String> = m.prelude.iter().map(|p| format!("{p:?}")).collect();
        s.push_str(&format!("prelude = [{}]\n", items.join(", ")));
    }
    if !m.dependencies.is_empty() {
        s.push_str("\n[dependencies]\n");
        for d in &m.dependencies {
            s.push_str(&format!("{d} = {{}}\n"));
        }
    }
    s
}

fn first_line(sources: &SourceMap, file: FileId) -> Span {
    let len = sources.get(file).map_or(0, |f| f.line_text(0).len());
    Span::new(file, 0, len as u32)
}

/// The span of `needle` in the manifest text, or its first line.
fn manifest_span(sources: &SourceMap, file: FileId, needle: &str) -> Span {
    match sources.get(file).and_then(|f| f.text.find(needle)) {
        Some(i) => Span::new(file, i as u32, (i + needle.len()) as u32),
        None => first_line(sources, file),
    }
}

/// Compiles a package; `dir` is its folder on disk (dependencies are only
/// loaded for packages on disk).
fn compile_with(
    manifest: &Manifest,
    mut sources: SourceMap,
    manifest_file: FileId,
    read: &dyn Fn(&str) -> Option<String>,
    dir: Option<&Path>,
) -> Result<Compiled, CompileFailure> {
    let mut diags = Vec::new();
    let (dependencies, root_deps) = match dir {
        Some(dir) => {
            packages::load_dependencies(dir, manifest, manifest_file, &mut sources, &mut diags)
        }
        None => {
            if !manifest.dependencies.is_empty() {
                diags.push(Diagnostic::error(
                    codes::NOT_SUPPORTED,
                    manifest_span(&sources, manifest_file, "[dependencies]"),
                    format!(
                        "in-memory packages cannot have dependencies ({}); compile the package from disk",
                        manifest.dependencies.join(", ")
                    ),
                ));
            }
            (Vec::new(), Vec::new())
        }
    };
    let mut entry = manifest.entry.clone();
    if !manifest.entry_explicit
        && read(&entry).is_none()
        && read(manifest::FALLBACK_ENTRY).is_some()
    {
        entry = manifest::FALLBACK_ENTRY.to_string();
    }
    let entry_span = if manifest.entry_explicit {
        manifest_span(&sources, manifest_file, &manifest.entry)
    } else {
        first_line(&sources, manifest_file)
    };
    let files = loader::load(&entry, "", read, &mut sources, &mut diags, entry_span);
    let prelude_span = manifest_span(&sources, manifest_file, "prelude");
    let output = if files.is_empty() {
        None
    } else {
        let mut units = vec![packages::Unit {
            name: manifest.name.clone(),
            prelude: manifest.prelude.clone(),
            prelude_span,
            deps: root_deps,
            files,
        }];
        units.extend(dependencies);
        Some(lower::lower(manifest, &entry, units, &sources, &mut diags))
    };
    diags.sort_by(|a, b| {
        (
            a.primary.file,
            a.primary.start,
            a.primary.end,
            a.code,
            &a.message,
        )
            .cmp(&(
                b.primary.file,
                b.primary.start,
                b.primary.end,
                b.code,
                &b.message,
            ))
    });
    diags.dedup();
    match output {
        Some(out) if !ox_syntax::diagnostic::has_errors(&diags) => Ok(Compiled {
            module: out.module,
            tests: out.tests,
            sources,
            warnings: diags,
        }),
        _ => Err(CompileFailure {
            sources,
            diagnostics: diags,
        }),
    }
}
