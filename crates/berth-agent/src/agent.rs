//! The pod sync driver: keeps the pods bound to this node from the watch, asks the runtime what
//! each is doing, calls [`plan`] and executes its actions.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use futures::StreamExt as _;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use kube::runtime::watcher::Event;

use crate::api::PodApi;
use crate::error::AgentError;
use crate::plan::{plan, Action, NodeView, PodView};
use crate::runtime::Runtime;
use crate::view::{deletion_grace, pod_spec_view};

/// How often one sync re-plans after its own runtime calls changed what the runtime reports.
const MAX_ROUNDS: usize = 3;

/// Delay before the `attempt`-th retry (0-based): 200 ms doubling, capped at 10 s.
fn backoff(attempt: u32) -> SignedDuration {
    let ms = 200i64.saturating_mul(1i64 << attempt.min(16));
    SignedDuration::from_millis(ms.min(10_000))
}

/// The pod side of the agent: state from the watch plus the runtime.
pub struct PodSync<A, R> {
    api: A,
    runtime: R,
    host_ip: Ipv4Addr,
    /// Pods bound to this node, by UID.
    pods: BTreeMap<String, Pod>,
    relist: Option<BTreeMap<String, Pod>>,
    synced: bool,
    /// Pods whose final delete succeeded, until the watch reports them gone.
    confirmed: BTreeSet<String>,
    failures: u32,
    retry_at: Option<Timestamp>,
    /// Pods with a watch event since the last sync: the only ones a sync looks at, unless it
    /// is a full one.
    dirty: BTreeSet<String>,
    /// The next sync looks at every pod (after the initial list or a relist).
    full: bool,
    /// When the runtime's observations change on their own (a timer): a sync at or after it is full.
    due: Option<Timestamp>,
}

fn uid_of(p: &Pod) -> Option<String> {
    p.metadata.uid.clone()
}

impl<A: PodApi, R: Runtime> PodSync<A, R> {
    pub fn new(api: A, runtime: R, host_ip: Ipv4Addr) -> Self {
        PodSync {
            api,
            runtime,
            host_ip,
            pods: BTreeMap::new(),
            relist: None,
            synced: false,
            confirmed: BTreeSet::new(),
            failures: 0,
            retry_at: None,
            dirty: BTreeSet::new(),
            full: true,
            due: None,
        }
    }

    /// Whether the initial list is complete (before that, a missing pod means nothing).
    pub fn synced(&self) -> bool {
        self.synced
    }

    pub fn runtime(&self) -> &R {
        &self.runtime
    }

    /// Applies one watch event to the cache.
    pub fn observe(&mut self, ev: Event<Pod>) {
        match ev {
            Event::Init => self.relist = Some(BTreeMap::new()),
            Event::InitApply(p) => {
                if let (Some(uid), Some(seen)) = (uid_of(&p), self.relist.as_mut()) {
                    seen.insert(uid, p);
                }
            }
            Event::InitDone => {
                self.pods = self.relist.take().unwrap_or_default();
                self.confirmed.retain(|uid| self.pods.contains_key(uid));
                self.synced = true;
                self.full = true;
            }
            Event::Apply(p) => {
                if let Some(uid) = uid_of(&p) {
                    self.dirty.insert(uid.clone());
                    self.pods.insert(uid, p);
                }
            }
            Event::Delete(p) => {
                if let Some(uid) = uid_of(&p) {
                    self.pods.remove(&uid);
                    self.confirmed.remove(&uid);
                    self.dirty.insert(uid);
                }
            }
        }
    }

    /// The plan's input: every pod (`full`) or only the dirty ones. A pod's plan depends only on
    /// the pod and what the runtime reports for it, which changes only through this agent's own
    /// runtime calls (re-planned in the same sync) or a timer (whose sync is full), so a pod
    /// without an event since the last sync would get no action anyway.
    fn view(&mut self, now: Timestamp, full: bool) -> NodeView {
        let mut pods = Vec::with_capacity(if full { self.pods.len() } else { self.dirty.len() });
        let mut add = |uid: &String, pod: &Pod, runtime: &mut R| {
            if self.confirmed.contains(uid) {
                return;
            }
            let Some(spec) = pod_spec_view(pod) else { return };
            let rt = runtime.observe(&spec, now);
            pods.push(PodView {
                spec,
                status: pod.status.clone().unwrap_or_default(),
                deletion: deletion_grace(pod),
                runtime: rt,
            });
        };
        let orphans = if full {
            for (uid, pod) in &self.pods {
                add(uid, pod, &mut self.runtime);
            }
            self.runtime
                .pods()
                .into_iter()
                .filter(|uid| !self.pods.contains_key(uid))
                .collect()
        } else {
            let mut gone = Vec::new();
            for uid in &self.dirty {
                match self.pods.get(uid) {
                    Some(pod) => add(uid, pod, &mut self.runtime),
                    None => gone.push(uid),
                }
            }
            if gone.is_empty() {
                Vec::new()
            } else {
                let held: BTreeSet<String> = self.runtime.pods().into_iter().collect();
                gone.into_iter().filter(|uid| held.contains(*uid)).cloned().collect()
            }
        };
        NodeView {
            host_ip: self.host_ip,
            pods,
            orphans,
        }
    }

