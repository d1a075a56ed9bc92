//! Every diagnostic code of the registry has an explanation and a negative
//! fixture that triggers it.
//!
//! Source fixtures live in `tests/fixtures/diagnostics/<CODE>/` (a package:
//! `ox.toml` + `src/…`). The real `ox` binary runs `ox check --codes` on each
//! (or the arguments of the fixture's `command` file, put before the package
//! folder: `test`, or `check --codes --reason --deadline-ms 1`) and the
//! fixture's code must appear in the output. Codes that can only come from
//! artifacts are triggered at the Rust level below ([`ARTIFACT_TRIGGERS`]);
//! the few codes that no input can trigger are listed with the reason in
//! [`UNTRIGGERABLE`]. A fixture whose code is not reported, a registry code
//! with neither a fixture nor a trigger, or a fixture for an unknown code
//! fails the test.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ox_ir::oxbin::{
    self, decode, encode_sections, from_cbor, sections, to_canonical_cbor, validate_module,
    write_container, Control, OxbinError, Preamble, RawSection, SectionFlags, TierTable, Version,
};
use ox_ir::{ConceptId, Module};

/// Codes that no source, artifact or store can trigger, with the reason.
const UNTRIGGERABLE: &[(&str, &str)] = &[
    (
        "OE0018",
        "needs a source file above 4 GiB; the size gate is unit-tested in ox-syntax",
    ),
    (
        "OE0019",
        "reported only when the parser thread itself fails (a bug in ox)",
    ),
];

/// Codes triggered by damaged or inconsistent artifacts.
const ARTIFACT_TRIGGERS: &[&str] = &[
    "OE1200", "OE1201", "OE1202", "OE1203", "OE1204", "OE1210", "OE1214",
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics")
}

/// The codes `ox` reports for one fixture package (errors fail with exit
/// code 1, a warning alone does not fail).
fn reported_codes(dir: &Path, code: &str) -> String {
    let command = std::fs::read_to_string(dir.join("command")).unwrap_or_default();
    let dir_text = dir.to_string_lossy().to_string();
    let mut args: Vec<&str> = command.split_whitespace().collect();
    if args.is_empty() {
        args = vec!["check", "--codes"];
    }
    args.push(&dir_text);
    let output = support::ox(&args);
    let expected_exit = if code.starts_with("OE") { 1 } else { 0 };
    assert_eq!(
        output.status.code(),
        Some(expected_exit),
        "{} must exit with {expected_exit}",
        dir.display()
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn code_of<T: std::fmt::Debug>(result: Result<T, OxbinError>) -> &'static str {
    match result {
        Ok(value) => panic!("expected an artifact error, got {value:?}"),
        Err(error) => error.code,
    }
}

/// A small compiled module to damage.
fn sample_module() -> Module {
    let dir = fixtures_dir().join("../sample_package");
    match ox_compiler::compile_package(&dir) {
        Ok(compiled) => compiled.module,
        Err(failure) => panic!(
            "{}",
            ox_syntax::render::render_text(&failure.sources, &failure.diagnostics)
        ),
    }
}

fn reassemble(
    module: &Module,
    preamble: Preamble,
    edit: impl FnOnce(&mut Vec<RawSection>),
) -> Vec<u8> {
    let mut raw = encode_sections(module).expect("the sample encodes");
    edit(&mut raw);
    write_container(&preamble, &raw).expect("the container is written")
}

fn edit_section<T: serde::Serialize + serde::de::DeserializeOwned>(
    raw: &mut [RawSection],
    type_id: u8,
    edit: impl FnOnce(&mut T),
) {
    let section = raw
        .iter_mut()
        .find(|s| s.type_id == type_id)
        .expect("the section exists");
    let mut value: T = from_cbor(&section.payload).expect("the section decodes");
    edit(&mut value);
    section.payload = to_canonical_cbor(&value).expect("the section encodes");
}

/// Triggers one artifact-level code.
fn trigger_artifact_code(code: &str) -> &'static str {
    let module = sample_module();
    match code {
        "OE1200" => code_of(decode(b"this is not an artifact")),
        "OE1201" => {
            let mut deep = module.clone();
            let mut body = ox_ir::Expr::Const(ox_ir::Value::Bool(true));
            for _ in 0..oxbin::MAX_NESTING {
                body = ox_ir::Expr::Unary {
                    op: ox_ir::UnaryOp::Not,
                    expr: Box::new(body),
                };
            }
            if let Some(f) = deep.functions.first_mut() {
                f.body = body;
            }
            code_of(oxbin::encode(&deep))
        }
        "OE1202" => {
            let mut preamble = Preamble::CURRENT;
            let v = preamble.oxbin_format_version;
            preamble.oxbin_format_version = Version::new(v.major + 1, 0);
            code_of(decode(&reassemble(&module, preamble, |_| {})))
        }
        "OE1203" => code_of(decode(&reassemble(&module, Preamble::CURRENT, |raw| {
            raw.push(RawSection {
                type_id: 0x40,
                flags: SectionFlags::MANDATORY.union(SectionFlags::CONTENT_HASHED),
                payload: vec![0xF6],
            })
        }))),
        "OE1204" => code_of(decode(&reassemble(&module, Preamble::CURRENT, |raw| {
            edit_section(raw, sections::CONTROL, |c: &mut Control| {
                c.required_tier = oxbin::SUPPORTED_TIER + 1
            })
        }))),
        "OE1210" => {
            let mut broken = module.clone();
            if let Some(c) = broken.concepts.first_mut() {
                c.supertypes.push(ConceptId(9_999));
            }
            code_of(validate_module(&broken))
        }
        "OE1214" => code_of(decode(&reassemble(&module, Preamble::CURRENT, |raw| {
            edit_section(raw, sections::TIER_TABLE, |t: &mut TierTable| {
                t.queries.push(0)
            })
        }))),
        other => panic!("no artifact trigger for {other}"),
    }
}

