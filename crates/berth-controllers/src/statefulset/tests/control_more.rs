//! Later ports: the ScaleDown / Zero / Partition minReadySeconds tests of
//! `stateful_set_control_test.go`, `TestStatefulPodControlUpdatePodConflictSuccess`
//! (`stateful_pod_control_test.go`) and `TestAscendingOrdinal` (`stateful_set_utils_test.go`).

use k8s_openapi::api::apps::v1::{RollingUpdateStatefulSetStrategy, StatefulSetUpdateStrategy};
use k8s_openapi::jiff::SignedDuration;

use super::harness::{scale_down, scale_up, Rng};
use super::world::{new_stateful_set, Call, World};
use crate::statefulset::events::EventType;

fn with_min_ready(replicas: i32, mrs: i32) -> World {
    let mut set = new_stateful_set(replicas);
    set.spec.as_mut().map(|s| s.min_ready_seconds = Some(mrs));
    World::new(set)
}

fn set_image(w: &World, image: &str) {
    w.update_spec(|s| {
        s.template
            .spec
            .as_mut()
            .map(|p| p.containers[0].image = Some(image.into()));
    });
}

fn deleted(w: &World) -> Vec<String> {
    w.calls()
        .into_iter()
        .filter_map(|c| if let Call::DeletePod(n) = c { Some(n) } else { None })
        .collect()
}

/// Ports TestStatefulSetControlScaleDownRespectsMinReadySeconds (stateful_set_control_test.go):
/// under OrderedReady, scale-down waits until the remaining replicas are available, and a
/// condemned pod that is Ready but not yet available waits too unless it is the lowest unavailable.
#[test]
fn scale_down_respects_min_ready_seconds() {
    let w = with_min_ready(3, 30);
    scale_up(&w, &mut Rng::new(11)).unwrap_or_else(|e| panic!("{e}"));
    let recent = w.now - SignedDuration::from_secs(10);
    for o in 0..3 {
        w.set_ready_since(o, recent);
    }
    w.update_spec(|s| s.replicas = Some(1));
    w.take_calls();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), Vec::<String>::new(), "foo-0 is Ready but not available");

    // foo-0 available; foo-1 (the lowest unavailable) and foo-2 are not: foo-2 must wait.
    w.set_ready(0);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        deleted(&w),
        Vec::<String>::new(),
        "foo-2 is not available and not the lowest unavailable pod"
    );
    w.set_ready(2);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), ["foo-2"]);
    w.take_calls();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        deleted(&w),
        ["foo-1"],
        "the lowest unavailable condemned pod may go unavailable"
    );
    assert_eq!(w.ordinals(), vec![0]);
}

/// Ports TestStatefulSetControlRollingUpdateZeroMinReadySeconds (stateful_set_control_test.go):
/// with minReadySeconds 0 a pod is available as soon as it is Ready, so the rollout goes on at once.
#[test]
fn zero_min_ready_seconds_counts_ready_pods_as_available() {
    let w = with_min_ready(3, 0);
    scale_up(&w, &mut Rng::new(12)).unwrap_or_else(|e| panic!("{e}"));
    set_image(&w, "foo");
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), ["foo-2"]);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.pod(2).is_some(), "recreated");
    w.set_ready_since(2, w.now);
    w.take_calls();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        deleted(&w),
        ["foo-1"],
        "Ready just now is available with minReadySeconds 0"
    );
    let st = w.status();
    assert_eq!(st.available_replicas, st.ready_replicas);
    assert_eq!(w.plan().requeue_after, None);
}

