//! Shared server state: the active engine (swappable for hot reload), the
//! configuration, the cursor key, timestamps and metrics.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use ox_runtime::Engine;

use crate::config::ServeConfig;
use crate::cursor::CursorKey;
use crate::metrics::Metrics;

/// Everything handlers share.
pub struct AppState {
    engine: RwLock<Arc<Engine>>,
    config: ServeConfig,
    cursor_key: CursorKey,
    started_at: Instant,
    loaded_at: RwLock<DateTime<Utc>>,
    metrics: Metrics,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("module_hash", &self.engine().module_hash())
            .field("config", &self.config)
            .field("loaded_at", &self.loaded_at())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State serving `engine` with `config` (cursor secret random when the config has none).
    pub fn new(engine: Engine, config: ServeConfig) -> AppState {
        let cursor_key = match config.cursor_secret {
            Some(secret) => CursorKey::new(secret),
            None => CursorKey::random(),
        };
        AppState {
            engine: RwLock::new(Arc::new(engine)),
            config,
            cursor_key,
            started_at: Instant::now(),
            loaded_at: RwLock::new(Utc::now()),
            metrics: Metrics::default(),
        }
    }

    /// The engine serving new requests; a request keeps the one it started with.
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Atomically swaps in a new engine (hot reload); in-flight requests finish on the old one.
    pub fn replace_engine(&self, engine: Engine) {
        let mut guard = match self.engine.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(engine);
        drop(guard);
        let mut loaded = match self.loaded_at.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *loaded = Utc::now();
    }

    /// The server configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.config
    }

    /// The key that issues and checks pagination cursors.
    pub fn cursor_key(&self) -> &CursorKey {
        &self.cursor_key
    }

    /// When the server state was created.
    pub fn started_at(&self) -> Instant {
        self.started_at
    }

    /// When the active module was loaded.
    pub fn loaded_at(&self) -> DateTime<Utc> {
        match self.loaded_at.read() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
