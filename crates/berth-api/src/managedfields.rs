//! `metadata.managedFields`: who owns which fields, kept like upstream's field manager for
//! ordinary writes ([`record_update`]) and for server-side apply ([`apply`]).
//!
//! Ownership is a set of field paths per manager (see [`fieldset`]); list and map semantics come
//! from the same type graph as strategic merge patch (`crate::patch::schema`).

mod encoded;
mod fieldset;
mod update;

use serde_json::{json, Map, Value};

use crate::patch::schema::{FieldInfo, Schema, Shape, Ssa};
use crate::resource;
use crate::status::{ApiError, Cause};
use fieldset::{compare, item_info, item_pe, path_string, to_field_set, Pe, Set};
pub use update::record_update;

/// The `operation` of a managed fields entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One field of `applied` that another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager as upstream prints it: `"kubectl-client-side-apply" using apps/v1`.
    pub manager: String,
    /// `.spec.replicas`.
    pub field: String,
}

/// Why a server-side apply was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    #[error("{}", conflict_message(.0))]
    Conflicts(Vec<Conflict>),
    #[error("metadata.managedFields must be nil")]
    ManagedFieldsInRequest,
    #[error("json: cannot unmarshal {found} into Go value of type map[string]interface {{}}")]
    NotAnObject { found: &'static str },
}

/// Upstream's `getConflictMessage`.
fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [c] = conflicts {
        return format!("Apply failed with 1 conflict: conflict with {}: {}", c.manager, c.field);
    }
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort();
    managers.dedup();
    let mut lines = Vec::new();
    for m in managers {
        lines.push(format!("conflicts with {m}:"));
        lines.extend(
            conflicts
                .iter()
                .filter(|c| c.manager == m)
                .map(|c| format!("- {}", c.field)),
        );
    }
    format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
}

impl From<ApplyError> for ApiError {
    fn from(e: ApplyError) -> ApiError {
        match &e {
            ApplyError::Conflicts(cs) => ApiError::ApplyConflict {
                message: e.to_string(),
                causes: cs
                    .iter()
                    .map(|c| Cause {
                        reason: "FieldManagerConflict",
                        message: format!("conflict with {}", c.manager),
                        field: c.field.clone(),
                    })
                    .collect(),
            },
            ApplyError::ManagedFieldsInRequest | ApplyError::NotAnObject { .. } => ApiError::BadRequest(e.to_string()),
        }
    }
}

/// One decoded `managedFields` entry.
#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: Operation,
    api_version: String,
    time: Option<String>,
    subresource: String,
    set: Set,
}

impl Entry {
    fn is(&self, manager: &str, op: Operation, api_version: &str, subresource: &str) -> bool {
        // Appliers are one manager whatever version they use (upstream BuildManagerIdentifier).
        self.manager == manager
            && self.operation == op
            && self.subresource == subresource
            && (op == Operation::Apply || self.api_version == api_version)
    }

    /// Upstream's `printManager`, without the time (which is not part of the identity).
    fn printed(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            s = format!("{s} with subresource {:?}", self.subresource);
        }
        if self.operation == Operation::Update {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }

    fn encode(&self) -> Value {
        self.encode_with(self.set.to_fields_v1())
    }

    /// The entry as JSON, with `fields_v1` as its `fieldsV1`.
    fn encode_with(&self, fields_v1: Value) -> Value {
        let mut m = Map::new();
        m.insert("manager".into(), json!(self.manager));
        m.insert("operation".into(), json!(self.operation.as_str()));
        m.insert("apiVersion".into(), json!(self.api_version));
        if let Some(t) = &self.time {
            m.insert("time".into(), json!(t));
        }
        m.insert("fieldsType".into(), json!("FieldsV1"));
        m.insert("fieldsV1".into(), fields_v1);
        if !self.subresource.is_empty() {
            m.insert("subresource".into(), json!(self.subresource));
        }
        Value::Object(m)
    }
}

