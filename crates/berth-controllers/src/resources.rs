//! The served resources, read from the server's discovery, and lookups by group and kind.

use std::collections::HashMap;

use kube::discovery::{verbs, ApiCapabilities, ApiResource, Discovery, Scope};

use crate::error::ControllerError;

/// One served resource (the group's preferred version) and what it supports.
#[derive(Clone, Debug)]
pub struct ServedResource {
    pub resource: ApiResource,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl ServedResource {
    /// Whether the resource supports a verb such as `deletecollection`.
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// `plural.group`, as kubectl names a resource.
    pub fn display(&self) -> String {
        if self.resource.group.is_empty() {
            self.resource.plural.clone()
        } else {
            format!("{}.{}", self.resource.plural, self.resource.group)
        }
    }
}

fn served(resource: ApiResource, caps: &ApiCapabilities) -> ServedResource {
    ServedResource {
        resource,
        namespaced: caps.scope == Scope::Namespaced,
        verbs: caps.operations.clone(),
    }
}

/// Reads discovery: every group's recommended version of each resource (no subresources).
pub async fn discover(client: &kube::Client) -> Result<Vec<ServedResource>, ControllerError> {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .map_err(|e| ControllerError::Discovery(Box::new(e)))?;
    let mut out = Vec::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            out.push(served(ar, &caps));
        }
    }
    Ok(out)
}

/// Resources the garbage collector does not track, like upstream's `DefaultIgnoredResources`.
pub fn gc_ignored(r: &ServedResource) -> bool {
    r.resource.plural == "events" && (r.resource.group.is_empty() || r.resource.group == "events.k8s.io")
}

/// Whether a resource can be watched (list and watch verbs).
pub fn watchable(r: &ServedResource) -> bool {
    r.supports(verbs::LIST) && r.supports(verbs::WATCH)
}

/// Resources by group and kind, to resolve an ownerReference's `apiVersion` and `kind`.
#[derive(Clone, Debug, Default)]
pub struct ResourceMap {
    by_kind: HashMap<(String, String), ServedResource>,
}

impl ResourceMap {
    pub fn new(resources: &[ServedResource]) -> Self {
        let by_kind = resources
            .iter()
            .map(|r| ((r.resource.group.clone(), r.resource.kind.clone()), r.clone()))
            .collect();
        ResourceMap { by_kind }
    }

    /// Resolves `apiVersion` (`v1`, `apps/v1`) and `kind` to the served resource.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<&ServedResource> {
        let group = group_of(api_version);
        self.by_kind.get(&(group.to_string(), kind.to_string()))
    }
}

/// The group of an `apiVersion`: `apps/v1` → `apps`, `v1` → ``.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Reads discovery, retrying with backoff until it works (the server may still be starting).
pub async fn discover_until_ok(client: &kube::Client, who: &str) -> Vec<ServedResource> {
    let mut attempt = 0;
    loop {
        match discover(client).await {
            Ok(r) => return r,
            Err(e) => {
                let delay = crate::retry::backoff(attempt);
                attempt += 1;
                tracing::warn!(controller = who, error = %e, retry_in_ms = delay.as_millis() as u64, "discovery failed");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> ServedResource {
        let api_version = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        ServedResource {
            resource: ApiResource {
                group: group.into(),
                version: version.into(),
                api_version,
                kind: kind.into(),
                plural: plural.into(),
            },
            namespaced,
            verbs: vec!["list".into(), "watch".into()],
        }
    }

    #[test]
    fn lookup_resolves_core_and_grouped_kinds() {
        let map = ResourceMap::new(&[
            res("", "v1", "ConfigMap", "configmaps", true),
            res("apps", "v1", "StatefulSet", "statefulsets", true),
        ]);
        assert_eq!(
            map.lookup("v1", "ConfigMap").map(|r| r.resource.plural.as_str()),
            Some("configmaps")
        );
        assert_eq!(
            map.lookup("apps/v1", "StatefulSet").map(|r| r.resource.plural.as_str()),
            Some("statefulsets")
        );
        assert!(map.lookup("apps/v1", "ConfigMap").is_none());
    }

    #[test]
    fn both_event_resources_are_ignored_by_the_garbage_collector() {
        assert!(gc_ignored(&res("", "v1", "Event", "events", true)));
        assert!(gc_ignored(&res("events.k8s.io", "v1", "Event", "events", true)));
        assert!(!gc_ignored(&res("", "v1", "Pod", "pods", true)));
    }
}
