//! [`StatefulSetApi`] over kube-rs, writing every successful response through to the caches.

use std::sync::{Arc, RwLock};

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use serde_json::json;

use super::cache::Cache;
use super::client::{ApiError, LiveSet, StatefulSetApi};
use super::events::{EventRecord, COMPONENT};
use super::revision::raw_data;
use crate::informers::Writes;

/// The kube-rs implementation.
#[derive(Clone)]
pub struct KubeStatefulSets {
    client: kube::Client,
    cache: Arc<RwLock<Cache>>,
    events: crate::events::Recorder,
}

fn classify(object: &str, e: kube::Error) -> ApiError {
    match e {
        kube::Error::Api(s) if s.code == 404 => ApiError::NotFound { object: object.into() },
        kube::Error::Api(s) if s.code == 409 && s.reason == "AlreadyExists" => {
            ApiError::AlreadyExists { object: object.into() }
        }
        kube::Error::Api(s) if s.code == 409 => ApiError::Conflict {
            object: object.into(),
            message: s.message,
        },
        e => ApiError::Failed {
            object: object.into(),
            message: e.to_string(),
        },
    }
}

const MAX_CONFLICTS: usize = 5;

impl KubeStatefulSets {
    pub fn new(client: kube::Client, cache: Arc<RwLock<Cache>>) -> Self {
        let events = crate::events::Recorder::new(client.clone());
        KubeStatefulSets { client, cache, events }
    }

    fn with_cache(&self, f: impl FnOnce(&mut Cache)) {
        let mut c = self.cache.write().unwrap_or_else(|e| e.into_inner());
        f(&mut c);
    }

    fn pods(&self, ns: &str) -> Api<Pod> {
        Api::namespaced(self.client.clone(), ns)
    }

    fn revisions(&self, ns: &str) -> Api<ControllerRevision> {
        Api::namespaced(self.client.clone(), ns)
    }

    fn claims(&self, ns: &str) -> Writes<PersistentVolumeClaim> {
        Writes::namespaced(self.client.clone(), ns)
    }

    /// Pod writes, answered trimmed as the cache holds pods.
    fn pod_writes(&self, ns: &str) -> Writes<Pod> {
        Writes::namespaced(self.client.clone(), ns)
    }
}

fn ns_of(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or_default()
}

impl StatefulSetApi for KubeStatefulSets {
    async fn live_set(&self, namespace: &str, name: &str) -> Result<Option<LiveSet>, ApiError> {
        let api: Api<StatefulSet> = Api::namespaced(self.client.clone(), namespace);
        let set = api
            .get_opt(name)
            .await
            .map_err(|e| classify(&format!("statefulset {name}"), e))?;
        Ok(set.map(|s| LiveSet {
            uid: s.metadata.uid.unwrap_or_default(),
            deleting: s.metadata.deletion_timestamp.is_some(),
        }))
    }

    async fn adopt_pod(&self, ns: &str, name: &str, uid: &str, owner: &OwnerReference) -> Result<(), ApiError> {
        let patch = json!({"metadata": {"ownerReferences": [owner], "uid": uid}});
        let pod = self
            .pods(ns)
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .map_err(|e| classify(&format!("pod {name}"), e))?;
        self.with_cache(|c| {
            c.pods.upsert(pod);
        });
        Ok(())
    }

    async fn release_pod(&self, ns: &str, name: &str, uid: &str, owner_uid: &str) -> Result<(), ApiError> {
        let patch = json!({"metadata": {"ownerReferences": [{"$patch": "delete", "uid": owner_uid}], "uid": uid}});
        match self
            .pods(ns)
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
        {
            Ok(pod) => {
                self.with_cache(|c| {
                    c.pods.upsert(pod);
                });
                Ok(())
            }
            // Gone or invalid: nothing to release (upstream ignores both).
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 422 => Ok(()),
            Err(e) => Err(classify(&format!("pod {name}"), e)),
        }
    }

