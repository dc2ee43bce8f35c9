//! Watch events rendered once and shared by every watch that sends them.
//!
//! Each write reaches every watcher of its resource (the controllers' informers, the garbage
//! collector's metadata watches, selector watches). What a watcher needs of an event — the
//! object as served, decoded for selectors, and the finished `{"type":..,"object":..}` line
//! in JSON or `PartialObjectMetadata` form — is computed by the first watcher that needs it and
//! reused by the others: one decode and one encoding per event and form, however many watch.
//!
//! A selector reads a few fields, so a filtered watch does not decode the whole object (a pod is
//! kilobytes of nested JSON): it decodes the object and the previous object projected to the
//! paths its filter reads ([`Projected`]), once per event and set of paths. The previous object
//! of an event is the object of the key's event before it, so its projection is taken from that
//! event's rendering while it is still kept, not decoded again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use berth_api::convert;
use berth_api::projection::Projection;
use berth_api::resource::ResourceInfo;
use berth_store::{Revision, WatchEvent};
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

use super::read::partial_metadata;
use crate::registry;

/// How many recent events keep their renderings; watchers read an event at about the same time,
/// so a short window serves them all, and a lagging watcher just renders again.
const KEEP: usize = 128;

/// The event types a line can carry.
const TYPES: [&str; 3] = ["ADDED", "MODIFIED", "DELETED"];

/// The shape of a watch line's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The object as served.
    Object,
    /// Its `PartialObjectMetadata`.
    Metadata,
}

/// What watchers compute of one event, each part at most once.
#[derive(Default)]
pub struct Rendered {
    served: OnceLock<Option<Bytes>>,
    object: OnceLock<Option<Value>>,
    prev: OnceLock<Option<Value>>,
    /// Lines by form (object, metadata) and type (as in [`TYPES`]).
    lines: [[OnceLock<Option<Bytes>>; 3]; 2],
    /// The event projected for filtered watches, one entry per set of paths.
    projected: Mutex<Vec<Arc<Projected>>>,
    /// The rendering of the key's event before this one, whose object is this event's previous
    /// object (set only when its bytes are this event's `prev`); weak, so that renderings do not
    /// keep a chain of their predecessors alive.
    before: Weak<Rendered>,
}

impl Rendered {
    /// The event's object in the form `info` serves, as JSON.
    pub fn served(&self, info: &ResourceInfo, ev: &WatchEvent) -> Option<&Bytes> {
        self.served
            .get_or_init(|| registry::served_bytes(info, ev.value.clone()).ok())
            .as_ref()
    }

    /// The event's object as served, decoded.
    pub fn object(&self, info: &ResourceInfo, ev: &WatchEvent) -> Option<&Value> {
        self.object
            .get_or_init(|| registry::served(info, &ev.value).ok())
            .as_ref()
    }

    /// The object before the event, as served, decoded (`None` for a creation).
    pub fn prev(&self, info: &ResourceInfo, ev: &WatchEvent) -> Option<&Value> {
        self.prev
            .get_or_init(|| ev.prev.as_ref().and_then(|p| registry::served(info, p).ok()))
            .as_ref()
    }

    /// The event projected to `projection`, shared with every watch whose filter reads the same
    /// paths.
    pub fn projected(&self, projection: &Arc<Projection>) -> Arc<Projected> {
        // A poisoned lock only means a watcher panicked while holding it; the list is still whole.
        let mut all = self.projected.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = all.iter().find(|p| p.projects_to(projection)) {
            return Arc::clone(p);
        }
        // The previous object is the object of the event before: reuse its projection if made.
        let prev = OnceLock::new();
        if let Some(before) = self.before.upgrade() {
            if let Some(done) = before.projection_of(projection) {
                let _ = prev.set(done);
            }
        }
        let p = Arc::new(Projected {
            projection: Arc::clone(projection),
            object: OnceLock::new(),
            prev,
        });
        all.push(Arc::clone(&p));
        p
    }

    /// The object projected to `projection`, if a watch has projected it already.
    fn projection_of(&self, projection: &Arc<Projection>) -> Option<Option<Value>> {
        let all = self.projected.lock().unwrap_or_else(|p| p.into_inner());
        all.iter()
            .find(|p| p.projects_to(projection))
            .and_then(|p| p.object.get().cloned())
    }

