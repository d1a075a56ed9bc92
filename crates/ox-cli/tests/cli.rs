//! End to end: the local commands on the example package and on bad input.

mod support;

use support::{example_lease, ox};

#[test]
fn the_example_checks_and_its_tests_pass() {
    let lease = example_lease();
    let output = ox(&["check", lease.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = ox(&["test", lease.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("test result: ok."), "{stdout}");
}

#[test]
fn two_builds_are_byte_identical_and_a_flipped_byte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lease = example_lease();
    let first = dir.path().join("a.oxbin");
    let second = dir.path().join("b.oxbin");
    for out in [&first, &second] {
        let output = ox(&[
            "build",
            lease.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(bytes, std::fs::read(&second).unwrap());
    assert!(bytes.starts_with(b"OXBIN"));

    let output = ox(&["inspect", first.to_str().unwrap(), "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let tampered = dir.path().join("tampered.oxbin");
    for position in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let mut altered = bytes.clone();
        altered[position] ^= 0x40;
        std::fs::write(&tampered, &altered).unwrap();
        let output = ox(&["inspect", tampered.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "a flipped byte at {position} must be refused"
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains("not a valid artifact"));
    }
}

#[test]
fn a_broken_package_fails_with_diagnostics_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("ox.toml"),
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/root.ar"),
        "use std::core::type;\npub type Person { name: String }\nderive bad(x, y) :- x: Person;\npub type Oops { a: Strin }\n",
    )
    .unwrap();
    let output = ox(&["check", dir.path().to_str().unwrap(), "--codes"]);
    assert_eq!(output.status.code(), Some(1));
    let codes = String::from_utf8_lossy(&output.stdout);
    assert!(
        codes.contains("OE1303"),
        "range restriction reported: {codes}"
    );
    assert!(
        codes.contains("OE0101"),
        "unresolved type reported: {codes}"
    );

    let output = ox(&["build", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !dir.path().join("target/root.oxbin").exists(),
        "a failed build writes no artifact"
    );

    let output = ox(&["check", dir.path().to_str().unwrap(), "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--json prints one JSON report");
    assert!(report["diagnostics"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));
}

#[test]
fn local_query_and_mutate_use_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store.sqlite");
    let lease = example_lease();
    let common = [
        "--project",
        lease.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--tenant",
        "acme",
    ];
    let mut args = vec![
        "mutate",
        "lease::register_person",
        "--arg",
        "id=alice",
        "--arg",
        "name=Alice",
    ];
    args.extend_from_slice(&common);
    let output = ox(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut args = vec!["query", "lease::people", "--format", "json"];
    args.extend_from_slice(&common);
    let output = ox(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows[0]["id"], "alice");

    let mut args = vec![
        "mutate",
        "lease::register_person",
        "--arg",
        "id=",
        "--arg",
        "name=Nobody",
    ];
    args.extend_from_slice(&common);
    let output = ox(&args);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ARGON_RUNTIME_REQUIRE_FAILED"));
}

#[test]
fn explain_prints_the_long_explanation() {
    let output = ox(&["explain", "OE1303"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("OE1303"));
    let output = ox(&["explain", "OE9999"]);
    assert_eq!(output.status.code(), Some(1));
}
