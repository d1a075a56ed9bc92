//! `ox run-scenario FILE.toml`: run an ordered list of steps against a fresh
//! in-memory store and print each step's result as one JSON document;
//! `--expect GOLDEN` compares that document with a golden file.
//!
//! Scenario file:
//!
//! ```toml
//! [[step]]
//! do = "mutate"                 # mutate | query | compute
//! path = "lease::register_person"
//! args = { id = "alice", name = "Alice" }
//! label = "register alice"      # optional
//! ```
//!
//! A failing step is recorded with its error code and message, and the
//! scenario goes on (the golden file captures expected failures too).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use ox_runtime::{Engine, MutateOptions, QueryResult, RequestContext, RuntimeError};
use ox_store::{MemBackend, TenantId};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::failure::Failure;
use crate::project;

/// Arguments of `ox run-scenario`.
#[derive(Debug, Args)]
pub struct RunScenarioArgs {
    /// The scenario file (TOML with `[[step]]` tables).
    pub file: PathBuf,
    /// Compare the output with this golden file; print a diff and exit 1 on mismatch.
    #[arg(long)]
    pub expect: Option<PathBuf>,
    /// The package (default: the nearest folder with an ox.toml).
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Run this artifact instead of building the package.
    #[arg(long)]
    pub oxbin: Option<PathBuf>,
}

/// What a step does.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum StepKind {
    Mutate,
    Query,
    Compute,
    Derive,
}

impl StepKind {
    fn as_str(self) -> &'static str {
        match self {
            StepKind::Mutate => "mutate",
            StepKind::Query => "query",
            StepKind::Compute => "compute",
            StepKind::Derive => "derive",
        }
    }
}

/// One `[[step]]`.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawStep")]
struct Step {
    kind: StepKind,
    /// The callable (mutate, query, compute; empty for derive).
    path: String,
    /// The derived predicate (derive; all of them when absent).
    name: Option<String>,
    args: Map<String, Json>,
    label: Option<String>,
    /// Derive: add each fact's proof.
    explain: bool,
}

/// A `[[step]]` as written: `path` is required except for derive steps,
/// which name a predicate with `name` instead.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(rename = "do")]
    kind: StepKind,
    path: Option<String>,
    name: Option<String>,
    #[serde(default)]
    args: Map<String, Json>,
    label: Option<String>,
    #[serde(default)]
    explain: bool,
}

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Step, String> {
        let path = match (raw.kind, raw.path) {
            (StepKind::Derive, None) => String::new(),
            (StepKind::Derive, Some(_)) => {
                return Err("a derive step names its predicate with `name`, not `path`".into())
            }
            (_, Some(path)) => path,
            (kind, None) => return Err(format!("a {} step needs a `path`", kind.as_str())),
        };
        if raw.kind != StepKind::Derive && (raw.name.is_some() || raw.explain) {
            return Err("`name` and `explain` apply to derive steps only".into());
        }
        Ok(Step {
            kind: raw.kind,
            path,
            name: raw.name,
            args: raw.args,
            label: raw.label,
            explain: raw.explain,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[serde(default)]
    step: Vec<Step>,
}

fn read_scenario(path: &Path) -> Result<Scenario, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::user(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{} is not a valid scenario: {}",
            path.display(),
            e.message()
        ))
    })
}

fn error_json(e: &RuntimeError) -> Json {
    json!({ "code": e.code.as_str(), "message": e.message })
}

fn run_step(engine: &Engine, ctx: &RequestContext, step: &Step) -> Result<Json, RuntimeError> {
    match step.kind {
        StepKind::Mutate => {
            let receipt = engine.mutate(ctx, &step.path, &step.args, &MutateOptions::default())?;
            Ok(json!({
                "value": receipt.value,
                "tx": receipt.tx,
                "eventsWritten": receipt.events_written,
                "eventsEmitted": receipt.events_emitted,
            }))
        }
        StepKind::Query => {
            let outcome = engine.query(ctx, &step.path, &step.args)?;
            Ok(match outcome.result {
                QueryResult::Rows(rows) => json!({ "tx": outcome.tx, "rows": rows }),
                QueryResult::Value(value) => json!({ "tx": outcome.tx, "value": value }),
            })
        }
        StepKind::Compute => Ok(json!({ "value": engine.compute(ctx, &step.path, &step.args)? })),
        StepKind::Derive => derive_step(engine, ctx, step),
    }
}

