//! Executing the volume plans: the steps of one phase run concurrently, except that steps about
//! the same claim or volume run one after another, in plan order (upstream runs a worker per
//! object; `bind` writes the volume, then its phase, then the claim, then its status).
//!
//! Each group of steps works on a [`View`]: the pass's snapshot of [`State`] under what the group
//! itself wrote, so a later step reads the object an earlier one returned. When every group is
//! done, what they wrote goes into the state.

use std::collections::HashMap;

use futures::StreamExt as _;
use serde_json::json;

use super::api::{self, VolumeApi};
use super::binder::plan::{Action as BindAction, EventNote, Target};
use super::model::{
    Claim, ClaimKey, Volume, ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER,
    ANN_STORAGE_PROVISIONER, PVC_PROTECTION, PV_PROTECTION,
};
use super::protection::Action as ProtectAction;
use super::provisioner::dirs::VolumeDirs;
use super::provisioner::plan::Action as ProvisionAction;
use super::{provisioner, State, Volumes};
use crate::error::ControllerError;

/// Groups of steps in flight at once. Upstream's PV controller and provisioners write from many
/// goroutines; a bound keeps one pass from opening hundreds of connections at once.
pub const MAX_CONCURRENT_GROUPS: usize = 64;

/// One planned step of any of the three plans.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Bind(BindAction),
    Protect(ProtectAction),
    Provision(ProvisionAction),
}

/// An object steps write.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Object {
    Claim(ClaimKey),
    Volume(String),
}

fn claim_of_target(t: &Target) -> Option<Object> {
    match t {
        Target::Claim { namespace, name, .. } => Some(Object::Claim(ClaimKey {
            namespace: namespace.clone(),
            name: name.clone(),
        })),
        Target::Volume { name, .. } => Some(Object::Volume(name.clone())),
    }
}

/// The objects a step reads or writes (an event is ordered after the writes to its object).
pub fn objects_of(step: &Step) -> Vec<Object> {
    let claim = |k: &ClaimKey| Object::Claim(k.clone());
    let volume = |n: &String| Object::Volume(n.clone());
    match step {
        Step::Bind(a) => match a {
            BindAction::BindVolume {
                volume: v, claim: c, ..
            } => vec![
                volume(v),
                Object::Claim(ClaimKey {
                    namespace: c.namespace.clone(),
                    name: c.name.clone(),
                }),
            ],
            BindAction::UnbindVolume { volume: v } | BindAction::VolumePhase { volume: v, .. } => vec![volume(v)],
            BindAction::BindClaim {
                claim: c, volume: v, ..
            } => vec![claim(c), volume(v)],
            BindAction::ClaimStatus { claim: c, .. }
            | BindAction::AssignClass { claim: c, .. }
            | BindAction::RequestProvisioning { claim: c, .. } => vec![claim(c)],
            BindAction::Event(note) => claim_of_target(&note.target).into_iter().collect(),
        },
        Step::Protect(a) => match a {
            ProtectAction::AddClaimFinalizer(c) | ProtectAction::RemoveClaimFinalizer(c) => vec![claim(c)],
            ProtectAction::AddVolumeFinalizer(v) | ProtectAction::RemoveVolumeFinalizer(v) => vec![volume(v)],
        },
        Step::Provision(a) => match a {
            ProvisionAction::Provision(p) => vec![claim(&p.claim), volume(&p.volume)],
            ProvisionAction::Delete { volume: v, .. }
            | ProvisionAction::ReleaseFinalizer { volume: v }
            | ProvisionAction::Expand { volume: v, .. } => vec![volume(v)],
            ProvisionAction::Event(note) => claim_of_target(&note.target).into_iter().collect(),
        },
    }
}

/// Splits steps into groups that share no object; each group keeps the steps' order.
pub fn group_steps(steps: Vec<Step>) -> Vec<Vec<Step>> {
    // Union-find over step indices, joined through the objects they touch.
    let mut parent: Vec<usize> = (0..steps.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<Object, usize> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        for o in objects_of(s) {
            match owner.get(&o) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    // The smaller index stays the root, so groups come out in plan order.
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(o, i);
                }
            }
        }
    }
    let mut slot: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Vec<Step>> = Vec::new();
    for (i, s) in steps.into_iter().enumerate() {
        let r = root(&mut parent, i);
        let g = *slot.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(s);
    }
    groups
}

/// What a group of steps wrote (in order) and which events it recorded.
#[derive(Debug, Default)]
pub struct Written {
    claims: Vec<(ClaimKey, Option<Claim>)>,
    volumes: Vec<(String, Option<Volume>)>,
    reported: Vec<EventNote>,
    wrote: bool,
}

/// The snapshot under a group's own writes.
pub struct View<'a> {
    state: &'a State,
    written: Written,
}

impl<'a> View<'a> {
    pub fn new(state: &'a State) -> Self {
        View {
            state,
            written: Written::default(),
        }
    }

