//! Typed store errors: one variant per way a write, watch or backend step can fail.

use crate::Revision;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Precondition `MustNotExist` failed.
    #[error("key {key} already exists")]
    AlreadyExists { key: String },
    /// Precondition `MustExist` / `Revision` failed because the key is absent, or a delete found no key.
    #[error("key {key} not found")]
    NotFound { key: String },
    /// Precondition `Revision(expected)` failed.
    #[error("key {key} has revision {actual}, expected {expected}")]
    Conflict {
        key: String,
        expected: Revision,
        actual: Revision,
    },
    /// A watch asked for history older than what is kept, or fell behind the live broadcast.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired { requested: Revision, oldest: Revision },
    /// The caller's encoder panicked; the write was not applied and consumed no revision.
    #[error("encoder for key {key} panicked")]
    EncoderPanicked { key: String },
    /// The backend failed to open, read or commit.
    #[error("backend {step} failed: {detail}")]
    Backend { step: &'static str, detail: String },
    /// The writer thread could not be started.
    #[error("spawning the store writer thread failed: {detail}")]
    WriterSpawn { detail: String },
    /// The writer thread is gone (the store is shutting down).
    #[error("store is closed")]
    Closed,
}

impl StoreError {
    /// Wraps a backend library error, naming the step that failed.
    pub(crate) fn backend(step: &'static str, err: impl std::fmt::Display) -> Self {
        StoreError::Backend {
            step,
            detail: err.to_string(),
        }
    }
}
