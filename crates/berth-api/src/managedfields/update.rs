//! Managed fields of non-apply writes: a create's entry built in one walk, and an update's
//! entries changed only where the write touched them.

use serde_json::{json, Value};

use super::encoded;
use super::fieldset::{self, Pe, Set};
use super::{entry_meta, entry_order, group_kind, reset_fields, root_info, strip, write_list, Entry, Operation};

/// Records a non-apply write (create, update, patch) by `manager` in `new.metadata.managedFields`:
/// the manager comes to own what it set or changed, other managers lose those fields, and
/// fields the write removed leave every set.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    now: &str,
) {
    let sends_entries = new
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if old.is_none() && !sends_entries {
        return record_create(new, manager, subresource.unwrap_or_default(), api_version, now);
    }
    record_update_generic(old, new, manager, subresource, api_version, now);
}

/// [`record_update`] of a create that brings no managed fields of its own: what the generic
/// diff against an empty object computes (every field the object sets, less the unowned and
/// reset ones, owned by `manager`), built in one walk straight into the `fieldsV1` tree.
fn record_create(new: &mut Value, manager: &str, sub: &str, api_version: &str, now: &str) {
    let (group, kind) = group_kind(new);
    let reset = reset_fields(&group, &kind, sub);
    let mut tree = fieldset::Tree::default();
    if let Some(root) = new.as_object() {
        let info = root_info(&group, &kind);
        let mut path = Vec::new();
        for (k, v) in root {
            let ci = info.schema.field(k);
            path.push(Pe::Field(k.clone()));
            fieldset::walk_added(v, &ci, true, &mut path, &mut |p: &[Pe]| {
                // The generic path diffs the object without its `metadata.managedFields`.
                let under_managed_fields =
                    matches!(p, [Pe::Field(m), Pe::Field(f), ..] if m == "metadata" && f == "managedFields");
                if !under_managed_fields && !is_stripped(p) && !reset.0.iter().any(|r| p.starts_with(r)) {
                    tree.insert(p);
                }
            });
            path.pop();
        }
    }
    let Some(meta) = new
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
    else {
        return;
    };
    let Some(meta) = meta.as_object_mut() else { return };
    if tree.is_empty() {
        meta.shift_remove("managedFields");
        return;
    }
    let entry = Entry {
        manager: manager.to_string(),
        operation: Operation::Update,
        api_version: api_version.to_string(),
        time: Some(now.to_string()),
        subresource: sub.to_string(),
        set: Set::default(),
    };
    meta.insert(
        "managedFields".into(),
        Value::Array(vec![entry.encode_with(tree.to_fields_v1())]),
    );
}

/// Whether `p` is one of the paths nobody owns (see [`strip`]).
fn is_stripped(p: &[Pe]) -> bool {
    let f = |i: usize| match p.get(i) {
        Some(Pe::Field(f)) => Some(f.as_str()),
        _ => None,
    };
    match p.len() {
        1 => matches!(f(0), Some("apiVersion" | "kind" | "metadata")),
        2 => {
            f(0) == Some("metadata")
                && matches!(
                    f(1),
                    Some(
                        "name"
                            | "namespace"
                            | "creationTimestamp"
                            | "selfLink"
                            | "uid"
                            | "clusterName"
                            | "generation"
                            | "managedFields"
                            | "resourceVersion"
                    )
                )
        }
        _ => false,
    }
}

