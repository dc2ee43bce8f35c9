//! Watches: replay then live, Deleted events, 410 on expiry, lagging watchers, restart floors.

use berth_store::{EventType, Precondition as P, StoreConfig, StoreError};

use crate::common::{delete, memory_store, next_event, put, stored};

#[tokio::test]
async fn a_watch_replays_history_after_from_then_continues_live() {
    let (_, store) = memory_store(StoreConfig::default());
    store.write(put("/a/1", P::None, "1")).await.expect("write");
    store.write(put("/b/1", P::None, "2")).await.expect("write");
    store.write(put("/a/1", P::None, "3")).await.expect("write");
    let mut watch = store.watch("/a/", 1).expect("watchable");
    store.write(put("/a/2", P::None, "4")).await.expect("write");
    let first = next_event(&mut watch).await;
    assert_eq!(
        (first.kind, &*first.key, first.revision),
        (EventType::Modified, "/a/1", 3)
    );
    assert_eq!(first.prev, Some(stored("1", 1).into()));
    let second = next_event(&mut watch).await;
    assert_eq!(
        (second.kind, &*second.key, second.revision),
        (EventType::Added, "/a/2", 4)
    );
    assert_eq!(second.prev, None);
}

#[tokio::test]
async fn a_deleted_event_carries_the_tombstone_and_the_previous_value() {
    let (_, store) = memory_store(StoreConfig::default());
    let (_, mut watch) = store.list_and_watch("/");
    store.write(put("/a", P::None, "v1")).await.expect("create");
    store.write(delete("/a", P::None, "tomb")).await.expect("delete");
    assert_eq!(next_event(&mut watch).await.kind, EventType::Added);
    let deleted = next_event(&mut watch).await;
    assert_eq!(deleted.kind, EventType::Deleted);
    assert_eq!(deleted.revision, 2);
    assert_eq!(deleted.value, stored("tomb", 2));
    assert_eq!(deleted.prev, Some(stored("v1", 1).into()));
}

#[tokio::test]
async fn watching_from_before_the_history_start_is_expired() {
    let cfg = StoreConfig {
        history: 3,
        ..StoreConfig::default()
    };
    let (_, store) = memory_store(cfg);
    for i in 0..5 {
        store.write(put(&format!("/k{i}"), P::None, "v")).await.expect("write");
    }
    assert_eq!(store.oldest_watchable(), 2);
    assert_eq!(
        store.watch("", 1).expect_err("too old"),
        StoreError::Expired {
            requested: 1,
            oldest: 2
        }
    );
    let mut watch = store.watch("", 2).expect("oldest is watchable");
    assert_eq!(next_event(&mut watch).await.revision, 3);
}

#[tokio::test]
async fn compaction_makes_older_watches_expire() {
    let (_, store) = memory_store(StoreConfig::default());
    for i in 0..5 {
        store.write(put(&format!("/k{i}"), P::None, "v")).await.expect("write");
    }
    store.compact(3);
    assert_eq!(store.oldest_watchable(), 3);
    assert!(matches!(
        store.watch("", 2),
        Err(StoreError::Expired {
            requested: 2,
            oldest: 3
        })
    ));
    let mut watch = store.watch("", 3).expect("watchable");
    assert_eq!(next_event(&mut watch).await.revision, 4);
}

#[tokio::test]
async fn watching_from_the_current_revision_sees_only_later_events() {
    let (_, store) = memory_store(StoreConfig::default());
    store.write(put("/a", P::None, "v")).await.expect("write");
    let mut watch = store.watch("", store.revision()).expect("watchable");
    store.write(put("/b", P::None, "v")).await.expect("write");
    assert_eq!(&*next_event(&mut watch).await.key, "/b");
}

#[tokio::test]
async fn a_watcher_that_falls_behind_the_buffer_gets_expired_then_the_end() {
    let cfg = StoreConfig {
        watch_buffer: 4,
        ..StoreConfig::default()
    };
    let (_, store) = memory_store(cfg);
    let mut watch = store.watch("", 0).expect("watchable");
    for i in 0..10 {
        store.write(put(&format!("/k{i}"), P::None, "v")).await.expect("write");
    }
    let err = watch.next().await.expect("an error, not the end").expect_err("lagged");
    assert!(matches!(err, StoreError::Expired { requested: 0, .. }), "{err:?}");
    assert!(watch.next().await.is_none());
}

#[tokio::test]
async fn dropping_the_last_store_handle_ends_every_watch() {
    let (_, store) = memory_store(StoreConfig::default());
    let mut watch = store.watch("", 0).expect("watchable");
    drop(store);
    assert!(watch.next().await.is_none());
}

#[tokio::test]
async fn list_and_watch_starts_exactly_after_the_snapshot() {
    let (_, store) = memory_store(StoreConfig::default());
    store.write(put("/a", P::None, "v")).await.expect("write");
    let (snapshot, mut watch) = store.list_and_watch("");
    assert_eq!(snapshot.revision, 1);
    assert_eq!(snapshot.items.len(), 1);
    store.write(put("/b", P::None, "v")).await.expect("write");
    assert_eq!(next_event(&mut watch).await.revision, 2);
}
