//! Writes: preconditions, revisions, reads and paging, failed commits.

use berth_store::{Precondition as P, StoreConfig, StoreError, Write};

use crate::common::{delete, memory_store, put, stored};

#[tokio::test]
async fn creating_a_key_twice_fails_with_already_exists() {
    let (_, store) = memory_store(StoreConfig::default());
    store
        .write(put("/a", P::MustNotExist, "v1"))
        .await
        .expect("first create");
    let err = store
        .write(put("/a", P::MustNotExist, "v2"))
        .await
        .expect_err("second create");
    assert_eq!(err, StoreError::AlreadyExists { key: "/a".into() });
    assert_eq!(store.get("/a"), Some((1, stored("v1", 1).into())));
}

#[tokio::test]
async fn a_stale_revision_fails_with_conflict_and_the_current_one_succeeds() {
    let (_, store) = memory_store(StoreConfig::default());
    let first = store.write(put("/a", P::None, "v1")).await.expect("create");
    let second = store
        .write(put("/a", P::Revision(first.revision), "v2"))
        .await
        .expect("update");
    let err = store
        .write(put("/a", P::Revision(first.revision), "v3"))
        .await
        .expect_err("stale");
    assert_eq!(
        err,
        StoreError::Conflict {
            key: "/a".into(),
            expected: first.revision,
            actual: second.revision
        }
    );
    assert_eq!(second.prev, Some(stored("v1", 1).into()));
}

#[tokio::test]
async fn deleting_a_missing_key_fails_with_not_found() {
    let (_, store) = memory_store(StoreConfig::default());
    let err = store.write(delete("/nope", P::None, "t")).await.expect_err("missing");
    assert_eq!(err, StoreError::NotFound { key: "/nope".into() });
    assert_eq!(store.revision(), 0);
}

#[tokio::test]
async fn must_exist_on_a_missing_key_fails_with_not_found() {
    let (_, store) = memory_store(StoreConfig::default());
    let err = store.write(put("/nope", P::MustExist, "v")).await.expect_err("missing");
    assert_eq!(err, StoreError::NotFound { key: "/nope".into() });
}

#[tokio::test]
async fn every_successful_write_gets_the_next_revision_and_failures_consume_none() {
    let (_, store) = memory_store(StoreConfig::default());
    let mut revisions = Vec::new();
    for i in 0..5 {
        revisions.push(
            store
                .write(put(&format!("/k{i}"), P::MustNotExist, "v"))
                .await
                .expect("create")
                .revision,
        );
        store
            .write(put("/k0", P::MustNotExist, "again"))
            .await
            .expect_err("exists");
    }
    assert_eq!(revisions, vec![1, 2, 3, 4, 5]);
    assert_eq!(store.revision(), 5);
}

#[tokio::test]
async fn the_encoder_receives_the_revision_it_is_stored_under() {
    let (_, store) = memory_store(StoreConfig::default());
    store.write(put("/x", P::None, "x")).await.expect("write");
    let result = store.write(put("/a", P::None, "rv")).await.expect("write");
    assert_eq!(result.revision, 2);
    assert_eq!(result.value, stored("rv", 2));
    assert_eq!(store.get("/a"), Some((2, stored("rv", 2).into())));
}

#[tokio::test]
async fn a_delete_returns_the_tombstone_and_the_previous_value_and_removes_the_key() {
    let (_, store) = memory_store(StoreConfig::default());
    store.write(put("/a", P::None, "v1")).await.expect("create");
    let result = store.write(delete("/a", P::MustExist, "gone")).await.expect("delete");
    assert_eq!(result.revision, 2);
    assert_eq!(result.value, stored("gone", 2));
    assert_eq!(result.prev, Some(stored("v1", 1).into()));
    assert_eq!(store.get("/a"), None);
    assert_eq!(store.revision(), 2);
}

#[tokio::test]
async fn a_failed_commit_acknowledges_nothing_and_changes_nothing() {
    let (backend, store) = memory_store(StoreConfig::default());
    store.write(put("/a", P::None, "v1")).await.expect("create");
    let mut watch = store.watch("", store.revision()).expect("watch from now");
    backend.fail_next_commit();
    let err = store.write(put("/a", P::None, "v2")).await.expect_err("commit fails");
    assert!(matches!(err, StoreError::Backend { step: "commit", .. }), "{err:?}");
    assert_eq!(store.revision(), 1);
    assert_eq!(store.get("/a"), Some((1, stored("v1", 1).into())));
    assert_eq!(backend.revision(), 1);
    // The next write reuses the revision the failed one was given, and is the first event seen.
    store
        .write(put("/b", P::None, "b"))
        .await
        .expect("commit succeeds again");
    let event = crate::common::next_event(&mut watch).await;
    assert_eq!((&*event.key, event.revision), ("/b", 2));
}

