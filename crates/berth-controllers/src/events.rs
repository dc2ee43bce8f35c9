//! Events the controllers record, built and sent the way client-go's recorder does: named
//! `<object>.<unix nanoseconds in hex>`, posted in the background so recording never holds up the
//! work it reports on (client-go's broadcaster queues them too).
//!
//! Controllers that use client-go's `record` package upstream (the StatefulSet and volume
//! controllers, the external provisioner) send through a [`Recorder`], which correlates events as
//! `record.EventCorrelator` does with its defaults: the same event again becomes a count patch,
//! similar events (the same object and reason, other messages) are combined after ten, and a
//! source may send 25 events about one object, then one per five minutes. The scheduler uses the
//! `events.k8s.io` library upstream, which has no such filter: it posts with [`emit`].

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::time::Duration;

use crate::informers::Writes;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use lru::LruCache;
use serde_json::json;
use tokio::sync::mpsc;

/// One event about `involved`, reported by `component`.
#[derive(Clone, Debug)]
pub struct Note<'a> {
    pub component: &'a str,
    pub involved: ObjectReference,
    /// `Normal` or `Warning`.
    pub type_: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
    /// The events.k8s.io `action`, if the component sets one.
    pub action: Option<&'a str>,
}

/// The core/v1 Event for `note` at `now`, in the involved object's namespace (`default` for a
/// cluster-scoped object, as client-go does).
pub fn build(note: &Note<'_>, now: jiff::Timestamp) -> Event {
    let namespace = note.involved.namespace.clone().unwrap_or_else(|| "default".to_string());
    let name = note.involved.name.as_deref().unwrap_or_default();
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(namespace),
            ..ObjectMeta::default()
        },
        involved_object: note.involved.clone(),
        reason: Some(note.reason.into()),
        message: Some(note.message.into()),
        type_: Some(note.type_.into()),
        source: Some(EventSource {
            component: Some(note.component.into()),
            host: None,
        }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        event_time: note.action.map(|_| MicroTime(now)),
        count: Some(1),
        action: note.action.map(Into::into),
        reporting_component: Some(note.component.into()),
        reporting_instance: Some(note.component.into()),
        ..Event::default()
    }
}

/// Entries of each correlator cache (client-go's `maxLruCacheEntries`).
const CACHE_ENTRIES: usize = 4096;
/// Similar events seen in [`AGGREGATE_WINDOW`] before they are combined.
const AGGREGATE_MAX_EVENTS: usize = 10;
const AGGREGATE_WINDOW: Duration = Duration::from_secs(600);
/// Events a source may send about one object at once, and the refill rate after.
const SPAM_BURST: f64 = 25.0;
const SPAM_QPS: f64 = 1.0 / 300.0;

/// What becomes of an event after correlation.
#[derive(Clone, Debug, PartialEq)]
pub enum Correlated {
    /// Over the source's budget for the object: not sent.
    Skip,
    Create(Event),
    /// Seen before: the stored event gets this (strategic merge) patch; `event` is the whole
    /// event, created instead if the stored one is gone.
    Patch {
        event: Event,
        patch: serde_json::Value,
    },
}

struct Aggregate {
    messages: HashSet<String>,
    last: Timestamp,
}

struct Observation {
    count: i32,
    first: Option<Time>,
    name: Option<String>,
}

struct Bucket {
    tokens: f64,
    at: Timestamp,
}

/// client-go's `EventCorrelator` with its default options.
pub struct Correlator {
    aggregates: LruCache<String, Aggregate>,
    observed: LruCache<String, Observation>,
    spam: LruCache<String, Bucket>,
}

impl Default for Correlator {
    fn default() -> Self {
        let size = NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN);
        Correlator {
            aggregates: LruCache::new(size),
            observed: LruCache::new(size),
            spam: LruCache::new(size),
        }
    }
}

fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .map(|p| p.unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\u{1}")
}

