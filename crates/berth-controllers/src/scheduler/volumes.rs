//! The scheduler's volume-binding step (upstream's VolumeBinding plugin, reduced): a pod's claims
//! must exist; bound claims pin the pod to their volume's node; unbound claims of an
//! Immediate class make it wait; unbound claims of a WaitForFirstConsumer class are bound once a
//! node is chosen — a fitting static volume is pre-bound to the claim, otherwise the claim gets
//! `volume.kubernetes.io/selected-node` for its provisioner — and the pod is bound only after
//! every claim is Bound.

use std::collections::{BTreeMap, BTreeSet};

use crate::volume::binder::matching::{find_best_match, NodeView};
use crate::volume::model::{Claim, ClaimKey, ClaimRef, Class, Volume, ANN_BIND_COMPLETED, ANN_SELECTED_NODE};

/// The claims, volumes and classes the scheduler watches.
#[derive(Debug, Default)]
pub struct VolumeWorld {
    pub claims: BTreeMap<ClaimKey, Claim>,
    pub volumes: BTreeMap<String, Volume>,
    pub classes: BTreeMap<String, Class>,
}

/// What a pod's claims allow before a node is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// Schedulable; `pin` is the hostname a bound local volume requires; `delayed` are the
    /// WaitForFirstConsumer claims to bind once the node is chosen.
    Go {
        pin: Option<String>,
        delayed: Vec<ClaimKey>,
    },
    /// Not schedulable now, for this reason (upstream's wording).
    Unschedulable(String),
}

fn bound(c: &Claim) -> bool {
    !c.volume_name.is_empty() && c.annotated(ANN_BIND_COMPLETED)
}

/// Upstream `PreFilter` + `Filter` of the volume-binding plugin over the pod's claim names.
pub fn check(namespace: &str, claim_names: &[String], w: &VolumeWorld) -> Check {
    let mut pin = None;
    let mut delayed = Vec::new();
    for name in claim_names {
        let key = ClaimKey {
            namespace: namespace.into(),
            name: name.clone(),
        };
        let Some(c) = w.claims.get(&key) else {
            return Check::Unschedulable(format!("persistentvolumeclaim {name:?} not found"));
        };
        if c.deleting {
            return Check::Unschedulable(format!("persistentvolumeclaim {name:?} is being deleted"));
        }
        if bound(c) {
            if let Some(h) = w.volumes.get(&c.volume_name).and_then(|v| v.node_hostnames.first()) {
                pin = Some(h.clone());
            }
            continue;
        }
        let wffc = w.classes.get(c.class()).is_some_and(|cl| cl.wait_for_first_consumer);
        if !wffc {
            return Check::Unschedulable("pod has unbound immediate PersistentVolumeClaims".into());
        }
        delayed.push(key);
    }
    Check::Go { pin, delayed }
}

/// One write that moves a delayed claim towards Bound on the chosen node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Pre-bind a static volume to the claim (`spec.claimRef`); the binder completes it.
    Prebind { volume: String, claim: ClaimRef },
    /// Ask the claim's provisioner for a volume on `node`.
    SelectNode { claim: ClaimKey, node: String },
}

