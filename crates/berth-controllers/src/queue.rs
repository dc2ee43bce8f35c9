//! A deduplicating work queue with delayed requeues, like client-go's workqueue, without threads.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::time::Duration;

use tokio::time::Instant;

/// Items to process now, in order and without duplicates, plus items waiting for a delay.
#[derive(Debug)]
pub struct WorkQueue<T> {
    ready: VecDeque<T>,
    queued: HashSet<T>,
    delayed: BTreeMap<Instant, Vec<T>>,
    failures: HashMap<T, u32>,
}

impl<T> Default for WorkQueue<T> {
    fn default() -> Self {
        WorkQueue {
            ready: VecDeque::new(),
            queued: HashSet::new(),
            delayed: BTreeMap::new(),
            failures: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> WorkQueue<T> {
    /// Queues an item unless it is already queued.
    pub fn add(&mut self, item: T) {
        if self.queued.insert(item.clone()) {
            self.ready.push_back(item);
        }
    }

    /// The next item to process.
    pub fn pop(&mut self) -> Option<T> {
        let item = self.ready.pop_front()?;
        self.queued.remove(&item);
        Some(item)
    }

    /// Queues the item again after `delay`.
    pub fn add_after(&mut self, item: T, delay: Duration, now: Instant) {
        self.delayed.entry(now + delay).or_default().push(item);
    }

    /// Queues a failed item after its exponential backoff; returns the delay.
    pub fn retry(&mut self, item: T, now: Instant) -> Duration {
        let n = self.failures.entry(item.clone()).or_insert(0);
        let delay = crate::retry::backoff(*n);
        *n = n.saturating_add(1);
        self.add_after(item, delay, now);
        delay
    }

    /// Forgets an item's failures after it succeeded.
    pub fn forget(&mut self, item: &T) {
        self.failures.remove(item);
    }

    /// When the earliest delayed item is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.delayed.keys().next().copied()
    }

    /// Moves every delayed item due by `now` to the ready queue.
    pub fn promote(&mut self, now: Instant) {
        let later = self.delayed.split_off(&(now + Duration::from_nanos(1)));
        let due = std::mem::replace(&mut self.delayed, later);
        for item in due.into_values().flatten() {
            self.add(item);
        }
    }

    /// Items waiting for their delay.
    pub fn delayed_items(&self) -> impl Iterator<Item = &T> {
        self.delayed.values().flatten()
    }

    pub fn is_idle(&self) -> bool {
        self.ready.is_empty()
    }
}

/// Sleeps until `at`, or forever without a deadline (for `select!`).
pub async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_queued_twice_is_processed_once() {
        let mut q = WorkQueue::default();
        q.add("a");
        q.add("b");
        q.add("a");
        assert_eq!((q.pop(), q.pop(), q.pop()), (Some("a"), Some("b"), None));
    }

    #[test]
    fn a_delayed_item_becomes_ready_only_when_due() {
        let mut q = WorkQueue::default();
        let t0 = Instant::now();
        q.add_after("a", Duration::from_secs(2), t0);
        q.promote(t0 + Duration::from_secs(1));
        assert_eq!(q.pop(), None);
        assert_eq!(q.next_due(), Some(t0 + Duration::from_secs(2)));
        q.promote(t0 + Duration::from_secs(2));
        assert_eq!(q.pop(), Some("a"));
        assert_eq!(q.next_due(), None);
    }

    #[test]
    fn retries_back_off_until_forgotten() {
        let mut q = WorkQueue::default();
        let t0 = Instant::now();
        assert_eq!(q.retry("a", t0), Duration::from_millis(200));
        assert_eq!(q.retry("a", t0), Duration::from_millis(400));
        q.forget(&"a");
        assert_eq!(q.retry("a", t0), Duration::from_millis(200));
    }
}

/// Aborts the task when dropped.
#[derive(Debug)]
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads `stream` on its own task into a channel, so it keeps being read (and decoded) while the
/// consumer awaits something else, and `try_recv` then drains everything that arrived meanwhile.
/// The reader stops when the returned guard is dropped.
pub fn read_ahead<T, S>(stream: S) -> (tokio::sync::mpsc::UnboundedReceiver<T>, AbortOnDrop)
where
    T: Send + 'static,
    S: futures::Stream<Item = T> + Send + 'static,
{
    use futures::StreamExt as _;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            if tx.send(item).is_err() {
                break;
            }
        }
    });
    (rx, AbortOnDrop(task))
}
