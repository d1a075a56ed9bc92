//! Backend fixtures shared by the integration tests.
#![allow(dead_code)]

use ox_store::conformance::Fixture;
use ox_store::{MemBackend, SqliteBackend, StorageBackend};
use tempfile::TempDir;

/// A fresh in-memory backend.
pub struct Mem(MemBackend);

impl Fixture for Mem {
    fn new() -> Self {
        Mem(MemBackend::new())
    }

    fn backend(&self) -> &dyn StorageBackend {
        &self.0
    }
}

/// A fresh sqlite backend in its own temporary directory.
pub struct Sqlite {
    backend: SqliteBackend,
    _dir: TempDir,
}

impl Fixture for Sqlite {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = SqliteBackend::open(&dir.path().join("nested/store.sqlite")).expect("open");
        Sqlite { backend, _dir: dir }
    }

    fn backend(&self) -> &dyn StorageBackend {
        &self.backend
    }
}

/// The PostgreSQL URL for tests: `OX_TEST_DATABASE_URL`, else `DATABASE_URL`.
/// Neither set: a failure under `CI=true`, else a loud skip (`None`).
pub fn pg_url() -> Option<String> {
    let url = std::env::var("OX_TEST_DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| !u.trim().is_empty());
    if url.is_none() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but neither OX_TEST_DATABASE_URL nor DATABASE_URL is set: the PostgreSQL tests must run"
        );
        eprintln!(
            "SKIPPED: PostgreSQL test — set OX_TEST_DATABASE_URL (or DATABASE_URL) to run it"
        );
    }
    url
}

/// A fresh pg backend in its own schema `ox_t_<uuid>`, dropped afterwards.
pub struct Pg {
    backend: ox_store::PgBackend,
    url: String,
    pub schema: String,
}

impl Pg {
    /// A store in a new schema of the database at `url`.
    pub fn at(url: &str) -> Pg {
        let schema = format!("ox_t_{}", uuid::Uuid::now_v7().simple());
        let backend = ox_store::PgBackend::connect_in_schema(url, Some(&schema))
            .expect("connect to PostgreSQL");
        Pg {
            backend,
            url: url.to_owned(),
            schema,
        }
    }

    /// Another handle on the same schema (like a second replica).
    pub fn reconnect(&self) -> ox_store::PgBackend {
        ox_store::PgBackend::connect_in_schema(&self.url, Some(&self.schema)).expect("reconnect")
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

impl Fixture for Pg {
    fn new() -> Self {
        Pg::at(&pg_url().expect("a PostgreSQL URL"))
    }

    fn backend(&self) -> &dyn StorageBackend {
        &self.backend
    }

    fn try_new() -> Option<Self> {
        pg_url().map(|url| Pg::at(&url))
    }
}
