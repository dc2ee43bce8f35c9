//! Integration tests: the controllers against a real `berth up` (binary from `BERTH_BIN`), driven through kube-rs.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, PostParams, PropagationPolicy};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, ResourceExt as _};
use futures::FutureExt as _;
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

/// Starts berth, or returns `None` (with a message) when `BERTH_BIN` is unset.
fn start_berth() -> Option<Berth> {
    let Ok(bin) = std::env::var("BERTH_BIN") else {
        eprintln!("skipping: BERTH_BIN is not set (path of a built `berth` binary)");
        return None;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut child = Command::new(bin)
        .args(["up", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
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
    Some(Berth { child, kubeconfig, _dir: dir })
}

async fn client(b: &Berth) -> Client {
    let kc = Kubeconfig::read_from(&b.kubeconfig).expect("kubeconfig reads");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await.expect("kubeconfig is valid");
    Client::try_from(config).expect("a client")
}

/// Starts berth and the controllers; `None` when BERTH_BIN is unset.
async fn cluster() -> Option<(Berth, Client, tokio::task::JoinHandle<()>)> {
    let b = start_berth()?;
    let c = client(&b).await;
    let run = c.clone();
    let task = tokio::spawn(async move {
        berth_controllers::run_all(run, std::future::pending()).await.expect("controllers run");
    });
    Some((b, c, task))
}

/// Polls `check` every 100 ms for up to 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn create_ns(c: &Client, name: &str) -> Namespace {
    // spec.finalizers as upstream defaulting sets it, so this works with or without defaulting.
    let ns: Namespace = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"finalizers": ["kubernetes"]}
    }))
    .expect("a namespace");
    Api::<Namespace>::all(c.clone()).create(&PostParams::default(), &ns).await.expect("namespace created")
}

fn owner_ref(owner: &ConfigMap, block: bool) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "name": owner.metadata.name, "uid": owner.metadata.uid,
        "blockOwnerDeletion": block,
    })
}

async fn create_cm(c: &Client, ns: &str, name: &str, owners: Vec<serde_json::Value>) -> ConfigMap {
    let mut meta = json!({"name": name});
    if !owners.is_empty() {
        meta["ownerReferences"] = json!(owners);
    }
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": meta, "data": {"k": "v"}})).expect("a configmap");
    Api::<ConfigMap>::namespaced(c.clone(), ns).create(&PostParams::default(), &cm).await.expect("configmap created")
}

async fn exists<K>(api: &Api<K>, name: &str) -> bool
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.get_opt(name).await.expect("get works").is_some()
}

fn delete_with(policy: PropagationPolicy) -> DeleteParams {
    DeleteParams { propagation_policy: Some(policy), ..DeleteParams::default() }
}

#[tokio::test]
async fn a_new_namespace_gets_a_default_service_account_and_gets_it_back_after_deletion() {
    let Some((_b, c, _t)) = cluster().await else { return };
    create_ns(&c, "sa-demo").await;
    let sas = Api::<ServiceAccount>::namespaced(c.clone(), "sa-demo");
    eventually("default appears in sa-demo", || exists(&sas, "default")).await;
    let before = sas.get("default").await.expect("default").metadata.uid;
    sas.delete("default", &DeleteParams::default()).await.expect("deleted");
    eventually("default is re-created with a new uid", || {
        let sas = sas.clone();
        let before = before.clone();
        async move { sas.get_opt("default").await.ok().flatten().is_some_and(|sa| sa.metadata.uid != before) }
    })
    .await;
}

#[tokio::test]
async fn deleting_a_namespace_removes_its_pods_and_configmaps_and_then_the_namespace() {
    let Some((_b, c, _t)) = cluster().await else { return };
    create_ns(&c, "doomed").await;
    create_cm(&c, "doomed", "settings", vec![]).await;
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "web-0"},
        "spec": {"containers": [{"name": "app", "image": "busybox"}]}
    }))
    .expect("a pod");
    let pods = Api::<Pod>::namespaced(c.clone(), "doomed");
    pods.create(&PostParams::default(), &pod).await.expect("pod created");

    let nss = Api::<Namespace>::all(c.clone());
    nss.delete("doomed", &DeleteParams::default()).await.expect("namespace deletion accepted");
    let cms = Api::<ConfigMap>::namespaced(c.clone(), "doomed");
    eventually("the namespace is gone", || exists(&nss, "doomed").map(|e| !e)).await;
    assert!(pods.list(&Default::default()).await.map(|l| l.items.is_empty()).unwrap_or(true), "pods remain");
    assert!(cms.list(&Default::default()).await.map(|l| l.items.is_empty()).unwrap_or(true), "configmaps remain");
}

