//! The per-sync pod algorithm (upstream `updateStatefulSet`, `processReplica`, `processCondemned`,
//! `runForAll`/`slowStartBatch` and the rolling-update loops), producing action groups.

use std::collections::HashMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::identity::{
    claims_for, identity_matches, new_pod, ordinal_of, pod_revision, replicas, set_pod_revision, start_ordinal,
    storage_matches, update_identity, update_storage,
};
use super::plan::{allows_burst, update_strategy_type, Action, ActionGroup, Features, Task, Verb};
use super::pods::{
    is_created, is_failed, is_pending, is_running_and_available, is_running_and_ready, is_succeeded, is_terminating,
    min_ready_seconds,
};
use super::retention::{
    desired_owner_refs, has_unexpected_controller, initial_owner_refs, is_claim_owner_up_to_date, pod_claim_is_stale,
    PodRef,
};

/// Upstream `MaxBatchSize` of `slowStartBatch`.
pub const MAX_BATCH_SIZE: usize = 500;

/// What the pod algorithm works with.
pub struct Context<'a> {
    pub set: &'a StatefulSet,
    /// The set with the current revision's template.
    pub current_set: &'a StatefulSet,
    /// The set with the update revision's template.
    pub update_set: &'a StatefulSet,
    pub current_revision: &'a str,
    pub update_revision: &'a str,
    pub claims: &'a [PersistentVolumeClaim],
    pub features: Features,
    pub now: Timestamp,
}

/// The pod work of a sync.
#[derive(Debug, Default)]
pub struct Outcome {
    pub groups: Vec<ActionGroup>,
    /// Pods the rolling update deletes (subtracted from `currentReplicas` when they succeed).
    pub deleted_for_update: i32,
}

/// A slot of `[start, start+replicas)`: an existing pod or the one that would be created.
enum Slot<'a> {
    Existing(&'a Pod),
    New(Box<Pod>),
}

impl Slot<'_> {
    fn pod(&self) -> &Pod {
        match self {
            Slot::Existing(p) => p,
            Slot::New(p) => p,
        }
    }
}

/// The result of processing one pod: its task, and whether a monotonic run stops after it.
struct Step {
    task: Task,
    exit: bool,
}

impl Step {
    fn none(exit: bool) -> Self {
        Step {
            task: Task::default(),
            exit,
        }
    }
}

fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or_default()
}

fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or_default()
}

fn pod_ref(pod: &Pod) -> PodRef<'_> {
    PodRef {
        name: name(pod),
        uid: uid(pod),
    }
}

struct Planner<'a> {
    cx: &'a Context<'a>,
    claims: HashMap<&'a str, &'a PersistentVolumeClaim>,
    monotonic: bool,
    mrs: i32,
}

impl<'a> Planner<'a> {
    fn unavailable(&self, pod: &Pod) -> bool {
        !is_running_and_available(pod, self.mrs, self.cx.now) || is_terminating(pod)
    }