/// Ports TestStatefulSetControlPartitionRollingUpdateWithMinReadySeconds
/// (stateful_set_control_test.go): above the partition each replacement must be available before
/// the next pod goes; below it nothing is touched.
#[test]
fn partition_rolling_update_waits_for_availability_above_the_partition() {
    let mut set = new_stateful_set(3);
    set.spec.as_mut().map(|s| {
        s.min_ready_seconds = Some(30);
        s.update_strategy = Some(StatefulSetUpdateStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateStatefulSetStrategy {
                partition: Some(1),
                max_unavailable: None,
            }),
        });
    });
    let w = World::new(set);
    scale_up(&w, &mut Rng::new(13)).unwrap_or_else(|e| panic!("{e}"));
    set_image(&w, "foo");
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), ["foo-2"]);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    w.set_ready_since(2, w.now - SignedDuration::from_secs(10));
    w.take_calls();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), Vec::<String>::new(), "foo-2 is Ready but not available");
    w.set_ready_since(2, w.now - SignedDuration::from_secs(31));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), ["foo-1"]);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    w.set_ready(1);
    w.take_calls();
    for _ in 0..3 {
        w.sync().unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(deleted(&w), Vec::<String>::new(), "foo-0 is below the partition");
    let images: Vec<String> = (0..3)
        .map(|o| {
            w.pod(o)
                .and_then(|p| p.spec?.containers[0].image.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(images, ["nginx", "foo", "foo"]);
}

/// Ports TestStatefulPodControlUpdatePodConflictSuccess (stateful_pod_control_test.go): an
/// identity fix that conflicts once is retried on a fresh copy and succeeds, with one Normal event.
#[test]
fn update_pod_conflict_is_retried_on_a_fresh_copy() {
    let w = World::new(new_stateful_set(1));
    scale_up(&w, &mut Rng::new(14)).unwrap_or_else(|e| panic!("{e}"));
    w.edit_pod(0, |p| {
        p.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("statefulset.kubernetes.io/pod-name".into(), "goo-0".into());
    });
    w.state().update_pod_conflicts = 1;
    let events_before = w.events().len();
    w.take_calls();
    w.sync()
        .unwrap_or_else(|e| panic!("a conflict then success must not fail the sync: {e}"));
    assert_eq!(w.count_calls(|c| matches!(c, Call::UpdatePod(_))), 2);
    assert_eq!(w.count_calls(|c| matches!(c, Call::GetPod(_))), 1);
    let events = &w.events()[events_before..];
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].type_, events[0].reason.as_str()),
        (EventType::Normal, "SuccessfulUpdate")
    );
    let label = w
        .pod(0)
        .and_then(|p| p.metadata.labels?.get("statefulset.kubernetes.io/pod-name").cloned());
    assert_eq!(label.as_deref(), Some("foo-0"), "identity fixed");

    // Conflicts on every attempt: the sync fails with one Warning.
    w.edit_pod(0, |p| {
        p.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("statefulset.kubernetes.io/pod-name".into(), "goo-0".into());
    });
    w.state().update_pod_conflicts = 10;
    let before = w.events().len();
    assert!(w.sync().is_err());
    assert_eq!(
        w.events()[before..]
            .iter()
            .filter(|e| e.type_ == EventType::Warning)
            .count(),
        1
    );
}

/// Ports TestAscendingOrdinal (stateful_set_utils_test.go): pods are ordered by numeric ordinal,
/// not by name, so with 12 replicas OrderedReady creates foo-2 before foo-10 and scale-down
/// deletes foo-11, foo-10, then foo-9.
#[test]
fn ordinals_are_ordered_numerically_not_by_name() {
    let w = World::new(new_stateful_set(12));
    scale_up(&w, &mut Rng::new(15)).unwrap_or_else(|e| panic!("{e}"));
    let created: Vec<String> = w
        .calls()
        .into_iter()
        .filter_map(|c| if let Call::CreatePod(n) = c { Some(n) } else { None })
        .collect();
    let want: Vec<String> = (0..12).map(|i| format!("foo-{i}")).collect();
    assert_eq!(created, want);
    w.take_calls();
    w.update_spec(|s| s.replicas = Some(8));
    scale_down(&w).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted(&w), ["foo-11", "foo-10", "foo-9", "foo-8"]);
}
