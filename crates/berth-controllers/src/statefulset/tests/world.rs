//! An in-memory world for the planner tests: objects, a fake [`StatefulSetApi`] that applies
//! requests like upstream's fake object manager (immediate deletes, injectable errors), pod
//! lifecycle helpers, and the upstream fixture `newStatefulSet`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::apps::v1::{
    ControllerRevision, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
    StatefulSetStatus, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Container, HostPathVolumeSource, PersistentVolumeClaim, PersistentVolumeClaimSpec, Pod, PodCondition, PodSpec,
    PodStatus, PodTemplateSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use crate::statefulset::client::{ApiError, LiveSet, StatefulSetApi};
use crate::statefulset::events::{EventRecord, EventType};
use crate::statefulset::exec::{execute, SyncError};
use crate::statefulset::identity::{self, ordinal_of};
use crate::statefulset::plan::{plan, Features, Input, Plan};
use crate::statefulset::revision::raw_data;

/// Requests that can be made to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    CreatePod,
    UpdatePod,
    DeletePod,
    CreateClaim,
    UpdateClaim,
    UpdateStatus,
    CreateRevision,
}

/// A recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    AdoptPod(String),
    ReleasePod(String),
    AdoptRevision(String),
    CreateRevision(String),
    RenumberRevision(String, i64),
    DeleteRevision(String),
    CreateClaim(String),
    CreatePod(String),
    UpdatePod(String),
    GetPod(String),
    DeletePod(String),
    UpdateClaim(String),
    UpdateStatus,
}

/// Upstream's request tracker: the error fires once, when `requests >= after`.
#[derive(Default)]
struct Tracker {
    requests: usize,
    fail_after: Option<usize>,
}

#[derive(Default)]
pub struct State {
    pub set: StatefulSet,
    pub pods: BTreeMap<String, Pod>,
    pub claims: BTreeMap<String, PersistentVolumeClaim>,
    pub revisions: BTreeMap<String, ControllerRevision>,
    pub events: Vec<EventRecord>,
    pub calls: Vec<Call>,
    /// Overrides what the live GET of the set returns (for adoption races).
    pub live_set: Option<Option<LiveSet>>,
    /// Deletes mark pods terminating instead of removing them.
    pub graceful: bool,
    /// How many coming pod updates fail with a conflict.
    pub update_pod_conflicts: usize,
    trackers: HashMap<Op, Tracker>,
    next: u64,
}

pub struct World {
    state: Mutex<State>,
    pub now: Timestamp,
    pub features: Features,
}

fn internal(object: &str) -> ApiError {
    ApiError::Failed {
        object: object.into(),
        message: "an error on the server (\"InternalError\")".into(),
    }
}

impl State {
    fn fault(&mut self, op: Op, object: &str) -> Result<(), ApiError> {
        let t = self.trackers.entry(op).or_default();
        let fire = t.fail_after.is_some_and(|a| t.requests >= a);
        t.requests += 1;
        if fire {
            t.fail_after = None;
            return Err(internal(object));
        }
        Ok(())
    }

    fn bump(&mut self, meta: &mut ObjectMeta) {
        self.next += 1;
        meta.resource_version = Some(self.next.to_string());
    }

    /// Removes a pod, and (as the garbage collector would) the claims it owns.
    fn remove_pod(&mut self, name: &str) {
        if let Some(pod) = self.pods.remove(name) {
            let uid = pod.metadata.uid.unwrap_or_default();
            self.claims
                .retain(|_, c| !c.metadata.owner_references.iter().flatten().any(|r| r.uid == uid));
        }
    }

    fn new_uid(&mut self, name: &str) -> String {
        self.next += 1;
        format!("{name}-uid-{}", self.next)
    }
}

