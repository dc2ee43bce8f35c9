//! Trimmed decoding equals full decoding with the managedFields dropped, and drops nothing else.

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::core::{PartialObjectMeta, WatchEvent};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

/// What client-go's trim transform leaves of `obj`: the full decoding without managedFields.
fn full_then_trimmed<K: serde::de::DeserializeOwned + kube::Resource>(obj: &Value) -> K {
    let mut k: K = serde_json::from_value(obj.clone()).expect("decodes in full");
    k.meta_mut().managed_fields = None;
    k
}

fn trimmed<K: serde::de::DeserializeOwned>(obj: &Value) -> K {
    serde_json::from_str::<Trimmed<K>>(&obj.to_string())
        .expect("decodes trimmed")
        .0
}

fn managed() -> Value {
    json!([{
        "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
        "time": "2026-11-23T10:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:containers": {}}}
    }])
}

#[test]
fn a_pod_decodes_as_in_full_without_its_managed_fields() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "web-0", "namespace": "default", "uid": "u1", "resourceVersion": "7",
            "labels": {"app": "web", "managedFields": "a label, kept"},
            "annotations": {"managedFields": "an annotation, kept"},
            "managedFields": managed(),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "s1", "controller": true}]
        },
        "spec": {"nodeName": "berth", "containers": [{"name": "c", "image": "nginx", "env": [{"name": "managedFields", "value": "x"}]}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    });
    let got: Pod = trimmed(&pod);
    assert_eq!(got, full_then_trimmed::<Pod>(&pod));
    assert!(got.metadata.managed_fields.is_none());
    assert_eq!(
        got.metadata.labels.as_ref().expect("labels")["managedFields"],
        "a label, kept"
    );
    assert_eq!(
        got.spec.as_ref().expect("spec").containers[0]
            .env
            .as_ref()
            .expect("env")[0]
            .name,
        "managedFields"
    );
}

#[test]
fn objects_without_metadata_or_managed_fields_decode_as_in_full() {
    for obj in [
        json!({"apiVersion": "v1", "kind": "ConfigMap"}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "managedFields": []}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "managedFields": null}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"metadata": "{}"}}),
    ] {
        assert_eq!(
            trimmed::<ConfigMap>(&obj),
            full_then_trimmed::<ConfigMap>(&obj),
            "{obj}"
        );
    }
}

#[test]
fn escaped_member_names_are_recognized() {
    let text = r#"{"apiVersion":"v1","kind":"ConfigMap","\u006detadata":{"name":"a","managed\u0046ields":[{"manager":"m"}],"labels":{"k":"v"}},"data":{"x":"y"}}"#;
    let got = serde_json::from_str::<Trimmed<ConfigMap>>(text).expect("decodes").0;
    assert!(got.metadata.managed_fields.is_none());
    assert_eq!(got.metadata.name.as_deref(), Some("a"));
    assert_eq!(got.data.expect("data")["x"], "y");
}

#[test]
fn invalid_objects_are_rejected_as_in_full() {
    for text in [
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":7}}"#,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":[]}"#,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"managedFields":[}}"#,
        r#"[]"#,
        r#""a string""#,
    ] {
        assert!(serde_json::from_str::<ConfigMap>(text).is_err(), "{text}");
        assert!(serde_json::from_str::<Trimmed<ConfigMap>>(text).is_err(), "{text}");
    }
}

#[test]
fn watch_events_and_metadata_objects_decode_trimmed() {
    let line = json!({"type": "MODIFIED", "object": {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "managedFields": managed()}, "spec": {"containers": []}
    }})
    .to_string();
    match serde_json::from_str::<WatchEvent<Trimmed<Pod>>>(&line).expect("decodes") {
        WatchEvent::Modified(Trimmed(pod)) => {
            assert_eq!(pod.metadata.name.as_deref(), Some("p"));
            assert!(pod.metadata.managed_fields.is_none());
        }
        other => panic!("unexpected {other:?}"),
    }
    let meta = json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
        "metadata": {"name": "p", "uid": "u", "managedFields": managed(), "finalizers": ["f"]}});
    let got: PartialObjectMeta<Pod> = trimmed(&meta);
    assert_eq!(
        got.metadata,
        full_then_trimmed::<PartialObjectMeta<Pod>>(&meta).metadata
    );
    assert_eq!(got.metadata.finalizers, Some(vec!["f".to_string()]));
}

fn small_map() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    prop::collection::btree_map("[a-zA-Z]{1,12}", "[ -~]{0,8}", 0..5)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
}

fn maybe<T: std::fmt::Debug + Clone + 'static>(s: impl Strategy<Value = T> + 'static) -> BoxedStrategy<Option<T>> {
    prop::option::of(s).boxed()
}

proptest! {
    /// Random ConfigMaps, with and without managedFields in any member order, decode trimmed as
    /// in full minus the managedFields.
    #[test]
    fn trimmed_decoding_is_full_decoding_without_managed_fields(
        name in maybe("[a-z]{1,10}"),
        labels in maybe(small_map()),
        annotations in maybe(small_map()),
        data in maybe(small_map()),
        managers in maybe(prop::collection::vec("[a-z]{1,8}", 0..4)),
        reverse in any::<bool>(),
    ) {
        let mut meta = serde_json::Map::new();
        if let Some(managers) = managers {
            meta.insert("managedFields".into(), Value::Array(managers.into_iter().map(|m| json!({
                "manager": m, "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}
            })).collect()));
        }
        if let Some(name) = name { meta.insert("name".into(), json!(name)); }
        if let Some(labels) = labels { meta.insert("labels".into(), Value::Object(labels)); }
        if let Some(annotations) = annotations { meta.insert("annotations".into(), Value::Object(annotations)); }
        let mut obj = serde_json::Map::new();
        obj.insert("apiVersion".into(), json!("v1"));
        obj.insert("kind".into(), json!("ConfigMap"));
        obj.insert("metadata".into(), Value::Object(meta));
        if let Some(data) = data { obj.insert("data".into(), Value::Object(data)); }
        let text = if reverse {
            // serde_json keeps insertion order only with preserve_order; write members backwards by hand.
            let members: Vec<String> = obj.iter().rev().map(|(k, v)| format!("{}:{}", json!(k), v)).collect();
            format!("{{{}}}", members.join(","))
        } else {
            Value::Object(obj.clone()).to_string()
        };
        let got = serde_json::from_str::<Trimmed<ConfigMap>>(&text).expect("decodes").0;
        prop_assert_eq!(got, full_then_trimmed::<ConfigMap>(&Value::Object(obj)));
    }
}
