//! Ports of `stateful_set_test.go` (adoption, release, deletion, termination) and of the
//! maxUnavailable, minReadySeconds and ordering scenarios of `stateful_set_control_test.go`.

use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetUpdateStrategy,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::SignedDuration;

use super::harness::{scale_up, Rng};
use super::world::{burst, labels, new_stateful_set, Call, World};
use crate::statefulset::client::LiveSet;
use crate::statefulset::exec::SyncError;
use crate::statefulset::identity::{controller_of, new_pod, set_uid};

fn orphan(w: &World, name: &str, pod_labels: Option<&[(&str, &str)]>) {
    let set = w.set();
    let t = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let mut p = new_pod(&set, &t, 0);
    p.metadata.name = Some(name.into());
    p.metadata.owner_references = None;
    p.metadata.labels = pod_labels.map(labels);
    p.metadata.uid = Some(format!("{name}-uid"));
    p.status = Some(k8s_openapi::api::core::v1::PodStatus {
        phase: Some("Running".into()),
        ..Default::default()
    });
    w.state().pods.insert(name.into(), p);
}

fn owned(w: &World, name: &str, pod_labels: Option<&[(&str, &str)]>) {
    orphan(w, name, pod_labels);
    let r = crate::statefulset::identity::set_controller_ref(&w.set());
    w.state()
        .pods
        .get_mut(name)
        .map(|p| p.metadata.owner_references = Some(vec![r]));
}

fn owner_uid(w: &World, name: &str) -> Option<String> {
    w.state()
        .pods
        .get(name)
        .and_then(|p| controller_of(&p.metadata).map(|r| r.uid.clone()))
}

/// Ports TestGetPodsForStatefulSetAdopt (stateful_set_test.go).
#[test]
fn adopts_matching_orphans_only() {
    let w = World::new(new_stateful_set(3));
    owned(&w, "foo-1", Some(&[("foo", "bar")]));
    orphan(&w, "foo-2", Some(&[("foo", "bar")]));
    orphan(&w, "foo-3", None);
    orphan(&w, "xfoo-4", Some(&[("foo", "bar")]));
    let p = w.plan();
    assert_eq!(
        p.claim,
        vec![crate::statefulset::plan::Action::AdoptPod {
            name: "foo-2".into(),
            uid: "foo-2-uid".into()
        }]
    );
    let _ = w.sync();
    assert_eq!(owner_uid(&w, "foo-2").as_deref(), Some("test"));
    assert_eq!(owner_uid(&w, "foo-3"), None);
    assert_eq!(owner_uid(&w, "xfoo-4"), None);
}

/// Ports TestGetPodsForStatefulSetRelease (stateful_set_test.go).
#[test]
fn releases_owned_pods_that_no_longer_match() {
    let w = World::new(new_stateful_set(3));
    owned(&w, "foo-1", Some(&[("foo", "bar")]));
    owned(&w, "xfoo-2", Some(&[("foo", "bar")]));
    owned(&w, "foo-3", None);
    orphan(&w, "foo-4", None);
    let _ = w.sync();
    let calls = w.calls();
    assert!(calls.contains(&Call::ReleasePod("xfoo-2".into())));
    assert!(calls.contains(&Call::ReleasePod("foo-3".into())));
    assert!(!calls
        .iter()
        .any(|c| matches!(c, Call::ReleasePod(n) | Call::AdoptPod(n) if n == "foo-1" || n == "foo-4")));
    assert_eq!(owner_uid(&w, "xfoo-2"), None);
}

/// Ports TestAdoptOrphanRevisions (stateful_set_test.go).
#[test]
fn adopts_orphan_revisions() {
    let w = World::new(new_stateful_set(1));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    for r in w.state().revisions.values_mut() {
        r.metadata.owner_references = None;
    }
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w
        .revisions()
        .iter()
        .all(|r| controller_of(&r.metadata).is_some_and(|o| o.uid == "test")));
}

