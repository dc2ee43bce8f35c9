//! The StatefulSet scenario (`berth-load sts`): apply a headless Service and the seed `web`
//! StatefulSet to a fresh `berth up --sim-ready-delay 0 --sim-delete-delay 0` and time the create's
//! acknowledgement → every pod created → every pod Running → `status.readyReplicas == replicas`,
//! with berth's CPU seconds and the API requests it served over that span.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;
use rustls::ClientConfig;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::client::{self, Conn, Identity};
use crate::procfs::Proc;
use crate::stats::median_opt;
use crate::workload;

/// `spec.podManagementPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
pub enum Policy {
    #[value(name = "Parallel", alias = "parallel")]
    Parallel,
    #[value(name = "OrderedReady", alias = "orderedready", alias = "ordered-ready")]
    OrderedReady,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Parallel => "Parallel",
            Policy::OrderedReady => "OrderedReady",
        }
    }
}

/// With or without `volumeClaimTemplates`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
pub enum Claims {
    With,
    Without,
}

impl Claims {
    pub fn as_str(self) -> &'static str {
        match self {
            Claims::With => "with",
            Claims::Without => "without",
        }
    }
}

/// One cell of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    pub replicas: u32,
    pub policy: Policy,
    pub claims: Claims,
}

/// How the scenario runs.
#[derive(Clone, Debug)]
pub struct StsConfig {
    pub runs: usize,
    /// Give up on a run after this long.
    pub timeout: Duration,
    /// Idle time between the node being Ready and the create (startup work settles).
    pub settle: Duration,
    /// The node name berth registers (pods are scheduled to it).
    pub node_name: String,
}

/// Everything measured in one run of one case; times are from the create's acknowledgement.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StsRun {
    pub load_avg_1m: Option<f64>,
    /// Latency of the StatefulSet POST itself.
    pub create_ack_ms: Option<f64>,
    /// The last pod's first watch event.
    pub all_created_ms: Option<f64>,
    /// The last pod seen with `phase: Running` and `Ready=True`.
    pub all_running_ms: Option<f64>,
    /// The set's `status.readyReplicas == replicas` seen on its watch: the figure of merit.
    pub ready_ms: Option<f64>,
    /// berth's utime+stime from just before the POST to the ready event.
    pub server_cpu_s: Option<f64>,
    /// This driver's CPU over the same span (it shares the cores).
    pub client_cpu_s: Option<f64>,
    /// API requests berth served over the span (from `/metrics`, the scrapes left out), by verb.
    pub requests: BTreeMap<String, f64>,
    /// Mean server-side latency of those requests (watches count as their start only).
    pub server_latency_mean_ms: Option<f64>,
    pub error: Option<String>,
}

impl StsRun {
    pub fn total_requests(&self) -> Option<f64> {
        (!self.requests.is_empty()).then(|| self.requests.values().sum())
    }
}

/// Per-field medians over runs (request counts too).
pub fn median_run(runs: &[StsRun]) -> StsRun {
    let m = |f: &dyn Fn(&StsRun) -> Option<f64>| median_opt(runs.iter().map(f));
    let verbs: HashSet<&String> = runs.iter().flat_map(|r| r.requests.keys()).collect();
    StsRun {
        load_avg_1m: m(&|r| r.load_avg_1m),
        create_ack_ms: m(&|r| r.create_ack_ms),
        all_created_ms: m(&|r| r.all_created_ms),
        all_running_ms: m(&|r| r.all_running_ms),
        ready_ms: m(&|r| r.ready_ms),
        server_cpu_s: m(&|r| r.server_cpu_s),
        client_cpu_s: m(&|r| r.client_cpu_s),
        requests: verbs
            .into_iter()
            .filter_map(|v| Some((v.clone(), median_opt(runs.iter().map(|r| r.requests.get(v).copied()))?)))
            .collect(),
        server_latency_mean_ms: m(&|r| r.server_latency_mean_ms),
        error: runs.iter().find_map(|r| r.error.clone()),
    }
}

pub const SET_NAME: &str = "web";
pub const APP_LABEL: &str = "nginx";

/// The seed's headless Service `nginx`.
pub fn service_manifest() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "nginx", "labels": {"app": APP_LABEL}},
        "spec": {"ports": [{"port": 80, "name": "web"}], "clusterIP": "None", "selector": {"app": APP_LABEL}},
    })
}

