//! StatefulSet controller with upstream Kubernetes 1.32 semantics (upstream
//! `pkg/controller/statefulset`).
//!
//! The driver watches StatefulSets, Pods, PersistentVolumeClaims and ControllerRevisions into
//! [`cache::Cache`], queues set keys by upstream's event-handler rules, and runs workers that
//! snapshot a set's objects, call the pure [`plan::plan`] and [`exec::execute`] its actions
//! through [`client::StatefulSetApi`] ([`kube_api::KubeStatefulSets`] in production).

pub mod adopt;
pub mod cache;
pub mod client;
pub mod control;
pub mod events;
pub mod exec;
pub mod identity;
pub mod kube_api;
pub mod plan;
pub mod pods;
pub mod queue;
pub mod retention;
pub mod revision;
pub mod selector;
pub mod slots;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::watcher::Event;

use self::cache::{claim_belongs, key_of, Cache, ObjectKey};
use self::client::StatefulSetApi;
use self::identity::controller_of;
use self::plan::Features;
use self::queue::SetQueue;
use crate::error::ControllerError;
use crate::informers::{Informers, WatchItem};

/// How the controller runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatefulSetConfig {
    /// Concurrent syncs (upstream `--concurrent-statefulset-syncs`, default 5).
    pub workers: usize,
    pub features: Features,
}

impl Default for StatefulSetConfig {
    fn default() -> Self {
        StatefulSetConfig {
            workers: 5,
            features: Features::default(),
        }
    }
}

/// Runs the StatefulSet controller, with watches of its own, until `shutdown` resolves.
pub async fn run(
    client: kube::Client,
    config: StatefulSetConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    let informers = Informers::new(client.clone());
    let controller = start(client, &informers, config, shutdown);
    informers.run_while(controller).await
}

/// Subscribes to the StatefulSets, Pods, claims and ControllerRevisions of `informers`, and
/// returns the controller, which runs until `shutdown` resolves.
pub fn start(
    client: kube::Client,
    informers: &Informers,
    config: StatefulSetConfig,
    shutdown: impl Future<Output = ()>,
) -> impl Future<Output = Result<(), ControllerError>> {
    let inputs = futures::stream::select_all([
        informers.stream::<StatefulSet>().map(Input::Set).boxed(),
        informers.stream::<Pod>().map(Input::Pod).boxed(),
        informers.stream::<PersistentVolumeClaim>().map(Input::Claim).boxed(),
        informers.stream::<ControllerRevision>().map(Input::Revision).boxed(),
    ]);
    async move {
        let cache = Arc::new(RwLock::new(Cache::default()));
        let controller = Arc::new(Controller::new(
            kube_api::KubeStatefulSets::new(client, cache.clone()),
            cache,
            config,
        ));
        let workers: Vec<_> = (0..config.workers.max(1))
            .map(|_| tokio::spawn(controller.clone().worker()))
            .collect();
        let result = tokio::select! {
            () = shutdown => Ok(()),
            r = controller.clone().watch(inputs) => r,
        };
        controller.queue.shut_down();
        for w in workers {
            let _ = w.await;
        }
        result
    }
}

/// One watch event of any of the four kinds (short-lived, so not boxed).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Input {
    Set(WatchItem<StatefulSet>),
    Pod(WatchItem<Pod>),
    Claim(WatchItem<PersistentVolumeClaim>),
    Revision(WatchItem<ControllerRevision>),
}

/// Objects collected during a (re)list, swapped in at `InitDone`.
pub(crate) struct Relist {
    pub(crate) sets: Option<Vec<StatefulSet>>,
    pub(crate) pods: Option<Vec<Pod>>,
    pub(crate) claims: Option<Vec<PersistentVolumeClaim>>,
    pub(crate) revisions: Option<Vec<ControllerRevision>>,
    pub(crate) synced: [bool; 4],
}

/// The controller: caches, queue, and the API its workers act through.
pub struct Controller<A> {
    api: A,
    cache: Arc<RwLock<Cache>>,
    queue: Arc<SetQueue>,
    features: Features,
}

