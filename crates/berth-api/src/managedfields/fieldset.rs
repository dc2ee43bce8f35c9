//! Field paths and sets as structured-merge-diff defines them, their `FieldsV1` encoding, and the
//! two walks managed fields need: the set of fields an object sets, and a comparison of two objects.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::patch::schema::{FieldInfo, Shape, Ssa};

/// One step of a path: a field, a list-map item by key, a set item by value, or an index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pe {
    Field(String),
    /// The key fields as compact JSON with sorted names: `{"containerPort":80,"protocol":"TCP"}`.
    Key(String),
    /// The item as compact JSON.
    Value(String),
    Index(usize),
}

pub type Path = Vec<Pe>;

/// A set of field paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Set(pub BTreeSet<Path>);

impl Set {
    pub fn insert(&mut self, p: &[Pe]) {
        self.0.insert(p.to_vec());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn union(&self, o: &Set) -> Set {
        Set(self.0.union(&o.0).cloned().collect())
    }
    pub fn difference(&self, o: &Set) -> Set {
        Set(self.0.difference(&o.0).cloned().collect())
    }
    pub fn intersection(&self, o: &Set) -> Set {
        Set(self.0.intersection(&o.0).cloned().collect())
    }
    /// Removes every path that is in `o` or lies under a path in `o`.
    pub fn recursive_difference(&self, o: &Set) -> Set {
        Set(self
            .0
            .iter()
            .filter(|p| !(0..=p.len()).any(|n| o.0.contains(&p[..n])))
            .cloned()
            .collect())
    }
    /// Whether some path of the set lies strictly under `p`.
    pub fn has_descendant(&self, p: &[Pe]) -> bool {
        self.0
            .range(p.to_vec()..)
            .take_while(|q| q.starts_with(p))
            .any(|q| q.len() > p.len())
    }

    /// The `fieldsV1` object: `f:<field>`, `k:<key json>`, `v:<value json>`, `i:<index>`, and `.`
    /// for a path that is itself a member and has children.
    pub fn to_fields_v1(&self) -> Value {
        #[derive(Default)]
        struct Node {
            member: bool,
            children: BTreeMap<Pe, Node>,
        }
        let mut root = Node::default();
        for p in &self.0 {
            let mut n = &mut root;
            for pe in p {
                n = n.children.entry(pe.clone()).or_default();
            }
            n.member = true;
        }
        fn encode(n: &Node) -> Value {
            let mut m = Map::new();
            if n.member && !n.children.is_empty() {
                m.insert(".".to_string(), Value::Object(Map::new()));
            }
            for (pe, c) in &n.children {
                let k = match pe {
                    Pe::Field(f) => format!("f:{f}"),
                    Pe::Key(k) => format!("k:{k}"),
                    Pe::Value(v) => format!("v:{v}"),
                    Pe::Index(i) => format!("i:{i}"),
                };
                m.insert(k, encode(c));
            }
            Value::Object(m)
        }
        encode(&root)
    }

    /// Parses a `fieldsV1` object; unknown entries are skipped.
    pub fn from_fields_v1(v: &Value) -> Set {
        fn walk(v: &Value, path: &mut Path, out: &mut Set) {
            let Some(m) = v.as_object() else { return };
            if m.is_empty() && !path.is_empty() {
                out.insert(path);
            }
            for (k, c) in m {
                if k == "." {
                    out.insert(path);
                    continue;
                }
                let pe = match k.split_at_checked(2) {
                    Some(("f:", f)) => Pe::Field(f.to_string()),
                    Some(("k:", j)) => match serde_json::from_str::<Value>(j) {
                        Ok(Value::Object(o)) => Pe::Key(canonical_key(o.into_iter())),
                        _ => continue,
                    },
                    Some(("v:", j)) => match serde_json::from_str::<Value>(j) {
                        Ok(val) => Pe::Value(val.to_string()),
                        Err(_) => continue,
                    },
                    Some(("i:", i)) => match i.parse() {
                        Ok(i) => Pe::Index(i),
                        Err(_) => continue,
                    },
                    _ => continue,
                };
                path.push(pe);
                walk(c, path, out);
                path.pop();
            }
        }
        let mut out = Set::default();
        walk(v, &mut Vec::new(), &mut out);
        out
    }
}

/// A set of paths as the tree `fieldsV1` encodes, built path by path.
#[derive(Default)]
pub struct Tree {
    member: bool,
    children: BTreeMap<Pe, Tree>,
}

impl Tree {
    pub fn insert(&mut self, p: &[Pe]) {
        let mut n = self;
        for pe in p {
            if !n.children.contains_key(pe) {
                n.children.insert(pe.clone(), Tree::default());
            }
            n = n.children.get_mut(pe).expect("just inserted");
        }
        n.member = true;
    }

    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// The same `fieldsV1` object as [`Set::to_fields_v1`] of the set of inserted paths.
    pub fn to_fields_v1(&self) -> Value {
        let mut m = Map::new();
        if self.member && !self.children.is_empty() {
            m.insert(".".to_string(), Value::Object(Map::new()));
        }
        for (pe, c) in &self.children {
            let k = match pe {
                Pe::Field(f) => format!("f:{f}"),
                Pe::Key(k) => format!("k:{k}"),
                Pe::Value(v) => format!("v:{v}"),
                Pe::Index(i) => format!("i:{i}"),
            };
            m.insert(k, c.to_fields_v1());
        }
        Value::Object(m)
    }
}

/// The paths [`compare`] records as added for a value `r` at `path` that the old object lacks
/// (`walk_cmp` with no left side), passed to `out` in the same walk.
pub fn walk_added(r: &Value, info: &FieldInfo, parent_present: bool, path: &mut Path, out: &mut dyn FnMut(&[Pe])) {
    if is_atomic(r, info) || is_empty(r) {
        out(path);
        return;
    }
    let in_list_item = matches!(path.last(), Some(Pe::Key(_) | Pe::Value(_) | Pe::Index(_)));
    let present = parent_present && !in_list_item && !info.dict_entry && info.shape != Shape::Dict;
    match r {
        Value::Object(m) => {
            for (k, v) in m {
                let ci = info.schema.field(k);
                path.push(Pe::Field(k.clone()));
                walk_added(v, &ci, present, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            let ii = item_info(info);
            let mut seen: Vec<Pe> = Vec::with_capacity(a.len());
            for (i, item) in a.iter().enumerate() {
                let pe = item_pe(item, i, info.ssa());
                if seen.contains(&pe) {
                    continue;
                }
                path.push(pe.clone());
                walk_added(item, &ii, false, path, out);
                path.pop();
                seen.push(pe);
            }
        }
        _ => {}
    }
    if !present {
        out(path);
    }
}

/// `.spec.template.spec.containers[name="nginx"].image`, as upstream prints conflicts.
pub fn path_string(p: &[Pe]) -> String {
    let mut s = String::new();
    for pe in p {
        match pe {
            Pe::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            Pe::Key(k) => {
                let parts: Vec<String> = match serde_json::from_str::<Value>(k) {
                    Ok(Value::Object(o)) => o.iter().map(|(n, v)| format!("{n}={v}")).collect(),
                    _ => vec![k.clone()],
                };
                s.push_str(&format!("[{}]", parts.join(",")));
            }
            Pe::Value(v) => s.push_str(&format!("[={v}]")),
            Pe::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

pub fn canonical_key(fields: impl Iterator<Item = (String, Value)>) -> String {
    let mut sorted: Vec<(String, Value)> = fields.collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(sorted.into_iter().collect()).to_string()
}

/// The path element naming a list item.
pub fn item_pe(item: &Value, index: usize, ssa: Ssa) -> Pe {
    match ssa {
        Ssa::Map(keys) => match item.as_object() {
            Some(o) => Pe::Key(canonical_key(keys.iter().filter_map(|k| {
                // `protocol` is the one list-map key with a schema default (TCP) among served kinds.
                let v = o
                    .get(*k)
                    .cloned()
                    .or_else(|| (*k == "protocol").then(|| Value::from("TCP")))?;
                Some((k.to_string(), v))
            }))),
            None => Pe::Index(index),
        },
        Ssa::Set => Pe::Value(item.to_string()),
        Ssa::Atomic => Pe::Index(index),
    }
}

pub fn item_info(info: &FieldInfo) -> FieldInfo {
    FieldInfo {
        list: None,
        shape: Shape::Struct,
        dict_entry: false,
        ..*info
    }
}

fn is_atomic(v: &Value, info: &FieldInfo) -> bool {
    match v {
        Value::Object(_) => info.shape == Shape::Atomic,
        Value::Array(_) => info.ssa() == Ssa::Atomic,
        _ => true,
    }
}

/// The fields an applied configuration sets (upstream `TypedValue.ToFieldSet`).
pub fn to_field_set(v: &Value, info: &FieldInfo) -> Set {
    fn walk(v: &Value, info: &FieldInfo, path: &mut Path, out: &mut Set) {
        if is_atomic(v, info) {
            out.insert(path);
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let ci = info.schema.field(k);
                    path.push(Pe::Field(k.clone()));
                    walk(c, &ci, path, out);
                    if c.is_null() || c.as_object().is_some_and(Map::is_empty) || ci.dict_entry {
                        out.insert(path);
                    }
                    path.pop();
                }
            }
            Value::Array(a) => {
                let ii = item_info(info);
                for (i, item) in a.iter().enumerate() {
                    path.push(item_pe(item, i, info.ssa()));
                    walk(item, &ii, path, out);
                    out.insert(path);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Set::default();
    walk(v, info, &mut Vec::new(), &mut out);
    out
}

/// What changed between two objects (upstream `TypedValue.Compare`).
#[derive(Debug, Default)]
pub struct Comparison {
    pub added: Set,
    pub modified: Set,
    pub removed: Set,
}

/// Compares `lhs` (before) with `rhs` (after).
///
/// A struct or list field missing from `lhs` under a present parent counts as present: Go
/// serialises zero structs and non-`omitempty` lists, so upstream sees them in the old object and
/// does not record the field itself as added (only its contents). Maps of entries and list items
/// are recorded as added, which gives the `.` entries of upstream's `fieldsV1`.
pub fn compare(lhs: &Value, rhs: &Value, info: &FieldInfo) -> Comparison {
    let mut c = Comparison::default();
    walk_cmp(Some(lhs), Some(rhs), info, true, &mut Vec::new(), &mut c, None);
    c
}

/// [`compare`] of the objects as if neither had the field at `skip` (`metadata.managedFields`),
/// without copying them to drop it.
pub fn compare_without(lhs: &Value, rhs: &Value, info: &FieldInfo, skip: &[&str]) -> Comparison {
    let mut c = Comparison::default();
    walk_cmp(Some(lhs), Some(rhs), info, true, &mut Vec::new(), &mut c, Some(skip));
    c
}

/// Whether the field `k` under `path` is the one `skip` names.
fn skipped(skip: Option<&[&str]>, path: &[Pe], k: &str) -> bool {
    let Some((last, parents)) = skip.and_then(<[&str]>::split_last) else {
        return false;
    };
    *last == k
        && path.len() == parents.len()
        && path
            .iter()
            .zip(parents)
            .all(|(pe, f)| matches!(pe, Pe::Field(x) if x == f))
}

fn walk_cmp(
    l: Option<&Value>,
    r: Option<&Value>,
    info: &FieldInfo,
    parent_present: bool,
    path: &mut Path,
    c: &mut Comparison,
    skip: Option<&[&str]>,
) {
    // Equal values yield nothing at or below them (with or without a skipped field inside),
    // and most of an updated object is unchanged.
    if let (Some(a), Some(b)) = (l, r) {
        if a == b {
            return;
        }
    }
    let leaf = match (l, r) {
        (Some(a), Some(b)) => {
            std::mem::discriminant(a) != std::mem::discriminant(b)
                || is_atomic(a, info)
                || is_atomic(b, info)
                || (is_empty(a) && is_empty(b))
        }
        (Some(v), None) | (None, Some(v)) => is_atomic(v, info) || is_empty(v),
        (None, None) => return,
    };
    if leaf {
        match (l, r) {
            (None, Some(_)) => c.added.insert(path),
            (Some(_), None) => c.removed.insert(path),
            (Some(a), Some(b)) if a != b => c.modified.insert(path),
            _ => {}
        }
        return;
    }
    let in_list_item = matches!(path.last(), Some(Pe::Key(_) | Pe::Value(_) | Pe::Index(_)));
    let virtually_present = parent_present && !in_list_item && !info.dict_entry && info.shape != Shape::Dict;
    let present = l.is_some() || virtually_present;
    match (l.or(r), r.or(l)) {
        (Some(Value::Object(_)), _) => {
            let lm = l.and_then(Value::as_object);
            let rm = r.and_then(Value::as_object);
            let mut keys: Vec<&String> = lm.map(|m| m.keys().collect()).unwrap_or_default();
            for k in rm.into_iter().flat_map(|m| m.keys()) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            for k in keys {
                if skipped(skip, path, k) {
                    continue;
                }
                let ci = info.schema.field(k);
                path.push(Pe::Field(k.clone()));
                walk_cmp(
                    lm.and_then(|m| m.get(k)),
                    rm.and_then(|m| m.get(k)),
                    &ci,
                    present,
                    path,
                    c,
                    skip,
                );
                path.pop();
            }
        }
        (Some(Value::Array(_)), _) => {
            let ii = item_info(info);
            fn index<'v>(v: Option<&'v Value>, info: &FieldInfo) -> Vec<(Pe, &'v Value)> {
                let mut out: Vec<(Pe, &'v Value)> = Vec::new();
                for (i, item) in v.and_then(Value::as_array).into_iter().flatten().enumerate() {
                    let pe = item_pe(item, i, info.ssa());
                    if !out.iter().any(|(p, _)| *p == pe) {
                        out.push((pe, item));
                    }
                }
                out
            }
            let (li, ri) = (index(l, info), index(r, info));
            for (pe, rv) in &ri {
                let lv = li.iter().find(|(p, _)| p == pe).map(|(_, v)| *v);
                path.push(pe.clone());
                walk_cmp(lv, Some(rv), &ii, false, path, c, None);
                path.pop();
            }
            for (pe, lv) in &li {
                if !ri.iter().any(|(p, _)| p == pe) {
                    path.push(pe.clone());
                    walk_cmp(Some(lv), None, &ii, false, path, c, None);
                    path.pop();
                }
            }
        }
        _ => {}
    }
    if !present {
        c.added.insert(path);
    } else if r.is_none() {
        c.removed.insert(path);
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
