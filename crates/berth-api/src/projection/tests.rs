//! Tests for projections: what is kept reads like the whole object, and decoding accepts exactly
//! what decoding into a `Value` accepts.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::meta;

/// A StatefulSet pod as the API server stores it: a few KB of nested JSON.
pub(crate) fn stored_pod(ordinal: usize, node: &str) -> Value {
    let name = format!("web-{ordinal}");
    json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": name, "generateName": "web-", "namespace": "default",
            "uid": "0f8b3c0e-6a7d-4c1e-9c55-0c6f1d0b7a21", "resourceVersion": "48213",
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "labels": {"app": "web", "apps.kubernetes.io/pod-index": ordinal.to_string(),
                "controller-revision-hash": "web-5d4b8f7c9", "statefulset.kubernetes.io/pod-name": name},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                "uid": "5e1c2a7b-1111-4c1e-9c55-0c6f1d0b7a21", "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [
                {"manager": "berth-controllers", "operation": "Update", "apiVersion": "v1",
                 "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {},
                    "f:apps.kubernetes.io/pod-index": {}, "f:controller-revision-hash": {},
                    "f:statefulset.kubernetes.io/pod-name": {}},
                    "f:ownerReferences": {".": {}, "k:{\"uid\":\"5e1c2a7b-1111-4c1e-9c55-0c6f1d0b7a21\"}": {}}},
                  "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {},
                    "f:imagePullPolicy": {}, "f:name": {}, "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}":
                    {".": {}, "f:containerPort": {}, "f:name": {}, "f:protocol": {}}}, "f:resources": {},
                    "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}, "f:volumeMounts": {".": {},
                    "k:{\"mountPath\":\"/usr/share/nginx/html\"}": {".": {}, "f:mountPath": {}, "f:name": {}}}}},
                    "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:hostname": {}, "f:restartPolicy": {},
                    "f:schedulerName": {}, "f:securityContext": {}, "f:subdomain": {},
                    "f:terminationGracePeriodSeconds": {}, "f:volumes": {".": {}, "k:{\"name\":\"www\"}": {".": {},
                    "f:name": {}, "f:persistentVolumeClaim": {".": {}, "f:claimName": {}}}}}}},
                {"manager": "berth-agent", "operation": "Update", "apiVersion": "v1", "subresource": "status",
                 "time": "2025-01-01T00:00:03Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {".": {}, "f:lastProbeTime": {},
                    "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}}, "f:containerStatuses": {},
                    "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": {".": {}, "k:{\"ip\":\"10.244.0.12\"}":
                    {".": {}, "f:ip": {}}}, "f:startTime": {}}}}
            ]
        },
        "spec": {
            "volumes": [
                {"name": "www", "persistentVolumeClaim": {"claimName": format!("www-{name}")}},
                {"name": "kube-api-access-x7k2p", "projected": {"sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                        "fieldPath": "metadata.namespace"}}]}}], "defaultMode": 420}}
            ],
            "containers": [{
                "name": "nginx", "image": "registry.k8s.io/nginx-slim:0.8",
                "ports": [{"name": "web", "containerPort": 80, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"},
                    {"name": "kube-api-access-x7k2p", "readOnly": true,
                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent"
            }],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "serviceAccount": "default", "nodeName": node,
            "securityContext": {}, "hostname": name, "subdomain": "nginx", "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            ],
            "priority": 0, "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-01T00:00:02Z"},
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-01T00:00:01Z"},
                {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-01T00:00:03Z"},
                {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-01T00:00:03Z"},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-01T00:00:00Z"}
            ],
            "hostIP": "10.0.0.2", "hostIPs": [{"ip": "10.0.0.2"}],
            "podIP": "10.244.0.12", "podIPs": [{"ip": "10.244.0.12"}],
            "startTime": "2025-01-01T00:00:01Z",
            "containerStatuses": [{"name": "nginx", "state": {"running": {"startedAt": "2025-01-01T00:00:02Z"}},
                "lastState": {}, "ready": true, "restartCount": 0, "image": "registry.k8s.io/nginx-slim:0.8",
                "imageID": "sha256:4e3c0e1b0c5a8d6f9e2b7a1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e", "started": true}],
            "qosClass": "Burstable"
        }
    })
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a Value serializes")
}

fn project(paths: &[&str], v: &Value) -> Value {
    Projection::new(paths.iter().copied())
        .decode(&bytes(v))
        .expect("valid JSON projects")
}

#[test]
fn a_projection_keeps_only_its_paths() {
    let pod = stored_pod(3, "node-a");
    assert_eq!(
        project(&["spec.nodeName"], &pod),
        json!({"spec": {"nodeName": "node-a"}})
    );
    assert_eq!(
        project(&["metadata.labels", "metadata.name", "spec.nodeName"], &pod),
        json!({"metadata": {"name": "web-3", "labels": pod["metadata"]["labels"]}, "spec": {"nodeName": "node-a"}})
    );
    assert_eq!(
        project(&["status.podIPs", "status.podIP"], &pod),
        json!({"status": {"podIP": "10.244.0.12", "podIPs": [{"ip": "10.244.0.12"}]}})
    );
    // Paths the object lacks are absent, and their parents are still built only as far as present.
    assert_eq!(project(&["spec.hostNetwork", "reason"], &pod), json!({"spec": {}}));
    assert_eq!(project(&[], &pod), json!({}));
    assert!(Projection::new([]).is_empty());
    assert!(!Projection::new(["a"]).is_empty());
}

#[test]
fn the_same_paths_in_any_order_give_equal_projections() {
    assert_eq!(
        Projection::new(["spec.nodeName", "metadata.labels", "metadata.name"]),
        Projection::new(["metadata.name", "spec.nodeName", "metadata.labels", "metadata.name"])
    );
    // A path under one kept whole adds nothing, whichever comes first.
    assert_eq!(
        Projection::new(["metadata", "metadata.labels"]),
        Projection::new(["metadata"])
    );
    assert_eq!(
        Projection::new(["metadata.labels", "metadata"]),
        Projection::new(["metadata"])
    );
    assert_ne!(Projection::new(["metadata.labels"]), Projection::new(["metadata"]));
    let pod = stored_pod(0, "n");
    assert_eq!(
        project(&["metadata.labels", "metadata"], &pod),
        json!({"metadata": pod["metadata"]})
    );
}

#[test]
fn what_is_not_an_object_on_the_way_reads_as_null() {
    let cases = [
        (json!({"kind": "Pod"}), json!({})),
        (json!({"metadata": null}), json!({"metadata": null})),
        (json!({"metadata": "x"}), json!({"metadata": null})),
        (json!({"metadata": [{"labels": {"a": "b"}}]}), json!({"metadata": null})),
        (
            json!({"metadata": {"labels": null}}),
            json!({"metadata": {"labels": null}}),
        ),
        (json!({"metadata": {"labels": 5}}), json!({"metadata": {"labels": 5}})),
        (
            json!({"metadata": {"labels": {"a": 1, "b": [true]}}}),
            json!({"metadata": {"labels": {"a": 1, "b": [true]}}}),
        ),
        (json!([{"metadata": {}}]), json!(null)),
        (json!("metadata"), json!(null)),
        (json!(7), json!(null)),
    ];
    for (obj, want) in cases {
        assert_eq!(project(&["metadata.labels"], &obj), want, "{obj}");
    }
    // An empty key is a key like any other.
    assert_eq!(
        project(&[".a"], &json!({"": {"a": 1, "b": 2}, "a": 3})),
        json!({"": {"a": 1}})
    );
}

#[test]
fn a_repeated_key_keeps_its_last_value_as_a_value_does() {
    let p = Projection::new(["metadata.name", "spec.nodeName"]);
    for text in [
        &br#"{"metadata":{"name":"a"},"metadata":{"name":"b"}}"#[..],
        br#"{"metadata":{"name":"a","name":"b"},"spec":{"nodeName":1},"spec":"x"}"#,
        br#"{"spec":{"nodeName":"n"},"metadata":7,"metadata":{"uid":"u","name":"c"}}"#,
    ] {
        let whole: Value = serde_json::from_slice(text).expect("valid");
        let projected = p.decode(text).expect("valid");
        for path in ["metadata.name", "spec.nodeName"] {
            assert_eq!(meta::path(&projected, path), meta::path(&whole, path), "{path}");
        }
    }
}

/// `n` arrays nested around `null`.
fn nested(n: usize) -> String {
    format!("{}null{}", "[".repeat(n), "]".repeat(n))
}

#[test]
fn texts_a_value_refuses_are_refused_even_where_skipped() {
    let p = Projection::new(["metadata.name"]);
    let bad: Vec<Vec<u8>> = vec![
        b"{\"spec\":\"\xff\xfe\",\"metadata\":{}}".to_vec(),
        br#"{"spec":"\ud800","metadata":{}}"#.to_vec(),
        br#"{"spec":{"x":"\q"}}"#.to_vec(),
        br#"{"spec":1e400}"#.to_vec(),
        br#"{"spec":-1e400}"#.to_vec(),
        br#"{"spec":01}"#.to_vec(),
        br#"{"spec":1.}"#.to_vec(),
        format!(r#"{{"spec":{}}}"#, nested(128)).into_bytes(),
        format!(r#"{{"metadata":{{"x":{}}}}}"#, nested(127)).into_bytes(),
        br#"{"metadata":{"name":"a"}} x"#.to_vec(),
        br#"{"metadata":{"name":"a"}"#.to_vec(),
        br#"{"metadata":{"name":"a",}}"#.to_vec(),
        br#"{"spec":[1,]}"#.to_vec(),
        br#"{"spec":nul}"#.to_vec(),
        b"{\"spec\":\"a\x01\"}".to_vec(),
        b"{\"\xff\":1}".to_vec(),
        b"".to_vec(),
    ];
    for text in &bad {
        let shown = String::from_utf8_lossy(text);
        assert!(
            serde_json::from_slice::<Value>(text).is_err(),
            "a Value accepts {shown}"
        );
        assert!(
            matches!(p.decode(text), Err(ProjectionError::Json(_))),
            "the projection accepts {shown}"
        );
    }
    // Just inside the nesting limit both accept.
    let deep = format!(r#"{{"spec":{}}}"#, nested(126));
    assert!(serde_json::from_slice::<Value>(deep.as_bytes()).is_ok());
    assert_eq!(p.decode(deep.as_bytes()).expect("accepted"), json!({}));
}

#[test]
fn the_raw_value_token_asks_for_a_whole_decode() {
    let p = Projection::new(["metadata.name"]);
    for text in [
        r#"{"$serde_json::private::RawValue":"{\"metadata\":{\"name\":\"a\"}}"}"#,
        r#"{"metadata":{"$serde_json::private::RawValue":"{\"name\":\"a\"}"}}"#,
        r#"{"spec":{"$serde_json::private::RawValue":"[1"}}"#,
    ] {
        assert!(
            matches!(p.decode(text.as_bytes()), Err(ProjectionError::RawValueToken)),
            "{text}"
        );
    }
    // Not first, it is an ordinary key to a Value too.
    let text = r#"{"metadata":{"name":"a","$serde_json::private::RawValue":1}}"#;
    assert_eq!(
        p.decode(text.as_bytes()).expect("ordinary"),
        json!({"metadata": {"name": "a"}})
    );
}

/// Keys few enough that random paths and random objects meet.
const KEYS: &[&str] = &["metadata", "labels", "name", "spec", "nodeName", "a", ""];

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(KEYS).prop_map(String::from)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z\u{e9}\"\\\\\u{1}]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(key(), 1..4).prop_map(|keys| keys.join("."))
}

/// Mutations that break JSON in the ways skipping could miss.
fn damage() -> impl Strategy<Value = (usize, &'static [u8])> {
    let pieces: &'static [&'static [u8]] = &[
        b"\xff", b"\xc3", b"\\", b"\\ud800", b"\\u12", b"e999", b"1e400", b"0", b".", b",", b"]", b"}", b"{", b"[",
        b"\"", b":", b"\x01", b"nul", b" ",
    ];
    (any::<usize>(), prop::sample::select(pieces))
}

proptest! {
    #[test]
    fn kept_paths_read_as_in_the_whole_object(obj in json_value(), paths in prop::collection::vec(path(), 0..4)) {
        let text = bytes(&obj);
        let projected = Projection::new(paths.iter().map(String::as_str)).decode(&text).expect("valid");
        let whole: Value = serde_json::from_slice(&text).expect("valid");
        for p in &paths {
            prop_assert_eq!(meta::path(&projected, p), meta::path(&whole, p), "{}", p);
            let keys: Vec<&str> = p.split('.').collect();
            for n in 0..keys.len() {
                let prefix = keys[..n].join(".");
                let at = |v| if n == 0 { Some(v) } else { meta::path(v, &prefix) };
                prop_assert_eq!(
                    at(&projected).is_some_and(Value::is_object),
                    at(&whole).is_some_and(Value::is_object),
                    "prefix {:?} of {}", prefix, p
                );
            }
        }
    }

    #[test]
    fn a_projection_accepts_exactly_what_a_value_accepts(
        obj in json_value(),
        paths in prop::collection::vec(path(), 0..3),
        damages in prop::collection::vec(damage(), 0..3),
    ) {
        let mut text = bytes(&obj);
        for (at, piece) in damages {
            let at = at % (text.len() + 1);
            text.splice(at..at, piece.iter().copied());
        }
        let whole = serde_json::from_slice::<Value>(&text);
        let projected = Projection::new(paths.iter().map(String::as_str)).decode(&text);
        prop_assert_eq!(whole.is_ok(), projected.is_ok(), "{}", String::from_utf8_lossy(&text));
    }
}
