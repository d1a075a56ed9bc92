//! Log output: the subscriber for `--log-format`, and the one line per request.

use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs a global subscriber writing human or JSON lines to stderr,
/// filtered by `RUST_LOG` (default `info`). Does nothing when the process
/// already has one (e.g. the CLI installed its own).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // An error only means a subscriber is already installed, which is fine.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// What one request log line says. Never field values of tenant data: the
/// tenant id, route template and error code only.
#[derive(Debug)]
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    pub tenant: Option<&'a str>,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub duration: Duration,
    pub error_code: Option<&'static str>,
}

/// Emits the request line at info level (5xx at warn).
pub fn log_request(line: &RequestLine<'_>) {
    let duration_ms = line.duration.as_secs_f64() * 1000.0;
    let tenant = line.tenant.unwrap_or("-");
    let code = line.error_code.unwrap_or("-");
    if line.status >= 500 {
        tracing::warn!(
            target: "ox_serve::request",
            request_id = line.request_id, tenant, method = line.method, route = line.route,
            status = line.status, duration_ms, error_code = code,
            "request failed"
        );
    } else {
        tracing::info!(
            target: "ox_serve::request",
            request_id = line.request_id, tenant, method = line.method, route = line.route,
            status = line.status, duration_ms, error_code = code,
            "request"
        );
    }
}
