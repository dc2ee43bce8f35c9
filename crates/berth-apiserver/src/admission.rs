//! Mutating admission of new objects, the few plugins upstream enables by default that change
//! what is stored: `DefaultStorageClass` (a claim without `storageClassName` gets the default
//! class) and `StorageObjectInUseProtection` (claims and volumes get their protection finalizer).

use berth_api::meta;
use berth_api::resource::{lookup_kind, ResourceInfo};
use serde_json::{json, Value};

use crate::registry::{prefix, served, Registry};

const DEFAULT_CLASS_ANN: &str = "storageclass.kubernetes.io/is-default-class";
const BETA_DEFAULT_CLASS_ANN: &str = "storageclass.beta.kubernetes.io/is-default-class";

/// Upstream `GetDefaultClass`: among the classes marked default, the newest (then by name).
pub fn default_class(classes: &[Value]) -> Option<String> {
    classes
        .iter()
        .filter(|c| {
            let ann = |k: &str| {
                c.pointer(&format!("/metadata/annotations/{}", k.replace('/', "~1")))
                    .and_then(Value::as_str)
                    == Some("true")
            };
            ann(DEFAULT_CLASS_ANN) || ann(BETA_DEFAULT_CLASS_ANN)
        })
        .max_by(|a, b| {
            let key = |c: &Value| {
                (
                    meta::meta_str(c, "creationTimestamp").to_string(),
                    std::cmp::Reverse(meta::name(c).to_string()),
                )
            };
            key(a).cmp(&key(b))
        })
        .map(|c| meta::name(c).to_string())
}

fn add_finalizer(obj: &mut Value, finalizer: &str) {
    let m = meta::metadata_mut(obj);
    let list = m.entry("finalizers").or_insert_with(|| json!([]));
    if let Some(arr) = list.as_array_mut() {
        if !arr.iter().any(|f| f.as_str() == Some(finalizer)) {
            arr.push(json!(finalizer));
        }
    }
}

/// Pure part: mutates a new claim or volume given the default class.
pub fn admit(info: &ResourceInfo, obj: &mut Value, default_class: Option<String>) {
    match (info.group, info.kind) {
        ("", "PersistentVolumeClaim") => {
            let has_class = obj.pointer("/spec/storageClassName").is_some_and(|v| !v.is_null())
                || obj
                    .pointer("/metadata/annotations/volume.beta.kubernetes.io~1storage-class")
                    .is_some();
            if let (false, Some(class), Some(spec)) = (
                has_class,
                default_class,
                obj.get_mut("spec").and_then(Value::as_object_mut),
            ) {
                spec.insert("storageClassName".into(), json!(class));
            }
            add_finalizer(obj, "kubernetes.io/pvc-protection");
        }
        ("", "PersistentVolume") => add_finalizer(obj, "kubernetes.io/pv-protection"),
        _ => {}
    }
}

/// Admits a new object before it is stored.
pub fn admit_create(registry: &Registry, info: &ResourceInfo, obj: &mut Value) {
    if !info.group.is_empty() || !matches!(info.kind, "PersistentVolumeClaim" | "PersistentVolume") {
        return;
    }
    let default = if info.kind == "PersistentVolumeClaim" {
        lookup_kind("storage.k8s.io", "StorageClass").and_then(|sc| {
            let classes: Vec<Value> = registry
                .store
                .list(&prefix(sc, None))
                .items
                .iter()
                .filter_map(|(_, _, b)| served(sc, b).ok())
                .collect();
            default_class(&classes)
        })
    } else {
        None
    };
    admit(info, obj, default);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, default: bool, created: &str) -> Value {
        json!({"metadata": {"name": name, "creationTimestamp": created,
            "annotations": if default { json!({DEFAULT_CLASS_ANN: "true"}) } else { json!({}) }}})
    }

    #[test]
    fn the_newest_default_class_wins() {
        let classes = [
            class("a", true, "2025-01-01T00:00:00Z"),
            class("b", true, "2025-02-01T00:00:00Z"),
            class("c", false, "2025-03-01T00:00:00Z"),
        ];
        assert_eq!(default_class(&classes), Some("b".into()));
        assert_eq!(default_class(&classes[2..]), None);
    }

    #[test]
    fn claims_without_a_class_get_the_default_and_both_kinds_get_protection() {
        let pvc = lookup_kind("", "PersistentVolumeClaim").expect("pvc");
        let mut c = json!({"metadata": {"name": "c"}, "spec": {}});
        admit(pvc, &mut c, Some("local-path".into()));
        assert_eq!(c["spec"]["storageClassName"], "local-path");
        assert_eq!(c["metadata"]["finalizers"], json!(["kubernetes.io/pvc-protection"]));
        let mut empty = json!({"metadata": {"name": "c"}, "spec": {"storageClassName": ""}});
        admit(pvc, &mut empty, Some("local-path".into()));
        assert_eq!(
            empty["spec"]["storageClassName"], "",
            "the empty class is a choice, not an omission"
        );
        let pv = lookup_kind("", "PersistentVolume").expect("pv");
        let mut v = json!({"metadata": {"name": "v", "finalizers": ["x"]}, "spec": {}});
        admit(pv, &mut v, None);
        assert_eq!(v["metadata"]["finalizers"], json!(["x", "kubernetes.io/pv-protection"]));
    }
}
