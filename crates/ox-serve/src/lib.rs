//! `ox-serve`: the HTTP surface of `ox runtime serve`.
//!
//! One compiled module is served to many tenants over HTTP/1.1 and JSON. The
//! server has **no authentication**: it trusts the context headers
//! (`X-Tenant-Id`, `X-Principal-Id`, `X-Standpoint` …) set by an
//! authenticating gateway, binds loopback only unless told otherwise
//! ([`check_bind_host`]), and protects itself only with the per-request
//! timeout, the body-size cap and the row cap.
//!
//! Decisions (*Ours*):
//! - dispatch bodies refuse unknown fields and fields that do not apply to the
//!   route (`VALIDATION_FAILED`);
//! - a header repeated in one request is refused (`VALIDATION_FAILED`);
//! - `X-As-Of-Tx` takes a transaction number or an RFC 3339 time (the last
//!   transaction committed at or before it);
//! - `Idempotency-Key` is refused on routes that do not write (queries, fns,
//!   fork management): a key there would promise a replay that never happens;
//! - the fork diff is paged like query rows; its cursor pins the tenant's last
//!   `tx`, and a tenant written between pages refuses the cursor
//!   (`INVALID_CURSOR`) rather than skip or repeat rows;
//! - a date in `X-As-Of-Valid`/`validAt` means 00:00 UTC of that day;
//! - cursors pin the transaction and valid time of the first page and are bound
//!   to (tenant, fork, standpoint, query, arguments); with a random secret they
//!   die with the process, so replicas behind one gateway share `cursor_secret`;
//! - `explain` on a query dispatch wraps each row of the page as
//!   `{"value", "factId", "proof"}` (`null`s when the row is not a fact of a
//!   predicate); derive rows are flat `{predicate, factId, args}`.

mod bind;
mod config;
mod context;
mod cursor;
mod envelope;
mod limits;
mod logging;
mod metrics;
mod middleware;
mod openapi;
mod routes;
mod state;
mod tbox;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use ox_runtime::Engine;
use thiserror::Error;
use tower_http::catch_panic::CatchPanicLayer;

pub use bind::{check_bind_host, is_loopback_host, BindRefused, GATEWAY_CONTRACT};
pub use config::{LogFormat, ServeConfig};
pub use cursor::{CursorKey, CursorPosition, CursorScope};
pub use envelope::ApiError;
pub use logging::init as init_logging;
pub use state::AppState;
pub use tbox::schema_json;

/// Why [`serve`] stopped with an error.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The host is not loopback and `allow_non_loopback` is off.
    #[error(transparent)]
    BindRefused(#[from] BindRefused),
    /// The address could not be bound or resolved.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// The router of every route, with the error envelope, request ids, logging,
/// metrics and panic catching. Used by [`serve`] and by in-process tests.
pub fn router(state: Arc<AppState>) -> Router {
    with_layers(routes(), state)
}

/// The routes and fallbacks, without state.
fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .route("/v1/health", get(routes::health::health))
        .route("/v1/module", get(routes::health::module))
        .route("/v1/schema", get(routes::schema::schema))
        .route("/v1/openapi.json", get(routes::schema::openapi))
        .route("/v1/dispatch/query", post(routes::dispatch::query))
        .route("/v1/dispatch/mutation", post(routes::dispatch::mutation))
        .route("/v1/dispatch/compute", post(routes::dispatch::compute))
        .route("/v1/batch", post(routes::batch::batch))
        .route(
            "/v1/forks",
            get(routes::forks::list).post(routes::forks::create),
        )
        .route(
            "/v1/forks/:fork",
            get(routes::forks::info).delete(routes::forks::abort),
        )
        .route("/v1/forks/:fork/diff/:other", get(routes::forks::diff))
        .route("/v1/forks/:fork/promote", post(routes::forks::promote))
        .route("/v1/forks/:fork/derive", post(routes::derived::derive))
        .route("/v1/forks/:fork/derive/trace", post(routes::derived::trace))
        .route(
            "/v1/derived/individuals/:id",
            get(routes::derived::individual),
        )
        .route(
            "/v1/derived/individuals/:id/explain",
            get(routes::derived::individual_explain),
        )
        .route(
            "/v1/derived/facts/:fact_id/explain",
            get(routes::derived::fact_explain),
        )
        .route("/v1/checks", get(routes::derived::checks))
        .route(
            "/v1/forks/:fork/dispatch/query",
            post(routes::dispatch::fork_query),
        )
        .route(
            "/v1/forks/:fork/dispatch/mutation",
            post(routes::dispatch::fork_mutation),
        )
        .route(
            "/v1/forks/:fork/dispatch/compute",
            post(routes::dispatch::fork_compute),
        )
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
}

