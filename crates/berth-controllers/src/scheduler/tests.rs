//! Table tests of the scheduler placement and component tests of its driver against a recording fake.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{Taint, Toleration};

use super::plan::{
    misfit, place, plan, tolerates, unschedulable_message, Action, NodeInfo, PodInfo, Readiness, Reason,
};
use super::{sync, PodEntry, PodRef, SchedulerApi, State};
use crate::error::ControllerError;

fn node(name: &str) -> NodeInfo {
    NodeInfo {
        name: name.into(),
        labels: [("kubernetes.io/hostname".to_string(), name.to_string())].into(),
        taints: vec![],
        readiness: Readiness::Ready,
        unschedulable: false,
        max_pods: 110,
    }
}

fn pod(name: &str) -> PodInfo {
    PodInfo {
        namespace: "default".into(),
        name: name.into(),
        uid: format!("{name}-uid"),
        node_selector: BTreeMap::new(),
        tolerations: vec![],
        unschedulable_message: None,
    }
}

fn taint(key: &str, value: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        value: (!value.is_empty()).then(|| value.into()),
        effect: effect.into(),
        ..Taint::default()
    }
}

fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Toleration {
        key: opt(key),
        operator: opt(op),
        value: opt(value),
        effect: opt(effect),
        ..Toleration::default()
    }
}

#[test]
fn tolerations_match_like_upstream() {
    let t = taint("dedicated", "db", "NoSchedule");
    let cases = [
        (toleration("dedicated", "Equal", "db", "NoSchedule"), true),
        (toleration("dedicated", "", "db", ""), true),
        (toleration("dedicated", "Equal", "web", "NoSchedule"), false),
        (toleration("dedicated", "Exists", "", ""), true),
        (toleration("dedicated", "Exists", "", "NoExecute"), false),
        (toleration("", "Exists", "", ""), true),
        (toleration("", "Equal", "", ""), false),
        (toleration("other", "Exists", "", ""), false),
    ];
    for (tol, want) in cases {
        assert_eq!(tolerates(&tol, &t), want, "{tol:?}");
    }
}

#[test]
fn each_filter_gives_upstreams_reason() {
    let mut selective = pod("p");
    selective.node_selector.insert("disktype".into(), "ssd".into());
    let tainted = NodeInfo {
        taints: vec![taint("dedicated", "db", "NoSchedule")],
        ..node("n")
    };
    let cases: Vec<(&str, PodInfo, NodeInfo, i64, Option<Reason>)> = vec![
        ("fits", pod("p"), node("n"), 0, None),
        (
            "cordoned",
            pod("p"),
            NodeInfo {
                unschedulable: true,
                ..node("n")
            },
            0,
            Some(Reason::Unschedulable),
        ),
        (
            "not ready",
            pod("p"),
            NodeInfo {
                readiness: Readiness::NotReady,
                ..node("n")
            },
            0,
            Some(Reason::UntoleratedTaint {
                key: "node.kubernetes.io/not-ready".into(),
                value: String::new(),
            }),
        ),
        (
            "no Ready condition",
            pod("p"),
            NodeInfo {
                readiness: Readiness::Unknown,
                ..node("n")
            },
            0,
            Some(Reason::UntoleratedTaint {
                key: "node.kubernetes.io/unreachable".into(),
                value: String::new(),
            }),
        ),
        (
            "tainted",
            pod("p"),
            tainted.clone(),
            0,
            Some(Reason::UntoleratedTaint {
                key: "dedicated".into(),
                value: "db".into(),
            }),
        ),
        (
            "tolerated taint",
            PodInfo {
                tolerations: vec![toleration("dedicated", "Exists", "", "")],
                ..pod("p")
            },
            tainted,
            0,
            None,
        ),
        (
            "PreferNoSchedule is ignored",
            pod("p"),
            NodeInfo {
                taints: vec![taint("soft", "", "PreferNoSchedule")],
                ..node("n")
            },
            0,
            None,
        ),
        ("selector", selective.clone(), node("n"), 0, Some(Reason::NodeSelector)),
        (
            "selector matches",
            selective,
            NodeInfo {
                labels: [("disktype".to_string(), "ssd".to_string())].into(),
                ..node("n")
            },
            0,
            None,
        ),
        (
            "full",
            pod("p"),
            NodeInfo {
                max_pods: 2,
                ..node("n")
            },
            2,
            Some(Reason::TooManyPods),
        ),
    ];
    for (what, p, n, used, want) in cases {
        assert_eq!(misfit(&p, &n, used), want, "{what}");
    }
}

