//! Reading a `fieldsV1` object in place, without decoding it into a [`Set`]: whether it is in
//! the exact form [`Set::to_fields_v1`] writes, and whether a path is a member of it.
//!
//! An update leaves most managers' entries alone; an entry in that form which the write does
//! not touch is carried over as it is instead of being decoded and encoded again.

use std::cmp::Ordering;

use serde_json::{Map, Value};

#[cfg(test)]
use super::fieldset::Set;
use super::fieldset::{canonical_key, Pe};

/// A path element as spelled in a `fieldsV1` key, borrowed from it; ordered like [`Pe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step<'a> {
    Field(&'a str),
    Key(&'a str),
    Value(&'a str),
    Index(usize),
}

/// The step a key names, if it is spelled exactly as [`Set::to_fields_v1`] spells it.
fn canonical_step(key: &str) -> Option<Step<'_>> {
    match key.split_at_checked(2)? {
        ("f:", f) => Some(Step::Field(f)),
        ("k:", j) => match serde_json::from_str::<Value>(j) {
            Ok(Value::Object(o)) => (canonical_key(o.into_iter()) == j).then_some(Step::Key(j)),
            _ => None,
        },
        ("v:", j) => match serde_json::from_str::<Value>(j) {
            // (Not `v == j`: that compares `v` with the JSON string `j`, not its text.)
            Ok(v) if serde_json::to_string(&v).is_ok_and(|t| t == j) => Some(Step::Value(j)),
            _ => None,
        },
        ("i:", i) => match i.parse::<usize>() {
            Ok(n) if n.to_string() == i => Some(Step::Index(n)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `v` is a non-empty set in the form `Set::from_fields_v1(v).to_fields_v1()` gives
/// back: keys spelled canonically and in order, `.` first and only beside children, leaves `{}`.
pub fn is_canonical(v: &Value) -> bool {
    match v.as_object() {
        Some(m) if !m.is_empty() => canonical_node(m),
        _ => false,
    }
}

fn canonical_node(m: &Map<String, Value>) -> bool {
    let mut entries = m.iter().peekable();
    let member = entries.next_if(|(k, _)| *k == ".");
    if member.is_some_and(|(_, v)| v.as_object().is_none_or(|o| !o.is_empty())) {
        return false;
    }
    let mut last: Option<Step<'_>> = None;
    let mut children = 0usize;
    for (k, c) in entries {
        let Some(step) = canonical_step(k) else {
            return false;
        };
        if last.is_some_and(|l| l.cmp(&step) != Ordering::Less) {
            return false;
        }
        match c.as_object() {
            Some(cm) if cm.is_empty() || canonical_node(cm) => {}
            _ => return false,
        }
        last = Some(step);
        children += 1;
    }
    // `.` marks a member that also has children; a lone `.` is written as `{}`.
    member.is_none() || children > 0
}

/// The `fieldsV1` key of one path element.
pub fn key_of(pe: &Pe) -> String {
    match pe {
        Pe::Field(f) => format!("f:{f}"),
        Pe::Key(k) => format!("k:{k}"),
        Pe::Value(v) => format!("v:{v}"),
        Pe::Index(i) => format!("i:{i}"),
    }
}

/// Whether `path` is a member of the canonical `fieldsV1` object `v` (see [`is_canonical`]).
pub fn contains(v: &Value, path: &[Pe]) -> bool {
    if path.is_empty() {
        return v.as_object().is_some_and(|m| m.contains_key("."));
    }
    let mut node = v;
    for pe in path {
        match node.as_object().and_then(|m| m.get(key_of(pe).as_str())) {
            Some(c) => node = c,
            None => return false,
        }
    }
    node.as_object().is_some_and(|m| m.is_empty() || m.contains_key("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(paths: &[&[Pe]]) -> Set {
        let mut s = Set::default();
        for p in paths {
            s.insert(p);
        }
        s
    }

    fn f(name: &str) -> Pe {
        Pe::Field(name.into())
    }

    #[test]
    fn what_a_set_encodes_is_canonical_and_its_members_are_found() {
        let k = Pe::Key(r#"{"containerPort":80,"protocol":"TCP"}"#.into());
        let s = set(&[
            &[f("metadata"), f("labels")],
            &[f("metadata"), f("labels"), f("app")],
            &[f("spec"), f("ports"), k.clone()],
            &[f("spec"), f("ports"), k.clone(), f("port")],
            &[f("spec"), f("finalizers"), Pe::Value("\"a\"".into())],
            &[f("spec"), f("args"), Pe::Index(10)],
            &[f("spec"), f("args"), Pe::Index(9)],
        ]);
        let v = s.to_fields_v1();
        assert!(is_canonical(&v), "{v}");
        for p in &s.0 {
            assert!(contains(&v, p), "{p:?}");
        }
        assert!(!contains(&v, &[f("metadata")]));
        assert!(!contains(&v, &[f("spec"), f("ports")]));
        assert!(!contains(&v, &[f("nope")]));
    }

    #[test]
    fn other_spellings_are_not_canonical_and_do_not_survive_a_round_trip() {
        let odd = [
            json!({}),
            json!({".": {}}),
            json!({"f:a": {".": {}}}),
            json!({"f:b": {}, "f:a": {}}),
            json!({"f:a": {}, ".": {}}),
            json!({"f:a": {"f:b": {}, ".": {}}}),
            json!({"f:a": {".": {"x": 1}, "f:b": {}}}),
            json!({"f:a": 1}),
            json!({"x:a": {}}),
            json!({"k:{\"b\":1,\"a\":2}": {}}),
            json!({"k:{\"a\": 2}": {}}),
            json!({"k:[1]": {}}),
            json!({"v:\"a\"": {}, "f:a": {}}),
            json!({"i:01": {}}),
            json!({"i:10": {}, "i:9": {}}),
            json!({"v: 1": {}}),
            json!([]),
        ];
        for v in odd {
            assert!(!is_canonical(&v), "{v}");
            let round = Set::from_fields_v1(&v);
            assert!(
                round.is_empty() || round.to_fields_v1().to_string() != v.to_string(),
                "{v} should not round-trip"
            );
        }
    }

    #[test]
    fn canonical_objects_round_trip_through_a_set() {
        let good = [
            json!({"f:a": {}}),
            json!({".": {}, "f:a": {}}),
            json!({"f:a": {".": {}, "f:b": {}}, "f:c": {}, "k:{\"a\":1}": {}, "v:2": {}, "i:0": {}, "i:3": {}}),
        ];
        for v in good {
            assert!(is_canonical(&v), "{v}");
            assert_eq!(Set::from_fields_v1(&v).to_fields_v1().to_string(), v.to_string());
        }
    }
}
