//! Ports of `stateful_set_control_test.go` (`TestStatefulSetControl` and friends) over the
//! in-memory world: every scenario runs for OrderedReady and Parallel × the retention policies.

use k8s_openapi::api::apps::v1::{RollingUpdateStatefulSetStrategy, StatefulSetOrdinals, StatefulSetUpdateStrategy};

use super::harness::{images, invariants, scale_down, scale_up, update, Rng};
use super::world::{variants, Call, Op, World};
use crate::statefulset::identity::{pod_revision, POD_INDEX_LABEL};
use crate::statefulset::plan::allows_burst;
use crate::statefulset::pods::is_created;

fn for_all(replicas: i32, test: impl Fn(&str, World)) {
    for (name, set) in variants(replicas) {
        test(&name, World::new(set));
    }
}

fn set_replicas(w: &World, n: i32) {
    w.update_spec(|s| s.replicas = Some(n));
}

fn set_image(w: &World, image: &str) {
    w.update_spec(|s| {
        if let Some(c) = s.template.spec.as_mut().and_then(|p| p.containers.first_mut()) {
            c.image = Some(image.into());
        }
    });
}

fn counts(w: &World) -> (i32, i32, i32) {
    let s = w.status();
    (
        s.replicas,
        s.ready_replicas.unwrap_or(0),
        s.updated_replicas.unwrap_or(0),
    )
}

/// Ports TestStatefulSetControl/CreatesPods (stateful_set_control_test.go), including the
/// pod-index label of CreatesPodsWithPodIndexLabelFeature.
#[test]
fn creates_pods() {
    for_all(3, |name, w| {
        scale_up(&w, &mut Rng::new(1)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (3, 3, 3), "{name}");
        for (i, p) in w.pods().iter().enumerate() {
            let idx = p.metadata.labels.as_ref().and_then(|l| l.get(POD_INDEX_LABEL)).cloned();
            assert_eq!(idx, Some(i.to_string()), "{name}");
        }
    });
}

/// Ports TestStatefulSetControl/ScalesUp (stateful_set_control_test.go).
#[test]
fn scales_up() {
    for_all(3, |name, w| {
        scale_up(&w, &mut Rng::new(2)).unwrap_or_else(|e| panic!("{name}: {e}"));
        set_replicas(&w, 4);
        scale_up(&w, &mut Rng::new(3)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (4, 4, 4), "{name}");
    });
}

/// Ports TestStatefulSetControl/ScalesDown (stateful_set_control_test.go).
#[test]
fn scales_down() {
    for_all(3, |name, w| {
        scale_up(&w, &mut Rng::new(4)).unwrap_or_else(|e| panic!("{name}: {e}"));
        set_replicas(&w, 0);
        scale_down(&w).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (0, 0, 0), "{name}");
        assert!(w.pods().is_empty(), "{name}");
    });
}

/// Ports TestStatefulSetControl/ReplacesPods (stateful_set_control_test.go).
#[test]
fn replaces_pods() {
    for_all(5, |name, w| {
        scale_up(&w, &mut Rng::new(5)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for c in w.claim_names() {
            let kinds: Vec<String> = w
                .claim(&c)
                .iter()
                .flat_map(|c| c.metadata.owner_references.iter().flatten().map(|r| r.kind.clone()))
                .collect();
            assert!(!kinds.contains(&"Pod".to_string()), "{name}: {c} has a pod ref");
        }
        for ord in [0, 2, 4] {
            w.remove_pod(ord);
        }
        for _ in 0..50 {
            w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
            if w.status().replicas == 5 && w.status().ready_replicas == Some(5) {
                break;
            }
            w.kubelet_all();
        }
        assert_eq!(w.status().replicas, 5, "{name}");
        assert_eq!(w.ordinals(), vec![0, 1, 2, 3, 4], "{name}");
    });
}

fn recreates_terminal_pod(phase: &str) {
    for_all(3, |name, w| {
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        let burst = allows_burst(&w.set());
        assert_eq!(w.pods().len(), if burst { 3 } else { 1 }, "{name}");
        w.set_phase(0, phase);
        for ord in 1..3 {
            w.set_phase(ord, "Pending");
        }
        let uid = w.pod(0).and_then(|p| p.metadata.uid);
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.count_calls(|c| matches!(c, Call::DeletePod(_))), 1, "{name}");
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            w.count_calls(|c| matches!(c, Call::DeletePod(_))),
            1,
            "{name}: no second delete"
        );
        let pod = w.pod(0).unwrap_or_else(|| panic!("{name}: pod 0 recreated"));
        assert_ne!(pod.metadata.uid, uid, "{name}");
        assert_eq!(
            w.count_calls(|c| matches!(c, Call::CreatePod(_))),
            if burst { 4 } else { 2 },
            "{name}"
        );
    });
}

