//! End to end: the seed tutorials' StatefulSet workflows with the stock kubectl and the simulated node.

use std::process::Child;

use berth_testkit::{eventually, Berth};

fn berth() -> Berth {
    Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts")
}

const SVC: &str = berth_testkit::seed::NGINX_HEADLESS_SERVICE;

/// The seed StatefulSet `web`, with an optional update strategy block and pod management policy.
fn web(replicas: u32, image: &str, strategy: &str, policy: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: \"nginx\"
  replicas: {replicas}
  podManagementPolicy: {policy}
{strategy}  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: {image}
        ports:
        - containerPort: 80
          name: web
"
    )
}

fn apply(b: &Berth, name: &str, text: &str) -> String {
    b.kubectl(&["apply", "-f", &b.file(name, text)]).ok().stdout
}

/// Names of pods with `app=nginx` in phase Running and Ready, sorted.
fn ready_pods(b: &Berth) -> Vec<String> {
    let out = b
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "app=nginx",
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\n"}{end}"#,
        ])
        .ok()
        .stdout;
    let mut v: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 3 && f[1] == "Running" && f[2] == "True").then(|| f[0].to_string())
        })
        .collect();
    v.sort();
    v
}

fn wait_ready(b: &Berth, names: &[&str]) {
    let want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    eventually(&format!("pods {names:?} ready"), 60, || {
        let all = b
            .kubectl(&[
                "get",
                "pods",
                "-l",
                "app=nginx",
                "-o",
                "jsonpath={.items[*].metadata.name}",
            ])
            .ok()
            .stdout;
        let mut present: Vec<String> = all.split_whitespace().map(String::from).collect();
        present.sort();
        (ready_pods(b) == want && present == want).then_some(())
    });
}

fn images(b: &Berth) -> Vec<(String, String)> {
    let out = b
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "app=nginx",
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.spec.containers[0].image}{"\n"}{end}"#,
        ])
        .ok()
        .stdout;
    let mut v: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect();
    v.sort();
    v
}

fn stop_watch(w: Child) -> String {
    let mut w = w;
    let _ = w.kill();
    let out = w.wait_with_output().expect("watch output");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Index of the first line that starts with `pod` and contains `what`.
fn first(lines: &[&str], pod: &str, what: &str) -> Option<usize> {
    lines
        .iter()
        .position(|l| l.split_whitespace().next() == Some(pod) && l.contains(what))
}

#[test]
fn ordered_creation_is_visible_in_get_pods_watch() {
    let b = berth();
    let w = b.kubectl_spawn(&["get", "pods", "-l", "app=nginx", "-w"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(3, "nginx:1.7.9", "", "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1", "web-2"]);
    let text = stop_watch(w);
    let lines: Vec<&str> = text.lines().collect();
    let web0_running = first(&lines, "web-0", "Running").expect("web-0 Running in the watch");
    let web1_seen = first(&lines, "web-1", "").expect("web-1 in the watch");
    let web1_running = first(&lines, "web-1", "Running").expect("web-1 Running");
    let web2_seen = first(&lines, "web-2", "").expect("web-2 in the watch");
    assert!(
        web0_running < web1_seen && web1_running < web2_seen,
        "not ordered:\n{text}"
    );
    let table = b.kubectl(&["get", "sts", "web"]).ok().stdout;
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("3/3")),
        "{table}"
    );
}

#[test]
fn the_seed_revision_hash_matches_upstream() {
    let b = berth();
    // The seed's nginx-sts.yaml (tutorial 000), as upstream 1.32 hashes it: FNV-1 over the
    // defaulted template patch plus the collision count 0, computed independently of berth.
    let sts = berth_testkit::seed::nginx_web(1, "nginx:1.7.9");
    apply(&b, "web.yaml", &sts);
    let rev = eventually("the update revision", 30, || {
        let r = b
            .kubectl(&["get", "sts", "web", "-o", "jsonpath={.status.updateRevision}"])
            .ok()
            .stdout;
        (!r.is_empty()).then_some(r)
    });
    assert_eq!(rev, "web-7466694c86");
    let label = eventually("web-0", 30, || {
        let r = b.kubectl(&[
            "get",
            "pod",
            "web-0",
            "-o",
            "jsonpath={.metadata.labels.controller-revision-hash}",
        ]);
        (r.status == 0 && !r.stdout.is_empty()).then_some(r.stdout)
    });
    assert_eq!(label, "web-7466694c86");
}

