//! Pure decisions of the scheduler: which node each pending pod goes to, and upstream's message
//! for a pod that fits nowhere.
//!
//! Filters run in upstream's order and a node fails on the first: NodeUnschedulable,
//! TaintToleration (NoSchedule/NoExecute), NodeAffinity (`nodeSelector` only), pod count.
//! Among the nodes that fit, the one with the fewest pods wins, then the first by name.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Taint, Toleration};

/// Taint standing for `Ready=False` (upstream's node lifecycle controller adds it).
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// Taint standing for `Ready=Unknown` or no Ready condition.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// Taint standing for `spec.unschedulable`.
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// `Ready` condition of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    NotReady,
    Unknown,
}

/// What the scheduler knows of one node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub readiness: Readiness,
    pub unschedulable: bool,
    /// `status.allocatable.pods`.
    pub max_pods: i64,
}

/// What the scheduler needs of a pending pod.
#[derive(Clone, Debug, PartialEq)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    /// Message of the pod's current `PodScheduled=False` condition, if any.
    pub unschedulable_message: Option<String>,
}

/// One step for the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// POST a Binding to `pods/binding`.
    Bind {
        namespace: String,
        name: String,
        uid: String,
        node: String,
    },
    /// Set `PodScheduled=False` (reason `Unschedulable`) and record a `FailedScheduling` event.
    Unschedulable {
        namespace: String,
        name: String,
        uid: String,
        message: String,
    },
}

/// Why a node does not fit a pod: upstream's reason strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Unschedulable,
    UntoleratedTaint { key: String, value: String },
    NodeSelector,
    TooManyPods,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Unschedulable => f.write_str("node(s) were unschedulable"),
            Reason::UntoleratedTaint { key, value } => write!(f, "node(s) had untolerated taint {{{key}: {value}}}"),
            Reason::NodeSelector => f.write_str("node(s) didn't match Pod's node affinity/selector"),
            Reason::TooManyPods => f.write_str("Too many pods"),
        }
    }
}

/// Upstream `ToleratesTaint`: effect, key and value (for `Equal`) must match.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect_ok = t.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key = t.key.as_deref().unwrap_or("");
    let exists = t.operator.as_deref() == Some("Exists");
    if !effect_ok || (!key.is_empty() && key != taint.key) || (key.is_empty() && !exists) {
        return false;
    }
    exists || t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
}

fn implicit_taints(node: &NodeInfo) -> Vec<Taint> {
    let taint = |key: &str| Taint {
        key: key.into(),
        effect: "NoSchedule".into(),
        ..Taint::default()
    };
    match node.readiness {
        Readiness::Ready => vec![],
        Readiness::NotReady => vec![taint(TAINT_NOT_READY)],
        Readiness::Unknown => vec![taint(TAINT_UNREACHABLE)],
    }
}

/// Why `node` does not fit `pod`, or `None` if it does.
pub fn misfit(pod: &PodInfo, node: &NodeInfo, pods_on_node: i64) -> Option<Reason> {
    if node.unschedulable {
        let taint = Taint {
            key: TAINT_UNSCHEDULABLE.into(),
            effect: "NoSchedule".into(),
            ..Taint::default()
        };
        if !pod.tolerations.iter().any(|t| tolerates(t, &taint)) {
            return Some(Reason::Unschedulable);
        }
    }
    let implicit = implicit_taints(node);
    let untolerated = implicit.iter().chain(&node.taints).find(|taint| {
        matches!(taint.effect.as_str(), "NoSchedule" | "NoExecute")
            && !pod.tolerations.iter().any(|t| tolerates(t, taint))
    });
    if let Some(taint) = untolerated {
        return Some(Reason::UntoleratedTaint {
            key: taint.key.clone(),
            value: taint.value.clone().unwrap_or_default(),
        });
    }
    if pod.node_selector.iter().any(|(k, v)| node.labels.get(k) != Some(v)) {
        return Some(Reason::NodeSelector);
    }
    if pods_on_node >= node.max_pods {
        return Some(Reason::TooManyPods);
    }
    None
}

/// Upstream's FailedScheduling message, reasons counted and sorted.
pub fn unschedulable_message(total_nodes: usize, reasons: &[Reason]) -> String {
    if total_nodes == 0 {
        return "no nodes available to schedule pods".into();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in reasons {
        *counts.entry(r.to_string()).or_default() += 1;
    }
    let mut parts: Vec<String> = counts.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    format!("0/{total_nodes} nodes are available: {}.", parts.join(", "))
}

/// The node for `pod`, or the message saying why none fits.
pub fn place(pod: &PodInfo, nodes: &[NodeInfo], usage: &BTreeMap<String, i64>) -> Result<String, String> {
    let mut reasons = Vec::new();
    let mut best: Option<(i64, &str)> = None;
    for node in nodes {
        let used = usage.get(&node.name).copied().unwrap_or(0);
        match misfit(pod, node, used) {
            Some(r) => reasons.push(r),
            None => {
                if best.is_none_or(|(n, name)| (used, node.name.as_str()) < (n, name)) {
                    best = Some((used, &node.name));
                }
            }
        }
    }
    best.map(|(_, name)| name.to_string())
        .ok_or_else(|| unschedulable_message(nodes.len(), &reasons))
}

/// Places `pending` in order, counting each binding against its node for the pods after it.
/// A pod whose current condition already carries the same message gets no action.
pub fn plan(pending: &[PodInfo], nodes: &[NodeInfo], usage: &BTreeMap<String, i64>) -> Vec<Action> {
    let mut usage = usage.clone();
    let mut actions = Vec::new();
    for pod in pending {
        match place(pod, nodes, &usage) {
            Ok(node) => {
                *usage.entry(node.clone()).or_default() += 1;
                actions.push(Action::Bind {
                    namespace: pod.namespace.clone(),
                    name: pod.name.clone(),
                    uid: pod.uid.clone(),
                    node,
                });
            }
            Err(message) if pod.unschedulable_message.as_deref() == Some(message.as_str()) => {}
            Err(message) => actions.push(Action::Unschedulable {
                namespace: pod.namespace.clone(),
                name: pod.name.clone(),
                uid: pod.uid.clone(),
                message,
            }),
        }
    }
    actions
}
