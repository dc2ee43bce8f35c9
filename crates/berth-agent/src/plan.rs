//! The agent's pure decision: given the pods bound to this node and what the runtime reports for
//! each, which runtime calls and API writes bring the two together.
//!
//! Status is derived from the runtime observation alone, so a write is planned only when the
//! status the API holds differs from it in something a reader acts on (see [`Fingerprint`]);
//! timestamps never cause a write on their own.

#[cfg(test)]
mod tests;

use std::net::Ipv4Addr;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ContainerState as ApiContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::runtime::{Adopt, ContainerRuntimeState, ContainerState, PodSpecView, RuntimePod};

/// Everything the plan looks at.
#[derive(Clone, Debug)]
pub struct NodeView {
    /// `status.hostIP` of every pod.
    pub host_ip: Ipv4Addr,
    /// Pods in the API bound to this node.
    pub pods: Vec<PodView>,
    /// UIDs the runtime still holds whose pod is gone from the API.
    pub orphans: Vec<String>,
}

/// One pod bound to the node.
#[derive(Clone, Debug)]
pub struct PodView {
    pub spec: PodSpecView,
    /// `status` as the API holds it.
    pub status: PodStatus,
    /// The grace period left when `metadata.deletionTimestamp` is set.
    pub deletion: Option<Duration>,
    /// What the runtime reports; `None` if it does not run the pod.
    pub runtime: Option<RuntimePod>,
}

/// One step for the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Start the pod in the runtime.
    Start { spec: PodSpecView, adopt: Option<Adopt> },
    /// Stop the pod's containers within `grace`.
    Stop { uid: String, grace: Duration },
    /// Replace the runtime-owned part of `status` through the status subresource.
    WriteStatus {
        namespace: String,
        name: String,
        uid: String,
        status: Box<PodStatus>,
    },
    /// The final delete: grace 0 with a UID precondition.
    ConfirmDeletion {
        namespace: String,
        name: String,
        uid: String,
    },
    /// Forget a pod the API no longer has.
    Remove { uid: String },
}

/// The actions for one sync, adoptions first so a restarted agent gets its old IPs back before
/// new pods are allocated addresses.
pub fn plan(view: &NodeView, now: Timestamp) -> Vec<Action> {
    let mut actions = Vec::new();
    for pod in &view.pods {
        plan_pod(pod, view.host_ip, now, &mut actions);
    }
    actions.extend(view.orphans.iter().map(|uid| Action::Remove { uid: uid.clone() }));
    actions.sort_by_key(|a| match a {
        Action::Start { adopt: Some(_), .. } => 0,
        _ => 1,
    });
    actions
}

fn plan_pod(pod: &PodView, host_ip: Ipv4Addr, now: Timestamp, out: &mut Vec<Action>) {
    let spec = &pod.spec;
    let confirm = || Action::ConfirmDeletion {
        namespace: spec.namespace.clone(),
        name: spec.name.clone(),
        uid: spec.uid.clone(),
    };
    match (&pod.runtime, pod.deletion) {
        (None, Some(_)) => out.push(confirm()),
        (None, None) if is_terminal(&pod.status) => {}
        (None, None) => out.push(Action::Start {
            spec: spec.clone(),
            adopt: adopt(&pod.status),
        }),
        (Some(rt), Some(_)) if rt.stopped => out.push(confirm()),
        (Some(rt), Some(grace)) if !rt.stopping => out.push(Action::Stop {
            uid: spec.uid.clone(),
            grace,
        }),
        (Some(_), Some(_)) => {}
        (Some(_), None) if is_terminal(&pod.status) => {}
        (Some(rt), None) => {
            let desired = pod_status(rt, host_ip, &pod.status, now);
            if Fingerprint::of(&desired) != Fingerprint::of(&pod.status) {
                out.push(Action::WriteStatus {
                    namespace: spec.namespace.clone(),
                    name: spec.name.clone(),
                    uid: spec.uid.clone(),
                    status: Box::new(desired),
                });
            }
        }
    }
}

