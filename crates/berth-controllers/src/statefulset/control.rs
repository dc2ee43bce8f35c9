//! The per-sync pod algorithm (upstream `updateStatefulSet`, `processReplica`, `processCondemned`,
//! `runForAll`/`slowStartBatch` and the rolling-update loops), producing action groups.
//!
//! A sync's cost follows its work: a missing member's pod is built only when the sync would
//! create it (an OrderedReady sync stops at its first step that exits), and existing claims are
//! looked up by template and ordinal without building the names or claims a member would get.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::identity::{
    claim_for, claim_name, claim_ordinal_digits, claim_templates, identity_matches, is_decimal_of, ordinal_of,
    replicas, storage_matches, update_identity, update_storage,
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
use super::slots::{new_versioned_pod, place, rolling_update, Slot};

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
    pub claims: &'a [Arc<PersistentVolumeClaim>],
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
    /// The input's claims by (template index, ordinal) of the name they have.
    claims: HashMap<(usize, i32), &'a PersistentVolumeClaim>,
    monotonic: bool,
    mrs: i32,
}

impl<'a> Planner<'a> {
    fn unavailable(&self, pod: &Pod) -> bool {
        !is_running_and_available(pod, self.mrs, self.cx.now) || is_terminating(pod)
    }

    fn slot_unavailable(&self, slot: &Slot<'_>) -> bool {
        slot.is_unavailable(self.mrs, self.cx.now)
    }

    fn slot_available(&self, slot: &Slot<'_>) -> bool {
        slot.is_available(self.mrs, self.cx.now)
    }