impl World {
    pub fn new(set: StatefulSet) -> Self {
        World {
            state: Mutex::new(State {
                set,
                ..State::default()
            }),
            now: Timestamp::from_second(1_700_000_000).unwrap_or_default(),
            features: Features::default(),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn input(&self) -> Input {
        let s = self.state();
        Input {
            set: Arc::new(s.set.clone()),
            pods: s.pods.values().cloned().map(Arc::new).collect(),
            claims: s.claims.values().cloned().map(Arc::new).collect(),
            revisions: s.revisions.values().cloned().map(Arc::new).collect(),
            features: self.features,
        }
    }

    pub fn plan(&self) -> Plan {
        plan(&self.input(), self.now)
    }

    /// One sync: plan from the current objects and execute it through the fake.
    pub fn sync(&self) -> Result<(), SyncError> {
        let input = self.input();
        let p = plan(&input, self.now);
        futures::executor::block_on(execute(self, &input.set, &p))
    }

    pub fn fail(&self, op: Op, after: usize) {
        let mut s = self.state();
        let t = s.trackers.entry(op).or_default();
        t.requests = 0;
        t.fail_after = Some(after);
    }

    pub fn set(&self) -> StatefulSet {
        self.state().set.clone()
    }

    pub fn status(&self) -> StatefulSetStatus {
        self.set().status.unwrap_or_default()
    }

    pub fn update_spec(&self, f: impl FnOnce(&mut StatefulSetSpec)) {
        let mut s = self.state();
        if let Some(spec) = s.set.spec.as_mut() {
            f(spec);
        }
        let g = s.set.metadata.generation.unwrap_or(0) + 1;
        s.set.metadata.generation = Some(g);
    }

    pub fn pods(&self) -> Vec<Pod> {
        let mut pods: Vec<Pod> = self.state().pods.values().cloned().collect();
        pods.sort_by_key(|p| ordinal_of(p.metadata.name.as_deref().unwrap_or_default()));
        pods
    }

    pub fn pod(&self, ordinal: i32) -> Option<Pod> {
        let name = identity::pod_name(&self.set(), ordinal);
        self.state().pods.get(&name).cloned()
    }

    pub fn ordinals(&self) -> Vec<i32> {
        self.pods()
            .iter()
            .map(|p| ordinal_of(p.metadata.name.as_deref().unwrap_or_default()))
            .collect()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.state().calls)
    }

    pub fn count_calls(&self, f: impl Fn(&Call) -> bool) -> usize {
        self.state().calls.iter().filter(|c| f(c)).count()
    }

    pub fn revisions(&self) -> Vec<ControllerRevision> {
        self.state().revisions.values().cloned().collect()
    }

    pub fn events(&self) -> Vec<EventRecord> {
        self.state().events.clone()
    }

    pub fn events_of(&self, t: EventType) -> usize {
        self.state().events.iter().filter(|e| e.type_ == t).count()
    }

    /// Changes a pod in place (bumping its resourceVersion).
    pub fn edit_pod(&self, ordinal: i32, f: impl FnOnce(&mut Pod)) {
        let name = identity::pod_name(&self.set(), ordinal);
        let mut s = self.state();
        if let Some(mut pod) = s.pods.remove(&name) {
            f(&mut pod);
            s.bump(&mut pod.metadata);
            s.pods.insert(name, pod);
        }
    }

    pub fn set_phase(&self, ordinal: i32, phase: &str) {
        self.edit_pod(ordinal, |p| {
            p.status.get_or_insert_with(PodStatus::default).phase = Some(phase.into())
        });
    }

    /// Running and Ready since `since`.
    pub fn set_ready_since(&self, ordinal: i32, since: Timestamp) {
        self.edit_pod(ordinal, |p| {
            let st = p.status.get_or_insert_with(PodStatus::default);
            st.phase = Some("Running".into());
            st.conditions = Some(vec![PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: Some(Time(since)),
                ..PodCondition::default()
            }]);
        });
    }

    pub fn set_ready(&self, ordinal: i32) {
        let since = self.now - SignedDuration::from_hours(24);
        self.set_ready_since(ordinal, since);
    }

    pub fn set_not_ready(&self, ordinal: i32) {
        self.edit_pod(ordinal, |p| {
            let st = p.status.get_or_insert_with(PodStatus::default);
            st.conditions = Some(vec![PodCondition {
                type_: "Ready".into(),
                status: "False".into(),
                ..PodCondition::default()
            }]);
        });
    }

    pub fn set_terminating(&self, ordinal: i32) {
        let now = self.now;
        self.edit_pod(ordinal, |p| p.metadata.deletion_timestamp = Some(Time(now)));
    }

    /// Removes a pod as if its termination finished.
    pub fn remove_pod(&self, ordinal: i32) {
        let name = identity::pod_name(&self.set(), ordinal);
        self.state().remove_pod(&name);
    }

    /// Adds a Running, Ready, terminating member pod (upstream `addTerminatingPod`).
    pub fn add_terminating_pod(&self, ordinal: i32) {
        let set = self.set();
        let template = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
        let mut pod = identity::new_pod(&set, &template, ordinal);
        let rev = self.status().update_revision.unwrap_or_default();
        identity::set_pod_revision(&mut pod, &rev);
        let name = pod.metadata.name.clone().unwrap_or_default();
        {
            let mut s = self.state();
            pod.metadata.uid = Some(s.new_uid(&name));
            pod.metadata.deletion_timestamp = Some(Time(self.now));
            s.pods.insert(name, pod);
        }
        self.set_ready(ordinal);
    }

