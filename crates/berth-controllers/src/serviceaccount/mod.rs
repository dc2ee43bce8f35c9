//! ServiceAccount controller: every namespace that is not terminating has a ServiceAccount named
//! `default`, re-created if deleted (upstream `pkg/controller/serviceaccount`).

pub mod plan;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt as _;
use tokio::time::Instant;

use self::plan::{plan, Phase, DEFAULT_SERVICE_ACCOUNT};
use crate::error::{is_conflict, is_not_found, ControllerError};
use crate::queue::{sleep_until, WorkQueue};

/// Everything the serviceaccount controller does to the API server.
pub trait ServiceAccountApi: Send + Sync {
    /// Creates `default` in the namespace; already existing, or a namespace gone or terminating,
    /// is not an error.
    fn create_default(&self, namespace: &str) -> impl Future<Output = Result<(), ControllerError>> + Send;
}

/// What the controller has observed.
#[derive(Debug, Default)]
pub struct State {
    pub namespaces: BTreeMap<String, Phase>,
    pub have_default: BTreeSet<String>,
    relist_ns: Option<BTreeMap<String, Phase>>,
    relist_sa: Option<BTreeSet<String>>,
    synced_ns: bool,
    synced_sa: bool,
}

fn phase(ns: &Namespace) -> Phase {
    let terminating = ns.metadata.deletion_timestamp.is_some()
        || ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating");
    if terminating {
        Phase::Terminating
    } else {
        Phase::Active
    }
}

fn default_sa_namespace(m: &PartialObjectMeta<ServiceAccount>) -> Option<String> {
    (m.metadata.name.as_deref() == Some(DEFAULT_SERVICE_ACCOUNT))
        .then(|| m.metadata.namespace.clone())
        .flatten()
}

impl State {
    /// Whether both initial lists are complete (before that, absence means nothing).
    pub fn synced(&self) -> bool {
        self.synced_ns && self.synced_sa
    }

    pub fn observe_namespace(&mut self, ev: Event<Namespace>) {
        match ev {
            Event::Init => self.relist_ns = Some(BTreeMap::new()),
            Event::InitApply(ns) => {
                if let (Some(name), Some(seen)) = (ns.metadata.name.clone(), self.relist_ns.as_mut()) {
                    seen.insert(name, phase(&ns));
                }
            }
            Event::InitDone => {
                self.namespaces = self.relist_ns.take().unwrap_or_default();
                self.synced_ns = true;
            }
            Event::Apply(ns) => {
                if let Some(name) = ns.metadata.name.clone() {
                    self.namespaces.insert(name, phase(&ns));
                }
            }
            Event::Delete(ns) => {
                if let Some(name) = &ns.metadata.name {
                    self.namespaces.remove(name);
                }
            }
        }
    }

    pub fn observe_service_account(&mut self, ev: Event<PartialObjectMeta<ServiceAccount>>) {
        match ev {
            Event::Init => self.relist_sa = Some(BTreeSet::new()),
            Event::InitApply(sa) => {
                if let (Some(ns), Some(seen)) = (default_sa_namespace(&sa), self.relist_sa.as_mut()) {
                    seen.insert(ns);
                }
            }
            Event::InitDone => {
                self.have_default = self.relist_sa.take().unwrap_or_default();
                self.synced_sa = true;
            }
            Event::Apply(sa) => {
                if let Some(ns) = default_sa_namespace(&sa) {
                    self.have_default.insert(ns);
                }
            }
            Event::Delete(sa) => {
                if let Some(ns) = default_sa_namespace(&sa) {
                    self.have_default.remove(&ns);
                }
            }
        }
    }
}

/// Runs the serviceaccount controller until `shutdown` resolves.
pub async fn run(client: kube::Client, shutdown: impl Future<Output = ()>) -> Result<(), ControllerError> {
    tokio::select! {
        () = shutdown => Ok(()),
        r = run_forever(client) => r,
    }
}

enum Input {
    Namespace(Result<Event<Namespace>, watcher::Error>),
    ServiceAccount(Result<Event<PartialObjectMeta<ServiceAccount>>, watcher::Error>),
}

async fn run_forever(client: kube::Client) -> Result<(), ControllerError> {
    let api = KubeServiceAccounts { client: client.clone() };
    let namespaces = watcher::watcher(Api::<Namespace>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(Input::Namespace);
    let accounts = watcher::watcher(
        Api::<PartialObjectMeta<ServiceAccount>>::all(client),
        watcher::Config::default(),
    )
    .default_backoff()
    .map(Input::ServiceAccount);
    let mut inputs = futures::stream::select(namespaces.boxed(), accounts.boxed());
    let mut state = State::default();
    let mut retries = WorkQueue::<String>::default();
    loop {
        while let Some(Some(input)) = inputs.next().now_or_never() {
            observe(&mut state, input);
        }
        if state.synced() {
            sync(&api, &mut state, &mut retries).await;
        }
        let wake = retries.next_due();
        tokio::select! {
            input = inputs.next() => match input {
                Some(input) => observe(&mut state, input),
                None => return Ok(()),
            },
            () = sleep_until(wake) => {
                retries.promote(Instant::now());
                // A due retry is simply a fresh plan: drain and forget it.
                while retries.pop().is_some() {}
            }
        }
    }
}

fn observe(state: &mut State, input: Input) {
    match input {
        Input::Namespace(Ok(ev)) => state.observe_namespace(ev),
        Input::ServiceAccount(Ok(ev)) => state.observe_service_account(ev),
        Input::Namespace(Err(e)) | Input::ServiceAccount(Err(e)) => {
            tracing::warn!(error = %e, "serviceaccount controller watch failed; retrying")
        }
    }
}

/// Creates every missing `default`; a failed namespace is retried after a backoff.
pub async fn sync<A: ServiceAccountApi>(api: &A, state: &mut State, retries: &mut WorkQueue<String>) {
    let waiting: BTreeSet<String> = retries.delayed_items().cloned().collect();
    for ns in plan(&state.namespaces, &state.have_default) {
        if waiting.contains(&ns) {
            continue;
        }
        match api.create_default(&ns).await {
            Ok(()) => {
                retries.forget(&ns);
                // Assume it exists until the watch says otherwise, so it is not created twice.
                state.have_default.insert(ns);
            }
            Err(e) => {
                let delay = retries.retry(ns.clone(), Instant::now());
                tracing::warn!(namespace = %ns, error = %e, retry_in_ms = delay.as_millis() as u64, "creating the default serviceaccount failed");
            }
        }
    }
}

/// [`ServiceAccountApi`] over kube-rs.
pub struct KubeServiceAccounts {
    client: kube::Client,
}

impl KubeServiceAccounts {
    pub fn new(client: kube::Client) -> Self {
        KubeServiceAccounts { client }
    }
}

impl ServiceAccountApi for KubeServiceAccounts {
    async fn create_default(&self, namespace: &str) -> Result<(), ControllerError> {
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(DEFAULT_SERVICE_ACCOUNT.into()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        match Api::<ServiceAccount>::namespaced(self.client.clone(), namespace)
            .create(&PostParams::default(), &sa)
            .await
        {
            Ok(_) => Ok(()),
            // Already there, namespace gone, or namespace terminating (403): nothing to do.
            Err(e) if is_conflict(&e) || is_not_found(&e) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 403 && s.message.contains("being terminated") => Ok(()),
            Err(source) => Err(ControllerError::Create {
                object: format!("serviceaccount default in {namespace}"),
                source: Box::new(source),
            }),
        }
    }
}