    /// The member's claims that exist, in template order (`set` is the set or the set at a
    /// revision: they have the same claim templates).
    fn existing_claims(&self, set: &StatefulSet, pod: &Pod) -> Vec<&'a PersistentVolumeClaim> {
        let ordinal = ordinal_of(name(pod));
        (0..claim_templates(set).len())
            .filter_map(|i| self.claims.get(&(i, ordinal)).copied())
            .collect()
    }

    /// Upstream `createPersistentVolumeClaims`: create missing claims (with the refs the retention
    /// policy wants for an in-range pod), then fail if one is being deleted.
    fn create_claims(&self, set: &StatefulSet, pod: &Pod, verb: Verb, out: &mut Vec<Action>) {
        let mut deleting = Vec::new();
        let ordinal = ordinal_of(name(pod));
        for (i, template) in claim_templates(set).iter().enumerate() {
            match self.claims.get(&(i, ordinal)) {
                None => {
                    let mut claim = claim_for(set, template, ordinal);
                    claim.metadata.owner_references = initial_owner_refs(set, pod_ref(pod));
                    out.push(Action::CreateClaim {
                        claim: Box::new(claim),
                        pod: name(pod).to_string(),
                    });
                }
                Some(c) if c.metadata.deletion_timestamp.is_some() => {
                    deleting.push(format!("pvc {} is being deleted", claim_name(set, template, ordinal)))
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
        let pod = match slot {
            Slot::Existing(p) => *p,
            Slot::New { ordinal, .. } => return self.create_replica(Cow::Owned(new_versioned_pod(self.cx, *ordinal))),
        };
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
            return self.create_replica(Cow::Borrowed(pod));
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

    /// The part of `processReplica` for a pod that is not created yet: its claims, then the pod.
    fn create_replica(&self, pod: Cow<'_, Pod>) -> Step {
        let set = self.cx.set;
        if pod_claim_is_stale(set, pod_ref(&pod), self.existing_claims(set, &pod)) {
            return Step::none(true);
        }
        let mut actions = Vec::new();
        self.create_claims(set, &pod, Verb::Create, &mut actions);
        let mut retention = Vec::new();
        self.retention(set, &pod, &mut retention);
        actions.push(Action::CreatePod {
            pod: Box::new(pod.into_owned()),
        });
        actions.append(&mut retention);
        Step {
            task: Task { actions },
            exit: self.monotonic,
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

    /// Upstream `runForAll`: monotonic runs one group per pod until one exits (later steps are
    /// not even planned); burst runs slow-start batches. Returns whether the sync stops here.
    fn run_for_all(&self, steps: impl Iterator<Item = Step>, groups: &mut Vec<ActionGroup>) -> bool {
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
        let steps: Vec<Step> = steps.collect();
        let mut remaining = steps.len();
        let mut steps = steps.into_iter();
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

/// The claims by (template index, ordinal) of their names `<template>-<set>-<ordinal>`: a lookup
/// by [`claim_name`] without making the name.
fn index_claims<'a>(
    set: &StatefulSet,
    claims: &'a [Arc<PersistentVolumeClaim>],
) -> HashMap<(usize, i32), &'a PersistentVolumeClaim> {
    let mut out = HashMap::new();
    for claim in claims {
        let cname = claim.metadata.name.as_deref().unwrap_or_default();
        for (i, template) in claim_templates(set).iter().enumerate() {
            let Some(digits) = claim_ordinal_digits(cname, set, template) else {
                continue;
            };
            if let Some(ordinal) = digits.parse::<i32>().ok().filter(|&o| is_decimal_of(digits, o)) {
                out.insert((i, ordinal), &**claim);
            }
        }
    }
    out
}

/// Plans the pod work for the claimed pods (upstream `updateStatefulSet` after the revisions).
pub fn plan_pods(cx: &Context<'_>, pods: &[&Pod]) -> Outcome {
    let set = cx.set;
    let planner = Planner {
        cx,
        claims: index_claims(set, cx.claims),
        monotonic: !allows_burst(set),
        mrs: min_ready_seconds(set),
    };
    let (slots, condemned) = place(cx, pods);

    let first_unavailable = slots
        .iter()
        .find(|s| planner.slot_unavailable(s))
        .map(|s| s.name(set).into_owned())
        .or_else(|| {
            let p = condemned.iter().rev().find(|p| planner.unavailable(p))?;
            Some(name(p).to_string())
        });

    let mut out = Outcome::default();
    if set.metadata.deletion_timestamp.is_some() {
        return out;
    }
    let steps = slots.iter().map(|s| planner.process_replica(s));
    if planner.run_for_all(steps, &mut out.groups) {
        return out;
    }
    let steps = condemned.iter().map(|p| {
        let mut actions = Vec::new();
        if !planner.claims_match_retention(cx.update_set, p) {
            planner.retention(cx.update_set, p, &mut actions);
        }
        Step {
            task: Task { actions },
            exit: false,
        }
    });
    if planner.run_for_all(steps, &mut out.groups) {
        return out;
    }
    let steps = condemned
        .iter()
        .map(|p| planner.process_condemned(p, first_unavailable.as_deref()));
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
            if slot.is_outdated(cx.update_revision) {
                deletes.push(slot.delete(set));
                break;
            }
            if planner.slot_unavailable(slot) {
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
    let unavailable = slots.iter().filter(|s| p.slot_unavailable(s)).count() as i32;
    let outdated = |s: &Slot<'_>| s.is_outdated(cx.update_revision);
    let needing_update = if p.monotonic {
        0
    } else {
        slots.iter().filter(|s| p.slot_unavailable(s) && outdated(s)).count()
    };
    if unavailable >= max && needing_update == 0 {
        return;
    }
    let candidates = || slots.iter().skip(update_min).rev();
    if p.monotonic {
        let budget = usize::try_from(max - unavailable).unwrap_or(0);
        deletes.extend(
            candidates()
                .filter(|s| outdated(s))
                .take(budget)
                .map(|s| s.delete(cx.set)),
        );
        return;
    }
    deletes.extend(
        candidates()
            .filter(|s| outdated(s) && !p.slot_available(s))
            .map(|s| s.delete(cx.set)),
    );
    let budget = usize::try_from(max - unavailable).unwrap_or(0);
    deletes.extend(
        candidates()
            .filter(|s| outdated(s) && p.slot_available(s))
            .take(budget)
            .map(|s| s.delete(cx.set)),
    );
}
