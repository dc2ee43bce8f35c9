//! End to end: the simulated node and the scheduler under `berth up`, driven by the stock kubectl
//! and checked with kube-rs.

use berth_testkit::{eventually, Berth};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::Api;

fn berth() -> Berth {
    Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts")
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

/// The row of `kubectl get pod NAME -o wide`, once `pred` holds for it.
fn pod_row(b: &Berth, name: &str, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    eventually(what, 20, || {
        let out = b.kubectl(&["get", "pod", name, "-o", "wide", "--no-headers"]);
        let row = words(out.stdout.lines().next().unwrap_or(""));
        (out.status == 0 && row.first().map(String::as_str) == Some(name) && pred(&row)).then_some(row)
    })
}

fn jsonpath(b: &Berth, args: &[&str]) -> String {
    b.kubectl(args).ok().stdout
}

#[test]
fn kubectl_get_nodes_shows_the_node_ready_with_upstreams_columns() {
    let b = berth();
    let out = eventually("the node to register", 20, || {
        let out = b.kubectl(&["get", "nodes", "-o", "wide"]);
        (out.status == 0 && out.stdout.lines().count() == 2).then_some(out.stdout)
    });
    let mut lines = out.lines();
    assert_eq!(
        words(lines.next().expect("header")),
        [
            "NAME",
            "STATUS",
            "ROLES",
            "AGE",
            "VERSION",
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ]
    );
    let row = words(lines.next().expect("row"));
    assert_eq!(&row[..3], ["berth", "Ready", "control-plane"], "{out}");
    assert_eq!(row[4], "v1.32.0");
    assert_eq!(row[5], "127.0.0.1");
    assert!(row.last().expect("runtime").starts_with("sim://"), "{out}");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let client = b.client().await.expect("client");
        let node = Api::<Node>::all(client.clone()).get("berth").await.expect("node");
        let status = node.status.expect("status");
        assert_eq!(status.allocatable.expect("allocatable")["pods"].0, "110");
        assert_eq!(status.node_info.expect("nodeInfo").kubelet_version, "v1.32.0");
        let lease = Api::<Lease>::namespaced(client, "kube-node-lease")
            .get("berth")
            .await
            .expect("lease");
        let spec = lease.spec.expect("spec");
        assert_eq!(spec.holder_identity.as_deref(), Some("berth"));
        assert!(spec.renew_time.is_some());
    });
}

#[test]
fn a_pod_is_scheduled_runs_and_is_removed_after_the_simulated_grace() {
    let b = berth();
    b.kubectl(&["run", "web", "--image=nginx"]).ok();
    let row = pod_row(&b, "web", "web to run", |r| r[1] == "1/1" && r[2] == "Running");
    assert!(row[5].starts_with("10.244."), "{row:?}");
    assert_eq!(row[6], "berth");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let uid = rt.block_on(async {
        let client = b.client().await.expect("client");
        let pod = Api::<Pod>::namespaced(client, "default").get("web").await.expect("pod");
        let status = pod.status.expect("status");
        let conds: Vec<(String, String)> = status
            .conditions
            .iter()
            .flatten()
            .map(|c| (c.type_.clone(), c.status.clone()))
            .collect();
        for t in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] {
            assert!(conds.contains(&(t.to_string(), "True".to_string())), "{t} in {conds:?}");
        }
        assert_eq!(status.host_ip.as_deref(), Some("127.0.0.1"));
        assert!(status.start_time.is_some());
        let cs = &status.container_statuses.expect("containerStatuses")[0];
        assert!(cs.ready && cs.started == Some(true) && cs.restart_count == 0);
        assert!(
            cs.container_id.as_deref().is_some_and(|id| id.starts_with("sim://")),
            "{cs:?}"
        );
        assert!(cs.state.as_ref().and_then(|s| s.running.as_ref()).is_some());
        pod.metadata.uid.expect("uid")
    });

    let events = jsonpath(
        &b,
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=web",
            "-o",
            "jsonpath={.items[*].reason}",
        ],
    );
    assert!(events.contains("Scheduled"), "{events}");

    // kubectl waits for the object to be gone: the agent's grace-0 delete with the UID precondition.
    let started = std::time::Instant::now();
    b.kubectl(&["delete", "pod", "web"]).ok();
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let gone = b.kubectl(&["get", "pod", "web"]).fails();
    assert!(gone.stderr.contains("NotFound"), "{}", gone.stderr);

    // A same-named successor gets its own UID and runs.
    b.kubectl(&["run", "web", "--image=nginx"]).ok();
    pod_row(&b, "web", "the new web to run", |r| r[2] == "Running");
    let new_uid = jsonpath(&b, &["get", "pod", "web", "-o", "jsonpath={.metadata.uid}"]);
    assert_ne!(new_uid, uid);
}