/// Ports TestStatefulSetControl/RecreatesFailedPod (stateful_set_control_test.go).
#[test]
fn recreates_failed_pod() {
    recreates_terminal_pod("Failed");
}

/// Ports TestStatefulSetControl/RecreatesSucceededPod (stateful_set_control_test.go).
#[test]
fn recreates_succeeded_pod() {
    recreates_terminal_pod("Succeeded");
}

/// Ports TestStatefulSetControl/RecreatesFailedPodWithDeleteFailure (stateful_set_control_test.go).
#[test]
fn recreates_failed_pod_with_delete_failure() {
    for_all(3, |name, w| {
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        w.set_phase(0, "Failed");
        w.fail(Op::DeletePod, 0);
        assert!(w.sync().is_err(), "{name}: the first delete fails");
        assert_eq!(w.count_calls(|c| matches!(c, Call::DeletePod(_))), 1, "{name}");
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.count_calls(|c| matches!(c, Call::DeletePod(_))), 2, "{name}");
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            w.pod(0).is_some_and(|p| p
                .status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_none_or(|p| p != "Failed")),
            "{name}"
        );
    });
}

/// Ports TestStatefulSetControl/CreatePodFailure (stateful_set_control_test.go).
#[test]
fn create_pod_failure() {
    for_all(3, |name, w| {
        w.fail(Op::CreatePod, 2);
        let err = scale_up(&w, &mut Rng::new(6));
        assert!(err.is_err(), "{name}: scale up reports the failed create");
        assert!(w.events().iter().any(|e| e.reason == "FailedCreate"), "{name}");
        scale_up(&w, &mut Rng::new(7)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (3, 3, 3), "{name}");
    });
}

/// Ports TestStatefulSetControl/UpdatePodFailure (stateful_set_control_test.go): a pod renamed in
/// the cache gets its identity fixed, and a failing update fails the sync.
#[test]
fn update_pod_failure() {
    for_all(3, |name, w| {
        scale_up(&w, &mut Rng::new(8)).unwrap_or_else(|e| panic!("{name}: {e}"));
        w.fail(Op::UpdatePod, 0);
        w.edit_pod(0, |p| {
            p.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert(crate::statefulset::identity::POD_NAME_LABEL.into(), "goo-0".into());
        });
        assert!(w.sync().is_err(), "{name}");
        assert!(w.events().iter().any(|e| e.reason == "FailedUpdate"), "{name}");
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(super::harness::invariants(&w).is_ok(), "{name}");
    });
}

/// Ports TestStatefulSetControl/UpdateSetStatusFailure (stateful_set_control_test.go).
#[test]
fn update_set_status_failure() {
    for_all(3, |name, w| {
        w.fail(Op::UpdateStatus, 2);
        assert!(scale_up(&w, &mut Rng::new(9)).is_err(), "{name}");
        scale_up(&w, &mut Rng::new(10)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (3, 3, 3), "{name}");
    });
}