    /// Moves every Pending pod to Running, and every Running pod to Ready; removes terminating pods
    /// when `finish_terminating`.
    pub fn kubelet_all(&self) {
        for p in self.pods() {
            let ord = ordinal_of(p.metadata.name.as_deref().unwrap_or_default());
            if p.metadata.deletion_timestamp.is_some() {
                self.remove_pod(ord);
            } else if !crate::statefulset::pods::is_running_and_ready(&p) {
                self.set_ready(ord);
            }
        }
    }

    /// Advances one not-Ready pod (chosen by `pick`) one step: Pending → Running → Ready.
    pub fn kubelet_step(&self, pick: usize) {
        let pods: Vec<Pod> = self
            .pods()
            .into_iter()
            .filter(|p| !crate::statefulset::pods::is_running_and_ready(p))
            .collect();
        if pods.is_empty() {
            return;
        }
        let p = &pods[pick % pods.len()];
        let ord = ordinal_of(p.metadata.name.as_deref().unwrap_or_default());
        if p.metadata.deletion_timestamp.is_some() {
            self.remove_pod(ord);
        } else if crate::statefulset::pods::phase(p) == "Running" {
            self.set_ready(ord);
        } else {
            self.set_phase(ord, "Running");
        }
    }

    pub fn claim(&self, name: &str) -> Option<PersistentVolumeClaim> {
        self.state().claims.get(name).cloned()
    }

    pub fn claim_names(&self) -> Vec<String> {
        self.state().claims.keys().cloned().collect()
    }
}

impl StatefulSetApi for World {
    async fn live_set(&self, _namespace: &str, _name: &str) -> Result<Option<LiveSet>, ApiError> {
        let s = self.state();
        if let Some(live) = &s.live_set {
            return Ok(live.clone());
        }
        Ok(Some(LiveSet {
            uid: identity::set_uid(&s.set).into(),
            deleting: s.set.metadata.deletion_timestamp.is_some(),
        }))
    }

    async fn adopt_pod(&self, _ns: &str, name: &str, uid: &str, owner: &OwnerReference) -> Result<(), ApiError> {
        let mut s = self.state();
        s.calls.push(Call::AdoptPod(name.into()));
        let Some(pod) = s.pods.get_mut(name).filter(|p| p.metadata.uid.as_deref() == Some(uid)) else {
            return Err(ApiError::NotFound { object: name.into() });
        };
        pod.metadata
            .owner_references
            .get_or_insert_with(Vec::new)
            .push(owner.clone());
        Ok(())
    }

    async fn release_pod(&self, _ns: &str, name: &str, uid: &str, owner_uid: &str) -> Result<(), ApiError> {
        let mut s = self.state();
        s.calls.push(Call::ReleasePod(name.into()));
        let Some(pod) = s.pods.get_mut(name).filter(|p| p.metadata.uid.as_deref() == Some(uid)) else {
            return Err(ApiError::NotFound { object: name.into() });
        };
        if let Some(refs) = pod.metadata.owner_references.as_mut() {
            refs.retain(|r| r.uid != owner_uid);
        }
        Ok(())
    }

    async fn adopt_revision(&self, _ns: &str, name: &str, _uid: &str, owner: &OwnerReference) -> Result<(), ApiError> {
        let mut s = self.state();
        s.calls.push(Call::AdoptRevision(name.into()));
        let Some(rev) = s.revisions.get_mut(name) else {
            return Err(ApiError::NotFound { object: name.into() });
        };
        rev.metadata
            .owner_references
            .get_or_insert_with(Vec::new)
            .push(owner.clone());
        Ok(())
    }

    async fn create_revision(&self, revision: &ControllerRevision) -> Result<(), ApiError> {
        let mut s = self.state();
        let name = revision.metadata.name.clone().unwrap_or_default();
        s.calls.push(Call::CreateRevision(name.clone()));
        s.fault(Op::CreateRevision, &name)?;
        if let Some(existing) = s.revisions.get(&name) {
            return if raw_data(existing) == raw_data(revision) {
                Ok(())
            } else {
                Err(ApiError::AlreadyExists { object: name })
            };
        }
        let mut rev = revision.clone();
        rev.metadata.uid = Some(s.new_uid(&name));
        rev.metadata.creation_timestamp = Some(Time(self.now));
        s.bump(&mut rev.metadata);
        s.revisions.insert(name, rev);
        Ok(())
    }