    fn existing_claims(&self, set: &StatefulSet, pod: &Pod) -> Vec<&'a PersistentVolumeClaim> {
        claims_for(set, ordinal_of(name(pod)))
            .iter()
            .filter_map(|(_, c)| self.claims.get(c.metadata.name.as_deref().unwrap_or_default()).copied())
            .collect()
    }

    /// Upstream `createPersistentVolumeClaims`: create missing claims (with the refs the retention
    /// policy wants for an in-range pod), then fail if one is being deleted.
    fn create_claims(&self, set: &StatefulSet, pod: &Pod, verb: Verb, out: &mut Vec<Action>) {
        let mut deleting = Vec::new();
        for (_, mut claim) in claims_for(set, ordinal_of(name(pod))) {
            let cname = claim.metadata.name.clone().unwrap_or_default();
            match self.claims.get(cname.as_str()) {
                None => {
                    claim.metadata.owner_references = initial_owner_refs(set, pod_ref(pod));
                    out.push(Action::CreateClaim {
                        claim: Box::new(claim),
                        pod: name(pod).to_string(),
                    });
                }
                Some(c) if c.metadata.deletion_timestamp.is_some() => {
                    deleting.push(format!("pvc {cname} is being deleted"))
                }
                Some(_) => {}
            }
        }
        if !deleting.is_empty() {
            let error = if deleting.len() == 1 {
                deleting.remove(0)
            } else {
                format!("[{}]", deleting.join(", "))
            };
            out.push(Action::Fail {
                verb,
                pod: name(pod).to_string(),
                error,
            });
        }
    }

    fn claims_match_retention(&self, set: &StatefulSet, pod: &Pod) -> bool {
        self.existing_claims(set, pod)
            .iter()
            .all(|c| is_claim_owner_up_to_date(c, set, pod_ref(pod)))
    }

    /// Upstream `UpdatePodClaimForRetentionPolicy` over the claims that exist.
    fn retention(&self, set: &StatefulSet, pod: &Pod, out: &mut Vec<Action>) {
        for c in self.existing_claims(set, pod) {
            let cname = c.metadata.name.clone().unwrap_or_default();
            if has_unexpected_controller(c, set, pod_ref(pod)) {
                out.push(Action::Warn {
                    reason: "ConflictingController".into(),
                    message: format!(
                        "PersistentVolumeClaim {cname} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim"
                    ),
                });
            }
            if !is_claim_owner_up_to_date(c, set, pod_ref(pod)) {
                out.push(Action::UpdateClaimOwners {
                    name: cname,
                    uid: c.metadata.uid.clone().unwrap_or_default(),
                    owner_references: desired_owner_refs(c, set, pod_ref(pod)),
                    pod: name(pod).to_string(),
                });
            }
        }
    }

    /// Upstream `processReplica`.
    fn process_replica(&self, slot: &Slot<'_>) -> Step {
        let set = self.cx.set;
        let pod = slot.pod();
        let mut actions = Vec::new();
        if is_failed(pod) || is_succeeded(pod) {
            if !is_terminating(pod) {
                actions.push(Action::DeletePod {
                    name: name(pod).to_string(),
                    uid: Some(uid(pod).to_string()),
                });
            }
            return Step {
                task: Task { actions },
                exit: true,
            };
        }
        if !is_created(pod) {
            if pod_claim_is_stale(set, pod_ref(pod), self.existing_claims(set, pod)) {
                return Step::none(true);
            }
            self.create_claims(set, pod, Verb::Create, &mut actions);
            actions.push(Action::CreatePod {
                pod: Box::new(pod.clone()),
            });
            self.retention(set, pod, &mut actions);
            return Step {
                task: Task { actions },
                exit: self.monotonic,
            };
        }
        if is_pending(pod) {
            self.create_claims(set, pod, Verb::Create, &mut actions);
            self.retention(set, pod, &mut actions);
        }
        if self.monotonic
            && (is_terminating(pod)
                || !is_running_and_ready(pod)
                || !is_running_and_available(pod, self.mrs, self.cx.now))
        {
            return Step {
                task: Task { actions },
                exit: true,
            };
        }
        let update_set = self.cx.update_set;
        let identity = identity_matches(set, pod);
        let storage = storage_matches(set, pod);
        let retention = self.claims_match_retention(update_set, pod);
        if !(identity && storage && retention) {
            let mut fixed = pod.clone();
            if !identity {
                update_identity(update_set, &mut fixed);
            }
            if !storage {
                update_storage(update_set, &mut fixed);
                self.create_claims(update_set, &fixed, Verb::Update, &mut actions);
            }
            if !retention {
                self.retention(update_set, pod, &mut actions);
            }
            actions.push(Action::UpdatePod { pod: Box::new(fixed) });
        }
        Step {
            task: Task { actions },
            exit: false,
        }
    }

    /// Upstream `processCondemned`.
    fn process_condemned(&self, pod: &Pod, first_unavailable: Option<&str>) -> Step {
        if is_terminating(pod) {
            return Step::none(self.monotonic);
        }
        let first = first_unavailable == Some(name(pod));
        if self.monotonic
            && !first
            && (!is_running_and_ready(pod) || !is_running_and_available(pod, self.mrs, self.cx.now))
        {
            return Step::none(true);
        }
        let delete = Action::DeletePod {
            name: name(pod).to_string(),
            uid: Some(uid(pod).to_string()),
        };
        Step {
            task: Task { actions: vec![delete] },
            exit: true,
        }
    }

    /// Upstream `runForAll`: monotonic runs one group per pod until one exits; burst runs
    /// slow-start batches. Returns whether the sync stops here.
    fn run_for_all(&self, steps: Vec<Step>, groups: &mut Vec<ActionGroup>) -> bool {
        if self.monotonic {
            for step in steps {
                if !step.task.actions.is_empty() {
                    groups.push(ActionGroup { tasks: vec![step.task] });
                }
                if step.exit {
                    return true;
                }
            }
            return false;
        }
        let mut steps = steps.into_iter();
        let mut remaining = steps.len();
        let mut batch = remaining.min(1);
        while batch > 0 {
            let tasks: Vec<Task> = steps
                .by_ref()
                .take(batch)
                .map(|s| s.task)
                .filter(|t| !t.actions.is_empty())
                .collect();
            if !tasks.is_empty() {
                groups.push(ActionGroup { tasks });
            }
            remaining -= batch;
            batch = (2 * batch).min(remaining).min(MAX_BATCH_SIZE);
        }
        false
    }
}

