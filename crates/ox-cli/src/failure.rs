//! How a command fails: a message and an exit code.

use std::process::ExitCode;

/// A failed command. The message has already been printed when `printed` is set
/// (e.g. rendered diagnostics); otherwise it is printed as `error: …`.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: Option<String>,
}

impl Failure {
    /// A user error (exit code 1) with a message.
    pub fn user(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: Some(message.into()),
        }
    }

    /// A user error whose details were already printed.
    pub fn printed() -> Failure {
        Failure {
            code: 1,
            message: None,
        }
    }

    /// A bad invocation (exit code 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: Some(message.into()),
        }
    }

    /// Refused by a safety gate (exit code 3), e.g. the schema-change gate.
    pub fn gate(message: impl Into<String>) -> Failure {
        Failure {
            code: 3,
            message: Some(message.into()),
        }
    }

    /// Prints the message (if any) and gives the exit code.
    pub fn report(self) -> ExitCode {
        if let Some(message) = self.message {
            eprintln!("error: {message}");
        }
        ExitCode::from(self.code)
    }
}

impl From<ox_runtime::RuntimeError> for Failure {
    fn from(error: ox_runtime::RuntimeError) -> Failure {
        let details = match &error.details {
            serde_json::Value::Object(map) if map.is_empty() => String::new(),
            details => format!("\n  details: {details}"),
        };
        Failure::user(format!("{}: {}{details}", error.code, error.message))
    }
}

impl From<ox_store::StoreError> for Failure {
    fn from(error: ox_store::StoreError) -> Failure {
        Failure::user(format!("storage: {error}"))
    }
}
