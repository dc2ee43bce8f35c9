//! The pvc-protection and pv-protection controllers (upstream `pkg/controller/volume/pvcprotection`
//! and `pvprotection`): a claim a scheduled, running pod uses, or a Bound volume, keeps its
//! finalizer while it is being deleted; the finalizer goes once it is free. Objects created without
//! the finalizer (before the API server's admission added it) get it here.

use std::collections::BTreeMap;

use crate::volume::model::{Claim, ClaimKey, PodClaims, Scope, Volume, PVC_PROTECTION, PV_PROTECTION};

/// One finalizer change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    AddClaimFinalizer(ClaimKey),
    RemoveClaimFinalizer(ClaimKey),
    AddVolumeFinalizer(String),
    RemoveVolumeFinalizer(String),
}

/// Whether a pod on a node that has not finished uses the claim (upstream `podUsesPVC`).
pub fn claim_in_use(claim: &Claim, pods: &BTreeMap<(String, String), PodClaims>) -> bool {
    pods.values().any(|p| {
        p.namespace == claim.namespace && p.node_name.is_some() && !p.terminated && p.claims.contains(&claim.name)
    })
}

pub fn plan(
    claims: &BTreeMap<ClaimKey, Claim>,
    volumes: &BTreeMap<String, Volume>,
    pods: &BTreeMap<(String, String), PodClaims>,
) -> Vec<Action> {
    plan_in(claims, volumes, pods, Scope::All)
}

/// [`plan`]'s actions for the claims and volumes in `scope`.
pub fn plan_in(
    claims: &BTreeMap<ClaimKey, Claim>,
    volumes: &BTreeMap<String, Volume>,
    pods: &BTreeMap<(String, String), PodClaims>,
    scope: Scope<'_>,
) -> Vec<Action> {
    let mut out = Vec::new();
    for c in scope.claims(claims) {
        let has = c.finalizers.iter().any(|f| f == PVC_PROTECTION);
        if c.deleting && has && !claim_in_use(c, pods) {
            out.push(Action::RemoveClaimFinalizer(c.key()));
        } else if !c.deleting && !has {
            out.push(Action::AddClaimFinalizer(c.key()));
        }
    }
    for v in scope.volumes(volumes) {
        let has = v.finalizers.iter().any(|f| f == PV_PROTECTION);
        if v.deleting && has && v.phase != "Bound" {
            out.push(Action::RemoveVolumeFinalizer(v.name.clone()));
        } else if !v.deleting && !has {
            out.push(Action::AddVolumeFinalizer(v.name.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(name: &str, deleting: bool, finalized: bool) -> Claim {
        Claim {
            namespace: "default".into(),
            name: name.into(),
            deleting,
            finalizers: if finalized { vec![PVC_PROTECTION.into()] } else { vec![] },
            ..Claim::default()
        }
    }

    fn pod(name: &str, claim: &str, node: bool, terminated: bool) -> ((String, String), PodClaims) {
        let p = PodClaims {
            namespace: "default".into(),
            name: name.into(),
            node_name: node.then(|| "berth".into()),
            claims: vec![claim.into()],
            terminated,
            ..PodClaims::default()
        };
        (("default".into(), name.into()), p)
    }

    fn key(name: &str) -> ClaimKey {
        ClaimKey {
            namespace: "default".into(),
            name: name.into(),
        }
    }

    #[test]
    fn a_deleted_claim_keeps_its_finalizer_while_a_running_pod_uses_it() {
        let claims: BTreeMap<_, _> = [claim("www-web-0", true, true)]
            .into_iter()
            .map(|c| (c.key(), c))
            .collect();
        let running = BTreeMap::from([pod("web-0", "www-web-0", true, false)]);
        assert_eq!(plan(&claims, &BTreeMap::new(), &running), vec![]);
        let finished = BTreeMap::from([pod("web-0", "www-web-0", true, true)]);
        assert_eq!(
            plan(&claims, &BTreeMap::new(), &finished),
            vec![Action::RemoveClaimFinalizer(key("www-web-0"))]
        );
        let unscheduled = BTreeMap::from([pod("web-0", "www-web-0", false, false)]);
        assert_eq!(
            plan(&claims, &BTreeMap::new(), &unscheduled),
            vec![Action::RemoveClaimFinalizer(key("www-web-0"))]
        );
        let other_claim = BTreeMap::from([pod("web-1", "www-web-1", true, false)]);
        assert_eq!(
            plan(&claims, &BTreeMap::new(), &other_claim),
            vec![Action::RemoveClaimFinalizer(key("www-web-0"))]
        );
    }

    #[test]
    fn live_objects_without_the_finalizer_get_it() {
        let claims: BTreeMap<_, _> = [claim("a", false, false), claim("b", false, true)]
            .into_iter()
            .map(|c| (c.key(), c))
            .collect();
        let volumes = BTreeMap::from([(
            "pv1".to_string(),
            Volume {
                name: "pv1".into(),
                ..Volume::default()
            },
        )]);
        assert_eq!(
            plan(&claims, &volumes, &BTreeMap::new()),
            vec![
                Action::AddClaimFinalizer(key("a")),
                Action::AddVolumeFinalizer("pv1".into())
            ]
        );
    }

    #[test]
    fn a_deleted_volume_keeps_its_finalizer_while_bound() {
        let mut v = Volume {
            name: "pv1".into(),
            deleting: true,
            finalizers: vec![PV_PROTECTION.into()],
            phase: "Bound".into(),
            ..Volume::default()
        };
        let volumes = |v: &Volume| BTreeMap::from([(v.name.clone(), v.clone())]);
        assert_eq!(plan(&BTreeMap::new(), &volumes(&v), &BTreeMap::new()), vec![]);
        v.phase = "Released".into();
        assert_eq!(
            plan(&BTreeMap::new(), &volumes(&v), &BTreeMap::new()),
            vec![Action::RemoveVolumeFinalizer("pv1".into())]
        );
    }
}
