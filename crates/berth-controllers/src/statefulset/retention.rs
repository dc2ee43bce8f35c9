//! `persistentVolumeClaimRetentionPolicy` through PVC ownerReferences: which refs a member's claim
//! should carry, and when a claim is stale (upstream `isClaimOwnerUpToDate`,
//! `updateClaimOwnerRefForSetAndPod`, `PodClaimIsStale`, 1.32 controller-ref semantics).

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::identity::{in_ordinal_range, ordinal_of, set_controller_ref, set_name, set_uid};

/// One side of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    Retain,
    Delete,
}

/// `(whenScaled, whenDeleted)`; missing or unknown values are Retain.
pub fn policy(set: &StatefulSet) -> (Retention, Retention) {
    let p = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref());
    let side = |v: Option<&String>| {
        if v.map(String::as_str) == Some("Delete") {
            Retention::Delete
        } else {
            Retention::Retain
        }
    };
    (
        side(p.and_then(|p| p.when_scaled.as_ref())),
        side(p.and_then(|p| p.when_deleted.as_ref())),
    )
}

/// The member pod a claim belongs to: its name and uid (`""` before it is created).
#[derive(Clone, Copy, Debug)]
pub struct PodRef<'a> {
    pub name: &'a str,
    pub uid: &'a str,
}

fn refs(claim: &PersistentVolumeClaim) -> &[OwnerReference] {
    claim.metadata.owner_references.as_deref().unwrap_or_default()
}

fn matches_set(r: &OwnerReference, set: &StatefulSet) -> bool {
    r.api_version == "apps/v1" && r.kind == "StatefulSet" && r.name == set_name(set)
}

fn matches_pod(r: &OwnerReference, pod: PodRef<'_>) -> bool {
    r.api_version == "v1" && r.kind == "Pod" && r.name == pod.name
}

/// A ref to an object of the same kind and name with another uid (a previous incarnation).
pub fn has_stale_set_ref(claim: &PersistentVolumeClaim, set: &StatefulSet) -> bool {
    refs(claim)
        .iter()
        .find(|r| matches_set(r, set))
        .is_some_and(|r| r.uid != set_uid(set))
}

pub fn has_stale_pod_ref(claim: &PersistentVolumeClaim, pod: PodRef<'_>) -> bool {
    refs(claim)
        .iter()
        .find(|r| matches_pod(r, pod))
        .is_some_and(|r| r.uid != pod.uid)
}

fn has_ref_uid(claim: &PersistentVolumeClaim, uid: &str) -> bool {
    !uid.is_empty() && refs(claim).iter().any(|r| r.uid == uid)
}

/// Another object controls the claim, or a same-named set/pod ref has another uid; never under
/// Retain/Retain (upstream `hasUnexpectedController`).
pub fn has_unexpected_controller(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: PodRef<'_>) -> bool {
    if policy(set) == (Retention::Retain, Retention::Retain) {
        return false;
    }
    for r in refs(claim) {
        if matches_set(r, set) {
            if r.uid != set_uid(set) {
                return true;
            }
            continue;
        }
        if matches_pod(r, pod) {
            if r.uid != pod.uid {
                return true;
            }
            continue;
        }
        if r.controller == Some(true) {
            return true;
        }
    }
    false
}

fn has_non_controller_owner(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: PodRef<'_>) -> bool {
    refs(claim)
        .iter()
        .any(|r| (r.uid == set_uid(set) || (!pod.uid.is_empty() && r.uid == pod.uid)) && r.controller != Some(true))
}

fn scaled_down(set: &StatefulSet, pod: PodRef<'_>) -> bool {
    !in_ordinal_range(set, ordinal_of(pod.name))
}

/// Whether the claim's refs agree with the policy; stale or foreign-controlled claims count as
/// up to date so they are left alone (upstream `isClaimOwnerUpToDate`).
pub fn is_claim_owner_up_to_date(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: PodRef<'_>) -> bool {
    if has_stale_set_ref(claim, set) || has_stale_pod_ref(claim, pod) {
        return true;
    }
    let set_ref = has_ref_uid(claim, set_uid(set));
    let pod_ref = has_ref_uid(claim, pod.uid);
    if has_unexpected_controller(claim, set, pod) {
        return !(set_ref || pod_ref);
    }
    if has_non_controller_owner(claim, set, pod) {
        return false;
    }
    let down = scaled_down(set, pod);
    match policy(set) {
        (Retention::Retain, Retention::Retain) => !set_ref && !pod_ref,
        (Retention::Retain, Retention::Delete) => set_ref && !pod_ref,
        (Retention::Delete, Retention::Retain) => !set_ref && down == pod_ref,
        (Retention::Delete, Retention::Delete) => down != set_ref && down == pod_ref,
    }
}

fn pod_controller_ref(pod: PodRef<'_>) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: pod.name.to_string(),
        uid: pod.uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The refs the claim should carry (upstream `updateClaimOwnerRefForSetAndPod`): our refs scrubbed,
/// then the policy's controller refs added unless another controller owns the claim.
pub fn desired_owner_refs(claim: &PersistentVolumeClaim, set: &StatefulSet, pod: PodRef<'_>) -> Vec<OwnerReference> {
    let unexpected = has_unexpected_controller(claim, set, pod);
    let mut out: Vec<OwnerReference> = refs(claim)
        .iter()
        .filter(|r| !matches_set(r, set) && !matches_pod(r, pod))
        .cloned()
        .collect();
    if unexpected {
        return out;
    }
    let down = scaled_down(set, pod);
    let (scaled, deleted) = policy(set);
    if scaled == Retention::Delete && down {
        out.push(pod_controller_ref(pod));
    }
    if deleted == Retention::Delete && !(scaled == Retention::Delete && down) {
        out.push(set_controller_ref(set));
    }
    out
}

/// The refs a claim created for an in-range pod starts with (whenDeleted=Delete: the set).
pub fn initial_owner_refs(set: &StatefulSet, pod: PodRef<'_>) -> Option<Vec<OwnerReference>> {
    let probe = PersistentVolumeClaim::default();
    let refs = desired_owner_refs(&probe, set, pod);
    (!refs.is_empty() && refs.iter().all(|r| !r.uid.is_empty())).then_some(refs)
}

/// Under whenScaled=Delete, an existing claim with a ref to a previous pod of the same name blocks
/// creating the pod until the garbage collector removes it (upstream `PodClaimIsStale`).
pub fn pod_claim_is_stale<'a>(
    set: &StatefulSet,
    pod: PodRef<'_>,
    claims: impl IntoIterator<Item = &'a PersistentVolumeClaim>,
) -> bool {
    if policy(set).0 == Retention::Retain {
        return false;
    }
    claims.into_iter().any(|c| has_stale_pod_ref(c, pod))
}
