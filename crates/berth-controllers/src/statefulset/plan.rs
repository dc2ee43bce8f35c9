//! The pure StatefulSet decision: `plan(&Input, now) -> Plan` (upstream `sync`,
//! `UpdateStatefulSet`, `performUpdate`, `getStatefulSetRevisions`, `truncateHistory`).
//!
//! A plan is what one upstream sync would do if every request succeeded, arranged so the driver can
//! reproduce upstream's behaviour when one fails: stages run in order (claim, revisions, groups,
//! history), tasks in a group run concurrently, actions in a task run in order, and the driver
//! stops at the first failed group and then writes `status_on_failure` instead of `status`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::jiff::Timestamp;

use super::adopt::{claim_pods, claim_revisions};
use super::identity::{replicas, set_name};
use super::pods::{self, complete_rolling_update, inconsistent_status, min_ready_seconds};
use super::revision::{
    apply_revision, equal_revision, hash_label, new_revision_and_raw, next_revision, plan_truncation, raw_data,
    rename_for_collision, sort_revisions,
};
use super::{control as sync, selector};

/// Feature gates that change the controller's behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// `MaxUnavailableStatefulSet` (off by default in 1.32): `rollingUpdate.maxUnavailable` is
    /// honoured, with the two-phase Parallel deletion of PR #137666.
    pub max_unavailable_stateful_set: bool,
}

/// Everything one decision needs, read from caches. The objects are shared with the cache, so
/// building an input copies no object.
#[derive(Clone, Debug, Default)]
pub struct Input {
    pub set: Arc<StatefulSet>,
    /// Pods in the set's namespace; the driver may leave out pods that are neither owned by the
    /// set nor orphans named like its members, since the claim rules ignore them.
    pub pods: Vec<Arc<Pod>>,
    /// Claims in the set's namespace (at least those named after its templates).
    pub claims: Vec<Arc<PersistentVolumeClaim>>,
    /// ControllerRevisions in the set's namespace.
    pub revisions: Vec<Arc<ControllerRevision>>,
    pub features: Features,
}

/// The verb of a pod event (`create Pod web-0 in StatefulSet web failed error: …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Create,
    Update,
    Delete,
}

/// One request (or one planned failure) of a sync.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Add a controller ref to an orphan revision (after the live uid recheck).
    AdoptRevision { name: String, uid: String },
    /// Add a controller ref to an orphan pod (after the live uid recheck).
    AdoptPod { name: String, uid: String },
    /// Remove our ref from a pod that no longer matches.
    ReleasePod { name: String, uid: String },
    /// Create the update revision.
    CreateRevision { revision: Box<ControllerRevision> },
    /// Give an old revision a new number (rollback).
    RenumberRevision { name: String, revision: i64 },
    /// Delete a revision beyond `revisionHistoryLimit`.
    DeleteRevision { name: String },
    /// Create a member's claim; an existing claim of that name counts as created.
    CreateClaim {
        claim: Box<PersistentVolumeClaim>,
        pod: String,
    },
    /// Create a member pod.
    CreatePod { pod: Box<Pod> },
    /// Replace a member pod whose identity or storage is wrong.
    UpdatePod { pod: Box<Pod> },
    /// Delete a member pod (`uid` is a precondition when known).
    DeletePod { name: String, uid: Option<String> },
    /// Set a claim's ownerReferences for the retention policy.
    UpdateClaimOwners {
        name: String,
        uid: String,
        owner_references: Vec<OwnerReference>,
        pod: String,
    },
    /// Emit a Warning event (`ConflictingController`).
    Warn { reason: String, message: String },
    /// Fail the task with this error and a pod event, without a request (`pvc … is being deleted`).
    Fail { verb: Verb, pod: String, error: String },
}

/// Actions run one after the other, stopping at the first failure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Task {
    pub actions: Vec<Action>,
}

/// Tasks that run concurrently; if any fails, later groups do not run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionGroup {
    pub tasks: Vec<Task>,
}

