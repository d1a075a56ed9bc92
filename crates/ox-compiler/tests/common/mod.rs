//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ox_compiler::{compile_sources, CompileFailure, Compiled, Manifest};
use ox_runtime::{run_tests, TestStatus};

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

/// Compiles `src` and returns each `test` block's name with its status.
#[track_caller]
pub fn outcomes(src: &str) -> Vec<(String, TestStatus)> {
    let compiled = assert_ok(src);
    assert!(!compiled.tests.is_empty(), "no tests in the source");
    run_tests(&compiled.module, &compiled.tests, None)
        .into_iter()
        .map(|o| (o.name, o.status))
        .collect()
}

/// Compiles `src` and asserts that every `test` block in it passes.
#[track_caller]
pub fn assert_tests_pass(src: &str) {
    let failures: Vec<String> = outcomes(src)
        .into_iter()
        .filter(|(_, s)| *s != TestStatus::Passed)
        .map(|(n, s)| format!("{n}: {s:?}"))
        .collect();
    assert!(
        failures.is_empty(),
        "failing tests:\n{}",
        failures.join("\n")
    );
}
