//! Namespace controller: empties a terminating namespace, then removes its `kubernetes` finalizer
//! so the API server can remove it (upstream `pkg/controller/namespace`).

pub mod plan;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use futures::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams, PropagationPolicy};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt as _;
use tokio::time::Instant;

use self::plan::{plan_namespace, plan_outcome, plan_sweeps, Decision, NamespaceView, Outcome, Remaining, Sweep};
use crate::error::{is_conflict, is_not_found, ControllerError};
use crate::queue::{sleep_until, WorkQueue};
use crate::resources::ServedResource;

/// How long to wait before sweeping a namespace whose content is still going away.
pub const RECHECK: Duration = Duration::from_secs(1);

/// Everything the namespace controller does to the API server.
pub trait NamespaceApi: Send + Sync {
    /// The namespace, or `None` if it is gone.
    fn get(&self, name: &str) -> impl Future<Output = Result<Option<NamespaceView>, ControllerError>> + Send;
    /// The served resources (read from discovery each time, so new kinds are swept too).
    fn resources(&self) -> impl Future<Output = Result<Vec<ServedResource>, ControllerError>> + Send;
    /// Deletes all objects of the resource in the namespace, with background propagation.
    fn sweep(
        &self,
        resource: &ServedResource,
        namespace: &str,
        how: Sweep,
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// What is left of the resource in the namespace.
    fn remaining(
        &self,
        resource: &ServedResource,
        namespace: &str,
    ) -> impl Future<Output = Result<Remaining, ControllerError>> + Send;
    /// Sets `spec.finalizers` to `keep` through `PUT /api/v1/namespaces/{name}/finalize`.
    fn finalize(&self, name: &str, keep: &[String]) -> impl Future<Output = Result<(), ControllerError>> + Send;
}

/// Runs the namespace controller until `shutdown` resolves.
pub async fn run(client: kube::Client, shutdown: impl Future<Output = ()>) -> Result<(), ControllerError> {
    tokio::select! {
        () = shutdown => Ok(()),
        r = run_forever(client) => r,
    }
}

async fn run_forever(client: kube::Client) -> Result<(), ControllerError> {
    let api = KubeNamespaces { client: client.clone() };
    let mut events = watcher::watcher(Api::<Namespace>::all(client), watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut queue = WorkQueue::<String>::default();
    loop {
        while let Some(Some(ev)) = events.next().now_or_never() {
            observe(&mut queue, ev);
        }
        if let Some(name) = queue.pop() {
            match reconcile(&api, &name).await {
                Ok(None) => queue.forget(&name),
                Ok(Some(after)) => {
                    queue.forget(&name);
                    queue.add_after(name, after, Instant::now());
                }
                Err(e) => {
                    let delay = queue.retry(name.clone(), Instant::now());
                    tracing::warn!(namespace = %name, error = %e, retry_in_ms = delay.as_millis() as u64, "namespace deletion failed");
                }
            }
            continue;
        }
        let wake = queue.next_due();
        tokio::select! {
            ev = events.next() => match ev {
                Some(ev) => observe(&mut queue, ev),
                None => return Ok(()),
            },
            () = sleep_until(wake) => queue.promote(Instant::now()),
        }
    }
}

fn observe(queue: &mut WorkQueue<String>, ev: Result<Event<Namespace>, watcher::Error>) {
    match ev {
        Ok(Event::Apply(ns) | Event::InitApply(ns)) => {
            if ns.metadata.deletion_timestamp.is_some() {
                if let Some(name) = ns.metadata.name {
                    queue.add(name);
                }
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "namespace watch failed; retrying"),
    }
}

/// One pass over a namespace; `Some(delay)` asks to look again later.
pub async fn reconcile<A: NamespaceApi>(api: &A, name: &str) -> Result<Option<Duration>, ControllerError> {
    let Some(ns) = api.get(name).await? else {
        return Ok(None);
    };
    if plan_namespace(&ns) == Decision::Ignore {
        return Ok(None);
    }
    let sweeps = plan_sweeps(&api.resources().await?);
    for (resource, how) in &sweeps {
        api.sweep(resource, name, *how).await?;
    }
    let mut after = Vec::with_capacity(sweeps.len());
    for (resource, _) in &sweeps {
        after.push(api.remaining(resource, name).await?);
    }
    match plan_outcome(&ns, &after) {
        Outcome::Finalize { keep } => {
            api.finalize(name, &keep).await?;
            tracing::info!(namespace = %name, "namespace content deleted; finalized");
            Ok(None)
        }
        Outcome::Wait { remaining } => {
            tracing::debug!(namespace = %name, message = %plan::remaining_message(&remaining), "waiting for content");
            Ok(Some(RECHECK))
        }
    }
}

/// [`NamespaceApi`] over kube-rs.
pub struct KubeNamespaces {
    client: kube::Client,
}

impl KubeNamespaces {
    pub fn new(client: kube::Client) -> Self {
        KubeNamespaces { client }
    }

    fn api(&self, r: &ServedResource, namespace: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), namespace, &r.resource)
    }
}

fn view(ns: &Namespace) -> NamespaceView {
    NamespaceView {
        name: ns.metadata.name.clone().unwrap_or_default(),
        deleting: ns.metadata.deletion_timestamp.is_some(),
        spec_finalizers: ns.spec.as_ref().and_then(|s| s.finalizers.clone()).unwrap_or_default(),
    }
}

fn background() -> DeleteParams {
    DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    }
}

