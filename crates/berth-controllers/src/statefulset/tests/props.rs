//! Property tests of the planner over random specs and random readiness/failure sequences:
//! OrderedReady ordering, Retain keeps claims, and a converged world plans nothing.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::StatefulSetOrdinals;
use proptest::prelude::*;

use super::world::{burst, new_stateful_set, retention_policies, Call, World};
use crate::statefulset::identity::{in_ordinal_range, ordinal_of, replicas, start_ordinal};
use crate::statefulset::pods::{is_running_and_ready, is_terminating};
use crate::statefulset::retention::{policy, Retention};

#[derive(Clone, Debug)]
enum Step {
    Sync,
    Kubelet(usize),
    Fail(usize),
    Unready(usize),
    Scale(i32),
    Image(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Sync),
        4 => any::<usize>().prop_map(Step::Kubelet),
        1 => any::<usize>().prop_map(Step::Fail),
        1 => any::<usize>().prop_map(Step::Unready),
        1 => (0..6i32).prop_map(Step::Scale),
        1 => (0..3u8).prop_map(Step::Image),
    ]
}

fn world(replicas: i32, parallel: bool, policy_index: usize, start: i32) -> World {
    let mut set = new_stateful_set(replicas);
    if let Some(s) = set.spec.as_mut() {
        s.persistent_volume_claim_retention_policy = retention_policies()[policy_index].1.clone();
        s.ordinals = (start > 0).then_some(StatefulSetOrdinals { start: Some(start) });
    }
    let w = World::new(if parallel { burst(set) } else { set });
    w.state().graceful = true;
    w
}

fn pick(w: &World, i: usize) -> Option<i32> {
    let ords = w.ordinals();
    (!ords.is_empty()).then(|| ords[i % ords.len()])
}

fn ord(name: &str) -> i32 {
    ordinal_of(name)
}

/// Checks the OrderedReady rules for one sync, given the pods before it and the calls it made.
fn check_ordered_sync(
    w: &World,
    before: &[k8s_openapi::api::core::v1::Pod],
    calls: &[Call],
) -> Result<(), TestCaseError> {
    let set = w.set();
    let creates: Vec<i32> = calls
        .iter()
        .filter_map(|c| if let Call::CreatePod(n) = c { Some(ord(n)) } else { None })
        .collect();
    let deletes: Vec<i32> = calls
        .iter()
        .filter_map(|c| if let Call::DeletePod(n) = c { Some(ord(n)) } else { None })
        .collect();
    prop_assert!(creates.len() <= 1, "one create per sync: {creates:?}");
    prop_assert!(deletes.len() <= 1, "one delete per sync: {deletes:?}");
    for k in &creates {
        for j in start_ordinal(&set)..*k {
            let p = before
                .iter()
                .find(|p| ord(p.metadata.name.as_deref().unwrap_or_default()) == j);
            prop_assert!(
                p.is_some_and(|p| is_running_and_ready(p) && !is_terminating(p)),
                "created {k} while {j} was not ready"
            );
        }
    }
    for d in &deletes {
        if !in_ordinal_range(&set, *d) {
            let highest = before
                .iter()
                .map(|p| ord(p.metadata.name.as_deref().unwrap_or_default()))
                .max()
                .unwrap_or(-1);
            prop_assert_eq!(*d, highest, "scale-down deletes the highest ordinal first");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn planner_properties(
        replicas0 in 0..5i32,
        parallel in any::<bool>(),
        policy_index in 0..5usize,
        start in 0..3i32,
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let w = world(replicas0, parallel, policy_index, start);
        let mut claims_seen: BTreeSet<String> = BTreeSet::new();
        for s in steps {
            match s {
                Step::Sync => {
                    let before = w.pods();
                    w.take_calls();
                    let _ = w.sync();
                    if !parallel {
                        check_ordered_sync(&w, &before, &w.calls())?;
                    }
                }
                Step::Kubelet(i) => w.kubelet_step(i),
                Step::Fail(i) => if let Some(o) = pick(&w, i) { w.set_phase(o, "Failed") },
                Step::Unready(i) => if let Some(o) = pick(&w, i) { w.set_not_ready(o) },
                Step::Scale(n) => w.update_spec(|s| s.replicas = Some(n)),
                Step::Image(i) => w.update_spec(|s| {
                    if let Some(p) = s.template.spec.as_mut() { p.containers[0].image = Some(format!("img-{i}")); }
                }),
            }
            if policy(&w.set()).0 == Retention::Retain {
                let now: BTreeSet<String> = w.claim_names().into_iter().collect();
                prop_assert!(claims_seen.is_subset(&now), "claims survive under whenScaled=Retain");
                claims_seen = now;
            }
        }
        // Settle: the kubelet makes everything Ready and finishes terminations.
        for _ in 0..200 {
            let _ = w.sync();
            w.kubelet_all();
        }
        let set = w.set();
        let plan = w.plan();
        prop_assert!(plan.is_idle(), "converged world plans nothing: {:?}", plan.actions().collect::<Vec<_>>());
        prop_assert!(plan.status.is_none(), "and writes no status");
        prop_assert_eq!(w.pods().len() as i32, replicas(&set));
        let st = w.status();
        prop_assert_eq!(st.ready_replicas, Some(replicas(&set)));
        prop_assert_eq!(st.current_revision, st.update_revision);
    }
}
