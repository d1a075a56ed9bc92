//! Backend fixtures shared by the integration tests.

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