#[test]
fn every_registry_code_has_an_explanation_and_a_fixture_that_triggers_it() {
    let registry: BTreeSet<&str> = ox_syntax::codes::all().iter().map(|c| c.code).collect();
    for info in ox_syntax::codes::all() {
        assert!(
            info.explanation.len() > 40,
            "{} needs an explanation",
            info.code
        );
        let explained = support::ox(&["explain", info.code]);
        assert_eq!(explained.status.code(), Some(0), "ox explain {}", info.code);
    }

    let mut fixtures = BTreeSet::new();
    let entries = std::fs::read_dir(fixtures_dir()).expect("the fixtures folder exists");
    let mut failures = Vec::new();
    for entry in entries {
        let entry = entry.expect("a readable fixture entry");
        let code = entry.file_name().to_string_lossy().to_string();
        assert!(
            registry.contains(code.as_str()),
            "fixture {code} names a code that is not in the registry"
        );
        let reported = reported_codes(&entry.path(), &code);
        if !reported.contains(&code) {
            failures.push(format!("{code}: fixture reported\n{reported}"));
        }
        fixtures.insert(code);
    }

    for code in ARTIFACT_TRIGGERS {
        assert!(!fixtures.contains(*code), "{code} has two triggers");
        let got = trigger_artifact_code(code);
        if got != *code {
            failures.push(format!("{code}: artifact trigger gave {got}"));
        }
    }
    for (code, reason) in UNTRIGGERABLE {
        assert!(registry.contains(code), "{code} is not registered");
        assert!(
            !fixtures.contains(*code),
            "{code} has a fixture now; remove it from UNTRIGGERABLE ({reason})"
        );
    }

    let covered: BTreeSet<&str> = fixtures
        .iter()
        .map(String::as_str)
        .chain(ARTIFACT_TRIGGERS.iter().copied())
        .chain(UNTRIGGERABLE.iter().map(|(c, _)| *c))
        .collect();
    for code in registry.difference(&covered) {
        failures.push(format!("{code}: no fixture and no trigger"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
