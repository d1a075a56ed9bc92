//! End to end with the real `ox` binary on a package with defaults, a
//! defeater, the Nixon diamond and aggregates: aggregate witness sets in
//! proofs, blocked ambiguities in `ox check --reason` and `/v1/checks`, and
//! why a defeated or blocked conclusion does not hold.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use support::{ox, start_on_sqlite};

fn package() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conflicts")
}

fn ox_ok(args: &[&str]) -> (String, String) {
    let output = ox(args);
    assert!(
        output.status.success(),
        "ox {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn proofs_show_aggregate_witness_sets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("store.sqlite");
    let pkg = package();
    let common = [
        "--project",
        pkg.to_str().expect("utf-8 path"),
        "--data",
        data.to_str().expect("utf-8 path"),
        "--tenant",
        "acme",
    ];
    let mut args = vec!["derive", "total", "--explain", "--format", "json"];
    args.extend(common);
    let rows: Value = serde_json::from_str(&ox_ok(&args).0).expect("JSON rows");
    insta::assert_json_snapshot!("total_proofs", rows);

    let mut args = vec!["derive", "holdings", "--explain"];
    args.extend(common);
    let text = ox_ok(&args).0;
    assert!(
        text.contains("count = 2 over 2 solutions [p=ann]  (2 contributing facts)"),
        "{text}"
    );
    assert!(text.contains("owns(ann, f1, 100)"), "{text}");
}

#[test]
fn check_reason_reports_the_nixon_diamond() {
    let pkg = package();
    let (stdout, _) = ox_ok(&[
        "check",
        pkg.to_str().expect("utf-8 path"),
        "--reason",
        "--json",
    ]);
    let report: Value = serde_json::from_str(&stdout).expect("one JSON report");
    assert_eq!(report["reasoning"]["contradictions"], json!([]));
    insta::assert_json_snapshot!("nixon_ambiguity", report["reasoning"]["ambiguities"]);

    let (_, stderr) = ox_ok(&["check", pkg.to_str().expect("utf-8 path"), "--reason"]);
    assert!(
        stderr.contains("ambiguity: neither pacifist[\"nixon\"] nor its strong negation holds"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`quakers_are_pacifists`") && stderr.contains("`republicans_are_not`"),
        "{stderr}"
    );
}

#[test]
fn the_server_explains_conflicts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start_on_sqlite(&package(), dir.path());
    let oxbin = dir.path().join("root.oxbin");

    // The ambiguity is reported next to the contradictions.
    let (status, checks) = server.get("/v1/checks", Some("acme"));
    assert_eq!(status, 200, "{checks}");
    assert_eq!(checks["contradictions"], json!([]));
    let ambiguities = checks["ambiguities"].as_array().expect("ambiguities");
    assert_eq!(ambiguities.len(), 1, "{checks}");
    let nixon = &ambiguities[0];
    assert_eq!(nixon["predicate"], "pacifist");
    assert_eq!(nixon["ambiguous"], true);
    let labels: Vec<&Value> = nixon["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| &r["label"])
        .collect();
    assert_eq!(
        labels,
        [
            &json!("quakers_are_pacifists"),
            &json!("republicans_are_not")
        ]
    );

    // Explaining the blocked conclusion: 404 with the conflicting rules.
    let id = nixon["factId"].as_str().expect("fact id");
    let (status, body) = server.get(&format!("/v1/derived/facts/{id}/explain"), Some("acme"));
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "ARGON_RUNTIME_UNKNOWN_FACT");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("ambiguous"), "{message}");
    assert!(message.contains("republicans_are_not"), "{message}");
    let contest = &body["error"]["details"]["contest"];
    assert_eq!(contest["holds"], false);
    assert_eq!(contest["rules"][0]["outcome"], "blocked");
    assert_eq!(contest["rules"][0]["by"], json!([1]));

    // No rule contests fly(tweety): its proof has no contest.
    let (status, derived) = server.post(
        "/v1/forks/main/derive",
        Some("acme"),
        &json!({"rules": ["fly"]}),
    );
    assert_eq!(status, 200, "{derived}");
    assert_eq!(derived["rows"][0]["args"], json!(["tweety"]), "{derived}");
    let id = derived["rows"][0]["factId"].as_str().expect("fact id");
    let (status, body) = server.get(&format!("/v1/derived/facts/{id}/explain"), Some("acme"));
    assert_eq!(status, 200, "{body}");
    assert!(body["proof"]["contest"].is_null(), "{body}");

    // fly(opus) is defeated; its id is the hash of the predicate's path
    // and the value, like every fact id.
    let opus_fly = fact_id_of(&oxbin, "fly", "opus");
    let (status, body) = server.get(
        &format!("/v1/derived/facts/{opus_fly}/explain"),
        Some("acme"),
    );
    assert_eq!(status, 404, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("is defeated by `penguins_walk`"),
        "{message}"
    );
    let contest = &body["error"]["details"]["contest"];
    assert_eq!(contest["predicate"], "fly");
    assert_eq!(contest["args"], json!(["opus"]));
    insta::assert_json_snapshot!("opus_does_not_fly", contest);

    // The winning side names the rule it defeated.
    let walk = contest["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["label"] == "penguins_walk")
        .expect("the defeater");
    let id = walk["conclusionId"].as_str().expect("conclusion id");
    let (status, body) = server.get(&format!("/v1/derived/facts/{id}/explain"), Some("acme"));
    assert_eq!(status, 200, "{body}");
    let won = &body["proof"]["contest"];
    assert_eq!(won["holds"], true, "{body}");
    let flies = won["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["label"] == "flies")
        .expect("the defeated default");
    assert_eq!(flies["outcome"], "defeated");
    server.stop();
}

/// The stable id of `predicate(value)` in the artifact at `oxbin`.
fn fact_id_of(oxbin: &std::path::Path, predicate: &str, value: &str) -> String {
    let bytes = std::fs::read(oxbin).expect("the artifact was built");
    let artifact = ox_ir::oxbin::decode(&bytes).expect("the artifact loads");
    let pred = artifact
        .module
        .predicates
        .iter()
        .find(|p| p.name == predicate)
        .expect("the predicate");
    ox_reasoner::fact_id(&pred.path, &[ox_ir::Value::String(value.into())]).0
}
