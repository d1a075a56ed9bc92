//! Printing diagnostics and results.

use std::borrow::Cow;
use std::io::{self, Write};

use ox_syntax::diagnostic::Diagnostic;
use ox_syntax::span::SourceMap;

use crate::args::OutputFormat;

/// Renders diagnostics compiler-style on stderr.
pub fn print_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    if !diagnostics.is_empty() {
        eprint!("{}", ox_syntax::render::render_text(sources, diagnostics));
    }
}

/// Writes to standard output through one buffer (a line at a time, large
/// results cost a system call per row). A reader that went away (`| head`)
/// ends the output quietly; any other failure is reported on stderr.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
    let mut out = io::BufWriter::new(io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: could not write the output: {e}");
        }
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(value: &serde_json::Value) {
    to_stdout(|out| write_json(out, value));
}

fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Prints query rows as a table, JSON or CSV.
pub fn print_rows(rows: &[serde_json::Value], format: OutputFormat) {
    to_stdout(|out| match format {
        OutputFormat::Json => write_json(out, &rows),
        OutputFormat::Table => write_table(out, rows, "  "),
        OutputFormat::Csv => write_csv(out, rows),
    });
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

fn write_table(out: &mut dyn Write, rows: &[serde_json::Value], gap: &str) -> io::Result<()> {
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
    writeln!(out, "{}", line(&columns))?;
    for row in &cells {
        writeln!(out, "{}", line(row))?;
    }
    writeln!(
        out,
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )
}

fn csv_field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\n']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// One CSV line of `cells`, written field by field.
fn write_csv_line(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(csv_field(cell).as_bytes())?;
    }
    out.write_all(b"\n")
}

fn write_csv(out: &mut dyn Write, rows: &[serde_json::Value]) -> io::Result<()> {
    let columns = columns(rows);
    write_csv_line(out, &columns)?;
    for row in rows {
        write_csv_line(out, &row_cells(row, &columns))?;
    }
    Ok(())
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
    fn csv_and_tables_are_written_whole() {
        let rows = [json!({"a": 1, "b": "x,y"}), json!({"a": 2, "b": "z"})];
        let mut csv = Vec::new();
        write_csv(&mut csv, &rows).expect("writes");
        assert_eq!(String::from_utf8(csv).unwrap(), "a,b\n1,\"x,y\"\n2,z\n");
        let mut table = Vec::new();
        write_table(&mut table, &rows, "  ").expect("writes");
        assert_eq!(
            String::from_utf8(table).unwrap(),
            "a  b\n1  x,y\n2  z\n(2 rows)\n"
        );
        let mut json_out = Vec::new();
        write_json(&mut json_out, &&rows[..]).expect("writes");
        let back: serde_json::Value = serde_json::from_slice(&json_out).expect("JSON");
        assert_eq!(back, json!([{"a": 1, "b": "x,y"}, {"a": 2, "b": "z"}]));
    }

    #[test]
    fn individuals_show_their_id() {
        assert_eq!(cell(&json!({"id": "alice", "type": "Person"})), "alice");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