/// A derive step: the facts of one derived predicate (or all), with their
/// proofs when `explain` is set. Event ids are random, so a base fact's
/// events keep only their `tx` and `kind`: the report stays comparable
/// with a golden file.
fn derive_step(engine: &Engine, ctx: &RequestContext, step: &Step) -> Result<Json, RuntimeError> {
    let rules: Option<Vec<String>> = step.name.clone().map(|n| vec![n]);
    let mut rows = Vec::new();
    for extent in engine.derive(ctx, rules.as_deref())? {
        for row in extent.rows {
            let mut out = json!({
                "predicate": extent.predicate,
                "factId": row.fact_id,
                "args": row.args,
            });
            if step.explain {
                let mut proof = engine.explain_fact(ctx, &row.fact_id, Default::default())?;
                for node in proof["nodes"].as_array_mut().into_iter().flatten() {
                    for event in node["events"].as_array_mut().into_iter().flatten() {
                        if let Some(e) = event.as_object_mut() {
                            e.remove("eventId");
                        }
                    }
                }
                out["proof"] = proof;
            }
            rows.push(out);
        }
    }
    Ok(json!({ "rows": rows }))
}

/// Runs every step and returns the report document.
fn run_steps(engine: &Engine, steps: &[Step]) -> Result<Json, Failure> {
    let tenant = TenantId::parse("scenario")
        .map_err(|e| Failure::user(format!("internal tenant name refused: {e}")))?;
    let ctx = RequestContext::new(tenant);
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let mut entry = json!({
            "step": i + 1,
            "do": step.kind.as_str(),
            "path": match (&step.kind, &step.name) {
                (StepKind::Derive, Some(name)) => name.clone(),
                _ => step.path.clone(),
            },
        });
        if let Some(label) = &step.label {
            entry["label"] = json!(label);
        }
        match run_step(engine, &ctx, step) {
            Ok(result) => entry["result"] = result,
            Err(e) => entry["error"] = error_json(&e),
        }
        out.push(entry);
    }
    Ok(json!({ "steps": out }))
}

/// A line diff (longest common subsequence) of two texts, `-` expected, `+` actual.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

pub fn run(args: RunScenarioArgs) -> Result<(), Failure> {
    let scenario = read_scenario(&args.file)?;
    let (artifact, _) = project::artifact_for(args.oxbin.as_deref(), args.project.as_deref())?;
    let engine = Engine::new(
        Arc::new(artifact.module),
        artifact.module_hash,
        artifact.schema_hash,
        Arc::new(MemBackend::new()),
    )?;
    let report = run_steps(&engine, &scenario.step)?;
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Failure::user(format!("cannot render the report: {e}")))?;
    println!("{text}");
    let Some(golden) = args.expect else {
        return Ok(());
    };
    let expected_text = std::fs::read_to_string(&golden)
        .map_err(|e| Failure::user(format!("cannot read {}: {e}", golden.display())))?;
    let expected: Json = serde_json::from_str(&expected_text)
        .map_err(|e| Failure::user(format!("{} is not JSON: {e}", golden.display())))?;
    if expected == report {
        eprintln!("ok: the output matches {}", golden.display());
        return Ok(());
    }
    let expected_pretty = serde_json::to_string_pretty(&expected).unwrap_or(expected_text);
    eprintln!(
        "the output differs from {} (- expected, + actual):\n{}",
        golden.display(),
        line_diff(&expected_pretty, &text)
    );
    Err(Failure::printed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_unknown_kinds_are_refused() {
        let s: Scenario = toml::from_str(
            "[[step]]\ndo = \"mutate\"\npath = \"a::m\"\nargs = { p = \"x\", n = 2 }\nlabel = \"l\"\n",
        )
        .expect("parses");
        assert_eq!(s.step.len(), 1);
        assert_eq!(s.step[0].kind, StepKind::Mutate);
        assert_eq!(s.step[0].args["n"], json!(2));
        assert!(toml::from_str::<Scenario>("[[step]]\ndo = \"dance\"\npath = \"a\"\n").is_err());
        assert!(toml::from_str::<Scenario>("[[step]]\ndo = \"query\"\n").is_err());
        let d: Scenario =
            toml::from_str("[[step]]\ndo = \"derive\"\nname = \"breach\"\nexplain = true\n")
                .expect("a derive step parses");
        assert_eq!(d.step[0].kind, StepKind::Derive);
        assert_eq!(d.step[0].name.as_deref(), Some("breach"));
        assert!(d.step[0].explain);
        assert!(toml::from_str::<Scenario>("[[step]]\ndo = \"derive\"\npath = \"x\"\n").is_err());
        assert!(toml::from_str::<Scenario>(
            "[[step]]\ndo = \"query\"\npath = \"q\"\nexplain = true\n"
        )
        .is_err());
    }

    #[test]
    fn the_diff_marks_changed_lines() {
        let diff = line_diff("a\nb\nc\n", "a\nx\nc\n");
        assert_eq!(diff, "  a\n+ x\n- b\n  c\n");
    }
}
