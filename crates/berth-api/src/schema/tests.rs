//! Tests of typed decoding and unknown-field detection.

use super::*;
use crate::resource::lookup_kind;
use serde_json::json;

fn pod_info() -> &'static ResourceInfo {
    lookup_kind("", "Pod").expect("pods are served")
}

#[test]
fn unknown_fields_in_list_items_are_named_with_their_index() {
    let body = json!({"metadata": {"name": "p", "labelz": {}}, "spec": {"containers": [{"name": "a"}, {"name": "b", "imagee": "x"}]}});
    let (v, unknown) = decode(pod_info(), &body).expect("decodes");
    assert_eq!(unknown, vec!["metadata.labelz", "spec.containers[1].imagee"]);
    assert!(v["spec"]["containers"][1].get("imagee").is_none());
    assert_eq!(v["kind"], "Pod");
}

#[test]
fn null_fields_are_not_unknown() {
    let body = json!({"metadata": {"name": "p", "creationTimestamp": null}, "spec": {"containers": [{"name": "a", "args": null}]}, "status": {}});
    let (_, unknown) = decode(pod_info(), &body).expect("decodes");
    assert!(unknown.is_empty(), "{unknown:?}");
}

#[test]
fn free_form_maps_and_raw_extensions_have_no_unknown_fields() {
    let cr = lookup_kind("apps", "ControllerRevision").expect("served");
    let body = json!({"metadata": {"name": "r", "labels": {"anything": "goes"}}, "data": {"spec": {"whatever": [1, {"x": 2}]}}, "revision": 1});
    let (v, unknown) = decode(cr, &body).expect("decodes");
    assert!(unknown.is_empty(), "{unknown:?}");
    assert_eq!(v["data"], body["data"]);
}

#[test]
fn non_objects_are_bad_requests() {
    let err = decode(pod_info(), &json!([1])).expect_err("array body");
    assert_eq!(err.code(), 400);
}

/// The detection this module used before unknown fields came from the decoder: keys of the body
/// missing from the typed round trip, a vanished `null` not counting.
fn round_trip_unknown(info: &ResourceInfo, body: &Value) -> Vec<String> {
    fn walk(input: &Value, output: &Value, path: &str, out: &mut Vec<String>) {
        match (input, output) {
            (Value::Object(i), Value::Object(o)) => {
                for (k, v) in i {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    match o.get(k) {
                        Some(ov) => walk(v, ov, &p, out),
                        None if v.is_null() => {}
                        None => out.push(p),
                    }
                }
            }
            (Value::Array(i), Value::Array(o)) if i.len() == o.len() => {
                for (idx, (iv, ov)) in i.iter().zip(o).enumerate() {
                    walk(iv, ov, &format!("{path}[{idx}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut body = body.clone();
    check_type_meta(info, &mut body).expect("type meta");
    let obj = typed(info, &body).expect("decodes");
    let mut out = Vec::new();
    walk(&body, &obj.to_raw_value(), "", &mut out);
    out
}

/// Every object inside `v` (by JSON pointer), the root included.
fn object_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.clone());
            for (k, c) in m {
                object_pointers(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                object_pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn unknown_fields_from_the_decoder_match_the_round_trip_at_every_depth() {
    let cases = [
        (
            pod_info(),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u"}]},
              "spec": {"containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": "1"}}, "env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
                "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]},
              "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "True"}]}}),
        ),
        (
            lookup_kind("apps", "StatefulSet").expect("served"),
            json!({"metadata": {"name": "web"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": [{"name": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"],
                  "resources": {"requests": {"storage": "1Gi"}}}}]}}),
        ),
        (
            lookup_kind("", "PersistentVolumeClaim").expect("served"),
            json!({"metadata": {"name": "c", "annotations": {"x": "y"}}, "spec": {"volumeName": "v",
                "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}}),
        ),
        (
            lookup_kind("apps", "ControllerRevision").expect("served"),
            json!({"metadata": {"name": "r"}, "data": {"spec": {"x": [1, {"y": 2}]}}, "revision": 1}),
        ),
    ];
    let mut compared = 0;
    for (info, base) in cases {
        let mut pointers = Vec::new();
        object_pointers(&base, String::new(), &mut pointers);
        for ptr in pointers {
            for extra in [json!(1), json!(null), json!({"deeper": [1]}), json!([{"a": null}])] {
                let mut body = base.clone();
                let Some(Value::Object(m)) = body.pointer_mut(&ptr) else {
                    continue;
                };
                m.insert("zzUnknown".into(), extra.clone());
                // A key in a map of strings (labels) fails to decode either way.
                let Ok((_, got)) = decode_typed(info, &body) else {
                    continue;
                };
                assert_eq!(
                    got,
                    round_trip_unknown(info, &body),
                    "{} at {ptr:?} with {extra}",
                    info.kind
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{compared} bodies compared");
}

#[test]
fn decode_errors_still_name_the_path() {
    let body =
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "ports": [{"containerPort": "x"}]}]}});
    let err = decode(pod_info(), &body).expect_err("a string port");
    assert!(
        err.to_string().contains("spec.containers[0].ports[0].containerPort"),
        "{err}"
    );
}