#[tokio::test]
async fn a_panicking_encoder_fails_only_its_own_write() {
    let (_, store) = memory_store(StoreConfig::default());
    let err = store
        .write(Write::put("/boom", P::None, |_| panic!("encoder panics on purpose")))
        .await
        .expect_err("encoder panicked");
    assert_eq!(err, StoreError::EncoderPanicked { key: "/boom".into() });
    assert_eq!(
        store
            .write(put("/a", P::None, "v"))
            .await
            .expect("store still works")
            .revision,
        1
    );
}

#[tokio::test]
async fn list_returns_exactly_the_keys_under_the_prefix_sorted() {
    let (_, store) = memory_store(StoreConfig::default());
    for key in ["/b/2", "/a/1", "/ab/1", "/b/1", "/a/2", "/c"] {
        store.write(put(key, P::None, key)).await.expect("create");
    }
    let keys = |prefix: &str| store.list(prefix).items.into_iter().map(|i| i.0).collect::<Vec<_>>();
    assert_eq!(keys("/a/"), vec!["/a/1", "/a/2"]);
    assert_eq!(keys("/a"), vec!["/a/1", "/a/2", "/ab/1"]);
    assert_eq!(keys("/b/"), vec!["/b/1", "/b/2"]);
    assert_eq!(keys("/d"), Vec::<String>::new());
    assert_eq!(keys("").len(), 6);
    let snapshot = store.list("/a/");
    assert_eq!(snapshot.revision, 6);
    assert_eq!(snapshot.items[0].1, 2, "mod revision of /a/1");
}

#[tokio::test]
async fn paging_walks_the_prefix_in_pages_and_reports_whether_more_follow() {
    let (_, store) = memory_store(StoreConfig::default());
    for i in 0..5 {
        store
            .write(put(&format!("/p/{i}"), P::None, "v"))
            .await
            .expect("create");
    }
    store.write(put("/q/0", P::None, "v")).await.expect("create");
    let keys = |s: &berth_store::Snapshot| s.items.iter().map(|i| i.0.clone()).collect::<Vec<_>>();

    let (page, more) = store.list_page("/p/", None, 2);
    assert_eq!((keys(&page), more), (vec!["/p/0".to_string(), "/p/1".into()], true));
    let (page, more) = store.list_page("/p/", Some("/p/1"), 2);
    assert_eq!((keys(&page), more), (vec!["/p/2".to_string(), "/p/3".into()], true));
    let (page, more) = store.list_page("/p/", Some("/p/3"), 2);
    assert_eq!((keys(&page), more), (vec!["/p/4".to_string()], false));
    let (page, more) = store.list_page("/p/", Some("/p/4"), 2);
    assert_eq!((keys(&page), more), (Vec::<String>::new(), false));
    let (page, more) = store.list_page("/p/", None, 5);
    assert_eq!((page.items.len(), more), (5, false), "an exact fit has nothing more");
    let (page, more) = store.list_page("/p/", None, 0);
    assert_eq!((page.items.len(), more), (5, false), "limit 0 means no limit");
    let (page, _) = store.list_page("/p/", Some("/a"), 1);
    assert_eq!(
        keys(&page),
        vec!["/p/0".to_string()],
        "start_after before the prefix starts at the prefix"
    );
}

#[tokio::test]
async fn concurrent_writes_get_distinct_contiguous_revisions() {
    let (backend, store) = memory_store(StoreConfig::default());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.spawn(async move { store.write(put(&format!("/c/{i}"), P::MustNotExist, "v")).await });
    }
    let mut revisions = Vec::new();
    while let Some(done) = tasks.join_next().await {
        revisions.push(done.expect("task ran").expect("write ok").revision);
    }
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=200).collect::<Vec<_>>());
    assert!(backend.commits() <= 200);
    assert_eq!(store.list("/c/").items.len(), 200);
}

#[tokio::test]
async fn an_encoder_may_read_the_store() {
    let (_, store) = memory_store(StoreConfig::default());
    store.write(put("/a", P::None, "a")).await.expect("write");
    let inside = store.clone();
    let result = store
        .write(Write::put("/b", P::None, move |rev| {
            let seen = inside.get("/a").map(|e| e.0).unwrap_or(0);
            format!("saw /a at {seen}, stored at {rev}").into_bytes()
        }))
        .await
        .expect("write");
    assert_eq!(result.value, "saw /a at 1, stored at 2".as_bytes());
}
