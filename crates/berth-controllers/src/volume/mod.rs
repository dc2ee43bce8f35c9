//! Persistent storage: the binder (PersistentVolume controller, [`binder`]), the local provisioner
//! ([`provisioner`]) and the pvc/pv protection controllers ([`protection`]).
//!
//! They share one driver, as kube-controller-manager's share informers: one watch each of claims,
//! volumes, classes and pods feeds [`State`]; every pass runs the three pure plans in turn and
//! executes their actions through [`api::VolumeApi`] (and the provisioner's filesystem through
//! [`provisioner::dirs::VolumeDirs`]). What a write returns goes into the cache at once, so the
//! next plan sees it before the watch does; an older watch event never overwrites a newer object.

pub mod api;
pub mod binder;
pub mod model;
pub mod protection;
pub mod provisioner;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;

use futures::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt as _;
use serde_json::json;
use tokio::time::Instant;

use self::api::{KubeVolumes, VolumeApi};
use self::binder::plan::{Action as BindAction, EventNote, World};
use self::model::{
    Claim, ClaimKey, Class, PodClaims, Volume, ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED,
    ANN_BOUND_BY_CONTROLLER, ANN_STORAGE_PROVISIONER, PVC_PROTECTION, PV_PROTECTION,
};
use self::protection::Action as ProtectAction;
use self::provisioner::dirs::{LocalDirs, VolumeDirs};
use self::provisioner::plan::{Action as ProvisionAction, Config as ProvisionConfig};
use crate::error::ControllerError;
use crate::queue::{sleep_until, WorkQueue};

/// Local provisioning: where volume directories live and which node they are on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalVolumes {
    /// `<data-dir>/volumes`.
    pub root: PathBuf,
    pub node_name: String,
    /// Mark `local-path` as the default class when creating it.
    pub default_class: bool,
}

/// Configuration of the volume controllers; without `local`, no provisioner runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeConfig {
    pub local: Option<LocalVolumes>,
}

/// What the volume controllers have observed.
#[derive(Debug, Default)]
pub struct State {
    pub claims: BTreeMap<ClaimKey, Claim>,
    pub volumes: BTreeMap<String, Volume>,
    pub classes: BTreeMap<String, Class>,
    pub pods: BTreeMap<(String, String), PodClaims>,
    relist_claims: Option<BTreeMap<ClaimKey, Claim>>,
    relist_volumes: Option<BTreeMap<String, Volume>>,
    relist_classes: Option<BTreeMap<String, Class>>,
    relist_pods: Option<BTreeMap<(String, String), PodClaims>>,
    synced: [bool; 4],
    /// Events already recorded, so each is recorded once.
    reported: BTreeSet<EventNote>,
}

fn newer(old: &str, new: &str) -> bool {
    match (old.parse::<u64>(), new.parse::<u64>()) {
        (Ok(o), Ok(n)) => n >= o,
        _ => true,
    }
}

/// Applies a watch event to one cache; `key` names an object, `rv` its resourceVersion.
fn observe_into<T, O, K: Ord + Clone>(
    map: &mut BTreeMap<K, O>,
    relist: &mut Option<BTreeMap<K, O>>,
    synced: &mut bool,
    ev: Event<T>,
    conv: impl Fn(&T) -> Option<(K, O)>,
    rv: impl Fn(&O) -> &str,
) {
    match ev {
        Event::Init => *relist = Some(BTreeMap::new()),
        Event::InitApply(o) => {
            if let (Some((k, v)), Some(seen)) = (conv(&o), relist.as_mut()) {
                seen.insert(k, v);
            }
        }
        Event::InitDone => {
            *map = relist.take().unwrap_or_default();
            *synced = true;
        }
        Event::Apply(o) => {
            if let Some((k, v)) = conv(&o) {
                if map.get(&k).is_none_or(|cur| newer(rv(cur), rv(&v))) {
                    map.insert(k, v);
                }
            }
        }
        Event::Delete(o) => {
            if let Some((k, _)) = conv(&o) {
                map.remove(&k);
            }
        }
    }
}

impl State {
    pub fn synced(&self) -> bool {
        self.synced.iter().all(|s| *s)
    }

    pub fn observe_claim(&mut self, ev: Event<PersistentVolumeClaim>) {
        observe_into(
            &mut self.claims,
            &mut self.relist_claims,
            &mut self.synced[0],
            ev,
            |c| {
                let c = Claim::from(c);
                Some((c.key(), c))
            },
            |c| &c.resource_version,
        );
    }

    pub fn observe_volume(&mut self, ev: Event<PersistentVolume>) {
        observe_into(
            &mut self.volumes,
            &mut self.relist_volumes,
            &mut self.synced[1],
            ev,
            |v| {
                let v = Volume::from(v);
                Some((v.name.clone(), v))
            },
            |v| &v.resource_version,
        );
    }