/// The source and the involved object (client-go's `getSpamKey`).
fn spam_key(e: &Event) -> String {
    let (src, o) = (e.source.clone().unwrap_or_default(), &e.involved_object);
    join(&[
        src.component.as_deref(),
        src.host.as_deref(),
        o.kind.as_deref(),
        o.namespace.as_deref(),
        o.name.as_deref(),
        o.uid.as_deref(),
        o.api_version.as_deref(),
    ])
}

/// The spam key with the field path, type, reason and message (client-go's `getEventKey`).
fn event_key(e: &Event) -> String {
    join(&[
        Some(&spam_key(e)),
        e.involved_object.field_path.as_deref(),
        e.type_.as_deref(),
        e.reason.as_deref(),
        e.message.as_deref(),
    ])
}

/// The spam key with the type, reason and reporter (client-go's `EventAggregatorByReasonFunc`).
fn aggregate_key(e: &Event) -> String {
    join(&[
        Some(&spam_key(e)),
        e.type_.as_deref(),
        e.reason.as_deref(),
        e.reporting_component.as_deref(),
        e.reporting_instance.as_deref(),
    ])
}

impl Correlator {
    /// Upstream `EventCorrelate`: aggregate, count, then filter.
    pub fn correlate(&mut self, event: Event, now: Timestamp) -> Correlated {
        let (mut event, key) = self.aggregate(event, now);
        let seen = self
            .observed
            .get(&key)
            .map(|o| (o.count, o.first.clone(), o.name.clone()));
        let patch = seen.map(|(count, first, name)| {
            event.metadata.name = name;
            event.first_timestamp = first;
            event.count = Some(count + 1);
            json!({
                "count": event.count,
                "lastTimestamp": event.last_timestamp,
                "message": event.message,
            })
        });
        self.observed.put(
            key,
            Observation {
                count: event.count.unwrap_or(1),
                first: event.first_timestamp.clone(),
                name: event.metadata.name.clone(),
            },
        );
        if !self.accept(spam_key(&event), now) {
            return Correlated::Skip;
        }
        match patch {
            Some(patch) => Correlated::Patch { event, patch },
            None => Correlated::Create(event),
        }
    }

    /// Upstream `EventAggregate`: the event and its cache key, or, once similar events reach
    /// the maximum, a combined event under the aggregate key.
    fn aggregate(&mut self, event: Event, now: Timestamp) -> (Event, String) {
        let key = aggregate_key(&event);
        let message = event.message.clone().unwrap_or_default();
        let fresh = || Aggregate {
            messages: HashSet::new(),
            last: now,
        };
        let record = self.aggregates.get_or_insert_mut(key.clone(), fresh);
        if now.duration_since(record.last).unsigned_abs() > AGGREGATE_WINDOW {
            *record = fresh();
        }
        record.messages.insert(message.clone());
        record.last = now;
        if record.messages.len() < AGGREGATE_MAX_EVENTS {
            return (event.clone(), event_key(&event));
        }
        // The set stays below the maximum, so that every later similar event is combined too.
        if let Some(any) = record.messages.iter().next().cloned() {
            record.messages.remove(&any);
        }
        let name = event.involved_object.name.as_deref().unwrap_or_default();
        let combined = Event {
            metadata: ObjectMeta {
                name: Some(format!("{name}.{:x}", now.as_nanosecond())),
                namespace: event.metadata.namespace.clone(),
                ..ObjectMeta::default()
            },
            count: Some(1),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            involved_object: event.involved_object,
            message: Some(format!("(combined from similar events): {message}")),
            type_: event.type_,
            reason: event.reason,
            source: event.source,
            ..Event::default()
        };
        (combined, key)
    }

    /// The source's token bucket for the object.
    fn accept(&mut self, key: String, now: Timestamp) -> bool {
        let bucket = self.spam.get_or_insert_mut(key, || Bucket {
            tokens: SPAM_BURST,
            at: now,
        });
        let elapsed = now.duration_since(bucket.at).as_secs_f64().max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * SPAM_QPS).min(SPAM_BURST);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A component's event recorder: events are correlated and sent one after another on a
/// background task, as client-go's broadcaster sends them to its sink.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::Sender<Event>,
}

