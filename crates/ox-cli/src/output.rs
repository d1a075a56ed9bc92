//! Printing diagnostics and results.

use ox_syntax::diagnostic::Diagnostic;
use ox_syntax::span::SourceMap;

use crate::args::OutputFormat;

/// Renders diagnostics compiler-style on stderr.
pub fn print_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    if !diagnostics.is_empty() {
        eprint!("{}", ox_syntax::render::render_text(sources, diagnostics));
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// Prints query rows as a table, JSON or CSV.
pub fn print_rows(rows: &[serde_json::Value], format: OutputFormat) {
    match format {
        OutputFormat::Json => print_json(&serde_json::Value::Array(rows.to_vec())),
        OutputFormat::Table => print_table(rows, "  "),
        OutputFormat::Csv => print_csv(rows),
    }
}

/// The columns of a result: the keys of object rows, or one `value` column.
fn columns(rows: &[serde_json::Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let serde_json::Value::Object(map) = row {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    if columns.is_empty() || rows.iter().any(|r| !r.is_object()) {
        vec!["value".to_string()]
    } else {
        columns
    }
}

/// A cell's text: strings bare, individuals by id, everything else as JSON.
fn cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(map) if map.contains_key("id") && map.contains_key("type") => {
            map.get("id").map(cell).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

fn row_cells(row: &serde_json::Value, columns: &[String]) -> Vec<String> {
    match row {
        serde_json::Value::Object(map) if columns != ["value"] => columns
            .iter()
            .map(|c| map.get(c).map(cell).unwrap_or_default())
            .collect(),
        other => vec![cell(other)],
    }
}

fn print_table(rows: &[serde_json::Value], gap: &str) {
    let columns = columns(rows);
    let cells: Vec<Vec<String>> = rows.iter().map(|r| row_cells(r, &columns)).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join(gap)
            .trim_end()
            .to_string()
    };
    println!("{}", line(&columns));
    for row in &cells {
        println!("{}", line(row));
    }
    println!(
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn print_csv(rows: &[serde_json::Value]) {
    let columns = columns(rows);
    println!(
        "{}",
        columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
    );
    for row in rows {
        println!(
            "{}",
            row_cells(row, &columns)
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_come_from_object_rows() {
        assert_eq!(
            columns(&[json!({"a": 1, "b": 2}), json!({"b": 3})]),
            vec!["a", "b"]
        );
        assert_eq!(columns(&[json!(1), json!(2)]), vec!["value"]);
    }

    #[test]
    fn individuals_show_their_id() {
        assert_eq!(cell(&json!({"id": "alice", "type": "Person"})), "alice");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
