//! Executing the volume plans as groups of steps: steps about the same claim or volume form one
//! group and run one after another, in plan order (upstream's `bind` writes the volume, then its
//! phase, then the claim, then its status); different groups run concurrently and independently.
//!
//! [`plan_groups`] plans over the cache and leaves out every step about an object that a group
//! still in flight (or backing off after a failure) is writing, so each object has at most one
//! writer and a claim's next step starts as soon as its own previous write returned, not when a
//! whole pass is over. A group works on a [`View`]: the cached objects it is about, under what it
//! wrote itself; what it wrote goes into the cache when it ends ([`State::absorb`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::api::{self, VolumeApi};
use super::binder::matching::VolumeIndex;
use super::binder::plan::{Action as BindAction, EventNote, Target, World};
use super::model::{
    Claim, ClaimKey, Scope, Volume, ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER,
    ANN_STORAGE_PROVISIONER, PVC_PROTECTION, PV_PROTECTION,
};
use super::protection::Action as ProtectAction;
use super::provisioner::dirs::VolumeDirs;
use super::provisioner::plan::{Action as ProvisionAction, Config as ProvisionConfig};
use super::{provisioner, State, Volumes};
use crate::error::ControllerError;

/// Groups of steps in flight at once. Upstream's provisioners write from many goroutines; a
/// bound keeps a burst of claims from opening hundreds of connections at once.
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
pub fn group_steps(steps: Vec<Step>) -> Vec<Group> {
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
    let mut groups: Vec<Group> = Vec::new();
    for (i, s) in steps.into_iter().enumerate() {
        let r = root(&mut parent, i);
        let g = *slot.entry(r).or_insert_with(|| {
            groups.push(Group {
                steps: Vec::new(),
                objects: Vec::new(),
            });
            groups.len() - 1
        });
        for o in objects_of(&s) {
            if !groups[g].objects.contains(&o) {
                groups[g].objects.push(o);
            }
        }
        groups[g].steps.push(s);
    }
    groups
}

/// Steps to run one after another, and the objects they are about.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub steps: Vec<Step>,
    pub objects: Vec<Object>,
}

/// Where the provisioner works, when it runs.
#[derive(Clone, Copy, Debug)]
pub struct Provisioning<'a> {
    pub config: &'a ProvisionConfig,
    /// The volumes directory, as written in `hostPath`.
    pub root: &'a str,
}

/// What [`plan_groups`] planned.
#[derive(Debug, Default, PartialEq)]
pub struct Planned {
    pub groups: Vec<Group>,
    /// The objects of the groups left out because a group in flight (or one just planned) is
    /// writing one of their objects: they are to be planned again.
    pub deferred: Vec<Object>,
}

/// The three plans over the cache, for the claims and volumes in `scope`, as groups; `index` is
/// the [`VolumeIndex`] of the cached volumes. Groups with a step about an object `blocked` says
/// is being written are left out, and so are events already reported. Phases are planned in upstream's
/// order (binder, protection, provisioner), and a later phase leaves alone what an earlier one is
/// about to write: it plans again once that write is back.
pub fn plan_groups(
    state: &State,
    provisioning: Option<Provisioning<'_>>,
    blocked: &dyn Fn(&Object) -> bool,
    index: &VolumeIndex,
    scope: Scope<'_>,
) -> Planned {
    let mut taken: HashSet<Object> = HashSet::new();
    let mut out = Planned::default();
    let mut noted: HashSet<EventNote> = HashSet::new();
    let mut phase = |steps: Vec<Step>, out: &mut Planned, taken: &mut HashSet<Object>| {
        let steps = steps.into_iter().filter(|s| match event_of(s) {
            Some(note) => !state.reported.contains(note) && noted.insert(note.clone()),
            None => true,
        });
        // A group is left out whole: its later steps (a claim's status after its binding)
        // must not run without its earlier ones.
        for g in group_steps(steps.collect()) {
            if g.objects.iter().any(|o| blocked(o) || taken.contains(o)) {
                out.deferred.extend(g.objects);
            } else {
                taken.extend(g.objects.iter().cloned());
                out.groups.push(g);
            }
        }
    };
    let world = World {
        claims: &state.claims,
        volumes: &state.volumes,
        classes: &state.classes,
    };
    let binds = super::binder::plan::plan_in(world, index, scope);
    phase(binds.into_iter().map(Step::Bind).collect(), &mut out, &mut taken);
    let protects = super::protection::plan_in(&state.claims, &state.volumes, &state.pods, scope);
    phase(protects.into_iter().map(Step::Protect).collect(), &mut out, &mut taken);
    if let Some(p) = provisioning {
        let provisions =
            provisioner::plan::plan_in(p.config, p.root, &state.claims, &state.volumes, &state.classes, scope);
        phase(
            provisions.into_iter().map(Step::Provision).collect(),
            &mut out,
            &mut taken,
        );
    }
    out
}

