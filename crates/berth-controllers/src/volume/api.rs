//! What the volume controllers do to the API server ([`VolumeApi`]), its kube-rs implementation,
//! and the pure builders of the patches and objects they send.

use std::collections::BTreeMap;
use std::future::Future;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, ObjectReference, PersistentVolume,
    PersistentVolumeClaim, PersistentVolumeSpec, VolumeNodeAffinity,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::{json, Value};

use super::binder::plan::{EventNote, Target};
use super::model::{Claim, ClaimKey, ClaimRef, Volume, ANN_DEFAULT_CLASS, ANN_DYNAMICALLY_PROVISIONED, PV_PROTECTION};
use super::provisioner::plan::Provision;
use super::provisioner::{ANN_PROVISIONED_NODE, DEFAULT_CLASS, PROVISIONER, PROVISIONER_FINALIZER};
use crate::error::{is_conflict, is_not_found, ControllerError};
use crate::informers::Writes;

/// The component events are reported from (upstream's PV controller name).
pub const COMPONENT: &str = "persistentvolume-controller";

/// Everything the volume controllers write. `Ok(None)` means the object is gone.
pub trait VolumeApi: Send + Sync {
    /// JSON merge patch of a claim, or of its status.
    fn patch_claim(
        &self,
        key: &ClaimKey,
        patch: Value,
        status: bool,
    ) -> impl Future<Output = Result<Option<Claim>, ControllerError>> + Send;
    /// JSON merge patch of a volume, or of its status.
    fn patch_volume(
        &self,
        name: &str,
        patch: Value,
        status: bool,
    ) -> impl Future<Output = Result<Option<Volume>, ControllerError>> + Send;
    /// Creates a volume; `Ok(None)` if one with that name exists already.
    fn create_volume(
        &self,
        pv: PersistentVolume,
    ) -> impl Future<Output = Result<Option<Volume>, ControllerError>> + Send;
    /// Deletes a volume (finalizers may keep it); gone already is fine.
    fn delete_volume(&self, name: &str) -> impl Future<Output = Result<Option<Volume>, ControllerError>> + Send;
    /// Creates the StorageClass unless one with its name exists.
    fn ensure_class(&self, class: StorageClass) -> impl Future<Output = Result<(), ControllerError>> + Send;
    fn record_event(&self, note: &EventNote) -> impl Future<Output = Result<(), ControllerError>> + Send;
}

/// `spec.claimRef` (+ `bound-by-controller`), guarded by the volume's resourceVersion.
pub fn bind_volume_patch(volume: &Volume, claim: &ClaimRef, claim_rv: &str, by_controller: bool) -> Value {
    let mut meta = json!({"resourceVersion": volume.resource_version});
    if by_controller {
        meta["annotations"] = json!({super::model::ANN_BOUND_BY_CONTROLLER: "yes"});
    }
    json!({
        "metadata": meta,
        "spec": {"claimRef": {
            "kind": "PersistentVolumeClaim", "apiVersion": "v1",
            "namespace": claim.namespace, "name": claim.name, "uid": claim.uid, "resourceVersion": claim_rv,
        }},
    })
}

/// A finalizer list with `finalizer` added or removed, guarded by the resourceVersion.
pub fn finalizers_patch(current: &[String], resource_version: &str, finalizer: &str, present: bool) -> Value {
    let mut list: Vec<&str> = current.iter().map(String::as_str).filter(|f| *f != finalizer).collect();
    if present {
        list.push(finalizer);
    }
    json!({"metadata": {"finalizers": list, "resourceVersion": resource_version}})
}

/// The PersistentVolume the local provisioner creates for `p` under `root`.
pub fn provisioned_volume(p: &Provision, root: &str) -> PersistentVolume {
    let mut finalizers = vec![PV_PROTECTION.to_string()];
    if p.reclaim_policy == "Delete" {
        finalizers.push(PROVISIONER_FINALIZER.into());
    }
    PersistentVolume {
        metadata: ObjectMeta {
            name: Some(p.volume.clone()),
            annotations: Some(BTreeMap::from([
                (ANN_DYNAMICALLY_PROVISIONED.to_string(), PROVISIONER.to_string()),
                (ANN_PROVISIONED_NODE.to_string(), p.node.clone()),
            ])),
            finalizers: Some(finalizers),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeSpec {
            capacity: Some(BTreeMap::from([("storage".to_string(), Quantity(p.capacity.clone()))])),
            access_modes: Some(p.access_modes.clone()),
            persistent_volume_reclaim_policy: Some(p.reclaim_policy.clone()),
            storage_class_name: Some(p.class.clone()),
            volume_mode: Some("Filesystem".into()),
            host_path: Some(HostPathVolumeSource {
                path: format!("{root}/{}", p.dir),
                type_: Some("DirectoryOrCreate".into()),
            }),
            claim_ref: Some(ObjectReference {
                kind: Some("PersistentVolumeClaim".into()),
                api_version: Some("v1".into()),
                namespace: Some(p.claim.namespace.clone()),
                name: Some(p.claim.name.clone()),
                uid: Some(p.claim_uid.clone()),
                resource_version: Some(p.claim_resource_version.clone()),
                ..ObjectReference::default()
            }),
            node_affinity: Some(VolumeNodeAffinity {
                required: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: "kubernetes.io/hostname".into(),
                            operator: "In".into(),
                            values: Some(vec![p.node.clone()]),
                        }]),
                        ..NodeSelectorTerm::default()
                    }],
                }),
            }),
            ..PersistentVolumeSpec::default()
        }),
        status: None,
    }
}