    async fn renumber_revision(&self, _ns: &str, name: &str, revision: i64) -> Result<(), ApiError> {
        let mut s = self.state();
        s.calls.push(Call::RenumberRevision(name.into(), revision));
        let Some(rev) = s.revisions.get_mut(name) else {
            return Err(ApiError::NotFound { object: name.into() });
        };
        rev.revision = revision;
        Ok(())
    }

    async fn delete_revision(&self, _ns: &str, name: &str) -> Result<(), ApiError> {
        let mut s = self.state();
        s.calls.push(Call::DeleteRevision(name.into()));
        s.revisions
            .remove(name)
            .map(|_| ())
            .ok_or(ApiError::NotFound { object: name.into() })
    }

    async fn create_claim(&self, claim: &PersistentVolumeClaim) -> Result<(), ApiError> {
        let mut s = self.state();
        let name = claim.metadata.name.clone().unwrap_or_default();
        s.calls.push(Call::CreateClaim(name.clone()));
        s.fault(Op::CreateClaim, &name)?;
        if s.claims.contains_key(&name) {
            return Err(ApiError::AlreadyExists { object: name });
        }
        let mut c = claim.clone();
        c.metadata.uid = Some(s.new_uid(&name));
        s.bump(&mut c.metadata);
        s.claims.insert(name, c);
        Ok(())
    }

    async fn create_pod(&self, pod: &Pod) -> Result<Pod, ApiError> {
        let mut s = self.state();
        let name = pod.metadata.name.clone().unwrap_or_default();
        s.calls.push(Call::CreatePod(name.clone()));
        s.fault(Op::CreatePod, &name)?;
        if s.pods.contains_key(&name) {
            return Err(ApiError::AlreadyExists { object: name });
        }
        let mut p = pod.clone();
        p.metadata.uid = Some(s.new_uid(&name));
        p.status = Some(PodStatus {
            phase: Some("Pending".into()),
            ..PodStatus::default()
        });
        s.bump(&mut p.metadata);
        s.pods.insert(name, p.clone());
        Ok(p)
    }

    async fn update_pod(&self, pod: &Pod) -> Result<Pod, ApiError> {
        let mut s = self.state();
        let name = pod.metadata.name.clone().unwrap_or_default();
        s.calls.push(Call::UpdatePod(name.clone()));
        s.fault(Op::UpdatePod, &name)?;
        if s.update_pod_conflicts > 0 {
            s.update_pod_conflicts -= 1;
            return Err(ApiError::Conflict {
                object: name,
                message: "the object has been modified".into(),
            });
        }
        // The object is found by uid: a renamed pod keeps its key in the fake, like upstream's indexer.
        let key = s
            .pods
            .iter()
            .find(|(_, p)| p.metadata.uid == pod.metadata.uid)
            .map(|(k, _)| k.clone());
        let Some(key) = key else {
            return Err(ApiError::NotFound { object: name });
        };
        s.pods.remove(&key);
        let mut p = pod.clone();
        s.bump(&mut p.metadata);
        s.pods.insert(name, p.clone());
        Ok(p)
    }

    async fn get_pod(&self, _ns: &str, name: &str) -> Result<Option<Pod>, ApiError> {
        let mut s = self.state();
        s.calls.push(Call::GetPod(name.into()));
        Ok(s.pods.get(name).cloned())
    }

    async fn delete_pod(&self, _ns: &str, name: &str, uid: Option<&str>) -> Result<Option<Pod>, ApiError> {
        let mut s = self.state();
        s.calls.push(Call::DeletePod(name.into()));
        s.fault(Op::DeletePod, name)?;
        let Some(pod) = s.pods.get(name) else {
            return Err(ApiError::NotFound { object: name.into() });
        };
        if uid.is_some_and(|u| pod.metadata.uid.as_deref() != Some(u)) {
            return Err(ApiError::Conflict {
                object: name.into(),
                message: "uid precondition failed".into(),
            });
        }
        if s.graceful {
            let now = self.now;
            let mut p = pod.clone();
            p.metadata.deletion_timestamp = Some(Time(now));
            s.pods.insert(name.into(), p.clone());
            return Ok(Some(p));
        }
        s.remove_pod(name);
        Ok(None)
    }

