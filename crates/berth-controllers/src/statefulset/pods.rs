//! Pod predicates (created, ready, available, terminating) and the status counts computed from a
//! set's pods (upstream `stateful_set_utils.go` predicates and `updateStatus`/`computeReplicaStatus`).

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::identity::pod_revision;

pub fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or_default()
}

/// Has a phase, i.e. the API server has seen it (upstream `isCreated`).
pub fn is_created(pod: &Pod) -> bool {
    !phase(pod).is_empty()
}

pub fn is_pending(pod: &Pod) -> bool {
    phase(pod) == "Pending"
}

pub fn is_failed(pod: &Pod) -> bool {
    phase(pod) == "Failed"
}

pub fn is_succeeded(pod: &Pod) -> bool {
    phase(pod) == "Succeeded"
}

pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// The `Ready` condition's status and last transition time.
fn ready_condition(pod: &Pod) -> Option<(bool, Option<Timestamp>)> {
    let c = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    Some((c.status == "True", c.last_transition_time.as_ref().map(|t| t.0)))
}

pub fn is_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|(r, _)| r)
}

pub fn is_running_and_ready(pod: &Pod) -> bool {
    phase(pod) == "Running" && is_ready(pod)
}

/// Upstream `podutil.IsPodAvailable`: Ready, and Ready for longer than `min_ready_seconds`.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    match ready_condition(pod) {
        Some((true, since)) => {
            min_ready_seconds <= 0
                || since.is_some_and(|t| t + SignedDuration::from_secs(i64::from(min_ready_seconds)) < now)
        }
        _ => false,
    }
}

/// Upstream `isRunningAndAvailable`. Like upstream it checks availability only (which implies Ready).
pub fn is_running_and_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    is_available(pod, min_ready_seconds, now)
}

/// Upstream 1.32 `isHealthy`: Running, Ready and not terminating.
pub fn is_healthy(pod: &Pod) -> bool {
    is_running_and_ready(pod) && !is_terminating(pod)
}

/// When a Ready pod that is not yet available becomes available, if it will.
pub fn available_at(pod: &Pod, min_ready_seconds: i32) -> Option<Timestamp> {
    match ready_condition(pod) {
        Some((true, Some(t))) if min_ready_seconds > 0 => {
            Some(t + SignedDuration::from_secs(i64::from(min_ready_seconds)))
        }
        _ => None,
    }
}

pub fn min_ready_seconds(set: &StatefulSet) -> i32 {
    set.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0)
}

/// Counts of a status over a set of pods (upstream `computeReplicaStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub current: i32,
    pub updated: i32,
}

pub fn count<'a>(
    pods: impl IntoIterator<Item = &'a Pod>,
    min_ready_seconds: i32,
    current_revision: &str,
    update_revision: &str,
    now: Timestamp,
) -> Counts {
    let mut c = Counts::default();
    for pod in pods {
        if !is_created(pod) {
            continue;
        }
        c.replicas += 1;
        if is_running_and_ready(pod) {
            c.ready += 1;
            if is_available(pod, min_ready_seconds, now) {
                c.available += 1;
            }
        }
        if !is_terminating(pod) {
            let rev = pod_revision(pod);
            if rev == current_revision {
                c.current += 1;
            }
            if rev == update_revision {
                c.updated += 1;
            }
        }
    }
    c
}

pub fn apply_counts(status: &mut StatefulSetStatus, c: Counts) {
    status.replicas = c.replicas;
    status.ready_replicas = Some(c.ready);
    status.available_replicas = Some(c.available);
    status.current_replicas = Some(c.current);
    status.updated_replicas = Some(c.updated);
}

/// Upstream `completeRollingUpdate` (≤1.35): a finished RollingUpdate promotes the update revision.
pub fn complete_rolling_update(set: &StatefulSet, status: &mut StatefulSetStatus) {
    let rolling = super::plan::update_strategy_type(set) == "RollingUpdate";
    let want = super::identity::replicas(set);
    if rolling
        && status.updated_replicas.unwrap_or(0) == want
        && status.ready_replicas.unwrap_or(0) == want
        && status.replicas == want
    {
        status.current_replicas = status.updated_replicas;
        status.current_revision = status.update_revision.clone();
    }
}

/// Upstream `inconsistentStatus`: whether `status` differs from the stored one in a field the
/// controller owns (collisionCount and conditions are not compared).
pub fn inconsistent_status(set: &StatefulSet, status: &StatefulSetStatus) -> bool {
    let old = set.status.clone().unwrap_or_default();
    let n = |v: Option<i32>| v.unwrap_or(0);
    status.observed_generation.unwrap_or(0) > old.observed_generation.unwrap_or(0)
        || status.replicas != old.replicas
        || n(status.current_replicas) != n(old.current_replicas)
        || n(status.ready_replicas) != n(old.ready_replicas)
        || n(status.updated_replicas) != n(old.updated_replicas)
        || status.current_revision.as_deref().unwrap_or_default() != old.current_revision.as_deref().unwrap_or_default()
        || n(status.available_replicas) != n(old.available_replicas)
        || status.update_revision.as_deref().unwrap_or_default() != old.update_revision.as_deref().unwrap_or_default()
}
