//! Scheduler: binds pods without `spec.nodeName` whose `schedulerName` is `default-scheduler` to a
//! Ready, schedulable node with room, through the `pods/binding` subresource (upstream
//! `pkg/scheduler`, reduced to the filters a single-binary cluster needs).
//!
//! A pod that fits nowhere gets `PodScheduled=False` (reason `Unschedulable`) and one
//! `FailedScheduling` event per distinct message; it is placed again on every pod or node change.

pub mod plan;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Binding, Event as CoreEvent, EventSource, Node, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt as _;
use serde_json::json;
use tokio::time::Instant;

use self::plan::{plan, Action, NodeInfo, PodInfo, Readiness};
use crate::error::{is_conflict, is_not_found, ControllerError};
use crate::queue::{sleep_until, WorkQueue};

/// `spec.schedulerName` this scheduler serves (an empty one means the same).
pub const SCHEDULER_NAME: &str = "default-scheduler";

/// Everything the scheduler does to the API server.
pub trait SchedulerApi: Send + Sync {
    /// Binds the pod to `node`; `Ok(false)` if it is gone or already bound.
    fn bind(&self, namespace: &str, name: &str, uid: &str, node: &str) -> impl Future<Output = Result<bool, ControllerError>> + Send;
    /// Sets the pod's `PodScheduled=False` condition, reason `Unschedulable`.
    fn set_unschedulable(&self, namespace: &str, name: &str, message: &str) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Records an event about the pod from `default-scheduler`.
    fn record_event(&self, pod: &PodRef, type_: &str, reason: &str, message: &str) -> impl Future<Output = Result<(), ControllerError>> + Send;
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
        ours: spec.scheduler_name.as_deref().is_none_or(|s| s.is_empty() || s == SCHEDULER_NAME),
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
}

impl State {
    pub fn synced(&self) -> bool {
        self.synced_pods && self.synced_nodes
    }

    pub fn observe_pod(&mut self, ev: Event<Pod>) {
        match ev {
            Event::Init => self.relist_pods = Some(BTreeMap::new()),
            Event::InitApply(p) => {
                if let (Some((k, e)), Some(seen)) = (pod_entry(&p), self.relist_pods.as_mut()) {
                    seen.insert(k, e);
                }
            }
            Event::InitDone => {
                self.pods = self.relist_pods.take().unwrap_or_default();
                self.synced_pods = true;
            }
            Event::Apply(p) => {
                if let Some((k, e)) = pod_entry(&p) {
                    self.pods.insert(k, e);
                }
            }
            Event::Delete(p) => {
                if let Some((k, e)) = pod_entry(&p) {
                    self.pods.remove(&k);
                    self.reported.remove(&e.info.uid);
                }
            }
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
        pending.sort_by(|a, b| (a.created, &a.info.namespace, &a.info.name).cmp(&(b.created, &b.info.namespace, &b.info.name)));
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

/// Runs the scheduler until `shutdown` resolves.
pub async fn run(client: kube::Client, shutdown: impl Future<Output = ()>) -> Result<(), ControllerError> {
    tokio::select! {
        () = shutdown => Ok(()),
        r = run_forever(client) => r,
    }
}

enum Input {
    Pod(Box<Result<Event<Pod>, watcher::Error>>),
    Node(Box<Result<Event<Node>, watcher::Error>>),
}

async fn run_forever(client: kube::Client) -> Result<(), ControllerError> {
    let api = KubeScheduler::new(client.clone());
    let pods = watcher::watcher(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|ev| Input::Pod(Box::new(ev)));
    let nodes = watcher::watcher(Api::<Node>::all(client), watcher::Config::default())
        .default_backoff()
        .map(|ev| Input::Node(Box::new(ev)));
    let inputs = futures::stream::select(pods.boxed(), nodes.boxed());
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
        Action::Bind { namespace, name, uid, node } => match api.bind(&namespace, &name, &uid, &node).await {
            Ok(bound) => {
                if bound {
                    let pod = PodRef { namespace: namespace.clone(), name: name.clone(), uid };
                    let msg = format!("Successfully assigned {namespace}/{name} to {node}");
                    if let Err(e) = api.record_event(&pod, "Normal", "Scheduled", &msg).await {
                        tracing::debug!(error = %e, "recording the Scheduled event failed");
                    }
                }
                Outcome::Bound { key: (namespace, name), node }
            }
            Err(e) => {
                tracing::warn!(pod = %name, namespace = %namespace, error = %e, "binding failed; retrying");
                Outcome::Failed
            }
        },
        Action::Unschedulable { namespace, name, uid, message } => {
            if let Err(e) = api.set_unschedulable(&namespace, &name, &message).await {
                tracing::warn!(pod = %name, namespace = %namespace, error = %e, "marking unschedulable failed; retrying");
                return Outcome::Failed;
            }
            let pod = PodRef { namespace, name, uid: uid.clone() };
            if let Err(e) = api.record_event(&pod, "Warning", "FailedScheduling", &message).await {
                tracing::debug!(error = %e, "recording the FailedScheduling event failed");
            }
            Outcome::Reported { uid, message }
        }
    }
}

/// Places every pending pod and executes the plan; false if a step failed and should be retried.
///
/// The plan already counts each binding against its node, so its writes are independent and run
/// concurrently (up to [`MAX_CONCURRENT_WRITES`]), started in the plan's order.
pub async fn sync<A: SchedulerApi>(api: &A, state: &mut State) -> bool {
    let nodes: Vec<NodeInfo> = state.nodes.values().cloned().collect();
    let pending = state.pending();
    let actions = plan(&pending, &nodes, &state.usage());
    if !actions.is_empty() {
        tracing::debug!(pending = pending.len(), actions = actions.len(), "scheduling pass");
    }
    let outcomes: Vec<Outcome> =
        futures::stream::iter(actions.into_iter().map(|a| execute(api, a))).buffered(MAX_CONCURRENT_WRITES).collect().await;
    let mut ok = true;
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
            target: ObjectReference { kind: Some("Node".into()), api_version: Some("v1".into()), name: Some(node.into()), ..ObjectReference::default() },
        };
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        match api.create_subresource::<Binding, serde_json::Value>("binding", name, &PostParams::default(), &binding).await {
            Ok(_) => Ok(true),
            Err(e) if is_conflict(&e) || is_not_found(&e) => Ok(false),
            Err(source) => Err(ControllerError::Create { object: format!("binding of pod {name} in {namespace} to {node}"), source: Box::new(source) }),
        }
    }

