//! Freeing a large store away from the caller. An evaluation or update
//! stopped by its deadline drops the store it was handed: for millions of
//! facts, tens of milliseconds of freeing memory (hash tables, row
//! vectors, dictionary values) between the deadline and the caller's
//! error. A store that large is dropped on a thread of its own instead.

use crate::FactStore;

/// Rows and values (or ids) past which a store (or buffer) is freed on a
/// thread of its own.
const FREED_ELSEWHERE_MIN: usize = 1 << 20;

/// Drops `store`: on a thread of its own when it is large (see
/// [`free_sized`]).
pub(crate) fn free(store: FactStore) {
    let size = store.rows_and_values();
    free_sized(store, size);
}

/// Drops `value`, of `size` rows, values or ids: on a thread of its own
/// when that is large; here when it is small, or when no thread can be
/// started (the closure is dropped then, and the value with it).
pub(crate) fn free_sized<T: Send + 'static>(value: T, size: usize) {
    if size < FREED_ELSEWHERE_MIN {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("ox-free".into())
        .spawn(move || drop(value));
}
