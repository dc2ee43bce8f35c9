//! Discovery documents: aggregated (apidiscovery.k8s.io/v2) and legacy, all derived from the resource registry.

use berth_api::resource::{group_versions, ResourceInfo, RESOURCES};
use serde_json::{json, Value};

/// The exact content type kubectl requires to treat a reply as aggregated discovery.
pub const AGGREGATED_CONTENT_TYPE: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether `Accept` asks for aggregated discovery v2.
pub fn wants_aggregated(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|e| {
            e.contains("g=apidiscovery.k8s.io")
                && e.contains("v=v2")
                && !e.contains("v=v2beta1")
                && e.contains("as=APIGroupDiscoveryList")
        })
    })
}

fn resource_discovery(r: &ResourceInfo) -> Value {
    let mut v = json!({
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs(),
    });
    if !r.short_names.is_empty() {
        v["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        v["categories"] = json!(r.categories);
    }
    if !r.subresources.is_empty() {
        v["subresources"] = Value::Array(
            r.subresources
                .iter()
                .map(|s| {
                    json!({
                        "subresource": s.name,
                        "responseKind": {"group": s.response.0, "version": s.response.1, "kind": s.response.2},
                        "verbs": s.verbs,
                    })
                })
                .collect(),
        );
    }
    v
}

fn group_discovery(group: &str) -> Value {
    let versions: Vec<Value> = group_versions()
        .into_iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| {
            let resources: Vec<Value> = RESOURCES
                .iter()
                .filter(|r| r.group == g && r.version == v)
                .map(resource_discovery)
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let mut item = json!({"metadata": {"creationTimestamp": null}, "versions": versions});
    if !group.is_empty() {
        item["metadata"]["name"] = json!(group);
    }
    item
}

fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (g, _) in group_versions() {
        if !g.is_empty() && !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// `/api` (core) or `/apis` (named groups) as an aggregated `APIGroupDiscoveryList`.
pub fn aggregated(core: bool) -> Value {
    let items: Vec<Value> = if core {
        vec![group_discovery("")]
    } else {
        groups().into_iter().map(group_discovery).collect()
    };
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// Legacy `/api`.
pub fn legacy_core() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]})
}

fn api_group(group: &str) -> Value {
    let versions: Vec<Value> = group_versions()
        .into_iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

/// Legacy `/apis`.
pub fn legacy_groups() -> Value {
    let groups: Vec<Value> = groups().into_iter().map(api_group).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Legacy `/apis/{group}`, if served.
pub fn legacy_group(group: &str) -> Option<Value> {
    groups().contains(&group).then(|| {
        let mut g = api_group(group);
        g["kind"] = json!("APIGroup");
        g["apiVersion"] = json!("v1");
        g
    })
}

/// Legacy `APIResourceList` for `/api/v1` or `/apis/{group}/{version}`, if served.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        let mut v = json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": r.verbs(),
        });
        if !r.short_names.is_empty() {
            v["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            v["categories"] = json!(r.categories);
        }
        resources.push(v);
        for s in r.subresources {
            let mut sv = json!({
                "name": format!("{}/{}", r.plural, s.name), "singularName": "", "namespaced": r.namespaced,
                "kind": s.response.2, "verbs": s.verbs,
            });
            if s.response.0 != r.group {
                sv["group"] = json!(s.response.0);
                sv["version"] = json!(s.response.1);
            }
            resources.push(sv);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_apps_lists_statefulsets_with_short_name_and_scale() {
        let d = aggregated(false);
        let apps = d["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["metadata"]["name"] == "apps")
            .expect("apps");
        let sts = &apps["versions"][0]["resources"][0];
        assert_eq!(sts["resource"], "statefulsets");
        assert_eq!(sts["shortNames"][0], "sts");
        assert_eq!(sts["responseKind"]["kind"], "StatefulSet");
        assert_eq!(sts["subresources"][0]["responseKind"]["group"], "autoscaling");
    }

    #[test]
    fn kubectl_accept_header_selects_aggregated() {
        let a = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(Some(a)));
        assert!(!wants_aggregated(Some("application/json")));
    }

    #[test]
    fn legacy_core_resource_list_has_pod_subresources() {
        let l = resource_list("", "v1").expect("core");
        let names: Vec<&str> = l["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"pods/exec"));
        assert!(names.contains(&"persistentvolumeclaims"));
    }
}
