//! Table tests for the patch flavours; strategic cases cite upstream's
//! `staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go` where they port one.

#![allow(clippy::unwrap_used)] // tests assert on the error values

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const POD: (&str, &str) = ("", "Pod");
const STS: (&str, &str) = ("apps", "StatefulSet");

fn smp(doc: Value, patch: Value, kind: (&str, &str)) -> Value {
    strategic_merge_patch(&doc, &patch, kind).expect("patch applies")
}

fn pod_spec(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
}

/// (name, original, patch, expected) on a Pod.
type Case = (&'static str, Value, Value, Value);

fn run(cases: Vec<Case>, kind: (&str, &str)) {
    for (name, doc, patch, want) in cases {
        let got = strategic_merge_patch(&doc, &patch, kind).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn maps_merge_recursively_and_null_deletes_a_key() {
    // upstream: "Add one item to map", "Delete one item from map", "nil patch values on a missing key"
    run(
        vec![
            (
                "add a label",
                json!({"metadata": {"labels": {"a": "1"}}}),
                json!({"metadata": {"labels": {"b": "2"}}}),
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
            ),
            (
                "null deletes a label",
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
                json!({"metadata": {"labels": {"a": null}}}),
                json!({"metadata": {"labels": {"b": "2"}}}),
            ),
            (
                "null on a missing key is ignored",
                json!({"metadata": {"labels": {"a": "1"}}}),
                json!({"metadata": {"labels": {"zzz": null}}}),
                json!({"metadata": {"labels": {"a": "1"}}}),
            ),
            (
                "null deletes a whole map",
                json!({"metadata": {"name": "x", "labels": {"a": "1"}}}),
                json!({"metadata": {"labels": null}}),
                json!({"metadata": {"name": "x"}}),
            ),
            (
                "a scalar replaces a map",
                json!({"spec": {"x": {"a": 1}}}),
                json!({"spec": {"x": 3}}),
                json!({"spec": {"x": 3}}),
            ),
            (
                "nulls inside a new subtree are dropped",
                json!({}),
                json!({"metadata": {"labels": {"a": "1", "b": null}}}),
                json!({"metadata": {"labels": {"a": "1"}}}),
            ),
        ],
        POD,
    );
}

#[test]
fn map_patch_replace_replaces_the_map_and_patch_delete_empties_it() {
    // upstream: "Replace map with $patch: replace", "Delete map with $patch: delete"
    run(
        vec![
            (
                "$patch: replace",
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
                json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}}),
                json!({"metadata": {"labels": {"c": "3"}}}),
            ),
            (
                "$patch: delete",
                json!({"metadata": {"labels": {"a": "1"}, "name": "x"}}),
                json!({"metadata": {"labels": {"$patch": "delete"}}}),
                json!({"metadata": {"labels": {}, "name": "x"}}),
            ),
        ],
        POD,
    );
}

#[test]
fn map_patch_merge_is_an_unknown_patch_type_like_upstream() {
    // upstream handleDirectiveInMergeMap accepts only replace and delete in maps.
    let err = strategic_merge_patch(
        &json!({"metadata": {"labels": {"a": "1"}}}),
        &json!({"metadata": {"labels": {"$patch": "merge", "b": "2"}}}),
        POD,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown patch type: merge in map: map[$patch:merge b:2]"
    );
    let status = ApiError::from(err).to_status();
    assert_eq!(status["code"], 500);
    assert!(status.get("reason").is_none());
}