/// What one sync does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Adoptions and releases; a failure (or a failed live uid recheck) ends the sync.
    pub claim: Vec<Action>,
    /// Creating or renumbering the update revision; a failure skips the groups and the status.
    pub revisions: Vec<Action>,
    /// Pod and claim work, in order.
    pub groups: Vec<ActionGroup>,
    /// The status to write when every group succeeded; `None` when it is unchanged.
    pub status: Option<StatefulSetStatus>,
    /// The status to write when a group failed; `None` when it is unchanged.
    pub status_on_failure: Option<StatefulSetStatus>,
    /// Revisions to delete, attempted after everything else whatever happened.
    pub history: Vec<Action>,
    /// Look again after this long (availability after `minReadySeconds`).
    pub requeue_after: Option<Duration>,
    /// The revisions this sync used, for logs and tests.
    pub current_revision: String,
    pub update_revision: String,
}

impl Plan {
    /// Every action of the plan in execution order (for tests and logs).
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.claim
            .iter()
            .chain(self.revisions.iter())
            .chain(
                self.groups
                    .iter()
                    .flat_map(|g| g.tasks.iter().flat_map(|t| t.actions.iter())),
            )
            .chain(self.history.iter())
    }

    /// Whether the plan makes no request (status aside).
    pub fn is_idle(&self) -> bool {
        self.actions().next().is_none()
    }
}

pub fn update_strategy_type(set: &StatefulSet) -> &str {
    set.spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.as_deref())
        .unwrap_or("RollingUpdate")
}

/// `Parallel` pod management (upstream `allowsBurst`).
pub fn allows_burst(set: &StatefulSet) -> bool {
    set.spec.as_ref().and_then(|s| s.pod_management_policy.as_deref()) == Some("Parallel")
}

/// The current and update revisions and the collision count (upstream `getStatefulSetRevisions`);
/// revisions that exist are borrowed from the input.
pub struct Revisions<'a> {
    pub current: Cow<'a, ControllerRevision>,
    pub update: Cow<'a, ControllerRevision>,
    pub collision_count: i32,
    pub actions: Vec<Action>,
}

/// `history` sorted ascending; `all` is every revision in the namespace (for name collisions).
pub fn plan_revisions<'a>(
    set: &StatefulSet,
    history: &[&'a ControllerRevision],
    all: &[&'a ControllerRevision],
) -> Revisions<'a> {
    let mut collision_count = set.status.as_ref().and_then(|s| s.collision_count).unwrap_or(0);
    let (new, raw) = new_revision_and_raw(set, next_revision(history), collision_count);
    let mut update: Cow<'a, ControllerRevision> = Cow::Owned(new);
    let mut actions = Vec::new();
    // Upstream `EqualRevision` against the new revision, whose canonical data is `raw`.
    let hash = hash_label(&update).map(str::to_owned);
    let equals_new = |r: &ControllerRevision| {
        !matches!((hash_label(r), hash.as_deref()), (Some(x), Some(y)) if x != y) && raw_data(r) == raw
    };
    let last_equal = history.iter().rev().find(|r| equals_new(r)).copied();
    if let (Some(last_equal), Some(&last)) = (last_equal, history.last()) {
        if std::ptr::eq(last, last_equal) || equal_revision(last, last_equal) {
            update = Cow::Borrowed(last);
        } else {
            let mut rev = last_equal.clone();
            rev.revision = update.revision;
            actions.push(Action::RenumberRevision {
                name: rev.metadata.name.clone().unwrap_or_default(),
                revision: rev.revision,
            });
            update = Cow::Owned(rev);
        }
    } else {
        loop {
            let name = update.metadata.name.as_deref().unwrap_or_default();
            match all.iter().find(|r| r.metadata.name.as_deref() == Some(name)) {
                Some(&existing) if raw_data(existing) == raw => {
                    update = Cow::Borrowed(existing);
                    break;
                }
                Some(_) => {
                    collision_count += 1;
                    rename_for_collision(set, update.to_mut(), collision_count);
                }
                None => {
                    actions.push(Action::CreateRevision {
                        revision: Box::new(update.clone().into_owned()),
                    });
                    break;
                }
            }
        }
    }
    let current_name = set
        .status
        .as_ref()
        .and_then(|s| s.current_revision.as_deref())
        .unwrap_or_default();
    let current = history
        .iter()
        .find(|r| !current_name.is_empty() && r.metadata.name.as_deref() == Some(current_name))
        .map_or_else(|| update.clone(), |&r| Cow::Borrowed(r));
    Revisions {
        current,
        update,
        collision_count,
        actions,
    }
}

