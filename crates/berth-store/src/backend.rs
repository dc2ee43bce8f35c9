//! Durable backends behind one narrow trait: redb (the embedded default) and an in-memory fake.

mod memory;
mod redb;

pub use self::memory::MemoryBackend;
pub use self::redb::RedbBackend;

use bytes::Bytes;

use crate::{Revision, StoreError};

/// One change inside a committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// Store `value` under `key`; `revision` is the key's new mod revision.
    Put {
        key: String,
        revision: Revision,
        value: Bytes,
    },
    /// Remove `key`.
    Delete { key: String },
}

/// Everything a backend holds: the last committed revision and every key with its mod revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The last committed revision (0 for a new store).
    pub revision: Revision,
    /// Every stored key, with its mod revision and value, in any order.
    pub items: Vec<(String, Revision, Vec<u8>)>,
}

/// Where committed state lives. `commit` returns only once the batch and the new revision are durable.
pub trait Backend: Send + Sync + 'static {
    /// Everything stored, and the last committed revision (0 for a new store).
    fn load(&self) -> Result<Loaded, StoreError>;
    /// Applies `batch` atomically and records `revision` as the last committed one.
    /// On error nothing of the batch may be visible to a later `load`.
    fn commit(&self, batch: &[Mutation], revision: Revision) -> Result<(), StoreError>;
}
