//! Scheduler: binds pods without `spec.nodeName` whose `schedulerName` is `default-scheduler` to a
//! Ready, schedulable node with room, through the `pods/binding` subresource (upstream
//! `pkg/scheduler`, reduced to the filters a single-binary cluster needs).
//!
//! A pod that fits nowhere gets `PodScheduled=False` (reason `Unschedulable`) and one
//! `FailedScheduling` event per distinct message; it is placed again on every pod or node change.

pub mod plan;
pub mod volumes;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Binding, Node, ObjectReference, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::watcher::Event;
use serde_json::json;
use tokio::time::Instant;

use self::plan::{plan, Action, NodeInfo, PodInfo, Readiness};
use self::volumes::{bind_steps, check, Check, Step, VolumeWorld};
use crate::error::{is_conflict, is_not_found, ControllerError};
use crate::informers::{Informers, WatchError, WatchItem, Writes};
use crate::queue::{sleep_until, WorkQueue};
use crate::volume::binder::matching::NodeView;
use crate::volume::model::{Claim, ClaimKey, ClaimRef, Class, PodClaims, Volume};

/// `spec.schedulerName` this scheduler serves (an empty one means the same).
pub const SCHEDULER_NAME: &str = "default-scheduler";

/// Everything the scheduler does to the API server.
pub trait SchedulerApi: Send + Sync {
    /// Binds the pod to `node`; `Ok(false)` if it is gone or already bound.
    fn bind(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        node: &str,
    ) -> impl Future<Output = Result<bool, ControllerError>> + Send;
    /// Sets the pod's `PodScheduled=False` condition, reason `Unschedulable`.
    fn set_unschedulable(
        &self,
        namespace: &str,
        name: &str,
        message: &str,
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Sets `volume.kubernetes.io/selected-node` on a claim (WaitForFirstConsumer provisioning).
    fn select_node(&self, claim: &ClaimKey, node: &str) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Pre-binds a static volume to a claim (`spec.claimRef`), unless someone took it meanwhile.
    fn prebind(&self, volume: &str, claim: &ClaimRef) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Records an event about the pod from `default-scheduler`.
    fn record_event(
        &self,
        pod: &PodRef,
        type_: &str,
        reason: &str,
        message: &str,
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
}

/// The pod an event is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// A pod as the scheduler keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct PodEntry {
    pub info: PodInfo,
    pub node_name: Option<String>,
    pub ours: bool,
    pub finished: bool,
    pub deleting: bool,
    pub created: Option<jiff::Timestamp>,
}

fn pod_entry(p: &Pod) -> Option<((String, String), PodEntry)> {
    let m = &p.metadata;
    let (ns, name, uid) = (m.namespace.clone()?, m.name.clone()?, m.uid.clone()?);
    let spec = p.spec.clone().unwrap_or_default();
    let status = p.status.as_ref();
    let unschedulable_message = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable"))
        .and_then(|c| c.message.clone());
    let entry = PodEntry {
        info: PodInfo {
            namespace: ns.clone(),
            name: name.clone(),
            uid,
            node_selector: spec.node_selector.clone().unwrap_or_default(),
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            unschedulable_message,
        },
        node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
        ours: spec
            .scheduler_name
            .as_deref()
            .is_none_or(|s| s.is_empty() || s == SCHEDULER_NAME),
        finished: matches!(status.and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed")),
        deleting: m.deletion_timestamp.is_some(),
        created: m.creation_timestamp.as_ref().map(|t| t.0),
    };
    Some(((ns, name), entry))
}

fn node_info(n: &Node) -> Option<NodeInfo> {
    let name = n.metadata.name.clone()?;
    let spec = n.spec.clone().unwrap_or_default();
    let status = n.status.as_ref();
    let readiness = match status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.as_str())
    {
        Some("True") => Readiness::Ready,
        Some("False") => Readiness::NotReady,
        _ => Readiness::Unknown,
    };
    let max_pods = status
        .and_then(|s| s.allocatable.as_ref())
        .and_then(|a| a.get("pods"))
        .and_then(|q| q.0.parse().ok())
        .unwrap_or(0);
    Some(NodeInfo {
        name,
        labels: n.metadata.labels.clone().unwrap_or_default(),
        taints: spec.taints.unwrap_or_default(),
        readiness,
        unschedulable: spec.unschedulable.unwrap_or(false),
        max_pods,
    })
}

/// What the scheduler has observed.
#[derive(Debug, Default)]
pub struct State {
    pub pods: BTreeMap<(String, String), PodEntry>,
    pub nodes: BTreeMap<String, NodeInfo>,
    relist_pods: Option<BTreeMap<(String, String), PodEntry>>,
    relist_nodes: Option<BTreeMap<String, NodeInfo>>,
    synced_pods: bool,
    synced_nodes: bool,
    /// Unschedulable messages already reported, by pod UID, until the watch shows them.
    reported: HashMap<String, String>,
    /// Claim names of pods that use any, by (namespace, name).
    pub pod_claims: BTreeMap<(String, String), Vec<String>>,
    /// Claims, volumes and classes (volume binding); watched only by the real driver.
    pub volumes: VolumeWorld,
}

impl State {
    pub fn synced(&self) -> bool {
        self.synced_pods && self.synced_nodes
    }