#[test]
fn scaling_up_is_ascending_and_down_is_descending() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(2, "nginx:1.7.9", "", "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1"]);
    b.kubectl(&["scale", "sts", "web", "--replicas=5"]).ok();
    wait_ready(&b, &["web-0", "web-1", "web-2", "web-3", "web-4"]);
    let w = b.kubectl_spawn(&["get", "pods", "-l", "app=nginx", "-w", "--output-watch-events"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    b.kubectl(&["patch", "sts", "web", "-p", r#"{"spec":{"replicas":3}}"#])
        .ok();
    wait_ready(&b, &["web-0", "web-1", "web-2"]);
    let text = stop_watch(w);
    let lines: Vec<&str> = text.lines().collect();
    let del4 = lines
        .iter()
        .position(|l| l.starts_with("DELETED") && l.contains("web-4"))
        .expect("web-4 deleted");
    let del3 = lines
        .iter()
        .position(|l| l.starts_with("DELETED") && l.contains("web-3"))
        .expect("web-3 deleted");
    assert!(del4 < del3, "web-4 must go before web-3:\n{text}");
    let term3 = first(
        &lines
            .iter()
            .map(|l| l.trim_start_matches("MODIFIED").trim())
            .collect::<Vec<_>>(),
        "web-3",
        "Terminating",
    );
    if let Some(t3) = term3 {
        assert!(
            t3 > del4,
            "web-3 must not start terminating before web-4 is gone:\n{text}"
        );
    }
}

#[test]
fn a_partition_canary_updates_only_the_highest_ordinals_until_lowered() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(3, "nginx:1.7.9", "", "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1", "web-2"]);
    b.kubectl(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}}}"#,
    ])
    .ok();
    b.kubectl(&[
        "patch",
        "sts",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.25"}]"#,
    ])
    .ok();
    eventually("web-2 updated", 60, || {
        (images(&b)
            == [
                ("web-0".into(), "nginx:1.7.9".into()),
                ("web-1".into(), "nginx:1.7.9".into()),
                ("web-2".into(), "nginx:1.25".into()),
            ]
            && ready_pods(&b).len() == 3)
            .then_some(())
    });
    let status = b
        .kubectl(&["rollout", "status", "sts/web", "--timeout=60s"])
        .ok()
        .stdout;
    assert!(
        status.contains("partitioned roll out complete: 1 new pods have been updated"),
        "{status}"
    );
    b.kubectl(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
    ])
    .ok();
    let status = b
        .kubectl(&["rollout", "status", "sts/web", "--timeout=60s"])
        .ok()
        .stdout;
    assert!(
        status.contains("partitioned roll out complete: 3 new pods have been updated"),
        "{status}"
    );
    assert!(images(&b).iter().all(|(_, i)| i == "nginx:1.25"), "{:?}", images(&b));
    let revs = b
        .kubectl(&[
            "get",
            "sts",
            "web",
            "-o",
            "jsonpath={.status.currentRevision} {.status.updateRevision} {.status.updatedReplicas}",
        ])
        .ok()
        .stdout;
    let f: Vec<&str> = revs.split_whitespace().collect();
    assert_eq!(f.len(), 3, "{revs}");
    assert_eq!(
        f[0], f[1],
        "currentRevision is promoted when the update completes: {revs}"
    );
}