    pub fn observe_class(&mut self, ev: Event<StorageClass>) {
        observe_into(
            &mut self.classes,
            &mut self.relist_classes,
            &mut self.synced[2],
            ev,
            |c| {
                let c = Class::from(c);
                Some((c.name.clone(), c))
            },
            |_| "",
        );
    }

    pub fn observe_pod(&mut self, ev: Event<Pod>) {
        observe_into(
            &mut self.pods,
            &mut self.relist_pods,
            &mut self.synced[3],
            ev,
            |p| {
                let p = PodClaims::from(p);
                Some(((p.namespace.clone(), p.name.clone()), p))
            },
            |_| "",
        );
    }

    fn put_claim(&mut self, key: &ClaimKey, c: Option<Claim>) {
        match c {
            Some(c) => self.claims.insert(key.clone(), c),
            None => self.claims.remove(key),
        };
    }

    fn put_volume(&mut self, name: &str, v: Option<Volume>) {
        match v {
            Some(v) => self.volumes.insert(name.to_string(), v),
            None => self.volumes.remove(name),
        };
    }
}

/// The volume controllers' driver: the API, the filesystem (when provisioning locally) and what
/// startup did.
pub struct Volumes<A, D> {
    pub api: A,
    pub dirs: Option<(D, ProvisionConfig)>,
    /// Whether the `local-path` class berth creates is the default.
    pub default_class: bool,
    started: bool,
}

impl<A: VolumeApi, D: VolumeDirs> Volumes<A, D> {
    pub fn new(api: A, dirs: Option<(D, ProvisionConfig)>) -> Self {
        Volumes {
            api,
            dirs,
            default_class: true,
            started: false,
        }
    }

    fn root(&self) -> Option<String> {
        self.dirs.as_ref().map(|(d, _)| d.root().display().to_string())
    }

    /// Startup, once the caches are synced: the default class, and the repair of directories a
    /// crash left half created or half removed.
    pub async fn start(&mut self, state: &State) -> Result<(), ControllerError> {
        if self.started {
            return Ok(());
        }
        if let Some((dirs, _)) = &self.dirs {
            if !state.classes.contains_key(provisioner::DEFAULT_CLASS) {
                let mut class = api::default_class();
                if !self.default_class {
                    class.metadata.annotations = None;
                }
                self.api.ensure_class(class).await?;
            }
            let root = dirs.root().display().to_string();
            let used: BTreeSet<String> = state
                .volumes
                .values()
                .filter_map(|v| provisioner::plan::dir_of(v, &root))
                .collect();
            match dirs.repair(&|name| used.contains(name)) {
                Ok(done) => {
                    for r in done {
                        tracing::info!(repair = ?r, "settled a volume directory left by a crash");
                    }
                }
                Err(e) => tracing::error!(error = %e, "repairing volume directories failed"),
            }
        }
        self.started = true;
        Ok(())
    }

    /// Runs the plans until they ask for no more writes (at most a few rounds); false if a step
    /// failed and the pass should be retried.
    pub async fn sync(&mut self, state: &mut State) -> bool {
        if let Err(e) = self.start(state).await {
            tracing::warn!(error = %e, "volume controller startup failed; retrying");
            return false;
        }
        for _ in 0..8 {
            match self.round(state).await {
                Ok(true) => continue,
                Ok(false) => return true,
                Err(e) => {
                    tracing::warn!(error = %e, "volume controller step failed; retrying");
                    return false;
                }
            }
        }
        true
    }

    /// One round of the three plans; whether anything was written.
    async fn round(&mut self, state: &mut State) -> Result<bool, ControllerError> {
        let mut wrote = false;
        let actions = binder::plan::plan(World {
            claims: &state.claims,
            volumes: &state.volumes,
            classes: &state.classes,
        });
        for a in actions {
            wrote |= self.bind_step(state, a).await?;
        }
        for a in protection::plan(&state.claims, &state.volumes, &state.pods) {
            wrote = true;
            self.protect_step(state, a).await?;
        }
        if let (Some(root), Some((_, cfg))) = (self.root(), &self.dirs) {
            let actions = provisioner::plan::plan(cfg, &root, &state.claims, &state.volumes, &state.classes);
            for a in actions {
                wrote |= self.provision_step(state, &root, a).await?;
            }
        }
        Ok(wrote)
    }

    async fn event(&self, state: &mut State, note: EventNote) {
        if state.reported.contains(&note) {
            return;
        }
        match self.api.record_event(&note).await {
            Ok(()) => {
                state.reported.insert(note);
            }
            Err(e) => tracing::debug!(error = %e, "recording a volume event failed"),
        }
    }