    async fn update_claim_owners(
        &self,
        _ns: &str,
        name: &str,
        _uid: &str,
        refs: &[OwnerReference],
    ) -> Result<PersistentVolumeClaim, ApiError> {
        let mut s = self.state();
        s.calls.push(Call::UpdateClaim(name.into()));
        s.fault(Op::UpdateClaim, name)?;
        if refs
            .iter()
            .any(|r| r.api_version.is_empty() || r.kind.is_empty() || r.name.is_empty())
        {
            return Err(ApiError::Failed {
                object: name.into(),
                message: "invalid ownerRefs".into(),
            });
        }
        let Some(c) = s.claims.get_mut(name) else {
            return Err(ApiError::NotFound { object: name.into() });
        };
        c.metadata.owner_references = if refs.is_empty() { None } else { Some(refs.to_vec()) };
        Ok(c.clone())
    }

    async fn update_status(&self, _set: &StatefulSet, status: &StatefulSetStatus) -> Result<StatefulSet, ApiError> {
        let mut s = self.state();
        s.calls.push(Call::UpdateStatus);
        s.fault(Op::UpdateStatus, "status")?;
        s.set.status = Some(status.clone());
        Ok(s.set.clone())
    }

    async fn record(&self, _set: &StatefulSet, event: EventRecord) {
        self.state().events.push(event);
    }
}

// ---- fixtures ----

pub fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Upstream `newStatefulSet(replicas)`: `foo` in `default` (uid `test`), selector and template
/// labels `foo=bar`, container `nginx`, volume `home`, claim template `datadir`, service
/// `governingsvc`, revisionHistoryLimit 2, `RollingUpdate` without `rollingUpdate`, OrderedReady.
pub fn new_stateful_set(replicas: i32) -> StatefulSet {
    let mounts = vec![
        VolumeMount {
            name: "datadir".into(),
            mount_path: "/tmp/zookeeper".into(),
            ..VolumeMount::default()
        },
        VolumeMount {
            name: "home".into(),
            mount_path: "/home".into(),
            ..VolumeMount::default()
        },
    ];
    let claim = PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some("datadir".into()),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some([("storage".to_string(), Quantity("1".into()))].into()),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    };
    StatefulSet {
        metadata: ObjectMeta {
            name: Some("foo".into()),
            namespace: Some("default".into()),
            uid: Some("test".into()),
            generation: Some(1),
            ..ObjectMeta::default()
        },
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(labels(&[("foo", "bar")])),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(&[("foo", "bar")])),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "nginx".into(),
                        image: Some("nginx".into()),
                        volume_mounts: Some(mounts),
                        ..Container::default()
                    }],
                    volumes: Some(vec![Volume {
                        name: "home".into(),
                        host_path: Some(HostPathVolumeSource {
                            path: "/tmp/home".into(),
                            type_: None,
                        }),
                        ..Volume::default()
                    }]),
                    ..PodSpec::default()
                }),
            },
            volume_claim_templates: Some(vec![claim]),
            service_name: Some("governingsvc".into()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: None,
            }),
            revision_history_limit: Some(2),
            ..StatefulSetSpec::default()
        }),
        status: None,
    }
}

/// Upstream `burst(set)`: Parallel pod management.
pub fn burst(mut set: StatefulSet) -> StatefulSet {
    if let Some(spec) = set.spec.as_mut() {
        spec.pod_management_policy = Some("Parallel".into());
    }
    set
}

/// The retention-policy variants upstream runs most tests over (`runTestOverPVCRetentionPolicies`).
pub fn retention_policies() -> Vec<(&'static str, Option<StatefulSetPersistentVolumeClaimRetentionPolicy>)> {
    let p = |scaled: &str, deleted: &str| {
        Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_scaled: Some(scaled.into()),
            when_deleted: Some(deleted.into()),
        })
    };
    vec![
        ("RetainRetain", p("Retain", "Retain")),
        ("ScaleDownOnly", p("Delete", "Retain")),
        ("SetDeleteOnly", p("Retain", "Delete")),
        ("DeleteDelete", p("Delete", "Delete")),
        ("NilPolicy", None),
    ]
}

/// Both pod management policies × every retention policy, as upstream's `TestStatefulSetControl`.
pub fn variants(replicas: i32) -> Vec<(String, StatefulSet)> {
    let mut out = Vec::new();
    for (mode, parallel) in [("Monotonic", false), ("Burst", true)] {
        for (name, policy) in retention_policies() {
            let mut set = new_stateful_set(replicas);
            if let Some(spec) = set.spec.as_mut() {
                spec.persistent_volume_claim_retention_policy = policy;
            }
            let set = if parallel { burst(set) } else { set };
            out.push((format!("{mode}/{name}"), set));
        }
    }
    out
}