    pub fn claim(&self, key: &ClaimKey) -> Option<&Claim> {
        match self.written.claims.iter().rev().find(|(k, _)| k == key) {
            Some((_, c)) => c.as_ref(),
            None => self.state.claims.get(key),
        }
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        match self.written.volumes.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.as_ref(),
            None => self.state.volumes.get(name),
        }
    }

    fn put_claim(&mut self, key: &ClaimKey, c: Option<Claim>) {
        self.written.claims.push((key.clone(), c));
    }

    fn put_volume(&mut self, name: &str, v: Option<Volume>) {
        self.written.volumes.push((name.to_string(), v));
    }

    fn reported(&self, note: &EventNote) -> bool {
        self.state.reported.contains(note) || self.written.reported.contains(note)
    }
}

impl State {
    /// Takes in what a group wrote.
    fn absorb(&mut self, w: Written) {
        for (k, c) in w.claims {
            self.put_claim(&k, c);
        }
        for (n, v) in w.volumes {
            self.put_volume(&n, v);
        }
        self.reported.extend(w.reported);
    }
}

fn dir_error(volume: &str) -> impl FnOnce(provisioner::dirs::DirError) -> ControllerError + '_ {
    move |e| ControllerError::VolumeDir {
        volume: volume.to_string(),
        source: Box::new(e),
    }
}