fn decode(obj: Option<&Value>) -> Vec<Entry> {
    let Some(list) = obj
        .and_then(|o| o.pointer("/metadata/managedFields"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .map(|e| Entry {
            set: e.get("fieldsV1").map(Set::from_fields_v1).unwrap_or_default(),
            ..entry_meta(e)
        })
        .collect()
}

/// An entry's manager, operation, version, time and subresource, with an empty set.
fn entry_meta(e: &Value) -> Entry {
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    Entry {
        manager: s("manager"),
        operation: if s("operation") == "Apply" {
            Operation::Apply
        } else {
            Operation::Update
        },
        api_version: s("apiVersion"),
        time: e.get("time").and_then(Value::as_str).map(str::to_string),
        subresource: s("subresource"),
        set: Set::default(),
    }
}

/// Upstream's order of entries: `Apply` first, then time, manager, version, subresource.
fn entry_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (a.operation, &a.time, &a.manager, &a.api_version, &a.subresource).cmp(&(
        b.operation,
        &b.time,
        &b.manager,
        &b.api_version,
        &b.subresource,
    ))
}

/// Drops empty entries, sorts like upstream ([`entry_order`]) and writes the list into `obj`.
fn encode_into(obj: &mut Value, mut entries: Vec<Entry>) {
    entries.retain(|e| !e.set.is_empty());
    entries.sort_by(entry_order);
    write_list(obj, entries.iter().map(Entry::encode).collect());
}

/// Writes encoded entries as `metadata.managedFields` (where the field is, if it is there);
/// none removes the field.
fn write_list(obj: &mut Value, list: Vec<Value>) {
    let Some(meta) = obj
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
    else {
        return;
    };
    let Some(meta) = meta.as_object_mut() else { return };
    if list.is_empty() {
        meta.shift_remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// Fields nobody owns (upstream's stripMetaManager): exact paths, not their children.
fn strip(set: Set) -> Set {
    let mut s = set;
    for p in [
        &["apiVersion"][..],
        &["kind"],
        &["metadata"],
        &["metadata", "name"],
        &["metadata", "namespace"],
        &["metadata", "creationTimestamp"],
        &["metadata", "selfLink"],
        &["metadata", "uid"],
        &["metadata", "clusterName"],
        &["metadata", "generation"],
        &["metadata", "managedFields"],
        &["metadata", "resourceVersion"],
    ] {
        let path: Vec<Pe> = p.iter().map(|f| Pe::Field(f.to_string())).collect();
        s.0.remove(&path);
    }
    s
}

/// Fields the write's strategy resets, so nobody comes to own them through this endpoint:
/// `status` for the main resource of a kind with a status subresource, `spec` for `status`.
fn reset_fields(group: &str, kind: &str, subresource: &str) -> Set {
    let mut s = Set::default();
    let has_status = resource::lookup_kind(group, kind).is_some_and(|r| r.subresource("status").is_some());
    match subresource {
        "" if has_status => s.insert(&[Pe::Field("status".into())]),
        "status" => s.insert(&[Pe::Field("spec".into())]),
        _ => {}
    }
    s
}

fn group_kind(obj: &Value) -> (String, String) {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    (group.to_string(), kind.to_string())
}

fn root_info(group: &str, kind: &str) -> FieldInfo {
    FieldInfo {
        schema: Schema::root(group, kind),
        shape: Shape::Struct,
        list: None,
        dict_entry: false,
    }
}

fn without_managed_fields(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("managedFields");
    }
    v
}

/// Server-side apply of `applied` by `manager` onto `live` (absent when the apply creates the
/// object). Returns the new object with `metadata.managedFields` updated.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    kind: (&str, &str),
    api_version: &str,
    now: &str,
) -> Result<Value, ApplyError> {
    if !applied.is_object() {
        return Err(ApplyError::NotAnObject {
            found: json_kind(applied),
        });
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null() && m.as_array().is_none_or(|a| !a.is_empty()))
    {
        return Err(ApplyError::ManagedFieldsInRequest);
    }
    let info = root_info(kind.0, kind.1);
    let reset = reset_fields(kind.0, kind.1, "");
    let mut entries = decode(live);
    let empty = json!({});
    let live_v = without_managed_fields(live.unwrap_or(&empty));
    let applied = without_managed_fields(applied);

    let mut merged = merge(&live_v, &applied, &info);
    let cmp = compare(&live_v, &merged, &info);
    let changed = strip(cmp.added.union(&cmp.modified)).recursive_difference(&reset);
    let is_self = |e: &Entry| e.is(manager, Operation::Apply, api_version, "");
    let mut conflicts: Vec<(usize, Set)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let c = e.set.intersection(&changed);
        if !is_self(e) && !c.is_empty() {
            conflicts.push((i, c));
        }
    }
    if !conflicts.is_empty() && !force && !allowed_by_last_applied(manager, live, &conflicts, &entries, &info) {
        let mut list: Vec<Conflict> = conflicts
            .iter()
            .flat_map(|(i, set)| {
                set.0.iter().map(|p| Conflict {
                    manager: entries[*i].printed(),
                    field: path_string(p),
                })
            })
            .collect();
        list.sort_by(|a, b| (&a.manager, &a.field).cmp(&(&b.manager, &b.field)));
        return Err(ApplyError::Conflicts(list));
    }
    for (i, c) in &conflicts {
        entries[*i].set = entries[*i].set.difference(c);
    }

    let new_set = strip(to_field_set(&applied, &info)).recursive_difference(&reset);
    let last_set = entries
        .iter()
        .find(|e| is_self(e))
        .map(|e| e.set.clone())
        .unwrap_or_default();
    let others = entries
        .iter()
        .filter(|e| !is_self(e))
        .fold(Set::default(), |acc, e| acc.union(&e.set));
    let owned = others.union(&new_set);
    let mut to_remove: Vec<Vec<Pe>> = last_set
        .difference(&owned)
        .0
        .into_iter()
        .filter(|p| !owned.has_descendant(p))
        .collect();
    // Deepest first, so removing an item does not move the ones still to remove.
    to_remove.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in &to_remove {
        remove_at(&mut merged, p, &info);
    }

    let removed = compare(&live_v, &merged, &info).removed;
    for e in &mut entries {
        e.set = e.set.difference(&removed);
    }
    let object_changed = live_v != merged;
    match entries.iter_mut().find(|e| is_self(e)) {
        Some(e) => {
            e.set = new_set;
            e.api_version = api_version.to_string();
            if object_changed || e.time.is_none() {
                e.time = Some(now.to_string());
            }
        }
        None => entries.push(Entry {
            manager: manager.to_string(),
            operation: Operation::Apply,
            api_version: api_version.to_string(),
            time: Some(now.to_string()),
            subresource: String::new(),
            set: new_set,
        }),
    }
    encode_into(&mut merged, entries);
    Ok(merged)
}

