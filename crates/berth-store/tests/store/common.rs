//! Helpers shared by the store tests: stores over the memory backend and write builders.

use std::sync::Arc;

use berth_store::{MemoryBackend, Precondition, Store, StoreConfig, WatchEvent, WatchStream, Write};

/// A store over a fresh memory backend, and the backend (to inject failures or reopen).
pub fn memory_store(cfg: StoreConfig) -> (Arc<MemoryBackend>, Store) {
    let backend = Arc::new(MemoryBackend::new());
    let store = Store::open(backend.clone(), cfg).expect("memory backend always loads");
    (backend, store)
}

/// The bytes `put(key, pre, tag)` stores when assigned `revision`.
pub fn stored(tag: &str, revision: u64) -> Vec<u8> {
    format!("{tag}@{revision}").into_bytes()
}

/// A put whose bytes record the tag and the revision the encoder was given.
pub fn put(key: &str, precondition: Precondition, tag: &str) -> Write {
    let tag = tag.to_owned();
    Write::put(key, precondition, move |rev| stored(&tag, rev))
}

/// A delete whose tombstone records the tag and the revision.
pub fn delete(key: &str, precondition: Precondition, tag: &str) -> Write {
    let tag = tag.to_owned();
    Write::delete(key, precondition, move |rev| stored(&tag, rev))
}

/// The next event, which must exist and not be an error.
pub async fn next_event(stream: &mut WatchStream) -> WatchEvent {
    stream.next().await.expect("stream still open").expect("no watch error")
}