    async fn bind_step(&self, state: &mut State, a: BindAction) -> Result<bool, ControllerError> {
        match a {
            BindAction::Event(note) => {
                self.event(state, note).await;
                return Ok(false);
            }
            BindAction::BindVolume {
                volume,
                claim,
                by_controller,
            } => {
                let Some(v) = state.volumes.get(&volume) else {
                    return Ok(false);
                };
                let claim_rv = state
                    .claims
                    .get(&ClaimKey {
                        namespace: claim.namespace.clone(),
                        name: claim.name.clone(),
                    })
                    .map(|c| c.resource_version.clone())
                    .unwrap_or_default();
                let patch = api::bind_volume_patch(v, &claim, &claim_rv, by_controller);
                let got = self.api.patch_volume(&volume, patch, false).await?;
                state.put_volume(&volume, got);
            }
            BindAction::UnbindVolume { volume } => {
                let patch =
                    json!({"spec": {"claimRef": null}, "metadata": {"annotations": {ANN_BOUND_BY_CONTROLLER: null}}});
                let got = self.api.patch_volume(&volume, patch, false).await?;
                state.put_volume(&volume, got);
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
                state.put_volume(&volume, got);
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
                let got = self
                    .api
                    .patch_claim(
                        &claim,
                        json!({"metadata": {"annotations": ann}, "spec": {"volumeName": volume}}),
                        false,
                    )
                    .await?;
                state.put_claim(&claim, got);
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
                state.put_claim(&claim, got);
            }
            BindAction::AssignClass { claim, class } => {
                let got = self
                    .api
                    .patch_claim(&claim, json!({"spec": {"storageClassName": class}}), false)
                    .await?;
                state.put_claim(&claim, got);
            }
            BindAction::RequestProvisioning { claim, provisioner } => {
                let patch = json!({"metadata": {"annotations": {ANN_STORAGE_PROVISIONER: provisioner, ANN_BETA_STORAGE_PROVISIONER: provisioner}}});
                let got = self.api.patch_claim(&claim, patch, false).await?;
                state.put_claim(&claim, got);
            }
        }
        Ok(true)
    }

    async fn protect_step(&self, state: &mut State, a: ProtectAction) -> Result<(), ControllerError> {
        let add = matches!(
            a,
            ProtectAction::AddClaimFinalizer(_) | ProtectAction::AddVolumeFinalizer(_)
        );
        match a {
            ProtectAction::AddClaimFinalizer(key) | ProtectAction::RemoveClaimFinalizer(key)
                if state.claims.contains_key(&key) =>
            {
                let c = &state.claims[&key];
                let patch = api::finalizers_patch(&c.finalizers, &c.resource_version, PVC_PROTECTION, add);
                let got = self.api.patch_claim(&key, patch, false).await?;
                state.put_claim(&key, got);
            }
            ProtectAction::AddVolumeFinalizer(name) | ProtectAction::RemoveVolumeFinalizer(name)
                if state.volumes.contains_key(&name) =>
            {
                let v = &state.volumes[&name];
                let patch = api::finalizers_patch(&v.finalizers, &v.resource_version, PV_PROTECTION, add);
                let got = self.api.patch_volume(&name, patch, false).await?;
                state.put_volume(&name, got);
            }
            _ => {}
        }
        Ok(())
    }

    async fn provision_step(&self, state: &mut State, root: &str, a: ProvisionAction) -> Result<bool, ControllerError> {
        let Some((dirs, _)) = &self.dirs else { return Ok(false) };
        match a {
            ProvisionAction::Event(note) => {
                self.event(state, note).await;
                return Ok(false);
            }
            ProvisionAction::Provision(p) => {
                dirs.begin_create(&p.dir).map_err(|e| ControllerError::VolumeDir {
                    volume: p.volume.clone(),
                    source: Box::new(e),
                })?;
                let created = self.api.create_volume(api::provisioned_volume(&p, root)).await?;
                dirs.commit_create(&p.dir).map_err(|e| ControllerError::VolumeDir {
                    volume: p.volume.clone(),
                    source: Box::new(e),
                })?;
                if let Some(v) = created {
                    state.volumes.insert(p.volume.clone(), v);
                    if let Some(c) = state.claims.get(&p.claim) {
                        let note = EventNote {
                            target: binder::plan::Target::claim(c),
                            type_: "Normal",
                            reason: "ProvisioningSucceeded",
                            message: format!("Successfully provisioned volume {}", p.volume),
                        };
                        self.event(state, note).await;
                    }
                }
            }
            ProvisionAction::Delete { volume, dir } => {
                dirs.remove(&dir).map_err(|e| ControllerError::VolumeDir {
                    volume: volume.clone(),
                    source: Box::new(e),
                })?;
                tracing::info!(volume = %volume, dir = %dir, "removed the directory of a released volume (reclaim policy Delete)");
                let mut got = self.api.delete_volume(&volume).await?;
                if let Some(v) = got.take().or_else(|| state.volumes.get(&volume).cloned()) {
                    let patch = api::finalizers_patch(&v.finalizers, "", provisioner::PROVISIONER_FINALIZER, false);
                    let mut patch = patch;
                    patch["metadata"].as_object_mut().map(|m| m.remove("resourceVersion"));
                    got = self.api.patch_volume(&volume, patch, false).await?;
                }
                state.put_volume(&volume, got);
            }
            ProvisionAction::ReleaseFinalizer { volume } => {
                let Some(v) = state.volumes.get(&volume) else {
                    return Ok(false);
                };
                let patch = api::finalizers_patch(
                    &v.finalizers,
                    &v.resource_version,
                    provisioner::PROVISIONER_FINALIZER,
                    false,
                );
                let got = self.api.patch_volume(&volume, patch, false).await?;
                state.put_volume(&volume, got);
            }
            ProvisionAction::Expand { volume, capacity } => {
                let got = self
                    .api
                    .patch_volume(&volume, json!({"spec": {"capacity": {"storage": capacity}}}), false)
                    .await?;
                state.put_volume(&volume, got);
            }
        }
        Ok(true)
    }
}

