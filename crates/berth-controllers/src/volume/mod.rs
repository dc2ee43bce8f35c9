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
pub mod changes;
pub mod exec;
pub mod model;
pub mod protection;
pub mod provisioner;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::PathBuf;

use futures::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::runtime::watcher::Event;
use tokio::time::Instant;

use self::api::{KubeVolumes, VolumeApi};
use self::binder::matching::VolumeIndex;
use self::binder::plan::EventNote;
use self::changes::Changes;
use self::exec::{plan_groups, Planned, Provisioning, Tracker, View, MAX_CONCURRENT_GROUPS};
use self::model::{Claim, ClaimKey, Class, PodClaims, Scope, Volume};
use self::provisioner::dirs::{LocalDirs, VolumeDirs};
use self::provisioner::plan::Config as ProvisionConfig;
use crate::error::ControllerError;
use crate::informers::{Informers, WatchItem};
use crate::queue::sleep_until;

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
    /// resourceVersions of claims and volumes the watch saw deleted, so a write that returns
    /// after the deletion was seen cannot bring them back (kept while writes are in flight).
    gone_claims: HashMap<ClaimKey, u64>,
    gone_volumes: HashMap<String, u64>,
    /// What changed since the last plan.
    pub changes: Changes,
}

/// What a watch event or a write's answer did to one cache.
enum Changed<K, O> {
    Nothing,
    /// The object of this key changed; what it was before.
    One(K, Option<O>),
    /// A relist replaced the whole cache.
    All,
}

fn newer(old: &str, new: &str) -> bool {
    match (old.parse::<u64>(), new.parse::<u64>()) {
        (Ok(o), Ok(n)) => n >= o,
        _ => true,
    }
}

fn rv_number(rv: &str) -> u64 {
    rv.parse().unwrap_or(0)
}

/// Applies a watch event to one cache; `key` names an object, `rv` its resourceVersion.
fn observe_into<T, O, K: Ord + Clone + std::hash::Hash>(
    map: &mut BTreeMap<K, O>,
    relist: &mut Option<BTreeMap<K, O>>,
    synced: &mut bool,
    gone: Option<&mut HashMap<K, u64>>,
    ev: Event<T>,
    conv: impl Fn(&T) -> Option<(K, O)>,
    rv: impl Fn(&O) -> &str,
) -> Changed<K, O> {
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
            return Changed::All;
        }
        Event::Apply(o) => {
            if let Some((k, v)) = conv(&o) {
                let cur = map.get(&k);
                // The same version again (a write's answer already took it in) changes nothing.
                let same = cur.is_some_and(|cur| !rv(cur).is_empty() && rv(cur) == rv(&v));
                if !same && cur.is_none_or(|cur| newer(rv(cur), rv(&v))) {
                    let old = map.insert(k.clone(), v);
                    return Changed::One(k, old);
                }
            }
        }
        Event::Delete(o) => {
            if let Some((k, v)) = conv(&o) {
                let old = map.remove(&k);
                if let Some(gone) = gone {
                    gone.insert(k.clone(), rv_number(rv(&v)));
                }
                if old.is_some() {
                    return Changed::One(k, old);
                }
            }
        }
    }
    Changed::Nothing
}

impl State {
    pub fn synced(&self) -> bool {
        self.synced.iter().all(|s| *s)
    }

    pub fn observe_claim(&mut self, ev: Event<PersistentVolumeClaim>) {
        self.take_claim(ev, |c| Claim::from(c));
    }

    pub fn observe_volume(&mut self, ev: Event<PersistentVolume>) {
        self.take_volume(ev, |v| Volume::from(v));
    }

    pub fn observe_class(&mut self, ev: Event<StorageClass>) {
        self.take_class(ev, |c| Class::from(c));
    }

    pub fn observe_pod(&mut self, ev: Event<Pod>) {
        self.take_pod(ev, |p| PodClaims::from(p));
    }

    /// A watch event of claims, read as [`Claim`]s by `conv`.
    fn take_claim<T>(&mut self, ev: Event<T>, conv: impl Fn(&T) -> Claim) {
        let changed = observe_into(
            &mut self.claims,
            &mut self.relist_claims,
            &mut self.synced[0],
            Some(&mut self.gone_claims),
            ev,
            |c| {
                let c = conv(c);
                Some((c.key(), c))
            },
            |c| &c.resource_version,
        );
        self.claim_changed(changed);
    }