    pub fn observe_pod(&mut self, ev: Event<Pod>) {
        match ev {
            Event::Init => self.relist_pods = Some(BTreeMap::new()),
            Event::InitApply(p) => {
                self.note_claims(&p);
                if let (Some((k, e)), Some(seen)) = (pod_entry(&p), self.relist_pods.as_mut()) {
                    seen.insert(k, e);
                }
            }
            Event::InitDone => {
                self.pods = self.relist_pods.take().unwrap_or_default();
                self.synced_pods = true;
            }
            Event::Apply(p) => {
                self.note_claims(&p);
                if let Some((k, e)) = pod_entry(&p) {
                    self.pods.insert(k, e);
                }
            }
            Event::Delete(p) => {
                if let Some((k, e)) = pod_entry(&p) {
                    self.pods.remove(&k);
                    self.pod_claims.remove(&k);
                    self.reported.remove(&e.info.uid);
                }
            }
        }
    }

    fn note_claims(&mut self, p: &Pod) {
        let pc = PodClaims::from(p);
        let key = (pc.namespace, pc.name);
        if pc.claims.is_empty() {
            self.pod_claims.remove(&key);
        } else {
            self.pod_claims.insert(key, pc.claims);
        }
    }

    /// Applies a claim, volume or class watch event (no relist bookkeeping: they only narrow
    /// choices, and a missing claim only delays a pod).
    pub fn observe_volume_world(&mut self, input: VolumeInput) {
        let w = &mut self.volumes;
        match input {
            VolumeInput::Claim(ev) => apply_event(&mut w.claims, *ev, |c: &PersistentVolumeClaim| {
                let c = Claim::from(c);
                (c.key(), c)
            }),
            VolumeInput::Volume(ev) => apply_event(&mut w.volumes, *ev, |v: &PersistentVolume| {
                let v = Volume::from(v);
                (v.name.clone(), v)
            }),
            VolumeInput::Class(ev) => apply_event(&mut w.classes, *ev, |c: &StorageClass| {
                let c = Class::from(c);
                (c.name.clone(), c)
            }),
        }
    }

    pub fn observe_node(&mut self, ev: Event<Node>) {
        match ev {
            Event::Init => self.relist_nodes = Some(BTreeMap::new()),
            Event::InitApply(n) => {
                if let (Some(info), Some(seen)) = (node_info(&n), self.relist_nodes.as_mut()) {
                    seen.insert(info.name.clone(), info);
                }
            }
            Event::InitDone => {
                self.nodes = self.relist_nodes.take().unwrap_or_default();
                self.synced_nodes = true;
            }
            Event::Apply(n) => {
                if let Some(info) = node_info(&n) {
                    self.nodes.insert(info.name.clone(), info);
                }
            }
            Event::Delete(n) => {
                if let Some(name) = &n.metadata.name {
                    self.nodes.remove(name);
                }
            }
        }
    }

    /// Pods waiting for this scheduler, oldest first, with messages already reported filled in.
    pub fn pending(&self) -> Vec<PodInfo> {
        let mut pending: Vec<&PodEntry> = self
            .pods
            .values()
            .filter(|e| e.node_name.is_none() && e.ours && !e.finished && !e.deleting)
            .collect();
        pending.sort_by(|a, b| {
            (a.created, &a.info.namespace, &a.info.name).cmp(&(b.created, &b.info.namespace, &b.info.name))
        });
        pending
            .into_iter()
            .map(|e| {
                let mut info = e.info.clone();
                if let Some(m) = self.reported.get(&info.uid) {
                    info.unschedulable_message = Some(m.clone());
                }
                info
            })
            .collect()
    }

