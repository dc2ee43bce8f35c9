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
