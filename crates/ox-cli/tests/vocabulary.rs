//! The UFO vocabulary polices its consumers at `ox check`: the example
//! vocabulary and the lease package built on it pass, the deliberately
//! wrong consumer fails with the expected codes and exit code 1.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::ox;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

#[test]
fn the_vocabulary_and_its_consumer_check() {
    for name in ["ufo", "lease"] {
        let dir = example(name).display().to_string();
        let output = ox(&["check", &dir]);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_consumer_that_breaks_the_axioms_fails_with_the_expected_codes() {
    let dir = example("ufo-misuse").display().to_string();
    let output = ox(&["check", "--codes", &dir]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let codes: BTreeSet<&str> = stdout.lines().collect();
    assert_eq!(
        codes,
        BTreeSet::from(["OE0631", "OE0632", "OE0633", "OE0640"]),
        "{stdout}"
    );
    let output = ox(&["check", &dir]);
    let rendered = String::from_utf8_lossy(&output.stderr);
    assert!(
        rendered.contains("rigid type `Robot` may not specialise anti-rigid type `Tenant`"),
        "{rendered}"
    );
}