impl NamespaceApi for KubeNamespaces {
    async fn get(&self, name: &str) -> Result<Option<NamespaceView>, ControllerError> {
        Api::<Namespace>::all(self.client.clone())
            .get_opt(name)
            .await
            .map(|ns| ns.as_ref().map(view))
            .map_err(|source| ControllerError::Get {
                object: format!("namespace {name}"),
                source: Box::new(source),
            })
    }

    async fn resources(&self) -> Result<Vec<ServedResource>, ControllerError> {
        crate::resources::discover(&self.client).await
    }

    async fn sweep(&self, r: &ServedResource, namespace: &str, how: Sweep) -> Result<(), ControllerError> {
        let api = self.api(r, namespace);
        let object = |name: &str| format!("{} {name} in {namespace}", r.display());
        match how {
            Sweep::Collection => match api.delete_collection(&background(), &ListParams::default()).await {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(source) => Err(ControllerError::Delete {
                    object: object("*"),
                    source: Box::new(source),
                }),
            },
            Sweep::EachObject => {
                let list = api
                    .list_metadata(&ListParams::default())
                    .await
                    .map_err(|source| ControllerError::List {
                        resource: r.display(),
                        namespace: namespace.into(),
                        source: Box::new(source),
                    })?;
                for item in list.items {
                    let Some(name) = item.metadata.name else {
                        continue;
                    };
                    if item.metadata.deletion_timestamp.is_some() {
                        continue;
                    }
                    match api.delete(&name, &background()).await {
                        Ok(_) => {}
                        Err(e) if is_not_found(&e) || is_conflict(&e) => {}
                        Err(source) => {
                            return Err(ControllerError::Delete {
                                object: object(&name),
                                source: Box::new(source),
                            })
                        }
                    }
                }
                Ok(())
            }
        }
    }

    async fn remaining(&self, r: &ServedResource, namespace: &str) -> Result<Remaining, ControllerError> {
        let list = self
            .api(r, namespace)
            .list_metadata(&ListParams::default())
            .await
            .map_err(|source| ControllerError::List {
                resource: r.display(),
                namespace: namespace.into(),
                source: Box::new(source),
            })?;
        let finalizers: BTreeSet<String> = list
            .items
            .iter()
            .flat_map(|i| i.metadata.finalizers.iter().flatten().cloned())
            .collect();
        Ok(Remaining {
            resource: r.display(),
            count: list.items.len(),
            finalizers,
        })
    }

    async fn finalize(&self, name: &str, keep: &[String]) -> Result<(), ControllerError> {
        let api = Api::<Namespace>::all(self.client.clone());
        let err = |source| ControllerError::Finalize {
            namespace: name.into(),
            source: Box::new(source),
        };
        for _ in 0..5 {
            let Some(mut ns) = api.get_opt(name).await.map_err(err)? else {
                return Ok(());
            };
            ns.spec.get_or_insert_with(Default::default).finalizers = Some(keep.to_vec());
            match api
                .replace_subresource("finalize", name, &PostParams::default(), &ns)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if is_not_found(&e) => return Ok(()),
                Err(e) if is_conflict(&e) => continue,
                Err(e) => return Err(err(e)),
            }
        }
        Err(ControllerError::Conflicts {
            object: format!("namespace {name}"),
        })
    }
}