/// Plans one sync of `input.set` at time `now`.
pub fn plan(input: &Input, now: Timestamp) -> Plan {
    let set: &StatefulSet = &input.set;
    let Some(spec) = set.spec.as_ref() else {
        return Plan::default();
    };
    if selector::is_empty(&spec.selector) || !selector_is_valid(set) {
        return Plan::default();
    }
    let claimed = claim_pods(set, &input.pods);
    let (mut history, adopt_revisions) = claim_revisions(set, &input.revisions);
    sort_revisions(&mut history);
    let all: Vec<&ControllerRevision> = input.revisions.iter().map(|r| &**r).collect();
    let revs = plan_revisions(set, &history, &all);

    let current_name = revs.current.metadata.name.clone().unwrap_or_default();
    let update_name = revs.update.metadata.name.clone().unwrap_or_default();
    let mrs = min_ready_seconds(set);
    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        current_revision: Some(current_name.clone()),
        update_revision: Some(update_name.clone()),
        collision_count: Some(revs.collision_count),
        ..StatefulSetStatus::default()
    };
    pods::apply_counts(
        &mut status,
        pods::count(claimed.pods.iter().copied(), mrs, &current_name, &update_name, now),
    );

    // Revision names are unique in a namespace, so the same name is the same template.
    let update_set = apply_revision(set, &revs.update);
    let current_applied;
    let current_set = if current_name == update_name {
        &update_set
    } else {
        current_applied = apply_revision(set, &revs.current);
        &current_applied
    };
    let ctx = sync::Context {
        set,
        current_set,
        update_set: &update_set,
        current_revision: &current_name,
        update_revision: &update_name,
        claims: &input.claims,
        features: input.features,
        now,
    };
    let outcome = sync::plan_pods(&ctx, &claimed.pods);

    let mut on_success = status.clone();
    if let Some(c) = on_success.current_replicas.as_mut() {
        *c -= outcome.deleted_for_update;
    }
    let finish = |mut s: StatefulSetStatus| {
        complete_rolling_update(set, &mut s);
        inconsistent_status(set, &s).then_some(s)
    };

    let limit = spec.revision_history_limit.unwrap_or(10);
    let history_actions = plan_truncation(&history, &claimed.pods, Some(&current_name), Some(&update_name), limit)
        .into_iter()
        .map(|name| Action::DeleteRevision { name })
        .collect();

    let mut claim = adopt_revisions;
    claim.extend(claimed.actions);
    Plan {
        claim,
        revisions: revs.actions,
        groups: outcome.groups,
        status: finish(on_success),
        status_on_failure: finish(status.clone()),
        history: history_actions,
        requeue_after: requeue_after(set, &claimed.pods, status.available_replicas.unwrap_or(0), now),
        current_revision: current_name,
        update_revision: update_name,
    }
}

fn selector_is_valid(set: &StatefulSet) -> bool {
    let ops = ["In", "NotIn", "Exists", "DoesNotExist"];
    set.spec
        .as_ref()
        .and_then(|s| s.selector.match_expressions.as_ref())
        .is_none_or(|es| es.iter().all(|e| ops.contains(&e.operator.as_str())))
}

/// With `minReadySeconds`, look again when the next Ready pod becomes available (upstream requeues
/// after `minReadySeconds` while `availableReplicas != replicas`).
fn requeue_after(set: &StatefulSet, pods: &[&Pod], available: i32, now: Timestamp) -> Option<Duration> {
    let mrs = min_ready_seconds(set);
    if mrs <= 0 || available == replicas(set) {
        return None;
    }
    let fallback = Duration::from_secs(mrs.unsigned_abs().into());
    let next = pods
        .iter()
        .filter(|p| !pods::is_available(p, mrs, now))
        .filter_map(|p| pods::available_at(p, mrs))
        .min();
    Some(match next {
        Some(at) => {
            let wait = at.duration_since(now);
            // Availability is `ready + mrs < now`: come back just after.
            Duration::try_from(wait).unwrap_or_default().min(fallback) + Duration::from_millis(100)
        }
        None => fallback,
    })
}

/// `<set>` for messages.
pub fn describe(set: &StatefulSet) -> String {
    format!("{} in {}", set_name(set), super::identity::set_namespace(set))
}
