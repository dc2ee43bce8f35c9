//! Shared helpers of the StatefulSet end-to-end suites: manifests, pod views read with the stock
//! kubectl, and a kube-rs pod watch that records every event in order for ordering assertions.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_testkit::{eventually, Berth};
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use serde_json::{json, Value};

pub fn berth() -> Berth {
    Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts")
}

pub fn berth_with(args: &[&str]) -> Berth {
    Berth::start_with_args(env!("CARGO_BIN_EXE_berth"), args).expect("berth starts")
}

/// The e2e suite's headless Service `test` selecting `foo=bar`.
pub fn service() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "test"},
        "spec": {"clusterIP": "None", "selector": {"foo": "bar"}, "ports": [{"port": 80, "name": "http"}]}
    })
}

/// Merges `extra` into `into` (objects recursively, anything else replaced).
pub fn merge(into: &mut Value, extra: Value) {
    match (into, extra) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

/// A StatefulSet like the e2e suite's `ss`: selector and template labels `foo=bar`, serviceName
/// `test`, one container, with `extra` merged into `spec`.
pub fn set(name: &str, replicas: i32, extra: Value) -> Value {
    let mut v = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": "test",
            "replicas": replicas,
            "selector": {"matchLabels": {"foo": "bar"}},
            "template": {
                "metadata": {"labels": {"foo": "bar"}},
                "spec": {"containers": [{"name": "httpd", "image": "httpd:2.4"}]}
            }
        }
    });
    merge(&mut v["spec"], extra);
    v
}

/// `volumeClaimTemplates` with one 1Gi ReadWriteOnce claim named `name`.
pub fn claim_template(name: &str) -> Value {
    json!({"volumeClaimTemplates": [{
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }]})
}

pub fn apply(b: &Berth, obj: &Value) -> String {
    b.kubectl_with(&["apply", "-f", "-"], &[], Some(&obj.to_string()))
        .ok()
        .stdout
}

pub fn create(b: &Berth, obj: &Value) -> String {
    b.kubectl_with(&["create", "-f", "-"], &[], Some(&obj.to_string()))
        .ok()
        .stdout
}

/// `kubectl patch <what> -p <patch>` (strategic merge).
pub fn patch(b: &Berth, what: &[&str], p: Value) {
    let mut args = vec!["patch"];
    args.extend_from_slice(what);
    let text = p.to_string();
    args.extend_from_slice(&["-p", &text]);
    b.kubectl(&args).ok();
}

pub fn get_json(b: &Berth, args: &[&str]) -> Value {
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(&b.kubectl(&a).ok().stdout).expect("kubectl prints JSON")
}

/// `kubectl get sts <name> -o json`.
pub fn sts(b: &Berth, name: &str) -> Value {
    get_json(b, &["sts", name])
}

pub fn status(b: &Berth, name: &str) -> Value {
    sts(b, name)["status"].clone()
}

pub fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

pub fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// What the scenarios look at in a pod.
#[derive(Clone, Debug, PartialEq)]
pub struct P {
    pub name: String,
    pub uid: String,
    pub phase: String,
    pub ready: bool,
    pub terminating: bool,
    pub rev: String,
    pub image: String,
    pub raw: Value,
}

