//! Controllers that talk to any Kubernetes API server through kube-rs: namespace, serviceaccount,
//! the garbage collector, the scheduler, statefulset and the volume controllers.
//!
//! Architecture invariants:
//! - controllers reach the API server only through `kube::Client`, as they would a real cluster;
//! - every decision is a pure `plan*` function; drivers execute its actions through a narrow trait
//!   with a kube-rs implementation and a recording fake;
//! - nothing here blocks the caller's startup: discovery and initial lists happen inside `run`.

pub mod error;
pub mod garbagecollector;
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

/// Runs the namespace, serviceaccount, garbage-collector, statefulset and volume controllers and
/// the scheduler until `shutdown` resolves, without local volume provisioning.
///
/// The controllers retry API errors themselves; an `Err` means one of them hit a condition it
/// cannot recover from.
pub async fn run_all(
    client: kube::Client,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    run_all_with(client, volume::VolumeConfig::default(), shutdown).await
}

/// [`run_all`] with the volume controllers' configuration (`berth up` provisions local volumes).
pub async fn run_all_with(
    client: kube::Client,
    volumes: volume::VolumeConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    let shutdown = shutdown.shared();
    let ns = namespace::run(client.clone(), shutdown.clone());
    let sa = serviceaccount::run(client.clone(), shutdown.clone());
    let gc = garbagecollector::run(client.clone(), shutdown.clone());
    let sched = scheduler::run(client.clone(), shutdown.clone());
    let vol = volume::run(client.clone(), volumes, shutdown.clone());
    let sts = statefulset::run(client, statefulset::StatefulSetConfig::default(), shutdown);
    futures::try_join!(ns, sa, gc, sched, vol, sts).map(|_| ())
}
