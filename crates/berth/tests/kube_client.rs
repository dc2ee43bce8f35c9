//! Integration: the kube-rs client against a real `berth up`: typed CRUD, watch across restarts,
//! 410 after compaction, conflicts, the scale, status and binding subresources, paging, dry run
//! and graceful deletion.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use berth_testkit::Berth;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

fn berth() -> Berth {
    // The API contract alone: no controllers or node writing to the objects under test.
    Berth::start_with_args(env!("CARGO_BIN_EXE_berth"), &["--api-only"]).expect("berth starts")
}

async fn client(b: &Berth) -> Client {
    b.client().await.expect("kube client")
}

fn typed<K: DeserializeOwned>(v: Value) -> K {
    serde_json::from_value(v).expect("a valid typed object")
}

fn value<K: Serialize>(k: &K) -> Value {
    serde_json::to_value(k).expect("serializable")
}

/// The `(code, reason)` of an API error; panics on success or on a transport error.
fn api_error<T: Debug>(r: Result<T, kube::Error>) -> (u16, String) {
    match r {
        Err(kube::Error::Api(s)) => (s.code, s.reason.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn configmap(name: &str, suite: &str) -> ConfigMap {
    typed(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"suite": suite}}, "data": {"a": "1"}}))
}

fn pod_json(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"suite": "crud"}},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}})
}

fn sts_json(name: &str, replicas: i32) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "labels": {"suite": "crud"}},
        "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}}}})
}

