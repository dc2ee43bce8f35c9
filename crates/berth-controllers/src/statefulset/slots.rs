//! The members of a sync: each ordinal of `[start, start+replicas)` with its pod, or the pod the
//! sync would create there, and the condemned pods beyond the range (upstream `updateStatefulSet`'s
//! `replicas`/`condemned` split and `newVersionedStatefulSetPod`).
//!
//! A missing member is known by its ordinal and revision only; its pod is built when a step
//! creates it, so a sync that stops early (OrderedReady) builds at most the one pod it creates.

use std::borrow::Cow;

use k8s_openapi::api::apps::v1::{RollingUpdateStatefulSetStrategy, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use super::control::Context;
use super::identity::{new_pod, ordinal_of, pod_name, pod_revision, replicas, set_pod_revision, start_ordinal};
use super::plan::{update_strategy_type, Action};
use super::pods::{is_running_and_available, is_terminating};

/// A slot of `[start, start+replicas)`: an existing pod, or the one that would be created (which
/// has no status yet: it is neither terminating nor available).
pub enum Slot<'a> {
    Existing(&'a Pod),
    New { ordinal: i32, revision: &'a str },
}

fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or_default()
}

impl Slot<'_> {
    /// The member's name (`set` is the set the slots were placed for).
    pub fn name(&self, set: &StatefulSet) -> Cow<'_, str> {
        match self {
            Slot::Existing(p) => Cow::Borrowed(name(p)),
            Slot::New { ordinal, .. } => Cow::Owned(pod_name(set, *ordinal)),
        }
    }

    pub fn revision(&self) -> &str {
        match self {
            Slot::Existing(p) => pod_revision(p),
            Slot::New { revision, .. } => revision,
        }
    }

    pub fn is_terminating(&self) -> bool {
        matches!(self, Slot::Existing(p) if is_terminating(p))
    }

    /// Not yet at the update revision and not on its way out.
    pub fn is_outdated(&self, update_revision: &str) -> bool {
        self.revision() != update_revision && !self.is_terminating()
    }

    /// Upstream `isRunningAndAvailable`.
    pub fn is_available(&self, min_ready_seconds: i32, now: Timestamp) -> bool {
        matches!(self, Slot::Existing(p) if is_running_and_available(p, min_ready_seconds, now))
    }

    /// Not available, or terminating (upstream `isUnavailable`).
    pub fn is_unavailable(&self, min_ready_seconds: i32, now: Timestamp) -> bool {
        !self.is_available(min_ready_seconds, now) || self.is_terminating()
    }

    /// Deletes the member (with its uid as a precondition when it exists).
    pub fn delete(&self, set: &StatefulSet) -> Action {
        let uid = match self {
            Slot::Existing(pod) => Some(pod.metadata.uid.clone().unwrap_or_default()),
            Slot::New { .. } => None,
        };
        Action::DeletePod {
            name: self.name(set).into_owned(),
            uid,
        }
    }
}

/// The slots in ordinal order, and the condemned pods highest ordinal first; pods whose name has
/// no ordinal are neither.
pub fn place<'a>(cx: &Context<'a>, pods: &[&'a Pod]) -> (Vec<Slot<'a>>, Vec<&'a Pod>) {
    let start = start_ordinal(cx.set);
    let count = usize::try_from(replicas(cx.set)).unwrap_or(0);
    let mut slots: Vec<Option<&Pod>> = vec![None; count];
    let mut condemned: Vec<&Pod> = Vec::new();
    for &pod in pods {
        let ord = ordinal_of(name(pod));
        if ord < 0 {
            continue;
        }
        match usize::try_from(ord - start) {
            Ok(i) if i < count => slots[i] = Some(pod),
            _ => condemned.push(pod),
        }
    }
    let slots = slots
        .into_iter()
        .enumerate()
        .map(|(i, p)| match p {
            Some(p) => Slot::Existing(p),
            None => {
                let ordinal = start + i as i32;
                Slot::New {
                    ordinal,
                    revision: new_pod_source(cx, ordinal).1,
                }
            }
        })
        .collect();
    condemned.sort_by_key(|p| std::cmp::Reverse(ordinal_of(name(p))));
    (slots, condemned)
}

pub fn rolling_update(set: &StatefulSet) -> Option<&RollingUpdateStatefulSetStrategy> {
    set.spec.as_ref()?.update_strategy.as_ref()?.rolling_update.as_ref()
}

/// Upstream `newVersionedStatefulSetPod`'s choice: below the partition (or below
/// `currentReplicas` without `rollingUpdate`) a new pod gets the current revision, else the
/// update revision. The set to build it from, and the revision.
fn new_pod_source<'a>(cx: &Context<'a>, ordinal: i32) -> (&'a StatefulSet, &'a str) {
    let set = cx.current_set;
    let start = start_ordinal(set);
    let use_current = update_strategy_type(set) == "RollingUpdate"
        && match rolling_update(set) {
            None => ordinal < start + set.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0),
            Some(ru) => ordinal < start + ru.partition.unwrap_or(0),
        };
    if use_current {
        (cx.current_set, cx.current_revision)
    } else {
        (cx.update_set, cx.update_revision)
    }
}

/// Upstream `newVersionedStatefulSetPod`.
pub fn new_versioned_pod(cx: &Context<'_>, ordinal: i32) -> Pod {
    let (source, revision) = new_pod_source(cx, ordinal);
    let mut pod = match source.spec.as_ref() {
        Some(spec) => new_pod(source, &spec.template, ordinal),
        None => new_pod(source, &Default::default(), ordinal),
    };
    set_pod_revision(&mut pod, revision);
    pod
}