#[test]
fn lists_with_a_merge_key_merge_by_key() {
    // upstream: "Merge one item in merging list", "Add one item to merging list"
    run(
        vec![
            (
                "containers merge by name and new ones are appended",
                pod_spec(json!({"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]})),
                json!({"spec": {"containers": [{"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}]}}),
                pod_spec(json!({"containers": [
                    {"name": "a", "image": "a:1"},
                    {"name": "b", "image": "b:2"},
                    {"name": "c", "image": "c:1"}
                ]})),
            ),
            (
                "env merges by name inside a container",
                pod_spec(
                    json!({"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]}),
                ),
                json!({"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "3"}]}]}}),
                pod_spec(
                    json!({"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "3"}]}]}),
                ),
            ),
            (
                "container ports merge by containerPort",
                pod_spec(json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]})),
                json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}]}]}}),
                pod_spec(json!({"containers": [{"name": "a", "ports": [
                    {"containerPort": 80, "name": "http", "protocol": "TCP"},
                    {"containerPort": 443}
                ]}]})),
            ),
            (
                "volumeMounts merge by mountPath",
                pod_spec(json!({"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/d", "name": "v"}]}]})),
                json!({"spec": {"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/d", "readOnly": true}]}]}}),
                pod_spec(
                    json!({"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/d", "name": "v", "readOnly": true}]}]}),
                ),
            ),
            (
                // upstream mergeSortedSlice puts a patch item the server never had before
                // server-only items.
                "ownerReferences merge by uid, the new one first",
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}, {"uid": "1", "name": "a"}]}}),
            ),
            (
                "pod status conditions merge by type",
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]}}),
                json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                json!({"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]}}),
            ),
        ],
        POD,
    );
}

#[test]
fn statefulset_paths_resolve_through_the_template() {
    let doc = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}},
        "volumeClaimTemplates": [{"metadata": {"name": "d"}}]},
        "status": {"conditions": [{"type": "A", "status": "True"}]}});
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "z"}]}},
        "volumeClaimTemplates": [{"metadata": {"name": "e"}}]},
        "status": {"conditions": [{"type": "B", "status": "True"}]}});
    let got = smp(doc, patch, STS);
    assert_eq!(
        got,
        json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "z"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "e"}}]},
            "status": {"conditions": [{"type": "B", "status": "True"}, {"type": "A", "status": "True"}]}})
    );
}

#[test]
fn service_ports_merge_by_port() {
    let got = smp(
        json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}),
        json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
        ("", "Service"),
    );
    assert_eq!(
        got,
        json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}})
    );
}

