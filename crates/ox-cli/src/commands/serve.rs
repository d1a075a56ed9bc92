//! `ox runtime serve`: load the artifact, pass the schema-change gate and
//! serve it over HTTP.

use std::sync::Arc;
use std::time::Duration;

use ox_runtime::{Engine, ErrorCode};
use ox_serve::{LogFormat, ServeConfig};

use crate::args::{LogFormatArg, ServeArgs};
use crate::failure::Failure;
use crate::project::{self, StorageTarget};

/// The variable an operator sets to serve a changed schema over live data.
pub const ACCEPT_SCHEMA_CHANGE: &str = "ARGON_ACCEPT_SCHEMA_CHANGE";

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let log_format = match args.log_format {
        LogFormatArg::Human => LogFormat::Human,
        LogFormatArg::Json => LogFormat::Json,
    };
    ox_serve::init_logging(log_format);
    // Exit code 2, as the serving contract specifies for a refused bind.
    ox_serve::check_bind_host(&args.host, args.allow_non_loopback)
        .map_err(|refused| Failure::usage(refused.to_string()))?;
    let cursor_secret = args
        .cursor_secret
        .as_deref()
        .map(parse_cursor_secret)
        .transpose()?;
    let target = StorageTarget {
        kind: args.storage,
        data: args.data.as_deref(),
        database_url: args.database_url.as_deref(),
    };
    // A missing database URL is a bad invocation: say so before building.
    if args.storage == crate::args::StorageKind::Pg {
        target.database_url()?;
    }

    let artifact_path = match &args.oxbin {
        Some(path) => path.clone(),
        None => project::default_artifact_path(&args.project)?,
    };
    let artifact = if args.build {
        project::build_to(&args.project, &artifact_path)?
    } else {
        project::load_artifact(&artifact_path)?
    };
    let store = target.open(&args.project)?;
    schema_gate(store.as_ref(), &artifact.schema_hash)?;
    let engine = Engine::new(
        Arc::new(artifact.module),
        artifact.module_hash,
        artifact.schema_hash,
        store,
    )?;
    let config = ServeConfig {
        host: args.host.clone(),
        port: args.port,
        allow_non_loopback: args.allow_non_loopback,
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        max_body_bytes: args.max_body_bytes,
        max_rows: args.max_rows,
        log_format,
        cursor_secret,
        source_path: Some(artifact_path.display().to_string()),
        storage_description: target.describe(&args.project),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::user(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(ox_serve::serve(config, engine, shutdown_signal()))
        .map_err(|e| Failure::user(e.to_string()))
}

/// `--cursor-secret`: 64 hex digits (32 bytes).
fn parse_cursor_secret(text: &str) -> Result<[u8; 32], Failure> {
    let bytes = hex::decode(text.trim()).ok();
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            Failure::usage("--cursor-secret must be 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`")
        })
}

/// The schema-change gate: refuses (exit code 3) to serve a `schemaHash` other
/// than the one that wrote a scope holding data, unless the operator set
/// `ARGON_ACCEPT_SCHEMA_CHANGE=1`, which records the change.
fn schema_gate(store: &dyn ox_store::StorageBackend, schema_hash: &str) -> Result<(), Failure> {
    let accept = std::env::var(ACCEPT_SCHEMA_CHANGE).is_ok_and(|v| v.trim() == "1");
    let principal = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "operator".to_owned());
    let host = hostname();
    match ox_runtime::schema_gate(store, schema_hash, accept, &principal, &host) {
        Ok(ox_runtime::SchemaGateOutcome::Empty | ox_runtime::SchemaGateOutcome::Unchanged) => {
            Ok(())
        }
        Ok(ox_runtime::SchemaGateOutcome::Migrated { scopes }) => {
            for change in &scopes {
                tracing::warn!(
                    scope = %change.tenant,
                    old_schema_hash = %change.old_hash,
                    new_schema_hash = %change.new_hash,
                    "{ACCEPT_SCHEMA_CHANGE}=1: serving a changed schema over live data; the change is recorded"
                );
            }
            Ok(())
        }
        Err(err) if err.code == ErrorCode::SchemaMismatch => Err(Failure::gate(format!(
            "{}: {}\n  details: {}\n  To serve this schema over the existing data, set {ACCEPT_SCHEMA_CHANGE}=1 for this start (a deliberate migration step; the change is recorded).",
            err.code, err.message, err.details
        ))),
        Err(err) => Err(err.into()),
    }
}

/// This machine's name, for the schema-change record.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_secrets_are_32_hex_bytes() {
        let hex64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(parse_cursor_secret(hex64).unwrap()[1], 0x11);
        assert_eq!(parse_cursor_secret("abcd").unwrap_err().code, 2);
        assert_eq!(parse_cursor_secret(&"zz".repeat(32)).unwrap_err().code, 2);
    }
}
