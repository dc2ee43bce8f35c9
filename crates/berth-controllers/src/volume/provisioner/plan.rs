//! Pure decisions of the local provisioner: which claims get a volume, which volumes lose their
//! directory, which grow.

use std::collections::BTreeMap;

use super::{PROVISIONER, PROVISIONER_FINALIZER};
use crate::volume::binder::plan::{EventNote, Target};
use crate::volume::model::{
    Claim, ClaimKey, Class, Scope, Volume, ANN_BIND_COMPLETED, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
};

/// The node this provisioner serves (berth runs one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub node_name: String,
}

/// What to provision for one claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Provision {
    pub claim: ClaimKey,
    pub claim_uid: String,
    pub claim_resource_version: String,
    /// `pvc-<claim uid>`, as upstream's external provisioners name volumes.
    pub volume: String,
    /// `<volume>_<namespace>_<claim>`, local-path-provisioner's directory name.
    pub dir: String,
    pub node: String,
    pub capacity: String,
    pub access_modes: Vec<String>,
    pub reclaim_policy: String,
    pub class: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Provision(Provision),
    /// Remove the directory `dir` (under the volumes root), then the volume object and the
    /// provisioner's finalizer.
    Delete {
        volume: String,
        dir: String,
    },
    /// The volume is being deleted and keeps its data (Retain): only drop the finalizer.
    ReleaseFinalizer {
        volume: String,
    },
    /// Grow the volume to the claim's request.
    Expand {
        volume: String,
        capacity: String,
    },
    Event(EventNote),
}

/// The directory a volume of ours uses, if its path is `<root>/<one valid name>`.
pub fn dir_of(volume: &Volume, root: &str) -> Option<String> {
    let path = volume.path.as_deref()?;
    let name = path.strip_prefix(root)?.strip_prefix('/')?;
    super::dirs::valid_name(name).then(|| name.to_string())
}

/// The name of the volume a claim is provisioned as: `pvc-<claim uid>`, as upstream's external
/// provisioners name volumes.
pub fn volume_name_for(claim: &Claim) -> String {
    format!("pvc-{}", claim.uid)
}

fn ours(volume: &Volume) -> bool {
    volume.annotations.get(ANN_DYNAMICALLY_PROVISIONED).map(String::as_str) == Some(PROVISIONER)
}

/// Every action for the snapshot; `root` is the volumes directory as PVs show it.
pub fn plan(
    cfg: &Config,
    root: &str,
    claims: &BTreeMap<ClaimKey, Claim>,
    volumes: &BTreeMap<String, Volume>,
    classes: &BTreeMap<String, Class>,
) -> Vec<Action> {
    plan_in(cfg, root, claims, volumes, classes, Scope::All)
}

/// [`plan`]'s actions for the claims and volumes in `scope`.
pub fn plan_in(
    cfg: &Config,
    root: &str,
    claims: &BTreeMap<ClaimKey, Claim>,
    volumes: &BTreeMap<String, Volume>,
    classes: &BTreeMap<String, Class>,
    scope: Scope<'_>,
) -> Vec<Action> {
    let mut out = Vec::new();
    for claim in scope.claims(claims) {
        plan_claim(cfg, claim, volumes, classes, &mut out);
    }
    for volume in scope.volumes(volumes).filter(|v| ours(v)) {
        let releasing = volume.phase == "Released" || (volume.deleting && volume.phase != "Bound");
        if !releasing {
            continue;
        }
        if volume.reclaim_policy == "Delete" {
            match dir_of(volume, root) {
                Some(dir) => out.push(Action::Delete {
                    volume: volume.name.clone(),
                    dir,
                }),
                None if volume.phase != "Failed" => out.push(Action::Event(EventNote {
                    target: Target::volume(volume),
                    type_: "Warning",
                    reason: "VolumeFailedDelete",
                    message: format!(
                        "path {:?} is not a volume directory under {root}; not deleting it",
                        volume.path.as_deref().unwrap_or("")
                    ),
                })),
                None => {}
            }
        } else if volume.deleting && volume.finalizers.iter().any(|f| f == PROVISIONER_FINALIZER) {
            out.push(Action::ReleaseFinalizer {
                volume: volume.name.clone(),
            });
        }
    }
    out
}

fn plan_claim(
    cfg: &Config,
    claim: &Claim,
    volumes: &BTreeMap<String, Volume>,
    classes: &BTreeMap<String, Class>,
    out: &mut Vec<Action>,
) {
    let Some(class) = classes.get(claim.class()).filter(|c| c.provisioner == PROVISIONER) else {
        return;
    };
    if claim.annotated(ANN_BIND_COMPLETED) {
        // Expansion of a bound claim.
        if let Some(v) = volumes.get(&claim.volume_name).filter(|v| ours(v) && v.bound_to(claim)) {
            if class.allow_volume_expansion && claim.request_bytes > v.capacity_bytes {
                out.push(Action::Expand {
                    volume: v.name.clone(),
                    capacity: claim.request.clone(),
                });
            }
        }
        return;
    }
    let asked = claim.annotations.get(ANN_STORAGE_PROVISIONER).map(String::as_str) == Some(PROVISIONER);
    if claim.deleting || !claim.volume_name.is_empty() || !asked {
        return;
    }
    let selected = claim.annotations.get(ANN_SELECTED_NODE);
    if class.wait_for_first_consumer && selected.is_none() {
        return;
    }
    let node = selected.cloned().unwrap_or_else(|| cfg.node_name.clone());
    if node != cfg.node_name {
        return;
    }
    let volume = volume_name_for(claim);
    if volumes.contains_key(&volume) {
        return;
    }
    let fail = |message: &str| {
        Action::Event(EventNote {
            target: Target::claim(claim),
            type_: "Warning",
            reason: "ProvisioningFailed",
            message: message.into(),
        })
    };
    if claim.selector.is_some() {
        return out.push(fail(
            "failed to provision volume with StorageClass \"local-path\": claim.Spec.Selector is not supported",
        ));
    }
    if claim
        .access_modes
        .iter()
        .any(|m| m != "ReadWriteOnce" && m != "ReadWriteOncePod")
    {
        return out.push(fail(&format!(
            "failed to provision volume with StorageClass {:?}: NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes",
            class.name
        )));
    }
    let dir = format!("{volume}_{}_{}", claim.namespace, claim.name);
    if !super::dirs::valid_name(&dir) {
        return out.push(fail(&format!(
            "failed to provision volume: {dir:?} is not a valid directory name"
        )));
    }
    out.push(Action::Provision(Provision {
        claim: claim.key(),
        claim_uid: claim.uid.clone(),
        claim_resource_version: claim.resource_version.clone(),
        volume,
        dir,
        node,
        capacity: claim.request.clone(),
        access_modes: claim.access_modes.clone(),
        reclaim_policy: class.reclaim_policy.clone(),
        class: class.name.clone(),
    }));
}
