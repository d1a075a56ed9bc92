//! `ox check`: compile and run the evaluability gate, writing nothing; with
//! `--reason`, also evaluate the package's ground facts and report violated
//! checks and contradictions.

use std::sync::Arc;

use ox_runtime::{Engine, RequestContext};
use ox_store::{MemBackend, TenantId};
use serde_json::Value;

use crate::args::CheckArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;

pub fn run(args: CheckArgs) -> Result<(), Failure> {
    let dir = args.package.resolve()?;
    let (sources, diagnostics, module) = match project::check_package(&dir) {
        Ok(checked) => (
            checked.compiled.sources,
            checked.compiled.warnings,
            Some(checked.compiled.module),
        ),
        Err(failure) => (failure.sources, failure.diagnostics, None),
    };
    let ok = module.is_some();
    let reasoning = match (args.reason, module) {
        (true, Some(module)) => Some(reason(module)?),
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

/// Evaluates the module's rules over its ground facts alone (an empty store)
/// and returns the checks report of `Engine::checks` for the default layer,
/// plus what each standpoint adds (entries carrying `"standpoint"`).
fn reason(module: ox_ir::Module) -> Result<Value, Failure> {
    let standpoints: Vec<String> = module.standpoints.iter().map(|s| s.path.clone()).collect();
    let engine = Engine::new(
        Arc::new(module),
        "check".into(),
        "check".into(),
        Arc::new(MemBackend::new()),
    )?;
    let tenant = TenantId::parse("check")
        .map_err(|e| Failure::user(format!("cannot name the check scope: {e}")))?;
    let ctx = RequestContext::new(tenant);
    let mut report = engine.checks(&ctx)?;
    for path in standpoints {
        let mut under = ctx.clone();
        under.standpoint = Some(path.clone());
        let layered = engine.checks(&under)?;
        for key in ["violations", "contradictions"] {
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
}