    /// One pass: plan, act, and re-plan while the runtime changed. Returns when to sync again
    /// without any new event (a runtime timer or a retry).
    ///
    /// Runtime calls run in the plan's order; the API writes of a round (at most one per pod)
    /// are independent and run concurrently, up to [`MAX_CONCURRENT_WRITES`].
    pub async fn sync(&mut self, now: Timestamp) -> Option<Timestamp> {
        if self.retry_at.is_some_and(|t| t > now) {
            return self.next_wake(now);
        }
        let full = self.full || self.retry_at.is_some() || self.due.is_some_and(|d| d <= now);
        let mut failed = false;
        for _ in 0..MAX_ROUNDS {
            let view = self.view(now, full);
            let actions = plan(&view, now);
            let mut runtime_changed = false;
            let mut writes = Vec::new();
            for action in actions {
                let r = match action {
                    Action::Start { spec, adopt } => {
                        runtime_changed = true;
                        self.runtime.start(&spec, adopt, now).map_err(AgentError::from)
                    }
                    Action::Stop { uid, grace } => {
                        runtime_changed = true;
                        self.runtime.stop(&uid, grace, now);
                        Ok(())
                    }
                    Action::Remove { uid } => {
                        self.runtime.remove(&uid);
                        Ok(())
                    }
                    Action::WriteStatus {
                        namespace,
                        name,
                        uid,
                        status,
                    } => {
                        writes.push(Write::Status {
                            namespace,
                            name,
                            uid,
                            status,
                        });
                        Ok(())
                    }
                    Action::ConfirmDeletion { namespace, name, uid } => {
                        writes.push(Write::Delete { namespace, name, uid });
                        Ok(())
                    }
                };
                if let Err(e) = r {
                    tracing::warn!(error = %e, "pod sync step failed; retrying");
                    failed = true;
                }
            }
            let api = &self.api;
            let outcomes: Vec<Result<Written, AgentError>> =
                futures::stream::iter(writes.into_iter().map(|w| write(api, w)))
                    .buffered(MAX_CONCURRENT_WRITES)
                    .collect()
                    .await;
            for outcome in outcomes {
                match outcome {
                    // The answer is at least as new as the cache: no second write for the same change.
                    Ok(Written::Status { uid, pod: Some(pod) }) => {
                        self.pods.insert(uid, pod);
                    }
                    Ok(Written::Status { pod: None, .. }) => {}
                    Ok(Written::Deleted { uid }) => {
                        self.confirmed.insert(uid);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "pod sync step failed; retrying");
                        failed = true;
                    }
                }
            }
            if !runtime_changed {
                break;
            }
        }
        if failed {
            self.retry_at = Some(now + backoff(self.failures));
            self.failures = self.failures.saturating_add(1);
        } else {
            self.retry_at = None;
            self.failures = 0;
        }
        self.dirty.clear();
        self.full = false;
        self.due = self.runtime.next_change(now);
        self.next_wake(now)
    }

    fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        [self.runtime.next_change(now), self.retry_at]
            .into_iter()
            .flatten()
            .min()
    }
}

/// API writes of one sync round in flight at once (a kubelet writes statuses from a worker per pod).
pub const MAX_CONCURRENT_WRITES: usize = 64;

/// An API write of the plan.
enum Write {
    Status {
        namespace: String,
        name: String,
        uid: String,
        status: Box<PodStatus>,
    },
    Delete {
        namespace: String,
        name: String,
        uid: String,
    },
}

/// What an API write did.
enum Written {
    Status { uid: String, pod: Option<Pod> },
    Deleted { uid: String },
}

async fn write<A: PodApi>(api: &A, w: Write) -> Result<Written, AgentError> {
    match w {
        Write::Status {
            namespace,
            name,
            uid,
            status,
        } => {
            let pod = api.write_pod_status(&namespace, &name, &uid, &status).await?;
            if pod.is_none() {
                tracing::debug!(pod = %name, namespace = %namespace, "pod gone before its status was written");
            }
            Ok(Written::Status { uid, pod })
        }
        Write::Delete { namespace, name, uid } => {
            api.confirm_deletion(&namespace, &name, &uid).await?;
            tracing::debug!(pod = %name, namespace = %namespace, "pod deleted");
            Ok(Written::Deleted { uid })
        }
    }
}