fn event_of(step: &Step) -> Option<&EventNote> {
    match step {
        Step::Bind(BindAction::Event(n)) | Step::Provision(ProvisionAction::Event(n)) => Some(n),
        _ => None,
    }
}

/// What a group of steps wrote, in order, and the events it recorded.
#[derive(Debug, Default)]
pub struct Written {
    /// Each answer, with the resourceVersion the group knew before it.
    claims: Vec<(ClaimKey, Option<Claim>, u64)>,
    volumes: Vec<(String, Option<Volume>, u64)>,
    reported: Vec<EventNote>,
    wrote: bool,
}

impl Written {
    /// Whether any object was written.
    pub fn wrote(&self) -> bool {
        self.wrote
    }
}

/// The objects a group is about, as cached when it started, under what it wrote itself.
#[derive(Debug, Default)]
pub struct View {
    claims: BTreeMap<ClaimKey, Option<Claim>>,
    volumes: BTreeMap<String, Option<Volume>>,
    written: Written,
}

impl View {
    /// The cached copies of the group's objects.
    pub fn of(state: &State, group: &Group) -> Self {
        let mut view = View::default();
        for o in &group.objects {
            match o {
                Object::Claim(k) => {
                    view.claims.insert(k.clone(), state.claims.get(k).cloned());
                }
                Object::Volume(n) => {
                    view.volumes.insert(n.clone(), state.volumes.get(n).cloned());
                }
            }
        }
        view
    }

    pub fn claim(&self, key: &ClaimKey) -> Option<&Claim> {
        self.claims.get(key).and_then(Option::as_ref)
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.get(name).and_then(Option::as_ref)
    }

    fn put_claim(&mut self, key: &ClaimKey, c: Option<Claim>) {
        let known = self.claim(key).map_or(0, |c| c.resource_version.parse().unwrap_or(0));
        self.claims.insert(key.clone(), c.clone());
        self.written.claims.push((key.clone(), c, known));
    }

    fn put_volume(&mut self, name: &str, v: Option<Volume>) {
        let known = self.volume(name).map_or(0, |v| v.resource_version.parse().unwrap_or(0));
        self.volumes.insert(name.to_string(), v.clone());
        self.written.volumes.push((name.to_string(), v, known));
    }
}