    fn take_volume<T>(&mut self, ev: Event<T>, conv: impl Fn(&T) -> Volume) {
        let changed = observe_into(
            &mut self.volumes,
            &mut self.relist_volumes,
            &mut self.synced[1],
            Some(&mut self.gone_volumes),
            ev,
            |v| {
                let v = conv(v);
                Some((v.name.clone(), v))
            },
            |v| &v.resource_version,
        );
        self.volume_changed(changed);
    }

    fn take_class<T>(&mut self, ev: Event<T>, conv: impl Fn(&T) -> Class) {
        let changed = observe_into(
            &mut self.classes,
            &mut self.relist_classes,
            &mut self.synced[2],
            None,
            ev,
            |c| {
                let c = conv(c);
                Some((c.name.clone(), c))
            },
            |_| "",
        );
        // Every claim's decisions depend on the classes.
        if !matches!(changed, Changed::Nothing) {
            self.changes.everything();
        }
    }

    fn take_pod<T>(&mut self, ev: Event<T>, conv: impl Fn(&T) -> PodClaims) {
        let changed = observe_into(
            &mut self.pods,
            &mut self.relist_pods,
            &mut self.synced[3],
            None,
            ev,
            |p| {
                let p = conv(p);
                Some(((p.namespace.clone(), p.name.clone()), p))
            },
            |_| "",
        );
        match changed {
            Changed::Nothing => {}
            Changed::All => self.changes.everything(),
            Changed::One(k, old) => self.changes.pod(old.as_ref(), self.pods.get(&k), &self.claims),
        }
    }

    fn claim_changed(&mut self, changed: Changed<ClaimKey, Claim>) {
        match changed {
            Changed::Nothing => {}
            Changed::All => self.changes.relisted(&self.claims, &self.volumes),
            Changed::One(k, old) => self.changes.claim(&k, old.as_ref(), self.claims.get(&k)),
        }
    }

    fn volume_changed(&mut self, changed: Changed<String, Volume>) {
        match changed {
            Changed::Nothing => {}
            Changed::All => self.changes.relisted(&self.claims, &self.volumes),
            Changed::One(k, old) => self.changes.volume(&k, old.as_ref(), self.volumes.get(&k)),
        }
    }

    /// What a write returned about a claim; `known` is the resourceVersion the writer last saw.
    /// An answer older than what the cache holds, or than a deletion the watch showed, is
    /// dropped; "gone" removes only a copy the writer knew.
    fn put_claim(&mut self, key: &ClaimKey, c: Option<Claim>, known: u64) {
        let changed = put(&mut self.claims, &self.gone_claims, key, c, known, |c| {
            &c.resource_version
        });
        self.claim_changed(changed);
    }

    fn put_volume(&mut self, name: &String, v: Option<Volume>, known: u64) {
        let changed = put(&mut self.volumes, &self.gone_volumes, name, v, known, |v| {
            &v.resource_version
        });
        self.volume_changed(changed);
    }

    /// Forgets deletions once no write is in flight that could still return.
    pub fn forget_deletions(&mut self) {
        self.gone_claims.clear();
        self.gone_volumes.clear();
    }
}

