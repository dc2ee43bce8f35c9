//! Integration tests of the StatefulSet controller against a real `berth up` (binary from
//! `BERTH_BIN`, which must run a node so pods become Ready): ordered creation, Parallel scale-up
//! timing, and a rolling update. The controller runs in this process through kube-rs.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use berth_controllers::statefulset::{self, StatefulSetConfig};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use serde_json::json;

/// A running `berth up` in a temp dir, killed (by its pid) on drop.
struct Berth {
    child: Child,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Berth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_berth(extra: &[&str]) -> Option<Berth> {
    let Ok(bin) = std::env::var("BERTH_BIN") else {
        eprintln!("skipping: BERTH_BIN is not set (path of a built `berth` binary with a node)");
        return None;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut child = Command::new(bin)
        .args(["up", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("berth starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("berth is up:") => break l,
            Some(Ok(_)) => continue,
            other => panic!("berth exited before it was up: {other:?}"),
        }
    };
    let kubeconfig = line
        .split("KUBECONFIG=")
        .nth(1)
        .and_then(|s| s.strip_suffix(')'))
        .map(PathBuf::from)
        .expect("the up line names the kubeconfig");
    Some(Berth {
        child,
        kubeconfig,
        _dir: dir,
    })
}

async fn client(b: &Berth) -> Client {
    let kc = Kubeconfig::read_from(&b.kubeconfig).expect("kubeconfig reads");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig is valid");
    Client::try_from(config).expect("a client")
}

async fn cluster(extra: &[&str]) -> Option<(Berth, Client)> {
    let b = start_berth(extra)?;
    let c = client(&b).await;
    let run = c.clone();
    tokio::spawn(async move {
        statefulset::run(run, StatefulSetConfig::default(), std::future::pending())
            .await
            .expect("controller runs");
    });
    Some((b, c))
}

fn sts(name: &str, replicas: i32, parallel: bool, claims: bool) -> StatefulSet {
    let mut v = json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}
            }
        }
    });
    if parallel {
        v["spec"]["podManagementPolicy"] = json!("Parallel");
    }
    if claims {
        v["spec"]["volumeClaimTemplates"] = json!([{
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}}
        }]);
    }
    serde_json::from_value(v).expect("a statefulset")
}

async fn wait_ready(api: &Api<StatefulSet>, name: &str, n: i32, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let s = api.get(name).await.expect("get sts");
        let st = s.status.unwrap_or_default();
        if st.ready_replicas == Some(n) && st.updated_replicas == Some(n) && st.replicas == n {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{name} not ready after {limit:?}: {st:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn ordered_ready_creates_pods_in_order_with_identity() {
    let Some((_b, c)) = cluster(&[]).await else { return };
    let api: Api<StatefulSet> = Api::namespaced(c.clone(), "default");
    api.create(&PostParams::default(), &sts("web", 3, false, true))
        .await
        .expect("created");
    wait_ready(&api, "web", 3, Duration::from_secs(20)).await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), "default");
    let mut list = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("pods")
        .items;
    list.sort_by_key(|p| p.metadata.creation_timestamp.clone());
    let names: Vec<String> = list.iter().filter_map(|p| p.metadata.name.clone()).collect();
    assert_eq!(names, vec!["web-0", "web-1", "web-2"]);
    let p0 = &list[0];
    let spec = p0.spec.clone().unwrap_or_default();
    assert_eq!(
        (spec.hostname.as_deref(), spec.subdomain.as_deref()),
        (Some("web-0"), Some("web"))
    );
    let labels = p0.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("apps.kubernetes.io/pod-index").map(String::as_str),
        Some("0")
    );
    let st = api.get("web").await.expect("get").status.unwrap_or_default();
    assert_eq!(st.current_revision, st.update_revision);
    assert_eq!(labels.get("controller-revision-hash"), st.update_revision.as_ref());
}

#[tokio::test]
async fn parallel_scale_up_of_100_with_claims_is_fast() {
    let Some((_b, c)) = cluster(&["--sim-ready-delay", "0"]).await else {
        return;
    };
    let api: Api<StatefulSet> = Api::namespaced(c.clone(), "default");
    // Warm up the watches and the connection pool.
    api.create(&PostParams::default(), &sts("warm", 1, true, true))
        .await
        .expect("created");
    wait_ready(&api, "warm", 1, Duration::from_secs(20)).await;
    api.create(&PostParams::default(), &sts("big", 100, true, true))
        .await
        .expect("created");
    let pods: Api<Pod> = Api::namespaced(c.clone(), "default");
    let t0 = Instant::now();
    while pods
        .list_metadata(&ListParams::default().labels("app=big"))
        .await
        .expect("pods")
        .items
        .len()
        < 100
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!("100 pods exist after {:?}", t0.elapsed());
    loop {
        let items = pods
            .list(&ListParams::default().labels("app=big"))
            .await
            .expect("pods")
            .items;
        let ready = items
            .iter()
            .filter(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .count();
        if ready == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!("100 pods Ready after {:?}", t0.elapsed());
    let took = wait_ready(&api, "big", 100, Duration::from_secs(30)).await;
    eprintln!("100 Parallel replicas with claims Ready in {took:?}");
}

#[tokio::test]
async fn a_rolling_update_replaces_every_pod_top_down() {
    let Some((_b, c)) = cluster(&["--sim-ready-delay", "0", "--sim-delete-delay", "0"]).await else {
        return;
    };
    let api: Api<StatefulSet> = Api::namespaced(c.clone(), "default");
    api.create(&PostParams::default(), &sts("roll", 3, false, false))
        .await
        .expect("created");
    wait_ready(&api, "roll", 3, Duration::from_secs(20)).await;
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}}}});
    api.patch("roll", &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .expect("patched");
    let start = Instant::now();
    loop {
        let st = api.get("roll").await.expect("get").status.unwrap_or_default();
        if st.observed_generation == Some(2)
            && st.current_revision == st.update_revision
            && st.ready_replicas == Some(3)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rollout did not finish: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pods: Api<Pod> = Api::namespaced(c, "default");
    for p in pods
        .list(&ListParams::default().labels("app=roll"))
        .await
        .expect("pods")
        .items
    {
        let image = p.spec.and_then(|s| s.containers.first().and_then(|c| c.image.clone()));
        assert_eq!(image.as_deref(), Some("busybox:2"));
    }
}
