//! Table tests of the agent plan.

use std::net::Ipv4Addr;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::PodStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::*;
use crate::runtime::{
    ContainerRuntimeState, ContainerSpec, ContainerState, PodSpecView, RestartPolicy, RuntimePod, Simulation,
};

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + s).expect("valid")
}

const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

fn spec(uid: &str) -> PodSpecView {
    PodSpecView {
        uid: uid.into(),
        namespace: "default".into(),
        name: format!("{uid}-pod"),
        containers: vec![ContainerSpec {
            name: "app".into(),
            image: "nginx".into(),
        }],
        init_containers: vec![],
        restart_policy: RestartPolicy::Always,
        simulation: Simulation::default(),
    }
}

fn rt(state: ContainerState) -> RuntimePod {
    RuntimePod {
        ip: Ipv4Addr::new(10, 244, 0, 2),
        started_at: t(0),
        init_containers: vec![],
        containers: vec![ContainerRuntimeState {
            name: "app".into(),
            image: "nginx".into(),
            image_id: "sim://nginx".into(),
            container_id: "sim://u/app".into(),
            state,
        }],
        stopping: false,
        stopped: false,
    }
}

fn running(ready: bool) -> ContainerState {
    ContainerState::Running {
        started_at: t(1),
        ready,
    }
}

fn exited(code: i32) -> ContainerState {
    ContainerState::Terminated {
        exit_code: code,
        reason: "x".into(),
        started_at: t(1),
        finished_at: t(2),
    }
}

fn pod(uid: &str, status: PodStatus, deletion: Option<Duration>, runtime: Option<RuntimePod>) -> PodView {
    PodView {
        spec: spec(uid),
        status,
        deletion,
        runtime,
    }
}

fn view(pods: Vec<PodView>) -> NodeView {
    NodeView {
        host_ip: HOST,
        pods,
        orphans: vec![],
    }
}

fn written(actions: &[Action]) -> &PodStatus {
    match actions {
        [Action::WriteStatus { status, .. }] => status,
        other => panic!("expected one status write, got {other:?}"),
    }
}

fn cond<'a>(s: &'a PodStatus, type_: &str) -> (&'a str, Option<&'a str>, Option<&'a str>) {
    let c = s.conditions.iter().flatten().find(|c| c.type_ == type_).expect(type_);
    (c.status.as_str(), c.reason.as_deref(), c.message.as_deref())
}

#[test]
fn a_new_pod_is_started() {
    let a = plan(&view(vec![pod("a", PodStatus::default(), None, None)]), t(0));
    assert_eq!(
        a,
        vec![Action::Start {
            spec: spec("a"),
            adopt: None
        }]
    );
}

#[test]
fn pods_recorded_before_a_restart_are_adopted_before_new_pods_start() {
    let old = PodStatus {
        phase: Some("Running".into()),
        pod_ip: Some("10.244.0.9".into()),
        start_time: Some(Time(t(-60))),
        ..PodStatus::default()
    };
    let a = plan(
        &view(vec![
            pod("a-new", PodStatus::default(), None, None),
            pod("b-old", old, None, None),
        ]),
        t(0),
    );
    let want_adopt = Adopt {
        ip: Some(Ipv4Addr::new(10, 244, 0, 9)),
        started_at: Some(t(-60)),
        running: true,
    };
    assert_eq!(
        a,
        vec![
            Action::Start {
                spec: spec("b-old"),
                adopt: Some(want_adopt)
            },
            Action::Start {
                spec: spec("a-new"),
                adopt: None
            },
        ]
    );
}

#[test]
fn container_states_map_to_upstreams_phase_and_conditions() {
    let cases: Vec<(&str, ContainerState, &str, &str, Option<&str>)> = vec![
        (
            "creating",
            ContainerState::Waiting {
                reason: "ContainerCreating".into(),
            },
            "Pending",
            "False",
            Some("ContainersNotReady"),
        ),
        ("ready", running(true), "Running", "True", None),
        (
            "unready",
            running(false),
            "Running",
            "False",
            Some("ContainersNotReady"),
        ),
        ("exit 0", exited(0), "Succeeded", "False", Some("PodCompleted")),
        ("exit 1", exited(1), "Failed", "False", Some("ContainersNotReady")),
    ];
    for (what, state, phase, ready, reason) in cases {
        let a = plan(&view(vec![pod("a", PodStatus::default(), None, Some(rt(state)))]), t(5));
        let s = written(&a);
        assert_eq!(s.phase.as_deref(), Some(phase), "{what}");
        assert_eq!(cond(s, "Ready").0, ready, "{what}");
        assert_eq!(cond(s, "Ready").1, reason, "{what}");
        assert_eq!(cond(s, "ContainersReady").0, ready, "{what}");
        assert_eq!(cond(s, "PodScheduled").0, "True", "{what}");
        assert_eq!(s.pod_ip.as_deref(), Some("10.244.0.2"), "{what}");
        assert_eq!(s.host_ip.as_deref(), Some("127.0.0.1"), "{what}");
        assert_eq!(s.start_time, Some(Time(t(0))), "{what}");
    }
}

