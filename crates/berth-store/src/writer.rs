//! The single write path: drain a batch, plan it, group-commit it, then publish it.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::plan::{plan_write, WriteKind};
use crate::store::{self, SharedState};
use crate::{Backend, Mutation, Op, Revision, StoreError, WatchEvent, Write, WriteResult};

pub(crate) type Reply = oneshot::Sender<Result<WriteResult, StoreError>>;

/// A write waiting for the writer thread, with where to send its outcome.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) write: Write,
    pub(crate) reply: Reply,
}

/// The writer thread's loop; returns when every `Store` handle is gone.
pub(crate) fn run(
    backend: Arc<dyn Backend>,
    state: SharedState,
    mut requests: mpsc::Receiver<Request>,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while requests.blocking_recv_many(&mut batch, max_batch) > 0 {
        apply_batch(backend.as_ref(), &state, std::mem::take(&mut batch));
    }
}

/// A write's planned outcome: an event to publish or the error to return.
type Outcome = Result<WatchEvent, StoreError>;

/// Plans, commits and publishes one batch, then answers every caller in it.
fn apply_batch(backend: &dyn Backend, state: &SharedState, batch: Vec<Request>) {
    let mut replies = Vec::with_capacity(batch.len());
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(batch.len());
    let mut mutations = Vec::with_capacity(batch.len());
    // Encoders are caller code, so they run without any store lock held: the batch's keys are
    // looked up under one read lock first. Only this thread mutates the state, so what it read
    // stays valid until this batch is applied.
    let mut planner = {
        let current = store::read(state);
        let mut overlay = HashMap::with_capacity(batch.len());
        for request in &batch {
            let key = &request.write.key;
            if !overlay.contains_key(key) {
                overlay.insert(key.clone(), current.map.get(key).cloned());
            }
        }
        Planner {
            overlay,
            last: current.revision,
        }
    };
    for Request { write, reply } in batch {
        replies.push(reply);
        outcomes.push(planner.plan(write, &mut mutations));
    }
    let last = planner.last;

    if !mutations.is_empty() {
        if let Err(err) = backend.commit(&mutations, last) {
            tracing::warn!(error = %err, writes = replies.len(), "store commit failed");
            for reply in replies {
                // The caller may have gone away; the failure is still logged above.
                let _ = reply.send(Err(err.clone()));
            }
            return;
        }
        let mut current = store::write(state);
        for m in mutations {
            match m {
                Mutation::Put { key, revision, value } => {
                    current.map.insert(key, (revision, value));
                }
                Mutation::Delete { key } => {
                    current.map.remove(&key);
                }
            }
        }
        current.revision = last;
        for event in outcomes.iter().flatten() {
            current.history.push(event.clone());
            // No receivers is not an error: nobody is watching right now.
            let _ = current.live.send(event.clone());
        }
    }

    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        let result = outcome.map(|e| WriteResult {
            revision: e.revision,
            value: e.value,
            prev: e.prev,
        });
        // A caller that dropped its future still had its write applied; nobody to tell.
        let _ = reply.send(result);
    }
}

/// Plans writes in order against the committed map plus the earlier writes of the same batch.
struct Planner {
    /// Every key of the batch: its mod revision and value as of the earlier writes of the batch
    /// (or the committed state), `None` if absent.
    overlay: HashMap<String, Option<(Revision, Bytes)>>,
    /// The last revision assigned so far.
    last: Revision,
}

impl Planner {
    fn current(&self, key: &str) -> Option<(Revision, Bytes)> {
        self.overlay.get(key).cloned().flatten()
    }

    fn plan(&mut self, write: Write, mutations: &mut Vec<Mutation>) -> Outcome {
        let Write { key, precondition, op } = write;
        let current = self.current(&key);
        let (kind, encoder) = match op {
            Op::Put(encoder) => (WriteKind::Put, encoder),
            Op::Delete(encoder) => (WriteKind::Delete, encoder),
        };
        let event_type = plan_write(&key, current.as_ref().map(|c| c.0), &precondition, kind)?;
        let revision = self.last + 1;
        let value = catch_unwind(AssertUnwindSafe(|| encoder(revision)))
            .map_err(|_| StoreError::EncoderPanicked { key: key.clone() })?;
        let value = Bytes::from(value);
        self.last = revision;
        match kind {
            WriteKind::Put => {
                self.overlay.insert(key.clone(), Some((revision, value.clone())));
                mutations.push(Mutation::Put {
                    key: key.clone(),
                    revision,
                    value: value.clone(),
                });
            }
            WriteKind::Delete => {
                self.overlay.insert(key.clone(), None);
                mutations.push(Mutation::Delete { key: key.clone() });
            }
        }
        Ok(WatchEvent {
            kind: event_type,
            key: key.into(),
            revision,
            value,
            prev: current.map(|c| c.1),
        })
    }
}
