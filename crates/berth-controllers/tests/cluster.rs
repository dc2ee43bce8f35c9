//! Integration tests: the controllers against a real `berth up` (binary from `BERTH_BIN`), driven through kube-rs.

use std::time::Duration;

use berth_testkit::Berth;

use futures::FutureExt as _;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, PostParams, PropagationPolicy};
use kube::{Client, ResourceExt as _};
use serde_json::json;

/// Starts berth (through the test kit) and the controllers in this process, so the code under
/// test is this crate's; `None`, with a message, when `BERTH_BIN` is unset. A `berth up` that
/// runs its own controllers then has two sets working side by side, which must also converge
/// (every write is idempotent or guarded by a uid / resourceVersion precondition).
async fn cluster() -> Option<(Berth, Client, tokio::task::JoinHandle<()>)> {
    let Some(bin) = std::env::var_os("BERTH_BIN") else {
        // CI (scripts/test.sh) always sets it: there a missing binary is a failure, not a skip.
        assert!(std::env::var_os("CI").is_none(), "BERTH_BIN must be set in CI");
        eprintln!("skipping: BERTH_BIN is not set (path of a built `berth` binary)");
        return None;
    };
    let b = Berth::start(bin).expect("berth starts");
    let c = b.client().await.expect("a kube client");
    let run = c.clone();
    let task = tokio::spawn(async move {
        berth_controllers::run_all(run, berth_controllers::Config::default(), std::future::pending())
            .await
            .expect("controllers run");
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
    Api::<Namespace>::all(c.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("namespace created")
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
    Api::<ConfigMap>::namespaced(c.clone(), ns)
        .create(&PostParams::default(), &cm)
        .await
        .expect("configmap created")
}

async fn exists<K>(api: &Api<K>, name: &str) -> bool
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.get_opt(name).await.expect("get works").is_some()
}

fn delete_with(policy: PropagationPolicy) -> DeleteParams {
    DeleteParams {
        propagation_policy: Some(policy),
        ..DeleteParams::default()
    }
}

#[tokio::test]
async fn a_new_namespace_gets_a_default_service_account_and_gets_it_back_after_deletion() {
    let Some((_b, c, _t)) = cluster().await else {
        return;
    };
    create_ns(&c, "sa-demo").await;
    let sas = Api::<ServiceAccount>::namespaced(c.clone(), "sa-demo");
    eventually("default appears in sa-demo", || exists(&sas, "default")).await;
    let before = sas.get("default").await.expect("default").metadata.uid;
    sas.delete("default", &DeleteParams::default()).await.expect("deleted");
    eventually("default is re-created with a new uid", || {
        let sas = sas.clone();
        let before = before.clone();
        async move {
            sas.get_opt("default")
                .await
                .ok()
                .flatten()
                .is_some_and(|sa| sa.metadata.uid != before)
        }
    })
    .await;
}

#[tokio::test]
async fn deleting_a_namespace_removes_its_pods_and_configmaps_and_then_the_namespace() {
    let Some((_b, c, _t)) = cluster().await else {
        return;
    };
    create_ns(&c, "doomed").await;
    create_cm(&c, "doomed", "settings", vec![]).await;
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "web-0"},
        "spec": {"containers": [{"name": "app", "image": "busybox"}]}
    }))
    .expect("a pod");
    let pods = Api::<Pod>::namespaced(c.clone(), "doomed");
    pods.create(&PostParams::default(), &pod).await.expect("pod created");

    // Content held by a finalizer keeps the namespace terminating until it is released.
    let cms = Api::<ConfigMap>::namespaced(c.clone(), "doomed");
    let held: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}))
            .expect("a configmap");
    cms.create(&PostParams::default(), &held).await.expect("held created");

    let nss = Api::<Namespace>::all(c.clone());
    nss.delete("doomed", &DeleteParams::default())
        .await
        .expect("namespace deletion accepted");
    eventually("the pod and the plain configmap are gone", || {
        let (pods, cms) = (pods.clone(), cms.clone());
        async move { !exists(&pods, "web-0").await && !exists(&cms, "settings").await }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ns = nss.get("doomed").await.expect("the namespace waits for held");
    assert!(ns.metadata.deletion_timestamp.is_some());
    assert_eq!(ns.status.and_then(|s| s.phase).as_deref(), Some("Terminating"));

    cms.patch(
        "held",
        &Default::default(),
        &kube::api::Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("held released");
    eventually("the namespace is gone", || exists(&nss, "doomed").map(|e| !e)).await;
}

#[tokio::test]
async fn background_deletion_of_an_owner_deletes_its_dependents() {
    let Some((_b, c, _t)) = cluster().await else {
        return;
    };
    create_ns(&c, "gc-bg").await;
    let owner = create_cm(&c, "gc-bg", "owner", vec![]).await;
    create_cm(&c, "gc-bg", "child-a", vec![owner_ref(&owner, false)]).await;
    create_cm(&c, "gc-bg", "child-b", vec![owner_ref(&owner, true)]).await;
    let other = create_cm(&c, "gc-bg", "other", vec![]).await;
    create_cm(
        &c,
        "gc-bg",
        "shared",
        vec![owner_ref(&owner, false), owner_ref(&other, false)],
    )
    .await;

    let cms = Api::<ConfigMap>::namespaced(c.clone(), "gc-bg");
    cms.delete("owner", &delete_with(PropagationPolicy::Background))
        .await
        .expect("owner deleted");
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
            let Some(shared) = cms.get_opt("shared").await.expect("get") else {
                return false;
            };
            let refs = shared.metadata.owner_references.unwrap_or_default();
            refs.len() == 1 && refs[0].uid == other_uid
        }
    })
    .await;
}