/// Ports TestStatefulSetControllerDeletionTimestamp (stateful_set_test.go).
#[test]
fn a_deleting_set_creates_nothing() {
    let mut set = new_stateful_set(3);
    set.metadata.deletion_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH));
    let w = World::new(set);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.pods().is_empty());
    assert!(!w
        .calls()
        .iter()
        .any(|c| matches!(c, Call::CreatePod(_) | Call::DeletePod(_))));
}

/// Ports TestStatefulSetControllerDeletionTimestampRace (stateful_set_test.go): the live GET says
/// the set is being deleted, so neither the orphan pod nor the orphan revision is adopted.
#[test]
fn a_set_deleted_behind_the_cache_adopts_nothing() {
    let w = World::new(new_stateful_set(3));
    orphan(&w, "foo-1", Some(&[("foo", "bar")]));
    w.state().live_set = Some(Some(LiveSet {
        uid: set_uid(&w.set()).into(),
        deleting: true,
    }));
    let r = w.sync();
    assert!(matches!(r, Err(SyncError::CannotAdopt { .. })), "{r:?}");
    assert_eq!(owner_uid(&w, "foo-1"), None);
    w.state().live_set = Some(Some(LiveSet {
        uid: "another".into(),
        deleting: false,
    }));
    assert!(matches!(w.sync(), Err(SyncError::CannotAdopt { .. })));
    assert!(w.calls().is_empty(), "{:?}", w.calls());
}

/// Ports TestStatefulSetControllerRespectsTermination (stateful_set_test.go).
#[test]
fn terminating_condemned_pods_are_neither_deleted_again_nor_waited_on() {
    let w = World::new(new_stateful_set(3));
    scale_up(&w, &mut Rng::new(1)).unwrap_or_else(|e| panic!("{e}"));
    w.add_terminating_pod(3);
    w.add_terminating_pod(4);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.pods().len(), 5);
    assert_eq!(w.status().replicas, 5);
    assert!(!w.calls().iter().any(|c| matches!(c, Call::DeletePod(_))));
    w.remove_pod(3);
    w.remove_pod(4);
    w.update_spec(|s| s.replicas = Some(0));
    super::harness::scale_down(&w).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.status().replicas, 0);
}

/// Ports TestStatefulSetControllerBlocksScaling (stateful_set_test.go).
#[test]
fn a_terminating_pod_blocks_ordered_scale_up() {
    let w = World::new(new_stateful_set(3));
    scale_up(&w, &mut Rng::new(2)).unwrap_or_else(|e| panic!("{e}"));
    w.update_spec(|s| s.replicas = Some(5));
    w.set_terminating(0);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.pods().len(), 3);
    w.remove_pod(0);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.ordinals(), vec![0, 1, 2], "pod 0 is recreated first, no pod 3 yet");
}

/// Spec S2: OrderedReady scale-down halts while any remaining replica is unhealthy, then deletes
/// from the top one pod at a time, waiting until each is gone.
#[test]
fn ordered_scale_down_halts_on_unhealthy_pods_and_goes_top_down() {
    let w = World::new(new_stateful_set(3));
    w.state().graceful = true;
    scale_up(&w, &mut Rng::new(3)).unwrap_or_else(|e| panic!("{e}"));
    for o in 0..3 {
        w.set_not_ready(o);
    }
    w.update_spec(|s| s.replicas = Some(0));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(!w.calls().iter().any(|c| matches!(c, Call::DeletePod(_))), "halted");
    for o in 0..3 {
        w.set_ready(o);
    }
    let mut deleted = Vec::new();
    for _ in 0..10 {
        w.take_calls();
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        let d: Vec<String> = w
            .calls()
            .into_iter()
            .filter_map(|c| if let Call::DeletePod(n) = c { Some(n) } else { None })
            .collect();
        assert!(d.len() <= 1);
        deleted.extend(d);
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            w.calls().iter().filter(|c| matches!(c, Call::DeletePod(_))).count() <= 1,
            "waits for termination"
        );
        w.kubelet_all();
    }
    assert_eq!(deleted, vec!["foo-2", "foo-1", "foo-0"]);
}

