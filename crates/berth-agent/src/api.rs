//! Everything the agent does to the API server, as two narrow traits with a kube-rs implementation.

use std::future::Future;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeStatus, Pod, PodStatus};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use serde_json::json;

use crate::error::{is_conflict, is_not_found, AgentError};
use crate::node::LEASE_NAMESPACE;

/// Writes of the node heartbeat loop.
pub trait NodeApi: Send + Sync {
    /// Creates the Node (an existing one is kept) and returns its UID.
    fn register(&self, node: &Node) -> impl Future<Output = Result<String, AgentError>> + Send;
    /// Replaces the Node's status; [`AgentError::NodeGone`] if the Node was deleted.
    fn write_node_status(&self, name: &str, status: &NodeStatus)
        -> impl Future<Output = Result<(), AgentError>> + Send;
    /// Creates or renews the node's Lease.
    fn renew_lease(&self, lease: &Lease) -> impl Future<Output = Result<(), AgentError>> + Send;
}

/// Writes of the pod sync loop.
pub trait PodApi: Send + Sync {
    /// Writes the runtime-owned part of a pod's status; `Ok(None)` if the pod is gone or was replaced.
    fn write_pod_status(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        status: &PodStatus,
    ) -> impl Future<Output = Result<Option<Pod>, AgentError>> + Send;
    /// The kubelet's final delete: grace 0, only if the UID still matches. Gone already is fine.
    fn confirm_deletion(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;
}

/// [`NodeApi`] and [`PodApi`] over kube-rs.
#[derive(Clone)]
pub struct KubeAgentApi {
    client: kube::Client,
}

impl KubeAgentApi {
    pub fn new(client: kube::Client) -> Self {
        KubeAgentApi { client }
    }
}

impl NodeApi for KubeAgentApi {
    async fn register(&self, node: &Node) -> Result<String, AgentError> {
        let api = Api::<Node>::all(self.client.clone());
        let name = node.metadata.name.clone().unwrap_or_default();
        let err = |source| AgentError::Register {
            node: name.clone(),
            source,
        };
        let stored = match api.create(&PostParams::default(), node).await {
            Ok(n) => n,
            Err(e) if is_conflict(&e) => api.get(&name).await.map_err(err)?,
            Err(e) => return Err(err(e)),
        };
        Ok(stored.metadata.uid.unwrap_or_default())
    }

    async fn write_node_status(&self, name: &str, status: &NodeStatus) -> Result<(), AgentError> {
        let api = Api::<Node>::all(self.client.clone());
        match api
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "status": status })),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Err(AgentError::NodeGone { node: name.into() }),
            Err(source) => Err(AgentError::NodeStatus {
                node: name.into(),
                source,
            }),
        }
    }

    async fn renew_lease(&self, lease: &Lease) -> Result<(), AgentError> {
        let api = Api::<Lease>::namespaced(self.client.clone(), LEASE_NAMESPACE);
        let name = lease.metadata.name.clone().unwrap_or_default();
        let err = |source| AgentError::Lease {
            node: name.clone(),
            source,
        };
        let patch = json!({ "metadata": { "ownerReferences": lease.metadata.owner_references }, "spec": lease.spec });
        match api.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => match api.create(&PostParams::default(), lease).await {
                Ok(_) => Ok(()),
                // Created by an earlier attempt whose answer was lost: renewed next time.
                Err(e) if is_conflict(&e) => Ok(()),
                Err(e) => Err(err(e)),
            },
            Err(e) => Err(err(e)),
        }
    }
}

impl PodApi for KubeAgentApi {
    async fn write_pod_status(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        status: &PodStatus,
    ) -> Result<Option<Pod>, AgentError> {
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        // metadata.uid makes the patch fail instead of landing on a same-named successor.
        let patch = json!({ "metadata": { "uid": uid }, "status": status });
        match api
            .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
        {
            Ok(p) if p.metadata.uid.as_deref() == Some(uid) => Ok(Some(p)),
            Ok(_) => Ok(None),
            Err(e) if is_not_found(&e) || is_conflict(&e) => Ok(None),
            Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("uid") => Ok(None),
            Err(source) => Err(AgentError::PodStatus {
                namespace: namespace.into(),
                name: name.into(),
                source,
            }),
        }
    }

    async fn confirm_deletion(&self, namespace: &str, name: &str, uid: &str) -> Result<(), AgentError> {
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        let dp = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(uid.into()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(name, &dp).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) || is_conflict(&e) => Ok(()),
            Err(source) => Err(AgentError::ConfirmDeletion {
                namespace: namespace.into(),
                name: name.into(),
                source,
            }),
        }
    }
}
