//! `ox runtime serve`: load the artifact and serve it over HTTP.

use std::sync::Arc;
use std::time::Duration;

use ox_runtime::Engine;
use ox_serve::{LogFormat, ServeConfig};

use crate::args::{LogFormatArg, ServeArgs, StorageKind};
use crate::failure::Failure;
use crate::project;

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let log_format = match args.log_format {
        LogFormatArg::Human => LogFormat::Human,
        LogFormatArg::Json => LogFormat::Json,
    };
    ox_serve::init_logging(log_format);
    // Exit code 2, as the serving contract specifies for a refused bind.
    ox_serve::check_bind_host(&args.host, args.allow_non_loopback)
        .map_err(|refused| Failure::usage(refused.to_string()))?;

    let artifact_path = match &args.oxbin {
        Some(path) => path.clone(),
        None => project::default_artifact_path(&args.project)?,
    };
    let artifact = if args.build {
        project::build_to(&args.project, &artifact_path)?
    } else {
        project::load_artifact(&artifact_path)?
    };
    let store = project::open_store(args.storage, args.data.as_deref(), &args.project)?;
    let storage_description = match args.storage {
        StorageKind::Sqlite => {
            let path = args
                .data
                .clone()
                .unwrap_or_else(|| args.project.join(".ox").join("store.sqlite"));
            format!("sqlite at {}", path.display())
        }
        StorageKind::Mem => "mem (nothing is kept after exit)".to_string(),
    };
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
        cursor_secret: None,
        source_path: Some(artifact_path.display().to_string()),
        storage_description,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::user(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(ox_serve::serve(config, engine, shutdown_signal()))
        .map_err(|e| Failure::user(e.to_string()))
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
