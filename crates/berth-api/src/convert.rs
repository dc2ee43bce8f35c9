//! Storage versions: kinds served under two groups share one storage, as upstream does.
//!
//! `events.k8s.io/v1` Events are stored as core `v1` Events, so an Event written through either
//! API is visible through both (kube-rs's recorder writes `events.k8s.io/v1`; `kubectl describe`
//! reads core `v1`). The field mapping is upstream's `pkg/apis/events/v1` conversion.

use serde_json::{Map, Value};

use crate::resource::{self, ResourceInfo};

/// `(events.k8s.io/v1 name, core/v1 name)` for the fields that are renamed.
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

fn is_events_v1(info: &ResourceInfo) -> bool {
    info.group == "events.k8s.io" && info.kind == "Event"
}

/// The resource whose storage holds objects of `info`.
pub fn storage_of(info: &'static ResourceInfo) -> &'static ResourceInfo {
    if is_events_v1(info) {
        resource::lookup("", "v1", "events").unwrap_or(info)
    } else {
        info
    }
}

/// Whether objects of `info` differ from their stored form.
pub fn needs_conversion(info: &ResourceInfo) -> bool {
    is_events_v1(info)
}

fn rename(obj: &Value, pairs: impl Iterator<Item = (&'static str, &'static str)>, api_version: &str) -> Value {
    let Some(src) = obj.as_object() else { return obj.clone() };
    let mut out = Map::with_capacity(src.len());
    let pairs: Vec<(&str, &str)> = pairs.collect();
    for (k, v) in src {
        let key = pairs.iter().find(|(from, _)| from == k).map(|(_, to)| *to).unwrap_or(k);
        out.insert(key.to_string(), v.clone());
    }
    out.insert("apiVersion".into(), Value::String(api_version.into()));
    out.insert("kind".into(), Value::String("Event".into()));
    Value::Object(out)
}

/// An object of `info` in its storage form.
pub fn to_storage(info: &ResourceInfo, obj: &Value) -> Value {
    if is_events_v1(info) {
        rename(obj, EVENT_FIELDS.iter().copied(), "v1")
    } else {
        obj.clone()
    }
}

/// [`to_storage`] of an object the caller hands over: no copy when no conversion is needed.
pub fn into_storage(info: &ResourceInfo, obj: Value) -> Value {
    if is_events_v1(info) {
        to_storage(info, &obj)
    } else {
        obj
    }
}

/// A stored object in the form `info` serves.
pub fn from_storage(info: &ResourceInfo, obj: &Value) -> Value {
    if is_events_v1(info) {
        rename(obj, EVENT_FIELDS.iter().map(|(a, b)| (*b, *a)), "events.k8s.io/v1")
    } else {
        obj.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events_v1() -> &'static ResourceInfo {
        resource::lookup("events.k8s.io", "v1", "events").expect("served")
    }

    #[test]
    fn events_v1_are_stored_as_core_events_and_read_back_unchanged() {
        let ev = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "web-0"}, "note": "created", "reason": "Created",
            "reportingController": "statefulset-controller", "type": "Normal"});
        let stored = to_storage(events_v1(), &ev);
        assert_eq!(stored["apiVersion"], "v1");
        assert_eq!(stored["involvedObject"]["name"], "web-0");
        assert_eq!(stored["message"], "created");
        assert_eq!(stored["reportingComponent"], "statefulset-controller");
        assert_eq!(from_storage(events_v1(), &stored), ev);
        assert_eq!(into_storage(events_v1(), ev.clone()), stored);
        assert_eq!(storage_of(events_v1()).group, "");
    }

    #[test]
    fn other_kinds_are_stored_as_served() {
        let pods = resource::lookup("", "v1", "pods").expect("served");
        assert!(!needs_conversion(pods));
        assert_eq!(storage_of(pods).plural, "pods");
    }
}
