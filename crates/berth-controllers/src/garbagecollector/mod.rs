//! Garbage collector: deletes dependents whose owners are gone, orphans or foreground-deletes
//! dependents of owners deleted with those policies (upstream `pkg/controller/garbagecollector`).
//!
//! The driver watches the metadata of every served resource into a [`graph::Graph`], queues the
//! uids the graph says need a look, and for each one reads the live object and its owners, asks
//! [`plan::plan`] what to do and executes the actions through [`client::GcApi`].

pub mod client;
pub mod graph;
pub mod plan;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::future::Future;

use futures::stream::{BoxStream, SelectAll};
use futures::{FutureExt as _, StreamExt as _};
use kube::api::{Api, DynamicObject};
use kube::core::PartialObjectMeta;
use kube::discovery::ApiResource;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt as _;
use tokio::time::Instant;

use self::client::{node_from_meta, GcApi, KubeGc};
use self::graph::{Change, Graph, Uid};
use self::plan::{needs_owner_lookups, plan, Action, OwnerLookups, OwnerStatus};
use crate::error::ControllerError;
use crate::informers::{untrimmed, Trimmed};
use crate::queue::{sleep_until, WorkQueue};
use crate::resources::{self, ResourceMap};

/// Runs the garbage collector until `shutdown` resolves.
pub async fn run(client: kube::Client, shutdown: impl Future<Output = ()>) -> Result<(), ControllerError> {
    tokio::select! {
        () = shutdown => Ok(()),
        r = run_forever(client) => r,
    }
}

type MetaEvent = (usize, Result<Event<PartialObjectMeta<DynamicObject>>, watcher::Error>);

async fn run_forever(client: kube::Client) -> Result<(), ControllerError> {
    let served = resources::discover_until_ok(&client, "garbage collector").await;
    let watched: Vec<ApiResource> = served
        .iter()
        .filter(|r| resources::watchable(r) && !resources::gc_ignored(r))
        .map(|r| r.resource.clone())
        .collect();
    let api = KubeGc::new(client.clone(), ResourceMap::new(&served));
    let mut streams: SelectAll<BoxStream<'static, MetaEvent>> =
        futures::stream::select_all(watched.iter().enumerate().map(|(i, ar)| {
            // `Api<PartialObjectMeta<_>>` lists and watches metadata only (`as=PartialObjectMetadata`),
            // trimmed of managedFields as kube-controller-manager's metadata informers are.
            let api = Api::<Trimmed<PartialObjectMeta<DynamicObject>>>::all_with(client.clone(), ar);
            watcher::watcher(api, watcher::Config::default())
                .default_backoff()
                .map(move |e| (i, e.map(untrimmed)))
                .boxed()
        }));
    let mut driver = Driver::new(api, watched);
    tracing::info!(resources = driver.resources.len(), "garbage collector started");
    loop {
        // Take in every event already there before working, so decisions see a fresh graph.
        while let Some(Some((i, ev))) = streams.next().now_or_never() {
            driver.observe(i, ev);
        }
        if driver.work_one().await {
            continue;
        }
        let wake = driver.queue.next_due();
        tokio::select! {
            ev = streams.next() => match ev {
                Some((i, ev)) => driver.observe(i, ev),
                None => return Ok(()),
            },
            () = sleep_until(wake) => driver.queue.promote(Instant::now()),
        }
    }
}

/// The garbage collector's state: the graph, the work queue and per-resource sync state.
pub struct Driver<A> {
    api: A,
    resources: Vec<ApiResource>,
    graph: Graph,
    /// Per resource: initial list done.
    synced: Vec<bool>,
    /// Per resource: uids seen during a (re)list in progress.
    relisting: Vec<Option<HashSet<Uid>>>,
    queue: WorkQueue<Uid>,
}