impl P {
    pub fn of(v: &Value) -> P {
        let ready_cond = v["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        let phase = text(&v["status"]["phase"]);
        P {
            name: text(&v["metadata"]["name"]),
            uid: text(&v["metadata"]["uid"]),
            ready: phase == "Running" && ready_cond,
            phase,
            terminating: !v["metadata"]["deletionTimestamp"].is_null(),
            rev: text(&v["metadata"]["labels"]["controller-revision-hash"]),
            image: text(&v["spec"]["containers"][0]["image"]),
            raw: v.clone(),
        }
    }

    pub fn healthy(&self) -> bool {
        self.ready && !self.terminating
    }

    pub fn ordinal(&self) -> i64 {
        ordinal(&self.name)
    }
}

pub fn ordinal(name: &str) -> i64 {
    name.rsplit('-').next().and_then(|o| o.parse().ok()).unwrap_or(-1)
}

/// Pods labelled `foo=bar`, sorted by ordinal.
pub fn pods(b: &Berth) -> Vec<P> {
    let list = get_json(b, &["pods", "-l", "foo=bar"]);
    let mut v: Vec<P> = list["items"].as_array().into_iter().flatten().map(P::of).collect();
    v.sort_by_key(|p| (p.ordinal(), p.name.clone()));
    v
}

pub fn pod(b: &Berth, name: &str) -> Option<P> {
    pods(b).into_iter().find(|p| p.name == name)
}

pub fn names(ps: &[P]) -> Vec<String> {
    ps.iter().map(|p| p.name.clone()).collect()
}

/// Waits until exactly `want` (labelled `foo=bar`) exist, all Running, Ready and not terminating.
pub fn wait_ready(b: &Berth, want: &[&str]) -> Vec<P> {
    eventually(&format!("exactly {want:?} ready"), 90, || {
        let ps = pods(b);
        (names(&ps) == want && ps.iter().all(P::healthy)).then_some(ps)
    })
}

/// Waits until the set's status satisfies `f`; returns it.
pub fn wait_status(b: &Berth, name: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    eventually(what, 90, || {
        let s = status(b, name);
        f(&s).then_some(s)
    })
}

/// Asserts `f` holds on every poll for `secs` seconds: the e2e suite's `confirmStatefulPodCount`
/// with `hard = true`. The e2e waits 10 s against a kubelet; the simulated node starts a pod in
/// 100 ms, so a few seconds is many times the time a wrongly created pod needs to show up.
pub fn stays(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        assert!(f(), "{what} did not hold for {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn annotate(b: &Berth, pod: &str, kv: &str) {
    b.kubectl(&["annotate", "--overwrite", "pod", pod, kv]).ok();
}

pub const UNREADY: &str = "berth.dev/simulate-unready=true";
pub const READY_AGAIN: &str = "berth.dev/simulate-unready-";

/// Sets the container image of set `name` (a template change).
pub fn set_image(b: &Berth, name: &str, image: &str) {
    patch(
        b,
        &["sts", name],
        json!({"spec": {"template": {"spec": {"containers": [{"name": "httpd", "image": image}]}}}}),
    );
}

/// ControllerRevisions in the namespace: name → object.
pub fn revisions(b: &Berth) -> BTreeMap<String, Value> {
    get_json(b, &["controllerrevisions"])["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (text(&r["metadata"]["name"]), r.clone()))
        .collect()
}

/// Event messages recorded on object `name`, as `reason: message`.
pub fn events_for(b: &Berth, name: &str) -> Vec<String> {
    let sel = format!("involvedObject.name={name}");
    get_json(b, &["events", "--field-selector", &sel])["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("{} {}: {}", text(&e["type"]), text(&e["reason"]), text(&e["message"])))
        .collect()
}

/// One watch event.
#[derive(Clone, Debug)]
pub struct Ev {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    pub pod: P,
    /// The object's resourceVersion (the store's global sequence).
    pub rv: u64,
}

/// A kube-rs watch of the `foo=bar` pods, started from a list so it sees every later change.
pub struct PodWatch {
    events: Arc<Mutex<Vec<Ev>>>,
}

pub fn kube_client(kubeconfig: &Path) -> impl std::future::Future<Output = kube::Client> {
    let kubeconfig = kubeconfig.to_path_buf();
    async move {
        let kc = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
        let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await
            .expect("config");
        kube::Client::try_from(cfg).expect("client")
    }
}

/// Records the resourceVersion at which each PersistentVolumeClaim in `default` was added.
pub struct ClaimAdditions {
    added: Arc<Mutex<Vec<(String, u64)>>>,
}

impl ClaimAdditions {
    pub fn start(b: &Berth) -> ClaimAdditions {
        let added = Arc::new(Mutex::new(Vec::new()));
        let sink = added.clone();
        let kubeconfig = b.kubeconfig.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let api: Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
                    Api::namespaced(kube_client(&kubeconfig).await, "default");
                let list = api.list(&ListParams::default()).await.expect("list claims");
                let rv = list.metadata.resource_version.unwrap_or_default();
                let mut stream = api
                    .watch(&WatchParams::default().timeout(290), &rv)
                    .await
                    .expect("watch claims")
                    .boxed();
                let _ = tx.send(());
                while let Some(Ok(e)) = stream.next().await {
                    if let WatchEvent::Added(c) = e {
                        let rv = c
                            .metadata
                            .resource_version
                            .as_deref()
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(0);
                        sink.lock()
                            .expect("claims")
                            .push((c.metadata.name.unwrap_or_default(), rv));
                    }
                }
            });
        });
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .expect("claim watch started");
        ClaimAdditions { added }
    }