impl<A: StatefulSetApi + 'static> Controller<A> {
    pub fn new(api: A, cache: Arc<RwLock<Cache>>, config: StatefulSetConfig) -> Self {
        Controller {
            api,
            cache,
            queue: Arc::new(SetQueue::default()),
            features: config.features,
        }
    }

    pub fn queue(&self) -> &SetQueue {
        &self.queue
    }

    pub fn cache(&self) -> &Arc<RwLock<Cache>> {
        &self.cache
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cache> {
        self.cache.write().unwrap_or_else(|e| e.into_inner())
    }

    async fn watch(self: Arc<Self>, inputs: impl futures::Stream<Item = Input>) -> Result<(), ControllerError> {
        let mut inputs = std::pin::pin!(inputs);
        let mut relist = Relist {
            sets: None,
            pods: None,
            claims: None,
            revisions: None,
            synced: [false; 4],
        };
        tracing::info!("statefulset controller started");
        while let Some(input) = inputs.next().await {
            self.observe(&mut relist, input);
            // Take in everything already there before workers look at the caches again.
            while let Some(Some(input)) = inputs.next().now_or_never() {
                self.observe(&mut relist, input);
            }
        }
        Ok(())
    }

    pub(crate) fn observe(&self, relist: &mut Relist, input: Input) {
        let was_synced = relist.synced.iter().all(|s| *s);
        match input {
            Input::Set(Ok(ev)) => match ev {
                Event::Init => relist.sets = Some(Vec::new()),
                Event::InitApply(s) => relist.sets.get_or_insert_with(Vec::new).push(s),
                Event::InitDone => {
                    let sets = relist.sets.take().unwrap_or_default();
                    self.write().sets.replace(sets);
                    relist.synced[0] = true;
                    if was_synced {
                        self.enqueue_all();
                    }
                }
                Event::Apply(s) => {
                    let key = key_of(&s.metadata);
                    self.write().sets.upsert(s);
                    if let (Some(key), true) = (key, was_synced) {
                        self.queue.add(key);
                    }
                }
                Event::Delete(s) => {
                    let key = key_of(&s.metadata);
                    self.write().sets.remove(&s.metadata);
                    if let (Some(key), true) = (key, was_synced) {
                        self.queue.add(key);
                    }
                }
            },
            Input::Pod(Ok(ev)) => match ev {
                Event::Init => relist.pods = Some(Vec::new()),
                Event::InitApply(p) => relist.pods.get_or_insert_with(Vec::new).push(p),
                Event::InitDone => {
                    let pods = relist.pods.take().unwrap_or_default();
                    self.write().pods.replace(pods);
                    relist.synced[1] = true;
                    if was_synced {
                        self.enqueue_all();
                    }
                }
                Event::Apply(p) => {
                    let p = cache::shared(p);
                    let old = self.write().pods.upsert_shared(p.clone());
                    if was_synced {
                        self.pod_changed(old.as_deref(), &p);
                    }
                }
                Event::Delete(p) => {
                    self.write().pods.remove(&p.metadata);
                    if was_synced {
                        self.pod_deleted(&p);
                    }
                }
            },
            Input::Claim(Ok(ev)) => match ev {
                Event::Init => relist.claims = Some(Vec::new()),
                Event::InitApply(c) => relist.claims.get_or_insert_with(Vec::new).push(c),
                Event::InitDone => {
                    let claims = relist.claims.take().unwrap_or_default();
                    self.write().claims.replace(claims);
                    relist.synced[2] = true;
                }
                Event::Apply(c) => {
                    self.write().claims.upsert(c);
                }
                Event::Delete(c) => {
                    self.write().claims.remove(&c.metadata);
                    // Not upstream: a set waiting for a stale claim to go retries at once.
                    if was_synced {
                        self.claim_deleted(&c);
                    }
                }
            },
            Input::Revision(Ok(ev)) => match ev {
                Event::Init => relist.revisions = Some(Vec::new()),
                Event::InitApply(r) => relist.revisions.get_or_insert_with(Vec::new).push(r),
                Event::InitDone => {
                    let revs = relist.revisions.take().unwrap_or_default();
                    self.write().revisions.replace(revs);
                    relist.synced[3] = true;
                }
                Event::Apply(r) => {
                    self.write().revisions.upsert(r);
                }
                Event::Delete(r) => {
                    self.write().revisions.remove(&r.metadata);
                }
            },
            Input::Set(Err(e)) | Input::Pod(Err(e)) | Input::Claim(Err(e)) | Input::Revision(Err(e)) => {
                tracing::warn!(error = %e, "statefulset controller watch failed; retrying");
            }
        }
        if !was_synced && relist.synced.iter().all(|s| *s) {
            tracing::info!("statefulset controller caches synced");
            self.enqueue_all();
        }
    }

    fn enqueue_all(&self) {
        let keys: Vec<ObjectKey> = self.read().sets.all().filter_map(|s| key_of(&s.metadata)).collect();
        for k in keys {
            self.queue.add(k);
        }
    }

    /// The set a controller ref points at, if it is in the cache with that uid.
    fn resolve(&self, namespace: &str, r: &OwnerReference) -> Option<(ObjectKey, i32)> {
        if r.kind != "StatefulSet" || crate::resources::group_of(&r.api_version) != "apps" {
            return None;
        }
        let cache = self.read();
        let set = cache.sets.get(namespace, &r.name)?;
        (set.metadata.uid.as_deref() == Some(r.uid.as_str())).then(|| {
            (
                ObjectKey {
                    namespace: namespace.into(),
                    name: r.name.clone(),
                },
                pods::min_ready_seconds(set),
            )
        })
    }

    /// Sets whose selector matches the pod's labels (upstream `GetPodStatefulSets`).
    fn sets_for_pod(&self, pod: &Pod) -> Vec<ObjectKey> {
        let Some(labels) = pod.metadata.labels.as_ref().filter(|l| !l.is_empty()) else {
            return Vec::new();
        };
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let cache = self.read();
        let keys: Vec<ObjectKey> = cache
            .sets
            .in_namespace(ns)
            .filter(|s| {
                s.spec.as_ref().is_some_and(|sp| {
                    !selector::is_empty(&sp.selector) && selector::matches(&sp.selector, Some(labels))
                })
            })
            .filter_map(|s| key_of(&s.metadata))
            .collect();
        if keys.len() > 1 {
            tracing::warn!(pod = ?pod.metadata.name, "user error: more than one StatefulSet is selecting pods with labels: {labels:?}");
        }
        keys
    }

    /// Upstream `addPod`/`updatePod`.
    fn pod_changed(&self, old: Option<&Pod>, cur: &Pod) {
        let ns = cur.metadata.namespace.as_deref().unwrap_or_default();
        if old.is_some_and(|o| o.metadata.resource_version == cur.metadata.resource_version) {
            return;
        }
        if old.is_none() && cur.metadata.deletion_timestamp.is_some() {
            self.pod_deleted(cur);
            return;
        }
        let cur_ref = controller_of(&cur.metadata);
        let old_ref = old.and_then(|o| controller_of(&o.metadata));
        if old.is_some() && old_ref != cur_ref {
            if let Some((key, _)) = old_ref.and_then(|r| self.resolve(ns, r)) {
                self.queue.add(key);
            }
        }
        if let Some(r) = cur_ref {
            if let Some((key, mrs)) = self.resolve(ns, r) {
                let became_ready = old.is_some_and(|o| !pods::is_ready(o)) && pods::is_ready(cur);
                self.queue.add(key.clone());
                if became_ready && mrs > 0 {
                    self.queue
                        .add_after(key, Duration::from_secs(u64::from(mrs.unsigned_abs()) + 1));
                }
            }
            return;
        }
        let changed = old.is_none_or(|o| o.metadata.labels != cur.metadata.labels || old_ref.is_some());
        if changed {
            for key in self.sets_for_pod(cur) {
                self.queue.add(key);
            }
        }
    }

    /// Upstream `deletePod`: only owned pods enqueue their set.
    fn pod_deleted(&self, pod: &Pod) {
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        if let Some((key, _)) = controller_of(&pod.metadata).and_then(|r| self.resolve(ns, r)) {
            self.queue.add(key);
        }
    }

    fn claim_deleted(&self, claim: &PersistentVolumeClaim) {
        let ns = claim.metadata.namespace.as_deref().unwrap_or_default();
        let name = claim.metadata.name.as_deref().unwrap_or_default();
        let keys: Vec<ObjectKey> = self
            .read()
            .sets
            .in_namespace(ns)
            .filter(|s| claim_belongs(s, name))
            .filter_map(|s| key_of(&s.metadata))
            .collect();
        for k in keys {
            self.queue.add(k);
        }
    }

    /// One sync of a set; `Some(delay)` asks to look again.
    pub async fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, exec::SyncError> {
        let Some(input) = self.read().input(key, self.features) else {
            tracing::debug!(statefulset = %key, "statefulset has been deleted");
            return Ok(None);
        };
        let plan = plan::plan(&input, Timestamp::now());
        tracing::debug!(statefulset = %key, groups = plan.groups.len(), update_revision = %plan.update_revision, "syncing statefulset");
        exec::execute(&self.api, &input.set, &plan).await?;
        Ok(plan.requeue_after)
    }

    /// Processes keys until the queue shuts down.
    pub async fn worker(self: Arc<Self>) {
        while let Some(key) = self.queue.next().await {
            match self.reconcile(&key).await {
                Ok(after) => {
                    self.queue.forget(&key);
                    if let Some(d) = after {
                        self.queue.add_after(key.clone(), d);
                    }
                }
                Err(e) => {
                    let delay = self.queue.retry(key.clone());
                    tracing::warn!(statefulset = %key, error = %e, retry_in_ms = delay.as_millis() as u64, "error syncing statefulset, requeuing");
                }
            }
            self.queue.done(&key);
        }
    }
}