/// The general case of [`record_update`]: a diff of the old and new objects.
///
/// The result is what decoding every entry into a set, taking the changed and removed fields
/// out of each, adding the changed ones to the writer's entry and encoding them all again gives;
/// but an entry whose `fieldsV1` is already in the encoded form and holds none of the touched
/// fields is carried over without being decoded.
pub(super) fn record_update_generic(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    now: &str,
) {
    let sub = subresource.unwrap_or_default();
    let (group, kind) = group_kind(new);
    let sent = take_managed_fields(new);
    let sent_list = sent.and_then(|v| match v {
        Value::Array(a) if !a.is_empty() => Some(a),
        _ => None,
    });
    let old_list = old
        .and_then(|o| o.pointer("/metadata/managedFields"))
        .and_then(Value::as_array);
    // Like upstream, managed fields sent with a main-resource write replace the stored ones.
    let list: Vec<Value> = match (sent_list, old_list) {
        (Some(sent), _) if sub.is_empty() => sent,
        // A status write usually sends back the stored list: no copy of it then.
        (Some(sent), Some(stored)) if sent == *stored => sent,
        (_, Some(stored)) => stored.clone(),
        (_, None) => Vec::new(),
    };
    let mut entries: Vec<Lazy> = list.into_iter().map(Lazy::new).collect();

    let empty = json!({});
    let cmp = fieldset::compare_without(
        old.unwrap_or(&empty),
        new,
        &root_info(&group, &kind),
        &["metadata", "managedFields"],
    );
    let reset = reset_fields(&group, &kind, sub);
    let changed = strip(cmp.added.union(&cmp.modified)).recursive_difference(&reset);
    let touched: Vec<&[Pe]> = changed.0.iter().chain(&cmp.removed.0).map(Vec::as_slice).collect();
    for e in &mut entries {
        if e.fields
            .as_ref()
            .is_some_and(|f| touched.iter().any(|p| encoded::contains(f, p)))
        {
            e.decode();
        }
        if e.fields.is_none() {
            e.entry.set = e.entry.set.difference(&changed).difference(&cmp.removed);
        }
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.entry.is(manager, Operation::Update, api_version, sub))
        {
            Some(e) => {
                e.decode();
                e.entry.set = e.entry.set.union(&changed);
                e.entry.time = Some(now.to_string());
            }
            None => entries.push(Lazy {
                entry: Entry {
                    manager: manager.to_string(),
                    operation: Operation::Update,
                    api_version: api_version.to_string(),
                    time: Some(now.to_string()),
                    subresource: sub.to_string(),
                    set: changed,
                },
                fields: None,
            }),
        }
    }
    entries.retain(|e| e.fields.is_some() || !e.entry.set.is_empty());
    entries.sort_by(|a, b| entry_order(&a.entry, &b.entry));
    write_list(new, entries.into_iter().map(Lazy::encode).collect());
}

/// Takes `metadata.managedFields` out of `obj`, leaving `null` in its place (so that writing
/// the new list keeps the field where it was).
fn take_managed_fields(obj: &mut Value) -> Option<Value> {
    obj.get_mut("metadata")
        .and_then(Value::as_object_mut)
        .and_then(|m| m.get_mut("managedFields"))
        .map(Value::take)
}

/// A managed fields entry whose set is still encoded, while the write does not touch it.
struct Lazy {
    /// The entry; its set is meaningful only once `fields` is `None`.
    entry: Entry,
    /// The entry's `fieldsV1`, in the exact form [`Set::to_fields_v1`] writes.
    fields: Option<Value>,
}

impl Lazy {
    fn new(mut e: Value) -> Lazy {
        let entry = entry_meta(&e);
        let fields = e.get_mut("fieldsV1").map(Value::take).unwrap_or(Value::Null);
        if encoded::is_canonical(&fields) {
            Lazy {
                entry,
                fields: Some(fields),
            }
        } else {
            let set = match &fields {
                Value::Null => Set::default(),
                f => Set::from_fields_v1(f),
            };
            Lazy {
                entry: Entry { set, ..entry },
                fields: None,
            }
        }
    }

    fn decode(&mut self) {
        if let Some(f) = self.fields.take() {
            self.entry.set = Set::from_fields_v1(&f);
        }
    }

    fn encode(self) -> Value {
        match self.fields {
            Some(f) => self.entry.encode_with(f),
            None => self.entry.encode(),
        }
    }
}