    async fn adopt_revision(&self, ns: &str, name: &str, uid: &str, owner: &OwnerReference) -> Result<(), ApiError> {
        let patch = json!({"metadata": {"ownerReferences": [owner], "uid": uid}});
        let rev = self
            .revisions(ns)
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .map_err(|e| classify(&format!("controllerrevision {name}"), e))?;
        self.with_cache(|c| {
            c.revisions.upsert(rev);
        });
        Ok(())
    }

    async fn create_revision(&self, revision: &ControllerRevision) -> Result<(), ApiError> {
        let ns = ns_of(&revision.metadata);
        let name = revision.metadata.name.clone().unwrap_or_default();
        let object = format!("controllerrevision {name}");
        match self.revisions(ns).create(&PostParams::default(), revision).await {
            Ok(rev) => {
                self.with_cache(|c| {
                    c.revisions.upsert(rev);
                });
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let existing = self.revisions(ns).get(&name).await.map_err(|e| classify(&object, e))?;
                let equal = raw_data(&existing) == raw_data(revision);
                self.with_cache(|c| {
                    c.revisions.upsert(existing);
                });
                if equal {
                    Ok(())
                } else {
                    Err(ApiError::AlreadyExists { object })
                }
            }
            Err(e) => Err(classify(&object, e)),
        }
    }

