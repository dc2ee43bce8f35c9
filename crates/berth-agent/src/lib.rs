//! berth's node agent: registers a Node, keeps its Lease renewed and acts as kubelet for the pods
//! bound to it. This build has only the simulated runtime ([`sim`]); a namespaced-process runtime
//! will come behind the same [`runtime::Runtime`] trait.
//!
//! Architecture invariants:
//! - the agent reaches the API server only through `kube::Client`, like a kubelet;
//! - the agent writes only its Node (and status), its Lease, pod status (through the `status`
//!   subresource) and the final grace-0 pod delete;
//! - decisions are pure ([`plan::plan`], [`node`]); drivers execute them through [`api::PodApi`],
//!   [`api::NodeApi`] and [`runtime::Runtime`], each with a real and a fake implementation;
//! - nothing here blocks the caller's startup: registration happens inside [`run`].

pub mod agent;
pub mod api;
pub mod error;
pub mod heartbeat;
pub mod host;
pub mod ipam;
pub mod node;
pub mod plan;
pub mod runtime;
pub mod sim;
pub mod view;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::Ipv4Addr;

use futures::StreamExt as _;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt as _;

pub use error::AgentError;
pub use sim::SimConfig;

use crate::agent::PodSync;
use crate::api::KubeAgentApi;
use crate::heartbeat::{Heartbeat, LEASE_RENEW_INTERVAL};
use crate::node::NodeConfig;
use crate::sim::SimRuntime;

/// The node name when none is given.
pub const DEFAULT_NODE_NAME: &str = "berth";

/// Which runtime runs the pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeConfig {
    /// No processes: pods only go through their lifecycle on timers (see [`sim`]).
    Simulated(SimConfig),
}

/// Configuration of one node agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentConfig {
    /// The Node's name; pods with this `spec.nodeName` are this agent's.
    pub node_name: String,
    pub runtime: RuntimeConfig,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            node_name: DEFAULT_NODE_NAME.into(),
            runtime: RuntimeConfig::Simulated(SimConfig::default()),
        }
    }
}

/// The address the node reports (`InternalIP`, pods' `hostIP`): berth binds loopback only.
const HOST_IP: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Runs the node agent until `shutdown` resolves. API errors are retried with backoff; the
/// result is an error only for a condition the agent cannot recover from.
pub async fn run(
    client: kube::Client,
    config: AgentConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), AgentError> {
    tokio::select! {
        () = shutdown => Ok(()),
        r = run_forever(client, config) => r,
    }
}

async fn run_forever(client: kube::Client, config: AgentConfig) -> Result<(), AgentError> {
    let RuntimeConfig::Simulated(sim) = config.runtime;
    let node_cfg = NodeConfig {
        name: config.node_name.clone(),
        internal_ip: HOST_IP,
        pod_capacity: sim.pod_capacity,
        container_runtime_version: format!("sim://{}", env!("CARGO_PKG_VERSION")),
        host: host::probe(),
    };
    let api = KubeAgentApi::new(client.clone());
    let heartbeat = run_heartbeat(Heartbeat::new(api.clone(), node_cfg, Timestamp::now()));
    let pods = run_pods(
        client,
        &config.node_name,
        PodSync::new(api, SimRuntime::new(sim), HOST_IP),
    );
    futures::future::join(heartbeat, pods).await.1
}

async fn run_heartbeat(mut hb: Heartbeat<KubeAgentApi>) {
    let mut failures = 0u32;
    loop {
        let pause = match hb.beat(Timestamp::now()).await {
            Ok(()) => {
                failures = 0;
                LEASE_RENEW_INTERVAL
            }
            Err(e) => {
                tracing::warn!(error = %e, "node heartbeat failed; retrying");
                failures = failures.saturating_add(1);
                std::time::Duration::from_millis((200u64 << failures.min(6)).min(10_000))
            }
        };
        tokio::time::sleep(pause).await;
    }
}

async fn run_pods(
    client: kube::Client,
    node_name: &str,
    mut sync: PodSync<KubeAgentApi, SimRuntime>,
) -> Result<(), AgentError> {
    let cfg = watcher::Config::default().fields(&format!("spec.nodeName={node_name}"));
    let watch = watcher::watcher(Api::<Pod>::all(client), cfg).default_backoff().boxed();
    // The watch is read on its own task, like a kubelet's informer: while a sync awaits its
    // status writes, events keep being read and decoded, and the next sync takes them all
    // (read from this loop, an HTTP/1 watch body yields about one event per sync).
    let (tx, mut pods) = tokio::sync::mpsc::unbounded_channel();
    let _reader = AbortOnDrop(tokio::spawn(async move {
        let mut watch = watch;
        while let Some(ev) = watch.next().await {
            if tx.send(ev).is_err() {
                break;
            }
        }
    }));
    loop {
        while let Ok(ev) = pods.try_recv() {
            observe(&mut sync, ev);
        }
        let wake = if sync.synced() {
            sync.sync(Timestamp::now()).await
        } else {
            None
        };
        let sleep = async {
            match wake {
                Some(at) => {
                    let d = at.duration_since(Timestamp::now());
                    tokio::time::sleep(d.try_into().unwrap_or_default()).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = pods.recv() => match ev {
                Some(ev) => observe(&mut sync, ev),
                None => return Ok(()),
            },
            () = sleep => {}
        }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn observe(sync: &mut PodSync<KubeAgentApi, SimRuntime>, ev: Result<watcher::Event<Pod>, watcher::Error>) {
    match ev {
        Ok(ev) => sync.observe(ev),
        Err(e) => tracing::warn!(error = %e, "pod watch failed; retrying"),
    }
}
