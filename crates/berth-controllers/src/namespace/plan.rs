//! Pure decisions of the namespace controller (upstream `namespaced_resources_deleter.go`).

use std::collections::BTreeSet;

use kube::discovery::verbs;

use crate::resources::ServedResource;

/// The `spec.finalizers` entry the namespace controller owns.
pub const KUBERNETES_FINALIZER: &str = "kubernetes";

/// What the controller needs to know about a namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceView {
    pub name: String,
    pub deleting: bool,
    pub spec_finalizers: Vec<String>,
}

/// What to do about a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not terminating, or already finalized by us.
    Ignore,
    /// Terminating with our finalizer: delete its content.
    Clean,
}

pub fn plan_namespace(ns: &NamespaceView) -> Decision {
    if ns.deleting && ns.spec_finalizers.iter().any(|f| f == KUBERNETES_FINALIZER) {
        Decision::Clean
    } else {
        Decision::Ignore
    }
}

/// How to delete one resource's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// `DELETE` on the collection.
    Collection,
    /// List, then delete each object.
    EachObject,
}

/// The namespaced resources to sweep and how: `deletecollection` when served, else list + delete.
pub fn plan_sweeps(resources: &[ServedResource]) -> Vec<(ServedResource, Sweep)> {
    resources
        .iter()
        .filter(|r| r.namespaced && r.supports(verbs::LIST))
        .filter_map(|r| {
            if r.supports(verbs::DELETE_COLLECTION) {
                Some((r.clone(), Sweep::Collection))
            } else if r.supports(verbs::DELETE) {
                Some((r.clone(), Sweep::EachObject))
            } else {
                None
            }
        })
        .collect()
}

/// What a list after the sweep found for one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remaining {
    /// `plural.group`.
    pub resource: String,
    pub count: usize,
    /// Finalizers of the remaining objects.
    pub finalizers: BTreeSet<String>,
}

/// After a sweep: finalize once nothing remains, else wait and report what is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Remove `kubernetes` from `spec.finalizers`, keeping these.
    Finalize { keep: Vec<String> },
    /// Content remains: sweep again later.
    Wait { remaining: Vec<Remaining> },
}

pub fn plan_outcome(ns: &NamespaceView, after: &[Remaining]) -> Outcome {
    let remaining: Vec<Remaining> = after.iter().filter(|r| r.count > 0).cloned().collect();
    if remaining.is_empty() {
        Outcome::Finalize {
            keep: ns
                .spec_finalizers
                .iter()
                .filter(|f| *f != KUBERNETES_FINALIZER)
                .cloned()
                .collect(),
        }
    } else {
        Outcome::Wait { remaining }
    }
}

/// Upstream-style `status.conditions` message for remaining content, e.g. `Some resources are
/// remaining: configmaps. has 2 resource instances`.
pub fn remaining_message(remaining: &[Remaining]) -> String {
    let parts: Vec<String> = remaining
        .iter()
        .map(|r| format!("{} has {} resource instances", r.resource, r.count))
        .collect();
    format!("Some resources are remaining: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::discovery::ApiResource;

    fn ns(deleting: bool, fins: &[&str]) -> NamespaceView {
        NamespaceView {
            name: "demo".into(),
            deleting,
            spec_finalizers: fins.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn res(plural: &str, namespaced: bool, verbs: &[&str]) -> ServedResource {
        ServedResource {
            resource: ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: plural.into(),
                plural: plural.into(),
            },
            namespaced,
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_live_namespace_is_ignored() {
        assert_eq!(plan_namespace(&ns(false, &["kubernetes"])), Decision::Ignore);
    }

    #[test]
    fn a_terminating_namespace_with_our_finalizer_is_cleaned() {
        assert_eq!(plan_namespace(&ns(true, &["kubernetes"])), Decision::Clean);
    }

    #[test]
    fn a_terminating_namespace_already_finalized_is_ignored() {
        assert_eq!(plan_namespace(&ns(true, &["example.com/other"])), Decision::Ignore);
        assert_eq!(plan_namespace(&ns(true, &[])), Decision::Ignore);
    }

    #[test]
    fn sweeps_use_deletecollection_else_per_object_delete_and_skip_cluster_scoped() {
        let sweeps = plan_sweeps(&[
            res("configmaps", true, &["list", "delete", "deletecollection"]),
            res("bindings", true, &["create"]),
            res("leases", true, &["list", "delete"]),
            res("nodes", false, &["list", "delete", "deletecollection"]),
        ]);
        let got: Vec<(&str, Sweep)> = sweeps.iter().map(|(r, s)| (r.resource.plural.as_str(), *s)).collect();
        assert_eq!(
            got,
            vec![("configmaps", Sweep::Collection), ("leases", Sweep::EachObject)]
        );
    }

    #[test]
    fn nothing_remaining_finalizes_keeping_other_spec_finalizers() {
        let after = vec![Remaining {
            resource: "pods".into(),
            count: 0,
            finalizers: BTreeSet::new(),
        }];
        assert_eq!(
            plan_outcome(&ns(true, &["kubernetes", "example.com/x"]), &after),
            Outcome::Finalize {
                keep: vec!["example.com/x".into()]
            }
        );
    }

    #[test]
    fn remaining_content_waits_and_names_what_is_left() {
        let left = Remaining {
            resource: "pods".into(),
            count: 2,
            finalizers: BTreeSet::new(),
        };
        let after = vec![
            Remaining {
                resource: "configmaps".into(),
                count: 0,
                finalizers: BTreeSet::new(),
            },
            left.clone(),
        ];
        let out = plan_outcome(&ns(true, &["kubernetes"]), &after);
        assert_eq!(
            out,
            Outcome::Wait {
                remaining: vec![left.clone()]
            }
        );
        assert_eq!(
            remaining_message(&[left]),
            "Some resources are remaining: pods has 2 resource instances"
        );
    }
}
