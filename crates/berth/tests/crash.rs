//! Integration: `kill -9` of berth in the middle of acknowledged writes loses none of them, and
//! SIGTERM stops it cleanly and promptly.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_testkit::Berth;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams, WatchParams};
use kube::ResourceExt;
use serde_json::json;

const WRITERS: usize = 4;

fn configmap(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"suite": "crash"}}, "data": {"n": name}}))
    .expect("configmap")
}

/// Starts `WRITERS` tasks creating configmaps as fast as they can; each records the names whose
/// create returned success, and stops at its first failure.
fn start_writers(
    api: &Api<ConfigMap>,
    round: usize,
    acked: &Arc<Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..WRITERS)
        .map(|w| {
            let api = api.clone();
            let acked = acked.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let name = format!("r{round}-w{w}-{n}");
                    match api.create(&PostParams::default(), &configmap(&name)).await {
                        Ok(_) => acked.lock().expect("lock").push(name),
                        Err(_) => return,
                    }
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_concurrent_creates_loses_no_acknowledged_object_three_times_over() {
    let mut b = Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts");
    let acked = Arc::new(Mutex::new(Vec::new()));
    for round in 0..3 {
        let api: Api<ConfigMap> = Api::namespaced(b.client().await.expect("client"), "default");
        let before = acked.lock().expect("lock").len();
        let writers = start_writers(&api, round, &acked);
        // Let a good number of creates be acknowledged, then pull the plug mid-stream.
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked.lock().expect("lock").len() < before + 40 {
            assert!(Instant::now() < deadline, "round {round}: writes are too slow");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        b.kill9();
        for w in writers {
            tokio::time::timeout(Duration::from_secs(30), w)
                .await
                .expect("writers notice the crash")
                .expect("writer task");
        }
        b.restart().expect("berth restarts on the same data dir");

        let api: Api<ConfigMap> = Api::namespaced(b.client().await.expect("client"), "default");
        let stored: BTreeSet<String> = api
            .list(&ListParams::default().labels("suite=crash"))
            .await
            .expect("list after restart")
            .items
            .iter()
            .map(|o| o.name_any())
            .collect();
        let acked_now = acked.lock().expect("lock").clone();
        let missing: Vec<&String> = acked_now.iter().filter(|n| !stored.contains(*n)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged but lost after kill -9: {missing:?}"
        );
        for name in acked_now.iter().rev().take(5) {
            let cm = api.get(name).await.expect("get an acknowledged object");
            assert_eq!(
                cm.data.as_ref().and_then(|d| d.get("n")),
                Some(name),
                "its content survived too"
            );
        }
        // The server answers normally: writes, and watches from the current resourceVersion.
        let probe = api
            .create(&PostParams::default(), &configmap(&format!("probe-{round}")))
            .await
            .expect("create after restart");
        let rv = probe.resource_version().expect("rv");
        let mut probe2 = probe.clone();
        probe2.data = Some([("n".to_string(), "changed".to_string())].into());
        api.replace(&probe.name_any(), &PostParams::default(), &probe2)
            .await
            .expect("replace after restart");
        let events = api
            .watch(&WatchParams::default().timeout(1), &rv)
            .await
            .expect("watch after restart");
        futures::pin_mut!(events);
        let first = futures::TryStreamExt::try_next(&mut events).await.expect("watch event");
        assert!(
            matches!(&first, Some(kube::api::WatchEvent::Modified(cm)) if cm.name_any() == probe.name_any()),
            "{first:?}"
        );
    }
    assert!(acked.lock().expect("lock").len() >= 120);
}

#[test]
fn sigterm_makes_berth_exit_0_promptly_even_with_an_open_watch() {
    let mut b = Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts");
    let manifest = b.file(
        "c.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n",
    );
    b.kubectl(&["apply", "-f", &manifest]).ok();
    let mut watch = b.kubectl_spawn(&["get", "configmaps", "-w"]);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let code = b.terminate();
    let took = started.elapsed();
    let _ = watch.kill();
    let _ = watch.wait();
    assert_eq!(code, Some(0), "exit code after SIGTERM");
    assert!(took < Duration::from_secs(3), "SIGTERM took {took:?}");
    // And the data dir opens again afterwards.
    b.restart().expect("restart after a clean stop");
    assert_eq!(
        b.kubectl(&["get", "configmap", "c", "-o", "jsonpath={.data.a}"])
            .ok()
            .stdout,
        "1"
    );
}