/// The seed StatefulSet `web` (nginx, port 80), optionally with the `www` claim template mounted.
pub fn statefulset_manifest(case: Case) -> Value {
    let mut container = json!({
        "name": "nginx",
        "image": "registry.k8s.io/nginx-slim:0.21",
        "ports": [{"containerPort": 80, "name": "web"}],
    });
    let mut spec = json!({
        "serviceName": "nginx",
        "replicas": case.replicas,
        "podManagementPolicy": case.policy.as_str(),
        "selector": {"matchLabels": {"app": APP_LABEL}},
        "template": {
            "metadata": {"labels": {"app": APP_LABEL}},
            "spec": {"containers": []},
        },
    });
    if case.claims == Claims::With {
        container["volumeMounts"] = json!([{"name": "www", "mountPath": "/usr/share/nginx/html"}]);
        spec["volumeClaimTemplates"] = json!([{
            "metadata": {"name": "www"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }]);
    }
    spec["template"]["spec"]["containers"] = json!([container]);
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": SET_NAME}, "spec": spec})
}

/// Pods seen on the watch: created, Running and Ready, by name.
#[derive(Debug, Default)]
pub struct PodTracker {
    seen: HashSet<String>,
    running: HashSet<String>,
}

impl PodTracker {
    /// Applies one watch event (`{"type":..,"object":{..}}`).
    pub fn observe(&mut self, ev: &Value) {
        let Some(name) = ev.pointer("/object/metadata/name").and_then(Value::as_str) else {
            return;
        };
        match ev.get("type").and_then(Value::as_str) {
            Some("ADDED" | "MODIFIED") => {
                self.seen.insert(name.to_string());
                if pod_running_and_ready(&ev["object"]) {
                    self.running.insert(name.to_string());
                } else {
                    self.running.remove(name);
                }
            }
            Some("DELETED") => {
                self.seen.remove(name);
                self.running.remove(name);
            }
            _ => {}
        }
    }

    pub fn created(&self) -> usize {
        self.seen.len()
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }
}

/// `status.phase == Running` and the `Ready` condition is `True`.
pub fn pod_running_and_ready(pod: &Value) -> bool {
    let status = &pod["status"];
    status["phase"] == "Running"
        && status["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// `status.readyReplicas == replicas` of a StatefulSet.
pub fn set_ready(set: &Value, replicas: u32) -> bool {
    set.pointer("/status/readyReplicas").and_then(Value::as_u64) == Some(u64::from(replicas))
}

/// Requests by verb, latency sum (s) and count from the Prometheus text of `/metrics`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsSample {
    pub by_verb: BTreeMap<String, u64>,
    pub latency_sum_s: f64,
    pub latency_count: u64,
}

pub fn parse_metrics(text: &str) -> MetricsSample {
    let mut m = MetricsSample::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("apiserver_request_total{verb=\"") {
            let (Some((verb, _)), Some(n)) = (
                rest.split_once('"'),
                line.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok()),
            ) else {
                continue;
            };
            *m.by_verb.entry(verb.to_string()).or_default() += n;
        } else if let Some(v) = line.strip_prefix("apiserver_request_duration_seconds_sum ") {
            m.latency_sum_s = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix("apiserver_request_duration_seconds_count ") {
            m.latency_count = v.trim().parse().unwrap_or(0);
        }
    }
    m
}

/// Requests served between two scrapes, leaving out the second scrape's own GET... and the first's.
fn metrics_delta(a: &MetricsSample, b: &MetricsSample) -> (BTreeMap<String, f64>, Option<f64>) {
    let mut by_verb = BTreeMap::new();
    for (verb, n) in &b.by_verb {
        let mut d = n.saturating_sub(a.by_verb.get(verb).copied().unwrap_or(0));
        if verb == "GET" {
            // The first scrape is observed after it answered, so it is in `b` but not `a`.
            d = d.saturating_sub(1);
        }
        if d > 0 {
            by_verb.insert(verb.clone(), d as f64);
        }
    }
    let count = b.latency_count.saturating_sub(a.latency_count);
    let mean = (count > 0).then(|| (b.latency_sum_s - a.latency_sum_s) / count as f64 * 1e3);
    (by_verb, mean)
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

async fn request(
    conn: &mut Conn,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    let (ct, bytes) = match body {
        Some(v) => (
            Some("application/json"),
            Bytes::from(serde_json::to_vec(v).context("encoding a body")?),
        ),
        None => (None, Bytes::new()),
    };
    tokio::time::timeout(REQUEST_TIMEOUT, conn.request(method, path, ct, bytes))
        .await
        .with_context(|| format!("{path} timed out"))?
}

async fn get_json(conn: &mut Conn, path: &str) -> anyhow::Result<Value> {
    let (status, body) = request(conn, Method::GET, path, None).await?;
    anyhow::ensure!(
        status == StatusCode::OK,
        "GET {path}: {status} {}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    serde_json::from_slice(&body).with_context(|| format!("GET {path}: not JSON"))
}

async fn scrape(conn: &mut Conn) -> Option<MetricsSample> {
    let (status, body) = request(conn, Method::GET, "/metrics", None).await.ok()?;
    (status == StatusCode::OK).then(|| parse_metrics(&String::from_utf8_lossy(&body)))
}

/// Waits until the node reports `Ready=True` (the scheduler needs it).
async fn wait_node_ready(conn: &mut Conn, node: &str, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(n) = get_json(conn, &format!("/api/v1/nodes/{node}")).await {
            let ready = n["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
            if ready {
                return Ok(());
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "node {node} not Ready within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Streams a watch, calling `on_event` with each event and its arrival time until it returns true
/// or `stop` fires; `None` or the error.
async fn watch(
    mut conn: Conn,
    path: String,
    opened: oneshot::Sender<()>,
    mut stop: oneshot::Receiver<()>,
    mut on_event: impl FnMut(&Value, Instant) -> bool,
) -> Option<String> {
    let resp = match conn.stream(&path).await {
        Ok(r) if r.status() == StatusCode::OK => r,
        Ok(r) => return Some(format!("watch {path}: {}", r.status())),
        Err(e) => return Some(format!("watch {path}: {e:#}")),
    };
    let _ = opened.send(());
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    loop {
        let frame = tokio::select! {
            f = body.frame() => f,
            _ = &mut stop => return None,
        };
        let data = match frame {
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => d,
                Err(_) => continue,
            },
            Some(Err(e)) => return Some(format!("watch {path}: {e}")),
            None => return Some(format!("watch {path} ended")),
        };
        let now = Instant::now();
        buf.extend_from_slice(&data);
        for line in workload::take_lines(&mut buf) {
            let Ok(ev) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if ev["type"] == "ERROR" {
                return Some(format!("watch {path}: error event {}", String::from_utf8_lossy(&line)));
            }
            if on_event(&ev, now) {
                return None;
            }
        }
    }
}

/// When the pods reached each milestone.
#[derive(Debug, Default)]
struct PodMilestones {
    all_created: Option<Instant>,
    all_running: Option<Instant>,
}

const NS: &str = workload::NAMESPACE;

fn sets_path() -> String {
    format!("/apis/apps/v1/namespaces/{NS}/statefulsets")
}

fn pods_path() -> String {
    format!("/api/v1/namespaces/{NS}/pods")
}

/// One run of one case against a fresh berth. Its temp dir goes into `spent` instead of being
/// removed: the caller removes them all after the last run (see [`remove_spent`]).
pub async fn one_run(
    bin: &Path,
    case: Case,
    cfg: &StsConfig,
    spent: &mut Vec<tempfile::TempDir>,
) -> anyhow::Result<StsRun> {
    let mut run = StsRun {
        load_avg_1m: crate::load_avg_1m(),
        ..StsRun::default()
    };
    let dir = tempfile::Builder::new()
        .prefix("berth-load-sts-")
        .tempdir()
        .context("creating a temp dir")?;
    let capacity = (case.replicas + 10).max(110);
    let extra: Vec<String> = [
        "--sim-ready-delay",
        "0",
        "--sim-delete-delay",
        "0",
        "--sim-pod-capacity",
        &capacity.to_string(),
        "--node-name",
        &cfg.node_name,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = crate::process::start_with(bin, &dir.path().join("data"), &extra).await?;
    let berth = started.berth;
    let result = measure(
        berth.addr,
        client::tls_config(&berth.creds, Identity::Admin)?,
        berth.pid,
        case,
        cfg,
        &mut run,
    )
    .await;
    if let Err(e) = result {
        run.error = Some(format!("{e:#}"));
    }
    berth.terminate().await?;
    spent.push(dir);
    Ok(run)
}

/// Removes the data dirs of finished runs. Not done between runs: on a filesystem without a
/// journal (this project's VMs' ext4), creating an inode skips the ones freed in the last minute
/// or more, reading each one's block — a run right after another run's removal of 1,000 volume
/// directories spent ~6% of berth's CPU in the kernel's `recently_deleted`, a cost of the
/// benchmark's own cleanup, not of the run.
pub fn remove_spent(spent: Vec<tempfile::TempDir>) -> anyhow::Result<()> {
    for dir in spent {
        dir.close().context("removing a run's temp dir")?;
    }
    Ok(())
}

async fn measure(
    addr: SocketAddr,
    tls: Arc<ClientConfig>,
    pid: u32,
    case: Case,
    cfg: &StsConfig,
    run: &mut StsRun,
) -> anyhow::Result<()> {
    let server = Proc::Pid(pid);
    let mut conn = Conn::connect(addr, tls.clone()).await?;
    wait_node_ready(&mut conn, &cfg.node_name, Duration::from_secs(60)).await?;
    let (status, body) = request(
        &mut conn,
        Method::POST,
        &format!("/api/v1/namespaces/{NS}/services"),
        Some(&service_manifest()),
    )
    .await?;
    anyhow::ensure!(
        status == StatusCode::CREATED,
        "creating the service: {status} {}",
        String::from_utf8_lossy(&body)
    );
    tokio::time::sleep(cfg.settle).await;

    // Both watches start at the resourceVersion of a list taken before the create.
    let rv_of = |v: &Value| {
        workload::resource_version(v)
            .map(str::to_string)
            .context("list without resourceVersion")
    };
    let sets_rv = rv_of(&get_json(&mut conn, &sets_path()).await?)?;
    let pods_rv = rv_of(&get_json(&mut conn, &format!("{}?labelSelector=app%3D{APP_LABEL}", pods_path())).await?)?;
    let n = case.replicas;

    let (set_open_tx, set_open_rx) = oneshot::channel();
    let (set_stop_tx, set_stop_rx) = oneshot::channel();
    let set_conn = Conn::connect(addr, tls.clone()).await?;
    let set_path = format!(
        "{}?watch=true&resourceVersion={sets_rv}&fieldSelector=metadata.name%3D{SET_NAME}",
        sets_path()
    );
    let set_watch = tokio::spawn(async move {
        let mut ready = None;
        let err = watch(set_conn, set_path, set_open_tx, set_stop_rx, |ev, at| {
            let done = set_ready(&ev["object"], n);
            if done {
                ready = Some(at);
            }
            done
        })
        .await;
        (ready, err)
    });

    let (pod_open_tx, pod_open_rx) = oneshot::channel();
    let (pod_stop_tx, pod_stop_rx) = oneshot::channel();
    let pod_conn = Conn::connect(addr, tls.clone()).await?;
    let pod_path = format!(
        "{}?watch=true&resourceVersion={pods_rv}&labelSelector=app%3D{APP_LABEL}",
        pods_path()
    );
    let pod_watch = tokio::spawn(async move {
        let mut tracker = PodTracker::default();
        let mut m = PodMilestones::default();
        let n = n as usize;
        let err = watch(pod_conn, pod_path, pod_open_tx, pod_stop_rx, |ev, at| {
            tracker.observe(ev);
            if m.all_created.is_none() && tracker.created() >= n {
                m.all_created = Some(at);
            }
            if m.all_running.is_none() && tracker.running() >= n {
                m.all_running = Some(at);
            }
            m.all_running.is_some()
        })
        .await;
        (m, err)
    });
    // Headers may only come with the first event; the watches start from their rv either way.
    let _ = tokio::time::timeout(Duration::from_millis(200), set_open_rx).await;
    let _ = tokio::time::timeout(Duration::from_millis(200), pod_open_rx).await;

    let metrics0 = scrape(&mut conn).await;
    let client0 = Proc::Myself.cpu_s();
    let cpu0 = server.cpu_s();
    let t_post = Instant::now();
    let (status, body) = request(&mut conn, Method::POST, &sets_path(), Some(&statefulset_manifest(case))).await?;
    let t_ack = Instant::now();
    anyhow::ensure!(
        status == StatusCode::CREATED,
        "creating the statefulset: {status} {}",
        String::from_utf8_lossy(&body)
    );
    run.create_ack_ms = Some((t_ack - t_post).as_secs_f64() * 1e3);

    let since = |t: Instant| Some(t.saturating_duration_since(t_ack).as_secs_f64() * 1e3);
    let outcome = tokio::time::timeout(cfg.timeout, set_watch).await;
    let cpu1 = server.cpu_s();
    let client1 = Proc::Myself.cpu_s();
    let metrics1 = scrape(&mut conn).await;
    match outcome {
        Ok(Ok((Some(at), _))) => run.ready_ms = since(at),
        Ok(Ok((None, err))) => run.error = Some(err.unwrap_or_else(|| "set watch ended early".into())),
        Ok(Err(e)) => run.error = Some(format!("set watcher panicked: {e}")),
        Err(_) => {
            run.error = Some(format!("not ready within {:?}", cfg.timeout));
            let _ = set_stop_tx.send(());
        }
    }
    // The pod watch normally got there first; give it a moment if not.
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = pod_stop_tx.send(());
    });
    let (m, err) = pod_watch.await.context("pod watcher panicked")?;
    stopper.abort();
    run.all_created_ms = m.all_created.and_then(since);
    run.all_running_ms = m.all_running.and_then(since);
    if run.error.is_none() {
        run.error = err;
    }
    run.server_cpu_s = Some(cpu1.context("berth CPU")? - cpu0.context("berth CPU")?);
    run.client_cpu_s = client1.zip(client0).map(|(b, a)| b - a);
    if let (Some(a), Some(b)) = (metrics0, metrics1) {
        let (by_verb, mean) = metrics_delta(&a, &b);
        run.requests = by_verb;
        run.server_latency_mean_ms = mean;
    }
    Ok(())
}

/// The targets: (replicas, policy, claims) → milliseconds to all Ready.
pub fn target_ms(case: Case) -> Option<f64> {
    match (case.replicas, case.policy, case.claims) {
        (100, Policy::Parallel, Claims::With) => Some(200.0),
        (1000, Policy::Parallel, Claims::With) => Some(2000.0),
        _ => None,
    }
}

/// Upstream kube-controller-manager + kube-apiserver + etcd on this machine, from the issue:
/// (default client limits, limits lifted), seconds.
pub fn upstream_s(case: Case) -> Option<(f64, f64)> {
    match (case.replicas, case.policy, case.claims) {
        (100, Policy::Parallel, Claims::With) => Some((9.95, 1.7)),
        (100, Policy::OrderedReady, Claims::With) => Some((15.9, 2.4)),
        _ => None,
    }
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

/// The table of medians.
pub fn render_table(results: &[(Case, StsRun, Vec<StsRun>)]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>8} {:<12} {:<7} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>8}  {}",
        "replicas",
        "policy",
        "claims",
        "ready ms",
        "created",
        "running",
        "berth CPU",
        "requests",
        "mean lat",
        "load",
        "vs target / upstream"
    );
    for (case, m, runs) in results {
        let verdict = match (target_ms(*case), m.ready_ms) {
            (Some(t), Some(r)) if r <= t => format!("target {t:.0} ms met"),
            (Some(t), Some(r)) => format!("target {t:.0} ms missed ({:.1}x)", r / t),
            _ => String::new(),
        };
        let upstream = upstream_s(*case)
            .map(|(d, l)| format!("; upstream {d} s ({l} s limits lifted)"))
            .unwrap_or_default();
        let loads: Vec<String> = runs
            .iter()
            .map(|r| r.load_avg_1m.map_or("-".into(), |l| format!("{l:.1}")))
            .collect();
        let _ = writeln!(
            out,
            "{:>8} {:<12} {:<7} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>8}  {verdict}{upstream}",
            case.replicas,
            case.policy.as_str(),
            case.claims.as_str(),
            fmt_ms(m.ready_ms),
            fmt_ms(m.all_created_ms),
            fmt_ms(m.all_running_ms),
            m.server_cpu_s.map_or("-".into(), |c| format!("{c:.2} s")),
            m.total_requests().map_or("-".into(), |n| format!("{n:.0}")),
            m.server_latency_mean_ms.map_or("-".into(), |l| format!("{l:.2} ms")),
            loads.join("/"),
        );
        if let Some(e) = &m.error {
            let _ = writeln!(out, "{:>8} error: {e}", "");
        }
    }
    out.push_str(
        "times are from the StatefulSet POST's response: ready = status.readyReplicas == replicas on its watch;\n",
    );
    out.push_str("created / running = the last pod's first event / Running+Ready on the pod watch; load = 1-min load average at each run's start\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_has_claims_only_when_asked() {
        let with = statefulset_manifest(Case {
            replicas: 100,
            policy: Policy::Parallel,
            claims: Claims::With,
        });
        assert_eq!(with["spec"]["replicas"], 100);
        assert_eq!(with["spec"]["podManagementPolicy"], "Parallel");
        assert_eq!(with["spec"]["volumeClaimTemplates"][0]["metadata"]["name"], "www");
        assert_eq!(
            with["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"],
            "www"
        );
        let without = statefulset_manifest(Case {
            replicas: 3,
            policy: Policy::OrderedReady,
            claims: Claims::Without,
        });
        assert!(without["spec"].get("volumeClaimTemplates").is_none());
        assert!(without["spec"]["template"]["spec"]["containers"][0]
            .get("volumeMounts")
            .is_none());
        assert_eq!(without["spec"]["podManagementPolicy"], "OrderedReady");
    }

    #[test]
    fn the_tracker_counts_created_and_running_pods() {
        let mut t = PodTracker::default();
        let ev = |ty: &str, name: &str, phase: &str, ready: &str| json!({"type": ty, "object": {"metadata": {"name": name}, "status": {"phase": phase, "conditions": [{"type": "Ready", "status": ready}]}}});
        t.observe(&ev("ADDED", "web-0", "Pending", "False"));
        t.observe(&ev("ADDED", "web-1", "Pending", "False"));
        assert_eq!((t.created(), t.running()), (2, 0));
        t.observe(&ev("MODIFIED", "web-0", "Running", "False"));
        assert_eq!(t.running(), 0);
        t.observe(&ev("MODIFIED", "web-0", "Running", "True"));
        assert_eq!(t.running(), 1);
        t.observe(&ev("DELETED", "web-0", "Running", "True"));
        assert_eq!((t.created(), t.running()), (1, 0));
    }

    #[test]
    fn a_set_is_ready_when_ready_replicas_reach_replicas() {
        assert!(set_ready(&json!({"status": {"readyReplicas": 3}}), 3));
        assert!(!set_ready(&json!({"status": {"readyReplicas": 2}}), 3));
        assert!(!set_ready(&json!({"status": {}}), 3));
    }

    #[test]
    fn metrics_are_summed_by_verb_and_diffed_without_the_scrape() {
        let a = parse_metrics(
            "apiserver_request_total{verb=\"GET\",code=\"200\"} 10\napiserver_request_total{verb=\"POST\",code=\"201\"} 2\n\
             apiserver_request_duration_seconds_sum 0.5\napiserver_request_duration_seconds_count 12\n",
        );
        assert_eq!(a.by_verb.get("GET"), Some(&10));
        assert_eq!(a.latency_count, 12);
        let b = parse_metrics(
            "apiserver_request_total{verb=\"GET\",code=\"200\"} 12\napiserver_request_total{verb=\"GET\",code=\"404\"} 1\n\
             apiserver_request_total{verb=\"POST\",code=\"201\"} 7\napiserver_request_total{verb=\"POST\",code=\"409\"} 1\n\
             apiserver_request_duration_seconds_sum 0.6\napiserver_request_duration_seconds_count 22\n",
        );
        let (by_verb, mean) = metrics_delta(&a, &b);
        assert_eq!(
            by_verb,
            BTreeMap::from([("GET".to_string(), 2.0), ("POST".to_string(), 6.0)])
        );
        let mean = mean.expect("mean");
        assert!((mean - 10.0).abs() < 1e-9, "{mean}");
    }
}