#[test]
fn an_unready_pod_names_its_unready_containers_like_upstream() {
    let a = plan(
        &view(vec![pod("a", PodStatus::default(), None, Some(rt(running(false))))]),
        t(5),
    );
    assert_eq!(
        cond(written(&a), "Ready").2,
        Some("containers with unready status: [app]")
    );
}

#[test]
fn conditions_come_in_the_kubelets_order() {
    let a = plan(
        &view(vec![pod("a", PodStatus::default(), None, Some(rt(running(true))))]),
        t(5),
    );
    let order: Vec<&str> = written(&a)
        .conditions
        .iter()
        .flatten()
        .map(|c| c.type_.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled"
        ]
    );
}

#[test]
fn a_pod_whose_status_already_matches_needs_no_write() {
    let runtime = rt(running(true));
    let current = pod_status(&runtime, HOST, &PodStatus::default(), t(5));
    assert!(plan(&view(vec![pod("a", current, None, Some(runtime))]), t(9)).is_empty());
}

#[test]
fn a_condition_keeps_its_transition_time_while_its_status_holds() {
    let current = pod_status(&rt(running(false)), HOST, &PodStatus::default(), t(5));
    let next = pod_status(&rt(running(true)), HOST, &current, t(9));
    let time = |s: &PodStatus, ty: &str| {
        s.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == ty)
            .and_then(|c| c.last_transition_time.clone())
    };
    assert_eq!(time(&next, "Initialized"), Some(Time(t(5))));
    assert_eq!(time(&next, "Ready"), Some(Time(t(9))));
}

#[test]
fn a_finished_pod_is_neither_rewritten_nor_restarted() {
    for phase in ["Succeeded", "Failed"] {
        let done = PodStatus {
            phase: Some(phase.into()),
            ..PodStatus::default()
        };
        assert!(
            plan(&view(vec![pod("a", done.clone(), None, Some(rt(running(true))))]), t(5)).is_empty(),
            "{phase}"
        );
        assert!(
            plan(&view(vec![pod("a", done, None, None)]), t(5)).is_empty(),
            "{phase}"
        );
    }
}

#[test]
fn a_deleting_pod_is_stopped_with_its_grace_then_deleted_with_grace_zero() {
    let grace = Some(Duration::from_secs(30));
    let stop = plan(
        &view(vec![pod("a", PodStatus::default(), grace, Some(rt(running(true))))]),
        t(5),
    );
    assert_eq!(
        stop,
        vec![Action::Stop {
            uid: "a".into(),
            grace: Duration::from_secs(30)
        }]
    );

    let stopping = RuntimePod {
        stopping: true,
        ..rt(running(true))
    };
    assert!(plan(&view(vec![pod("a", PodStatus::default(), grace, Some(stopping))]), t(6)).is_empty());

    let stopped = RuntimePod {
        stopping: true,
        stopped: true,
        ..rt(running(true))
    };
    let confirm = plan(&view(vec![pod("a", PodStatus::default(), grace, Some(stopped))]), t(7));
    assert_eq!(
        confirm,
        vec![Action::ConfirmDeletion {
            namespace: "default".into(),
            name: "a-pod".into(),
            uid: "a".into()
        }]
    );
}

#[test]
fn a_deleting_pod_that_never_started_is_deleted_at_once() {
    let a = plan(
        &view(vec![pod(
            "a",
            PodStatus::default(),
            Some(Duration::from_secs(30)),
            None,
        )]),
        t(5),
    );
    assert_eq!(
        a,
        vec![Action::ConfirmDeletion {
            namespace: "default".into(),
            name: "a-pod".into(),
            uid: "a".into()
        }]
    );
}

#[test]
fn a_runtime_pod_without_an_api_pod_is_removed() {
    let mut v = view(vec![]);
    v.orphans = vec!["gone".into()];
    assert_eq!(plan(&v, t(5)), vec![Action::Remove { uid: "gone".into() }]);
}