    /// Pods per node that take a slot (bound and not finished).
    pub fn usage(&self) -> BTreeMap<String, i64> {
        let mut usage = BTreeMap::new();
        for e in self.pods.values().filter(|e| !e.finished) {
            if let Some(n) = &e.node_name {
                *usage.entry(n.clone()).or_default() += 1;
            }
        }
        usage
    }
}

/// A claim, volume or class watch event.
pub enum VolumeInput {
    Claim(Box<Event<PersistentVolumeClaim>>),
    Volume(Box<Event<PersistentVolume>>),
    Class(Box<Event<StorageClass>>),
}

fn apply_event<T, K: Ord, V>(map: &mut BTreeMap<K, V>, ev: Event<T>, conv: impl Fn(&T) -> (K, V)) {
    match ev {
        Event::Init => map.clear(),
        Event::InitApply(o) | Event::Apply(o) => {
            let (k, v) = conv(&o);
            map.insert(k, v);
        }
        Event::InitDone => {}
        Event::Delete(o) => {
            map.remove(&conv(&o).0);
        }
    }
}

/// Runs the scheduler, with watches of its own, until `shutdown` resolves.
pub async fn run(client: kube::Client, shutdown: impl Future<Output = ()>) -> Result<(), ControllerError> {
    let informers = Informers::new(client.clone());
    let scheduler = start(client, &informers, shutdown);
    informers.run_while(scheduler).await
}

/// Subscribes to the Pods, Nodes, claims, volumes and classes of `informers`, and returns the
/// scheduler, which runs until `shutdown` resolves.
pub fn start(
    client: kube::Client,
    informers: &Informers,
    shutdown: impl Future<Output = ()>,
) -> impl Future<Output = Result<(), ControllerError>> {
    let inputs = futures::stream::select_all([
        informers.stream::<Pod>().map(|ev| Input::Pod(Box::new(ev))).boxed(),
        informers.stream::<Node>().map(|ev| Input::Node(Box::new(ev))).boxed(),
        informers
            .stream::<PersistentVolumeClaim>()
            .map(|ev| Input::Volumes(Box::new(ev.map(|e| VolumeInput::Claim(Box::new(e))))))
            .boxed(),
        informers
            .stream::<PersistentVolume>()
            .map(|ev| Input::Volumes(Box::new(ev.map(|e| VolumeInput::Volume(Box::new(e))))))
            .boxed(),
        informers
            .stream::<StorageClass>()
            .map(|ev| Input::Volumes(Box::new(ev.map(|e| VolumeInput::Class(Box::new(e))))))
            .boxed(),
    ]);
    async move {
        tokio::select! {
            () = shutdown => Ok(()),
            r = run_forever(client, inputs) => r,
        }
    }
}

enum Input {
    Pod(Box<WatchItem<Pod>>),
    Node(Box<WatchItem<Node>>),
    Volumes(Box<Result<VolumeInput, WatchError>>),
}

async fn run_forever(
    client: kube::Client,
    inputs: impl futures::Stream<Item = Input> + Send + 'static,
) -> Result<(), ControllerError> {
    let api = KubeScheduler::new(client);
    // The watches are read on their own task, like an informer's reflector: while a pass awaits
    // its bindings, events keep being read and decoded, and the next pass takes them all at once
    // (read from this loop, an HTTP/1 watch body yields about one event per pass).
    let (mut inputs, _reader) = crate::queue::read_ahead(inputs);
    let mut state = State::default();
    let mut retries = WorkQueue::<()>::default();
    loop {
        while let Ok(input) = inputs.try_recv() {
            observe(&mut state, input);
        }
        if state.synced() && retries.next_due().is_none() && !sync(&api, &mut state).await {
            retries.retry((), Instant::now());
        }
        let wake = retries.next_due();
        tokio::select! {
            input = inputs.recv() => match input {
                Some(input) => observe(&mut state, input),
                None => return Ok(()),
            },
            () = sleep_until(wake) => {
                retries.promote(Instant::now());
                while retries.pop().is_some() {}
            }
        }
    }
}

fn observe(state: &mut State, input: Input) {
    match input {
        Input::Pod(ev) => match *ev {
            Ok(ev) => state.observe_pod(ev),
            Err(e) => tracing::warn!(error = %e, "scheduler pod watch failed; retrying"),
        },
        Input::Node(ev) => match *ev {
            Ok(ev) => state.observe_node(ev),
            Err(e) => tracing::warn!(error = %e, "scheduler node watch failed; retrying"),
        },
        Input::Volumes(ev) => match *ev {
            Ok(ev) => state.observe_volume_world(ev),
            Err(e) => tracing::warn!(error = %e, "scheduler volume watch failed; retrying"),
        },
    }
}

/// Bindings (and unschedulable updates) in flight at once within one pass. Upstream binds in
/// a goroutine per pod; a bound keeps the pass from opening hundreds of connections at once.
pub const MAX_CONCURRENT_WRITES: usize = 64;

/// What one planned action came to.
enum Outcome {
    Bound { key: (String, String), node: String },
    Reported { uid: String, message: String },
    Failed,
}

async fn execute<A: SchedulerApi>(api: &A, action: Action) -> Outcome {
    match action {
        Action::Bind {
            namespace,
            name,
            uid,
            node,
        } => match api.bind(&namespace, &name, &uid, &node).await {
            Ok(bound) => {
                if bound {
                    let pod = PodRef {
                        namespace: namespace.clone(),
                        name: name.clone(),
                        uid,
                    };
                    let msg = format!("Successfully assigned {namespace}/{name} to {node}");
                    if let Err(e) = api.record_event(&pod, "Normal", "Scheduled", &msg).await {
                        tracing::debug!(error = %e, "recording the Scheduled event failed");
                    }
                }
                Outcome::Bound {
                    key: (namespace, name),
                    node,
                }
            }
            Err(e) => {
                tracing::warn!(pod = %name, namespace = %namespace, error = %e, "binding failed; retrying");
                Outcome::Failed
            }
        },
        Action::Unschedulable {
            namespace,
            name,
            uid,
            message,
        } => {
            if let Err(e) = api.set_unschedulable(&namespace, &name, &message).await {
                tracing::warn!(pod = %name, namespace = %namespace, error = %e, "marking unschedulable failed; retrying");
                return Outcome::Failed;
            }
            let pod = PodRef {
                namespace,
                name,
                uid: uid.clone(),
            };
            if let Err(e) = api.record_event(&pod, "Warning", "FailedScheduling", &message).await {
                tracing::debug!(error = %e, "recording the FailedScheduling event failed");
            }
            Outcome::Reported { uid, message }
        }
    }
}

/// Places every pending pod and executes the plan; false if a step failed and should be retried.
pub async fn sync<A: SchedulerApi>(api: &A, state: &mut State) -> bool {
    let nodes: Vec<NodeInfo> = state.nodes.values().cloned().collect();
    let mut pending = Vec::new();
    let mut actions = Vec::new();
    let mut delayed: BTreeMap<(String, String), Vec<ClaimKey>> = BTreeMap::new();
    for mut pod in state.pending() {
        let key = (pod.namespace.clone(), pod.name.clone());
        let Some(claims) = state.pod_claims.get(&key) else {
            pending.push(pod);
            continue;
        };
        match check(&pod.namespace, claims, &state.volumes) {
            Check::Go { pin, delayed: d } => {
                if let Some(host) = pin {
                    pod.node_selector.insert("kubernetes.io/hostname".into(), host);
                }
                if !d.is_empty() {
                    delayed.insert(key, d);
                }
                pending.push(pod);
            }
            Check::Unschedulable(why) => {
                let message = format!("0/{} nodes are available: {why}.", nodes.len());
                if pod.unschedulable_message.as_deref() != Some(message.as_str()) {
                    actions.push(Action::Unschedulable {
                        namespace: pod.namespace,
                        name: pod.name,
                        uid: pod.uid,
                        message,
                    });
                }
            }
        }
    }
    actions.extend(plan(&pending, &nodes, &state.usage()));
    if !actions.is_empty() {
        tracing::debug!(pending = pending.len(), actions = actions.len(), "scheduling pass");
    }
    let mut ok = true;
    // A pod with WaitForFirstConsumer claims has them bound to its node first; the pod itself is
    // bound on a later pass, once its claims are. Steps are chosen one pod at a time (a static
    // volume pre-bound for one pod is not offered to the next), then written concurrently.
    let mut ready = Vec::with_capacity(actions.len());
    let mut claim_work = Vec::new();
    for action in actions {
        match action {
            Action::Bind {
                namespace,
                name,
                uid,
                node,
            } if delayed.contains_key(&(namespace.clone(), name.clone())) => {
                let claims = &delayed[&(namespace.clone(), name.clone())];
                match plan_claims(state, claims, &node) {
                    Ok(work) => claim_work.push(work),
                    Err(BindClaims::Failed) => ok = false,
                    Err(BindClaims::Unfit(why)) => {
                        let message = format!("0/{} nodes are available: 1 {why}.", nodes.len());
                        match state.pending().into_iter().find(|p| p.uid == uid) {
                            Some(p) if p.unschedulable_message.as_deref() == Some(message.as_str()) => {}
                            _ => ready.push(Action::Unschedulable {
                                namespace,
                                name,
                                uid,
                                message,
                            }),
                        }
                    }
                }
            }
            other => ready.push(other),
        }
    }
    let actions = futures::stream::iter(ready.into_iter().map(|a| execute(api, a)))
        .buffered(MAX_CONCURRENT_WRITES)
        .collect::<Vec<Outcome>>();
    let claim_writes = futures::stream::iter(claim_work.into_iter().map(|w| write_claims(api, w)))
        .buffer_unordered(MAX_CONCURRENT_WRITES)
        .collect::<Vec<Option<ClaimWork>>>();
    let (outcomes, failed_claims) = futures::join!(actions, claim_writes);
    for undo in failed_claims.into_iter().flatten() {
        ok = false;
        undo.restore(state);
    }
    for outcome in outcomes {
        match outcome {
            // Count it at once: the watch confirms it later.
            Outcome::Bound { key, node } => {
                if let Some(e) = state.pods.get_mut(&key) {
                    e.node_name = Some(node);
                }
            }
            Outcome::Reported { uid, message } => {
                state.reported.insert(uid, message);
            }
            Outcome::Failed => ok = false,
        }
    }
    ok
}

enum BindClaims {
    /// A write failed: retry.
    Failed,
    /// The node cannot serve the claims.
    Unfit(String),
}

/// One pod's claim writes, and the cached claims and volumes as they were before the writes were
/// noted, to put back if a write fails.
struct ClaimWork {
    steps: Vec<Step>,
    claims_before: Vec<(ClaimKey, Claim)>,
    volumes_before: Vec<(String, Volume)>,
}

impl ClaimWork {
    fn restore(self, state: &mut State) {
        state.volumes.claims.extend(self.claims_before);
        state.volumes.volumes.extend(self.volumes_before);
    }
}

/// Chooses the writes that move a pod's delayed claims towards Bound on `node`, and notes them in
/// the cache at once, so neither this pass nor the next plans them again before the watch shows
/// them.
fn plan_claims(state: &mut State, claims: &[ClaimKey], node: &str) -> Result<ClaimWork, BindClaims> {
    let Some(info) = state.nodes.get(node) else {
        return Err(BindClaims::Failed);
    };
    let view = NodeView {
        name: node,
        labels: &info.labels,
    };
    let steps = bind_steps(claims, view, &state.volumes).map_err(BindClaims::Unfit)?;
    let mut work = ClaimWork {
        steps,
        claims_before: Vec::new(),
        volumes_before: Vec::new(),
    };
    for step in &work.steps {
        match step {
            Step::Prebind { volume, claim } => {
                if let Some(v) = state.volumes.volumes.get_mut(volume) {
                    work.volumes_before.push((volume.clone(), v.clone()));
                    v.claim_ref = Some(claim.clone());
                }
            }
            Step::SelectNode { claim, node } => {
                if let Some(c) = state.volumes.claims.get_mut(claim) {
                    work.claims_before.push((claim.clone(), c.clone()));
                    c.annotations
                        .insert(crate::volume::model::ANN_SELECTED_NODE.into(), node.clone());
                }
            }
        }
    }
    Ok(work)
}

/// Writes one pod's claim steps in order; on a failure, the work to undo in the cache.
async fn write_claims<A: SchedulerApi>(api: &A, work: ClaimWork) -> Option<ClaimWork> {
    for step in &work.steps {
        let r = match step {
            Step::Prebind { volume, claim } => api.prebind(volume, claim).await,
            Step::SelectNode { claim, node } => api.select_node(claim, node).await,
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, step = ?step, "binding a pod's volume failed; retrying");
            return Some(work);
        }
    }
    None
}