#[test]
fn the_message_counts_and_sorts_reasons_like_upstream() {
    assert_eq!(
        unschedulable_message(1, &[Reason::NodeSelector]),
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
    );
    assert_eq!(
        unschedulable_message(3, &[Reason::TooManyPods, Reason::NodeSelector, Reason::NodeSelector]),
        "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't match Pod's node affinity/selector."
    );
    assert_eq!(unschedulable_message(0, &[]), "no nodes available to schedule pods");
}

#[test]
fn the_least_loaded_fitting_node_wins_then_the_first_by_name() {
    let nodes = [node("a"), node("b"), node("c")];
    let usage: BTreeMap<String, i64> = [("a".to_string(), 3), ("b".to_string(), 1), ("c".to_string(), 1)].into();
    assert_eq!(place(&pod("p"), &nodes, &usage), Ok("b".to_string()));
}

#[test]
fn a_plan_counts_its_own_bindings_against_capacity() {
    let nodes = [NodeInfo {
        max_pods: 1,
        ..node("n")
    }];
    let actions = plan(&[pod("first"), pod("second")], &nodes, &BTreeMap::new());
    assert!(matches!(&actions[0], Action::Bind { name, node, .. } if name == "first" && node == "n"));
    assert!(matches!(&actions[1], Action::Unschedulable { name, message, .. }
        if name == "second" && message == "0/1 nodes are available: 1 Too many pods."));
}

#[test]
fn an_unschedulable_pod_is_reported_once_per_message() {
    let nodes = [NodeInfo {
        unschedulable: true,
        ..node("n")
    }];
    let reported = PodInfo {
        unschedulable_message: Some("0/1 nodes are available: 1 node(s) were unschedulable.".into()),
        ..pod("p")
    };
    assert!(plan(&[reported], &nodes, &BTreeMap::new()).is_empty());
}

// ---- driver ----

#[derive(Clone, Debug, PartialEq)]
enum Call {
    Bind { name: String, node: String },
    Unschedulable { name: String, message: String },
    Event { name: String, reason: String },
    SelectNode { claim: String, node: String },
    Prebind { volume: String, claim: String },
}

#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<Call>>,
    /// Claims whose `selected-node` write fails.
    fail_select: Mutex<BTreeSet<String>>,
    /// Claim writes in flight now, and the most seen at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Fake {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }
}

impl SchedulerApi for Fake {
    async fn bind(&self, _namespace: &str, name: &str, _uid: &str, node: &str) -> Result<bool, ControllerError> {
        self.calls.lock().expect("lock").push(Call::Bind {
            name: name.into(),
            node: node.into(),
        });
        Ok(true)
    }

