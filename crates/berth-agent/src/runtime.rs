//! The pod runtime seam: what the agent asks of whatever runs containers, and what it reads back.
//!
//! The simulated runtime ([`crate::sim`]) implements it with timers; a namespaced-process runtime
//! will implement the same trait later. The plan never calls a runtime: the driver observes every
//! pod first and hands the observations to the plan.

use std::net::Ipv4Addr;
use std::time::Duration;

use jiff::Timestamp;

/// The parts of a pod the runtime needs to start it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpecView {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub containers: Vec<ContainerSpec>,
    pub init_containers: Vec<ContainerSpec>,
    pub restart_policy: RestartPolicy,
    /// `berth.dev/simulate-*` annotations, already parsed.
    pub simulation: Simulation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
}

/// `spec.restartPolicy` (default `Always`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

/// What the simulation annotations ask for; a real runtime ignores them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Simulation {
    /// `berth.dev/simulate-fail: "true"`: the containers exit with code 1.
    pub fail: bool,
    /// `berth.dev/simulate-unready: "true"`: running but never ready.
    pub unready: bool,
    /// `berth.dev/simulate-exit-code: "N"`: run-to-completion pods exit with N once started.
    pub exit_code: Option<i32>,
}

/// What a restarted agent finds recorded in the API for a pod it ran before, so the pod keeps its
/// IP and start time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adopt {
    pub ip: Option<Ipv4Addr>,
    pub started_at: Option<Timestamp>,
    /// The API already shows the containers running: do not wait for them to start again.
    pub running: bool,
}

/// One container as the runtime sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRuntimeState {
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub container_id: String,
    pub state: ContainerState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Not started yet (`ContainerCreating`, `PodInitializing`).
    Waiting {
        reason: String,
    },
    Running {
        started_at: Timestamp,
        ready: bool,
    },
    Terminated {
        exit_code: i32,
        reason: String,
        started_at: Timestamp,
        finished_at: Timestamp,
    },
}

/// A pod as the runtime sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimePod {
    pub ip: Ipv4Addr,
    /// When the sandbox was created (`status.startTime`).
    pub started_at: Timestamp,
    pub init_containers: Vec<ContainerRuntimeState>,
    pub containers: Vec<ContainerRuntimeState>,
    /// `stop` was called.
    pub stopping: bool,
    /// Every container has stopped after `stop`; the pod can be removed.
    pub stopped: bool,
}

/// Errors of a runtime step.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// No address is left in the pod network.
    #[error("no pod IP left in {cidr} for {namespace}/{name}")]
    AddressesExhausted {
        cidr: String,
        namespace: String,
        name: String,
    },
}

/// Runs pods. Calls are idempotent per pod UID.
pub trait Runtime: Send {
    /// Creates the pod's sandbox and starts its containers (no-op if known).
    fn start(&mut self, pod: &PodSpecView, adopt: Option<Adopt>, now: Timestamp) -> Result<(), RuntimeError>;
    /// Asks the pod's containers to stop within `grace`.
    fn stop(&mut self, uid: &str, grace: Duration, now: Timestamp);
    /// The pod's state now; `None` if the runtime does not know the pod.
    fn observe(&mut self, pod: &PodSpecView, now: Timestamp) -> Option<RuntimePod>;
    /// Removes a pod's sandbox and frees its IP.
    fn remove(&mut self, uid: &str);
    /// UIDs of every pod the runtime knows.
    fn pods(&self) -> Vec<String>;
    /// The earliest moment after `now` when an observation changes without any call.
    fn next_change(&self, now: Timestamp) -> Option<Timestamp>;
}
