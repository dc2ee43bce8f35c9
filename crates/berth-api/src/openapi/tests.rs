//! Tests for the OpenAPI index and documents: shape, refs, and what kubectl looks for.

use serde_json::Value;

use super::*;
use crate::resource::RESOURCES;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k == "$ref" {
                    if let Some(s) = child.as_str() {
                        out.push(s);
                    }
                } else {
                    refs(child, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
        _ => {}
    }
}

fn all_docs() -> Vec<(&'static str, &'static str, Value)> {
    group_versions()
        .into_iter()
        .map(|(g, v)| (g, v, document(g, v).expect("served group version")))
        .collect()
}

#[test]
fn index_lists_every_group_version_with_a_hash() {
    let idx = index();
    let paths = idx["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), group_versions().len());
    let core = paths["api/v1"]["serverRelativeURL"].as_str().expect("url");
    assert!(core.starts_with("/openapi/v3/api/v1?hash="), "{core}");
    assert_eq!(
        paths["apis/apps/v1"]["serverRelativeURL"],
        format!("/openapi/v3/apis/apps/v1?hash={}", documents_hash())
    );
    assert!(documents_hash().len() >= 32);
}

#[test]
fn documents_are_openapi_3_objects_and_unknown_versions_are_none() {
    for (g, v, doc) in all_docs() {
        assert_eq!(doc["openapi"], "3.0.0", "{g}/{v}");
        assert!(doc["paths"].as_object().is_some_and(|p| !p.is_empty()), "{g}/{v}");
        assert!(doc["components"]["schemas"].is_object(), "{g}/{v}");
        let text = document_json(g, v).expect("cached text");
        let reparsed: Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(reparsed, doc);
    }
    assert!(document("apps", "v2").is_none());
    assert!(document("nope", "v1").is_none());
}

#[test]
fn every_ref_resolves_within_its_document() {
    for (g, v, doc) in all_docs() {
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{g}/{v}: unexpected ref {r}"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{g}/{v}: {r} does not resolve"
            );
        }
    }
}

#[test]
fn every_served_kind_has_a_patch_operation_with_gvk_and_field_validation() {
    for info in RESOURCES {
        let doc = document(info.group, info.version).expect("doc");
        let ns = if info.namespaced { "/namespaces/{namespace}" } else { "" };
        let path = format!("{}{ns}/{}/{{name}}", info.gv_path(), info.plural);
        let patch = &doc["paths"][&path]["patch"];
        assert!(patch.is_object(), "{path} has no patch");
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            serde_json::json!({"group": info.group, "version": info.version, "kind": info.kind}),
            "{path}"
        );
        assert_eq!(patch["x-kubernetes-action"], "patch");
        let params = patch["parameters"].as_array().expect("params");
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
            "{path}"
        );
        assert!(params.iter().any(|p| p["name"] == "force"), "{path}");
        let content = patch["requestBody"]["content"].as_object().expect("content");
        assert!(content.contains_key("application/merge-patch+json"));
        assert!(content.contains_key("application/json-patch+json"));
        assert!(content.contains_key("application/apply-patch+yaml"));
        assert!(!content.contains_key("application/strategic-merge-patch+json"));
    }
}

#[test]
fn list_operations_take_selectors_and_watch_parameters() {
    let doc = document("", "v1").expect("core");
    let list = &doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["get"];
    assert_eq!(list["operationId"], "listCoreV1NamespacedPod");
    assert_eq!(list["x-kubernetes-action"], "list");
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for want in [
        "labelSelector",
        "fieldSelector",
        "limit",
        "continue",
        "resourceVersion",
        "watch",
        "timeoutSeconds",
        "allowWatchBookmarks",
    ] {
        assert!(names.contains(&want), "{want}");
    }
    assert!(doc["paths"]["/api/v1/pods"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/nodes/{name}/status"]["patch"].is_object());
    assert!(doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"].is_object());
    let post = &doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["post"];
    assert_eq!(post["x-kubernetes-action"], "post");
    assert!(post["parameters"]
        .as_array()
        .expect("p")
        .iter()
        .any(|p| p["name"] == "fieldValidation"));
}

#[test]
fn scale_subresource_speaks_autoscaling_v1() {
    let doc = document("apps", "v1").expect("apps");
    let scale = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale"];
    assert_eq!(scale["patch"]["operationId"], "patchAppsV1NamespacedStatefulSetScale");
    assert_eq!(
        scale["patch"]["x-kubernetes-group-version-kind"],
        serde_json::json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
    );
    assert_eq!(
        scale["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.autoscaling.v1.Scale"
    );
}

#[test]
fn kind_schemas_are_real_and_carry_their_gvk() {
    let doc = document("apps", "v1").expect("apps");
    let sts = &doc["components"]["schemas"]["io.k8s.api.apps.v1.StatefulSet"];
    assert_eq!(
        sts["x-kubernetes-group-version-kind"][0],
        serde_json::json!({"group": "apps", "version": "v1", "kind": "StatefulSet"})
    );
    assert!(sts["properties"]["spec"].is_object());
    // k8s-openapi requires metadata because its Rust field is not optional; upstream does not.
    assert!(sts.get("required").is_none(), "{}", sts["required"]);
    let spec = &doc["components"]["schemas"]["io.k8s.api.apps.v1.StatefulSetSpec"];
    assert!(spec["properties"]["replicas"].is_object());
    assert!(doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"].is_object());
    assert!(doc["components"]["schemas"]["io.k8s.api.apps.v1.StatefulSetList"].is_object());
}
