//! Durable backends behind one narrow trait: redb (the embedded default) and an in-memory fake.

use crate::{Revision, StoreError};

/// One change inside a committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

/// Where committed state lives. `commit` returns only once the batch and the new revision are durable.
pub trait Backend: Send + Sync + 'static {
    /// Everything stored, and the last committed revision (0 for a new store).
    fn load(&self) -> Result<(Revision, Vec<(String, Vec<u8>)>), StoreError>;
    /// Applies `batch` atomically and records `revision` as the last committed one.
    fn commit(&self, batch: &[Mutation], revision: Revision) -> Result<(), StoreError>;
}

/// The real backend: one redb file.
pub struct RedbBackend {/* implemented in the store issue */}

/// A fake backend for tests: a map behind a mutex; optionally fails commits.
pub struct MemoryBackend {/* implemented in the store issue */}
