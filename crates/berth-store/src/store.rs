//! The store handle: write submission, in-memory reads, and watch subscription.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::watch::History;
use crate::writer::{self, Request};
use crate::{Backend, Revision, StoreError, WatchEvent, WatchStream};

/// Tuning knobs; `Default` gives the production values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// Watch events kept in memory for replay.
    pub history: usize,
    /// Writes group-committed in one backend transaction at most.
    pub max_batch: usize,
    /// Events buffered for live watchers before a slow one is expired.
    pub watch_buffer: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            history: 10_000,
            max_batch: 1024,
            watch_buffer: 4096,
        }
    }
}

/// Receives the revision assigned to this write and returns the bytes to store.
pub type Encoder = Box<dyn FnOnce(Revision) -> Vec<u8> + Send>;

/// What must hold about the key for a write to proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    None,
    MustNotExist,
    MustExist,
    /// The key's current mod revision must equal this.
    Revision(Revision),
}

/// The change a write makes.
pub enum Op {
    /// Store the encoder's bytes.
    Put(Encoder),
    /// Remove the key; the encoder's bytes are the tombstone carried by the `Deleted` event and
    /// the `WriteResult`, never stored.
    Delete(Encoder),
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Put(_) => "Put(..)",
            Op::Delete(_) => "Delete(..)",
        })
    }
}

/// One write submitted to the store.
#[derive(Debug)]
pub struct Write {
    pub key: String,
    pub precondition: Precondition,
    pub op: Op,
}

impl Write {
    /// A put whose encoder is `encode`.
    pub fn put(
        key: impl Into<String>,
        precondition: Precondition,
        encode: impl FnOnce(Revision) -> Vec<u8> + Send + 'static,
    ) -> Self {
        Self {
            key: key.into(),
            precondition,
            op: Op::Put(Box::new(encode)),
        }
    }

    /// A delete whose tombstone encoder is `encode`.
    pub fn delete(
        key: impl Into<String>,
        precondition: Precondition,
        encode: impl FnOnce(Revision) -> Vec<u8> + Send + 'static,
    ) -> Self {
        Self {
            key: key.into(),
            precondition,
            op: Op::Delete(Box::new(encode)),
        }
    }
}

/// The outcome of an acknowledged (durable) write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    pub revision: Revision,
    /// The stored bytes, or the tombstone for a delete.
    pub value: Bytes,
    /// The bytes stored before this write, if the key existed.
    pub prev: Option<Bytes>,
}

/// A consistent view of the keys under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The store revision the snapshot reflects.
    pub revision: Revision,
    /// `(key, mod revision, value)`, sorted by key.
    pub items: Vec<(String, Revision, Bytes)>,
}

/// Everything readers see; only the writer thread mutates it.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) map: BTreeMap<String, (Revision, Bytes)>,
    pub(crate) revision: Revision,
    pub(crate) history: History,
    pub(crate) live: broadcast::Sender<WatchEvent>,
}

pub(crate) type SharedState = Arc<RwLock<State>>;

pub(crate) fn read(state: &RwLock<State>) -> RwLockReadGuard<'_, State> {
    // The lock is poisoned only if the writer panicked while applying a committed batch; the code
    // under the write lock runs no caller code (encoders run before it), so recovering is sound.
    state.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn write(state: &RwLock<State>) -> RwLockWriteGuard<'_, State> {
    // See `read`: nothing under this lock calls caller code.
    state.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The versioned object store. Cheap to clone; the last clone dropped stops the writer thread
/// (waiting for its current batch) and ends every watch stream.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: SharedState,
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish its batch and exit, which releases the backend
        // (so the same file can be reopened right away) and closes the broadcast for watchers.
        self.requests.take();
        if let Some(handle) = self.writer.take() {
            // The last handle can be dropped on the writer thread itself (captured by an
            // encoder); it exits on its own once the channel is closed, so it must not join itself.
            if handle.thread().id() == std::thread::current().id() {
                return;
            }
            if handle.join().is_err() {
                tracing::error!("store writer thread panicked");
            }
        }
    }
}

