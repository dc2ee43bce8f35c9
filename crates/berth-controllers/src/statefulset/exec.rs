//! Executes a [`Plan`] through a [`StatefulSetApi`], reproducing upstream's failure semantics:
//! adoption errors end the sync, a failed group stops later groups, the status is written even
//! after a failure (the sync error wins), and history truncation always runs.

use futures::future::join_all;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;

use super::client::{ApiError, StatefulSetApi};
use super::events::{claim_event, pod_event, EventRecord, EventType};
use super::identity::{
    identity_matches, set_controller_ref, set_name, set_namespace, set_uid, storage_matches, update_identity,
    update_storage,
};
use super::plan::{Action, Plan, Task, Verb};

/// Why a sync failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The live set is gone, replaced or being deleted: nothing may be adopted.
    #[error("original StatefulSet {namespace}/{name} is gone or being deleted: cannot adopt")]
    CannotAdopt { namespace: String, name: String },
    #[error("adopting or releasing for statefulset {set}")]
    Claim {
        set: String,
        #[source]
        source: ApiError,
    },
    #[error("creating or renumbering the update revision of statefulset {set}")]
    Revision {
        set: String,
        #[source]
        source: ApiError,
    },
    /// A planned failure (`pvc … is being deleted`).
    #[error("{0}")]
    Planned(String),
    #[error("pod or claim request for statefulset {set}")]
    Pods {
        set: String,
        #[source]
        source: ApiError,
    },
    #[error("updating the status of statefulset {set}")]
    Status {
        set: String,
        #[source]
        source: ApiError,
    },
    #[error("truncating the history of statefulset {set}")]
    History {
        set: String,
        #[source]
        source: ApiError,
    },
}

/// Attempts of upstream `UpdateStatefulPod`'s `RetryOnConflict(DefaultBackoff)`.
const UPDATE_POD_ATTEMPTS: usize = 4;

/// Upstream `UpdateStatefulPod`: a conflict is retried on a fresh copy of the pod with its
/// identity and storage fixed again. Upstream re-reads its lister between backoff sleeps; a live
/// GET sees the version that conflicted at once, so no sleep is needed.
async fn update_pod_retrying_conflicts<A: StatefulSetApi>(
    api: &A,
    set: &StatefulSet,
    pod: &Pod,
) -> Result<Pod, ApiError> {
    let ns = pod.metadata.namespace.as_deref().unwrap_or(set_namespace(set));
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let mut want = pod.clone();
    for _ in 1..UPDATE_POD_ATTEMPTS {
        match api.update_pod(&want).await {
            Err(ApiError::Conflict { .. }) => match api.get_pod(ns, name).await? {
                Some(mut fresh) => {
                    if !identity_matches(set, &fresh) {
                        update_identity(set, &mut fresh);
                    }
                    if !storage_matches(set, &fresh) {
                        update_storage(set, &mut fresh);
                    }
                    want = fresh;
                }
                None => {
                    return Err(ApiError::NotFound {
                        object: format!("pod {name}"),
                    })
                }
            },
            r => return r,
        }
    }
    api.update_pod(&want).await
}

/// Runs the plan; `Ok` only if every request succeeded.
pub async fn execute<A: StatefulSetApi>(api: &A, set: &StatefulSet, plan: &Plan) -> Result<(), SyncError> {
    let ns = set_namespace(set);
    let who = || format!("{}/{}", ns, set_name(set));
    let adopts = plan
        .claim
        .iter()
        .any(|a| matches!(a, Action::AdoptPod { .. } | Action::AdoptRevision { .. }));
    if adopts {
        let live = api
            .live_set(ns, set_name(set))
            .await
            .map_err(|source| SyncError::Claim { set: who(), source })?;
        if !live.is_some_and(|l| l.uid == set_uid(set) && !l.deleting) {
            return Err(SyncError::CannotAdopt {
                namespace: ns.into(),
                name: set_name(set).into(),
            });
        }
    }
    let owner = set_controller_ref(set);
    for action in &plan.claim {
        let r = match action {
            Action::AdoptPod { name, uid } => api.adopt_pod(ns, name, uid, &owner).await,
            Action::ReleasePod { name, uid } => api.release_pod(ns, name, uid, set_uid(set)).await,
            Action::AdoptRevision { name, uid } => api.adopt_revision(ns, name, uid, &owner).await,
            _ => Ok(()),
        };
        match r {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(source) => return Err(SyncError::Claim { set: who(), source }),
        }
    }

    let mut error: Option<SyncError> = None;
    for action in &plan.revisions {
        let r = match action {
            Action::CreateRevision { revision } => api.create_revision(revision).await,
            Action::RenumberRevision { name, revision } => api.renumber_revision(ns, name, *revision).await,
            _ => Ok(()),
        };
        if let Err(source) = r {
            error = Some(SyncError::Revision { set: who(), source });
            break;
        }
    }

    if error.is_none() {
        for group in &plan.groups {
            let results = join_all(group.tasks.iter().map(|t| run_task(api, set, t))).await;
            if let Some(e) = results.into_iter().find_map(Result::err) {
                error = Some(e);
                break;
            }
        }
        let status = if error.is_some() {
            &plan.status_on_failure
        } else {
            &plan.status
        };
        if let Some(status) = status {
            if let Err(source) = api.update_status(set, status).await {
                let e = SyncError::Status { set: who(), source };
                match &error {
                    Some(_) => {
                        tracing::warn!(statefulset = %who(), error = %e, "status update failed after a sync error")
                    }
                    None => error = Some(e),
                }
            }
        }
    }

    for action in &plan.history {
        if let Action::DeleteRevision { name } = action {
            match api.delete_revision(ns, name).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(source) => {
                    if error.is_none() {
                        error = Some(SyncError::History { set: who(), source });
                    }
                    break;
                }
            }
        }
    }
    error.map_or(Ok(()), Err)
}