#[test]
fn list_patch_delete_removes_the_item_with_that_key() {
    // upstream: "Delete one item from merging list"
    run(
        vec![(
            "delete container b",
            pod_spec(json!({"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})),
            json!({"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}),
            pod_spec(json!({"containers": [{"name": "a"}, {"name": "c"}]})),
        )],
        POD,
    );
}

#[test]
fn list_patch_replace_element_replaces_the_whole_list() {
    // upstream: "Replace list with $patch: replace"
    run(
        vec![(
            "replace containers",
            pod_spec(json!({"containers": [{"name": "a", "image": "1"}, {"name": "b"}]})),
            json!({"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}),
            pod_spec(json!({"containers": [{"name": "c"}]})),
        )],
        POD,
    );
}

#[test]
fn list_patch_merge_element_is_rejected_like_upstream() {
    let err = strategic_merge_patch(
        &pod_spec(json!({"containers": [{"name": "a"}]})),
        &json!({"spec": {"containers": [{"$patch": "merge"}]}}),
        POD,
    )
    .unwrap_err();
    assert_eq!(err, PatchError::MergeDirectiveInList);
}

#[test]
fn an_item_without_the_merge_key_is_an_error() {
    // upstream: ErrNoMergeKey, returned as a plain error (500, no reason).
    let err = strategic_merge_patch(
        &pod_spec(json!({"containers": [{"name": "a"}]})),
        &json!({"spec": {"containers": [{"image": "x"}]}}),
        POD,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "map: map[image:x] does not contain declared merge key: name"
    );
    assert_eq!(ApiError::from(err).code(), 500);
}

#[test]
fn lists_without_a_strategy_are_replaced() {
    // upstream: "Replace non-merging list" (nonMergingList); tolerations, envFrom, subsets are atomic.
    run(
        vec![
            (
                "tolerations",
                pod_spec(json!({"tolerations": [{"key": "a"}, {"key": "b"}]})),
                json!({"spec": {"tolerations": [{"key": "c"}]}}),
                pod_spec(json!({"tolerations": [{"key": "c"}]})),
            ),
            (
                "unknown list",
                pod_spec(json!({"whatever": [1, 2]})),
                json!({"spec": {"whatever": [3]}}),
                pod_spec(json!({"whatever": [3]})),
            ),
        ],
        POD,
    );
    assert_eq!(
        smp(
            json!({"subsets": [{"addresses": [{"ip": "1"}]}]}),
            json!({"subsets": [{"ports": [{"port": 1}]}]}),
            ("", "Endpoints")
        ),
        json!({"subsets": [{"ports": [{"port": 1}]}]})
    );
}

#[test]
fn primitive_merge_lists_union_and_delete_from_primitive_list_removes() {
    // upstream: "Merge primitive list" (mergingIntList), "$deleteFromPrimitiveList"
    run(
        vec![
            (
                "finalizers union without duplicates",
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"finalizers": ["b", "c"]}}),
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
            ),
            (
                "$deleteFromPrimitiveList",
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
                json!({"metadata": {"finalizers": ["a", "c"]}}),
            ),
            (
                "$deleteFromPrimitiveList on a missing list is a no-op",
                json!({"metadata": {"name": "x"}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
                json!({"metadata": {"name": "x"}}),
            ),
        ],
        POD,
    );
}

#[test]
fn set_element_order_orders_patched_items_and_keeps_server_only_items_in_place() {
    // upstream: "$setElementOrder" cases of TestStrategicMergePatch (mergingList with server-only items)
    run(
        vec![
            (
                "reorder and merge",
                pod_spec(json!({"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]})),
                json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "a", "image": "2"}]}}),
                pod_spec(json!({"containers": [{"name": "b", "image": "1"}, {"name": "a", "image": "2"}]})),
            ),
            (
                "server-only item keeps its neighbour",
                pod_spec(json!({"containers": [{"name": "a"}, {"name": "s"}, {"name": "b"}]})),
                json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "containers": [{"name": "c"}]}}),
                pod_spec(json!({"containers": [{"name": "a"}, {"name": "s"}, {"name": "b"}, {"name": "c"}]})),
            ),
            (
                "primitive list order",
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}}),
                json!({"metadata": {"finalizers": ["c", "b", "a"]}}),
            ),
            (
                "order without a patch list only reorders",
                pod_spec(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
                json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}),
                pod_spec(json!({"containers": [{"name": "b"}, {"name": "a"}]})),
            ),
        ],
        POD,
    );
}

#[test]
fn set_element_order_that_disagrees_with_the_patch_is_a_bad_request() {
    // upstream: validatePatchWithSetOrderList -> ErrBadPatchFormatForSetElementOrderList (400)
    let err = strategic_merge_patch(
        &pod_spec(json!({"containers": [{"name": "a"}]})),
        &json!({"spec": {"$setElementOrder/containers": [{"name": "a"}], "containers": [{"name": "z"}]}}),
        POD,
    )
    .unwrap_err();
    assert_eq!(err, PatchError::BadSetElementOrder);
    let s = ApiError::from(err).to_status();
    assert_eq!(
        (s["code"].clone(), s["reason"].clone()),
        (json!(400), json!("BadRequest"))
    );
    assert_eq!(s["message"], "invalid patch format of setElementOrder list");
}

#[test]
fn retain_keys_clears_keys_not_listed() {
    // upstream: "retainKeys" cases (volumes switching source, as kubectl apply sends them)
    run(
        vec![(
            "emptyDir becomes hostPath",
            pod_spec(json!({"volumes": [{"name": "v", "emptyDir": {}}]})),
            json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["hostPath", "name"], "hostPath": {"path": "/x"}}]}}),
            pod_spec(json!({"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]})),
        )],
        POD,
    );
}

