//! Versioned object store: one write path, a global resourceVersion, watch fan-out with bounded history.
//!
//! Architecture Invariant: this crate knows nothing about Kubernetes objects. Values are opaque
//! bytes; the caller's encoder closure receives the revision assigned to its write and returns the
//! bytes to store, which is how `metadata.resourceVersion` gets into the object without the store
//! parsing JSON.
//!
//! Architecture Invariant: the writer (one thread) is the only place that assigns revisions.
//! A write is acknowledged only after the backend has made it durable; concurrent writes are
//! group-committed into one backend transaction. Reads and watches are served from memory only.

mod backend;
mod error;
mod plan;
mod store;
mod watch;
mod writer;

pub use backend::{Backend, Loaded, MemoryBackend, Mutation, RedbBackend};
pub use error::StoreError;
pub use store::{Encoder, Op, Precondition, Snapshot, Store, StoreConfig, Write, WriteResult};
pub use watch::{EventType, WatchEvent, WatchStream};

/// A global revision; every object's `metadata.resourceVersion` is the revision of its last write.
pub type Revision = u64;