#[tokio::test]
async fn orphan_deletion_keeps_dependents_without_the_owner_reference_and_removes_the_owner() {
    let Some((_b, c, _t)) = cluster().await else {
        return;
    };
    create_ns(&c, "gc-orphan").await;
    let owner = create_cm(&c, "gc-orphan", "owner", vec![]).await;
    create_cm(&c, "gc-orphan", "child", vec![owner_ref(&owner, true)]).await;

    let cms = Api::<ConfigMap>::namespaced(c.clone(), "gc-orphan");
    cms.delete("owner", &delete_with(PropagationPolicy::Orphan))
        .await
        .expect("owner deletion accepted");
    eventually("the owner is gone", || exists(&cms, "owner").map(|e| !e)).await;
    let child: ConfigMap = cms.get("child").await.expect("the child survives");
    assert!(
        child.metadata.owner_references.unwrap_or_default().is_empty(),
        "the owner reference is stripped"
    );
}

#[tokio::test]
async fn foreground_deletion_keeps_the_owner_until_its_dependents_are_gone() {
    let Some((_b, c, _t)) = cluster().await else {
        return;
    };
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

    cms.delete("owner", &delete_with(PropagationPolicy::Foreground))
        .await
        .expect("owner deletion accepted");
    eventually("child is gone and held is terminating", || {
        let cms = cms.clone();
        async move {
            !exists(&cms, "child").await
                && cms
                    .get_opt("held")
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|h| h.metadata.deletion_timestamp.is_some())
        }
    })
    .await;
    let still: ConfigMap = cms.get("owner").await.expect("the owner waits for held");
    assert!(still.metadata.deletion_timestamp.is_some());
    assert!(still
        .metadata
        .finalizers
        .unwrap_or_default()
        .contains(&"foregroundDeletion".to_string()));

    // Releasing the last blocking dependent lets the owner go.
    cms.patch(
        "held",
        &Default::default(),
        &kube::api::Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("held released");
    eventually("the owner is gone", || exists(&cms, "owner").map(|e| !e)).await;
}

/// Runs the stock kubectl (through the test kit) without stalling the in-process controllers;
/// needs the multi-threaded runtime.
async fn kubectl(b: &Berth, args: &[&str]) -> berth_testkit::Kubectl {
    tokio::task::block_in_place(|| b.kubectl(args))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_delete_cascade_waits_for_the_garbage_collector() {
    let Some((b, c, _t)) = cluster().await else {
        return;
    };
    create_ns(&c, "cascade").await;
    let cms = Api::<ConfigMap>::namespaced(c.clone(), "cascade");

    // foreground: kubectl waits until the owner is gone, which needs its dependent gone first.
    let owner = create_cm(&c, "cascade", "fg-owner", vec![]).await;
    create_cm(&c, "cascade", "fg-child", vec![owner_ref(&owner, true)]).await;
    kubectl(
        &b,
        &[
            "delete",
            "configmap",
            "fg-owner",
            "-n",
            "cascade",
            "--cascade=foreground",
            "--timeout=20s",
        ],
    )
    .await
    .ok();
    assert!(!exists(&cms, "fg-child").await, "the dependent went first");

    // orphan: the owner goes, the dependent stays without the reference.
    let owner = create_cm(&c, "cascade", "or-owner", vec![]).await;
    create_cm(&c, "cascade", "or-child", vec![owner_ref(&owner, true)]).await;
    kubectl(
        &b,
        &[
            "delete",
            "configmap",
            "or-owner",
            "-n",
            "cascade",
            "--cascade=orphan",
            "--timeout=20s",
        ],
    )
    .await
    .ok();
    let child = cms.get("or-child").await.expect("the dependent survives");
    assert!(child.metadata.owner_references.unwrap_or_default().is_empty());

    // namespace: kubectl waits until the namespace is gone.
    kubectl(&b, &["delete", "namespace", "cascade", "--timeout=20s"])
        .await
        .ok();
    assert!(!exists(&Api::<Namespace>::all(c.clone()), "cascade").await);
}
