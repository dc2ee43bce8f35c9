//! Property tests against a model: revisions, watch replay/expiry, and list-then-watch.

use std::collections::BTreeMap;

use berth_store::{EventType, Precondition, Store, StoreConfig, StoreError, WatchEvent, WatchStream, Write};
use proptest::prelude::*;

use crate::common::{delete, memory_store, put, stored};

const KEYS: &[&str] = &["/a/1", "/a/2", "/ab/1", "/b/1", "/b/2"];
const PREFIXES: &[&str] = &["", "/a", "/a/", "/b/", "/c/"];

/// How a generated write picks its precondition, relative to the model's state.
#[derive(Debug, Clone, Copy)]
enum Pre {
    None,
    MustNotExist,
    MustExist,
    Current,
    Stale,
}

#[derive(Debug, Clone)]
struct OpSpec {
    key: &'static str,
    delete: bool,
    pre: Pre,
}

fn op_spec() -> impl Strategy<Value = OpSpec> {
    let pre = prop_oneof![
        Just(Pre::None),
        Just(Pre::MustNotExist),
        Just(Pre::MustExist),
        Just(Pre::Current),
        Just(Pre::Stale)
    ];
    (prop::sample::select(KEYS), prop::bool::weighted(0.3), pre).prop_map(|(key, delete, pre)| OpSpec {
        key,
        delete,
        pre,
    })
}

/// `(kind, key, revision, value, prev)` of one event, comparable with `==`.
type EventTuple = (EventType, String, u64, Vec<u8>, Option<Vec<u8>>);

/// The reference: a plain map, a revision counter, and the log of every event.
#[derive(Debug, Default)]
struct Model {
    map: BTreeMap<String, (u64, Vec<u8>)>,
    revision: u64,
    events: Vec<EventTuple>,
}

impl Model {
    /// The store write for `op` (its n-th in the sequence) and the outcome the model predicts.
    fn step(&mut self, n: usize, op: &OpSpec) -> (Write, Result<u64, StoreError>) {
        let current = self.map.get(op.key).cloned();
        let precondition = match op.pre {
            Pre::None => Precondition::None,
            Pre::MustNotExist => Precondition::MustNotExist,
            Pre::MustExist => Precondition::MustExist,
            Pre::Current => Precondition::Revision(current.as_ref().map_or(1, |c| c.0)),
            Pre::Stale => Precondition::Revision(current.as_ref().map_or(1, |c| c.0 - 1)),
        };
        let tag = format!("op{n}");
        let write = if op.delete {
            delete(op.key, precondition, &tag)
        } else {
            put(op.key, precondition, &tag)
        };
        let key = op.key.to_owned();
        let failure = match (precondition, &current) {
            (Precondition::MustNotExist, Some(_)) => Some(StoreError::AlreadyExists { key }),
            (Precondition::MustExist | Precondition::Revision(_), None) => Some(StoreError::NotFound { key }),
            (Precondition::Revision(expected), Some((actual, _))) if expected != *actual => {
                Some(StoreError::Conflict {
                    key,
                    expected,
                    actual: *actual,
                })
            }
            (_, None) if op.delete => Some(StoreError::NotFound { key }),
            _ => None,
        };
        if let Some(err) = failure {
            return (write, Err(err));
        }
        self.revision += 1;
        let rev = self.revision;
        let value = stored(&tag, rev);
        let prev = current.map(|c| c.1);
        let kind = match (op.delete, &prev) {
            (true, _) => EventType::Deleted,
            (false, None) => EventType::Added,
            (false, Some(_)) => EventType::Modified,
        };
        if op.delete {
            self.map.remove(op.key);
        } else {
            self.map.insert(op.key.to_owned(), (rev, value.clone()));
        }
        self.events.push((kind, op.key.to_owned(), rev, value, prev));
        (write, Ok(rev))
    }