#[tokio::test]
async fn background_deletion_of_an_owner_deletes_its_dependents() {
    let Some((_b, c, _t)) = cluster().await else { return };
    create_ns(&c, "gc-bg").await;
    let owner = create_cm(&c, "gc-bg", "owner", vec![]).await;
    create_cm(&c, "gc-bg", "child-a", vec![owner_ref(&owner, false)]).await;
    create_cm(&c, "gc-bg", "child-b", vec![owner_ref(&owner, true)]).await;
    let other = create_cm(&c, "gc-bg", "other", vec![]).await;
    create_cm(&c, "gc-bg", "shared", vec![owner_ref(&owner, false), owner_ref(&other, false)]).await;

    let cms = Api::<ConfigMap>::namespaced(c.clone(), "gc-bg");
    cms.delete("owner", &delete_with(PropagationPolicy::Background)).await.expect("owner deleted");
    eventually("child-a and child-b are gone", || {
        let cms = cms.clone();
        async move { !exists(&cms, "child-a").await && !exists(&cms, "child-b").await }
    })
    .await;
    // The dependent with another owner stays and only loses the dangling reference.
    eventually("shared keeps only its remaining owner", || {
        let cms = cms.clone();
        let other_uid = other.uid().expect("uid");
        async move {
            let Some(shared) = cms.get_opt("shared").await.expect("get") else { return false };
            let refs = shared.metadata.owner_references.unwrap_or_default();
            refs.len() == 1 && refs[0].uid == other_uid
        }
    })
    .await;
}

#[tokio::test]
async fn orphan_deletion_keeps_dependents_without_the_owner_reference_and_removes_the_owner() {
    let Some((_b, c, _t)) = cluster().await else { return };
    create_ns(&c, "gc-orphan").await;
    let owner = create_cm(&c, "gc-orphan", "owner", vec![]).await;
    create_cm(&c, "gc-orphan", "child", vec![owner_ref(&owner, true)]).await;

    let cms = Api::<ConfigMap>::namespaced(c.clone(), "gc-orphan");
    cms.delete("owner", &delete_with(PropagationPolicy::Orphan)).await.expect("owner deletion accepted");
    eventually("the owner is gone", || exists(&cms, "owner").map(|e| !e)).await;
    let child: ConfigMap = cms.get("child").await.expect("the child survives");
    assert!(child.metadata.owner_references.unwrap_or_default().is_empty(), "the owner reference is stripped");
}

#[tokio::test]
async fn foreground_deletion_keeps_the_owner_until_its_dependents_are_gone() {
    let Some((_b, c, _t)) = cluster().await else { return };
    create_ns(&c, "gc-fg").await;
    let owner = create_cm(&c, "gc-fg", "owner", vec![]).await;
    // A dependent held by a finalizer: the owner must wait for it.
    let cms = Api::<ConfigMap>::namespaced(c.clone(), "gc-fg");
    let held: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "held", "finalizers": ["example.com/hold"], "ownerReferences": [owner_ref(&owner, true)]}
    }))
    .expect("a configmap");
    cms.create(&PostParams::default(), &held).await.expect("held created");
    create_cm(&c, "gc-fg", "child", vec![owner_ref(&owner, true)]).await;

    cms.delete("owner", &delete_with(PropagationPolicy::Foreground)).await.expect("owner deletion accepted");
    eventually("child is gone and held is terminating", || {
        let cms = cms.clone();
        async move {
            !exists(&cms, "child").await
                && cms.get_opt("held").await.ok().flatten().is_some_and(|h| h.metadata.deletion_timestamp.is_some())
        }
    })
    .await;
    let still: ConfigMap = cms.get("owner").await.expect("the owner waits for held");
    assert!(still.metadata.deletion_timestamp.is_some());
    assert!(still.metadata.finalizers.unwrap_or_default().contains(&"foregroundDeletion".to_string()));

    // Releasing the last blocking dependent lets the owner go.
    cms.patch("held", &Default::default(), &kube::api::Patch::Merge(json!({"metadata": {"finalizers": null}})))
        .await
        .expect("held released");
    eventually("the owner is gone", || exists(&cms, "owner").map(|e| !e)).await;
}
