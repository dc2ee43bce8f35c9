//! Typed errors of the agent, named after the step that failed.

use crate::runtime::RuntimeError;

/// An error of one agent step, naming the object it concerns.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Creating the Node object failed.
    #[error("registering node {node}")]
    Register {
        node: String,
        #[source]
        source: kube::Error,
    },
    /// Writing the Node's status failed.
    #[error("updating the status of node {node}")]
    NodeStatus {
        node: String,
        #[source]
        source: kube::Error,
    },
    /// The Node object is gone; the agent registers it again.
    #[error("node {node} is not registered")]
    NodeGone { node: String },
    /// Creating or renewing the node's Lease failed.
    #[error("renewing lease {node} in kube-node-lease")]
    Lease {
        node: String,
        #[source]
        source: kube::Error,
    },
    /// Writing a pod's status failed.
    #[error("updating the status of pod {name} in {namespace}")]
    PodStatus {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    /// The final grace-0 delete of a pod failed.
    #[error("confirming the deletion of pod {name} in {namespace}")]
    ConfirmDeletion {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    /// The runtime could not start a pod.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Whether a kube error is the API's 404.
pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Whether a kube error is the API's 409 (conflict, already exists, failed precondition).
pub(crate) fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}