/// Plans the pod work for the claimed pods (upstream `updateStatefulSet` after the revisions).
pub fn plan_pods(cx: &Context<'_>, pods: &[&Pod]) -> Outcome {
    let set = cx.set;
    let planner = Planner {
        cx,
        claims: cx
            .claims
            .iter()
            .map(|c| (c.metadata.name.as_deref().unwrap_or_default(), c))
            .collect(),
        monotonic: !allows_burst(set),
        mrs: min_ready_seconds(set),
    };
    let start = start_ordinal(set);
    let count = usize::try_from(replicas(set)).unwrap_or(0);
    let mut slots: Vec<Option<&Pod>> = vec![None; count];
    let mut condemned: Vec<&Pod> = Vec::new();
    for pod in pods {
        let ord = ordinal_of(name(pod));
        if ord < 0 {
            continue;
        }
        match usize::try_from(ord - start) {
            Ok(i) if i < count => slots[i] = Some(pod),
            _ => condemned.push(pod),
        }
    }
    let slots: Vec<Slot<'_>> = slots
        .into_iter()
        .enumerate()
        .map(|(i, p)| match p {
            Some(p) => Slot::Existing(p),
            None => Slot::New(Box::new(new_versioned_pod(cx, start + i as i32))),
        })
        .collect();
    condemned.sort_by_key(|p| std::cmp::Reverse(ordinal_of(name(p))));

    let first_unavailable = slots
        .iter()
        .map(Slot::pod)
        .chain(condemned.iter().rev().copied())
        .find(|p| planner.unavailable(p))
        .map(|p| name(p).to_string());

    let mut out = Outcome::default();
    if set.metadata.deletion_timestamp.is_some() {
        return out;
    }
    let steps = slots.iter().map(|s| planner.process_replica(s)).collect();
    if planner.run_for_all(steps, &mut out.groups) {
        return out;
    }
    let steps = condemned
        .iter()
        .map(|p| {
            let mut actions = Vec::new();
            if !planner.claims_match_retention(cx.update_set, p) {
                planner.retention(cx.update_set, p, &mut actions);
            }
            Step {
                task: Task { actions },
                exit: false,
            }
        })
        .collect();
    if planner.run_for_all(steps, &mut out.groups) {
        return out;
    }
    let steps = condemned
        .iter()
        .map(|p| planner.process_condemned(p, first_unavailable.as_deref()))
        .collect();
    if planner.run_for_all(steps, &mut out.groups) {
        return out;
    }
    if update_strategy_type(set) == "OnDelete" {
        return out;
    }
    let partition = rolling_update(set).map_or(0, |ru| ru.partition.unwrap_or(0));
    let update_min = usize::try_from(partition).unwrap_or(0);
    let mut deletes = Vec::new();
    if cx.features.max_unavailable_stateful_set {
        plan_max_unavailable(&planner, &slots, update_min, &mut deletes);
    } else {
        for slot in slots.iter().skip(update_min).rev() {
            let pod = slot.pod();
            if pod_revision(pod) != cx.update_revision && !is_terminating(pod) {
                deletes.push(delete_slot(slot));
                break;
            }
            if planner.unavailable(pod) {
                break;
            }
        }
    }
    if !deletes.is_empty() {
        out.deleted_for_update = deletes.len() as i32;
        out.groups.push(ActionGroup {
            tasks: vec![Task { actions: deletes }],
        });
    }
    out
}