impl<A: VolumeApi, D: VolumeDirs> Volumes<A, D> {
    /// Runs one phase's steps, groups concurrently; whether anything was written. Every group
    /// runs to its end or first error, and all that was written is kept before an error returns.
    pub(super) async fn execute(&self, state: &mut State, steps: Vec<Step>) -> Result<bool, ControllerError> {
        if steps.is_empty() {
            return Ok(false);
        }
        let root = self.root();
        let results: Vec<(Written, Option<ControllerError>)> = {
            let snapshot: &State = state;
            let root = root.as_deref();
            futures::stream::iter(group_steps(steps).into_iter().map(|group| async move {
                let mut view = View::new(snapshot);
                for step in group {
                    match self.step(&mut view, root, step).await {
                        Ok(w) => view.written.wrote |= w,
                        Err(e) => return (view.written, Some(e)),
                    }
                }
                (view.written, None)
            }))
            .buffer_unordered(MAX_CONCURRENT_GROUPS)
            .collect()
            .await
        };
        let mut wrote = false;
        let mut first_error = None;
        for (w, err) in results {
            wrote |= w.wrote;
            state.absorb(w);
            if first_error.is_none() {
                first_error = err;
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(wrote),
        }
    }

    async fn step(&self, view: &mut View<'_>, root: Option<&str>, step: Step) -> Result<bool, ControllerError> {
        match step {
            Step::Bind(a) => self.bind_step(view, a).await,
            Step::Protect(a) => self.protect_step(view, a).await.map(|()| true),
            Step::Provision(a) => match root {
                Some(root) => self.provision_step(view, root, a).await,
                None => Ok(false),
            },
        }
    }

    /// Records an event once (an event that failed to record is tried again on a later pass).
    async fn event(&self, view: &mut View<'_>, note: EventNote) {
        if view.reported(&note) {
            return;
        }
        match self.api.record_event(&note).await {
            Ok(()) => view.written.reported.push(note),
            Err(e) => tracing::debug!(error = %e, "recording a volume event failed"),
        }
    }

    async fn bind_step(&self, view: &mut View<'_>, a: BindAction) -> Result<bool, ControllerError> {
        match a {
            BindAction::Event(note) => {
                self.event(view, note).await;
                return Ok(false);
            }
            BindAction::BindVolume {
                volume,
                claim,
                by_controller,
            } => {
                let Some(v) = view.volume(&volume) else {
                    return Ok(false);
                };
                let claim_rv = view
                    .claim(&ClaimKey {
                        namespace: claim.namespace.clone(),
                        name: claim.name.clone(),
                    })
                    .map(|c| c.resource_version.clone())
                    .unwrap_or_default();
                let patch = api::bind_volume_patch(v, &claim, &claim_rv, by_controller);
                let got = self.api.patch_volume(&volume, patch, false).await?;
                view.put_volume(&volume, got);
            }
            BindAction::UnbindVolume { volume } => {
                let patch =
                    json!({"spec": {"claimRef": null}, "metadata": {"annotations": {ANN_BOUND_BY_CONTROLLER: null}}});
                let got = self.api.patch_volume(&volume, patch, false).await?;
                view.put_volume(&volume, got);
            }
            BindAction::VolumePhase { volume, phase, message } => {
                let message = if message.is_empty() {
                    json!(null)
                } else {
                    json!(message)
                };
                let got = self
                    .api
                    .patch_volume(&volume, json!({"status": {"phase": phase, "message": message}}), true)
                    .await?;
                view.put_volume(&volume, got);
            }
            BindAction::BindClaim {
                claim,
                volume,
                by_controller,
            } => {
                let mut ann = json!({ANN_BIND_COMPLETED: "yes"});
                if by_controller {
                    ann[ANN_BOUND_BY_CONTROLLER] = json!("yes");
                }
                let patch = json!({"metadata": {"annotations": ann}, "spec": {"volumeName": volume}});
                let got = self.api.patch_claim(&claim, patch, false).await?;
                view.put_claim(&claim, got);
            }
            BindAction::ClaimStatus {
                claim,
                phase,
                capacity,
                access_modes,
            } => {
                let status = match capacity {
                    Some(c) => json!({"phase": phase, "capacity": {"storage": c}, "accessModes": access_modes}),
                    None => json!({"phase": phase}),
                };
                let got = self.api.patch_claim(&claim, json!({"status": status}), true).await?;
                view.put_claim(&claim, got);
            }
            BindAction::AssignClass { claim, class } => {
                let got = self
                    .api
                    .patch_claim(&claim, json!({"spec": {"storageClassName": class}}), false)
                    .await?;
                view.put_claim(&claim, got);
            }
            BindAction::RequestProvisioning { claim, provisioner } => {
                let patch = json!({"metadata": {"annotations": {ANN_STORAGE_PROVISIONER: provisioner, ANN_BETA_STORAGE_PROVISIONER: provisioner}}});
                let got = self.api.patch_claim(&claim, patch, false).await?;
                view.put_claim(&claim, got);
            }
        }
        Ok(true)
    }

    async fn protect_step(&self, view: &mut View<'_>, a: ProtectAction) -> Result<(), ControllerError> {
        let add = matches!(
            a,
            ProtectAction::AddClaimFinalizer(_) | ProtectAction::AddVolumeFinalizer(_)
        );
        match a {
            ProtectAction::AddClaimFinalizer(key) | ProtectAction::RemoveClaimFinalizer(key) => {
                let Some(c) = view.claim(&key) else { return Ok(()) };
                let patch = api::finalizers_patch(&c.finalizers, &c.resource_version, PVC_PROTECTION, add);
                let got = self.api.patch_claim(&key, patch, false).await?;
                view.put_claim(&key, got);
            }
            ProtectAction::AddVolumeFinalizer(name) | ProtectAction::RemoveVolumeFinalizer(name) => {
                let Some(v) = view.volume(&name) else { return Ok(()) };
                let patch = api::finalizers_patch(&v.finalizers, &v.resource_version, PV_PROTECTION, add);
                let got = self.api.patch_volume(&name, patch, false).await?;
                view.put_volume(&name, got);
            }
        }
        Ok(())
    }

    async fn provision_step(
        &self,
        view: &mut View<'_>,
        root: &str,
        a: ProvisionAction,
    ) -> Result<bool, ControllerError> {
        let Some((dirs, _)) = &self.dirs else { return Ok(false) };
        match a {
            ProvisionAction::Event(note) => {
                self.event(view, note).await;
                return Ok(false);
            }
            ProvisionAction::Provision(p) => {
                dirs.begin_create(&p.dir).map_err(dir_error(&p.volume))?;
                let created = self.api.create_volume(api::provisioned_volume(&p, root)).await?;
                dirs.commit_create(&p.dir).map_err(dir_error(&p.volume))?;
                if let Some(v) = created {
                    view.put_volume(&p.volume, Some(v));
                    if let Some(c) = view.claim(&p.claim) {
                        let note = EventNote {
                            target: Target::claim(c),
                            type_: "Normal",
                            reason: "ProvisioningSucceeded",
                            message: format!("Successfully provisioned volume {}", p.volume),
                        };
                        self.event(view, note).await;
                    }
                }
            }
            ProvisionAction::Delete { volume, dir } => {
                dirs.remove(&dir).map_err(dir_error(&volume))?;
                tracing::info!(volume = %volume, dir = %dir, "removed the directory of a released volume (reclaim policy Delete)");
                let mut got = self.api.delete_volume(&volume).await?;
                if let Some(v) = got.take().or_else(|| view.volume(&volume).cloned()) {
                    let mut patch = api::finalizers_patch(&v.finalizers, "", provisioner::PROVISIONER_FINALIZER, false);
                    patch["metadata"].as_object_mut().map(|m| m.remove("resourceVersion"));
                    got = self.api.patch_volume(&volume, patch, false).await?;
                }
                view.put_volume(&volume, got);
            }
            ProvisionAction::ReleaseFinalizer { volume } => {
                let Some(v) = view.volume(&volume) else {
                    return Ok(false);
                };
                let patch = api::finalizers_patch(
                    &v.finalizers,
                    &v.resource_version,
                    provisioner::PROVISIONER_FINALIZER,
                    false,
                );
                let got = self.api.patch_volume(&volume, patch, false).await?;
                view.put_volume(&volume, got);
            }
            ProvisionAction::Expand { volume, capacity } => {
                let got = self
                    .api
                    .patch_volume(&volume, json!({"spec": {"capacity": {"storage": capacity}}}), false)
                    .await?;
                view.put_volume(&volume, got);
            }
        }
        Ok(true)
    }
}

/// The objects each group touches, for tests.
#[cfg(test)]
pub fn object_sets(groups: &[Vec<Step>]) -> Vec<std::collections::BTreeSet<String>> {
    groups
        .iter()
        .map(|g| {
            g.iter()
                .flat_map(objects_of)
                .map(|o| match o {
                    Object::Claim(k) => format!("claim {k}"),
                    Object::Volume(v) => format!("volume {v}"),
                })
                .collect()
        })
        .collect()
}
