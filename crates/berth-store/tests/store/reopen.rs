//! Restart: a store reopened over the same redb file has the same revision, values and mod revisions.

use std::sync::Arc;

use berth_store::{Precondition as P, RedbBackend, Store, StoreConfig, StoreError};

use crate::common::{delete, put, stored};

fn open(path: &std::path::Path) -> Store {
    let backend = RedbBackend::open(path).expect("redb opens");
    Store::open(Arc::new(backend), StoreConfig::default()).expect("store loads")
}

#[tokio::test]
async fn a_reopened_store_has_the_same_revision_values_and_mod_revisions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.redb");
    let store = open(&path);
    store.write(put("/a", P::None, "a1")).await.expect("write");
    store.write(put("/b", P::None, "b1")).await.expect("write");
    store.write(put("/a", P::None, "a2")).await.expect("write");
    store.write(put("/c", P::None, "c1")).await.expect("write");
    store.write(delete("/c", P::None, "gone")).await.expect("delete");
    let before = store.list("");
    drop(store);

    let store = open(&path);
    assert_eq!(store.revision(), 5, "the last write was a delete and still counts");
    assert_eq!(store.list(""), before);
    assert_eq!(store.get("/a"), Some((3, stored("a2", 3).into())));
    assert_eq!(store.get("/b"), Some((2, stored("b1", 2).into())));
    assert_eq!(store.get("/c"), None);
    let next = store
        .write(put("/a", P::Revision(3), "a3"))
        .await
        .expect("precondition on a loaded revision");
    assert_eq!(next.revision, 6);
}

#[tokio::test]
async fn after_a_restart_history_is_empty_and_starts_at_the_loaded_revision() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.redb");
    let store = open(&path);
    for i in 0..3 {
        store.write(put(&format!("/k{i}"), P::None, "v")).await.expect("write");
    }
    drop(store);
    let store = open(&path);
    assert_eq!(store.oldest_watchable(), 3);
    assert_eq!(
        store.watch("", 2).expect_err("history is gone"),
        StoreError::Expired {
            requested: 2,
            oldest: 3
        }
    );
    let mut watch = store.watch("", 3).expect("the loaded revision is watchable");
    store.write(put("/k9", P::None, "v")).await.expect("write");
    assert_eq!(crate::common::next_event(&mut watch).await.revision, 4);
}

#[tokio::test]
async fn a_memory_backend_survives_a_store_restart_too() {
    let (backend, store) = crate::common::memory_store(StoreConfig::default());
    store.write(put("/a", P::None, "a")).await.expect("write");
    drop(store);
    let store = Store::open(backend, StoreConfig::default()).expect("reload");
    assert_eq!(store.get("/a"), Some((1, stored("a", 1).into())));
}
