//! `ox inspect FILE.oxbin`: preamble, sections, hashes, declarations.

use crate::args::InspectArgs;
use crate::failure::Failure;
use crate::output;
use crate::project;

pub fn run(args: InspectArgs) -> Result<(), Failure> {
    let artifact = project::load_artifact(&args.file)?;
    let summary = ox_ir::oxbin::summary(&artifact);
    if args.json {
        output::print_json(&summary);
    } else {
        print_human(&summary);
    }
    Ok(())
}

/// Prints the summary as indented `key: value` lines.
fn print_human(value: &serde_json::Value) {
    fn walk(value: &serde_json::Value, indent: usize) {
        let pad = " ".repeat(indent);
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if value.is_object() || value.is_array() {
                        println!("{pad}{key}:");
                        walk(value, indent + 2);
                    } else {
                        println!("{pad}{key}: {}", scalar(value));
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    if item.is_object() || item.is_array() {
                        println!("{pad}-");
                        walk(item, indent + 2);
                    } else {
                        println!("{pad}- {}", scalar(item));
                    }
                }
            }
            other => println!("{pad}{}", scalar(other)),
        }
    }
    fn scalar(value: &serde_json::Value) -> String {
        match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    walk(value, 0);
}
