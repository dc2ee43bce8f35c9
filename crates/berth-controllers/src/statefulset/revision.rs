//! ControllerRevisions of a StatefulSet: the template patch stored in `data`, the content hash in
//! the name, equality, rollback and history truncation (upstream `history/controller_history.go`
//! and the revision helpers of `stateful_set_utils.go`).
//!
//! The hash must equal upstream's for the same template so that a set moved between clusters, or
//! upgraded, does not roll its pods: the patch is encoded as Go's `encoding/json` would encode the
//! unstructured map (sorted keys, HTML-safe escapes) and the zero-valued struct fields Go always
//! emits (`creationTimestamp: null`, `resources: {}`) are filled in.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{Map, Value};

use super::identity::{pod_revision, set_controller_ref, set_name, set_namespace, set_uid};

/// `controller.kubernetes.io/hash`.
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// Encodes a JSON value as Go's `json.Marshal` does for `map[string]interface{}`: keys sorted at
/// every level, `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_go(&mut out, value);
    out
}

fn write_go(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_go_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go(out, v);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(out, k);
                out.push(':');
                write_go(out, &map[k]);
            }
            out.push('}');
        }
    }
}

fn write_go_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Adds the fields Go's typed encoding always emits, so the bytes match a Go round trip.
fn fill_go_zero_fields(template: &mut Value) {
    let Some(t) = template.as_object_mut() else { return };
    fill_meta(t.entry("metadata").or_insert_with(|| Value::Object(Map::new())));
    let spec = t.entry("spec").or_insert_with(|| Value::Object(Map::new()));
    let Some(spec) = spec.as_object_mut() else { return };
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                c.entry("resources").or_insert_with(|| Value::Object(Map::new()));
            }
        }
    }
    if let Some(Value::Array(vols)) = spec.get_mut("volumes") {
        for v in vols {
            if let Some(tmpl) = v
                .pointer_mut("/ephemeral/volumeClaimTemplate")
                .and_then(Value::as_object_mut)
            {
                fill_meta(tmpl.entry("metadata").or_insert_with(|| Value::Object(Map::new())));
                let pvc = tmpl.entry("spec").or_insert_with(|| Value::Object(Map::new()));
                if let Some(pvc) = pvc.as_object_mut() {
                    pvc.entry("resources").or_insert_with(|| Value::Object(Map::new()));
                }
            }
        }
    }
}

fn fill_meta(meta: &mut Value) {
    if let Some(m) = meta.as_object_mut() {
        m.entry("creationTimestamp").or_insert(Value::Null);
    }
}

/// The revision patch of a set (upstream `getPatch`): `{"spec":{"template":{"$patch":"replace",…}}}`.
pub fn patch_value(template: &PodTemplateSpec) -> Value {
    let mut t = serde_json::to_value(template).unwrap_or(Value::Null);
    if !t.is_object() {
        t = Value::Object(Map::new());
    }
    fill_go_zero_fields(&mut t);
    if let Some(m) = t.as_object_mut() {
        m.insert("$patch".into(), Value::String("replace".into()));
    }
    serde_json::json!({ "spec": { "template": t } })
}

/// FNV-1 (not 1a) 32-bit, as Go's `hash/fnv.New32`.
pub fn fnv1_32(data: &[u8], mut h: u32) -> u32 {
    for b in data {
        h = h.wrapping_mul(0x0100_0193);
        h ^= u32::from(*b);
    }
    h
}

/// Offset basis of FNV-32.
pub const FNV32_OFFSET: u32 = 0x811c_9dc5;

/// Upstream `rand.SafeEncodeString`: each byte mapped into an alphabet without vowels.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// Upstream `HashControllerRevision(rev, probe)`: FNV-1/32 of the raw data, then of the decimal
/// collision count, safe-encoded.
pub fn hash_revision(raw: &str, collision_count: Option<i32>) -> String {
    let mut h = fnv1_32(raw.as_bytes(), FNV32_OFFSET);
    if let Some(p) = collision_count {
        h = fnv1_32(p.to_string().as_bytes(), h);
    }
    safe_encode(&h.to_string())
}

/// `<prefix>-<hash>` with the prefix cut to 223 bytes.
pub fn revision_name(prefix: &str, hash: &str) -> String {
    let mut end = prefix.len().min(223);
    while !prefix.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}-{hash}", &prefix[..end])
}

/// The canonical bytes of a revision's data, for equality.
pub fn raw_data(rev: &ControllerRevision) -> String {
    rev.data.as_ref().map(|d| go_json(&d.0)).unwrap_or_default()
}