/// Ports TestStatefulSetControl/NewRevisionDeletePodFailure (stateful_set_control_test.go).
#[test]
fn new_revision_delete_pod_failure() {
    for_all(3, |name, w| {
        scale_up(&w, &mut Rng::new(11)).unwrap_or_else(|e| panic!("{name}: {e}"));
        set_image(&w, "nginx-new");
        w.fail(Op::DeletePod, 0);
        assert!(w.sync().is_err(), "{name}");
        let st = w.status();
        assert_eq!(st.current_replicas, Some(3), "{name}: status still written");
        assert_ne!(st.current_revision, st.update_revision, "{name}");
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.status().current_replicas, Some(2), "{name}: one pod deleted");
    });
}

/// Ports TestStatefulSetControl/RecreatesPVCForPendingPod (stateful_set_control_test.go).
#[test]
fn recreates_pvc_for_pending_pod() {
    for_all(3, |name, w| {
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        w.state().claims.remove("datadir-foo-0");
        w.set_phase(0, "Pending");
        w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(w.claim("datadir-foo-0").is_some(), "{name}");
    });
}

/// Ports TestStatefulSetControlWithStartOrdinal/CreatesPodsWithStartOrdinal (stateful_set_control_test.go).
#[test]
fn creates_pods_with_start_ordinal() {
    for (name, mut set) in variants(3) {
        if let Some(s) = set.spec.as_mut() {
            s.ordinals = Some(StatefulSetOrdinals { start: Some(2) });
        }
        let w = World::new(set);
        scale_up(&w, &mut Rng::new(12)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (3, 3, 3), "{name}");
        assert_eq!(w.ordinals(), vec![2, 3, 4], "{name}");
        assert!(
            w.claim("datadir-foo-2").is_some() && w.claim("datadir-foo-4").is_some(),
            "{name}"
        );
    }
}

/// Ports TestStatefulSetControlScaleDownDeleteError (stateful_set_control_test.go).
#[test]
fn scale_down_delete_error() {
    for_all(3, |name, w| {
        scale_up(&w, &mut Rng::new(13)).unwrap_or_else(|e| panic!("{name}: {e}"));
        set_replicas(&w, 0);
        w.fail(Op::DeletePod, 0);
        assert!(scale_down(&w).is_err(), "{name}");
        scale_down(&w).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(counts(&w), (0, 0, 0), "{name}");
    });
}

fn rolling_cases() -> Vec<(&'static str, i32, Option<i32>)> {
    vec![
        ("update", 3, None),
        ("update and scale up", 3, Some(5)),
        ("update and scale down", 5, Some(3)),
    ]
}