/// Upstream's lastAppliedManager: `kubectl apply --server-side` (manager `kubectl`) may take over
/// fields from client-side apply when they still hold the values of the last-applied annotation.
fn allowed_by_last_applied(
    manager: &str,
    live: Option<&Value>,
    conflicts: &[(usize, Set)],
    _entries: &[Entry],
    info: &FieldInfo,
) -> bool {
    if manager != "kubectl" {
        return false;
    }
    let Some(last) = live
        .and_then(|l| l.pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    else {
        return false;
    };
    let Some(live) = live.map(without_managed_fields) else {
        return false;
    };
    let last_set = to_field_set(&last, info);
    let allowed = last_set.difference(&compare(&last, &live, info).modified);
    conflicts.iter().all(|(_, c)| c.difference(&allowed).is_empty())
}

/// Server-side apply's merge: objects merge per field, list-maps merge by key, sets union,
/// atomic values are replaced; `null` in the configuration removes the field.
fn merge(lhs: &Value, rhs: &Value, info: &FieldInfo) -> Value {
    match (lhs, rhs) {
        (Value::Object(l), Value::Object(r)) if info.shape != Shape::Atomic => {
            let mut out = l.clone();
            for (k, rv) in r {
                if rv.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let ci = info.schema.field(k);
                let v = match l.get(k) {
                    Some(lv) => merge(lv, rv, &ci),
                    None => rv.clone(),
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(r)) if info.ssa() != Ssa::Atomic => {
            let ii = item_info(info);
            let pe = |v: &Value, i: usize| item_pe(v, i, info.ssa());
            let mut out: Vec<Value> = Vec::with_capacity(l.len() + r.len());
            for (i, lv) in l.iter().enumerate() {
                let key = pe(lv, i);
                match r.iter().enumerate().find(|(j, rv)| pe(rv, *j) == key) {
                    Some((_, rv)) => out.push(merge(lv, rv, &ii)),
                    None => out.push(lv.clone()),
                }
            }
            for (j, rv) in r.iter().enumerate() {
                let key = pe(rv, j);
                if !l.iter().enumerate().any(|(i, lv)| pe(lv, i) == key) {
                    out.push(rv.clone());
                }
            }
            Value::Array(out)
        }
        _ => rhs.clone(),
    }
}

/// Removes the field or item at `path`, if present.
fn remove_at(v: &mut Value, path: &[Pe], info: &FieldInfo) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match (v, first) {
        (Value::Object(m), Pe::Field(f)) => {
            if rest.is_empty() {
                m.shift_remove(f);
            } else if let Some(c) = m.get_mut(f) {
                remove_at(c, rest, &info.schema.field(f));
            }
        }
        (Value::Array(a), pe) => {
            let Some(i) = a
                .iter()
                .enumerate()
                .position(|(i, item)| item_pe(item, i, info.ssa()) == *pe)
            else {
                return;
            };
            if rest.is_empty() {
                a.remove(i);
            } else {
                remove_at(&mut a[i], rest, &item_info(info));
            }
        }
        _ => {}
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests;