    /// The revision at which `name` was added.
    pub fn added_at(&self, name: &str) -> Option<u64> {
        self.added
            .lock()
            .expect("claims")
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, rv)| *rv)
    }
}

impl PodWatch {
    pub fn start(b: &Berth) -> PodWatch {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let kubeconfig = b.kubeconfig.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let api: Api<Pod> = Api::namespaced(kube_client(&kubeconfig).await, "default");
                let list = api
                    .list(&ListParams::default().labels("foo=bar"))
                    .await
                    .expect("list pods");
                let rv = list.metadata.resource_version.unwrap_or_default();
                let wp = WatchParams::default().labels("foo=bar").timeout(290);
                let mut stream = api.watch(&wp, &rv).await.expect("watch pods").boxed();
                let _ = tx.send(());
                while let Some(Ok(e)) = stream.next().await {
                    let (kind, p) = match e {
                        WatchEvent::Added(p) => ("ADDED", p),
                        WatchEvent::Modified(p) => ("MODIFIED", p),
                        WatchEvent::Deleted(p) => ("DELETED", p),
                        _ => continue,
                    };
                    let v = serde_json::to_value(&p).expect("pod to JSON");
                    let rv = p
                        .metadata
                        .resource_version
                        .as_deref()
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(0);
                    sink.lock().expect("events").push(Ev {
                        kind,
                        pod: P::of(&v),
                        rv,
                    });
                }
            });
        });
        rx.recv_timeout(Duration::from_secs(20)).expect("the pod watch starts");
        PodWatch { events }
    }

    pub fn events(&self) -> Vec<Ev> {
        self.events.lock().expect("events").clone()
    }

    /// Names in the order of `kind` events.
    pub fn order(&self, kind: &str) -> Vec<String> {
        self.events()
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.pod.name.clone())
            .collect()
    }

    /// Names in the order they first became terminating (a deletion started).
    pub fn deletion_starts(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for e in self.events() {
            let key = format!("{}/{}", e.pod.name, e.pod.uid);
            if (e.pod.terminating || e.kind == "DELETED") && !seen.contains(&key) {
                seen.push(key);
            }
        }
        seen.into_iter()
            .map(|k| k.split('/').next().unwrap_or_default().to_string())
            .collect()
    }

    pub fn dump(&self) -> String {
        self.events()
            .iter()
            .map(|e| {
                format!(
                    "{} {} uid={} phase={} ready={} terminating={} rev={}",
                    e.kind,
                    e.pod.name,
                    &e.pod.uid[..8.min(e.pod.uid.len())],
                    e.pod.phase,
                    e.pod.ready,
                    e.pod.terminating,
                    e.pod.rev
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Replays the events, calling `check(event, pods before it)`; the first `Err` fails.
    pub fn replay(&self, mut check: impl FnMut(&Ev, &BTreeMap<String, P>) -> Result<(), String>) {
        let mut state: BTreeMap<String, P> = BTreeMap::new();
        for e in self.events() {
            if let Err(msg) = check(&e, &state) {
                panic!("{msg}\nevents:\n{}", self.dump());
            }
            if e.kind == "DELETED" {
                state.remove(&e.pod.name);
            } else {
                state.insert(e.pod.name.clone(), e.pod.clone());
            }
        }
    }

    /// OrderedReady creation: when a pod is added, every lower ordinal in `[start, it)` exists and
    /// is Running, Ready and not terminating.
    pub fn assert_ordered_creation(&self, start: i64) {
        self.replay(|e, before| {
            if e.kind != "ADDED" {
                return Ok(());
            }
            for o in start..e.pod.ordinal() {
                let prefix = e.pod.name.rsplit_once('-').map(|(p, _)| p).unwrap_or_default();
                let name = format!("{prefix}-{o}");
                if !before.get(&name).is_some_and(P::healthy) {
                    return Err(format!("{} was created while {name} was not Ready", e.pod.name));
                }
            }
            Ok(())
        });
    }

    /// OrderedReady scale-down: a pod starts terminating only when no higher ordinal exists.
    pub fn assert_reverse_deletion(&self) {
        self.replay(|e, before| {
            let starts = e.pod.terminating && !before.get(&e.pod.name).is_some_and(|p| p.terminating);
            if starts {
                if let Some(higher) = before.values().find(|p| p.ordinal() > e.pod.ordinal()) {
                    return Err(format!(
                        "{} started terminating while {} still existed",
                        e.pod.name, higher.name
                    ));
                }
            }
            Ok(())
        });
    }
}
