//! `ox derive [RULE…]`: print the facts of derived predicates from a local
//! store, optionally with their proofs; also the text rendering of proofs
//! shared with `ox query --explain`.

use serde_json::{json, Value};

use crate::args::{DeriveArgs, OutputFormat};
use crate::failure::Failure;
use crate::output;
use crate::project;
use crate::scope::{self, ScopeFlags};

pub fn run(args: DeriveArgs) -> Result<(), Failure> {
    let ctx = scope::context(&ScopeFlags {
        tenant: &args.store.tenant,
        fork: args.fork.as_deref(),
        standpoint: None,
        principal: None,
        as_of_tx: None,
        valid_at: args.as_of_valid.as_deref().map(|t| ("--as-of-valid", t)),
    })?;
    let engine = project::local_engine(&args.store)?;
    let rules = (!args.rules.is_empty()).then_some(args.rules.as_slice());
    let mut rows = Vec::new();
    for extent in engine.derive(&ctx, rules)? {
        for row in extent.rows {
            let mut out = json!({
                "predicate": extent.predicate,
                "args": row.args,
                "factId": row.fact_id,
            });
            if args.explain {
                let proof = engine.explain_fact(&ctx, &row.fact_id, Default::default())?;
                out["proof"] = proof;
            }
            rows.push(out);
        }
    }
    print_explained(&rows, args.format, args.explain);
    Ok(())
}

/// Prints rows; with `explain` in table format, each row's `proof` is
/// printed as an indented tree under it instead of as a column.
pub fn print_explained(rows: &[Value], format: OutputFormat, explain: bool) {
    if !explain || format != OutputFormat::Table {
        output::print_rows(rows, format);
        return;
    }
    for row in rows {
        let mut shown = row.clone();
        let proof = shown
            .as_object_mut()
            .and_then(|o| o.remove("proof"))
            .unwrap_or(Value::Null);
        output::print_rows(&[shown], format);
        if proof.is_null() {
            println!("  (not a fact of a predicate: no proof)");
        } else {
            print!("{}", render_proof(&proof));
        }
        println!();
    }
}

/// An indented text rendering of a proof DAG (as returned by
/// `Engine::explain_fact`): each fact with its status, derived facts with
/// their rule and premises below them, base facts with their events.
pub fn render_proof(dag: &Value) -> String {
    let nodes = dag["nodes"].as_array().cloned().unwrap_or_default();
    let root = dag["root"].as_u64().unwrap_or(0) as usize;
    let mut out = String::new();
    let mut seen = vec![false; nodes.len()];
    render_node(&nodes, root, 1, &mut seen, &mut out);
    if dag["contest"].is_object() {
        out.push_str(&render_contest(&dag["contest"], 1));
    }
    out
}

