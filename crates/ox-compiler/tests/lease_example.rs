//! The product's example package compiles without errors.

use std::path::Path;

#[test]
fn lease_example_compiles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lease");
    match ox_compiler::compile_package(&dir) {
        Ok(c) => {
            assert!(c.module.concept_named("Person").is_some());
            assert!(c.module.predicate_named("breach").is_some());
            assert_eq!(c.tests.len(), 3);
        }
        Err(f) => panic!(
            "{}",
            ox_syntax::render::render_text(&f.sources, &f.diagnostics)
        ),
    }
}