/// A revision of the set's current template, not yet named (upstream `newRevision` before
/// `CreateControllerRevision` names it): labels are the template's, annotations the set's.
pub fn new_revision(set: &StatefulSet, revision: i64, collision_count: i32) -> ControllerRevision {
    new_revision_and_raw(set, revision, collision_count).0
}

/// [`new_revision`] and its [`raw_data`].
pub fn new_revision_and_raw(set: &StatefulSet, revision: i64, collision_count: i32) -> (ControllerRevision, String) {
    let default = PodTemplateSpec::default();
    let template = set.spec.as_ref().map_or(&default, |s| &s.template);
    let data = patch_value(template);
    let raw = go_json(&data);
    let hash = hash_revision(&raw, Some(collision_count));
    let mut labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let name = revision_name(set_name(set), &hash);
    labels.insert(HASH_LABEL.into(), hash);
    let rev = ControllerRevision {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(set_namespace(set).to_string()),
            labels: Some(labels),
            annotations: set.metadata.annotations.clone(),
            owner_references: Some(vec![set_controller_ref(set)]),
            ..ObjectMeta::default()
        },
        data: Some(RawExtension(data)),
        revision,
    };
    (rev, raw)
}

/// Renames a revision for another collision count, keeping the first hash label like upstream.
pub fn rename_for_collision(set: &StatefulSet, rev: &mut ControllerRevision, collision_count: i32) {
    let hash = hash_revision(&raw_data(rev), Some(collision_count));
    rev.metadata.name = Some(revision_name(set_name(set), &hash));
}

/// The `controller.kubernetes.io/hash` label of a revision.
pub fn hash_label(rev: &ControllerRevision) -> Option<&str> {
    rev.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(HASH_LABEL))
        .map(String::as_str)
}

/// Upstream `EqualRevision`: hash labels (when both have one) and data agree.
pub fn equal_revision(a: &ControllerRevision, b: &ControllerRevision) -> bool {
    if let (Some(x), Some(y)) = (hash_label(a), hash_label(b)) {
        if x != y {
            return false;
        }
    }
    raw_data(a) == raw_data(b)
}

/// Sorts by `.revision`, then creation time, then name (upstream `SortControllerRevisions`).
pub fn sort_revisions<R: Borrow<ControllerRevision>>(revs: &mut [R]) {
    revs.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        a.revision
            .cmp(&b.revision)
            .then_with(|| a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
}

/// `last.revision + 1`, or 1 without revisions.
pub fn next_revision<R: Borrow<ControllerRevision>>(sorted: &[R]) -> i64 {
    sorted.last().map_or(1, |r| r.borrow().revision + 1)
}

/// The set with its template replaced by the revision's (upstream `ApplyRevision`). The
/// template is decoded from the revision's data in place (its `$patch` key is an unknown field,
/// which decoding skips).
pub fn apply_revision(set: &StatefulSet, rev: &ControllerRevision) -> StatefulSet {
    let mut out = set.clone();
    let template = rev
        .data
        .as_ref()
        .and_then(|d| d.0.pointer("/spec/template"))
        .and_then(|t| <PodTemplateSpec as serde::Deserialize>::deserialize(t).ok());
    if let (Some(spec), Some(t)) = (out.spec.as_mut(), template) {
        spec.template = t;
    }
    out
}

/// Names of revisions to delete so at most `limit` non-live revisions remain, oldest first
/// (upstream `truncateHistory`); a negative limit keeps everything.
pub fn plan_truncation<R: Borrow<ControllerRevision>>(
    sorted: &[R],
    pods: &[&Pod],
    current: Option<&str>,
    update: Option<&str>,
    limit: i32,
) -> Vec<String> {
    if limit < 0 {
        return Vec::new();
    }
    let mut live: BTreeSet<&str> = pods.iter().map(|p| pod_revision(p)).filter(|r| !r.is_empty()).collect();
    live.extend(current);
    live.extend(update);
    let history: Vec<&ControllerRevision> = sorted
        .iter()
        .map(Borrow::borrow)
        .filter(|r| !live.contains(r.metadata.name.as_deref().unwrap_or_default()))
        .collect();
    let excess = history.len().saturating_sub(limit as usize);
    history
        .iter()
        .take(excess)
        .filter_map(|r| r.metadata.name.clone())
        .collect()
}

/// Whether the revision is owned by this set (controller ref with its uid).
pub fn owned_by(rev: &ControllerRevision, set: &StatefulSet) -> bool {
    super::identity::controller_of(&rev.metadata).is_some_and(|r| r.uid == set_uid(set))
}

/// Labels as a map, empty if absent.
pub fn labels_of(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.labels.clone().unwrap_or_default()
}
