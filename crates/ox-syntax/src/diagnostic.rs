//! Diagnostics: a coded message with a primary span, labels and optional help.

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// How serious a diagnostic is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Prevents the build.
    Error,
    /// Reported, does not prevent the build.
    Warning,
    /// Informational note.
    Info,
}

impl Severity {
    /// Severity implied by a code's prefix: `OE` error, `OW` warning, `OI` info.
    pub fn from_code(code: &str) -> Severity {
        if code.starts_with("OW") {
            Severity::Warning
        } else if code.starts_with("OI") {
            Severity::Info
        } else {
            Severity::Error
        }
    }

    /// Lower-case name as printed (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One reported problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `OE0001`; see [`crate::codes`].
    pub code: &'static str,
    /// Error, warning or info.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// Where the problem is.
    pub primary: Span,
    /// Secondary spans with short explanations.
    pub labels: Vec<(Span, String)>,
    /// An optional suggestion printed as `= help: …`.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic whose severity follows the code's prefix (`OE`/`OW`/`OI`).
    pub fn new(code: &'static str, primary: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::from_code(code),
            message: message.into(),
            primary,
            labels: Vec::new(),
            help: None,
        }
    }

    /// An error diagnostic.
    pub fn error(code: &'static str, primary: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, primary, message).with_severity(Severity::Error)
    }

    /// A warning diagnostic.
    pub fn warning(code: &'static str, primary: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, primary, message).with_severity(Severity::Warning)
    }

    /// An informational diagnostic.
    pub fn info(code: &'static str, primary: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, primary, message).with_severity(Severity::Info)
    }

    /// Replaces the severity.
    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push((span, message.into()));
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// True for error severity.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic in the slice is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    #[test]
    fn severity_follows_prefix() {
        let s = Span::new(FileId(0), 0, 1);
        assert_eq!(Diagnostic::new("OE0001", s, "x").severity, Severity::Error);
        assert_eq!(
            Diagnostic::new("OW0001", s, "x").severity,
            Severity::Warning
        );
        assert_eq!(Diagnostic::new("OI0001", s, "x").severity, Severity::Info);
        assert_eq!(
            Diagnostic::warning("OE0001", s, "x").severity,
            Severity::Warning
        );
    }

    #[test]
    fn builder_adds_labels_and_help() {
        let s = Span::new(FileId(0), 0, 1);
        let d = Diagnostic::error("OE0001", s, "bad")
            .with_label(s, "here")
            .with_help("fix it");
        assert_eq!(d.labels.len(), 1);
        assert_eq!(d.help.as_deref(), Some("fix it"));
        assert!(has_errors(&[d]));
        assert!(!has_errors(&[Diagnostic::info("OI0001", s, "note")]));
    }
}
