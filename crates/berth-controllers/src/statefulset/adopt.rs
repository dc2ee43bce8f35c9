//! Which pods and revisions a set claims, adopts or releases (upstream `ClaimObject` in
//! `controller_ref_manager.go` and `adoptOrphanRevisions`).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::Pod;

use super::identity::{controller_of, is_member_name, set_namespace, set_uid};
use super::plan::Action;
use super::selector;

/// The pods a set owns after adoption and release, and the actions that get it there.
pub struct Claimed<'a> {
    pub pods: Vec<&'a Pod>,
    pub actions: Vec<Action>,
}

fn uid_of(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

/// Applies `ClaimObject` to every pod: keep ours that match (selector and `<set>-<int>` name),
/// release ours that do not, adopt matching orphans; a set being deleted neither adopts nor releases.
pub fn claim_pods<'a>(set: &StatefulSet, pods: &'a [Arc<Pod>]) -> Claimed<'a> {
    let selector = set.spec.as_ref().map(|s| &s.selector);
    let deleting = set.metadata.deletion_timestamp.is_some();
    let mut out = Claimed {
        pods: Vec::new(),
        actions: Vec::new(),
    };
    for pod in pods.iter().map(|p| &**p) {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let matched =
            selector.is_some_and(|s| selector::matches(s, pod.metadata.labels.as_ref())) && is_member_name(set, name);
        match controller_of(&pod.metadata) {
            Some(r) if r.uid != set_uid(set) => {}
            Some(_) if matched => out.pods.push(pod),
            Some(_) => {
                if !deleting {
                    out.actions.push(Action::ReleasePod {
                        name: name.to_string(),
                        uid: uid_of(pod),
                    });
                }
            }
            None => {
                let same_ns = pod.metadata.namespace.as_deref().unwrap_or_default() == set_namespace(set);
                if matched && !deleting && pod.metadata.deletion_timestamp.is_none() && same_ns {
                    out.actions.push(Action::AdoptPod {
                        name: name.to_string(),
                        uid: uid_of(pod),
                    });
                    out.pods.push(pod);
                }
            }
        }
    }
    out
}

/// The set's revision history (upstream `ListRevisions`): revisions in its namespace whose labels
/// match its selector and that it owns or that are orphans; plus adoption of the orphans.
pub fn claim_revisions<'a>(
    set: &StatefulSet,
    revisions: &'a [Arc<ControllerRevision>],
) -> (Vec<&'a ControllerRevision>, Vec<Action>) {
    let Some(selector) = set.spec.as_ref().map(|s| &s.selector) else {
        return (Vec::new(), Vec::new());
    };
    let mut history = Vec::new();
    let mut actions = Vec::new();
    for rev in revisions.iter().map(|r| &**r) {
        if rev.metadata.namespace.as_deref().unwrap_or_default() != set_namespace(set)
            || !selector::matches(selector, rev.metadata.labels.as_ref())
        {
            continue;
        }
        match controller_of(&rev.metadata) {
            Some(r) if r.uid != set_uid(set) => continue,
            Some(_) => {}
            None => {
                if set.metadata.deletion_timestamp.is_none() {
                    actions.push(Action::AdoptRevision {
                        name: rev.metadata.name.clone().unwrap_or_default(),
                        uid: rev.metadata.uid.clone().unwrap_or_default(),
                    });
                }
            }
        }
        history.push(rev);
    }
    (history, actions)
}