fn put<K: Ord + Clone + std::hash::Hash, O>(
    map: &mut BTreeMap<K, O>,
    gone: &HashMap<K, u64>,
    key: &K,
    obj: Option<O>,
    known: u64,
    rv: impl Fn(&O) -> &str,
) -> Changed<K, O> {
    let current = map.get(key).map(|o| rv_number(rv(o)));
    match obj {
        Some(o) => {
            let at = rv_number(rv(&o));
            let deleted_since = gone.get(key).is_some_and(|g| *g >= at);
            if !deleted_since && current.is_none_or(|c| c <= at) {
                return Changed::One(key.clone(), map.insert(key.clone(), o));
            }
        }
        None => {
            if current.is_some_and(|c| c <= known) {
                return Changed::One(key.clone(), map.remove(key));
            }
        }
    }
    Changed::Nothing
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

    /// Where the provisioner works, if it runs.
    fn provisioning<'a>(&'a self, root: &'a Option<String>) -> Option<Provisioning<'a>> {
        match (&self.dirs, root) {
            (Some((_, config)), Some(root)) => Some(Provisioning { config, root }),
            _ => None,
        }
    }

    /// Plans and runs every group, all at once, until the plans ask for nothing more (at most a
    /// few rounds); false if a step failed and should be retried. The driver runs groups as they
    /// come instead ([`run_forever`]); this is the same work in lockstep, for tests.
    pub async fn sync(&mut self, state: &mut State) -> bool {
        if let Err(e) = self.start(state).await {
            tracing::warn!(error = %e, "volume controller startup failed; retrying");
            return false;
        }
        let root = self.root();
        for _ in 0..16 {
            let index = VolumeIndex::new(state.volumes.values());
            let groups = plan_groups(state, self.provisioning(&root), &|_| false, &index, Scope::All).groups;
            if groups.is_empty() {
                return true;
            }
            let snapshot: &State = state;
            let results: Vec<_> =
                futures::stream::iter(groups.into_iter().map(|g| self.run_group(View::of(snapshot, &g), g)))
                    .buffer_unordered(MAX_CONCURRENT_GROUPS)
                    .collect()
                    .await;
            let mut ok = true;
            for (written, err) in results {
                state.absorb(written);
                if let Some(e) = err {
                    tracing::warn!(error = %e, "volume controller step failed; retrying");
                    ok = false;
                }
            }
            if !ok {
                return false;
            }
        }
        true
    }
}

/// Runs the volume controllers, with watches of their own, until `shutdown` resolves.
pub async fn run(
    client: kube::Client,
    config: VolumeConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    let informers = Informers::new(client.clone());
    let controllers = start(client, &informers, config, shutdown);
    informers.run_while(controllers).await
}

/// Subscribes to the claims, volumes, classes and Pods of `informers`, and returns the volume
/// controllers, which run until `shutdown` resolves.
pub fn start(
    client: kube::Client,
    informers: &Informers,
    config: VolumeConfig,
    shutdown: impl Future<Output = ()>,
) -> impl Future<Output = Result<(), ControllerError>> {
    let inputs = futures::stream::select_all([
        informers
            .stream::<PersistentVolumeClaim>()
            .map(|e| Input::Claim(Box::new(e)))
            .boxed(),
        informers
            .stream::<PersistentVolume>()
            .map(|e| Input::Volume(Box::new(e)))
            .boxed(),
        informers
            .stream::<StorageClass>()
            .map(|e| Input::Class(Box::new(e)))
            .boxed(),
        informers.stream::<Pod>().map(|e| Input::Pod(Box::new(e))).boxed(),
    ]);
    async move {
        tokio::select! {
            () = shutdown => Ok(()),
            r = run_forever(client, config, inputs) => r,
        }
    }
}