    async fn select_node(&self, claim: &crate::volume::model::ClaimKey, node: &str) -> Result<(), ControllerError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.calls.lock().expect("lock").push(Call::SelectNode {
            claim: claim.name.clone(),
            node: node.into(),
        });
        if self.fail_select.lock().expect("lock").contains(&claim.name) {
            return Err(ControllerError::Conflicts {
                object: format!("persistentvolumeclaim {} (injected failure)", claim.name),
            });
        }
        Ok(())
    }

    async fn prebind(&self, volume: &str, claim: &crate::volume::model::ClaimRef) -> Result<(), ControllerError> {
        self.calls.lock().expect("lock").push(Call::Prebind {
            volume: volume.into(),
            claim: claim.name.clone(),
        });
        Ok(())
    }

    async fn set_unschedulable(&self, _namespace: &str, name: &str, message: &str) -> Result<(), ControllerError> {
        self.calls.lock().expect("lock").push(Call::Unschedulable {
            name: name.into(),
            message: message.into(),
        });
        Ok(())
    }

    async fn record_event(
        &self,
        pod: &PodRef,
        _type_: &str,
        reason: &str,
        _message: &str,
    ) -> Result<(), ControllerError> {
        self.calls.lock().expect("lock").push(Call::Event {
            name: pod.name.clone(),
            reason: reason.into(),
        });
        Ok(())
    }
}

/// The `local-path` class (WaitForFirstConsumer) in the scheduler's view.
fn add_local_path_class(s: &mut State) {
    s.volumes.classes.insert(
        "local-path".into(),
        crate::volume::model::Class {
            name: "local-path".into(),
            provisioner: "rancher.io/local-path".into(),
            wait_for_first_consumer: true,
            ..crate::volume::model::Class::default()
        },
    );
}

fn entry(info: PodInfo, node_name: Option<&str>) -> PodEntry {
    PodEntry {
        info,
        node_name: node_name.map(String::from),
        ours: true,
        finished: false,
        deleting: false,
        created: None,
    }
}

fn state(nodes: &[NodeInfo], pods: Vec<PodEntry>) -> State {
    State {
        nodes: nodes.iter().map(|n| (n.name.clone(), n.clone())).collect(),
        pods: pods
            .into_iter()
            .map(|e| ((e.info.namespace.clone(), e.info.name.clone()), e))
            .collect(),
        ..State::default()
    }
}

#[tokio::test]
async fn a_pending_pod_is_bound_once_with_a_scheduled_event() {
    let fake = Fake::default();
    let mut s = state(&[node("berth")], vec![entry(pod("web-0"), None)]);
    assert!(sync(&fake, &mut s).await);
    assert_eq!(
        fake.take(),
        vec![
            Call::Bind {
                name: "web-0".into(),
                node: "berth".into()
            },
            Call::Event {
                name: "web-0".into(),
                reason: "Scheduled".into()
            },
        ]
    );
    assert!(sync(&fake, &mut s).await);
    assert_eq!(
        fake.take(),
        vec![],
        "bound pods are not bound again before the watch catches up"
    );
}

#[tokio::test]
async fn pods_of_other_schedulers_bound_or_finished_pods_are_left_alone() {
    let fake = Fake::default();
    let other = PodEntry {
        ours: false,
        ..entry(pod("other"), None)
    };
    let done = PodEntry {
        finished: true,
        ..entry(pod("done"), None)
    };
    let going = PodEntry {
        deleting: true,
        ..entry(pod("going"), None)
    };
    let mut s = state(
        &[node("berth")],
        vec![other, done, going, entry(pod("bound"), Some("berth"))],
    );
    sync(&fake, &mut s).await;
    assert_eq!(fake.take(), vec![]);
}

#[tokio::test]
async fn an_unschedulable_pod_gets_its_condition_and_one_failed_scheduling_event() {
    let fake = Fake::default();
    let mut picky = pod("picky");
    picky.node_selector.insert("disktype".into(), "ssd".into());
    let mut s = state(&[node("berth")], vec![entry(picky, None)]);
    sync(&fake, &mut s).await;
    let message = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.".to_string();
    assert_eq!(
        fake.take(),
        vec![
            Call::Unschedulable {
                name: "picky".into(),
                message
            },
            Call::Event {
                name: "picky".into(),
                reason: "FailedScheduling".into()
            },
        ]
    );
    sync(&fake, &mut s).await;
    assert_eq!(fake.take(), vec![]);
    // The node gets the label: the pod is bound on the next pass.
    s.nodes
        .get_mut("berth")
        .expect("node")
        .labels
        .insert("disktype".into(), "ssd".into());
    sync(&fake, &mut s).await;
    assert_eq!(
        fake.take()[0],
        Call::Bind {
            name: "picky".into(),
            node: "berth".into()
        }
    );
}