/// Events waiting to be sent; more are dropped, as client-go's broadcaster drops them
/// (`maxQueuedEvents`, `DropIfChannelFull`), so a burst cannot grow memory without bound.
const MAX_QUEUED_EVENTS: usize = 1000;

impl Recorder {
    /// Starts the sending task (on the current runtime).
    pub fn new(client: kube::Client) -> Self {
        let (queue, mut events) = mpsc::channel::<Event>(MAX_QUEUED_EVENTS);
        tokio::spawn(async move {
            let mut correlator = Correlator::default();
            while let Some(event) = events.recv().await {
                match correlator.correlate(event, Timestamp::now()) {
                    Correlated::Skip => {}
                    Correlated::Create(event) => create(&client, &event).await,
                    Correlated::Patch { event, patch } => {
                        let api: Writes<Event> = Writes::namespaced(client.clone(), namespace_of(&event));
                        let name = event.metadata.name.clone().unwrap_or_default();
                        match api
                            .patch(&name, &PatchParams::default(), &Patch::Strategic(&patch))
                            .await
                        {
                            Ok(_) => {}
                            // The event is gone (it expired): record it anew.
                            Err(kube::Error::Api(s)) if s.code == 404 => create(&client, &event).await,
                            Err(e) => tracing::debug!(error = %e, reason = ?event.reason, "updating an event failed"),
                        }
                    }
                }
            }
        });
        Recorder { queue }
    }

    /// Records the event (after correlation, in the background).
    pub fn record(&self, note: &Note<'_>) {
        self.send(build(note, Timestamp::now()));
    }

    /// Records an event built by the caller.
    pub fn send(&self, event: Event) {
        if let Err(mpsc::error::TrySendError::Full(event)) = self.queue.try_send(event) {
            tracing::debug!(reason = ?event.reason, "event queue full; dropping the event");
        }
    }
}

fn namespace_of(event: &Event) -> &str {
    event.metadata.namespace.as_deref().unwrap_or("default")
}

async fn create(client: &kube::Client, event: &Event) {
    let api: Writes<Event> = Writes::namespaced(client.clone(), namespace_of(event));
    if let Err(e) = api.create(&PostParams::default(), event).await {
        tracing::debug!(error = %e, reason = ?event.reason, "recording an event failed");
    }
}