/// The default StorageClass `local-path`.
pub fn default_class() -> StorageClass {
    StorageClass {
        metadata: ObjectMeta {
            name: Some(DEFAULT_CLASS.into()),
            annotations: Some(BTreeMap::from([(ANN_DEFAULT_CLASS.to_string(), "true".to_string())])),
            ..ObjectMeta::default()
        },
        provisioner: PROVISIONER.into(),
        reclaim_policy: Some("Delete".into()),
        volume_binding_mode: Some("WaitForFirstConsumer".into()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    }
}

/// [`VolumeApi`] over kube-rs.
pub struct KubeVolumes {
    client: kube::Client,
    events: crate::events::Recorder,
}

impl KubeVolumes {
    pub fn new(client: kube::Client) -> Self {
        let events = crate::events::Recorder::new(client.clone());
        KubeVolumes { client, events }
    }
}

fn patch_error(object: String) -> impl FnOnce(kube::Error) -> ControllerError {
    move |source| ControllerError::Patch {
        object,
        source: Box::new(source),
    }
}

impl VolumeApi for KubeVolumes {
    async fn patch_claim(&self, key: &ClaimKey, patch: Value, status: bool) -> Result<Option<Claim>, ControllerError> {
        let api = Writes::<PersistentVolumeClaim>::namespaced(self.client.clone(), &key.namespace);
        let pp = PatchParams::default();
        let r = if status {
            api.patch_status(&key.name, &pp, &Patch::Merge(patch)).await
        } else {
            api.patch(&key.name, &pp, &Patch::Merge(patch)).await
        };
        match r {
            Ok(c) => Ok(Some(Claim::from(&c))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(patch_error(format!(
                "persistentvolumeclaim {} in {}",
                key.name, key.namespace
            ))(e)),
        }
    }

    async fn patch_volume(&self, name: &str, patch: Value, status: bool) -> Result<Option<Volume>, ControllerError> {
        let api = Writes::<PersistentVolume>::all(self.client.clone());
        let pp = PatchParams::default();
        let r = if status {
            api.patch_status(name, &pp, &Patch::Merge(patch)).await
        } else {
            api.patch(name, &pp, &Patch::Merge(patch)).await
        };
        match r {
            Ok(v) => Ok(Some(Volume::from(&v))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(patch_error(format!("persistentvolume {name}"))(e)),
        }
    }

    async fn create_volume(&self, pv: PersistentVolume) -> Result<Option<Volume>, ControllerError> {
        let name = pv.metadata.name.clone().unwrap_or_default();
        match Writes::<PersistentVolume>::all(self.client.clone())
            .create(&PostParams::default(), &pv)
            .await
        {
            Ok(v) => Ok(Some(Volume::from(&v))),
            Err(e) if is_conflict(&e) => Ok(None),
            Err(source) => Err(ControllerError::Create {
                object: format!("persistentvolume {name}"),
                source: Box::new(source),
            }),
        }
    }

    async fn delete_volume(&self, name: &str) -> Result<Option<Volume>, ControllerError> {
        match Api::<PersistentVolume>::all(self.client.clone())
            .delete(name, &DeleteParams::default())
            .await
        {
            Ok(either) => Ok(either.left().map(|v| Volume::from(&v))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(source) => Err(ControllerError::Delete {
                object: format!("persistentvolume {name}"),
                source: Box::new(source),
            }),
        }
    }

    async fn ensure_class(&self, class: StorageClass) -> Result<(), ControllerError> {
        let name = class.metadata.name.clone().unwrap_or_default();
        match Api::<StorageClass>::all(self.client.clone())
            .create(&PostParams::default(), &class)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_conflict(&e) => Ok(()),
            Err(source) => Err(ControllerError::Create {
                object: format!("storageclass {name}"),
                source: Box::new(source),
            }),
        }
    }

    async fn record_event(&self, note: &EventNote) -> Result<(), ControllerError> {
        let involved = match &note.target {
            Target::Claim { namespace, name, uid } => ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("PersistentVolumeClaim".into()),
                namespace: Some(namespace.clone()),
                name: Some(name.clone()),
                uid: Some(uid.clone()),
                ..ObjectReference::default()
            },
            Target::Volume { name, uid } => ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("PersistentVolume".into()),
                name: Some(name.clone()),
                uid: Some(uid.clone()),
                ..ObjectReference::default()
            },
        };
        self.events.record(&crate::events::Note {
            component: COMPONENT,
            involved,
            type_: note.type_,
            reason: note.reason,
            message: &note.message,
            action: Some("Binding"),
        });
        Ok(())
    }
}
