//! Controllers that talk to any Kubernetes API server through kube-rs: namespace, serviceaccount,
//! the garbage collector, the scheduler, statefulset and the volume controllers.
//!
//! Architecture invariants:
//! - controllers reach the API server only through `kube::Client`, as they would a real cluster;
//! - every decision is a pure `plan*` function; drivers execute its actions through a narrow trait
//!   with a kube-rs implementation and a recording fake;
//! - nothing here blocks the caller's startup: discovery and initial lists happen inside `run`.

pub mod error;
pub mod events;
pub mod garbagecollector;
pub mod informers;
pub mod namespace;
pub mod queue;
pub mod resources;
pub mod retry;
pub mod scheduler;
pub mod serviceaccount;
pub mod statefulset;
pub mod volume;

use std::future::Future;

use futures::FutureExt as _;

pub use error::ControllerError;

/// How [`run_all`] runs the controllers.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub statefulset: statefulset::StatefulSetConfig,
    /// Local volume provisioning (`berth up` provisions under its data dir); none by default.
    pub volumes: volume::VolumeConfig,
}

/// Runs the namespace, serviceaccount, garbage-collector, statefulset and volume controllers and
/// the scheduler until `shutdown` resolves.
///
/// The controllers retry API errors themselves; an `Err` means one of them hit a condition it
/// cannot recover from.
pub async fn run_all(
    client: kube::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    let shutdown = shutdown.shared();
    let ns = namespace::run(client.clone(), shutdown.clone());
    let sa = serviceaccount::run(client.clone(), shutdown.clone());
    let gc = garbagecollector::run(client.clone(), shutdown.clone());
    // One watch per resource for the scheduler and the StatefulSet and volume controllers.
    let informers = informers::Informers::new(client.clone());
    let sched = scheduler::start(client.clone(), &informers, shutdown.clone());
    let vol = volume::start(client.clone(), &informers, config.volumes, shutdown.clone());
    let sts = statefulset::start(client, &informers, config.statefulset, shutdown);
    informers
        .run_while(async { futures::try_join!(ns, sa, gc, sched, vol, sts) })
        .await
        .map(|_| ())
}