#[test]
fn simulation_annotations_fail_a_pod_and_toggle_readiness() {
    let b = berth();
    b.kubectl(&[
        "run",
        "bad",
        "--image=nginx",
        "--annotations=berth.dev/simulate-fail=true",
    ])
    .ok();
    b.kubectl(&[
        "run",
        "slow",
        "--image=nginx",
        "--annotations=berth.dev/simulate-unready=true",
    ])
    .ok();
    pod_row(&b, "bad", "bad to fail", |r| r[2] == "Error");
    assert_eq!(
        jsonpath(&b, &["get", "pod", "bad", "-o", "jsonpath={.status.phase}"]),
        "Failed"
    );
    let code = jsonpath(
        &b,
        &[
            "get",
            "pod",
            "bad",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}",
        ],
    );
    assert_eq!(code, "1");

    pod_row(&b, "slow", "slow to run unready", |r| {
        r[1] == "0/1" && r[2] == "Running"
    });
    let ready = jsonpath(
        &b,
        &[
            "get",
            "pod",
            "slow",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ],
    );
    assert_eq!(ready, "False");
    b.kubectl(&["annotate", "pod", "slow", "berth.dev/simulate-unready-"])
        .ok();
    pod_row(&b, "slow", "slow to become ready", |r| {
        r[1] == "1/1" && r[2] == "Running"
    });
}

#[test]
fn a_pod_with_a_non_matching_node_selector_stays_pending_with_failed_scheduling() {
    let b = berth();
    let overrides = r#"{"apiVersion":"v1","spec":{"nodeSelector":{"disktype":"ssd"}}}"#;
    b.kubectl(&["run", "picky", "--image=nginx", "--overrides", overrides])
        .ok();
    let message = eventually("a FailedScheduling event", 20, || {
        let out = b.kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=picky,reason=FailedScheduling",
            "-o",
            "jsonpath={.items[0].message}",
        ]);
        (out.status == 0 && !out.stdout.is_empty()).then_some(out.stdout)
    });
    assert_eq!(
        message,
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
    );
    let reason = jsonpath(
        &b,
        &[
            "get",
            "pod",
            "picky",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}",
        ],
    );
    assert_eq!(reason, "Unschedulable");
    let row = pod_row(&b, "picky", "picky's row", |_| true);
    assert_eq!(&row[1..3], ["0/1", "Pending"]);
    assert_eq!(row[6], "<none>");
    let describe = b.kubectl(&["describe", "pod", "picky"]).ok().stdout;
    assert!(describe.contains("FailedScheduling"), "{describe}");

    // Labelling the node makes it fit.
    b.kubectl(&["label", "node", "berth", "disktype=ssd"]).ok();
    pod_row(&b, "picky", "picky to run once the node matches", |r| r[2] == "Running");
}

#[test]
fn a_run_to_completion_pod_with_an_exit_code_ends_succeeded() {
    let b = berth();
    b.kubectl(&[
        "run",
        "x",
        "--image=busybox",
        "--restart=Never",
        "--annotations=berth.dev/simulate-exit-code=0",
    ])
    .ok();
    b.kubectl(&[
        "run",
        "y",
        "--image=busybox",
        "--restart=Never",
        "--annotations=berth.dev/simulate-exit-code=3",
    ])
    .ok();
    pod_row(&b, "x", "x to complete", |r| r[2] == "Completed");
    assert_eq!(
        jsonpath(&b, &["get", "pod", "x", "-o", "jsonpath={.status.phase}"]),
        "Succeeded"
    );
    pod_row(&b, "y", "y to fail", |r| r[2] == "Error");
    assert_eq!(
        jsonpath(&b, &["get", "pod", "y", "-o", "jsonpath={.status.phase}"]),
        "Failed"
    );
    let code = jsonpath(
        &b,
        &[
            "get",
            "pod",
            "y",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}",
        ],
    );
    assert_eq!(code, "3");
}
