//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ox_compiler::{compile_sources, CompileFailure, Compiled, Manifest};

/// Compiles in-memory files with a manifest named `pkg` whose prelude brings
/// `std::core::{type, rel}` into scope.
pub fn compile(files: &[(&str, &str)]) -> Result<Compiled, CompileFailure> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    compile_sources(&Manifest::new("pkg"), &files)
}

/// Compiles one root file.
pub fn compile_root(src: &str) -> Result<Compiled, CompileFailure> {
    compile(&[("src/root.ar", src)])
}

/// The codes of all diagnostics of a failed compilation (empty on success).
pub fn codes(src: &str) -> Vec<&'static str> {
    match compile_root(src) {
        Ok(c) => c.warnings.iter().map(|d| d.code).collect(),
        Err(f) => f.diagnostics.iter().map(|d| d.code).collect(),
    }
}

/// Rendered diagnostics of a failed compilation.
pub fn rendered(files: &[(&str, &str)]) -> String {
    match compile(files) {
        Ok(_) => "compiled without errors".to_string(),
        Err(f) => ox_syntax::render::render_text(&f.sources, &f.diagnostics),
    }
}

/// Asserts that compiling `src` reports `code`.
#[track_caller]
pub fn assert_code(src: &str, code: &str) {
    let found = codes(src);
    assert!(
        found.contains(&code),
        "expected {code}, found {found:?}\n{}",
        rendered(&[("src/root.ar", src)])
    );
}

/// Asserts that `src` compiles without errors.
#[track_caller]
pub fn assert_ok(src: &str) -> Compiled {
    match compile_root(src) {
        Ok(c) => c,
        Err(f) => panic!(
            "{}",
            ox_syntax::render::render_text(&f.sources, &f.diagnostics)
        ),
    }
}
