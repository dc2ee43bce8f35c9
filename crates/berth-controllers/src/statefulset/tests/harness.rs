//! Upstream's test drivers and invariants (`scaleUpStatefulSetControl`,
//! `scaleDownStatefulSetControl`, `updateStatefulSetControl`, `assertMonotonicInvariants`,
//! `assertBurstInvariants`, `assertUpdateInvariants`, `checkClaimInvariants`).

use super::world::World;
use crate::statefulset::exec::SyncError;
use crate::statefulset::identity::{
    claims_for, identity_matches, ordinal_of, pod_revision, replicas, start_ordinal, storage_matches,
};
use crate::statefulset::plan::{allows_burst, update_strategy_type};
use crate::statefulset::pods::{is_running_and_ready, is_terminating};
use crate::statefulset::retention::{policy, Retention};

const MAX_STEPS: usize = 2_000;

/// A small deterministic generator for the "random pod" upstream's drivers pick.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1)
    }
    pub fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as usize
    }
}

/// Checks the invariants for the world's set after a sync; `Err` names the broken one.
pub fn invariants(w: &World) -> Result<(), String> {
    let set = w.set();
    let pods = w.pods();
    if !allows_burst(&set) {
        for (i, pod) in pods.iter().enumerate() {
            if i > 0 && is_running_and_ready(pod) && !is_running_and_ready(&pods[i - 1]) {
                return Err(format!("{:?} is ready while its predecessor is not", pod.metadata.name));
            }
            let ord = ordinal_of(pod.metadata.name.as_deref().unwrap_or_default());
            if ord != i as i32 + start_ordinal(&set) {
                return Err(format!("pods are not contiguous: {:?}", w.ordinals()));
            }
        }
    }
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if !identity_matches(&set, pod) {
            return Err(format!("identity of {name} does not match"));
        }
        if !storage_matches(&set, pod) {
            return Err(format!("storage of {name} does not match"));
        }
        check_claims(w, pod)?;
    }
    Ok(())
}

/// Claims exist (unless whenScaled=Delete) and carry the refs of the policy matrix (Ready pods).
pub fn check_claims(w: &World, pod: &k8s_openapi::api::core::v1::Pod) -> Result<(), String> {
    let set = w.set();
    let ord = ordinal_of(pod.metadata.name.as_deref().unwrap_or_default());
    let (scaled, deleted) = policy(&set);
    for (_, claim) in claims_for(&set, ord) {
        let cname = claim.metadata.name.clone().unwrap_or_default();
        let Some(c) = w.claim(&cname) else {
            if scaled == Retention::Retain {
                return Err(format!("claim {cname} is missing"));
            }
            continue;
        };
        if !is_running_and_ready(pod) {
            continue;
        }
        let refs = c.metadata.owner_references.clone().unwrap_or_default();
        let set_ref = refs
            .iter()
            .any(|r| r.uid == "test" && r.kind == "StatefulSet" && r.controller == Some(true));
        let pod_ref = refs.iter().any(|r| r.kind == "Pod");
        let in_range = crate::statefulset::identity::in_ordinal_range(&set, ord);
        let want_set = deleted == Retention::Delete && (in_range || scaled != Retention::Delete);
        let want_pod = scaled == Retention::Delete && !in_range;
        if set_ref != want_set || pod_ref != want_pod {
            return Err(format!(
                "claim {cname} refs {refs:?} do not match the policy ({scaled:?}/{deleted:?})"
            ));
        }
    }
    Ok(())
}

/// Syncs and advances one random pod until `readyReplicas == replicas`.
pub fn scale_up(w: &World, rng: &mut Rng) -> Result<(), SyncError> {
    for _ in 0..MAX_STEPS {
        let want = replicas(&w.set());
        if w.status().ready_replicas.unwrap_or(0) == want && w.status().replicas == want {
            return Ok(());
        }
        w.kubelet_step(rng.next());
        w.sync()?;
        if let Err(e) = invariants(w) {
            panic!("invariant broken: {e}");
        }
    }
    panic!("scale up did not converge: {:?}", w.status())
}

/// Syncs, finishing terminations, until `status.replicas == spec.replicas` and all are Ready.
pub fn scale_down(w: &World) -> Result<(), SyncError> {
    for _ in 0..MAX_STEPS {
        w.sync()?;
        if let Err(e) = invariants(w) {
            panic!("invariant broken: {e}");
        }
        let st = w.status();
        let want = replicas(&w.set());
        if st.replicas == want && w.pods().len() == want as usize {
            return Ok(());
        }
        w.kubelet_all();
    }
    panic!("scale down did not converge: {:?}", w.status())
}

/// Upstream `updateComplete`.
pub fn update_complete(w: &World) -> bool {
    let set = w.set();
    let st = w.status();
    let want = replicas(&set);
    let pods = w.pods();
    if pods.len() as i32 != want || st.ready_replicas.unwrap_or(0) != want {
        return false;
    }
    if update_strategy_type(&set) != "RollingUpdate" {
        return true;
    }
    let partition = set
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);
    let update = st.update_revision.clone().unwrap_or_default();
    if partition <= 0 {
        let current = st.current_revision.clone().unwrap_or_default();
        st.current_replicas.unwrap_or(0) == want && pods.iter().all(|p| pod_revision(p) == current)
    } else {
        pods.iter().skip(partition as usize).all(|p| pod_revision(p) == update)
    }
}

/// Upstream `assertUpdateInvariants`: the first `currentReplicas` pods carry the current
/// revision and the last `updatedReplicas` the update revision.
pub fn update_invariants(w: &World) -> Result<(), String> {
    let set = w.set();
    let st = w.status();
    let pods: Vec<_> = w.pods().into_iter().filter(|p| !is_terminating(p)).collect();
    for pod in &pods {
        if !identity_matches(&set, pod) || !storage_matches(&set, pod) {
            return Err(format!("{:?} identity or storage", pod.metadata.name));
        }
    }
    if update_strategy_type(&set) == "RollingUpdate"
        && set
            .spec
            .as_ref()
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.rolling_update.as_ref())
            .is_none()
    {
        let cur = st.current_revision.clone().unwrap_or_default();
        let upd = st.update_revision.clone().unwrap_or_default();
        let c = st.current_replicas.unwrap_or(0).max(0) as usize;
        let u = st.updated_replicas.unwrap_or(0).max(0) as usize;
        if pods.iter().take(c).any(|p| pod_revision(p) != cur) {
            return Err(format!("the first {c} pods are not at {cur}"));
        }
        if pods.iter().rev().take(u).any(|p| pod_revision(p) != upd) {
            return Err(format!("the last {u} pods are not at {upd}"));
        }
    }
    Ok(())
}

/// Upstream `updateStatefulSetControl`: syncs and advances pods until the update is complete.
pub fn update(w: &World, rng: &mut Rng) -> Result<(), SyncError> {
    w.sync()?;
    for _ in 0..MAX_STEPS {
        if update_complete(w) {
            return Ok(());
        }
        w.kubelet_step(rng.next());
        w.sync()?;
        if let Err(e) = update_invariants(w) {
            panic!("update invariant broken: {e}");
        }
    }
    panic!(
        "update did not converge: {:?} {:?}",
        w.status(),
        w.pods().iter().map(pod_revision).collect::<Vec<_>>()
    )
}

pub fn images(w: &World) -> Vec<String> {
    w.pods()
        .iter()
        .map(|p| {
            p.spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .and_then(|c| c.image.clone())
                .unwrap_or_default()
        })
        .collect()
}