/// Create, get, list by label, replace, the four patch types and delete of one kind.
async fn crud<K>(api: &Api<K>, manifest: Value, strategic: Value, check_strategic: impl Fn(&Value))
where
    K: Resource + Clone + DeserializeOwned + Serialize + Debug,
{
    let name = manifest["metadata"]["name"].as_str().expect("name").to_string();
    let pp = PostParams::default();
    let created = value(&api.create(&pp, &typed(manifest.clone())).await.expect("create"));
    assert!(
        !created["metadata"]["uid"].as_str().unwrap_or("").is_empty(),
        "{created}"
    );
    let mut other = manifest.clone();
    other["metadata"]["name"] = json!(format!("{name}-other"));
    other["metadata"]["labels"] = json!({"suite": "other"});
    api.create(&pp, &typed(other)).await.expect("create the other object");

    let got = value(&api.get(&name).await.expect("get"));
    // Controllers (the scheduler, the node) may have written it since: same object, same or newer version.
    assert_eq!(got["metadata"]["uid"], created["metadata"]["uid"]);
    let rv = |v: &Value| {
        v["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert!(rv(&got) >= rv(&created), "{got}");
    let listed = api
        .list(&ListParams::default().labels("suite=crud"))
        .await
        .expect("list");
    let names: Vec<String> = listed.items.iter().map(|o| o.name_any()).collect();
    assert_eq!(names, vec![name.clone()], "label selector suite=crud");
    let all = api
        .list(&ListParams::default().labels("suite in (crud,other)"))
        .await
        .expect("list");
    assert_eq!(all.items.len(), 2);

    let mut v = got.clone();
    v["metadata"]["annotations"] = json!({"replaced": "yes"});
    let replaced = value(&api.replace(&name, &pp, &typed(v)).await.expect("replace"));
    assert_eq!(replaced["metadata"]["annotations"]["replaced"], "yes");
    assert_ne!(
        replaced["metadata"]["resourceVersion"],
        got["metadata"]["resourceVersion"]
    );

    let patch = PatchParams::default();
    let merged = value(
        &api.patch(
            &name,
            &patch,
            &Patch::Merge(json!({"metadata": {"labels": {"merged": "yes"}}})),
        )
        .await
        .expect("merge patch"),
    );
    assert_eq!(merged["metadata"]["labels"], json!({"suite": "crud", "merged": "yes"}));

    let smp = value(
        &api.patch(&name, &patch, &Patch::Strategic(strategic))
            .await
            .expect("strategic patch"),
    );
    check_strategic(&smp);
    assert_eq!(
        smp["metadata"]["annotations"]["replaced"], "yes",
        "strategic patch kept the rest"
    );

    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/metadata/annotations/json", "value": "yes"}]))
            .expect("json patch");
    let jp = value(
        &api.patch(&name, &patch, &Patch::Json::<()>(ops))
            .await
            .expect("json patch"),
    );
    assert_eq!(jp["metadata"]["annotations"], json!({"replaced": "yes", "json": "yes"}));

    let apply = json!({"apiVersion": manifest["apiVersion"], "kind": manifest["kind"],
        "metadata": {"name": name, "labels": {"applied": "yes"}}});
    let applied = value(
        &api.patch(&name, &PatchParams::apply("crud-test").force(), &Patch::Apply(apply))
            .await
            .expect("server-side apply"),
    );
    assert_eq!(applied["metadata"]["labels"]["applied"], "yes");
    assert_eq!(
        applied["metadata"]["labels"]["suite"], "crud",
        "apply kept fields owned by others"
    );
    let managers: Vec<&Value> = applied["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter(|m| m["manager"] == "crud-test")
        .collect();
    assert_eq!(managers.len(), 1, "{applied}");
    assert_eq!(managers[0]["operation"], "Apply");

    api.delete(&name, &DeleteParams::default()).await.expect("delete");
    assert_eq!(api_error(api.get(&name).await), (404, "NotFound".into()));
    api.delete(&format!("{name}-other"), &DeleteParams::default())
        .await
        .expect("delete the other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_crud_of_pods_configmaps_statefulsets_and_services() {
    let b = berth();
    let c = client(&b).await;

    let pods: Api<Pod> = Api::namespaced(c.clone(), "default");
    crud(
        &pods,
        pod_json("web"),
        json!({"spec": {"containers": [{"name": "main", "image": "busybox:1.37"}]}}),
        |p| {
            assert_eq!(p["spec"]["containers"].as_array().map(Vec::len), Some(1), "{p}");
            assert_eq!(p["spec"]["containers"][0]["image"], "busybox:1.37");
            assert_eq!(
                p["spec"]["containers"][0]["command"],
                json!(["sleep", "3600"]),
                "merged by name"
            );
        },
    )
    .await;

    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf", "labels": {"suite": "crud"}},
        "data": {"a": "1"}});
    crud(&cms, cm, json!({"data": {"b": "2"}}), |c| {
        assert_eq!(c["data"], json!({"a": "1", "b": "2"}));
    })
    .await;

    let sts: Api<StatefulSet> = Api::namespaced(c.clone(), "default");
    crud(
        &sts,
        sts_json("db", 1),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "busybox:1.37"}]}}}}),
        |s| {
            let cs = &s["spec"]["template"]["spec"]["containers"];
            assert_eq!(cs.as_array().map(Vec::len), Some(1), "{s}");
            assert_eq!(cs[0]["image"], "busybox:1.37");
            assert_eq!(cs[0]["command"], json!(["sleep", "3600"]));
        },
    )
    .await;

    let svcs: Api<Service> = Api::namespaced(c.clone(), "default");
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "front", "labels": {"suite": "crud"}},
        "spec": {"selector": {"app": "front"}, "ports": [{"name": "http", "port": 80}]}});
    crud(
        &svcs,
        svc,
        json!({"spec": {"ports": [{"name": "https", "port": 443}]}}),
        |s| {
            let ports: Vec<i64> = s["spec"]["ports"]
                .as_array()
                .expect("ports")
                .iter()
                .filter_map(|p| p["port"].as_i64())
                .collect();
            assert_eq!(ports.len(), 2, "ports merged by port: {s}");
            assert!(ports.contains(&80) && ports.contains(&443), "{s}");
        },
    )
    .await;
}

