//! The work queue shared by the workers: client-go semantics on top of [`WorkQueue`] — a key is
//! queued at most once, handed to one worker at a time, and a key added while it is processed is
//! processed once more after, however often it was added meanwhile.
//!
//! An add wakes one idle worker, not all of them (a burst of events for a set would otherwise
//! wake every worker once per event, only for all but one to find nothing to do).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::cache::ObjectKey;
use crate::queue::{sleep_until, WorkQueue};

#[derive(Default)]
struct Inner {
    queue: WorkQueue<ObjectKey>,
    processing: HashSet<ObjectKey>,
    dirty: HashSet<ObjectKey>,
    shut_down: bool,
}

/// A queue of StatefulSet keys for several workers.
#[derive(Default)]
pub struct SetQueue {
    inner: Mutex<Inner>,
    notify: Notify,
}

impl SetQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, key: ObjectKey) {
        {
            let mut q = self.lock();
            if q.processing.contains(&key) {
                q.dirty.insert(key);
                return;
            }
            q.queue.add(key);
        }
        // One worker is enough: a worker looks at the queue before it waits, and a notification
        // that finds no worker waiting is kept for the next one that does.
        self.notify.notify_one();
    }

    pub fn add_after(&self, key: ObjectKey, delay: Duration) {
        self.lock().queue.add_after(key, delay, Instant::now());
        self.notify.notify_waiters();
    }

    /// Requeues a failed key with exponential backoff.
    pub fn retry(&self, key: ObjectKey) -> Duration {
        let d = self.lock().queue.retry(key, Instant::now());
        self.notify.notify_waiters();
        d
    }

    pub fn forget(&self, key: &ObjectKey) {
        self.lock().queue.forget(key);
    }

    /// The next key to process; `None` after [`SetQueue::shut_down`].
    pub async fn next(&self) -> Option<ObjectKey> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let due = {
                let mut q = self.lock();
                if q.shut_down {
                    return None;
                }
                q.queue.promote(Instant::now());
                while let Some(key) = q.queue.pop() {
                    if q.processing.contains(&key) {
                        q.dirty.insert(key);
                        continue;
                    }
                    q.processing.insert(key.clone());
                    return Some(key);
                }
                q.queue.next_due()
            };
            tokio::select! {
                () = &mut notified => {}
                () = sleep_until(due) => {}
            }
        }
    }

    /// Marks a key processed; requeues it if it was added meanwhile.
    pub fn done(&self, key: &ObjectKey) {
        let again = {
            let mut q = self.lock();
            q.processing.remove(key);
            let again = q.dirty.remove(key);
            if again {
                q.queue.add(key.clone());
            }
            again
        };
        if again {
            self.notify.notify_one();
        }
    }

    pub fn shut_down(&self) {
        self.lock().shut_down = true;
        self.notify.notify_waiters();
    }
}