/// Upstream `FindPodVolumes` + `BindPodVolumes` for the delayed claims on `node`: the writes still
/// needed (none once every claim is on its way), or why the node cannot serve them.
pub fn bind_steps(delayed: &[ClaimKey], node: NodeView<'_>, w: &VolumeWorld) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut taken = BTreeSet::new();
    for key in delayed {
        let Some(c) = w.claims.get(key) else { continue };
        if c.annotations.get(ANN_SELECTED_NODE).is_some_and(|n| n == node.name) {
            continue;
        }
        if let Some(v) = find_best_match(c, w.volumes.values(), Some(node), &taken, true) {
            taken.insert(v.name.clone());
            if !v.bound_to(c) {
                steps.push(Step::Prebind {
                    volume: v.name.clone(),
                    claim: ClaimRef {
                        namespace: c.namespace.clone(),
                        name: c.name.clone(),
                        uid: c.uid.clone(),
                    },
                });
            }
            continue;
        }
        let provisioner = w.classes.get(c.class()).map(|cl| cl.provisioner.as_str()).unwrap_or("");
        if provisioner.is_empty() || provisioner == "kubernetes.io/no-provisioner" {
            return Err("node(s) didn't find available persistent volumes to bind".into());
        }
        steps.push(Step::SelectNode {
            claim: key.clone(),
            node: node.name.to_string(),
        });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::model::parse_quantity;

    fn claim(name: &str, class: &str) -> Claim {
        Claim {
            namespace: "default".into(),
            name: name.into(),
            uid: format!("uid-{name}"),
            storage_class_name: Some(class.into()),
            access_modes: vec!["ReadWriteOnce".into()],
            request: "1Gi".into(),
            request_bytes: parse_quantity("1Gi").expect("quantity"),
            volume_mode: "Filesystem".into(),
            ..Claim::default()
        }
    }

    fn world(claims: &[Claim]) -> VolumeWorld {
        let local = Class {
            name: "local-path".into(),
            provisioner: "rancher.io/local-path".into(),
            wait_for_first_consumer: true,
            ..Class::default()
        };
        let manual = Class {
            name: "manual".into(),
            provisioner: "kubernetes.io/no-provisioner".into(),
            wait_for_first_consumer: true,
            ..Class::default()
        };
        VolumeWorld {
            claims: claims.iter().map(|c| (c.key(), c.clone())).collect(),
            volumes: BTreeMap::new(),
            classes: [local, manual].into_iter().map(|c| (c.name.clone(), c)).collect(),
        }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn missing_and_immediate_unbound_claims_block_scheduling() {
        let w = world(&[claim("imm", "")]);
        assert_eq!(
            check("default", &names(&["nope"]), &w),
            Check::Unschedulable("persistentvolumeclaim \"nope\" not found".into())
        );
        assert_eq!(
            check("default", &names(&["imm"]), &w),
            Check::Unschedulable("pod has unbound immediate PersistentVolumeClaims".into())
        );
    }

    #[test]
    fn bound_local_volumes_pin_the_pod_and_wffc_claims_are_delayed() {
        let mut b = claim("www-web-0", "local-path");
        b.volume_name = "pvc-1".into();
        b.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
        let mut w = world(&[b, claim("www-web-1", "local-path")]);
        w.volumes.insert(
            "pvc-1".into(),
            Volume {
                name: "pvc-1".into(),
                node_hostnames: vec!["berth".into()],
                ..Volume::default()
            },
        );
        let key1 = ClaimKey {
            namespace: "default".into(),
            name: "www-web-1".into(),
        };
        assert_eq!(
            check("default", &names(&["www-web-0", "www-web-1"]), &w),
            Check::Go {
                pin: Some("berth".into()),
                delayed: vec![key1.clone()]
            }
        );
        let labels = BTreeMap::from([("kubernetes.io/hostname".to_string(), "berth".to_string())]);
        let node = NodeView {
            name: "berth",
            labels: &labels,
        };
        assert_eq!(
            bind_steps(std::slice::from_ref(&key1), node, &w),
            Ok(vec![Step::SelectNode {
                claim: key1.clone(),
                node: "berth".into()
            }])
        );
        // Once selected, nothing more to write: wait for the provisioner.
        w.claims
            .get_mut(&key1)
            .expect("claim")
            .annotations
            .insert(ANN_SELECTED_NODE.into(), "berth".into());
        assert_eq!(bind_steps(&[key1], node, &w), Ok(vec![]));
    }

    #[test]
    fn a_static_wffc_volume_is_prebound_and_without_one_a_no_provisioner_class_fails() {
        let c = claim("data", "manual");
        let mut w = world(std::slice::from_ref(&c));
        let labels = BTreeMap::from([("kubernetes.io/hostname".to_string(), "berth".to_string())]);
        let node = NodeView {
            name: "berth",
            labels: &labels,
        };
        assert_eq!(
            bind_steps(&[c.key()], node, &w),
            Err("node(s) didn't find available persistent volumes to bind".into())
        );
        w.volumes.insert(
            "local-1".into(),
            Volume {
                name: "local-1".into(),
                storage_class: "manual".into(),
                capacity_bytes: 2e9,
                access_modes: vec!["ReadWriteOnce".into()],
                volume_mode: "Filesystem".into(),
                phase: "Available".into(),
                node_hostnames: vec!["berth".into()],
                ..Volume::default()
            },
        );
        let want = Step::Prebind {
            volume: "local-1".into(),
            claim: ClaimRef {
                namespace: "default".into(),
                name: "data".into(),
                uid: "uid-data".into(),
            },
        };
        assert_eq!(bind_steps(&[c.key()], node, &w), Ok(vec![want]));
    }
}