/// Runs the volume controllers until `shutdown` resolves.
pub async fn run(
    client: kube::Client,
    config: VolumeConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    tokio::select! {
        () = shutdown => Ok(()),
        r = run_forever(client, config) => r,
    }
}

enum Input {
    Claim(Box<Result<Event<PersistentVolumeClaim>, watcher::Error>>),
    Volume(Box<Result<Event<PersistentVolume>, watcher::Error>>),
    Class(Box<Result<Event<StorageClass>, watcher::Error>>),
    Pod(Box<Result<Event<Pod>, watcher::Error>>),
}

fn observe(state: &mut State, input: Input) {
    let err = match input {
        Input::Claim(ev) => ev.map(|e| state.observe_claim(e)).err(),
        Input::Volume(ev) => ev.map(|e| state.observe_volume(e)).err(),
        Input::Class(ev) => ev.map(|e| state.observe_class(e)).err(),
        Input::Pod(ev) => ev.map(|e| state.observe_pod(e)).err(),
    };
    if let Some(e) = err {
        tracing::warn!(error = %e, "volume controller watch failed; retrying");
    }
}

/// Upstream's PV controller resyncs every 15 s; so does this loop, to retry what waits on nothing.
const RESYNC: std::time::Duration = std::time::Duration::from_secs(15);

async fn run_forever(client: kube::Client, config: VolumeConfig) -> Result<(), ControllerError> {
    let dirs = match &config.local {
        Some(l) => {
            let d = LocalDirs::open(l.root.clone()).map_err(|e| ControllerError::VolumeDir {
                volume: String::new(),
                source: Box::new(e),
            })?;
            Some((
                d,
                ProvisionConfig {
                    node_name: l.node_name.clone(),
                },
            ))
        }
        None => None,
    };
    let mut volumes = Volumes::new(KubeVolumes::new(client.clone()), dirs);
    volumes.default_class = config.local.as_ref().is_none_or(|l| l.default_class);
    let cfg = watcher::Config::default;
    let claims = watcher::watcher(Api::<PersistentVolumeClaim>::all(client.clone()), cfg())
        .default_backoff()
        .map(|e| Input::Claim(Box::new(e)));
    let pvs = watcher::watcher(Api::<PersistentVolume>::all(client.clone()), cfg())
        .default_backoff()
        .map(|e| Input::Volume(Box::new(e)));
    let classes = watcher::watcher(Api::<StorageClass>::all(client.clone()), cfg())
        .default_backoff()
        .map(|e| Input::Class(Box::new(e)));
    let pods = watcher::watcher(Api::<Pod>::all(client), cfg())
        .default_backoff()
        .map(|e| Input::Pod(Box::new(e)));
    let mut inputs = futures::stream::select_all([claims.boxed(), pvs.boxed(), classes.boxed(), pods.boxed()]);
    let mut state = State::default();
    let mut retries = WorkQueue::<()>::default();
    loop {
        while let Some(Some(input)) = inputs.next().now_or_never() {
            observe(&mut state, input);
        }
        if state.synced() && retries.next_due().is_none() {
            if volumes.sync(&mut state).await {
                retries.forget(&());
            } else {
                retries.retry((), Instant::now());
            }
        }
        let wake = retries.next_due().unwrap_or_else(|| Instant::now() + RESYNC);
        tokio::select! {
            input = inputs.next() => match input {
                Some(input) => observe(&mut state, input),
                None => return Ok(()),
            },
            () = sleep_until(Some(wake)) => {
                retries.promote(Instant::now());
                while retries.pop().is_some() {}
            }
        }
    }
}