async fn run_task<A: StatefulSetApi>(api: &A, set: &StatefulSet, task: &Task) -> Result<(), SyncError> {
    let ns = set_namespace(set);
    let sname = set_name(set);
    let fail = |source: ApiError| SyncError::Pods {
        set: format!("{ns}/{sname}"),
        source,
    };
    for action in &task.actions {
        match action {
            Action::CreateClaim { claim, pod } => {
                let cname = claim.metadata.name.as_deref().unwrap_or_default();
                match api.create_claim(claim).await {
                    Ok(()) => api.record(set, claim_event(cname, pod, sname, None)).await,
                    // Already there (our cache lags): use it, as the next upstream sync would.
                    Err(e) if e.is_already_exists() => {}
                    Err(e) => {
                        let msg = e.to_string();
                        api.record(set, claim_event(cname, pod, sname, Some(&msg))).await;
                        let err = format!("failed to create PVC {cname}: {msg}");
                        api.record(set, pod_event(Verb::Create, pod, sname, Some(&err))).await;
                        return Err(fail(e));
                    }
                }
            }
            Action::CreatePod { pod } => {
                let pname = pod.metadata.name.as_deref().unwrap_or_default();
                match api.create_pod(pod).await {
                    Ok(_) => api.record(set, pod_event(Verb::Create, pname, sname, None)).await,
                    Err(e) if e.is_already_exists() => return Err(fail(e)),
                    Err(e) => {
                        api.record(set, pod_event(Verb::Create, pname, sname, Some(&e.to_string())))
                            .await;
                        return Err(fail(e));
                    }
                }
            }
            Action::UpdatePod { pod } => {
                let pname = pod.metadata.name.as_deref().unwrap_or_default();
                let r = update_pod_retrying_conflicts(api, set, pod).await;
                api.record(
                    set,
                    pod_event(
                        Verb::Update,
                        pname,
                        sname,
                        r.as_ref().err().map(|e| e.to_string()).as_deref(),
                    ),
                )
                .await;
                r.map_err(fail)?;
            }
            Action::DeletePod { name, uid } => match api.delete_pod(ns, name, uid.as_deref()).await {
                Ok(_) => api.record(set, pod_event(Verb::Delete, name, sname, None)).await,
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    api.record(set, pod_event(Verb::Delete, name, sname, Some(&e.to_string())))
                        .await;
                    return Err(fail(e));
                }
            },
            Action::UpdateClaimOwners {
                name,
                uid,
                owner_references,
                pod,
            } => match api.update_claim_owners(ns, name, uid, owner_references).await {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    let msg = format!("could not update claim {name} for delete policy ownerRefs: {e}");
                    api.record(set, pod_event(Verb::Update, pod, sname, Some(&msg))).await;
                    return Err(fail(e));
                }
            },
            Action::Warn { reason, message } => {
                api.record(
                    set,
                    EventRecord {
                        type_: EventType::Warning,
                        reason: reason.clone(),
                        message: message.clone(),
                    },
                )
                .await;
            }
            Action::Fail { verb, pod, error } => {
                api.record(set, pod_event(*verb, pod, sname, Some(error))).await;
                return Err(SyncError::Planned(error.clone()));
            }
            Action::AdoptPod { .. }
            | Action::ReleasePod { .. }
            | Action::AdoptRevision { .. }
            | Action::CreateRevision { .. }
            | Action::RenumberRevision { .. }
            | Action::DeleteRevision { .. } => {}
        }
    }
    Ok(())
}