/// Spec S3: Parallel scaling ignores health.
#[test]
fn parallel_scaling_ignores_unhealthy_pods() {
    let w = World::new(burst(new_stateful_set(1)));
    scale_up(&w, &mut Rng::new(4)).unwrap_or_else(|e| panic!("{e}"));
    w.set_not_ready(0);
    w.update_spec(|s| s.replicas = Some(3));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.ordinals(), vec![0, 1, 2]);
    w.update_spec(|s| s.replicas = Some(0));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.pods().is_empty());
}

/// Ports TestStaleOwnerRefOnScaleup (stateful_set_test.go): whenScaled=Delete leaves a claim
/// owned by the old pod; the pod is not recreated until the claim is gone.
#[test]
fn a_stale_claim_blocks_recreating_the_pod() {
    let mut set = new_stateful_set(3);
    set.spec.as_mut().map(|s| {
        s.persistent_volume_claim_retention_policy = Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_scaled: Some("Delete".into()),
            when_deleted: Some("Retain".into()),
        })
    });
    let w = World::new(set);
    scale_up(&w, &mut Rng::new(5)).unwrap_or_else(|e| panic!("{e}"));
    w.state().graceful = true;
    w.update_spec(|s| s.replicas = Some(2));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    let claim = w
        .claim("datadir-foo-2")
        .unwrap_or_else(|| panic!("claim kept until gc"));
    let old_uid = w.pod(2).and_then(|p| p.metadata.uid).unwrap_or_default();
    assert!(claim
        .metadata
        .owner_references
        .iter()
        .flatten()
        .any(|r| r.kind == "Pod" && r.uid == old_uid));
    // Remove the pod without the fake's garbage collection of its claim.
    w.state().pods.remove("foo-2");
    w.update_spec(|s| s.replicas = Some(3));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.pod(2).is_none(), "not created while the claim is stale");
    w.state().claims.remove("datadir-foo-2");
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.pod(2).is_some());
    assert!(w
        .claim("datadir-foo-2")
        .is_some_and(|c| c.metadata.owner_references.is_none()));
}

/// Ports TestOrphanedPodsWithPVCDeletePolicy (stateful_set_test.go): re-adopted pods get claim refs
/// per the policy.
#[test]
fn adopted_pods_get_claim_refs_for_the_policy() {
    let w = World::new(new_stateful_set(2));
    scale_up(&w, &mut Rng::new(6)).unwrap_or_else(|e| panic!("{e}"));
    for p in w.state().pods.values_mut() {
        p.metadata.owner_references = None;
    }
    w.update_spec(|s| {
        s.persistent_volume_claim_retention_policy = Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_scaled: Some("Retain".into()),
            when_deleted: Some("Delete".into()),
        })
    });
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    for c in ["datadir-foo-0", "datadir-foo-1"] {
        assert!(
            w.claim(c)
                .is_some_and(|c| c.metadata.owner_references.iter().flatten().any(|r| r.uid == "test")),
            "{c}"
        );
    }
}

fn max_unavailable_world(parallel: bool) -> World {
    let mut set = new_stateful_set(6);
    set.spec.as_mut().map(|s| {
        s.update_strategy = Some(StatefulSetUpdateStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateStatefulSetStrategy {
                partition: Some(3),
                max_unavailable: Some(IntOrString::Int(2)),
            }),
        })
    });
    let set = if parallel { burst(set) } else { set };
    let mut w = World::new(set);
    w.features.max_unavailable_stateful_set = true;
    scale_up(&w, &mut Rng::new(7)).unwrap_or_else(|e| panic!("{e}"));
    w.update_spec(|s| {
        s.template
            .spec
            .as_mut()
            .map(|p| p.containers[0].image = Some("foo".into()));
    });
    w
}

