//! Rendering of diagnostics: compiler-style text and a JSON report.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{SourceFile, SourceMap, Span};

/// Renders all diagnostics as text, each followed by a blank line.
pub fn render_text(map: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diag in diagnostics {
        out.push_str(&render_diagnostic(map, diag));
        out.push('\n');
    }
    out
}

/// Renders one diagnostic in the style of rustc:
///
/// ```text
/// error[OE0001]: expected `;`, found `}`
///  --> root.ar:3:14
///   |
/// 3 |     let x = 1
///   |              ^
///   = help: add `;` here
/// ```
pub fn render_diagnostic(map: &SourceMap, diag: &Diagnostic) -> String {
    let mut out = format!(
        "{}[{}]: {}\n",
        diag.severity.as_str(),
        diag.code,
        diag.message
    );
    let mut markers = vec![Marker {
        span: diag.primary,
        primary: true,
        message: "",
    }];
    markers.extend(diag.labels.iter().map(|(span, message)| Marker {
        span: *span,
        primary: false,
        message: message.as_str(),
    }));
    let gutter = markers
        .iter()
        .filter_map(|m| map.get(m.span.file).map(|f| f.line_col(m.span.start).line))
        .max()
        .map_or(1, |line| line.to_string().len());
    let pad = " ".repeat(gutter);
    match map.get(diag.primary.file) {
        Some(file) => {
            let at = file.line_col(diag.primary.start);
            let _ = writeln!(out, "{pad}--> {}:{}:{}", file.name, at.line, at.column);
            let _ = writeln!(out, "{pad} |");
        }
        None => {
            let _ = writeln!(out, "{pad}--> <unknown file>");
        }
    }
    // Markers in the primary file, grouped by line in source order.
    let mut local: Vec<&Marker> = markers
        .iter()
        .filter(|m| m.span.file == diag.primary.file)
        .collect();
    local.sort_by_key(|m| (m.span.start, !m.primary));
    if let Some(file) = map.get(diag.primary.file) {
        write_snippet(&mut out, file, &local, &pad);
    }
    for marker in markers.iter().filter(|m| m.span.file != diag.primary.file) {
        if let Some(file) = map.get(marker.span.file) {
            let at = file.line_col(marker.span.start);
            let _ = writeln!(out, "{pad}::: {}:{}:{}", file.name, at.line, at.column);
            write_snippet(&mut out, file, &[marker], &pad);
        }
    }
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

/// A span to underline: `^` for the primary span, `-` for labels.
struct Marker<'a> {
    span: Span,
    primary: bool,
    message: &'a str,
}

/// Longest source excerpt printed for one line, in bytes.
const MAX_EXCERPT: usize = 120;
/// Bytes shown before a span when a long line is cut.
const EXCERPT_CONTEXT: usize = 40;

/// The part of a source line that is printed.
struct Excerpt {
    line_index: usize,
    start: usize,
    end: usize,
}

fn write_snippet(out: &mut String, file: &SourceFile, markers: &[&Marker], pad: &str) {
    let mut shown: Option<Excerpt> = None;
    for marker in markers {
        let line_index = file.line_index(marker.span.start);
        let line = file.line_text(line_index);
        let line_start = file
            .line_starts()
            .get(line_index)
            .map_or(0, |&s| s as usize);
        let rel_start = floor_boundary(
            line,
            (marker.span.start as usize).saturating_sub(line_start),
        );
        let visible = shown.as_ref().is_some_and(|e| {
            e.line_index == line_index && e.start <= rel_start && rel_start <= e.end
        });
        if !visible {
            let (start, end) = if line.len() <= MAX_EXCERPT {
                (0, line.len())
            } else {
                let start = floor_boundary(line, rel_start.saturating_sub(EXCERPT_CONTEXT));
                (start, floor_boundary(line, start + MAX_EXCERPT))
            };
            let before = if start > 0 { "..." } else { "" };
            let after = if end < line.len() { "..." } else { "" };
            let text = line[start..end].replace('\t', " ");
            let number = line_index + 1;
            let row = format!(
                "{number:>width$} | {before}{text}{after}",
                width = pad.len()
            );
            let _ = writeln!(out, "{}", row.trim_end());
            shown = Some(Excerpt {
                line_index,
                start,
                end,
            });
        }
        let Some(excerpt) = shown.as_ref() else {
            continue;
        };
        // Underline up to the span end, the end of the line or of the excerpt.
        let span_end = (marker.span.end as usize).saturating_sub(line_start);
        let rel_end = floor_boundary(line, span_end.min(excerpt.end)).max(rel_start);
        let prefix = if excerpt.start > 0 { 3 } else { 0 };
        let column = prefix + line[excerpt.start..rel_start].chars().count();
        let width = line[rel_start..rel_end].chars().count().max(1);
        let mark = if marker.primary { "^" } else { "-" };
        let mut row = format!("{pad} | {}{}", " ".repeat(column), mark.repeat(width));
        if !marker.message.is_empty() {
            row.push(' ');
            row.push_str(marker.message);
        }
        let _ = writeln!(out, "{}", row.trim_end());
    }
}

