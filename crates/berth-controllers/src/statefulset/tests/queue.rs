//! The set queue's client-go workqueue semantics: a key is queued once however often it is added,
//! is handed to one worker at a time, and a key added while it syncs is synced once more after.

use std::sync::Arc;
use std::time::Duration;

use crate::statefulset::cache::ObjectKey;
use crate::statefulset::queue::SetQueue;

fn key(name: &str) -> ObjectKey {
    ObjectKey {
        namespace: "default".into(),
        name: name.into(),
    }
}

/// The next key, or `None` if none comes within a (paused-clock) second.
async fn next(q: &SetQueue) -> Option<ObjectKey> {
    tokio::time::timeout(Duration::from_secs(1), q.next())
        .await
        .ok()
        .flatten()
}

#[tokio::test(start_paused = true)]
async fn a_key_added_many_times_while_queued_is_handed_out_once() {
    let q = SetQueue::default();
    for _ in 0..100 {
        q.add(key("web"));
    }
    q.add(key("db"));
    assert_eq!(next(&q).await, Some(key("web")));
    assert_eq!(next(&q).await, Some(key("db")));
    assert_eq!(next(&q).await, None);
}

#[tokio::test(start_paused = true)]
async fn a_key_added_while_it_syncs_waits_for_that_sync_and_then_syncs_once_more() {
    let q = SetQueue::default();
    q.add(key("web"));
    let k = next(&q).await;
    assert_eq!(k, Some(key("web")));
    for _ in 0..100 {
        q.add(key("web"));
    }
    assert_eq!(next(&q).await, None, "no second worker gets a key that is syncing");
    q.done(&key("web"));
    assert_eq!(next(&q).await, Some(key("web")));
    q.done(&key("web"));
    assert_eq!(
        next(&q).await,
        None,
        "the adds during the sync make one more sync, not one each"
    );
}

#[tokio::test(start_paused = true)]
async fn every_added_key_reaches_one_of_several_idle_workers() {
    let q = Arc::new(SetQueue::default());
    let workers: Vec<_> = (0..5)
        .map(|_| {
            let q = q.clone();
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_secs(1), q.next())
                    .await
                    .ok()
                    .flatten()
            })
        })
        .collect();
    tokio::task::yield_now().await;
    for name in ["a", "b", "c"] {
        q.add(key(name));
    }
    let mut got = Vec::new();
    for w in workers {
        if let Ok(Some(k)) = w.await {
            got.push(k.name);
        }
    }
    got.sort();
    assert_eq!(got, ["a", "b", "c"]);
}