    async fn set_unschedulable(&self, namespace: &str, name: &str, message: &str) -> Result<(), ControllerError> {
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        let patch = json!({"status": {"conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
            "lastProbeTime": null, "lastTransitionTime": Time(jiff::Timestamp::now()),
        }]}});
        match api.patch_status(name, &PatchParams::default(), &Patch::Strategic(patch)).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(source) => Err(ControllerError::Patch { object: format!("status of pod {name} in {namespace}"), source: Box::new(source) }),
        }
    }

    async fn record_event(&self, pod: &PodRef, type_: &str, reason: &str, message: &str) -> Result<(), ControllerError> {
        let now = jiff::Timestamp::now();
        let event = CoreEvent {
            metadata: ObjectMeta {
                name: Some(format!("{}.{:x}", pod.name, now.as_nanosecond())),
                namespace: Some(pod.namespace.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                namespace: Some(pod.namespace.clone()),
                name: Some(pod.name.clone()),
                uid: Some(pod.uid.clone()),
                ..ObjectReference::default()
            },
            reason: Some(reason.into()),
            message: Some(message.into()),
            type_: Some(type_.into()),
            source: Some(EventSource { component: Some(SCHEDULER_NAME.into()), host: None }),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            event_time: Some(MicroTime(now)),
            count: Some(1),
            action: Some(if type_ == "Normal" { "Binding" } else { "Scheduling" }.into()),
            reporting_component: Some(SCHEDULER_NAME.into()),
            reporting_instance: Some(SCHEDULER_NAME.into()),
            ..CoreEvent::default()
        };
        // Like client-go's recorder, events go out in the background and never hold up a binding.
        let api = Api::<CoreEvent>::namespaced(self.client.clone(), &pod.namespace);
        tokio::spawn(async move {
            if let Err(e) = api.create(&PostParams::default(), &event).await {
                tracing::debug!(error = %e, "recording a scheduler event failed");
            }
        });
        Ok(())
    }
}
