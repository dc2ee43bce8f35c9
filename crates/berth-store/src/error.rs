//! Typed store errors.

use crate::Revision;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Precondition `MustNotExist` failed.
    #[error("key {key} already exists")]
    AlreadyExists { key: String },
    /// Precondition `MustExist` / `ResourceVersion` failed because the key is absent.
    #[error("key {key} not found")]
    NotFound { key: String },
    /// Precondition `ResourceVersion(expected)` failed.
    #[error("key {key} has revision {actual}, expected {expected}")]
    Conflict { key: String, expected: Revision, actual: Revision },
    /// A watch asked for history older than what is kept.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired { requested: Revision, oldest: Revision },
    /// The backend failed to open, read or commit.
    #[error("backend {step} failed: {detail}")]
    Backend { step: &'static str, detail: String },
    /// The writer thread is gone (the store is shutting down).
    #[error("store is closed")]
    Closed,
}
