//! `ox new` scaffolds packages that pass `ox check` and `ox test`;
//! `ox run-scenario` prints each step's result and compares it with a
//! golden file (`--expect`), exiting 1 with a diff on mismatch.

mod support;

use std::path::{Path, PathBuf};

use support::{example_lease, ox};

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn new_packages_check_and_test_with_and_without_a_vocabulary() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, vocab) in [("shop", None), ("club", Some("ufo"))] {
        let path = dir.path().join(name).display().to_string();
        let mut args = vec!["new", path.as_str()];
        if let Some(v) = vocab {
            args.extend(["--vocab", v]);
        }
        let created = ox(&args);
        assert!(created.status.success(), "{}", text(&created.stderr));
        for command in ["check", "test"] {
            let out = ox(&[command, &path]);
            assert!(
                out.status.success(),
                "ox {command} {name}: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
    let manifest = std::fs::read_to_string(dir.path().join("club/ox.toml")).expect("a manifest");
    assert!(
        manifest.contains("ufo = { path = \"vocab/ufo\" }"),
        "{manifest}"
    );
    // An occupied folder and a bad name are refused.
    let again = ox(&["new", &dir.path().join("shop").display().to_string()]);
    assert_eq!(again.status.code(), Some(1));
    let bad = ox(&["new", &dir.path().join("1shop").display().to_string()]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_scenario_matches_its_golden_file_and_a_changed_golden_fails_with_a_diff() {
    let scenario = scenarios().join("lease.toml").display().to_string();
    let golden = scenarios().join("lease.golden.json");
    let project = example_lease().display().to_string();
    let golden_text = golden.display().to_string();
    let out = ox(&[
        "run-scenario",
        &scenario,
        "--project",
        &project,
        "--expect",
        &golden_text,
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(report["steps"][4]["result"]["rows"][0]["id"], "lease-1");
    assert_eq!(
        report["steps"][6]["error"]["code"],
        "ARGON_RUNTIME_SIGNATURE_MISMATCH"
    );

    let dir = tempfile::tempdir().expect("a temporary folder");
    let changed = dir.path().join("changed.json");
    let altered = std::fs::read_to_string(&golden)
        .expect("the golden file")
        .replace("\"lease-1\"", "\"lease-2\"");
    std::fs::write(&changed, altered).expect("written");
    let out = ox(&[
        "run-scenario",
        &scenario,
        "--project",
        &project,
        "--expect",
        &changed.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("- ") && stderr.contains("\"lease-2\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("+ ") && stderr.contains("\"lease-1\""),
        "{stderr}"
    );
}

#[test]
fn a_malformed_scenario_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[[step]]\ndo = \"dance\"\npath = \"x\"\n").expect("written");
    let out = ox(&[
        "run-scenario",
        &file.display().to_string(),
        "--project",
        &example_lease().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn mutation_statements_work_end_to_end() {
    let package = scenarios().join("../mutations").display().to_string();
    let tested = ox(&["test", &package]);
    assert!(
        tested.status.success(),
        "{}{}",
        text(&tested.stdout),
        text(&tested.stderr)
    );
    assert!(text(&tested.stdout).contains("3 passed"));
    let scenario = scenarios().join("mutations.toml").display().to_string();
    let out = ox(&["run-scenario", &scenario, "--project", &package]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let emitted = &report["steps"][2]["result"]["eventsEmitted"];
    assert_eq!(emitted[0]["name"], "Archived", "{report}");
    assert_eq!(emitted[0]["value"]["id"], "a", "{report}");
}
