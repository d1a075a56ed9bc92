//! The product's example package compiles without errors and its module
//! passes the artifact validator.

use std::path::Path;

#[test]
fn lease_example_compiles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lease");
    let c = match ox_compiler::compile_package(&dir) {
        Ok(c) => c,
        Err(f) => panic!(
            "{}",
            ox_syntax::render::render_text(&f.sources, &f.diagnostics)
        ),
    };
    assert!(c.warnings.is_empty());
    let m = &c.module;
    assert!(m.concept_named("Person").is_some());
    // Built on the UFO vocabulary of `examples/ufo`.
    let metatype = |name: &str| m.concept_named(name).map(|(_, c)| c.metatype.as_str());
    assert_eq!(metatype("Person"), Some("kind"));
    assert_eq!(metatype("Tenant"), Some("role"));
    assert_eq!(metatype("Lease"), Some("relator"));
    let mediations = m
        .relations
        .iter()
        .filter(|r| r.metarel == "mediation")
        .count();
    assert_eq!(mediations, 2);
    assert!(m.concept_named("lease::billing::RentObligation").is_some());
    assert!(m.predicate_named("breach").is_some());
    assert!(m.query_named("leases_in_breach").is_some());
    assert!(m.mutation_named("sign_lease").is_some());
    assert_eq!(c.tests.len(), 3);
    if let Err(e) = ox_ir::oxbin::validate_module(m) {
        panic!("artifact validation: {e:?}");
    }
    let bytes = ox_ir::oxbin::encode(m).expect("encodes");
    let artifact = ox_ir::oxbin::decode(&bytes).expect("decodes");
    assert_eq!(&artifact.module, m);
}