#[test]
fn retain_keys_that_omit_a_patched_key_is_a_bad_request() {
    let err = strategic_merge_patch(
        &pod_spec(json!({"volumes": [{"name": "v", "emptyDir": {}}]})),
        &json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "hostPath": {"path": "/x"}}]}}),
        POD,
    )
    .unwrap_err();
    assert_eq!(err, PatchError::BadRetainKeys);
    assert_eq!(ApiError::from(err).code(), 400);
}

#[test]
fn lists_of_lists_are_unprocessable() {
    let err = strategic_merge_patch(
        &json!({"metadata": {"finalizers": [["a"]]}}),
        &json!({"metadata": {"finalizers": [["b"]]}}),
        POD,
    )
    .unwrap_err();
    assert_eq!(err, PatchError::ListOfLists);
    let s = ApiError::from(err).to_status();
    assert_eq!(s["code"], 422);
    assert_eq!(s["reason"], "Invalid");
    assert_eq!(s["details"]["causes"][0]["message"], "lists of lists are not supported");
}

#[test]
fn a_patch_that_is_not_an_object_is_a_bad_request() {
    let err = strategic_merge_patch(&json!({}), &json!([1]), POD).unwrap_err();
    assert_eq!(
        err.to_string(),
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
    assert_eq!(ApiError::from(err).code(), 400);
}

#[test]
fn directives_in_a_subtree_the_original_lacks_are_stripped() {
    let got = smp(
        json!({"metadata": {"name": "p"}}),
        json!({"spec": {"$setElementOrder/containers": [{"name": "a"}], "containers": [{"name": "a", "$retainKeys": ["name"]}, {"$patch": "replace"}],
            "nodeSelector": {"$patch": "replace", "a": "b"}}}),
        POD,
    );
    assert_eq!(
        got,
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}], "nodeSelector": {"a": "b"}}})
    );
}

#[test]
fn kubectl_rollout_undo_body_replaces_the_template() {
    let live = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": 3, "template": {
            "metadata": {"labels": {"app": "nginx"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "t"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}, {"name": "side", "image": "s"}]}}}});
    let undo = json!({"spec": {"template": {"metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.24"}]}, "$patch": "replace"}}});
    let got = smp(live, undo, STS);
    assert_eq!(
        got,
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
            "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.24"}]}}}})
    );
}