impl<A: GcApi> Driver<A> {
    pub fn new(api: A, resources: Vec<ApiResource>) -> Self {
        let n = resources.len();
        Driver {
            api,
            resources,
            graph: Graph::default(),
            synced: vec![false; n],
            relisting: vec![None; n],
            queue: WorkQueue::default(),
        }
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Whether every resource finished its initial list.
    pub fn all_synced(&self) -> bool {
        self.synced.iter().all(|s| *s)
    }

    /// Takes one watch event of resource `i` into the graph and queues what it makes interesting.
    pub fn observe(&mut self, i: usize, ev: Result<Event<PartialObjectMeta<DynamicObject>>, watcher::Error>) {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::warn!(resource = %self.resources[i].plural, error = %e, "garbage collector watch failed; retrying");
                return;
            }
        };
        let ar = self.resources[i].clone();
        match ev {
            Event::Init => self.relisting[i] = Some(HashSet::new()),
            Event::InitApply(m) => {
                if let Some(node) = node_from_meta(&ar, &m.metadata) {
                    if let Some(seen) = &mut self.relisting[i] {
                        seen.insert(node.uid.clone());
                    }
                    self.change(Change::Upsert(node));
                }
            }
            Event::InitDone => {
                let seen = self.relisting[i].take().unwrap_or_default();
                for uid in self.graph.uids_of_kind(&ar.api_version, &ar.kind) {
                    if !seen.contains(&uid) {
                        self.change(Change::Remove(uid));
                    }
                }
                let was = self.all_synced();
                self.synced[i] = true;
                if !was && self.all_synced() {
                    tracing::info!(objects = self.graph.len(), "garbage collector graph synced");
                    for uid in self.graph.needs_attention() {
                        self.queue.add(uid);
                    }
                }
            }
            Event::Apply(m) => {
                if let Some(node) = node_from_meta(&ar, &m.metadata) {
                    self.change(Change::Upsert(node));
                }
            }
            Event::Delete(m) => {
                if let Some(uid) = m.metadata.uid {
                    self.change(Change::Remove(Uid(uid)));
                }
            }
        }
    }

    fn change(&mut self, change: Change) {
        let uids = self.graph.apply(change);
        // Until the graph is complete, `needs_attention` at sync time covers everything.
        if self.all_synced() {
            for uid in uids {
                self.queue.add(uid);
            }
        }
    }

    /// Examines the next queued uid; `false` if there was nothing to do.
    pub async fn work_one(&mut self) -> bool {
        if !self.all_synced() {
            return false;
        }
        let Some(uid) = self.queue.pop() else {
            return false;
        };
        match self.examine(&uid).await {
            Ok(next) => {
                self.queue.forget(&uid);
                for n in next {
                    self.queue.add(n);
                }
            }
            Err(e) => {
                let delay = self.queue.retry(uid.clone(), Instant::now());
                tracing::warn!(%uid, error = %e, retry_in_ms = delay.as_millis() as u64, "garbage collection failed");
            }
        }
        true
    }

    /// The work queue (for the run loop's timers).
    pub fn queue_mut(&mut self) -> &mut WorkQueue<Uid> {
        &mut self.queue
    }

    /// Reads the live object and its owners, plans, and executes; returns uids to examine next.
    async fn examine(&mut self, uid: &Uid) -> Result<Vec<Uid>, ControllerError> {
        let Some(node) = self.graph.get(uid) else {
            return Ok(Vec::new());
        };
        let object = node.object.clone();
        // Gone or replaced: the watch will tell the graph.
        let live = match self.api.get(&object).await? {
            Some(live) if &live.uid == uid => live,
            _ => return Ok(Vec::new()),
        };
        let mut owners = OwnerLookups::new();
        if needs_owner_lookups(&live) {
            for o in &live.owners {
                let status = match self.api.get(&live.owner_ref(o)).await {
                    Ok(Some(n)) if n.uid == o.uid && n.deleting_dependents() => OwnerStatus::WaitingForDependents,
                    Ok(Some(n)) if n.uid == o.uid => OwnerStatus::Present,
                    Ok(_) => OwnerStatus::Absent,
                    Err(ControllerError::UnknownKind { .. }) => {
                        tracing::warn!(object = %object, owner = %o.name, kind = %o.kind, "owner kind is not served; keeping the reference");
                        OwnerStatus::Unresolvable
                    }
                    Err(e) => return Err(e),
                };
                owners.insert(o.uid.clone(), status);
            }
        }
        let mut next = Vec::new();
        for action in plan(&self.graph, &live, &owners) {
            tracing::debug!(?action, "garbage collector action");
            match action {
                Action::Delete {
                    object,
                    uid,
                    propagation,
                } => {
                    tracing::info!(object = %object, ?propagation, "deleting dependent");
                    self.api.delete(&object, &uid, propagation).await?;
                }
                Action::RemoveOwnerRefs { object, uid, owners } => {
                    self.api.remove_owner_refs(&object, &uid, &owners).await?;
                }
                Action::UnblockOwnerRefs { object, uid, owners } => {
                    self.api.unblock_owner_refs(&object, &uid, &owners).await?;
                }
                Action::RemoveFinalizer { object, uid, finalizer } => {
                    self.api.remove_finalizer(&object, &uid, finalizer).await?;
                }
                Action::Examine(uid) => next.push(uid),
            }
        }
        Ok(next)
    }
}
