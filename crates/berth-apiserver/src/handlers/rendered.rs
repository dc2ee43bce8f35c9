//! Watch events rendered once and shared by every watch that sends them.
//!
//! Each write reaches every watcher of its resource (the controllers' informers, the garbage
//! collector's metadata watches, selector watches). What a watcher needs of an event — the
//! object as served, decoded for selectors, and the finished `{"type":..,"object":..}` line
//! in JSON or `PartialObjectMetadata` form — is computed by the first watcher that needs it and
//! reused by the others: one decode and one encoding per event and form, however many watch.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use berth_api::convert;
use berth_api::resource::ResourceInfo;
use berth_store::{Revision, WatchEvent};
use bytes::{BufMut, Bytes, BytesMut};
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
                    match top_level_field(served, "metadata") {
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

/// The JSON text of the top-level field `name` of a JSON object: `Ok(None)` if the object has no
/// such field, `Err(())` if the text is not an object this scanner can read. Strings are skipped
/// with their escapes, so nothing inside a string is taken for structure.
fn top_level_field<'a>(json: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, ()> {
    let mut at = skip_ws(json, 0);
    if json.get(at) != Some(&b'{') {
        return Err(());
    }
    at = skip_ws(json, at + 1);
    if json.get(at) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        let key_end = string_end(json, at)?;
        let key = &json[at..key_end];
        at = skip_ws(json, key_end);
        if json.get(at) != Some(&b':') {
            return Err(());
        }
        let start = skip_ws(json, at + 1);
        let end = value_end(json, start)?;
        if key.len() == name.len() + 2 && &key[1..key.len() - 1] == name.as_bytes() {
            return Ok(Some(&json[start..end]));
        }
        at = skip_ws(json, end);
        match json.get(at) {
            Some(b',') => at = skip_ws(json, at + 1),
            Some(b'}') => return Ok(None),
            _ => return Err(()),
        }
    }
}

fn skip_ws(json: &[u8], mut at: usize) -> usize {
    while json.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index just past the string starting at `at`.
fn string_end(json: &[u8], at: usize) -> Result<usize, ()> {
    if json.get(at) != Some(&b'"') {
        return Err(());
    }
    let mut i = at + 1;
    while let Some(b) = json.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(())
}

/// The index just past the value starting at `at`.
fn value_end(json: &[u8], at: usize) -> Result<usize, ()> {
    match json.get(at) {
        Some(b'"') => string_end(json, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = at;
            while let Some(b) = json.get(i) {
                match b {
                    b'"' => {
                        i = string_end(json, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Err(())
        }
        Some(_) => {
            let mut i = at;
            while json
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            if i == at {
                Err(())
            } else {
                Ok(i)
            }
        }
        None => Err(()),
    }
}

/// The renderings of recent events, by revision and served form.
#[derive(Default)]
pub struct RenderCache {
    recent: Mutex<VecDeque<(Revision, bool, Arc<Rendered>)>>,
}

impl RenderCache {
    /// The renderings of `ev` as `info` serves it, shared with every other watch of it.
    pub fn get(&self, info: &ResourceInfo, ev: &WatchEvent) -> Arc<Rendered> {
        let converted = convert::needs_conversion(info);
        // A poisoned lock only means a watcher panicked while holding it; the list is still whole.
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, r)) = recent
            .iter()
            .rev()
            .find(|(rev, conv, _)| *rev == ev.revision && *conv == converted)
        {
            return Arc::clone(r);
        }
        let r = Arc::new(Rendered::default());
        if recent.len() == KEEP {
            recent.pop_front();
        }
        recent.push_back((ev.revision, converted, Arc::clone(&r)));
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
    fn the_scanner_refuses_what_is_not_an_object() {
        for text in [
            &b"[1]"[..],
            b"",
            b"{\"a\"",
            b"{\"a\":}",
            b"{\"a\":1 2}",
            b"\"metadata\"",
        ] {
            assert_eq!(
                top_level_field(text, "metadata"),
                Err(()),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(
            top_level_field(b" { \"metadata\" : [1,{}] } ", "metadata"),
            Ok(Some(&b"[1,{}]"[..]))
        );
        assert_eq!(top_level_field(b"{}", "metadata"), Ok(None));
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
