//! Server configuration, filled in by the CLI from flags and `OX_…` variables.

use std::time::Duration;

/// How request and start-up log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Everything `ox runtime serve` needs besides the engine.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Host to bind; must be loopback unless `allow_non_loopback` (see [`crate::check_bind_host`]).
    pub host: String,
    pub port: u16,
    /// Permit a non-loopback host (only behind an authenticating gateway).
    pub allow_non_loopback: bool,
    /// Per-request deadline (`--request-timeout-ms`).
    pub request_timeout: Duration,
    /// Largest accepted request body (`--max-body-bytes`).
    pub max_body_bytes: usize,
    /// Largest page of rows (`--max-rows`).
    pub max_rows: usize,
    pub log_format: LogFormat,
    /// Key authenticating pagination cursors; random per process when `None`.
    pub cursor_secret: Option<[u8; 32]>,
    /// Where the module was loaded from (the `.oxbin` path), shown by `/v1/module`.
    pub source_path: Option<String>,
    /// How storage is described in the start line and `/v1/health` (e.g. `sqlite:.ox/store.sqlite`).
    pub storage_description: String,
}

impl Default for ServeConfig {
    /// The documented defaults: `127.0.0.1:7780`, 30 s timeout, 1 MiB bodies, 10 000 rows.
    fn default() -> Self {
        ServeConfig {
            host: "127.0.0.1".into(),
            port: 7780,
            allow_non_loopback: false,
            request_timeout: Duration::from_millis(30_000),
            max_body_bytes: 1_048_576,
            max_rows: 10_000,
            log_format: LogFormat::Human,
            cursor_secret: None,
            source_path: None,
            storage_description: "mem".into(),
        }
    }
}