/// `Succeeded` and `Failed` are final: the agent never writes them again.
pub fn is_terminal(status: &PodStatus) -> bool {
    matches!(status.phase.as_deref(), Some("Succeeded" | "Failed"))
}

/// What the API says about a pod this agent may have run before a restart.
fn adopt(status: &PodStatus) -> Option<Adopt> {
    let ip = status.pod_ip.as_deref().and_then(|s| s.parse().ok());
    let started_at = status.start_time.as_ref().map(|t| t.0);
    let running = status.phase.as_deref() == Some("Running");
    (ip.is_some() || started_at.is_some()).then_some(Adopt {
        ip,
        started_at,
        running,
    })
}

/// A container's name, ready, started, state kind and exit code.
type ContainerPrint = (String, bool, Option<bool>, &'static str, Option<i32>);

/// What readers act on: phase, addresses, condition states and container states.
#[derive(Debug, PartialEq, Eq)]
pub struct Fingerprint {
    phase: Option<String>,
    pod_ip: Option<String>,
    host_ip: Option<String>,
    started: bool,
    conditions: Vec<(String, String, Option<String>)>,
    containers: Vec<ContainerPrint>,
    init_containers: Vec<(String, bool, &'static str, Option<i32>)>,
}

fn state_kind(s: Option<&ApiContainerState>) -> (&'static str, Option<i32>) {
    match s {
        Some(ApiContainerState { running: Some(_), .. }) => ("running", None),
        Some(ApiContainerState {
            terminated: Some(t), ..
        }) => ("terminated", Some(t.exit_code)),
        Some(ApiContainerState { waiting: Some(_), .. }) => ("waiting", None),
        _ => ("unknown", None),
    }
}

impl Fingerprint {
    pub fn of(s: &PodStatus) -> Fingerprint {
        let mut conditions: Vec<_> = s
            .conditions
            .iter()
            .flatten()
            .map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone()))
            .collect();
        conditions.sort();
        Fingerprint {
            phase: s.phase.clone(),
            pod_ip: s.pod_ip.clone(),
            host_ip: s.host_ip.clone(),
            started: s.start_time.is_some(),
            conditions,
            containers: s
                .container_statuses
                .iter()
                .flatten()
                .map(|c| {
                    let (kind, code) = state_kind(c.state.as_ref());
                    (c.name.clone(), c.ready, c.started, kind, code)
                })
                .collect(),
            init_containers: s
                .init_container_statuses
                .iter()
                .flatten()
                .map(|c| {
                    let (kind, code) = state_kind(c.state.as_ref());
                    (c.name.clone(), c.ready, kind, code)
                })
                .collect(),
        }
    }
}

fn phase(rt: &RuntimePod) -> &'static str {
    let states = || rt.containers.iter().map(|c| &c.state);
    if rt.containers.is_empty() || states().any(|s| matches!(s, ContainerState::Waiting { .. })) {
        "Pending"
    } else if states().all(|s| matches!(s, ContainerState::Terminated { exit_code: 0, .. })) {
        "Succeeded"
    } else if states().all(|s| matches!(s, ContainerState::Terminated { .. })) {
        "Failed"
    } else {
        "Running"
    }
}

/// A condition keeping its `lastTransitionTime` while its status stays the same.
fn condition(
    current: &PodStatus,
    type_: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<String>,
    now: Timestamp,
) -> PodCondition {
    let status = if ok { "True" } else { "False" };
    let since = current
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_ && c.status == status)
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or(Time(now));
    PodCondition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.map(String::from),
        message,
        last_transition_time: Some(since),
        ..PodCondition::default()
    }
}