#[test]
fn on_delete_updates_a_pod_only_when_it_is_deleted() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    let strategy = "  updateStrategy:\n    type: OnDelete\n";
    apply(&b, "web.yaml", &web(3, "nginx:1.7.9", strategy, "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1", "web-2"]);
    apply(&b, "web2.yaml", &web(3, "nginx:1.25", strategy, "OrderedReady"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(images(&b).iter().all(|(_, i)| i == "nginx:1.7.9"), "{:?}", images(&b));
    b.kubectl(&["delete", "pod", "web-1"]).ok();
    eventually("web-1 recreated with the new image", 60, || {
        (images(&b).get(1).is_some_and(|(_, i)| i == "nginx:1.25") && ready_pods(&b).len() == 3).then_some(())
    });
    assert_eq!(images(&b)[0].1, "nginx:1.7.9");
    assert_eq!(images(&b)[2].1, "nginx:1.7.9");
    let err = b.kubectl(&["rollout", "status", "sts/web"]).fails();
    assert!(
        err.stderr
            .contains("rollout status is only available for RollingUpdate strategy type"),
        "{}",
        err.stderr
    );
}

#[test]
fn rollout_history_and_undo_return_to_the_previous_template() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(2, "nginx:1.7.9", "", "Parallel"));
    wait_ready(&b, &["web-0", "web-1"]);
    apply(&b, "web2.yaml", &web(2, "nginx:1.25", "", "Parallel"));
    b.kubectl(&["rollout", "status", "sts/web", "--timeout=60s"]).ok();
    let history = b.kubectl(&["rollout", "history", "sts/web"]).ok().stdout;
    assert!(
        history.contains("REVISION")
            && history.lines().any(|l| l.trim_start().starts_with('1'))
            && history.lines().any(|l| l.trim_start().starts_with('2')),
        "{history}"
    );
    let rev1 = b
        .kubectl(&["rollout", "history", "sts/web", "--revision=1"])
        .ok()
        .stdout;
    assert!(rev1.contains("nginx:1.7.9"), "{rev1}");
    assert_eq!(
        b.kubectl(&["rollout", "undo", "sts/web"]).ok().stdout.trim(),
        "statefulset.apps/web rolled back"
    );
    b.kubectl(&["rollout", "status", "sts/web", "--timeout=60s"]).ok();
    eventually("pods back on 1.7.9", 60, || {
        images(&b).iter().all(|(_, i)| i == "nginx:1.7.9").then_some(())
    });
    let history = b.kubectl(&["rollout", "history", "sts/web"]).ok().stdout;
    assert!(
        history.lines().any(|l| l.trim_start().starts_with('3')),
        "rollback renumbers the old revision:\n{history}"
    );
}

#[test]
fn orphaning_delete_then_recreate_adopts_the_pods_and_trims_extras() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(3, "nginx:1.7.9", "", "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1", "web-2"]);
    let uids = b
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "app=nginx",
            "-o",
            "jsonpath={.items[*].metadata.uid}",
        ])
        .ok()
        .stdout;
    b.kubectl(&["delete", "sts", "web", "--cascade=orphan"]).ok();
    let owners = b
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "app=nginx",
            "-o",
            "jsonpath={.items[*].metadata.ownerReferences}",
        ])
        .ok()
        .stdout;
    assert_eq!(owners, "", "orphaned pods have no owner");
    assert_eq!(ready_pods(&b).len(), 3);
    apply(&b, "web2.yaml", &web(2, "nginx:1.7.9", "", "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1"]);
    let after = b
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "app=nginx",
            "-o",
            "jsonpath={.items[*].metadata.uid}",
        ])
        .ok()
        .stdout;
    for uid in after.split_whitespace() {
        assert!(uids.contains(uid), "web-0 and web-1 are adopted, not recreated");
    }
    let owner = b
        .kubectl(&[
            "get",
            "pod",
            "web-0",
            "-o",
            "jsonpath={.metadata.ownerReferences[0].kind}",
        ])
        .ok()
        .stdout;
    assert_eq!(owner, "StatefulSet");
}

#[test]
fn cascading_delete_removes_the_pods() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(2, "nginx:1.7.9", "", "Parallel"));
    wait_ready(&b, &["web-0", "web-1"]);
    b.kubectl(&["delete", "sts", "web"]).ok();
    eventually("the pods to go", 60, || {
        b.kubectl(&["get", "pods", "-l", "app=nginx", "-o", "name"])
            .ok()
            .stdout
            .trim()
            .is_empty()
            .then_some(())
    });
    let revisions = b.kubectl(&["get", "controllerrevisions", "-o", "name"]).ok().stdout;
    assert!(revisions.trim().is_empty(), "{revisions}");
}

#[test]
fn a_deleted_pod_comes_back_with_the_same_name() {
    let b = berth();
    apply(&b, "svc.yaml", SVC);
    apply(&b, "web.yaml", &web(2, "nginx:1.7.9", "", "OrderedReady"));
    wait_ready(&b, &["web-0", "web-1"]);
    let old = b
        .kubectl(&["get", "pod", "web-0", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    b.kubectl(&["delete", "pod", "web-0"]).ok();
    wait_ready(&b, &["web-0", "web-1"]);
    let new = b
        .kubectl(&[
            "get",
            "pod",
            "web-0",
            "-o",
            "jsonpath={.metadata.uid} {.spec.hostname} {.spec.subdomain}",
        ])
        .ok()
        .stdout;
    assert!(!new.starts_with(&old), "a new pod");
    assert!(new.ends_with("web-0 nginx"), "{new}");
    let describe = b.kubectl(&["describe", "sts", "web"]).ok().stdout;
    assert!(
        describe.contains("SuccessfulCreate") && describe.contains("create Pod web-0 in StatefulSet web successful"),
        "{describe}"
    );
}
