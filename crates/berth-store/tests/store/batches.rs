//! Group commit: writes queued behind a commit in progress form one batch, decided and failed together.

use std::sync::{mpsc, Arc, Mutex};

use berth_store::{
    Backend, Loaded, MemoryBackend, Mutation, Precondition as P, Revision, Store, StoreConfig, StoreError, WriteResult,
};
use tokio::task::JoinHandle;

use crate::common::put;

/// A memory backend whose first commit announces itself and then waits to be released, so the
/// test can queue writes behind it and know they will be drained as one batch.
struct GatedBackend {
    inner: MemoryBackend,
    entered: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
    /// Commits seen so far, and which one (1-based) to fail.
    calls: Mutex<(usize, Option<usize>)>,
}

impl GatedBackend {
    fn fail_commit_number(&self, n: usize) {
        self.calls.lock().expect("not poisoned").1 = Some(n);
    }
}

impl Backend for GatedBackend {
    fn load(&self) -> Result<Loaded, StoreError> {
        self.inner.load()
    }

    fn commit(&self, batch: &[Mutation], revision: Revision) -> Result<(), StoreError> {
        let entered = self.entered.lock().expect("not poisoned").take();
        let release = self.release.lock().expect("not poisoned").take();
        if let (Some(entered), Some(release)) = (entered, release) {
            entered.send(()).expect("test is waiting");
            release.recv().expect("test releases the gate");
        }
        let fail = {
            let mut calls = self.calls.lock().expect("not poisoned");
            calls.0 += 1;
            calls.1 == Some(calls.0)
        };
        if fail {
            self.inner.fail_next_commit();
        }
        self.inner.commit(batch, revision)
    }
}

/// A store whose first commit is held, the handle that wrote it, and the gate's controls.
struct Held {
    backend: Arc<GatedBackend>,
    store: Store,
    first: JoinHandle<Result<WriteResult, StoreError>>,
    release: mpsc::Sender<()>,
}

async fn store_with_a_held_commit() -> Held {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let backend = Arc::new(GatedBackend {
        inner: MemoryBackend::new(),
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(Some(release_rx)),
        calls: Mutex::new((0, None)),
    });
    let store = Store::open(backend.clone(), StoreConfig::default()).expect("loads");
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.write(put("/first", P::None, "first")).await }
    });
    tokio::task::yield_now().await;
    entered_rx.recv().expect("the writer reaches the first commit");
    Held {
        backend,
        store,
        first,
        release: release_tx,
    }
}

/// Spawns writes and lets each run until it is queued in the store and awaiting its reply.
async fn queue(store: &Store, writes: Vec<berth_store::Write>) -> Vec<JoinHandle<Result<WriteResult, StoreError>>> {
    let handles = writes
        .into_iter()
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move { store.write(w).await })
        })
        .collect();
    tokio::task::yield_now().await;
    handles
}

async fn outcomes(handles: Vec<JoinHandle<Result<WriteResult, StoreError>>>) -> Vec<Result<Revision, StoreError>> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task ran").map(|r| r.revision));
    }
    out
}

#[tokio::test]
async fn a_precondition_sees_earlier_writes_of_the_same_batch() {
    let held = store_with_a_held_commit().await;
    let queued = queue(
        &held.store,
        vec![
            put("/x", P::MustNotExist, "a"),
            put("/x", P::MustNotExist, "b"),
            put("/x", P::Revision(2), "c"),
        ],
    )
    .await;
    held.release.send(()).expect("writer waits");
    assert_eq!(held.first.await.expect("task ran").expect("first write").revision, 1);
    assert_eq!(
        outcomes(queued).await,
        vec![Ok(2), Err(StoreError::AlreadyExists { key: "/x".into() }), Ok(3)]
    );
    assert_eq!(
        held.backend.inner.commits(),
        2,
        "the three queued writes were one commit"
    );
    assert_eq!(held.store.get("/x").map(|e| e.0), Some(3));
}

#[tokio::test]
async fn a_failed_group_commit_fails_every_write_of_the_batch_and_changes_nothing() {
    let held = store_with_a_held_commit().await;
    held.backend.fail_commit_number(2);
    let queued = queue(
        &held.store,
        vec![
            put("/x", P::None, "a"),
            put("/y", P::None, "b"),
            put("/x", P::MustNotExist, "c"),
        ],
    )
    .await;
    let mut watch = held.store.watch("", 0).expect("watchable");
    held.release.send(()).expect("writer waits");
    assert_eq!(held.first.await.expect("task ran").expect("first write").revision, 1);
    for outcome in outcomes(queued).await {
        assert!(
            matches!(outcome, Err(StoreError::Backend { step: "commit", .. })),
            "{outcome:?}"
        );
    }
    assert_eq!(held.store.revision(), 1);
    assert_eq!(held.store.list("").items.len(), 1, "only /first is stored");
    assert_eq!(held.backend.inner.revision(), 1);
    held.store
        .write(put("/z", P::None, "z"))
        .await
        .expect("later commits succeed");
    let seen: Vec<_> = [
        crate::common::next_event(&mut watch).await,
        crate::common::next_event(&mut watch).await,
    ]
    .iter()
    .map(|e| (e.key.to_string(), e.revision))
    .collect();
    assert_eq!(
        seen,
        vec![("/first".to_string(), 1), ("/z".to_string(), 2)],
        "no event from the failed batch"
    );
}

#[tokio::test]
async fn the_last_handle_may_be_dropped_by_an_encoder_on_the_writer_thread() {
    let held = store_with_a_held_commit().await;
    let last = held.store.clone();
    let (ran_tx, ran_rx) = mpsc::channel();
    let queued = queue(
        &held.store,
        vec![berth_store::Write::put("/c", P::None, move |_| {
            drop(last);
            ran_tx.send(()).expect("test waits");
            b"c".to_vec()
        })],
    )
    .await;
    // Drop every other handle: the callers' futures and the test's own.
    held.first.abort();
    for task in &queued {
        task.abort();
    }
    tokio::task::yield_now().await;
    drop(held.store);
    held.release.send(()).expect("writer waits");
    ran_rx.recv().expect("the encoder ran and dropped the last handle");
    // The writer commits the batch, sees the closed channel and exits, releasing the backend.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while Arc::strong_count(&held.backend) > 1 {
        assert!(std::time::Instant::now() < deadline, "writer thread did not exit");
        std::thread::yield_now();
    }
    assert_eq!(held.backend.inner.revision(), 2, "the write was still committed");
}