/// Posts the event in the background, without correlation (the `events.k8s.io` recorder's way);
/// a failure is logged, not returned (an event is a report, and the caller's work has already
/// happened).
pub fn emit(client: &kube::Client, note: &Note<'_>) {
    let event = build(note, Timestamp::now());
    let client = client.clone();
    tokio::spawn(async move { create(&client, &event).await });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_named_after_its_object_and_lives_in_its_namespace() {
        let now = jiff::Timestamp::from_nanosecond(0x1234).expect("time");
        let pod = ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some("shop".into()),
            name: Some("web-0".into()),
            ..ObjectReference::default()
        };
        let note = Note {
            component: "default-scheduler",
            involved: pod,
            type_: "Normal",
            reason: "Scheduled",
            message: "Successfully assigned shop/web-0 to berth",
            action: Some("Binding"),
        };
        let ev = build(&note, now);
        assert_eq!(ev.metadata.name.as_deref(), Some("web-0.1234"));
        assert_eq!(ev.metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(ev.reporting_component.as_deref(), Some("default-scheduler"));
        assert_eq!(ev.count, Some(1));
        assert!(ev.event_time.is_some());

        let volume = ObjectReference {
            kind: Some("PersistentVolume".into()),
            name: Some("pvc-1".into()),
            ..ObjectReference::default()
        };
        let ev = build(
            &Note {
                involved: volume,
                action: None,
                ..note
            },
            now,
        );
        assert_eq!(ev.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(ev.event_time, None);
    }

    fn set_event(message: &str, at: Timestamp) -> Event {
        let set = ObjectReference {
            api_version: Some("apps/v1".into()),
            kind: Some("StatefulSet".into()),
            namespace: Some("default".into()),
            name: Some("web".into()),
            uid: Some("u1".into()),
            ..ObjectReference::default()
        };
        build(
            &Note {
                component: "statefulset-controller",
                involved: set,
                type_: "Normal",
                reason: "SuccessfulCreate",
                message,
                action: None,
            },
            at,
        )
    }

    fn secs(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).expect("time")
    }

    #[test]
    fn the_same_event_again_is_a_count_patch_of_the_first() {
        let mut c = Correlator::default();
        let Correlated::Create(first) = c.correlate(set_event("create Pod web-0", secs(0)), secs(0)) else {
            panic!("the first event is created");
        };
        match c.correlate(set_event("create Pod web-0", secs(1)), secs(1)) {
            Correlated::Patch { event, patch } => {
                assert_eq!(event.metadata.name, first.metadata.name);
                assert_eq!(event.first_timestamp, first.first_timestamp);
                assert_eq!(patch["count"], 2);
                assert_eq!(patch["message"], "create Pod web-0");
            }
            other => panic!("expected a patch, got {other:?}"),
        }
    }

    #[test]
    fn similar_events_are_combined_after_ten_and_a_source_sends_25_about_an_object() {
        let mut c = Correlator::default();
        let out: Vec<Correlated> = (0..40)
            .map(|i| c.correlate(set_event(&format!("create Pod web-{i}"), secs(0)), secs(0)))
            .collect();
        for (i, o) in out.iter().take(9).enumerate() {
            let Correlated::Create(e) = o else {
                panic!("event {i} is created as it is")
            };
            assert_eq!(e.message.as_deref(), Some(format!("create Pod web-{i}").as_str()));
        }
        let Correlated::Create(combined) = &out[9] else {
            panic!("the tenth starts the combined event")
        };
        assert_eq!(
            combined.message.as_deref(),
            Some("(combined from similar events): create Pod web-9")
        );
        for (i, o) in out.iter().enumerate().take(25).skip(10) {
            let Correlated::Patch { event, patch } = o else {
                panic!("event {i} patches the combined one")
            };
            assert_eq!(event.metadata.name, combined.metadata.name);
            assert_eq!(patch["count"], i as i32 - 8);
        }
        assert!(
            out[25..].iter().all(|o| *o == Correlated::Skip),
            "the burst of 25 is spent"
        );

        // One more token every five minutes.
        assert!(matches!(
            c.correlate(set_event("create Pod web-40", secs(299)), secs(299)),
            Correlated::Skip
        ));
        assert!(matches!(
            c.correlate(set_event("create Pod web-41", secs(301)), secs(301)),
            Correlated::Patch { .. }
        ));
    }

    #[test]
    fn other_objects_have_their_own_budget_and_quiet_ends_the_combining() {
        let mut c = Correlator::default();
        for i in 0..30 {
            c.correlate(set_event(&format!("m{i}"), secs(0)), secs(0));
        }
        let mut other = set_event("m0", secs(0));
        other.involved_object.name = Some("db".into());
        assert!(matches!(c.correlate(other, secs(0)), Correlated::Create(_)));
        // Ten quiet minutes later a new message is an event of its own again (with a token).
        let later = secs(601 + 300);
        match c.correlate(set_event("fresh", later), later) {
            Correlated::Create(e) => assert_eq!(e.message.as_deref(), Some("fresh")),
            other => panic!("expected a plain event, got {other:?}"),
        }
    }

    #[test]
    fn a_full_queue_drops_events_instead_of_growing() {
        let (queue, mut events) = mpsc::channel(MAX_QUEUED_EVENTS);
        let recorder = Recorder { queue };
        for i in 0..MAX_QUEUED_EVENTS + 5 {
            recorder.send(set_event(&format!("m{i}"), secs(0)));
        }
        let mut queued = 0;
        while events.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(queued, MAX_QUEUED_EVENTS);
    }
}
