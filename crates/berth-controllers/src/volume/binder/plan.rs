//! Pure decisions of the binder: upstream `syncClaim` (`syncUnboundClaim`, `syncBoundClaim`) and
//! `syncVolume` with `reclaimVolume`, over one snapshot of claims, volumes and classes.
//!
//! Binding is the upstream sequence: the volume's `claimRef`, the volume's phase, the claim's
//! `volumeName` and annotations, the claim's status. The driver executes the actions in order and
//! stops at the first failure; the next pass starts again from what the API then shows.

use std::collections::{BTreeMap, BTreeSet};

use super::matching::{find_best_match, has_access_modes, VolumeIndex};
use crate::volume::model::{
    Claim, ClaimKey, ClaimRef, Class, Scope, Volume, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER,
    ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER,
};

/// The snapshot a pass decides on.
#[derive(Clone, Copy, Debug)]
pub struct World<'a> {
    pub claims: &'a BTreeMap<ClaimKey, Claim>,
    pub volumes: &'a BTreeMap<String, Volume>,
    pub classes: &'a BTreeMap<String, Class>,
}

/// The object an event is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Claim {
        namespace: String,
        name: String,
        uid: String,
    },
    Volume {
        name: String,
        uid: String,
    },
}

impl Target {
    pub fn claim(c: &Claim) -> Target {
        Target::Claim {
            namespace: c.namespace.clone(),
            name: c.name.clone(),
            uid: c.uid.clone(),
        }
    }

    pub fn volume(v: &Volume) -> Target {
        Target::Volume {
            name: v.name.clone(),
            uid: v.uid.clone(),
        }
    }
}

/// An event to record (the driver records each distinct one once).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventNote {
    pub target: Target,
    /// `Normal` or `Warning`.
    pub type_: &'static str,
    pub reason: &'static str,
    pub message: String,
}

/// One step for the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Set the volume's `spec.claimRef` (with the claim's UID), and `bound-by-controller` if asked.
    BindVolume {
        volume: String,
        claim: ClaimRef,
        by_controller: bool,
    },
    /// Clear a `claimRef` the controller set, making the volume Available again.
    UnbindVolume {
        volume: String,
    },
    /// Set `status.phase` (and `status.message`) of the volume.
    VolumePhase {
        volume: String,
        phase: &'static str,
        message: String,
    },
    /// Set the claim's `spec.volumeName`, `bind-completed` and, if asked, `bound-by-controller`.
    BindClaim {
        claim: ClaimKey,
        volume: String,
        by_controller: bool,
    },
    /// Set the claim's `status`: phase, and for Bound the volume's capacity and access modes.
    ClaimStatus {
        claim: ClaimKey,
        phase: &'static str,
        capacity: Option<String>,
        access_modes: Vec<String>,
    },
    /// RetroactiveDefaultStorageClass: give a claim created with no class the default one.
    AssignClass {
        claim: ClaimKey,
        class: String,
    },
    /// Ask a provisioner: `volume.kubernetes.io/storage-provisioner` (and the beta key) on the claim.
    RequestProvisioning {
        claim: ClaimKey,
        provisioner: String,
    },
    Event(EventNote),
}

fn event(target: Target, type_: &'static str, reason: &'static str, message: impl Into<String>) -> Action {
    Action::Event(EventNote {
        target,
        type_,
        reason,
        message: message.into(),
    })
}

struct Pass<'a> {
    w: World<'a>,
    /// The volumes each claim could match.
    index: &'a VolumeIndex,
    actions: Vec<Action>,
    /// Volumes this pass already acts on: no second claim may take them, `sync_volume` skips them.
    touched: BTreeSet<String>,
}

/// Every action the snapshot calls for: claims first (in key order), then volumes.
pub fn plan(w: World<'_>) -> Vec<Action> {
    plan_in(w, &VolumeIndex::new(w.volumes.values()), Scope::All)
}

/// The actions for the claims and volumes in `scope`, in the order [`plan`] gives them; `index`
/// is the [`VolumeIndex`] of `w.volumes`.
pub fn plan_in(w: World<'_>, index: &VolumeIndex, scope: Scope<'_>) -> Vec<Action> {
    let mut pass = Pass {
        w,
        index,
        actions: Vec::new(),
        touched: BTreeSet::new(),
    };
    for claim in scope.claims(w.claims) {
        pass.sync_claim(claim);
    }
    for volume in scope.volumes(w.volumes) {
        if !pass.touched.contains(&volume.name) {
            pass.sync_volume(volume);
        }
    }
    pass.actions
}

/// Upstream `checkVolumeSatisfyClaim`: why a requested volume does not fit, if it does not.
pub fn unsatisfied(claim: &Claim, volume: &Volume) -> Option<String> {
    if volume.deleting {
        return Some(format!("the volume is marked for deletion {:?}", volume.name));
    }
    if volume.capacity_bytes < claim.request_bytes {
        return Some("requested PV is too small".into());
    }
    if volume.storage_class != claim.class() {
        return Some("storageClassName does not match".into());
    }
    if volume.volume_mode != claim.volume_mode {
        return Some("incompatible volumeMode".into());
    }
    if !has_access_modes(claim, volume) {
        return Some("incompatible accessMode".into());
    }
    None
}

