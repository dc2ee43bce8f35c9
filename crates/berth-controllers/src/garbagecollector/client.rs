//! The garbage collector's side effects: a narrow trait, its kube-rs implementation, and the
//! conversion of object metadata into graph nodes.

use std::future::Future;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions, PropagationPolicy};
use kube::discovery::ApiResource;
use serde_json::json;

use super::graph::{Node, ObjectRef, Owner, Uid};
use super::plan::Propagation;
use crate::error::{is_conflict, is_not_found, ControllerError};
use crate::resources::ResourceMap;

/// Everything the garbage collector does to the API server.
pub trait GcApi: Send + Sync {
    /// Live metadata of the object with this name (whatever its uid), or `None` if absent.
    /// `Err(UnknownKind)` if the kind is not served.
    fn get(&self, object: &ObjectRef) -> impl Future<Output = Result<Option<Node>, ControllerError>> + Send;
    /// Deletes with a uid precondition; an object already gone or replaced is not an error.
    fn delete(
        &self,
        object: &ObjectRef,
        uid: &Uid,
        propagation: Propagation,
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Removes the ownerReferences to `owners`.
    fn remove_owner_refs(
        &self,
        object: &ObjectRef,
        uid: &Uid,
        owners: &[Uid],
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Sets `blockOwnerDeletion: false` on the ownerReferences to `owners`.
    fn unblock_owner_refs(
        &self,
        object: &ObjectRef,
        uid: &Uid,
        owners: &[Uid],
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
    /// Removes one finalizer.
    fn remove_finalizer(
        &self,
        object: &ObjectRef,
        uid: &Uid,
        finalizer: &str,
    ) -> impl Future<Output = Result<(), ControllerError>> + Send;
}

/// Builds a graph node from an object's metadata; `None` without a name or uid.
pub fn node_from_meta(resource: &ApiResource, meta: &ObjectMeta) -> Option<Node> {
    let uid = meta.uid.clone()?;
    let name = meta.name.clone()?;
    Some(Node {
        uid: Uid(uid),
        object: ObjectRef {
            api_version: resource.api_version.clone(),
            kind: resource.kind.clone(),
            namespace: meta.namespace.clone(),
            name,
        },
        owners: meta.owner_references.iter().flatten().map(owner_from_ref).collect(),
        deleting: meta.deletion_timestamp.is_some(),
        finalizers: meta.finalizers.clone().unwrap_or_default(),
    })
}

fn owner_from_ref(r: &OwnerReference) -> Owner {
    Owner {
        uid: Uid(r.uid.clone()),
        api_version: r.api_version.clone(),
        kind: r.kind.clone(),
        name: r.name.clone(),
        block_owner_deletion: r.block_owner_deletion.unwrap_or(false),
    }
}

/// [`GcApi`] over kube-rs, resolving kinds through discovery.
pub struct KubeGc {
    client: kube::Client,
    resources: ResourceMap,
}

/// Read-modify-write attempts before giving up on conflicts.
const MAX_CONFLICTS: usize = 5;

impl KubeGc {
    pub fn new(client: kube::Client, resources: ResourceMap) -> Self {
        KubeGc { client, resources }
    }

    /// The API for the object's resource and namespace; `Ok(None)` for a namespaced kind without a
    /// namespace (a cluster-scoped dependent's reference to a namespaced owner: it cannot exist).
    fn api(&self, object: &ObjectRef) -> Result<Option<(Api<DynamicObject>, ApiResource)>, ControllerError> {
        let served = self
            .resources
            .lookup(&object.api_version, &object.kind)
            .ok_or_else(|| ControllerError::UnknownKind {
                api_version: object.api_version.clone(),
                kind: object.kind.clone(),
            })?;
        let ar = served.resource.clone();
        let api = match (&object.namespace, served.namespaced) {
            (_, false) => Api::all_with(self.client.clone(), &ar),
            (Some(ns), true) => Api::namespaced_with(self.client.clone(), ns, &ar),
            (None, true) => return Ok(None),
        };
        Ok(Some((api, ar)))
    }

    /// Reads the object's metadata, applies `edit` and merge-patches the result with a
    /// resourceVersion precondition, retrying on conflicts. `edit` returns `None` for "no change".
    async fn edit_meta<F>(&self, object: &ObjectRef, uid: &Uid, edit: F) -> Result<(), ControllerError>
    where
        F: Fn(&ObjectMeta) -> Option<serde_json::Value> + Send + Sync,
    {
        let Some((api, _)) = self.api(object)? else {
            return Ok(());
        };
        for _ in 0..MAX_CONFLICTS {
            let meta = match api.get_metadata_opt(&object.name).await {
                Ok(Some(m)) => m.metadata,
                Ok(None) => return Ok(()),
                Err(source) => {
                    return Err(ControllerError::Get {
                        object: object.to_string(),
                        source: Box::new(source),
                    })
                }
            };
            if meta.uid.as_deref() != Some(uid.0.as_str()) {
                return Ok(());
            }
            let Some(mut patch) = edit(&meta) else {
                return Ok(());
            };
            patch["metadata"]["uid"] = json!(uid.0);
            patch["metadata"]["resourceVersion"] = json!(meta.resource_version);
            match api
                .patch(&object.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if is_not_found(&e) => return Ok(()),
                Err(e) if is_conflict(&e) => continue,
                Err(source) => {
                    return Err(ControllerError::Patch {
                        object: object.to_string(),
                        source: Box::new(source),
                    })
                }
            }
        }
        Err(ControllerError::Conflicts {
            object: object.to_string(),
        })
    }
}

/// `null` for an empty list, so a merge patch removes the field.
fn list_or_null<T: serde::Serialize>(v: Vec<T>) -> serde_json::Value {
    if v.is_empty() {
        serde_json::Value::Null
    } else {
        json!(v)
    }
}

impl GcApi for KubeGc {
    async fn get(&self, object: &ObjectRef) -> Result<Option<Node>, ControllerError> {
        let Some((api, ar)) = self.api(object)? else {
            return Ok(None);
        };
        match api.get_metadata_opt(&object.name).await {
            Ok(m) => Ok(m.and_then(|m| node_from_meta(&ar, &m.metadata))),
            Err(source) => Err(ControllerError::Get {
                object: object.to_string(),
                source: Box::new(source),
            }),
        }
    }

    async fn delete(&self, object: &ObjectRef, uid: &Uid, propagation: Propagation) -> Result<(), ControllerError> {
        let Some((api, _)) = self.api(object)? else {
            return Ok(());
        };
        let dp = DeleteParams {
            propagation_policy: Some(match propagation {
                Propagation::Orphan => PropagationPolicy::Orphan,
                Propagation::Background => PropagationPolicy::Background,
                Propagation::Foreground => PropagationPolicy::Foreground,
            }),
            preconditions: Some(Preconditions {
                uid: Some(uid.0.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(&object.name, &dp).await {
            Ok(_) => Ok(()),
            // Gone, or replaced by an object with another uid: nothing of ours to delete.
            Err(e) if is_not_found(&e) || is_conflict(&e) => Ok(()),
            Err(source) => Err(ControllerError::Delete {
                object: object.to_string(),
                source: Box::new(source),
            }),
        }
    }

    async fn remove_owner_refs(&self, object: &ObjectRef, uid: &Uid, owners: &[Uid]) -> Result<(), ControllerError> {
        self.edit_meta(object, uid, |meta| {
            let refs = meta.owner_references.clone().unwrap_or_default();
            let kept: Vec<OwnerReference> = refs
                .iter()
                .filter(|r| !owners.iter().any(|o| o.0 == r.uid))
                .cloned()
                .collect();
            (kept.len() != refs.len()).then(|| json!({"metadata": {"ownerReferences": list_or_null(kept)}}))
        })
        .await
    }

    async fn unblock_owner_refs(&self, object: &ObjectRef, uid: &Uid, owners: &[Uid]) -> Result<(), ControllerError> {
        self.edit_meta(object, uid, |meta| {
            let mut refs = meta.owner_references.clone().unwrap_or_default();
            let mut changed = false;
            for r in refs.iter_mut().filter(|r| owners.iter().any(|o| o.0 == r.uid)) {
                if r.block_owner_deletion == Some(true) {
                    r.block_owner_deletion = Some(false);
                    changed = true;
                }
            }
            changed.then(|| json!({"metadata": {"ownerReferences": refs}}))
        })
        .await
    }

    async fn remove_finalizer(&self, object: &ObjectRef, uid: &Uid, finalizer: &str) -> Result<(), ControllerError> {
        self.edit_meta(object, uid, |meta| {
            let fins = meta.finalizers.clone().unwrap_or_default();
            let kept: Vec<String> = fins.iter().filter(|f| *f != finalizer).cloned().collect();
            (kept.len() != fins.len()).then(|| json!({"metadata": {"finalizers": list_or_null(kept)}}))
        })
        .await
    }
}
