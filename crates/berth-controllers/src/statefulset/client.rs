//! Everything the StatefulSet controller does to the API server, behind a narrow trait.

use std::future::Future;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::events::EventRecord;

/// A failed request, classified the way the controller reacts to it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{object} already exists")]
    AlreadyExists { object: String },
    #[error("{object} not found")]
    NotFound { object: String },
    #[error("conflict on {object}: {message}")]
    Conflict { object: String, message: String },
    #[error("{message}")]
    Failed { object: String, message: String },
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::NotFound { .. })
    }
    pub fn is_already_exists(&self) -> bool {
        matches!(self, ApiError::AlreadyExists { .. })
    }
}

/// The live identity of a set, read straight from the API server for the adoption recheck.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSet {
    pub uid: String,
    pub deleting: bool,
}

/// The StatefulSet controller's requests. Namespaced objects carry their namespace.
pub trait StatefulSetApi: Send + Sync {
    /// `GET` the set, bypassing caches (upstream `canAdoptFunc`).
    fn live_set(&self, namespace: &str, name: &str) -> impl Future<Output = Result<Option<LiveSet>, ApiError>> + Send;
    /// Adds `owner` as controller of the pod, with a uid precondition.
    fn adopt_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        owner: &OwnerReference,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Removes the ref with `owner_uid` from the pod, with a uid precondition.
    fn release_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        owner_uid: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn adopt_revision(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        owner: &OwnerReference,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Creates a revision; `Ok` if an identical one (same data) already has the name.
    fn create_revision(&self, revision: &ControllerRevision) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn renumber_revision(
        &self,
        namespace: &str,
        name: &str,
        revision: i64,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn delete_revision(&self, namespace: &str, name: &str) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn create_claim(&self, claim: &PersistentVolumeClaim) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn create_pod(&self, pod: &Pod) -> impl Future<Output = Result<Pod, ApiError>> + Send;
    fn update_pod(&self, pod: &Pod) -> impl Future<Output = Result<Pod, ApiError>> + Send;
    /// `GET` a pod, bypassing caches (to retry an update that conflicted).
    fn get_pod(&self, namespace: &str, name: &str) -> impl Future<Output = Result<Option<Pod>, ApiError>> + Send;
    /// Deletes a pod (with a uid precondition when given); the pod if it is now terminating.
    fn delete_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: Option<&str>,
    ) -> impl Future<Output = Result<Option<Pod>, ApiError>> + Send;
    fn update_claim_owners(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        owner_references: &[OwnerReference],
    ) -> impl Future<Output = Result<PersistentVolumeClaim, ApiError>> + Send;
    /// Replaces the set's status, retrying conflicts against a fresh copy.
    fn update_status(
        &self,
        set: &StatefulSet,
        status: &StatefulSetStatus,
    ) -> impl Future<Output = Result<StatefulSet, ApiError>> + Send;
    /// Records an event on the set; failures are logged, not returned.
    fn record(&self, set: &StatefulSet, event: EventRecord) -> impl Future<Output = ()> + Send;
}
