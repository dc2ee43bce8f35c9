//! The registry of served resources: group, version, kind, plural, scope and subresources.
//!
//! Routing, discovery, OpenAPI, Tables and the store key layout are all derived from this one
//! table, so adding a kind here is the first (and most of the) work of serving it.

/// A subresource of a resource, e.g. `status` or `scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subresource {
    pub name: &'static str,
    /// The kind answered, as (group, version, kind).
    pub response: (&'static str, &'static str, &'static str),
    pub verbs: &'static [&'static str],
}

/// One served resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group; `""` for core.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Lowercase plural, the URL segment: `statefulsets`.
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    pub categories: &'static [&'static str],
    pub subresources: &'static [Subresource],
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const GPU: &[&str] = &["get", "patch", "update"];

impl ResourceInfo {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `StatefulSetList`.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Verbs served on the main resource.
    pub fn verbs(&self) -> &'static [&'static str] {
        ALL_VERBS
    }

    /// `statefulsets.apps`, as used in Status details and messages (`statefulsets.apps "web" not found`).
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// URL prefix of the group version: `/api/v1` or `/apis/apps/v1`.
    pub fn gv_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }
}

macro_rules! status_sub {
    ($g:expr, $v:expr, $k:expr) => {
        Subresource {
            name: "status",
            response: ($g, $v, $k),
            verbs: GPU,
        }
    };
}

/// Every resource berth serves, in discovery order.
pub static RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        short_names: &["ns"],
        namespaced: false,
        categories: &[],
        subresources: &[status_sub!("", "v1", "Namespace")],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Node",
        plural: "nodes",
        singular: "node",
        short_names: &["no"],
        namespaced: false,
        categories: &[],
        subresources: &[status_sub!("", "v1", "Node")],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        short_names: &["po"],
        namespaced: true,
        categories: &["all"],
        subresources: &[
            status_sub!("", "v1", "Pod"),
            Subresource {
                name: "binding",
                response: ("", "v1", "Binding"),
                verbs: &["create"],
            },
            Subresource {
                name: "log",
                response: ("", "v1", "Pod"),
                verbs: &["get"],
            },
            Subresource {
                name: "exec",
                response: ("", "v1", "PodExecOptions"),
                verbs: &["create", "get"],
            },
            Subresource {
                name: "attach",
                response: ("", "v1", "PodAttachOptions"),
                verbs: &["create", "get"],
            },
        ],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        singular: "service",
        short_names: &["svc"],
        namespaced: true,
        categories: &["all"],
        subresources: &[status_sub!("", "v1", "Service")],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Endpoints",
        plural: "endpoints",
        singular: "endpoints",
        short_names: &["ep"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        short_names: &["ev"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        short_names: &["cm"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "Secret",
        plural: "secrets",
        singular: "secret",
        short_names: &[],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "ServiceAccount",
        plural: "serviceaccounts",
        singular: "serviceaccount",
        short_names: &["sa"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "PersistentVolume",
        plural: "persistentvolumes",
        singular: "persistentvolume",
        short_names: &["pv"],
        namespaced: false,
        categories: &[],
        subresources: &[status_sub!("", "v1", "PersistentVolume")],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        kind: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        short_names: &["pvc"],
        namespaced: true,
        categories: &[],
        subresources: &[status_sub!("", "v1", "PersistentVolumeClaim")],
    },
    ResourceInfo {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
        singular: "statefulset",
        short_names: &["sts"],
        namespaced: true,
        categories: &["all"],
        subresources: &[
            Subresource {
                name: "scale",
                response: ("autoscaling", "v1", "Scale"),
                verbs: GPU,
            },
            status_sub!("apps", "v1", "StatefulSet"),
        ],
    },
    ResourceInfo {
        group: "apps",
        version: "v1",
        kind: "ControllerRevision",
        plural: "controllerrevisions",
        singular: "controllerrevision",
        short_names: &[],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "discovery.k8s.io",
        version: "v1",
        kind: "EndpointSlice",
        plural: "endpointslices",
        singular: "endpointslice",
        short_names: &[],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "events.k8s.io",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        short_names: &["ev"],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "storage.k8s.io",
        version: "v1",
        kind: "StorageClass",
        plural: "storageclasses",
        singular: "storageclass",
        short_names: &["sc"],
        namespaced: false,
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        plural: "leases",
        singular: "lease",
        short_names: &[],
        namespaced: true,
        categories: &[],
        subresources: &[],
    },
];

/// Looks a resource up by group, version and plural, as a URL names it.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Looks a resource up by group and kind.
pub fn lookup_kind(group: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.group == group && r.kind == kind)
}

/// The group versions served, in discovery order: `("", "v1")` first.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_unique_per_group() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(!(a.group == b.group && a.kind == b.kind), "{} twice", a.kind);
            }
        }
    }

    #[test]
    fn lookup_finds_statefulsets_in_apps() {
        let r = lookup("apps", "v1", "statefulsets").expect("sts");
        assert_eq!(r.kind, "StatefulSet");
        assert_eq!(r.group_resource(), "statefulsets.apps");
        assert!(r.subresource("scale").is_some());
    }

    #[test]
    fn core_group_versions_come_first() {
        assert_eq!(group_versions()[0], ("", "v1"));
    }
}
