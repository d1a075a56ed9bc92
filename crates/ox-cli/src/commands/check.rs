//! `ox check`: compile and run the evaluability gate, writing nothing; with
//! `--reason`, also evaluate the package's ground facts and report violated
//! checks, contradictions and blocked ambiguities (reported, not failing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ox_runtime::{Engine, ErrorCode, RequestContext};
use ox_store::{MemBackend, TenantId};
use ox_syntax::diagnostic::Diagnostic;
use serde_json::Value;

use crate::args::CheckArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;

pub fn run(args: CheckArgs) -> Result<(), Failure> {
    let dir = args.package.resolve()?;
    let (sources, mut diagnostics, module) = match project::check_package(&dir) {
        Ok(checked) => (
            checked.compiled.sources,
            checked.compiled.warnings,
            Some(checked.compiled.module),
        ),
        Err(failure) => (failure.sources, failure.diagnostics, None),
    };
    let mut ok = module.is_some();
    let budget = Duration::from_millis(args.deadline_ms);
    let reasoning = match (args.reason, module) {
        (true, Some(module)) => match reason(module, budget) {
            Ok(report) => Some(report),
            Err(e) if e.code == ErrorCode::Timeout => {
                diagnostics.push(unsafe_logic_timeout(&diagnostics, budget)?);
                ok = false;
                None
            }
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    let reasoning_failed = reasoning.as_ref().is_some_and(has_errors);
    if args.json {
        let text = ox_syntax::render::render_json(&sources, &diagnostics);
        match (serde_json::from_str::<Value>(&text), &reasoning) {
            (Ok(Value::Object(mut report)), Some(r)) => {
                report.insert("reasoning".into(), r.clone());
                println!("{}", Value::Object(report));
            }
            _ => println!("{text}"),
        }
    } else if args.codes {
        for diagnostic in &diagnostics {
            println!("{}", diagnostic.code);
        }
    } else {
        output::print_diagnostics(&sources, &diagnostics);
        if let Some(r) = &reasoning {
            print_reasoning(r);
        }
        if ok && !reasoning_failed {
            eprintln!("ok: {} checked", dir.display());
        }
    }
    if ok && !reasoning_failed {
        Ok(())
    } else {
        Err(Failure::printed())
    }
}

/// Warning: rules evaluated under the well-founded semantics.
const WELL_FOUNDED: &str = "OW1304";
/// Error: such rules exceeded the time budget.
const UNSAFE_LOGIC_TIMEOUT: &str = "OE1301";

/// Evaluates the module's rules over its ground facts alone (an empty store)
/// within `budget` and returns the checks report of `Engine::checks` for the
/// default layer, plus what each standpoint adds (entries carrying `"standpoint"`).
fn reason(module: ox_ir::Module, budget: Duration) -> Result<Value, ox_runtime::RuntimeError> {
    let standpoints: Vec<String> = module.standpoints.iter().map(|s| s.path.clone()).collect();
    let engine = Engine::new(
        Arc::new(module),
        "check".into(),
        "check".into(),
        Arc::new(MemBackend::new()),
    )?;
    let tenant = TenantId::parse("check").map_err(|e| {
        ox_runtime::RuntimeError::internal(format!("cannot name the check scope: {e}"))
    })?;
    let mut ctx = RequestContext::new(tenant);
    ctx.deadline = Some(Instant::now() + budget);
    let mut report = engine.checks(&ctx)?;
    for path in standpoints {
        let mut under = ctx.clone();
        under.standpoint = Some(path.clone());
        let layered = engine.checks(&under)?;
        for key in ["violations", "contradictions", "ambiguities"] {
            let known = report[key].as_array().cloned().unwrap_or_default();
            let added: Vec<Value> = layered[key]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|entry| !known.contains(entry))
                .map(|mut entry| {
                    entry["standpoint"] = Value::String(path.clone());
                    entry
                })
                .collect();
            if let Some(list) = report[key].as_array_mut() {
                list.extend(added);
            }
        }
    }
    Ok(report)
}

/// ` (under standpoint S)` for an entry reported under a standpoint.
fn under(entry: &Value) -> String {
    entry["standpoint"]
        .as_str()
        .map_or_else(String::new, |s| format!(" (under standpoint `{s}`)"))
}

/// `OE1301` for an evaluation past its budget, at the rule of the cycle
/// through negation that `OW1304` points at. Rules without such a cycle
/// are guaranteed to finish quickly; running out of time on them is a plain
/// error, not a diagnostic of the rules.
fn unsafe_logic_timeout(
    diagnostics: &[Diagnostic],
    budget: Duration,
) -> Result<Diagnostic, Failure> {
    let Some(cycle) = diagnostics.iter().find(|d| d.code == WELL_FOUNDED) else {
        return Err(Failure::user(format!(
            "evaluating the ground facts took longer than {} ms; raise --deadline-ms",
            budget.as_millis()
        )));
    };
    Ok(Diagnostic::error(
        UNSAFE_LOGIC_TIMEOUT,
        cycle.primary,
        format!(
            "evaluating rules with negation through recursion (well-founded semantics) exceeded the budget of {} ms",
            budget.as_millis()
        ),
    )
    .with_help(
        "break the cycle through `not` so the rules stratify, or raise the budget with `--deadline-ms`",
    ))
}

/// Whether the report has an error-severity violation or a contradiction.
fn has_errors(report: &Value) -> bool {
    let errors = report["violations"]
        .as_array()
        .is_some_and(|v| v.iter().any(|v| v["severity"] == "error"));
    let contradictions = report["contradictions"]
        .as_array()
        .is_some_and(|c| !c.is_empty());
    errors || contradictions
}

fn print_reasoning(report: &Value) {
    for v in report["violations"].as_array().cloned().unwrap_or_default() {
        eprintln!(
            "{}: check `{}` violated by the ground facts{}: {}",
            v["severity"].as_str().unwrap_or("error"),
            v["check"].as_str().unwrap_or_default(),
            under(&v),
            v["message"].as_str().unwrap_or_default()
        );
    }
    for c in report["contradictions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        eprintln!(
            "error: contradiction: {}{} holds together with its strong negation{}",
            c["predicate"].as_str().unwrap_or_default(),
            Value::Array(c["args"].as_array().cloned().unwrap_or_default()),
            under(&c)
        );
    }
    for a in report["ambiguities"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        eprintln!(
            "note: ambiguity: neither {}{} nor its strong negation holds; undefeated defaults conclude both",
            a["predicate"].as_str().unwrap_or_default(),
            Value::Array(a["args"].as_array().cloned().unwrap_or_default())
        );
        eprint!("{}", crate::commands::derive::render_contest(&a, 1));
    }
}