#[tokio::test]
async fn a_pod_with_a_wait_for_first_consumer_claim_is_bound_only_after_its_claim() {
    use crate::volume::model::{Claim, ClaimKey, ANN_BIND_COMPLETED};
    let fake = Fake::default();
    let mut s = state(&[node("berth")], vec![entry(pod("web-0"), None)]);
    s.pod_claims
        .insert(("default".into(), "web-0".into()), vec!["www-web-0".into()]);
    add_local_path_class(&mut s);
    let key = ClaimKey {
        namespace: "default".into(),
        name: "www-web-0".into(),
    };
    let claim = Claim {
        namespace: "default".into(),
        name: "www-web-0".into(),
        storage_class_name: Some("local-path".into()),
        ..Claim::default()
    };
    s.volumes.claims.insert(key.clone(), claim);
    sync(&fake, &mut s).await;
    assert_eq!(
        fake.take(),
        vec![Call::SelectNode {
            claim: "www-web-0".into(),
            node: "berth".into()
        }]
    );
    sync(&fake, &mut s).await;
    assert_eq!(fake.take(), vec![], "waits for the claim to bind without writing again");
    let c = s.volumes.claims.get_mut(&key).expect("claim");
    c.volume_name = "pvc-1".into();
    c.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
    sync(&fake, &mut s).await;
    let calls = fake.take();
    assert!(
        calls.contains(&Call::Bind {
            name: "web-0".into(),
            node: "berth".into()
        }),
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_pod_whose_claim_is_missing_is_unschedulable() {
    let fake = Fake::default();
    let mut s = state(&[node("berth")], vec![entry(pod("web-0"), None)]);
    s.pod_claims
        .insert(("default".into(), "web-0".into()), vec!["www-web-0".into()]);
    sync(&fake, &mut s).await;
    let calls = fake.take();
    assert!(
        calls.contains(&Call::Unschedulable {
            name: "web-0".into(),
            message: "0/1 nodes are available: persistentvolumeclaim \"www-web-0\" not found.".into()
        }),
        "{calls:?}"
    );
}

#[tokio::test]
async fn claims_of_many_pods_are_selected_concurrently_and_a_failed_write_is_tried_again() {
    use crate::volume::model::{Claim, ClaimKey};
    let fake = Fake::default();
    let names: Vec<String> = (0..8).map(|i| format!("web-{i}")).collect();
    let mut s = state(&[node("berth")], names.iter().map(|n| entry(pod(n), None)).collect());
    add_local_path_class(&mut s);
    for n in &names {
        let claim = format!("www-{n}");
        s.pod_claims.insert(("default".into(), n.clone()), vec![claim.clone()]);
        let key = ClaimKey {
            namespace: "default".into(),
            name: claim.clone(),
        };
        let c = Claim {
            namespace: "default".into(),
            name: claim,
            storage_class_name: Some("local-path".into()),
            ..Claim::default()
        };
        s.volumes.claims.insert(key, c);
    }
    fake.fail_select.lock().expect("lock").insert("www-web-3".into());
    assert!(!sync(&fake, &mut s).await, "a failed write asks for a retry");
    assert!(
        fake.max_in_flight.load(Ordering::SeqCst) > 1,
        "claim writes of different pods overlap"
    );
    assert_eq!(fake.take().len(), names.len());
    fake.fail_select.lock().expect("lock").clear();
    assert!(sync(&fake, &mut s).await);
    assert_eq!(
        fake.take(),
        vec![Call::SelectNode {
            claim: "www-web-3".into(),
            node: "berth".into()
        }],
        "only the claim whose write failed is written again"
    );
}