/// Adds panic catching and the outer middleware (the panic handler's 500 is
/// rendered as an envelope by [`middleware::finalize`]).
fn with_layers(routes: Router<Arc<AppState>>, state: Arc<AppState>) -> Router {
    routes
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            middleware::finalize,
        ))
        .with_state(state)
}

/// Binds `config.host:config.port` (loopback only unless allowed), logs one
/// start line, serves until `shutdown` completes, then finishes in-flight
/// requests before returning. Installs the `config.log_format` subscriber
/// unless the process already has one.
pub async fn serve(
    config: ServeConfig,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    check_bind_host(&config.host, config.allow_non_loopback)?;
    init_logging(config.log_format);
    let host = config.host.trim_start_matches('[').trim_end_matches(']');
    let address = if host.contains(':') {
        format!("[{host}]:{}", config.port)
    } else {
        format!("{host}:{}", config.port)
    };
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|source| ServeError::Bind {
            address: address.clone(),
            source,
        })?;
    serve_on(listener, config, engine, shutdown).await
}

/// Serves on an already bound `listener` (e.g. port 0 in tests); its address
/// must be loopback unless `config.allow_non_loopback`. Otherwise as [`serve`],
/// without installing a log subscriber.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    config: ServeConfig,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let local: SocketAddr = listener.local_addr()?;
    let ip = local.ip().to_string();
    check_bind_host(&ip, config.allow_non_loopback)?;
    if !is_loopback_host(&ip) {
        tracing::warn!(
            address = %local,
            "serving on a non-loopback address (--allow-non-loopback): this server has no \
             authentication and must only be reachable through an authenticating gateway that \
             overwrites X-Tenant-Id, X-Principal-Id and X-Standpoint"
        );
    }
    tracing::info!(
        address = %local,
        storage = %config.storage_description,
        module_hash = %engine.module_hash(),
        schema_hash = %engine.schema_hash(),
        "ox runtime serve listening on http://{local}"
    );
    let state = Arc::new(AppState::new(engine, config));
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!(address = %local, "ox runtime serve stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use ox_store::MemBackend;
    use tower::ServiceExt;

    fn state() -> Arc<AppState> {
        let module: ox_ir::Module = serde_json::from_value(serde_json::json!({
            "package": {"name": "p", "version": "0.1.0", "entry": "src/root.ar"},
            "concepts": [], "relations": [], "structs": [], "enums": [], "predicates": [],
            "rules": [], "checks": [], "queries": [], "mutations": [], "functions": [], "standpoints": []
        }))
        .expect("module");
        let engine = Engine::new(
            Arc::new(module),
            "mh".into(),
            "sh".into(),
            Arc::new(MemBackend::new()),
        )
        .expect("engine");
        Arc::new(AppState::new(engine, ServeConfig::default()))
    }

    async fn boom() -> &'static str {
        panic!("secret tenant data in a panic message")
    }

    #[tokio::test]
    async fn handler_panics_become_internal_envelopes() {
        let app = with_layers(routes().route("/boom", get(boom)), state());
        let request = Request::get("/boom")
            .header("x-request-id", "r-1")
            .body(Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()["x-request-id"], "r-1");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(body["error"]["code"], "ARGON_RUNTIME_INTERNAL");
        assert_eq!(body["requestId"], "r-1");
        assert_eq!(body["moduleHash"], "mh");
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    fn engine() -> Engine {
        let state = state();
        let engine = state.engine();
        Engine::new(
            Arc::new(engine.module().clone()),
            "mh".into(),
            "sh".into(),
            Arc::clone(engine.store()),
        )
        .expect("engine")
    }

    #[tokio::test]
    async fn serves_over_tcp_and_shuts_down_gracefully() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_on(
            listener,
            ServeConfig::default(),
            engine(),
            async {
                let _ = stopped.await;
            },
        ));
        let reply = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(address).expect("connect");
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .expect("write");
            let mut reply = String::new();
            stream.read_to_string(&mut reply).expect("read");
            reply
        })
        .await
        .expect("client");
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.contains("{\"status\":\"ok\"}"), "{reply}");
        assert!(
            reply.to_ascii_lowercase().contains("x-request-id:"),
            "{reply}"
        );
        let _ = stop.send(());
        server.await.expect("join").expect("clean shutdown");
    }

    #[tokio::test]
    async fn serve_refuses_non_loopback_hosts() {
        let config = ServeConfig {
            host: "0.0.0.0".into(),
            port: 0,
            ..ServeConfig::default()
        };
        let result = serve(config, engine(), async {}).await;
        assert!(
            matches!(result, Err(ServeError::BindRefused(_))),
            "{result:?}"
        );
    }
}
