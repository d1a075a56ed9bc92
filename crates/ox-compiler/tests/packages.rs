//! Path dependencies: composition into one module, addressing by the
//! dependency's name, `pub use` re-exports, `pub(pkg)` at the package
//! boundary, cycles, and the UFO vocabulary policing a consumer.

use std::path::{Path, PathBuf};

use ox_compiler::{compile_package, CompileFailure, Compiled};

fn package(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn compiled(dir: &Path) -> Compiled {
    match compile_package(dir) {
        Ok(c) => c,
        Err(f) => panic!(
            "{}",
            ox_syntax::render::render_text(&f.sources, &f.diagnostics)
        ),
    }
}

fn failure(dir: &Path) -> CompileFailure {
    match compile_package(dir) {
        Ok(_) => panic!("{} compiled", dir.display()),
        Err(f) => f,
    }
}

fn codes(f: &CompileFailure) -> Vec<&'static str> {
    f.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn a_consumer_of_the_ufo_vocabulary_compiles_into_one_module() {
    let c = compiled(&package("consumer"));
    let metatype = |name: &str| {
        c.module
            .concepts
            .iter()
            .find(|k| k.name == name)
            .map(|k| k.metatype.clone())
    };
    assert_eq!(metatype("Person").as_deref(), Some("kind"));
    assert_eq!(metatype("Tenant").as_deref(), Some("role"));
    assert_eq!(metatype("Lease").as_deref(), Some("relator"));
    let rel = c.module.relations.iter().find(|r| r.name == "LeaseTenant");
    assert_eq!(rel.map(|r| r.metarel.as_str()), Some("mediation"));
    // Vocabulary checks never reach the artifact.
    assert!(c.module.checks.is_empty());
    assert_eq!(c.module.package.name, "consumer");
}

#[test]
fn pub_use_re_exports_and_pub_pkg_stops_at_the_package_boundary() {
    let f = failure(&package("app"));
    let private: Vec<&String> = f
        .diagnostics
        .iter()
        .filter(|d| d.code == "OE0102")
        .map(|d| &d.message)
        .collect();
    assert_eq!(
        private.len(),
        1,
        "{}",
        ox_syntax::render::render_text(&f.sources, &f.diagnostics)
    );
    assert!(private[0].contains("Internal") && private[0].contains("lib"));
    // The rest (Visible, the re-exported Exported) resolves.
    assert_eq!(
        codes(&f),
        vec!["OE0102"],
        "{}",
        ox_syntax::render::render_text(&f.sources, &f.diagnostics)
    );
}

#[test]
fn dependency_cycles_are_refused() {
    let f = failure(&package("cycle_a"));
    assert!(
        f.diagnostics
            .iter()
            .any(|d| d.code == "OE0901" && d.message.contains("dependency cycle")),
        "{:?}",
        f.diagnostics
    );
}

#[test]
fn the_ufo_vocabulary_compiles_on_its_own() {
    compiled(&example("ufo"));
}

#[test]
fn the_ufo_misuse_example_reports_every_broken_axiom() {
    let f = failure(&example("ufo-misuse"));
    let mut found = codes(&f);
    found.sort_unstable();
    found.dedup();
    assert_eq!(
        found,
        vec!["OE0631", "OE0632", "OE0633", "OE0640"],
        "{}",
        ox_syntax::render::render_text(&f.sources, &f.diagnostics)
    );
    let text = ox_syntax::render::render_text(&f.sources, &f.diagnostics);
    for expected in [
        "rigid type `Robot` may not specialise anti-rigid type `Tenant`",
        "role `Visitor` must specialise a sortal type",
        "sortal `Robot` inherits identity from both",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

/// The diagnostic fixtures of `ox-cli` (one package per code) report their
/// code from the compiler alone, except the ones only the evaluability gate
/// (`OE1305`) or `ox test` (a `command` file) can report.
#[test]
fn diagnostic_fixtures_report_their_codes_at_compile_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ox-cli/tests/fixtures/diagnostics");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).expect("the fixtures exist") {
        let dir = entry.expect("a fixture").path();
        let code = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if code == "OE1305" || dir.join("command").exists() {
            continue;
        }
        let found: Vec<&'static str> = match compile_package(&dir) {
            Ok(c) => c.warnings.iter().map(|d| d.code).collect(),
            Err(f) => codes(&f),
        };
        assert!(found.contains(&code.as_str()), "{code}: {found:?}");
        checked += 1;
    }
    assert!(checked > 50, "only {checked} fixtures");
}