    /// Whether the object or the previous object has been decoded whole.
    #[cfg(test)]
    pub fn decoded_whole(&self) -> bool {
        self.object.get().is_some() || self.prev.get().is_some()
    }

    /// `{"type":"<kind>","object":<object in form>}` and a newline; `None` for an object whose
    /// served form cannot be made.
    pub fn line(&self, kind: &'static str, form: Form, info: &ResourceInfo, ev: &WatchEvent) -> Option<Bytes> {
        let t = TYPES.iter().position(|t| *t == kind)?;
        let slot = &self.lines[form as usize][t];
        slot.get_or_init(|| {
            let object = match form {
                Form::Object => self.served(info, ev)?.clone(),
                Form::Metadata => {
                    let served = self.served(info, ev)?;
                    match metadata_text(served) {
                        Ok(meta) => partial_metadata_json(meta.unwrap_or(b"{}")),
                        // As an unfiltered watch always did: what does not decode has no metadata.
                        Err(()) => registry::to_bytes(&partial_metadata(self.object(info, ev).unwrap_or(&Value::Null))),
                    }
                }
            };
            Some(line(kind, &object))
        })
        .clone()
    }
}

/// An event's object and previous object as served, projected to the paths of a filter.
pub struct Projected {
    projection: Arc<Projection>,
    object: OnceLock<Option<Value>>,
    prev: OnceLock<Option<Value>>,
}

impl Projected {
    /// Whether this is the event projected to `projection` (the same one, or an equal one).
    fn projects_to(&self, projection: &Arc<Projection>) -> bool {
        Arc::ptr_eq(&self.projection, projection) || *self.projection == **projection
    }

    /// The event's object, projected; `None` if it does not decode.
    pub fn object(&self, info: &ResourceInfo, ev: &WatchEvent) -> Option<&Value> {
        self.object.get_or_init(|| self.decode(info, &ev.value)).as_ref()
    }

    /// The object before the event, projected (`None` for a creation or if it does not decode).
    pub fn prev(&self, info: &ResourceInfo, ev: &WatchEvent) -> Option<&Value> {
        self.prev
            .get_or_init(|| ev.prev.as_ref().and_then(|p| self.decode(info, p)))
            .as_ref()
    }

    /// The projection of a stored object, or the whole object where [`project`] declines.
    fn decode(&self, info: &ResourceInfo, stored: &[u8]) -> Option<Value> {
        project(&self.projection, info, stored).or_else(|| registry::served(info, stored).ok())
    }
}

/// A stored object in the form `info` serves, projected: what [`Filter::matches`] reads of it
/// reads as in [`registry::served`]. `None` when the object is to be decoded whole instead: it
/// needs conversion, or its text is not one a projection takes (see [`berth_api::projection`]) —
/// then a whole decode gives the value a filter sees, or the error, as it always did.
///
/// [`Filter::matches`]: super::read::Filter::matches
pub fn project(projection: &Projection, info: &ResourceInfo, stored: &[u8]) -> Option<Value> {
    if convert::needs_conversion(info) {
        return None;
    }
    projection.decode(stored).ok()
}

/// One watch line around an object's JSON.
pub fn line(kind: &str, object: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(object.len() + 32);
    buf.put_slice(b"{\"type\":\"");
    buf.put_slice(kind.as_bytes());
    buf.put_slice(b"\",\"object\":");
    buf.put_slice(object);
    buf.put_slice(b"}\n");
    buf.freeze()
}

/// `PartialObjectMetadata` around an object's `metadata` JSON, as [`partial_metadata`] of the
/// decoded object serializes: the stored bytes are serde_json's own encoding, which decoding and
/// encoding again reproduces, so the metadata is copied from them instead.
fn partial_metadata_json(metadata: &[u8]) -> Bytes {
    const HEAD: &[u8] = br#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":"#;
    let mut buf = BytesMut::with_capacity(HEAD.len() + metadata.len() + 1);
    buf.put_slice(HEAD);
    buf.put_slice(metadata);
    buf.put_u8(b'}');
    buf.freeze()
}

/// An object's top-level `metadata`, borrowed as the JSON text it is (other fields are skipped
/// without being built).
#[derive(Deserialize)]
struct MetadataText<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    metadata: Option<&'a RawValue>,
}