    async fn renumber_revision(&self, ns: &str, name: &str, revision: i64) -> Result<(), ApiError> {
        let rev = self
            .revisions(ns)
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"revision": revision})),
            )
            .await
            .map_err(|e| classify(&format!("controllerrevision {name}"), e))?;
        self.with_cache(|c| {
            c.revisions.upsert(rev);
        });
        Ok(())
    }

    async fn delete_revision(&self, ns: &str, name: &str) -> Result<(), ApiError> {
        self.revisions(ns)
            .delete(name, &DeleteParams::default())
            .await
            .map_err(|e| classify(&format!("controllerrevision {name}"), e))?;
        self.with_cache(|c| {
            c.revisions.remove(&ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                ..ObjectMeta::default()
            });
        });
        Ok(())
    }

    async fn create_claim(&self, claim: &PersistentVolumeClaim) -> Result<(), ApiError> {
        let name = claim.metadata.name.clone().unwrap_or_default();
        let created = self
            .claims(ns_of(&claim.metadata))
            .create(&PostParams::default(), claim)
            .await
            .map_err(|e| classify(&format!("persistentvolumeclaim {name}"), e))?;
        self.with_cache(|c| {
            c.claims.upsert(created);
        });
        Ok(())
    }

    async fn create_pod(&self, pod: &Pod) -> Result<Pod, ApiError> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let created = self
            .pod_writes(ns_of(&pod.metadata))
            .create(&PostParams::default(), pod)
            .await
            .map_err(|e| classify(&format!("pod {name}"), e))?;
        self.with_cache(|c| {
            c.pods.upsert(created.clone());
        });
        Ok(created)
    }

    async fn update_pod(&self, pod: &Pod) -> Result<Pod, ApiError> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let updated = self
            .pod_writes(ns_of(&pod.metadata))
            .replace(&name, &PostParams::default(), pod)
            .await
            .map_err(|e| classify(&format!("pod {name}"), e))?;
        self.with_cache(|c| {
            c.pods.upsert(updated.clone());
        });
        Ok(updated)
    }

    async fn get_pod(&self, ns: &str, name: &str) -> Result<Option<Pod>, ApiError> {
        self.pods(ns)
            .get_opt(name)
            .await
            .map_err(|e| classify(&format!("pod {name}"), e))
    }

    async fn delete_pod(&self, ns: &str, name: &str, uid: Option<&str>) -> Result<Option<Pod>, ApiError> {
        let dp = DeleteParams {
            preconditions: uid.filter(|u| !u.is_empty()).map(|u| Preconditions {
                uid: Some(u.into()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        let r = self
            .pods(ns)
            .delete(name, &dp)
            .await
            .map_err(|e| classify(&format!("pod {name}"), e))?;
        match r.left() {
            Some(pod) => {
                let p = pod.clone();
                self.with_cache(|c| {
                    if pod.metadata.deletion_timestamp.is_some() {
                        c.pods.upsert(pod);
                    } else {
                        c.pods.remove(&pod.metadata);
                    }
                });
                Ok(Some(p))
            }
            None => {
                self.with_cache(|c| {
                    c.pods.remove(&ObjectMeta {
                        name: Some(name.into()),
                        namespace: Some(ns.into()),
                        uid: uid.map(String::from),
                        ..ObjectMeta::default()
                    });
                });
                Ok(None)
            }
        }
    }

    async fn update_claim_owners(
        &self,
        ns: &str,
        name: &str,
        uid: &str,
        refs: &[OwnerReference],
    ) -> Result<PersistentVolumeClaim, ApiError> {
        let refs = if refs.is_empty() {
            serde_json::Value::Null
        } else {
            json!(refs)
        };
        let patch = json!({"metadata": {"ownerReferences": refs, "uid": uid}});
        let claim = self
            .claims(ns)
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .map_err(|e| classify(&format!("persistentvolumeclaim {name}"), e))?;
        self.with_cache(|c| {
            c.claims.upsert(claim.clone());
        });
        Ok(claim)
    }

    async fn update_status(&self, set: &StatefulSet, status: &StatefulSetStatus) -> Result<StatefulSet, ApiError> {
        let name = set.metadata.name.clone().unwrap_or_default();
        let object = format!("statefulset {name}");
        let api: Api<StatefulSet> = Api::namespaced(self.client.clone(), ns_of(&set.metadata));
        let mut target = set.clone();
        for _ in 0..MAX_CONFLICTS {
            target.status = Some(status.clone());
            match api.replace_status(&name, &PostParams::default(), &target).await {
                Ok(updated) => {
                    self.with_cache(|c| {
                        c.sets.upsert(updated.clone());
                    });
                    return Ok(updated);
                }
                Err(kube::Error::Api(s)) if s.code == 409 => {
                    // Refresh and retry, as upstream's RetryOnConflict does from its lister.
                    match api.get_opt(&name).await {
                        Ok(Some(fresh)) => target = fresh,
                        Ok(None) => return Err(ApiError::NotFound { object }),
                        Err(e) => return Err(classify(&object, e)),
                    }
                }
                Err(e) => return Err(classify(&object, e)),
            }
        }
        Err(ApiError::Conflict {
            object,
            message: "too many conflicts".into(),
        })
    }

    async fn record(&self, set: &StatefulSet, event: EventRecord) {
        let ns = ns_of(&set.metadata).to_string();
        let now = Time(Timestamp::now());
        // Named like client-go's recorder: `<object>.<unix nanoseconds in hex>`.
        let nanos = now.0.as_nanosecond();
        let ev = Event {
            metadata: ObjectMeta {
                name: Some(format!(
                    "{}.{:x}",
                    set.metadata.name.as_deref().unwrap_or_default(),
                    nanos
                )),
                namespace: Some(ns.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("apps/v1".into()),
                kind: Some("StatefulSet".into()),
                name: set.metadata.name.clone(),
                namespace: Some(ns.clone()),
                uid: set.metadata.uid.clone(),
                resource_version: set.metadata.resource_version.clone(),
                field_path: None,
            },
            reason: Some(event.reason),
            message: Some(event.message),
            type_: Some(event.type_.as_str().into()),
            source: Some(EventSource {
                component: Some(COMPONENT.into()),
                host: None,
            }),
            reporting_component: Some(COMPONENT.into()),
            reporting_instance: Some(COMPONENT.into()),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            count: Some(1),
            ..Event::default()
        };
        // Events never hold up a sync.
        self.events.send(ev);
    }
}
