//! Watch events, the bounded in-memory history they are replayed from, and the per-watcher stream.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::{Revision, StoreError};

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One committed change. Cloning is cheap (reference-counted key and bytes), so one event is
/// shared by every watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    pub kind: EventType,
    pub key: Arc<str>,
    /// The revision of the write; also the key's new mod revision (for `Deleted`, the revision of
    /// the delete).
    pub revision: Revision,
    /// The stored bytes, or for `Deleted` the tombstone the caller's encoder produced.
    pub value: Bytes,
    /// The previously stored bytes (`None` for `Added`).
    pub prev: Option<Bytes>,
}

/// The last `capacity` events. Invariant: it holds every event with revision > `oldest`.
#[derive(Debug)]
pub(crate) struct History {
    events: VecDeque<WatchEvent>,
    capacity: usize,
    /// Mirrors the watchable floor for streams that need it after the store lock is released.
    oldest: Arc<AtomicU64>,
}

impl History {
    /// An empty history starting after `revision` (the revision loaded from the backend).
    pub(crate) fn new(capacity: usize, revision: Revision) -> Self {
        Self {
            events: VecDeque::new(),
            capacity,
            oldest: Arc::new(AtomicU64::new(revision)),
        }
    }

    /// The oldest revision a watch may start from: every event after it is kept.
    pub(crate) fn oldest(&self) -> Revision {
        self.oldest.load(Ordering::Acquire)
    }

    pub(crate) fn push(&mut self, event: WatchEvent) {
        self.events.push_back(event);
        while self.events.len() > self.capacity {
            if let Some(dropped) = self.events.pop_front() {
                self.oldest.store(dropped.revision, Ordering::Release);
            }
        }
    }

    /// Drops events with revision <= `keep_after`; `current` caps how far the floor may move.
    pub(crate) fn compact(&mut self, keep_after: Revision, current: Revision) {
        let floor = keep_after.min(current);
        if floor <= self.oldest() {
            return;
        }
        while self.events.front().is_some_and(|e| e.revision <= floor) {
            self.events.pop_front();
        }
        self.oldest.store(floor, Ordering::Release);
    }

    /// The events after `from` whose key starts with `prefix`, or `Expired` if some were dropped.
    pub(crate) fn replay(&self, prefix: &str, from: Revision) -> Result<VecDeque<WatchEvent>, StoreError> {
        let oldest = self.oldest();
        if from < oldest {
            return Err(StoreError::Expired {
                requested: from,
                oldest,
            });
        }
        let start = self.events.partition_point(|e| e.revision <= from);
        Ok(self
            .events
            .range(start..)
            .filter(|e| e.key.starts_with(prefix))
            .cloned()
            .collect())
    }

    pub(crate) fn oldest_handle(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.oldest)
    }
}

/// The events after some revision under one prefix: first replayed from history, then live.
///
/// A watcher that falls more than the broadcast buffer behind gets one `Err(Expired)` and then
/// `None`: it must re-list, it never sees a silent gap.
#[derive(Debug)]
pub struct WatchStream {
    prefix: String,
    /// The last revision delivered (or the starting revision); later events only.
    last: Revision,
    replay: VecDeque<WatchEvent>,
    live: Option<broadcast::Receiver<WatchEvent>>,
    oldest: Arc<AtomicU64>,
}

impl WatchStream {
    pub(crate) fn new(
        prefix: &str,
        from: Revision,
        replay: VecDeque<WatchEvent>,
        live: broadcast::Receiver<WatchEvent>,
        oldest: Arc<AtomicU64>,
    ) -> Self {
        Self {
            prefix: prefix.to_owned(),
            last: from,
            replay,
            live: Some(live),
            oldest,
        }
    }

    /// The next event; `None` once the store is closed or after an `Expired` error.
    pub async fn next(&mut self) -> Option<Result<WatchEvent, StoreError>> {
        if let Some(event) = self.replay.pop_front() {
            self.last = event.revision;
            return Some(Ok(event));
        }
        let live = self.live.as_mut()?;
        loop {
            match live.recv().await {
                Ok(event) => {
                    if event.revision > self.last && event.key.starts_with(self.prefix.as_str()) {
                        self.last = event.revision;
                        return Some(Ok(event));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.live = None;
                    // `oldest` is the history floor; the client must re-list either way.
                    let oldest = self.oldest.load(Ordering::Acquire);
                    return Some(Err(StoreError::Expired {
                        requested: self.last,
                        oldest,
                    }));
                }
                Err(broadcast::error::RecvError::Closed) => {
                    self.live = None;
                    return None;
                }
            }
        }
    }

    /// The last revision this stream delivered, or the one it started after.
    pub fn last_revision(&self) -> Revision {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: &str, revision: Revision) -> WatchEvent {
        WatchEvent {
            kind: EventType::Added,
            key: key.into(),
            revision,
            value: Bytes::new(),
            prev: None,
        }
    }

    fn revisions(events: &VecDeque<WatchEvent>) -> Vec<Revision> {
        events.iter().map(|e| e.revision).collect()
    }

    #[test]
    fn history_drops_the_oldest_event_beyond_capacity_and_raises_the_floor() {
        let mut h = History::new(2, 10);
        for rev in 11..=13 {
            h.push(event("/a", rev));
        }
        assert_eq!(h.oldest(), 11);
        assert_eq!(revisions(&h.replay("", 11).expect("11 is watchable")), vec![12, 13]);
        assert_eq!(
            h.replay("", 10),
            Err(StoreError::Expired {
                requested: 10,
                oldest: 11
            })
        );
    }

    #[test]
    fn history_replay_filters_by_prefix_and_revision() {
        let mut h = History::new(10, 0);
        h.push(event("/a/1", 1));
        h.push(event("/b/1", 2));
        h.push(event("/a/2", 3));
        assert_eq!(revisions(&h.replay("/a/", 0).expect("watchable")), vec![1, 3]);
        assert_eq!(revisions(&h.replay("/a/", 1).expect("watchable")), vec![3]);
        assert!(h.replay("/a/", 3).expect("watchable").is_empty());
    }

    #[test]
    fn compaction_never_moves_the_floor_backwards_or_past_the_current_revision() {
        let mut h = History::new(10, 0);
        for rev in 1..=5 {
            h.push(event("/a", rev));
        }
        h.compact(3, 5);
        assert_eq!(h.oldest(), 3);
        h.compact(1, 5);
        assert_eq!(h.oldest(), 3);
        h.compact(99, 5);
        assert_eq!(h.oldest(), 5);
        assert!(h.replay("", 5).expect("current revision is watchable").is_empty());
    }
}