impl State {
    /// Takes in what a group wrote.
    pub fn absorb(&mut self, w: Written) {
        for (k, c, known) in w.claims {
            self.put_claim(&k, c, known);
        }
        for (n, v, known) in w.volumes {
            self.put_volume(&n, v, known);
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
    /// Runs a group's steps in order, to the end or the first error; what was written either way.
    pub async fn run_group(&self, mut view: View, group: Group) -> (Written, Option<ControllerError>) {
        let root = self.root();
        for step in group.steps {
            match self.step(&mut view, root.as_deref(), step).await {
                Ok(w) => view.written.wrote |= w,
                Err(e) => return (view.written, Some(e)),
            }
        }
        (view.written, None)
    }

    async fn step(&self, view: &mut View, root: Option<&str>, step: Step) -> Result<bool, ControllerError> {
        match step {
            Step::Bind(a) => self.bind_step(view, a).await,
            Step::Protect(a) => self.protect_step(view, a).await.map(|()| true),
            Step::Provision(a) => match root {
                Some(root) => self.provision_step(view, root, a).await,
                None => Ok(false),
            },
        }
    }

    /// Records an event (the plan leaves out events already reported).
    async fn event(&self, view: &mut View, note: EventNote) {
        match self.api.record_event(&note).await {
            Ok(()) => view.written.reported.push(note),
            Err(e) => tracing::debug!(error = %e, "recording a volume event failed"),
        }
    }

    async fn bind_step(&self, view: &mut View, a: BindAction) -> Result<bool, ControllerError> {
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

    async fn protect_step(&self, view: &mut View, a: ProtectAction) -> Result<(), ControllerError> {
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

    /// Records a Normal event about the claim, if the group still sees it.
    async fn claim_event(&self, view: &mut View, claim: &ClaimKey, reason: &'static str, message: String) {
        if let Some(c) = view.claim(claim) {
            let note = EventNote {
                target: Target::claim(c),
                type_: "Normal",
                reason,
                message,
            };
            self.event(view, note).await;
        }
    }

    async fn provision_step(&self, view: &mut View, root: &str, a: ProvisionAction) -> Result<bool, ControllerError> {
        let Some((dirs, _)) = &self.dirs else { return Ok(false) };
        match a {
            ProvisionAction::Event(note) => {
                self.event(view, note).await;
                return Ok(false);
            }
            ProvisionAction::Provision(p) => {
                // As upstream's external provisioner announces it before it starts.
                let message = format!("External provisioner is provisioning volume for claim \"{}\"", p.claim);
                self.claim_event(view, &p.claim, "Provisioning", message).await;
                dirs.begin_create(&p.dir).map_err(dir_error(&p.volume))?;
                let created = self.api.create_volume(api::provisioned_volume(&p, root)).await?;
                dirs.commit_create(&p.dir).map_err(dir_error(&p.volume))?;
                if let Some(v) = created {
                    view.put_volume(&p.volume, Some(v));
                    let message = format!("Successfully provisioned volume {}", p.volume);
                    self.claim_event(view, &p.claim, "ProvisioningSucceeded", message).await;
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
pub fn object_sets(groups: &[Group]) -> Vec<std::collections::BTreeSet<String>> {
    groups
        .iter()
        .map(|g| {
            g.objects
                .iter()
                .map(|o| match o {
                    Object::Claim(k) => format!("claim {k}"),
                    Object::Volume(v) => format!("volume {v}"),
                })
                .collect()
        })
        .collect()
}

/// Which objects a group in flight is writing, and which back off after a failed write.
#[derive(Debug, Default)]
pub struct Tracker {
    busy: HashSet<Object>,
    /// Retry time and failures in a row.
    failed: HashMap<Object, (tokio::time::Instant, u32)>,
}

impl Tracker {
    /// Whether steps about `o` must wait.
    pub fn blocked(&self, o: &Object, now: tokio::time::Instant) -> bool {
        self.busy.contains(o) || self.failed.get(o).is_some_and(|(at, _)| *at > now)
    }

    pub fn start(&mut self, group: &Group) {
        self.busy.extend(group.objects.iter().cloned());
    }

    /// A group ended; after a failure its objects wait a growing backoff.
    pub fn finish(&mut self, objects: &[Object], ok: bool, now: tokio::time::Instant) {
        for o in objects {
            self.busy.remove(o);
            if ok {
                self.failed.remove(o);
            } else {
                let n = self.failed.get(o).map_or(0, |(_, n)| *n);
                self.failed
                    .insert(o.clone(), (now + crate::retry::backoff(n), n.saturating_add(1)));
            }
        }
    }

    /// The next time a backing-off object may be tried again.
    pub fn next_retry(&self, now: tokio::time::Instant) -> Option<tokio::time::Instant> {
        self.failed.values().map(|(at, _)| *at).filter(|at| *at > now).min()
    }
}