impl Pass<'_> {
    fn pending(&mut self, claim: &Claim) {
        if claim.phase != "Pending" {
            self.actions.push(Action::ClaimStatus {
                claim: claim.key(),
                phase: "Pending",
                capacity: None,
                access_modes: vec![],
            });
        }
    }

    fn lost(&mut self, claim: &Claim, message: &str) {
        if claim.phase != "Lost" {
            self.actions.push(Action::ClaimStatus {
                claim: claim.key(),
                phase: "Lost",
                capacity: None,
                access_modes: vec![],
            });
            self.actions
                .push(event(Target::claim(claim), "Warning", "ClaimLost", message));
        }
    }

    fn volume_phase(&mut self, volume: &Volume, phase: &'static str, message: &str) {
        if volume.phase != phase {
            self.actions.push(Action::VolumePhase {
                volume: volume.name.clone(),
                phase,
                message: message.into(),
            });
        }
    }

    /// Upstream `bind`: volume → claim, volume phase, claim → volume, claim status; each only if needed.
    fn bind(&mut self, claim: &Claim, volume: &Volume) {
        self.touched.insert(volume.name.clone());
        let has_uid = volume.claim_ref.as_ref().is_some_and(|r| r.uid == claim.uid);
        if !(volume.bound_to(claim) && has_uid) {
            self.actions.push(Action::BindVolume {
                volume: volume.name.clone(),
                claim: ClaimRef {
                    namespace: claim.namespace.clone(),
                    name: claim.name.clone(),
                    uid: claim.uid.clone(),
                },
                by_controller: !volume.bound_to(claim),
            });
        }
        self.volume_phase(volume, "Bound", "");
        if claim.volume_name != volume.name
            || !claim.annotated(ANN_BIND_COMPLETED)
            || (claim.volume_name.is_empty() && !claim.annotated(ANN_BOUND_BY_CONTROLLER))
        {
            self.actions.push(Action::BindClaim {
                claim: claim.key(),
                volume: volume.name.clone(),
                by_controller: claim.volume_name != volume.name,
            });
        }
        self.claim_bound_status(claim, volume);
    }

    fn claim_bound_status(&mut self, claim: &Claim, volume: &Volume) {
        if claim.phase != "Bound"
            || claim.status_capacity != volume.capacity
            || claim.status_access_modes != volume.access_modes
        {
            self.actions.push(Action::ClaimStatus {
                claim: claim.key(),
                phase: "Bound",
                capacity: Some(volume.capacity.clone()),
                access_modes: volume.access_modes.clone(),
            });
        }
    }

    fn sync_claim(&mut self, claim: &Claim) {
        if !claim.annotated(ANN_BIND_COMPLETED) {
            self.sync_unbound_claim(claim);
        } else {
            self.sync_bound_claim(claim);
        }
    }

    fn sync_unbound_claim(&mut self, claim: &Claim) {
        if !claim.volume_name.is_empty() {
            return self.sync_claim_naming_volume(claim);
        }
        if claim.deleting {
            return;
        }
        let class = self.w.classes.get(claim.class());
        let delay = class.is_some_and(|c| c.wait_for_first_consumer);
        let found = find_best_match(
            claim,
            self.index.candidates(claim, self.w.volumes),
            None,
            &self.touched,
            delay,
        );
        if let Some(volume) = found {
            return self.bind(claim, volume);
        }
        let target = Target::claim(claim);
        let unset =
            claim.storage_class_name.is_none() && !claim.annotated(crate::volume::model::ANN_BETA_STORAGE_CLASS);
        if let Some(default) = self
            .w
            .classes
            .values()
            .filter(|c| c.is_default)
            .map(|c| c.name.clone())
            .max()
            .filter(|_| unset)
        {
            self.actions.push(Action::AssignClass {
                claim: claim.key(),
                class: default,
            });
            return self.pending(claim);
        }
        if delay && !claim.annotated(ANN_SELECTED_NODE) {
            self.actions.push(event(
                target,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            ));
        } else if !claim.class().is_empty() {
            match class {
                Some(c) => {
                    if claim.annotations.get(ANN_STORAGE_PROVISIONER) != Some(&c.provisioner) {
                        self.actions.push(Action::RequestProvisioning {
                            claim: claim.key(),
                            provisioner: c.provisioner.clone(),
                        });
                    }
                    self.actions.push(event(
                        target,
                        "Normal",
                        "ExternalProvisioning",
                        format!(
                            "Waiting for a volume to be created either by the external provisioner '{}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
                            c.provisioner
                        ),
                    ));
                }
                None => self.actions.push(event(
                    target,
                    "Warning",
                    "ProvisioningFailed",
                    format!("storageclass.storage.k8s.io {:?} not found", claim.class()),
                )),
            }
        } else {
            self.actions.push(event(
                target,
                "Warning",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            ));
        }
        self.pending(claim);
    }

    /// A claim with `spec.volumeName`: it binds to that volume or stays Pending.
    fn sync_claim_naming_volume(&mut self, claim: &Claim) {
        let Some(volume) = self.w.volumes.get(&claim.volume_name) else {
            return self.pending(claim);
        };
        if self.touched.contains(&volume.name) {
            return self.pending(claim);
        }
        if volume.claim_ref.is_none() {
            if let Some(why) = unsatisfied(claim, volume) {
                self.actions.push(event(
                    Target::claim(claim),
                    "Warning",
                    "VolumeMismatch",
                    format!("Cannot bind to requested volume {:?}: {why}", volume.name),
                ));
                return self.pending(claim);
            }
            return self.bind(claim, volume);
        }
        if volume.bound_to(claim) {
            return self.bind(claim, volume);
        }
        self.actions.push(event(
            Target::claim(claim),
            "Warning",
            "FailedBinding",
            format!("volume {:?} already bound to a different claim.", volume.name),
        ));
        self.pending(claim);
    }

    fn sync_bound_claim(&mut self, claim: &Claim) {
        if claim.volume_name.is_empty() {
            return self.lost(
                claim,
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
            );
        }
        let Some(volume) = self.w.volumes.get(&claim.volume_name) else {
            return self.lost(
                claim,
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            );
        };
        if volume.claim_ref.is_none() || volume.bound_to(claim) {
            // Unbound volume (fix it) or a proper binding (complete the statuses).
            return self.bind(claim, volume);
        }
        if claim.phase != "Lost" {
            self.actions.push(Action::ClaimStatus {
                claim: claim.key(),
                phase: "Lost",
                capacity: None,
                access_modes: vec![],
            });
            self.actions.push(event(
                Target::claim(claim),
                "Warning",
                "ClaimMisbound",
                "Two claims are bound to the same volume, this one is bound incorrectly",
            ));
        }
    }

    fn sync_volume(&mut self, volume: &Volume) {
        let Some(r) = &volume.claim_ref else {
            return self.volume_phase(volume, "Available", "");
        };
        if r.uid.is_empty() {
            // Pre-bound by name: the claim's sync binds it.
            return self.volume_phase(volume, "Available", "");
        }
        let key = ClaimKey {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
        };
        let claim = self.w.claims.get(&key).filter(|c| c.uid == r.uid);
        match claim {
            None => {
                if volume.phase != "Released" && volume.phase != "Failed" {
                    self.actions.push(Action::VolumePhase {
                        volume: volume.name.clone(),
                        phase: "Released",
                        message: String::new(),
                    });
                }
                self.reclaim(volume);
            }
            // Binding not finished: the claim's sync does it.
            Some(c) if c.volume_name.is_empty() => {}
            Some(c) if c.volume_name == volume.name => self.volume_phase(volume, "Bound", ""),
            Some(_) => {
                if volume.annotated_provisioned() && volume.reclaim_policy == "Delete" {
                    if volume.phase != "Released" && volume.phase != "Failed" {
                        self.actions.push(Action::VolumePhase {
                            volume: volume.name.clone(),
                            phase: "Released",
                            message: String::new(),
                        });
                    }
                    self.reclaim(volume);
                } else if volume.annotations.contains_key(ANN_BOUND_BY_CONTROLLER) {
                    self.actions.push(Action::UnbindVolume {
                        volume: volume.name.clone(),
                    });
                }
            }
        }
    }

    /// Upstream `reclaimVolume` for a released volume.
    fn reclaim(&mut self, volume: &Volume) {
        if volume.phase == "Failed" {
            return;
        }
        match volume.reclaim_policy.as_str() {
            "Retain" => {}
            // The provisioner that made it deletes it (ours is `super::provisioner`).
            "Delete" if volume.annotated_provisioned() => {}
            "Delete" => self.failed(
                volume,
                "VolumeFailedDelete",
                format!(
                    "error getting deleter volume plugin for volume {:?}: no deletable volume plugin matched",
                    volume.name
                ),
            ),
            "Recycle" => self.failed(
                volume,
                "VolumeFailedRecycle",
                "No recycler plugin found for the volume!".into(),
            ),
            other => self.failed(
                volume,
                "VolumeUnknownReclaimPolicy",
                format!("Volume has unrecognized PersistentVolumeReclaimPolicy {other:?}"),
            ),
        }
    }

    fn failed(&mut self, volume: &Volume, reason: &'static str, message: String) {
        // Replace a Released set in this pass: Failed is the end state.
        if let Some(Action::VolumePhase { volume: v, .. }) = self.actions.last() {
            if *v == volume.name {
                self.actions.pop();
            }
        }
        self.actions.push(Action::VolumePhase {
            volume: volume.name.clone(),
            phase: "Failed",
            message: message.clone(),
        });
        self.actions
            .push(event(Target::volume(volume), "Warning", reason, message));
    }
}

impl Volume {
    /// Whether a provisioner made this volume (`pv.kubernetes.io/provisioned-by`).
    pub fn annotated_provisioned(&self) -> bool {
        self.annotations.contains_key(ANN_DYNAMICALLY_PROVISIONED)
    }
}