/// Ports TestStatefulSetControlRollingUpdateWithMaxUnavailable (stateful_set_control_test.go; spec S9).
#[test]
fn max_unavailable_rolls_two_at_a_time_above_the_partition() {
    for parallel in [false, true] {
        let w = max_unavailable_world(parallel);
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.ordinals(), vec![0, 1, 2, 3], "parallel={parallel}");
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        if parallel {
            assert_eq!(w.ordinals(), vec![0, 1, 2, 3, 4, 5]);
            w.set_ready(4);
            w.set_phase(5, "Running");
        } else {
            assert_eq!(w.ordinals(), vec![0, 1, 2, 3, 4]);
            w.set_ready(4);
            w.sync().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(w.ordinals(), vec![0, 1, 2, 3, 4, 5]);
            w.set_ready(5);
        }
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.ordinals(), vec![0, 1, 2, 4, 5], "parallel={parallel}: pod 3 goes");
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.ordinals(), vec![0, 1, 2, 3, 4, 5]);
        for o in 3..6 {
            w.set_ready(o);
        }
        w.take_calls();
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !w.calls()
                .iter()
                .any(|c| matches!(c, Call::DeletePod(_) | Call::CreatePod(_))),
            "pods 0-2 are never touched"
        );
    }
}

/// Ports TestStatefulSetControlRollingUpdateWithMaxUnavailableInOrderedModeVerifyInvariant
/// (stateful_set_control_test.go): k terminating pods leave room for max(0, 2 - k) deletions.
/// Upstream calls `updateStatefulSetAfterInvariantEstablished` directly; through the whole plan the
/// OrderedReady replica loop would block on the terminating pod first, so this runs Parallel.
#[test]
fn max_unavailable_counts_terminating_pods() {
    for terminating in [
        vec![],
        vec![5],
        vec![3],
        vec![4],
        vec![5, 4],
        vec![5, 3],
        vec![4, 3],
        vec![5, 4, 3],
        vec![2],
        vec![1],
    ] {
        let w = max_unavailable_world(true);
        for o in &terminating {
            w.set_terminating(*o);
        }
        let p = w.plan();
        let deletes = p
            .actions()
            .filter(|a| matches!(a, crate::statefulset::plan::Action::DeletePod { .. }))
            .count();
        assert_eq!(deletes, 2usize.saturating_sub(terminating.len()), "{terminating:?}");
    }
}

/// Ports TestStatefulSetControlRollingUpdateRespectsMinReadySeconds (stateful_set_control_test.go):
/// the rollout waits until the replacement is available, not just Ready.
#[test]
fn rolling_update_waits_for_availability() {
    let mut set = new_stateful_set(3);
    set.spec.as_mut().map(|s| s.min_ready_seconds = Some(30));
    let w = World::new(set);
    scale_up(&w, &mut Rng::new(8)).unwrap_or_else(|e| panic!("{e}"));
    w.update_spec(|s| {
        s.template
            .spec
            .as_mut()
            .map(|p| p.containers[0].image = Some("foo".into()));
    });
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.pod(2).is_some());
    w.set_ready_since(2, w.now - SignedDuration::from_secs(10));
    w.take_calls();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !w.calls().iter().any(|c| matches!(c, Call::DeletePod(_))),
        "ready but not available"
    );
    assert!(w
        .plan()
        .requeue_after
        .is_some_and(|d| d <= std::time::Duration::from_secs(21)));
    w.set_ready_since(2, w.now - SignedDuration::from_secs(31));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.calls().contains(&Call::DeletePod("foo-1".into())));
}

/// Ports TestStatefulSetControlOnDeleteStrategyIgnoresMinReadySeconds (stateful_set_control_test.go).
#[test]
fn on_delete_never_deletes_for_updates() {
    let mut set = new_stateful_set(3);
    set.spec.as_mut().map(|s| {
        s.min_ready_seconds = Some(30);
        s.update_strategy = Some(StatefulSetUpdateStrategy {
            type_: Some("OnDelete".into()),
            rolling_update: None,
        });
    });
    let w = World::new(set);
    scale_up(&w, &mut Rng::new(9)).unwrap_or_else(|e| panic!("{e}"));
    w.update_spec(|s| {
        s.template
            .spec
            .as_mut()
            .map(|p| p.containers[0].image = Some("foo".into()));
    });
    w.take_calls();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(!w.calls().iter().any(|c| matches!(c, Call::DeletePod(_))));
    assert_ne!(w.status().current_revision, w.status().update_revision);
}