#[test]
fn kubectl_apply_second_time_body_updates_replicas_image_and_annotation() {
    let live = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "old\n"}},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.24", "imagePullPolicy": "IfNotPresent"}]}}}});
    let body = json!({"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}},
        "spec": {"replicas": 2, "template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{"image": "nginx:1.25", "name": "nginx"}]}}}});
    let got = smp(live, body, STS);
    assert_eq!(
        got,
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent"}]}}}})
    );
}

#[test]
fn json_patch_add_remove_replace_and_test() {
    let doc = json!({"spec": {"replicas": 1, "paused": true}});
    let got = json_patch(
        &doc,
        &json!([
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "add", "path": "/spec/minReadySeconds", "value": 5},
            {"op": "remove", "path": "/spec/paused"},
            {"op": "replace", "path": "/spec/replicas", "value": 3}
        ]),
    )
    .expect("applies");
    assert_eq!(got, json!({"spec": {"replicas": 3, "minReadySeconds": 5}}));
}

#[test]
fn json_patch_failed_test_is_unprocessable_with_upstreams_message() {
    let err = json_patch(
        &json!({"spec": {"replicas": 1}}),
        &json!([{"op": "test", "path": "/spec/replicas", "value": 2}]),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "testing value /spec/replicas failed: test failed");
    let s = ApiError::from(err).to_status();
    assert_eq!(s["code"], 422);
    assert_eq!(s["reason"], "Invalid");
    assert_eq!(
        s["message"],
        "the server rejected our request due to an error in our request"
    );
    assert_eq!(s["details"]["causes"][0]["reason"], "UnexpectedServerResponse");
    assert_eq!(
        s["details"]["causes"][0]["message"],
        "testing value /spec/replicas failed: test failed"
    );
}

#[test]
fn json_patch_failures_name_the_step_like_upstream() {
    let doc = json!({"spec": {"replicas": 1}});
    let cases = [
        (
            json!([{"op": "remove", "path": "/spec/paused"}]),
            "error in remove for path: '/spec/paused': Unable to remove nonexistent key: paused: missing value",
        ),
        (
            json!([{"op": "replace", "path": "/spec/paused", "value": 1}]),
            "replace operation does not apply: doc is missing key: /spec/paused: missing value",
        ),
        (
            json!([{"op": "add", "path": "/x/y", "value": 1}]),
            "add operation does not apply: doc is missing path: \"/x/y\": missing value",
        ),
        (json!([{"op": "frob", "path": "/x"}]), "Unexpected kind: frob"),
    ];
    for (patch, want) in cases {
        assert_eq!(json_patch(&doc, &patch).unwrap_err().to_string(), want);
    }
}

#[test]
fn json_patch_that_is_not_a_list_is_a_bad_request() {
    let err = json_patch(&json!({}), &json!({"op": "add"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    );
    assert_eq!(ApiError::from(err).code(), 400);
}

#[test]
fn merge_patch_null_deletes_and_lists_replace() {
    let got = merge_patch(
        &json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
        &json!({"metadata": {"labels": {"a": null}}, "spec": {"containers": [{"name": "c"}]}}),
    )
    .expect("applies");
    assert_eq!(
        got,
        json!({"metadata": {"labels": {"b": "2"}}, "spec": {"containers": [{"name": "c"}]}})
    );
    assert_eq!(
        merge_patch(&json!({}), &Value::Null).unwrap_err(),
        PatchError::MergePatchNull
    );
}

#[test]
fn content_types_map_to_patch_types() {
    assert_eq!(
        PatchType::from_content_type("application/json-patch+json"),
        Some(PatchType::Json)
    );
    assert_eq!(
        PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
        Some(PatchType::Merge)
    );
    assert_eq!(
        PatchType::from_content_type("application/strategic-merge-patch+json"),
        Some(PatchType::Strategic)
    );
    assert_eq!(
        PatchType::from_content_type("application/apply-patch+yaml"),
        Some(PatchType::Apply)
    );
    assert_eq!(PatchType::from_content_type("application/json"), None);
}

fn has_directive_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k.starts_with('$') || has_directive_key(v)),
        Value::Array(a) => a.iter().any(has_directive_key),
        _ => false,
    }
}

fn arb_json(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0i64..5).prop_map(|n| json!(n)),
        "[a-c]".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

const DOC_KEYS: &[&str] = &[
    "metadata",
    "labels",
    "spec",
    "containers",
    "name",
    "finalizers",
    "image",
    "template",
    "volumes",
    "env",
];
const PATCH_KEYS: &[&str] = &[
    "metadata",
    "labels",
    "spec",
    "containers",
    "name",
    "finalizers",
    "image",
    "template",
    "volumes",
    "env",
    "$patch",
    "$retainKeys",
    "$setElementOrder/containers",
    "$deleteFromPrimitiveList/finalizers",
    "$setElementOrder/finalizers",
];

proptest! {
    #[test]
    fn an_empty_patch_returns_the_document_unchanged(doc in arb_json(DOC_KEYS)) {
        let doc = if doc.is_object() { doc } else { json!({"spec": doc}) };
        for kind in [POD, STS, ("", "Service")] {
            prop_assert_eq!(strategic_merge_patch(&doc, &json!({}), kind).expect("empty patch applies"), doc.clone());
        }
    }

    #[test]
    fn directive_keys_never_survive_into_the_result(doc in arb_json(DOC_KEYS), patch in arb_json(PATCH_KEYS)) {
        let doc = if doc.is_object() { doc } else { json!({"spec": doc}) };
        let patch = if patch.is_object() { patch } else { json!({"spec": patch}) };
        for kind in [POD, STS] {
            if let Ok(out) = strategic_merge_patch(&doc, &patch, kind) {
                prop_assert!(!has_directive_key(&out), "{}", out);
            }
        }
    }
}