fn delete_slot(slot: &Slot<'_>) -> Action {
    let pod = slot.pod();
    let uid = match slot {
        Slot::Existing(_) => Some(uid(pod).to_string()),
        Slot::New(_) => None,
    };
    Action::DeletePod {
        name: name(pod).to_string(),
        uid,
    }
}

fn rolling_update(set: &StatefulSet) -> Option<&k8s_openapi::api::apps::v1::RollingUpdateStatefulSetStrategy> {
    set.spec.as_ref()?.update_strategy.as_ref()?.rolling_update.as_ref()
}

/// Upstream `getStatefulSetMaxUnavailable`: an absolute number or a percentage of `replicas`
/// rounded down, at least 1.
pub fn max_unavailable(value: Option<&IntOrString>, replicas: i32) -> i32 {
    let v = match value {
        None => 1,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) => i32::try_from(p * i64::from(replicas) / 100).unwrap_or(i32::MAX),
            None => 1,
        },
    };
    v.max(1)
}

/// `updateStatefulSetAfterInvariantEstablished` with the two-phase Parallel deletion (#137666).
fn plan_max_unavailable(p: &Planner<'_>, slots: &[Slot<'_>], update_min: usize, deletes: &mut Vec<Action>) {
    let cx = p.cx;
    let max = max_unavailable(
        rolling_update(cx.set).and_then(|r| r.max_unavailable.as_ref()),
        replicas(cx.set),
    );
    let unavailable = slots.iter().filter(|s| p.unavailable(s.pod())).count() as i32;
    let outdated = |pod: &Pod| pod_revision(pod) != cx.update_revision && !is_terminating(pod);
    let needing_update = if p.monotonic {
        0
    } else {
        slots
            .iter()
            .filter(|s| p.unavailable(s.pod()) && outdated(s.pod()))
            .count()
    };
    if unavailable >= max && needing_update == 0 {
        return;
    }
    let candidates = || slots.iter().skip(update_min).rev();
    if p.monotonic {
        let budget = usize::try_from(max - unavailable).unwrap_or(0);
        deletes.extend(candidates().filter(|s| outdated(s.pod())).take(budget).map(delete_slot));
        return;
    }
    let available = |pod: &Pod| is_running_and_available(pod, p.mrs, cx.now);
    deletes.extend(
        candidates()
            .filter(|s| outdated(s.pod()) && !available(s.pod()))
            .map(delete_slot),
    );
    let budget = usize::try_from(max - unavailable).unwrap_or(0);
    deletes.extend(
        candidates()
            .filter(|s| outdated(s.pod()) && available(s.pod()))
            .take(budget)
            .map(delete_slot),
    );
}

/// Upstream `newVersionedStatefulSetPod`: below the partition (or below `currentReplicas` without
/// `rollingUpdate`) a new pod gets the current revision, else the update revision.
fn new_versioned_pod(cx: &Context<'_>, ordinal: i32) -> Pod {
    let set = cx.current_set;
    let start = start_ordinal(set);
    let use_current = update_strategy_type(set) == "RollingUpdate"
        && match rolling_update(set) {
            None => ordinal < start + set.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0),
            Some(ru) => ordinal < start + ru.partition.unwrap_or(0),
        };
    let (source, revision) = if use_current {
        (cx.current_set, cx.current_revision)
    } else {
        (cx.update_set, cx.update_revision)
    };
    let template = source.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let mut pod = new_pod(source, &template, ordinal);
    set_pod_revision(&mut pod, revision);
    pod
}