enum Input {
    Claim(Box<WatchItem<PersistentVolumeClaim>>),
    Volume(Box<WatchItem<PersistentVolume>>),
    Class(Box<WatchItem<StorageClass>>),
    Pod(Box<WatchItem<Pod>>),
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

/// Takes in what a group wrote and frees its objects (after a failure, for a backoff).
fn finish(
    state: &mut State,
    tracker: &mut Tracker,
    objects: Vec<exec::Object>,
    done: (exec::Written, Option<ControllerError>),
) {
    let (written, err) = done;
    state.absorb(written);
    if let Some(e) = &err {
        tracing::warn!(error = %e, "volume controller step failed; retrying");
    }
    tracker.finish(&objects, err.is_none(), Instant::now());
    state.changes.touch(&objects);
}

/// Plans what changed since the last plan (nothing at all when nothing did), for about `budget`
/// groups.
fn plan_changes(
    state: &mut State,
    provisioning: Option<Provisioning<'_>>,
    blocked: &dyn Fn(&exec::Object) -> bool,
    budget: usize,
) -> Planned {
    if state.changes.is_empty() {
        #[cfg(debug_assertions)]
        check_incremental(state, provisioning, blocked, &Planned::default());
        return Planned::default();
    }
    let marked = state.changes.take(&state.claims, budget, blocked);
    let scope = match &marked {
        None => Scope::All,
        Some(m) => Scope::Only {
            claims: &m.claims,
            volumes: &m.volumes,
        },
    };
    let planned = plan_groups(state, provisioning, blocked, &state.changes.index, scope);
    state.changes.touch(&planned.deferred);
    #[cfg(debug_assertions)]
    check_incremental(state, provisioning, blocked, &planned);
    planned
}

/// Debug builds (which the end-to-end tests run) check every incremental plan against a plan
/// over everything: it must find the same work, or leave it for a plan to come.
#[cfg(debug_assertions)]
fn check_incremental(
    state: &State,
    provisioning: Option<Provisioning<'_>>,
    blocked: &dyn Fn(&exec::Object) -> bool,
    planned: &Planned,
) {
    let index = VolumeIndex::new(state.volumes.values());
    assert_eq!(
        state.changes.index, index,
        "the kept volume index differs from the volumes"
    );
    let full = plan_groups(state, provisioning, blocked, &index, Scope::All);
    let missed = changes::missed(&full.groups, &planned.groups, &state.changes);
    assert!(
        missed.is_empty(),
        "a plan over the changed claims and volumes missed work a plan over all of them finds: {missed:?}"
    );
}

/// Upstream's PV controller resyncs every 15 s; so does this loop, to retry what waits on nothing.
const RESYNC: std::time::Duration = std::time::Duration::from_secs(15);

async fn run_forever(
    client: kube::Client,
    config: VolumeConfig,
    inputs: impl futures::Stream<Item = Input> + Send + 'static,
) -> Result<(), ControllerError> {
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
    let mut volumes = Volumes::new(KubeVolumes::new(client), dirs);
    volumes.default_class = config.local.as_ref().is_none_or(|l| l.default_class);
    // Read on their own task, like informers: events keep arriving while a pass awaits its writes,
    // and the next pass takes all of them at once (read from this loop, an HTTP/1 watch body
    // yields about one event per pass, which makes passes over many claims run one claim each).
    let (mut inputs, _reader) = crate::queue::read_ahead(inputs);
    let mut state = State::default();
    // Startup, once the caches are synced: the default class and the repair of directories.
    loop {
        while let Ok(input) = inputs.try_recv() {
            observe(&mut state, input);
        }
        if state.synced() {
            match volumes.start(&state).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "volume controller startup failed; retrying");
                    tokio::time::sleep(crate::retry::backoff(0)).await;
                    continue;
                }
            }
        }
        match inputs.recv().await {
            Some(input) => observe(&mut state, input),
            None => return Ok(()),
        }
    }
    // Then groups run as soon as they are planned: a claim's next step starts when its previous
    // write is back, whatever other claims are doing.
    let volumes = &volumes;
    let root = volumes.root();
    let mut tracker = Tracker::default();
    let mut inflight = futures::stream::FuturesUnordered::new();
    let mut resync_at = Instant::now() + RESYNC;
    loop {
        // Everything that arrived or finished meanwhile goes in before one plan.
        while let Ok(input) = inputs.try_recv() {
            observe(&mut state, input);
        }
        while let Some(Some((objects, done))) = inflight.next().now_or_never() {
            finish(&mut state, &mut tracker, objects, done);
        }
        if inflight.is_empty() {
            state.forget_deletions();
        }
        let free = MAX_CONCURRENT_GROUPS.saturating_sub(inflight.len());
        if free > 0 {
            let now = Instant::now();
            let planned = plan_changes(
                &mut state,
                volumes.provisioning(&root),
                &|o| tracker.blocked(o, now),
                free,
            );
            let mut groups = planned.groups.into_iter();
            for g in groups.by_ref().take(free) {
                tracker.start(&g);
                let view = View::of(&state, &g);
                let objects: Vec<exec::Object> = g.objects.clone();
                inflight.push(async move { (objects, volumes.run_group(view, g).await) });
            }
            // What did not fit is planned again when groups finish.
            for g in groups {
                state.changes.touch(&g.objects);
            }
        }
        let now = Instant::now();
        let wake = tracker.next_retry(now).map_or(resync_at, |t| t.min(resync_at));
        tokio::select! {
            input = inputs.recv() => match input {
                Some(input) => observe(&mut state, input),
                None => return Ok(()),
            },
            Some((objects, done)) = inflight.next(), if !inflight.is_empty() => {
                finish(&mut state, &mut tracker, objects, done);
            }
            () = sleep_until(Some(wake)) => {
                if Instant::now() >= resync_at {
                    resync_at = Instant::now() + RESYNC;
                    state.changes.everything();
                }
            }
        }
    }
}