/// Sends the names of applied objects (and `INIT` / `ERR ...` markers) from a watcher.
fn spawn_watcher(api: Api<ConfigMap>, cfg: watcher::Config) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let stream = watcher(api, cfg).default_backoff();
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            let msg = match ev {
                Ok(watcher::Event::Init) => vec!["INIT".to_string()],
                Ok(watcher::Event::InitDone) => vec!["INITDONE".to_string()],
                Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => vec![o.name_any()],
                Ok(watcher::Event::Delete(o)) => vec![format!("DELETED {}", o.name_any())],
                Err(e) => vec![format!("ERR {e}")],
            };
            for m in msg {
                if tx.send(m).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Waits for a message for which `pred` holds; returns everything seen up to it.
async fn wait_for(rx: &mut mpsc::UnboundedReceiver<String>, secs: u64, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(secs), async {
        while let Some(m) = rx.recv().await {
            let done = pred(&m);
            seen.push(m);
            if done {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(r, Ok(true)),
        "watcher never produced the expected event; saw {seen:?}"
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_keeps_working_across_a_restart_and_sees_objects_created_after_it() {
    let mut b = berth();
    let c = client(&b).await;
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let mut rx = spawn_watcher(api.clone(), watcher::Config::default().labels("suite=watch"));
    wait_for(&mut rx, 20, |m| m == "INITDONE").await;
    api.create(&PostParams::default(), &configmap("before", "watch"))
        .await
        .expect("create");
    wait_for(&mut rx, 20, |m| m == "before").await;

    b.kill9();
    b.restart().expect("berth restarts on the same data dir and port");
    // A fresh client: the old one's pooled connections died with the process.
    let api2: Api<ConfigMap> = Api::namespaced(client(&b).await, "default");
    api2.get("before").await.expect("the object survived the restart");
    for name in ["after-1", "after-2"] {
        api2.create(&PostParams::default(), &configmap(name, "watch"))
            .await
            .expect("create after restart");
    }
    wait_for(&mut rx, 40, |m| m == "after-1").await;
    wait_for(&mut rx, 20, |m| m == "after-2").await;
    api2.delete("after-1", &DeleteParams::default()).await.expect("delete");
    wait_for(&mut rx, 20, |m| m == "DELETED after-1").await;
}

fn bin_with_small_history() -> Berth {
    Berth::start_with_args(env!("CARGO_BIN_EXE_berth"), &["--watch-history", "5", "--api-only"]).expect("berth starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_a_compacted_resource_version_gets_a_410_expired_error_event() {
    let b = bin_with_small_history();
    let api: Api<ConfigMap> = Api::namespaced(client(&b).await, "default");
    let first = api
        .create(&PostParams::default(), &configmap("old-0", "gone"))
        .await
        .expect("create");
    let rv0 = first.resource_version().expect("resourceVersion");
    for i in 1..=20 {
        api.create(&PostParams::default(), &configmap(&format!("old-{i}"), "gone"))
            .await
            .expect("create");
    }
    let stream = api
        .watch(&WatchParams::default(), &rv0)
        .await
        .expect("the watch starts (200)");
    futures::pin_mut!(stream);
    let ev = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
        .await
        .expect("an event arrives")
        .expect("the stream decodes");
    match ev {
        Some(WatchEvent::Error(s)) => {
            assert_eq!(s.code, 410, "{s:?}");
            assert_eq!(s.reason, "Expired", "{s:?}");
            assert!(s.message.contains("too old resource version"), "{s:?}");
        }
        other => panic!("expected an ERROR event with 410, got {other:?}"),
    }
    // A watch from a recent resourceVersion still works.
    let last = api.get("old-20").await.expect("get").resource_version().expect("rv");
    let stream = api.watch(&WatchParams::default(), &last).await.expect("watch");
    futures::pin_mut!(stream);
    api.create(&PostParams::default(), &configmap("new", "gone"))
        .await
        .expect("create");
    let ev = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
        .await
        .expect("an event arrives")
        .expect("the stream decodes");
    assert!(
        matches!(&ev, Some(WatchEvent::Added(cm)) if cm.name_any() == "new"),
        "{ev:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_recovers_from_410_by_relisting() {
    let b = bin_with_small_history();
    let api: Api<ConfigMap> = Api::namespaced(client(&b).await, "default");
    // The watch ends every second and resumes from the last resourceVersion it saw. Writes that
    // do not match its selector move the store on without moving the watcher, so the resume
    // falls out of the 5-event history and gets 410.
    let mut rx = spawn_watcher(
        api.clone(),
        watcher::Config::default().labels("suite=relist").timeout(1),
    );
    wait_for(&mut rx, 20, |m| m == "INITDONE").await;
    api.create(&PostParams::default(), &configmap("first", "relist"))
        .await
        .expect("create");
    wait_for(&mut rx, 20, |m| m == "first").await;
    for i in 0..20 {
        api.create(&PostParams::default(), &configmap(&format!("noise-{i}"), "noise"))
            .await
            .expect("create");
    }
    let seen = wait_for(&mut rx, 30, |m| m == "INIT").await;
    assert!(
        seen.iter()
            .any(|m| m.starts_with("ERR") && m.contains("too old resource version") && m.contains("Expired")),
        "the re-list follows a 410: {seen:?}"
    );
    let seen = wait_for(&mut rx, 20, |m| m == "INITDONE").await;
    assert!(
        seen.iter().any(|m| m == "first"),
        "the re-list returns the existing object: {seen:?}"
    );
    api.create(&PostParams::default(), &configmap("second", "relist"))
        .await
        .expect("create");
    wait_for(&mut rx, 20, |m| m == "second").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_with_a_stale_resource_version_is_a_409_conflict() {
    let b = berth();
    let api: Api<ConfigMap> = Api::namespaced(client(&b).await, "default");
    let stale = api
        .create(&PostParams::default(), &configmap("c", "conflict"))
        .await
        .expect("create");
    let mut fresh = stale.clone();
    fresh.data = Some(BTreeMap::from([("a".to_string(), "2".to_string())]));
    api.replace("c", &PostParams::default(), &fresh)
        .await
        .expect("first replace");
    let mut late = stale.clone();
    late.data = Some(BTreeMap::from([("a".to_string(), "3".to_string())]));
    assert_eq!(
        api_error(api.replace("c", &PostParams::default(), &late).await),
        (409, "Conflict".into())
    );
    assert_eq!(api.get("c").await.expect("get").data.expect("data")["a"], "2");
    // A merge patch carrying the stale resourceVersion is a precondition, and fails the same way.
    let p = Patch::Merge(json!({"metadata": {"resourceVersion": stale.resource_version()}, "data": {"a": "4"}}));
    assert_eq!(
        api_error(api.patch("c", &PatchParams::default(), &p).await),
        (409, "Conflict".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_subresource_reads_patches_and_replaces_replicas() {
    let b = berth();
    let api: Api<StatefulSet> = Api::namespaced(client(&b).await, "default");
    api.create(&PostParams::default(), &typed(sts_json("web", 1)))
        .await
        .expect("create");
    let scale = api.get_scale("web").await.expect("get scale");
    assert_eq!(scale.spec.as_ref().and_then(|s| s.replicas), Some(1));
    assert_eq!(scale.metadata.name.as_deref(), Some("web"));
    assert_eq!(
        scale.status.as_ref().and_then(|s| s.selector.clone()).as_deref(),
        Some("app=web")
    );

    let patched = api
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("patch scale");
    assert_eq!(patched.spec.as_ref().and_then(|s| s.replicas), Some(3));

    let mut s = api.get_scale("web").await.expect("get scale");
    s.spec.as_mut().expect("spec").replicas = Some(5);
    let replaced = api
        .replace_scale("web", &PostParams::default(), &s)
        .await
        .expect("replace scale");
    assert_eq!(replaced.spec.as_ref().and_then(|s| s.replicas), Some(5));
    // The same Scale again carries a stale resourceVersion now.
    assert_eq!(
        api_error(api.replace_scale("web", &PostParams::default(), &s).await),
        (409, "Conflict".into())
    );

    let sts = api.get("web").await.expect("get");
    assert_eq!(sts.spec.as_ref().and_then(|s| s.replicas), Some(5));
    assert_eq!(sts.metadata.generation, Some(3), "each replica change is a spec change");
    assert_eq!(api_error(api.get_scale("missing").await), (404, "NotFound".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paging_with_limit_and_continue_returns_every_object_exactly_once() {
    let b = berth();
    let api: Api<ConfigMap> = Api::namespaced(client(&b).await, "default");
    let mut expected = Vec::new();
    for i in 0..23 {
        let name = format!("page-{i:02}");
        api.create(&PostParams::default(), &configmap(&name, "page"))
            .await
            .expect("create");
        expected.push(name);
        if i % 4 == 0 {
            api.create(&PostParams::default(), &configmap(&format!("skip-{i:02}"), "skip"))
                .await
                .expect("create");
        }
    }
    let mut names = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().labels("suite=page").limit(5);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await.expect("list page");
        pages += 1;
        assert!(page.items.len() <= 5, "page {pages} has {} items", page.items.len());
        names.extend(page.items.iter().map(|o| o.name_any()));
        if pages == 2 {
            // Changing objects between pages moves neither an object already listed nor one still to come.
            for n in ["page-00", "page-20"] {
                api.patch(n, &PatchParams::default(), &Patch::Merge(json!({"data": {"b": "x"}})))
                    .await
                    .expect("patch");
            }
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(pages, 5, "23 objects in pages of 5");
    assert_eq!(names, expected, "every object exactly once, in name order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paging_without_a_selector_returns_every_object_exactly_once() {
    let b = berth();
    let c = client(&b).await;
    let ns: Api<Namespace> = Api::all(c.clone());
    ns.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "paging"}})).expect("ns"),
    )
    .await
    .expect("create namespace");
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), "paging");
    let mut expected = Vec::new();
    for i in 0..12 {
        let name = format!("cm-{i:02}");
        api.create(&PostParams::default(), &configmap(&name, "plain"))
            .await
            .expect("create");
        expected.push(name);
    }
    let mut names = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(4);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await.expect("list page");
        pages += 1;
        assert!(page.items.len() <= 4, "page {pages} has {} items", page.items.len());
        names.extend(page.items.iter().map(|o| o.name_any()));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(
        pages, 3,
        "12 objects in pages of 4: the last full page has no continue token"
    );
    assert_eq!(names, expected, "every object exactly once, in name order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_create_update_patch_and_delete_change_nothing() {
    let b = berth();
    let c = client(&b).await;
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let out = api
        .create(&dry, &configmap("ghost", "dry"))
        .await
        .expect("dry-run create");
    assert_eq!(out.name_any(), "ghost");
    assert_eq!(api_error(api.get("ghost").await), (404, "NotFound".into()));

    let real = api
        .create(&PostParams::default(), &configmap("real", "dry"))
        .await
        .expect("create");
    let rv = real.resource_version();
    let mut changed = real.clone();
    changed.data = Some(BTreeMap::from([("a".to_string(), "changed".to_string())]));
    let out = api.replace("real", &dry, &changed).await.expect("dry-run replace");
    assert_eq!(
        out.data.as_ref().expect("data")["a"],
        "changed",
        "the answer shows the change"
    );
    let pp = PatchParams {
        dry_run: true,
        ..Default::default()
    };
    let out = api
        .patch("real", &pp, &Patch::Merge(json!({"data": {"b": "2"}})))
        .await
        .expect("dry-run patch");
    assert_eq!(out.data.as_ref().expect("data").get("b").map(String::as_str), Some("2"));
    let dp = DeleteParams {
        dry_run: true,
        ..Default::default()
    };
    api.delete("real", &dp).await.expect("dry-run delete");
    let now = api.get("real").await.expect("still there");
    assert_eq!(now.resource_version(), rv, "nothing was written");
    assert_eq!(now.data, real.data);

    // A dry-run Service must not keep the cluster IP it would have been given.
    let svcs: Api<Service> = Api::namespaced(c.clone(), "default");
    let svc: Service = typed(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"clusterIP": "10.96.7.7", "ports": [{"port": 80}]}}));
    svcs.create(&dry, &svc).await.expect("dry-run service");
    assert_eq!(api_error(svcs.get("s").await), (404, "NotFound".into()));
    svcs.create(&PostParams::default(), &svc)
        .await
        .expect("the IP is still free after a dry run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_deletion_keeps_a_bound_pod_until_grace_zero_and_removes_unscheduled_pods_at_once() {
    let b = berth();
    let pods: Api<Pod> = Api::namespaced(client(&b).await, "default");
    pods.create(&PostParams::default(), &typed(pod_json("bound")))
        .await
        .expect("create");
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}});
    let _: Value = pods
        .create_subresource("binding", "bound", &PostParams::default(), &binding)
        .await
        .expect("bind");
    let p = pods.get("bound").await.expect("get");
    assert_eq!(p.spec.as_ref().and_then(|s| s.node_name.as_deref()), Some("node-1"));
    // A second binding is refused.
    let again: Result<Value, _> = pods
        .create_subresource("binding", "bound", &PostParams::default(), &binding)
        .await;
    assert_eq!(api_error(again), (409, "Conflict".into()));

    let out = pods
        .delete("bound", &DeleteParams::default().grace_period(30))
        .await
        .expect("delete");
    let terminating = out.left().expect("a graceful delete answers with the pod");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    assert_eq!(terminating.metadata.deletion_grace_period_seconds, Some(30));
    let p = pods.get("bound").await.expect("the pod stays while terminating");
    assert!(p.metadata.deletion_timestamp.is_some());
    assert_eq!(p.metadata.deletion_grace_period_seconds, Some(30));
    // Deleting again with a longer grace period does not extend it.
    pods.delete("bound", &DeleteParams::default().grace_period(60))
        .await
        .expect("delete again");
    let p = pods.get("bound").await.expect("still terminating");
    assert_eq!(p.metadata.deletion_grace_period_seconds, Some(30));

    pods.delete("bound", &DeleteParams::default().grace_period(0))
        .await
        .expect("delete with grace 0");
    assert_eq!(api_error(pods.get("bound").await), (404, "NotFound".into()));

    pods.create(&PostParams::default(), &typed(pod_json("floating")))
        .await
        .expect("create");
    pods.delete("floating", &DeleteParams::default().grace_period(30))
        .await
        .expect("delete");
    assert_eq!(
        api_error(pods.get("floating").await),
        (404, "NotFound".into()),
        "unscheduled pods go at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_writes_ignore_spec_main_writes_ignore_status_and_generation_follows_spec() {
    let b = berth();
    let api: Api<StatefulSet> = Api::namespaced(client(&b).await, "default");
    let pp = PostParams::default();
    let created = api.create(&pp, &typed(sts_json("web", 1))).await.expect("create");
    assert_eq!(created.metadata.generation, Some(1));

    let mut v = value(&created);
    v["spec"]["replicas"] = json!(9);
    v["status"] = json!({"replicas": 2, "observedGeneration": 1});
    let s = api.replace_status("web", &pp, &typed(v)).await.expect("replace status");
    assert_eq!(
        s.spec.as_ref().and_then(|s| s.replicas),
        Some(1),
        "status write ignored spec"
    );
    assert_eq!(s.status.as_ref().map(|s| s.replicas), Some(2));
    assert_eq!(s.metadata.generation, Some(1));

    let s = api
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 8}, "status": {"replicas": 3}})),
        )
        .await
        .expect("patch status");
    assert_eq!(
        s.spec.as_ref().and_then(|s| s.replicas),
        Some(1),
        "status patch ignored spec"
    );
    assert_eq!(s.status.as_ref().map(|s| s.replicas), Some(3));
    assert_eq!(s.metadata.generation, Some(1));

    let mut v = value(&s);
    v["status"]["replicas"] = json!(7);
    v["metadata"]["labels"] = json!({"tier": "db"});
    let s = api.replace("web", &pp, &typed(v)).await.expect("replace");
    assert_eq!(
        s.status.as_ref().map(|s| s.replicas),
        Some(3),
        "main write ignored status"
    );
    assert_eq!(s.metadata.generation, Some(1), "a label change is not a spec change");
    let s = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"replicas": 6}})),
        )
        .await
        .expect("patch");
    assert_eq!(
        s.status.as_ref().map(|s| s.replicas),
        Some(3),
        "main patch ignored status"
    );
    assert_eq!(s.metadata.generation, Some(1));

    let s = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 2}})),
        )
        .await
        .expect("patch spec");
    assert_eq!(s.metadata.generation, Some(2), "a spec change bumps generation");
    assert_eq!(s.status.as_ref().map(|s| s.replicas), Some(3));

    // Pods: a main-resource write cannot set status either.
    let pods: Api<Pod> = Api::namespaced(client(&b).await, "default");
    pods.create(&pp, &typed(pod_json("p"))).await.expect("create pod");
    let p = pods
        .patch(
            "p",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Running"}})),
        )
        .await
        .expect("patch pod");
    assert_ne!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Running"));
    let p = pods
        .patch_status(
            "p",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Running"}})),
        )
        .await
        .expect("patch pod status");
    assert_eq!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Running"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_services_cluster_ip_can_be_given_to_a_new_service() {
    let b = berth();
    let svcs: Api<Service> = Api::namespaced(client(&b).await, "default");
    let svc = |name: &str| -> Service {
        typed(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"clusterIP": "10.96.8.8", "ports": [{"port": 80}]}}),
        )
    };
    svcs.create(&PostParams::default(), &svc("one")).await.expect("create");
    let (code, reason) = api_error(svcs.create(&PostParams::default(), &svc("two")).await);
    assert_eq!((code, reason.as_str()), (422, "Invalid"), "the IP is taken");
    // A failed create (the name exists) must not keep the IP it was about to get either.
    let dup: Service = typed(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "one"},
        "spec": {"clusterIP": "10.96.9.9", "ports": [{"port": 80}]}}),
    );
    assert_eq!(
        api_error(svcs.create(&PostParams::default(), &dup).await),
        (409, "AlreadyExists".into())
    );
    svcs.delete("one", &DeleteParams::default()).await.expect("delete");
    svcs.create(&PostParams::default(), &svc("two"))
        .await
        .expect("the IP was released by the delete");
    let nine: Service = typed(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nine"},
        "spec": {"clusterIP": "10.96.9.9", "ports": [{"port": 80}]}}),
    );
    svcs.create(&PostParams::default(), &nine)
        .await
        .expect("the IP was released by the failed create");
}

