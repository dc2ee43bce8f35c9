//! End to end: `kubectl rollout restart` and `kubectl rollout status` on StatefulSets (spec §4.7).
//! Each `rollout status` branch is checked exactly against a status written through `/status` on
//! an API server without controllers, and a restart is followed to completion on a full berth.

mod sts_kit;

use berth_testkit::Berth;
use serde_json::{json, Value};
use sts_kit::*;

fn status_of(b: &Berth, name: &str, st: Value) -> (i32, String, String) {
    b.kubectl(&[
        "patch",
        "sts",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &json!({ "status": st }).to_string(),
    ])
    .ok();
    let r = b.kubectl(&["rollout", "status", &format!("sts/{name}"), "--watch=false"]);
    (r.status, r.stdout, r.stderr)
}

/// Spec §4.7: every branch of kubectl's `StatefulSetStatusViewer`, in its order, with its exact text.
#[test]
fn rollout_status_prints_each_branch_of_the_statefulset_viewer() {
    let b = berth_with(&["--api-only"]);
    apply(
        &b,
        &set(
            "ss",
            3,
            json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}}),
        ),
    );
    let generation = int(&sts(&b, "ss")["metadata"]["generation"]);
    let base = json!({"replicas": 3, "currentRevision": "ss-a", "updateRevision": "ss-b"});
    let with = |extra: Value| {
        let mut s = base.clone();
        merge(&mut s, extra);
        s
    };
    let cases: &[(Value, &str)] = &[
        (
            with(json!({"observedGeneration": 0})),
            "Waiting for statefulset spec update to be observed...\n",
        ),
        (
            with(json!({"observedGeneration": generation, "readyReplicas": 1})),
            "Waiting for 2 pods to be ready...\n",
        ),
        (
            with(json!({"observedGeneration": generation, "readyReplicas": 3, "updatedReplicas": 1})),
            "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...\n",
        ),
        (
            with(json!({"observedGeneration": generation, "readyReplicas": 3, "updatedReplicas": 2})),
            "partitioned roll out complete: 2 new pods have been updated...\n",
        ),
    ];
    for (st, want) in cases {
        let (code, out, err) = status_of(&b, "ss", st.clone());
        assert_eq!((code, out.as_str()), (0, *want), "status {st}: {err}");
    }

    // `type: RollingUpdate` given without `rollingUpdate` stays nil (the defaulting quirk), so the
    // viewer compares revisions instead of the partition.
    apply(
        &b,
        &set("nil-ru", 3, json!({"updateStrategy": {"type": "RollingUpdate"}})),
    );
    assert!(
        sts(&b, "nil-ru")["spec"]["updateStrategy"]["rollingUpdate"].is_null(),
        "{}",
        sts(&b, "nil-ru")["spec"]
    );
    let g = int(&sts(&b, "nil-ru")["metadata"]["generation"]);
    let common =
        json!({"observedGeneration": g, "replicas": 3, "readyReplicas": 3, "currentReplicas": 3, "updatedReplicas": 1});
    let mut waiting = common.clone();
    merge(
        &mut waiting,
        json!({"currentRevision": "nil-ru-a", "updateRevision": "nil-ru-b"}),
    );
    let (code, out, _) = status_of(&b, "nil-ru", waiting);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "waiting for statefulset rolling update to complete 1 pods at revision nil-ru-b...\n"
        )
    );
    let mut done = common;
    merge(
        &mut done,
        json!({"currentRevision": "nil-ru-b", "updateRevision": "nil-ru-b"}),
    );
    let (code, out, _) = status_of(&b, "nil-ru", done);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "statefulset rolling update complete 3 pods at revision nil-ru-b...\n"
        )
    );

    apply(&b, &set("od", 1, json!({"updateStrategy": {"type": "OnDelete"}})));
    let r = b.kubectl(&["rollout", "status", "sts/od", "--watch=false"]).fails();
    assert!(
        r.stderr
            .contains("rollout status is only available for RollingUpdate strategy type"),
        "{}",
        r.stderr
    );
}

/// Spec §4.7: `kubectl rollout restart` sets the template's `restartedAt` annotation, which makes a
/// new revision and a rolling update of every pod; `rollout status` follows it to the end.
#[test]
fn rollout_restart_rolls_every_pod_to_a_new_revision() {
    let b = berth();
    apply(&b, &service());
    apply(&b, &set("ss", 3, json!({})));
    let before = wait_ready(&b, &["ss-0", "ss-1", "ss-2"]);
    let r1 = text(&wait_status(&b, "ss", "rev 1", |s| int(&s["currentReplicas"]) == 3)["currentRevision"]);
    assert_eq!(
        b.kubectl(&["rollout", "restart", "sts/ss"]).ok().stdout,
        "statefulset.apps/ss restarted\n"
    );
    let at = text(&sts(&b, "ss")["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]);
    assert!(!at.is_empty());
    let out = b
        .kubectl(&["rollout", "status", "sts/ss", "--timeout=120s"])
        .ok()
        .stdout;
    assert_eq!(
        out.lines().last(),
        Some("partitioned roll out complete: 3 new pods have been updated..."),
        "{out}"
    );
    for line in out.lines() {
        let known = line.starts_with("Waiting for statefulset spec update to be observed")
            || (line.starts_with("Waiting for ") && line.ends_with(" pods to be ready..."))
            || line.starts_with("Waiting for partitioned roll out to finish: ")
            || line.starts_with("partitioned roll out complete: ");
        assert!(known, "unexpected line {line:?} in\n{out}");
    }
    let after = wait_ready(&b, &["ss-0", "ss-1", "ss-2"]);
    let r2 = text(
        &wait_status(&b, "ss", "promoted", |s| {
            s["currentRevision"] == s["updateRevision"] && int(&s["currentReplicas"]) == 3
        })["currentRevision"],
    );
    assert_ne!(r1, r2);
    for (a, old) in after.iter().zip(&before) {
        assert_ne!(a.uid, old.uid, "{} replaced", a.name);
        assert_eq!(a.rev, r2);
        assert_eq!(
            text(&a.raw["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]),
            at
        );
    }
}
