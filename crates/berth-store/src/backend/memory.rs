//! The fake backend: a map behind a mutex that can be told to fail its next commit.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{Backend, Loaded, Mutation};
use crate::{Revision, StoreError};

/// A fake backend for tests: a map behind a mutex; `fail_next_commit` makes the next commit fail
/// without changing anything.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    revision: Revision,
    items: BTreeMap<String, (Revision, Vec<u8>)>,
    fail_next: bool,
    commits: usize,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `commit` returns `StoreError::Backend` and changes nothing; later ones succeed.
    pub fn fail_next_commit(&self) {
        self.lock().fail_next = true;
    }

    /// How many commits succeeded (each is one group-committed batch).
    pub fn commits(&self) -> usize {
        self.lock().commits
    }

    /// The last committed revision.
    pub fn revision(&self) -> Revision {
        self.lock().revision
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves the map consistent (every mutation below is a
        // single insert/remove), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Backend for MemoryBackend {
    fn load(&self) -> Result<Loaded, StoreError> {
        let inner = self.lock();
        let items = inner
            .items
            .iter()
            .map(|(k, (rev, v))| (k.clone(), *rev, v.clone()))
            .collect();
        Ok(Loaded {
            revision: inner.revision,
            items,
        })
    }

    fn commit(&self, batch: &[Mutation], revision: Revision) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if std::mem::take(&mut inner.fail_next) {
            return Err(StoreError::Backend {
                step: "commit",
                detail: "injected failure".into(),
            });
        }
        for m in batch {
            match m {
                Mutation::Put { key, revision, value } => {
                    inner.items.insert(key.clone(), (*revision, value.to_vec()));
                }
                Mutation::Delete { key } => {
                    inner.items.remove(key);
                }
            }
        }
        inner.revision = revision;
        inner.commits += 1;
        Ok(())
    }
}