impl Store {
    /// Loads everything from `backend` into memory and starts the writer thread.
    pub fn open(backend: Arc<dyn Backend>, cfg: StoreConfig) -> Result<Store, StoreError> {
        let loaded = backend.load()?;
        let mut revision = loaded.revision;
        let mut map = BTreeMap::new();
        for (key, rev, value) in loaded.items {
            revision = revision.max(rev);
            map.insert(key, (rev, Bytes::from(value)));
        }
        let (live, _) = broadcast::channel(cfg.watch_buffer.max(1));
        let state = Arc::new(RwLock::new(State {
            map,
            revision,
            history: History::new(cfg.history, revision),
            live,
        }));
        let max_batch = cfg.max_batch.max(1);
        let (tx, rx) = mpsc::channel(max_batch * 2);
        let writer_state = Arc::clone(&state);
        let handle = std::thread::Builder::new()
            .name("berth-store-writer".into())
            .spawn(move || writer::run(backend, writer_state, rx, max_batch))
            .map_err(|e| StoreError::WriterSpawn { detail: e.to_string() })?;
        Ok(Store {
            inner: Arc::new(Inner {
                state,
                requests: Some(tx),
                writer: Some(handle),
            }),
        })
    }

    /// Submits one write; resolves once it is durable (or failed). Dropping the future after
    /// submission does not cancel the write.
    pub async fn write(&self, w: Write) -> Result<WriteResult, StoreError> {
        let requests = self.inner.requests.as_ref().ok_or(StoreError::Closed)?;
        let (reply, answer) = oneshot::channel();
        requests
            .send(Request { write: w, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The key's mod revision and value.
    pub fn get(&self, key: &str) -> Option<(Revision, Bytes)> {
        read(&self.inner.state).map.get(key).cloned()
    }

    /// Every key starting with `prefix`.
    pub fn list(&self, prefix: &str) -> Snapshot {
        self.list_page(prefix, None, 0).0
    }

    /// Up to `limit` keys starting with `prefix` and sorted after `start_after` (`limit` 0 means
    /// no limit), and whether more follow. Each page reflects the store as of its own revision.
    pub fn list_page(&self, prefix: &str, start_after: Option<&str>, limit: usize) -> (Snapshot, bool) {
        let state = read(&self.inner.state);
        let (snapshot, more) = page(&state, prefix, start_after, limit);
        (snapshot, more)
    }

    /// The revision of the last committed write.
    pub fn revision(&self) -> Revision {
        read(&self.inner.state).revision
    }

    /// Every event after `from` whose key starts with `prefix`, in order, then live ones.
    /// `Err(Expired)` if some of those events were already dropped from history.
    pub fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError> {
        let state = read(&self.inner.state);
        let replay = state.history.replay(prefix, from)?;
        // Subscribing under the same lock the writer holds while appending to history and
        // broadcasting: no event is both replayed and received live, and none is missed.
        let live = state.live.subscribe();
        Ok(WatchStream::new(
            prefix,
            from,
            replay,
            live,
            state.history.oldest_handle(),
        ))
    }

    /// A snapshot of `prefix` and a stream starting exactly after its revision, taken atomically.
    pub fn list_and_watch(&self, prefix: &str) -> (Snapshot, WatchStream) {
        let state = read(&self.inner.state);
        let (snapshot, _) = page(&state, prefix, None, 0);
        let live = state.live.subscribe();
        let stream = WatchStream::new(
            prefix,
            snapshot.revision,
            Default::default(),
            live,
            state.history.oldest_handle(),
        );
        (snapshot, stream)
    }

    /// Drops history events with revision <= `keep_after` (never past the current revision);
    /// watches from before that then fail with `Expired`.
    pub fn compact(&self, keep_after: Revision) {
        let mut state = write(&self.inner.state);
        let current = state.revision;
        state.history.compact(keep_after, current);
    }

    /// The oldest revision a watch may start from.
    pub fn oldest_watchable(&self) -> Revision {
        read(&self.inner.state).history.oldest()
    }
}

fn page(state: &State, prefix: &str, start_after: Option<&str>, limit: usize) -> (Snapshot, bool) {
    let lower = match start_after {
        Some(after) if after >= prefix => Bound::Excluded(after),
        _ => Bound::Included(prefix),
    };
    let mut matching = state
        .map
        .range::<str, _>((lower, Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(prefix));
    let limit = if limit == 0 { usize::MAX } else { limit };
    let items: Vec<_> = matching
        .by_ref()
        .take(limit)
        .map(|(k, (rev, v))| (k.clone(), *rev, v.clone()))
        .collect();
    let more = matching.next().is_some();
    (
        Snapshot {
            revision: state.revision,
            items,
        },
        more,
    )
}