fn api_state(s: &ContainerState) -> ApiContainerState {
    match s {
        ContainerState::Waiting { reason } => ApiContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: None,
            }),
            ..ApiContainerState::default()
        },
        ContainerState::Running { started_at, .. } => ApiContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(*started_at)),
            }),
            ..ApiContainerState::default()
        },
        ContainerState::Terminated {
            exit_code,
            reason,
            started_at,
            finished_at,
        } => ApiContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: *exit_code,
                reason: Some(reason.clone()),
                started_at: Some(Time(*started_at)),
                finished_at: Some(Time(*finished_at)),
                ..ContainerStateTerminated::default()
            }),
            ..ApiContainerState::default()
        },
    }
}

fn container_status(c: &ContainerRuntimeState, init: bool) -> ContainerStatus {
    let waiting = matches!(c.state, ContainerState::Waiting { .. });
    let (ready, started) = match c.state {
        ContainerState::Running { ready, .. } => (ready, true),
        ContainerState::Terminated { exit_code, .. } => (init && exit_code == 0, false),
        ContainerState::Waiting { .. } => (false, false),
    };
    ContainerStatus {
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: if waiting { String::new() } else { c.image_id.clone() },
        container_id: (!waiting).then(|| c.container_id.clone()),
        ready,
        started: Some(started),
        restart_count: 0,
        state: Some(api_state(&c.state)),
        last_state: Some(ApiContainerState::default()),
        ..ContainerStatus::default()
    }
}

fn names_where(cs: &[ContainerRuntimeState], pred: impl Fn(&ContainerState) -> bool) -> Vec<String> {
    cs.iter().filter(|c| pred(&c.state)).map(|c| c.name.clone()).collect()
}

/// The status a kubelet would report for what the runtime shows, conditions in upstream's order.
pub fn pod_status(rt: &RuntimePod, host_ip: Ipv4Addr, current: &PodStatus, now: Timestamp) -> PodStatus {
    let phase = phase(rt);
    let completed = phase == "Succeeded";
    let uninitialized = names_where(&rt.init_containers, |s| {
        !matches!(s, ContainerState::Terminated { exit_code: 0, .. })
    });
    let unready = names_where(&rt.containers, |s| {
        !matches!(s, ContainerState::Running { ready: true, .. })
    });
    let list = |names: &[String]| format!("[{}]", names.join(" "));
    let initialized = if completed {
        condition(current, "Initialized", true, Some("PodCompleted"), None, now)
    } else if uninitialized.is_empty() {
        condition(current, "Initialized", true, None, None, now)
    } else {
        let msg = format!("containers with incomplete status: {}", list(&uninitialized));
        condition(
            current,
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(msg),
            now,
        )
    };
    let ready_cond = |type_: &str| {
        if completed {
            condition(current, type_, false, Some("PodCompleted"), None, now)
        } else if unready.is_empty() {
            condition(current, type_, true, None, None, now)
        } else {
            let msg = format!("containers with unready status: {}", list(&unready));
            condition(current, type_, false, Some("ContainersNotReady"), Some(msg), now)
        }
    };
    let scheduled = current
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "True")
        .cloned()
        .unwrap_or_else(|| condition(current, "PodScheduled", true, None, None, now));
    let conditions = vec![
        condition(current, "PodReadyToStartContainers", true, None, None, now),
        initialized,
        ready_cond("Ready"),
        ready_cond("ContainersReady"),
        scheduled,
    ];
    let host = host_ip.to_string();
    let ip = rt.ip.to_string();
    PodStatus {
        phase: Some(phase.into()),
        conditions: Some(conditions),
        host_ip: Some(host.clone()),
        host_ips: Some(vec![HostIP { ip: host }]),
        pod_ip: Some(ip.clone()),
        pod_ips: Some(vec![PodIP { ip }]),
        start_time: Some(Time(rt.started_at)),
        container_statuses: Some(rt.containers.iter().map(|c| container_status(c, false)).collect()),
        init_container_statuses: (!rt.init_containers.is_empty())
            .then(|| rt.init_containers.iter().map(|c| container_status(c, true)).collect()),
        ..PodStatus::default()
    }
}
