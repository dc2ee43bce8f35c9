//! Shared watches: one watch per resource for every controller [`crate::run_all`] runs.
//!
//! kube-controller-manager's controllers share one informer per resource (its
//! `SharedInformerFactory`): a Pod is listed, watched and decoded once however many controllers
//! look at Pods. Here each controller subscribes to the resources it needs
//! ([`Informers::watch`]) before the watches start; [`Informers::run`] then runs one kube-rs
//! watcher per subscribed resource and hands each of its items — the initial list, every event,
//! relists, errors — to every subscriber, in the order they arrived. Subscribers keep their own
//! caches, as informer event handlers do, and read at their own pace: each has an unbounded
//! queue, so a slow one never holds up the others. Objects come without `metadata.managedFields`,
//! as kube-controller-manager's informers trim them ([`Trimmed`]).
//!
//! A subscriber that stops reading (its receiver dropped) is forgotten; a watch nobody reads any
//! more stops.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::{FutureExt as _, StreamExt as _};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt as _;
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

pub use self::trim::Trimmed;
pub use self::writes::Writes;

mod trim;
mod writes;

/// A watch failure, shared by every subscriber it reaches (the watch retries with backoff).
pub type WatchError = Arc<watcher::Error>;

/// What a subscriber receives: an event of the shared watch, or its failure.
pub type WatchItem<K> = Result<Event<K>, WatchError>;

/// The resources a kind of object can be watched as: cluster-wide, with no per-object type info.
pub trait Watched: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static {}

impl<K> Watched for K where K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static {}

/// The shared watches of one process, by resource.
pub struct Informers {
    client: kube::Client,
    feeds: Mutex<HashMap<TypeId, Box<dyn Feed>>>,
}

impl Informers {
    pub fn new(client: kube::Client) -> Self {
        Informers {
            client,
            feeds: Mutex::default(),
        }
    }

    /// Subscribes to every object of kind `K`, cluster-wide: what a kube-rs
    /// `watcher(Api::<K>::all(client), Config::default()).default_backoff()` yields, from the
    /// one watch of `K` that [`run`](Self::run) starts.
    pub fn watch<K: Watched>(&self) -> UnboundedReceiver<WatchItem<K>> {
        let (tx, rx) = unbounded_channel();
        let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        let feed = feeds
            .entry(TypeId::of::<K>())
            .or_insert_with(|| Box::new(Subscribers::<K>(Vec::new())));
        if let Some(subscribers) = feed.as_any().downcast_mut::<Subscribers<K>>() {
            subscribers.0.push(tx);
        }
        rx
    }

    /// [`watch`](Self::watch) as a stream.
    pub fn stream<K: Watched>(&self) -> impl futures::Stream<Item = WatchItem<K>> + Send + 'static {
        let mut rx = self.watch::<K>();
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    /// Runs one watch per subscribed resource until every subscriber of every resource is gone.
    /// Subscriptions made after this are never served.
    pub fn run(&self) -> BoxFuture<'static, ()> {
        let feeds: Vec<_> = self
            .feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, feed)| feed.run(self.client.clone()))
            .collect();
        futures::future::join_all(feeds).map(|_| ()).boxed()
    }

    /// Runs the watches while `work` runs (the controllers that subscribed), and returns what it
    /// returns.
    pub async fn run_while<F: Future>(&self, work: F) -> F::Output {
        let feeds = self.run();
        let mut work = std::pin::pin!(work);
        tokio::select! {
            r = &mut work => r,
            () = feeds => work.await,
        }
    }
}

/// The subscribers of one resource, type-erased so one map holds every resource.
trait Feed: Send {
    fn as_any(&mut self) -> &mut dyn Any;
    fn run(self: Box<Self>, client: kube::Client) -> BoxFuture<'static, ()>;
}

struct Subscribers<K>(Vec<UnboundedSender<WatchItem<K>>>);

impl<K: Watched> Feed for Subscribers<K> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn run(self: Box<Self>, client: kube::Client) -> BoxFuture<'static, ()> {
        let mut subscribers = self.0;
        async move {
            let mut items = watcher::watcher(Api::<Trimmed<K>>::all(client), watcher::Config::default())
                .default_backoff()
                .boxed();
            while !subscribers.is_empty() {
                let Some(item) = items.next().await else { break };
                fan_out(&mut subscribers, item.map(untrimmed).map_err(Arc::new));
            }
        }
        .boxed()
    }
}

/// The event with its objects unwrapped (they stay without managedFields).
pub fn untrimmed<K>(ev: Event<Trimmed<K>>) -> Event<K> {
    match ev {
        Event::Apply(Trimmed(k)) => Event::Apply(k),
        Event::Delete(Trimmed(k)) => Event::Delete(k),
        Event::Init => Event::Init,
        Event::InitApply(Trimmed(k)) => Event::InitApply(k),
        Event::InitDone => Event::InitDone,
    }
}

/// Hands `item` to every subscriber (the last one gets it, the others a copy) and forgets those
/// that are gone.
fn fan_out<T: Clone>(subscribers: &mut Vec<UnboundedSender<T>>, item: T) {
    let mut item = Some(item);
    let last = subscribers.len().saturating_sub(1);
    let mut i = 0;
    subscribers.retain(|tx| {
        let this = if i == last { item.take() } else { item.clone() };
        i += 1;
        this.is_some_and(|this| tx.send(this).is_ok())
    });
}

#[cfg(test)]
mod tests;