/// [`SchedulerApi`] over kube-rs.
pub struct KubeScheduler {
    client: kube::Client,
}

impl KubeScheduler {
    pub fn new(client: kube::Client) -> Self {
        KubeScheduler { client }
    }
}

impl SchedulerApi for KubeScheduler {
    async fn bind(&self, namespace: &str, name: &str, uid: &str, node: &str) -> Result<bool, ControllerError> {
        let binding = Binding {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                uid: Some(uid.into()),
                ..ObjectMeta::default()
            },
            target: ObjectReference {
                kind: Some("Node".into()),
                api_version: Some("v1".into()),
                name: Some(node.into()),
                ..ObjectReference::default()
            },
        };
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        match api
            .create_subresource::<Binding, serde_json::Value>("binding", name, &PostParams::default(), &binding)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_conflict(&e) || is_not_found(&e) => Ok(false),
            Err(source) => Err(ControllerError::Create {
                object: format!("binding of pod {name} in {namespace} to {node}"),
                source: Box::new(source),
            }),
        }
    }

    async fn set_unschedulable(&self, namespace: &str, name: &str, message: &str) -> Result<(), ControllerError> {
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        let patch = json!({"status": {"conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
            "lastProbeTime": null, "lastTransitionTime": Time(jiff::Timestamp::now()),
        }]}});
        match api
            .patch_status(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(source) => Err(ControllerError::Patch {
                object: format!("status of pod {name} in {namespace}"),
                source: Box::new(source),
            }),
        }
    }

    async fn select_node(&self, claim: &ClaimKey, node: &str) -> Result<(), ControllerError> {
        let api = Writes::<PersistentVolumeClaim>::namespaced(self.client.clone(), &claim.namespace);
        let patch = json!({"metadata": {"annotations": {crate::volume::model::ANN_SELECTED_NODE: node}}});
        match api
            .patch(&claim.name, &PatchParams::default(), &Patch::Merge(patch))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(source) => Err(ControllerError::Patch {
                object: format!("persistentvolumeclaim {} in {}", claim.name, claim.namespace),
                source: Box::new(source),
            }),
        }
    }

    async fn prebind(&self, volume: &str, claim: &ClaimRef) -> Result<(), ControllerError> {
        let api = Api::<PersistentVolume>::all(self.client.clone());
        let Some(pv) = api.get_opt(volume).await.map_err(|source| ControllerError::Get {
            object: format!("persistentvolume {volume}"),
            source: Box::new(source),
        })?
        else {
            return Ok(());
        };
        if pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()).is_some() {
            return Ok(());
        }
        let patch = json!({
            "metadata": {"resourceVersion": pv.metadata.resource_version, "annotations": {crate::volume::model::ANN_BOUND_BY_CONTROLLER: "yes"}},
            "spec": {"claimRef": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": claim.namespace, "name": claim.name, "uid": claim.uid}},
        });
        match api.patch(volume, &PatchParams::default(), &Patch::Merge(patch)).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) || is_conflict(&e) => Ok(()),
            Err(source) => Err(ControllerError::Patch {
                object: format!("persistentvolume {volume}"),
                source: Box::new(source),
            }),
        }
    }

    async fn record_event(
        &self,
        pod: &PodRef,
        type_: &str,
        reason: &str,
        message: &str,
    ) -> Result<(), ControllerError> {
        let involved = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            namespace: Some(pod.namespace.clone()),
            name: Some(pod.name.clone()),
            uid: Some(pod.uid.clone()),
            ..ObjectReference::default()
        };
        crate::events::emit(
            &self.client,
            &crate::events::Note {
                component: SCHEDULER_NAME,
                involved,
                type_,
                reason,
                message,
                action: Some(if type_ == "Normal" { "Binding" } else { "Scheduling" }),
            },
        );
        Ok(())
    }
}
