//! The pod sync driver: keeps the pods bound to this node from the watch, asks the runtime what
//! each is doing, calls [`plan`] and executes its actions.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
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
            }
            Event::Apply(p) => {
                if let Some(uid) = uid_of(&p) {
                    self.pods.insert(uid, p);
                }
            }
            Event::Delete(p) => {
                if let Some(uid) = uid_of(&p) {
                    self.pods.remove(&uid);
                    self.confirmed.remove(&uid);
                }
            }
        }
    }

    fn view(&mut self, now: Timestamp) -> NodeView {
        let mut pods = Vec::with_capacity(self.pods.len());
        for (uid, pod) in &self.pods {
            if self.confirmed.contains(uid) {
                continue;
            }
            let Some(spec) = pod_spec_view(pod) else { continue };
            let runtime = self.runtime.observe(&spec, now);
            pods.push(PodView { spec, status: pod.status.clone().unwrap_or_default(), deletion: deletion_grace(pod), runtime });
        }
        let orphans = self.runtime.pods().into_iter().filter(|uid| !self.pods.contains_key(uid)).collect();
        NodeView { host_ip: self.host_ip, pods, orphans }
    }

    /// One pass: plan, act, and re-plan while the runtime changed. Returns when to sync again
    /// without any new event (a runtime timer or a retry).
    pub async fn sync(&mut self, now: Timestamp) -> Option<Timestamp> {
        if self.retry_at.is_some_and(|t| t > now) {
            return self.next_wake(now);
        }
        let mut failed = false;
        for _ in 0..MAX_ROUNDS {
            let view = self.view(now);
            let actions = plan(&view, now);
            let mut runtime_changed = false;
            for action in actions {
                runtime_changed |= matches!(action, Action::Start { .. } | Action::Stop { .. });
                if let Err(e) = self.execute(action, now).await {
                    tracing::warn!(error = %e, "pod sync step failed; retrying");
                    failed = true;
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
        self.next_wake(now)
    }

    fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        [self.runtime.next_change(now), self.retry_at].into_iter().flatten().min()
    }

    async fn execute(&mut self, action: Action, now: Timestamp) -> Result<(), AgentError> {
        match action {
            Action::Start { spec, adopt } => self.runtime.start(&spec, adopt, now)?,
            Action::Stop { uid, grace } => self.runtime.stop(&uid, grace, now),
            Action::Remove { uid } => self.runtime.remove(&uid),
            Action::WriteStatus { namespace, name, uid, status } => {
                match self.api.write_pod_status(&namespace, &name, &uid, &status).await? {
                    // The answer is at least as new as the cache: no second write for the same change.
                    Some(pod) => {
                        self.pods.insert(uid, pod);
                    }
                    None => tracing::debug!(pod = %name, namespace = %namespace, "pod gone before its status was written"),
                }
            }
            Action::ConfirmDeletion { namespace, name, uid } => {
                self.api.confirm_deletion(&namespace, &name, &uid).await?;
                tracing::debug!(pod = %name, namespace = %namespace, "pod deleted");
                self.confirmed.insert(uid);
            }
        }
        Ok(())
    }
}