/// A field that is present, `null` included, is `Some` (serde makes a `null` option `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// The JSON text of an object's top-level `metadata`: `Ok(None)` if the object has none,
/// `Err(())` if the text is not a JSON object.
fn metadata_text(json: &[u8]) -> Result<Option<&[u8]>, ()> {
    // Serde would also take a struct from an array.
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(());
    }
    serde_json::from_slice::<MetadataText<'_>>(json)
        .map(|m| m.metadata.map(|raw| raw.get().as_bytes()))
        .map_err(|_| ())
}

/// The renderings of recent events, by revision and served form.
#[derive(Default)]
pub struct RenderCache {
    recent: Mutex<VecDeque<Recent>>,
}

/// One kept rendering, with what finds it again: the event's revision, served form, key and
/// stored bytes.
struct Recent {
    revision: Revision,
    converted: bool,
    key: Arc<str>,
    value: Bytes,
    rendered: Arc<Rendered>,
}

impl RenderCache {
    /// The renderings of `ev` as `info` serves it, shared with every other watch of it.
    pub fn get(&self, info: &ResourceInfo, ev: &WatchEvent) -> Arc<Rendered> {
        let converted = convert::needs_conversion(info);
        // A poisoned lock only means a watcher panicked while holding it; the list is still whole.
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = recent
            .iter()
            .rev()
            .find(|r| r.revision == ev.revision && r.converted == converted)
        {
            return Arc::clone(&r.rendered);
        }
        // The key's latest kept event before this one; its object is this event's previous
        // object when its bytes are the ones this event replaced.
        let before = ev
            .prev
            .as_ref()
            .and_then(|prev| {
                recent
                    .iter()
                    .rev()
                    .filter(|r| r.revision < ev.revision && r.converted == converted)
                    .find(|r| r.key == ev.key)
                    .filter(|r| r.value == *prev)
            })
            .map_or_else(Weak::new, |r| Arc::downgrade(&r.rendered));
        let r = Arc::new(Rendered {
            before,
            ..Rendered::default()
        });
        if recent.len() == KEEP {
            recent.pop_front();
        }
        recent.push_back(Recent {
            revision: ev.revision,
            converted,
            key: Arc::clone(&ev.key),
            value: ev.value.clone(),
            rendered: Arc::clone(&r),
        });
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_api::resource::lookup_kind;
    use berth_store::EventType;
    use serde_json::json;

    fn event(revision: Revision, obj: &Value, prev: Option<&Value>) -> WatchEvent {
        WatchEvent {
            kind: EventType::Modified,
            key: "/pods/default/p".into(),
            revision,
            value: registry::to_bytes(obj),
            prev: prev.map(registry::to_bytes),
        }
    }

    #[test]
    fn one_event_is_rendered_once_for_every_watch_of_it() {
        let pods = lookup_kind("", "Pod").expect("served");
        let obj =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {}});
        let ev = event(7, &obj, None);
        let cache = RenderCache::default();
        let first = cache.get(pods, &ev);
        let second = cache.get(pods, &ev);
        assert!(Arc::ptr_eq(&first, &second));
        let a = first.line("MODIFIED", Form::Object, pods, &ev).expect("renders");
        let b = second.line("MODIFIED", Form::Object, pods, &ev).expect("renders");
        assert_eq!(a.as_ptr(), b.as_ptr(), "the same bytes, not a copy");
        let want = format!("{{\"type\":\"MODIFIED\",\"object\":{}}}\n", obj);
        assert_eq!(a, Bytes::from(want));
        let meta = first.line("ADDED", Form::Metadata, pods, &ev).expect("renders");
        let want = json!({"type": "ADDED", "object": partial_metadata(&obj)});
        assert_eq!(serde_json::from_slice::<Value>(&meta).expect("json"), want);
        assert!(first.prev(pods, &ev).is_none());
    }

    #[test]
    fn the_previous_object_takes_the_projection_of_the_event_before_only_when_it_is_that_object() {
        let pods = lookup_kind("", "Pod").expect("served");
        let projection = Arc::new(Projection::new(["metadata.labels"]));
        let pod = |app: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": app}}, "spec": {}});
        let (one, two, three) = (pod("one"), pod("two"), pod("three"));
        let cache = RenderCache::default();
        let first = event(1, &one, None);
        let labels = |v: Option<&Value>| v.map(|v| v["metadata"]["labels"]["app"].clone());
        let r1 = cache.get(pods, &first);
        assert_eq!(
            labels(r1.projected(&projection).object(pods, &first)),
            Some(json!("one"))
        );
        // The event after it replaced exactly that object: the projection is carried over.
        let second = event(2, &two, Some(&one));
        let p2 = cache.get(pods, &second).projected(&projection);
        assert_eq!(
            labels(p2.prev.get().and_then(Option::as_ref)),
            Some(json!("one")),
            "taken over"
        );
        assert_eq!(labels(p2.prev(pods, &second)), Some(json!("one")));
        assert_eq!(labels(p2.object(pods, &second)), Some(json!("two")));
        // A previous object that is not the kept event's object is decoded, not taken over.
        let third = event(3, &three, Some(&one));
        let p3 = cache.get(pods, &third).projected(&projection);
        assert!(p3.prev.get().is_none(), "not taken over");
        assert_eq!(labels(p3.prev(pods, &third)), Some(json!("one")));
        // Another key's event is never the one before.
        let mut other = event(4, &three, Some(&two));
        other.key = "/pods/default/q".into();
        assert!(cache.get(pods, &other).projected(&projection).prev.get().is_none());
    }

    #[test]
    fn other_revisions_and_served_forms_get_their_own_renderings() {
        let events = lookup_kind("", "Event").expect("served");
        let events_v1 = lookup_kind("events.k8s.io", "Event").expect("served");
        let obj = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "message": "m"});
        let cache = RenderCache::default();
        let a = cache.get(events, &event(1, &obj, None));
        let b = cache.get(events, &event(2, &obj, None));
        let c = cache.get(events_v1, &event(1, &obj, None));
        assert!(!Arc::ptr_eq(&a, &b) && !Arc::ptr_eq(&a, &c));
        let ev = event(1, &obj, None);
        let served = c.object(events_v1, &ev).expect("decodes");
        assert_eq!(served["note"], "m");
        assert_eq!(a.object(events, &ev).expect("decodes")["message"], "m");
    }

    #[test]
    fn metadata_lines_copy_the_metadata_as_decoding_would_write_it() {
        let pods = lookup_kind("", "Pod").expect("served");
        let objects = [
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b}\"{"},
                "annotations": {"x": "\\\"]["}, "managedFields": [{"fieldsV1": {"f:a": {}}}]}, "spec": {"n": [1.5, -2, null, true]}}),
            json!({"spec": {"template": {"metadata": {"name": "inner"}}}, "metadata": {"name": "outer"}, "z": "metadata"}),
            json!({"kind": "Pod", "spec": {"metadata": {"name": "not this"}}}),
            json!({"metadata": null}),
            json!({"metadata": {}, "status": {"message": "é ü \u{1} \n"}}),
            json!({}),
        ];
        for obj in objects {
            let ev = event(3, &obj, None);
            let cache = RenderCache::default();
            let line = cache
                .get(pods, &ev)
                .line("MODIFIED", Form::Metadata, pods, &ev)
                .expect("renders");
            let want = json!({"type": "MODIFIED", "object": partial_metadata(&obj)});
            let mut want = serde_json::to_vec(&want).expect("json");
            want.push(b'\n');
            assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&want), "{obj}");
        }
    }

    #[test]
    fn metadata_text_refuses_what_is_not_an_object() {
        for text in [
            &b"[1]"[..],
            b"",
            b"{\"a\"",
            b"{\"a\":}",
            b"{\"a\":1 2}",
            b"\"metadata\"",
        ] {
            assert_eq!(metadata_text(text), Err(()), "{}", String::from_utf8_lossy(text));
        }
        assert_eq!(metadata_text(b" { \"metadata\" : [1,{}] } "), Ok(Some(&b"[1,{}]"[..])));
        assert_eq!(metadata_text(b"{}"), Ok(None));
    }

    #[test]
    fn only_recent_events_are_kept() {
        let pods = lookup_kind("", "Pod").expect("served");
        let obj = json!({"metadata": {"name": "p"}});
        let cache = RenderCache::default();
        let first = cache.get(pods, &event(1, &obj, None));
        for rev in 2..=(KEEP as Revision + 1) {
            cache.get(pods, &event(rev, &obj, None));
        }
        assert!(!Arc::ptr_eq(&first, &cache.get(pods, &event(1, &obj, None))));
    }
}