/// `TYPE name` of every event of a watch until the server ends it (`timeoutSeconds`); bookmarks
/// are left out.
async fn watch_lines<K: Resource + Debug>(
    stream: impl futures::Stream<Item = Result<WatchEvent<K>, kube::Error>>,
) -> Vec<String> {
    futures::pin_mut!(stream);
    let mut lines = Vec::new();
    let read = async {
        while let Some(ev) = stream.try_next().await.expect("the stream decodes") {
            match ev {
                WatchEvent::Added(o) => lines.push(format!("ADDED {}", o.name_any())),
                WatchEvent::Modified(o) => lines.push(format!("MODIFIED {}", o.name_any())),
                WatchEvent::Deleted(o) => lines.push(format!("DELETED {}", o.name_any())),
                WatchEvent::Bookmark(_) => {}
                WatchEvent::Error(e) => panic!("watch error {e:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server ends the watch at its timeout");
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selector_watches_send_only_matching_pods_from_the_start_and_as_they_change() {
    let b = berth();
    let api: Api<Pod> = Api::namespaced(client(&b).await, "default");
    for (name, node, tier) in [
        ("sel-a", "n1", Some("web")),
        ("sel-b", "n2", Some("db")),
        ("sel-c", "n1", None),
    ] {
        let mut p = pod_json(name);
        p["metadata"]["labels"] = json!({"suite": "sel"});
        if let Some(tier) = tier {
            p["metadata"]["labels"]["tier"] = json!(tier);
        }
        p["spec"]["nodeName"] = json!(node);
        api.create(&PostParams::default(), &typed(p)).await.expect("create");
    }
    let wp = |labels: &str, fields: &str| {
        let wp = WatchParams::default().timeout(2);
        let wp = if labels.is_empty() { wp } else { wp.labels(labels) };
        if fields.is_empty() {
            wp
        } else {
            wp.fields(fields)
        }
    };
    // From resourceVersion 0: the objects there are, then changes (none here).
    let (on_n1, tiered, web_on_n1) = futures::join!(
        async { watch_lines(api.watch(&wp("", "spec.nodeName=n1"), "0").await.expect("watch")).await },
        async {
            watch_lines(
                api.watch_metadata(&wp("tier in (web,db)", ""), "0")
                    .await
                    .expect("watch"),
            )
            .await
        },
        async {
            watch_lines(
                api.watch(&wp("tier=web", "spec.nodeName=n1"), "0")
                    .await
                    .expect("watch"),
            )
            .await
        },
    );
    assert_eq!(on_n1, ["ADDED sel-a", "ADDED sel-c"]);
    assert_eq!(tiered, ["ADDED sel-a", "ADDED sel-b"]);
    assert_eq!(web_on_n1, ["ADDED sel-a"]);

    // From a resourceVersion: changes, as the selector sees them.
    let rv = api
        .list(&ListParams::default().labels("suite=sel"))
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("a list resourceVersion");
    let pp = PatchParams::default();
    for (name, patch) in [
        ("sel-b", json!({"metadata": {"labels": {"tier": "web"}}})),
        ("sel-a", json!({"metadata": {"labels": {"tier": "db"}}})),
        ("sel-c", json!({"metadata": {"annotations": {"x": "y"}}})),
    ] {
        api.patch(name, &pp, &Patch::Merge(patch)).await.expect("patch");
    }
    let (web, on_n1, web_on_n1, untiered) = futures::join!(
        async { watch_lines(api.watch(&wp("tier=web", ""), &rv).await.expect("watch")).await },
        async { watch_lines(api.watch(&wp("", "spec.nodeName=n1"), &rv).await.expect("watch")).await },
        async {
            watch_lines(
                api.watch_metadata(&wp("tier=web", "spec.nodeName=n1"), &rv)
                    .await
                    .expect("watch"),
            )
            .await
        },
        async { watch_lines(api.watch_metadata(&wp("!tier", ""), &rv).await.expect("watch")).await },
    );
    assert_eq!(web, ["ADDED sel-b", "DELETED sel-a"]);
    assert_eq!(on_n1, ["MODIFIED sel-a", "MODIFIED sel-c"]);
    assert_eq!(web_on_n1, ["DELETED sel-a"]);
    assert_eq!(untiered, ["MODIFIED sel-c"]);
}