/// Ports TestStatefulSetControlRollingUpdate (stateful_set_control_test.go): after the update
/// converges every pod runs the new image.
#[test]
fn rolling_update() {
    for (case, initial, scale) in rolling_cases() {
        for (name, set) in variants(initial) {
            let w = World::new(set);
            scale_up(&w, &mut Rng::new(14)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            set_image(&w, "foo");
            if let Some(n) = scale {
                set_replicas(&w, n);
            }
            update(&w, &mut Rng::new(15)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            let want = scale.unwrap_or(initial) as usize;
            assert_eq!(images(&w), vec!["foo".to_string(); want], "{case} {name}");
            let st = w.status();
            assert_eq!(st.current_revision, st.update_revision, "{case} {name}");
        }
    }
}

/// Ports TestStatefulSetControlOnDeleteUpdate (stateful_set_control_test.go).
#[test]
fn on_delete_update() {
    for (case, initial, scale) in rolling_cases() {
        for (name, mut set) in variants(initial) {
            if let Some(s) = set.spec.as_mut() {
                s.update_strategy = Some(StatefulSetUpdateStrategy {
                    type_: Some("OnDelete".into()),
                    rolling_update: None,
                });
            }
            let w = World::new(set);
            scale_up(&w, &mut Rng::new(16)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            set_image(&w, "foo");
            let want = scale.unwrap_or(initial);
            set_replicas(&w, want);
            let mut rng = Rng::new(17);
            if want >= initial {
                scale_up(&w, &mut rng).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            } else {
                scale_down(&w).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            }
            let expect: Vec<String> = (0..want)
                .map(|i| if i < initial { "nginx".into() } else { "foo".into() })
                .collect();
            assert_eq!(images(&w), expect, "{case} {name}");
            assert!(
                w.calls()
                    .iter()
                    .all(|c| !matches!(c, Call::DeletePod(_)) || want < initial),
                "{case} {name}: no update deletes"
            );
            set_replicas(&w, 0);
            scale_down(&w).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            set_replicas(&w, want);
            scale_up(&w, &mut rng).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            assert_eq!(images(&w), vec!["foo".to_string(); want as usize], "{case} {name}");
        }
    }
}

/// Ports TestStatefulSetControlRollingUpdateWithPartition (stateful_set_control_test.go).
#[test]
fn rolling_update_with_partition() {
    for (case, initial, scale) in rolling_cases().into_iter().take(2) {
        for (name, mut set) in variants(initial) {
            if let Some(s) = set.spec.as_mut() {
                s.update_strategy = Some(StatefulSetUpdateStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateStatefulSetStrategy {
                        partition: Some(2),
                        max_unavailable: None,
                    }),
                });
            }
            let w = World::new(set);
            scale_up(&w, &mut Rng::new(18)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            set_image(&w, "foo");
            if let Some(n) = scale {
                set_replicas(&w, n);
            }
            update(&w, &mut Rng::new(19)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            let want = scale.unwrap_or(initial);
            let expect: Vec<String> = (0..want)
                .map(|i| if i < 2 { "nginx".into() } else { "foo".into() })
                .collect();
            assert_eq!(images(&w), expect, "{case} {name}");
        }
    }
}

/// Ports TestStatefulSetControlLimitsHistory (stateful_set_control_test.go).
#[test]
fn limits_history() {
    for (name, set) in variants(3) {
        let w = World::new(set);
        scale_up(&w, &mut Rng::new(20)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for i in 0..10 {
            set_image(&w, &format!("foo-{i}"));
            update(&w, &mut Rng::new(21 + i)).unwrap_or_else(|e| panic!("{name}: {e}"));
            w.sync().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                w.revisions().len() <= 2 + 2,
                "{name}: {} revisions",
                w.revisions().len()
            );
        }
    }
}

/// Ports TestStatefulSetHonorRevisionHistoryLimit (stateful_set_control_test.go): the limit holds
/// even while status updates fail.
#[test]
fn honor_revision_history_limit() {
    for (name, set) in variants(3) {
        let w = World::new(set);
        scale_up(&w, &mut Rng::new(30)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for i in 0..7 {
            set_image(&w, &format!("foo-{i}"));
            w.fail(Op::UpdateStatus, 0);
            let _ = w.sync();
            w.fail(Op::UpdateStatus, 0);
            let _ = w.sync();
            update(&w, &mut Rng::new(31 + i)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(w.revisions().len() <= 4, "{name}: {} revisions", w.revisions().len());
        }
    }
}

/// Ports TestStatefulSetControlRollback (stateful_set_control_test.go): apply the oldest revision
/// and converge back to the original image.
#[test]
fn rollback() {
    for (case, initial, scale) in rolling_cases() {
        for (name, set) in variants(initial) {
            let w = World::new(set);
            scale_up(&w, &mut Rng::new(40)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            let original = w.set().spec.map(|s| s.template).unwrap_or_default();
            set_image(&w, "foo");
            if let Some(n) = scale {
                set_replicas(&w, n);
            }
            update(&w, &mut Rng::new(41)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            let mut revs = w.revisions();
            crate::statefulset::revision::sort_revisions(&mut revs);
            let oldest = crate::statefulset::revision::apply_revision(&w.set(), &revs[0]);
            let patch = |t: &k8s_openapi::api::core::v1::PodTemplateSpec| crate::statefulset::revision::patch_value(t);
            assert_eq!(
                oldest.spec.as_ref().map(|s| patch(&s.template)),
                Some(patch(&original)),
                "{case} {name}"
            );
            w.update_spec(|s| s.template = original.clone());
            update(&w, &mut Rng::new(42)).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
            let want = scale.unwrap_or(initial) as usize;
            assert_eq!(images(&w), vec!["nginx".to_string(); want], "{case} {name}");
            assert_eq!(
                w.revisions().len(),
                2,
                "{case} {name}: the rollback reuses the old revision"
            );
        }
    }
}

/// Ports TestStatefulSetAvailability (stateful_set_control_test.go).
#[test]
fn availability_counts_pods_ready_for_min_ready_seconds() {
    for (ago_minutes, available) in [(120, 1), (30, 0)] {
        let mut set = super::world::new_stateful_set(1);
        if let Some(s) = set.spec.as_mut() {
            s.min_ready_seconds = Some(3600);
        }
        let w = World::new(set);
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        w.set_ready_since(0, w.now - k8s_openapi::jiff::SignedDuration::from_mins(ago_minutes));
        w.sync().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            w.status().available_replicas,
            Some(available),
            "ready {ago_minutes} min ago"
        );
        let p = w.plan();
        assert_eq!(p.requeue_after.is_some(), available == 0, "requeues until available");
    }
}

/// Ports TestStatefulSetStatusUpdate (stateful_set_control_test.go): exactly one status write
/// per sync whatever fails; the sync error wins.
#[test]
fn status_is_written_once_whatever_fails() {
    for (sync_fails, status_fails) in [(false, false), (true, false), (false, true), (true, true)] {
        let w = World::new(super::world::new_stateful_set(3));
        if sync_fails {
            w.fail(Op::CreatePod, 0);
        }
        if status_fails {
            w.fail(Op::UpdateStatus, 0);
        }
        let r = w.sync();
        assert_eq!(
            w.count_calls(|c| *c == Call::UpdateStatus),
            1,
            "{sync_fails} {status_fails}"
        );
        match (sync_fails, status_fails) {
            (false, false) => assert!(r.is_ok()),
            (true, _) => assert!(
                matches!(r, Err(crate::statefulset::exec::SyncError::Pods { .. })),
                "{r:?}"
            ),
            (false, true) => assert!(
                matches!(r, Err(crate::statefulset::exec::SyncError::Status { .. })),
                "{r:?}"
            ),
        }
    }
}

/// Ports TestParallelScale / parallelScale (stateful_set_control_test.go): Parallel scaling reaches
/// its target within two syncs, in slow-start batches.
#[test]
fn parallel_scale_reaches_target_in_two_syncs() {
    for (from, to, min_batch) in [(3, 30, 2), (10, 1, 1), (501, 0, 10), (0, 1000, 20)] {
        let w = World::new(super::world::burst(super::world::new_stateful_set(from)));
        for _ in 0..3 {
            w.sync().unwrap_or_else(|e| panic!("{e}"));
            w.kubelet_all();
        }
        assert_eq!(w.pods().len(), from as usize);
        set_replicas(&w, to);
        let p = w.plan();
        let largest = p.groups.iter().map(|g| g.tasks.len()).max().unwrap_or(0);
        assert!(
            largest >= min_batch.min(to.abs_diff(from) as usize),
            "{from}->{to}: largest batch {largest}"
        );
        assert!(p
            .groups
            .iter()
            .all(|g| g.tasks.len() <= crate::statefulset::control::MAX_BATCH_SIZE));
        for _ in 0..2 {
            w.sync().unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(w.pods().len(), to as usize, "{from}->{to}");
    }
}

/// Ports TestStatefulSetControl/CreatesPods/Monotonic ordering: one create per sync, blocked on the
/// predecessor.
#[test]
fn ordered_ready_creates_one_pod_per_sync_and_waits_for_readiness() {
    let w = World::new(super::world::new_stateful_set(3));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.ordinals(), vec![0]);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.ordinals(), vec![0], "pod 0 is not ready yet");
    w.set_ready(0);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.ordinals(), vec![0, 1]);
    assert!(w.pods().iter().all(is_created));
    assert!(invariants(&w).is_ok());
    let revs: Vec<String> = w.pods().iter().map(|p| pod_revision(p).to_string()).collect();
    assert!(revs.iter().all(|r| Some(r) == w.status().update_revision.as_ref()));
}