/// The rules of a defeasible family that fire for one fact, each with its
/// outcome (`concluded`, `defeated by …`, `blocked by …`) and premises.
pub fn render_contest(contest: &Value, depth: usize) -> String {
    let indent = "  ".repeat(depth);
    let rules = contest["rules"].as_array().cloned().unwrap_or_default();
    let name = |i: &Value| {
        let rule = i.as_u64().and_then(|i| rules.get(i as usize));
        rule.map_or_else(String::new, |r| match r["label"].as_str() {
            Some(label) => format!("`{label}`"),
            None => r["rule"].as_str().unwrap_or_default().to_owned(),
        })
    };
    let mut out = String::new();
    let title = if contest["ambiguous"] == json!(true) {
        "ambiguous"
    } else {
        "contested"
    };
    out.push_str(&format!(
        "{indent}{title}: {}
",
        fact_label(contest)
    ));
    for rule in &rules {
        let by: Vec<String> = rule["by"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(name)
            .collect();
        let outcome = match rule["outcome"].as_str().unwrap_or_default() {
            "concluded" => "concluded".to_owned(),
            other => format!("{other} by {}", by.join(", ")),
        };
        let label = rule["label"]
            .as_str()
            .map(|l| format!(" `{l}`"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{indent}  {} rule{label} {} concludes {}: {outcome}\n",
            rule["strength"].as_str().unwrap_or_default(),
            rule["rule"].as_str().unwrap_or_default(),
            rule["concludes"].as_str().unwrap_or_default(),
        ));
        for premise in rule["premises"].as_array().cloned().unwrap_or_default() {
            let negated = if premise["status"] == "absent" {
                "not "
            } else {
                ""
            };
            out.push_str(&format!(
                "{indent}    {negated}{}  [{}]\n",
                fact_label(&premise),
                premise["status"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}

fn render_node(nodes: &[Value], i: usize, depth: usize, seen: &mut [bool], out: &mut String) {
    let Some(node) = nodes.get(i) else {
        return;
    };
    let indent = "  ".repeat(depth);
    let label = fact_label(node);
    let status = node["status"].as_str().unwrap_or_default();
    if seen.get(i).copied().unwrap_or(false) && status == "derived" {
        out.push_str(&format!("{indent}{label}  (shown above)\n"));
        return;
    }
    if let Some(flag) = seen.get_mut(i) {
        *flag = true;
    }
    match status {
        "derived" => {
            let derivations = node["derivations"].as_array().cloned().unwrap_or_default();
            if node["truncated"] == json!(true) || derivations.is_empty() {
                out.push_str(&format!("{indent}{label}  [derived; not expanded]\n"));
            }
            for d in derivations {
                let bindings = d["bindings"]
                    .as_object()
                    .map(|b| {
                        b.iter()
                            .map(|(k, v)| format!("{k}={}", value_text(v)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{indent}{label}  <- {} [{bindings}]\n",
                    d["rule"].as_str().unwrap_or_default()
                ));
                for p in d["premises"].as_array().cloned().unwrap_or_default() {
                    if let Some(p) = p.as_u64() {
                        render_node(nodes, p as usize, depth + 1, seen, out);
                    }
                }
                for a in d["aggregates"].as_array().cloned().unwrap_or_default() {
                    render_aggregate(nodes, &a, depth + 1, seen, out);
                }
            }
        }
        "base" => {
            let events: Vec<String> = node["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    format!(
                        "{} at tx {} (event {})",
                        e["kind"].as_str().unwrap_or_default(),
                        e["tx"],
                        e["eventId"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            let origin = if events.is_empty() {
                "given".to_owned()
            } else {
                events.join("; ")
            };
            out.push_str(&format!("{indent}{label}  [base: {origin}]\n"));
        }
        "absent" => {
            let stratum = match node["stratum"].as_u64() {
                Some(s) => format!("stratum {s} complete"),
                None => "no rules".to_owned(),
            };
            out.push_str(&format!("{indent}not {label}  [absent: {stratum}]\n"));
        }
        "undefined" => out.push_str(&format!(
            "{indent}{label}  [undefined: depends on itself through negation]\n"
        )),
        _ => out.push_str(&format!("{indent}{label}  [does not hold]\n")),
    }
}

/// An aggregate of a derivation: its kind, value and group, then the
/// contributing facts (capped; the count says how many there are).
fn render_aggregate(nodes: &[Value], a: &Value, depth: usize, seen: &mut [bool], out: &mut String) {
    let indent = "  ".repeat(depth);
    let group = a["group"]
        .as_object()
        .map(|g| {
            g.iter()
                .map(|(k, v)| format!("{k}={}", value_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let contributors = a["contributors"].as_array().cloned().unwrap_or_default();
    let count = a["contributorCount"].as_u64().unwrap_or(0);
    let shown = if a["truncated"] == json!(true) {
        format!(", {} shown", contributors.len())
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{indent}{} = {} over {} solutions [{group}]  ({count} contributing facts{shown})\n",
        a["kind"].as_str().unwrap_or_default(),
        value_text(&a["value"]),
        a["solutions"],
    ));
    for c in contributors {
        if let Some(c) = c.as_u64() {
            render_node(nodes, c as usize, depth + 1, seen, out);
        }
    }
}

/// `predicate(arg, …)` with individuals by id.
fn fact_label(node: &Value) -> String {
    let args: Vec<String> = node["args"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(value_text)
        .collect();
    format!(
        "{}({})",
        node["predicate"].as_str().unwrap_or_default(),
        args.join(", ")
    )
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(map) if map.contains_key("id") && map.contains_key("type") => {
            map.get("id").map(value_text).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_derived_base_and_absent_nodes() {
        let dag = json!({
            "root": 0,
            "nodes": [
                {"predicate": "breach", "args": [{"id": "l1", "type": "Lease"}], "status": "derived",
                 "truncated": false,
                 "derivations": [{"rule": "derive `breach` clause 0", "bindings": {"l": {"id": "l1", "type": "Lease"}}, "premises": [1, 2]}]},
                {"predicate": "Lease", "args": ["l1"], "status": "base",
                 "events": [{"kind": "individual", "tx": 3, "eventId": "e-1"}]},
                {"predicate": "exempt", "args": ["o1"], "status": "absent", "stratum": 2},
            ],
        });
        let text = render_proof(&dag);
        assert!(
            text.contains("breach(l1)  <- derive `breach` clause 0 [l=l1]"),
            "{text}"
        );
        assert!(
            text.contains("    Lease(l1)  [base: individual at tx 3 (event e-1)]"),
            "{text}"
        );
        assert!(
            text.contains("not exempt(o1)  [absent: stratum 2 complete]"),
            "{text}"
        );
    }
}