    fn under(&self, prefix: &str) -> BTreeMap<String, (u64, Vec<u8>)> {
        self.map
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
}

/// Applies `ops` one by one, checking each outcome against the model.
async fn apply(store: &Store, model: &mut Model, ops: &[OpSpec], first: usize) {
    for (i, op) in ops.iter().enumerate() {
        let (write, want) = model.step(first + i, op);
        let got = store.write(write).await.map(|r| r.revision);
        assert_eq!(got, want, "op {op:?}");
        assert_eq!(store.revision(), model.revision);
    }
}

/// Writes a sentinel under `prefix` and collects the stream's events up to it (excluded).
async fn drain_until_sentinel(store: &Store, prefix: &str, stream: &mut WatchStream) -> Vec<WatchEvent> {
    let sentinel = format!("{prefix}~sentinel");
    let rev = store
        .write(put(&sentinel, Precondition::None, "sentinel"))
        .await
        .expect("sentinel")
        .revision;
    let mut events = Vec::new();
    loop {
        let event = stream.next().await.expect("stream open").expect("no watch error");
        if event.revision == rev {
            assert_eq!(&*event.key, sentinel);
            return events;
        }
        events.push(event);
    }
}

fn as_tuple(e: &WatchEvent) -> EventTuple {
    (
        e.kind,
        e.key.to_string(),
        e.revision,
        e.value.to_vec(),
        e.prev.as_ref().map(|p| p.to_vec()),
    )
}

proptest! {
    #[test]
    fn revisions_strictly_increase_and_outcomes_match_the_model(ops in prop::collection::vec(op_spec(), 0..60)) {
        runtime().block_on(async {
            let (_, store) = memory_store(StoreConfig::default());
            let mut model = Model::default();
            let mut last = 0;
            for (i, op) in ops.iter().enumerate() {
                let (write, want) = model.step(i, op);
                let got = store.write(write).await;
                assert_eq!(got.as_ref().map(|r| r.revision).map_err(Clone::clone), want);
                if let Ok(result) = got {
                    assert!(result.revision > last, "{} after {last}", result.revision);
                    last = result.revision;
                }
                assert_eq!(store.revision(), last);
            }
        });
    }

    #[test]
    fn concurrent_writes_get_distinct_revisions_seen_in_order_by_a_watch(
        keys in prop::collection::vec(prop::sample::select(KEYS), 1..80),
        max_batch in 1usize..8,
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
            .expect("a multi-thread runtime builds");
        rt.block_on(async {
            let (_, store) = memory_store(StoreConfig { max_batch, ..StoreConfig::default() });
            let mut watch = store.watch("", 0).expect("watchable");
            let mut tasks = tokio::task::JoinSet::new();
            for (i, key) in keys.iter().enumerate() {
                let store = store.clone();
                let key = *key;
                tasks.spawn(async move { store.write(put(key, Precondition::None, &format!("w{i}"))).await });
            }
            let mut revisions = Vec::new();
            while let Some(done) = tasks.join_next().await {
                revisions.push(done.expect("task ran").expect("unconditional put succeeds").revision);
            }
            revisions.sort_unstable();
            assert_eq!(revisions, (1..=keys.len() as u64).collect::<Vec<_>>());
            let mut seen = Vec::new();
            for _ in 0..keys.len() {
                seen.push(watch.next().await.expect("open").expect("no error").revision);
            }
            assert_eq!(seen, revisions);
        });
    }

    #[test]
    fn a_watch_delivers_exactly_the_later_matching_events_or_expires(
        ops in prop::collection::vec(op_spec(), 0..40),
        history in 1usize..10,
        compact_at in prop::option::of(0u64..40),
        from_pick in 0u64..100,
        prefix in prop::sample::select(PREFIXES),
    ) {
        runtime().block_on(async {
            let (_, store) = memory_store(StoreConfig { history, ..StoreConfig::default() });
            let mut model = Model::default();
            apply(&store, &mut model, &ops, 0).await;
            let n = model.revision;
            let mut oldest = n.saturating_sub(history as u64);
            if let Some(c) = compact_at {
                store.compact(c);
                oldest = oldest.max(c.min(n));
            }
            assert_eq!(store.oldest_watchable(), oldest);
            let from = from_pick % (n + 1);
            match store.watch(prefix, from) {
                Err(err) => {
                    assert!(from < oldest, "unexpected {err:?}");
                    assert_eq!(err, StoreError::Expired { requested: from, oldest });
                }
                Ok(mut stream) => {
                    assert!(from >= oldest, "watch from {from} should have expired (oldest {oldest})");
                    let got: Vec<_> = drain_until_sentinel(&store, prefix, &mut stream).await.iter().map(as_tuple).collect();
                    let want: Vec<_> = model.events.iter()
                        .filter(|e| e.2 > from && e.1.starts_with(prefix)).cloned().collect();
                    assert_eq!(got, want);
                }
            }
        });
    }

    #[test]
    fn list_then_watch_reproduces_the_model(
        before in prop::collection::vec(op_spec(), 0..30),
        after in prop::collection::vec(op_spec(), 0..30),
        prefix in prop::sample::select(PREFIXES),
        atomic in any::<bool>(),
    ) {
        runtime().block_on(async {
            let (_, store) = memory_store(StoreConfig::default());
            let mut model = Model::default();
            apply(&store, &mut model, &before, 0).await;
            let (snapshot, mut stream) = if atomic {
                store.list_and_watch(prefix)
            } else {
                let snapshot = store.list(prefix);
                let stream = store.watch(prefix, snapshot.revision).expect("snapshot revision is watchable");
                (snapshot, stream)
            };
            assert_eq!(snapshot.revision, model.revision);
            let mut rebuilt: BTreeMap<String, (u64, Vec<u8>)> =
                snapshot.items.iter().map(|(k, r, v)| (k.clone(), (*r, v.to_vec()))).collect();
            assert_eq!(rebuilt, model.under(prefix), "the snapshot is the model");
            apply(&store, &mut model, &after, before.len()).await;
            for event in drain_until_sentinel(&store, prefix, &mut stream).await {
                let key = event.key.to_string();
                match event.kind {
                    EventType::Added => assert!(rebuilt.insert(key, (event.revision, event.value.to_vec())).is_none()),
                    EventType::Modified => assert!(rebuilt.insert(key, (event.revision, event.value.to_vec())).is_some()),
                    EventType::Deleted => assert!(rebuilt.remove(&key).is_some()),
                }
            }
            assert_eq!(rebuilt, model.under(prefix));
        });
    }
}