/// The largest character boundary of `text` not after `index`.
fn floor_boundary(text: &str, index: usize) -> usize {
    let mut i = index.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The machine-readable report printed by `--json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JsonReport {
    /// All diagnostics in input order.
    pub diagnostics: Vec<JsonDiagnostic>,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

/// One diagnostic of a [`JsonReport`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JsonDiagnostic {
    /// The code, e.g. `OE0001`.
    pub code: String,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// Name of the file of the primary span.
    pub file: String,
    /// The primary span.
    pub span: JsonSpan,
    /// Secondary labels.
    pub labels: Vec<JsonLabel>,
    /// Help text.
    pub help: Option<String>,
}

/// A span with byte offsets and 1-based line/column of both ends.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonSpan {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// Line of `start`.
    pub line: u32,
    /// Column of `start` (characters).
    pub column: u32,
    /// Line of `end`.
    pub end_line: u32,
    /// Column of `end` (characters).
    pub end_column: u32,
}

/// A secondary label of a [`JsonDiagnostic`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JsonLabel {
    /// File of the label's span.
    pub file: String,
    /// The span.
    pub span: JsonSpan,
    /// The label text.
    pub message: String,
}

/// Builds the JSON report for a list of diagnostics.
pub fn json_report(map: &SourceMap, diagnostics: &[Diagnostic]) -> JsonReport {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    JsonReport {
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code.to_string(),
                severity: d.severity,
                message: d.message.clone(),
                file: file_name(map, d.primary),
                span: json_span(map, d.primary),
                labels: d
                    .labels
                    .iter()
                    .map(|(span, message)| JsonLabel {
                        file: file_name(map, *span),
                        span: json_span(map, *span),
                        message: message.clone(),
                    })
                    .collect(),
                help: d.help.clone(),
            })
            .collect(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
    }
}

/// The JSON report as a pretty-printed string.
pub fn render_json(map: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let report = json_report(map, diagnostics);
    serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_string())
}

fn file_name(map: &SourceMap, span: Span) -> String {
    map.get(span.file)
        .map_or_else(|| "<unknown file>".to_string(), |f| f.name.clone())
}

fn json_span(map: &SourceMap, span: Span) -> JsonSpan {
    let (start, end) = match map.get(span.file) {
        Some(file) => (file.line_col(span.start), file.line_col(span.end)),
        None => {
            let unknown = crate::span::LineCol { line: 0, column: 0 };
            (unknown, unknown)
        }
    };
    JsonSpan {
        start: span.start,
        end: span.end,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    fn map() -> (SourceMap, FileId, FileId) {
        let mut map = SourceMap::new();
        let a = map.add("a.ar", "type A {\n    x: Int\n}\n");
        let b = map.add("b.ar", "derive p(x) :- q(x);\n");
        (map, a, b)
    }

    #[test]
    fn text_with_label_and_help() {
        let (map, a, b) = map();
        let diag = Diagnostic::error("OE0001", Span::new(a, 13, 14), "expected `,`")
            .with_label(Span::new(a, 0, 4), "in this declaration")
            .with_label(Span::new(b, 7, 8), "elsewhere")
            .with_help("add a comma");
        let text = render_diagnostic(&map, &diag);
        let expected = "\
error[OE0001]: expected `,`
 --> a.ar:2:5
  |
1 | type A {
  | ---- in this declaration
2 |     x: Int
  |     ^
 ::: b.ar:1:8
1 | derive p(x) :- q(x);
  |        - elsewhere
  = help: add a comma
";
        assert_eq!(text, expected);
    }

    #[test]
    fn multi_line_span_is_underlined_to_end_of_line() {
        let (map, a, _) = map();
        let diag = Diagnostic::warning("OW0001", Span::new(a, 5, 20), "w");
        let text = render_diagnostic(&map, &diag);
        assert!(text.contains("1 | type A {\n  |      ^^^\n"), "{text}");
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let mut map = SourceMap::new();
        let line = format!("{}é@{}", "a".repeat(500), "b".repeat(500));
        let f = map.add("long.ar", line);
        let diag = Diagnostic::error("OE0006", Span::new(f, 502, 503), "stray");
        let text = render_diagnostic(&map, &diag);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[1], " --> long.ar:1:502");
        assert!(
            lines[3].starts_with("1 | ...") && lines[3].ends_with("..."),
            "{}",
            lines[3]
        );
        assert!(lines[3].len() < 140);
        let caret = lines[4].find('^').unwrap();
        assert_eq!(lines[3].chars().nth(caret), Some('@'));
    }

    #[test]
    fn unknown_file_does_not_panic() {
        let (map, _, _) = map();
        let diag = Diagnostic::error("OE0001", Span::new(FileId(9), 1, 2), "m");
        assert!(render_diagnostic(&map, &diag).contains("<unknown file>"));
        let report = json_report(&map, &[diag]);
        assert_eq!(report.diagnostics[0].span.line, 0);
    }

    #[test]
    fn json_report_counts_and_positions() {
        let (map, a, _) = map();
        let diags = vec![
            Diagnostic::error("OE0001", Span::new(a, 13, 19), "e")
                .with_label(Span::new(a, 0, 4), "l"),
            Diagnostic::warning("OW0001", Span::new(a, 0, 1), "w"),
        ];
        let value: serde_json::Value = serde_json::from_str(&render_json(&map, &diags)).unwrap();
        assert_eq!(value["errors"], 1);
        assert_eq!(value["warnings"], 1);
        let first = &value["diagnostics"][0];
        assert_eq!(first["code"], "OE0001");
        assert_eq!(first["severity"], "error");
        assert_eq!(first["file"], "a.ar");
        assert_eq!(first["span"]["line"], 2);
        assert_eq!(first["span"]["column"], 5);
        assert_eq!(first["span"]["endLine"], 2);
        assert_eq!(first["span"]["endColumn"], 11);
        assert_eq!(first["labels"][0]["message"], "l");
        assert!(first["help"].is_null());
    }
}
