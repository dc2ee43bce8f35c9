//! The load phases against a running berth: create, get, list (full and paged), update under one watcher.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;
use rustls::ClientConfig;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::client::Conn;
use crate::procfs::Proc;
use crate::report::{PhaseCpu, RunReport};
use crate::stats::PhaseStats;
use crate::workload::{self, pod_name, pods_path};

/// How a load run is shaped.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub pods: usize,
    pub concurrency: usize,
    /// How many unpaged lists, and how many paged traversals, to time.
    pub list_repeats: usize,
    pub page_size: usize,
}

/// One pod-level operation a worker performs for index `i`.
#[derive(Clone, Copy, Debug)]
enum Op {
    Create,
    Get,
    Patch,
}

const MERGE_PATCH: &str = "application/merge-patch+json";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What one worker measured.
#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    acks: Vec<(usize, Instant)>,
}

async fn one_op(conn: &mut Conn, op: Op, i: usize) -> anyhow::Result<(StatusCode, Bytes)> {
    let fut = async {
        match op {
            Op::Create => {
                let body = serde_json::to_vec(&workload::pod_manifest(i)).context("encoding the pod")?;
                conn.request(Method::POST, &pods_path(), Some("application/json"), body.into())
                    .await
            }
            Op::Get => {
                conn.request(
                    Method::GET,
                    &format!("{}/{}", pods_path(), pod_name(i)),
                    None,
                    Bytes::new(),
                )
                .await
            }
            Op::Patch => {
                let body = serde_json::to_vec(&workload::label_patch(2)).context("encoding the patch")?;
                conn.request(
                    Method::PATCH,
                    &format!("{}/{}", pods_path(), pod_name(i)),
                    Some(MERGE_PATCH),
                    body.into(),
                )
                .await
            }
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .context("request timed out")?
}

fn expected(op: Op) -> StatusCode {
    match op {
        Op::Create => StatusCode::CREATED,
        Op::Get | Op::Patch => StatusCode::OK,
    }
}

/// Runs `op` for every index in `0..n` over the workers' connections; returns the connections back.
async fn run_phase(
    conns: Vec<Conn>,
    n: usize,
    op: Op,
    ctx: &Ctx,
) -> (Vec<Conn>, PhaseStats, Vec<(usize, Instant)>, Option<String>) {
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(conns.len());
    for mut conn in conns {
        let next = next.clone();
        let (addr, tls) = (ctx.addr, ctx.tls.clone());
        tasks.push(tokio::spawn(async move {
            let mut r = WorkerResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let start = Instant::now();
                match one_op(&mut conn, op, i).await {
                    Ok((status, _)) if status == expected(op) => {
                        let done = Instant::now();
                        r.latencies.push(done - start);
                        if matches!(op, Op::Patch) {
                            r.acks.push((i, done));
                        }
                    }
                    outcome => {
                        r.errors += 1;
                        if r.first_error.is_none() {
                            r.first_error = Some(match outcome {
                                Ok((status, body)) => format!(
                                    "{op:?} {}: {status} {}",
                                    pod_name(i),
                                    String::from_utf8_lossy(&body[..body.len().min(300)])
                                ),
                                Err(e) => format!("{op:?} {}: {e:#}", pod_name(i)),
                            });
                        }
                        // The connection may be broken; open a fresh one for the next op.
                        if let Ok(c) = Conn::connect(addr, tls.clone()).await {
                            conn = c;
                        }
                    }
                }
            }
            (conn, r)
        }));
    }
    let mut conns = Vec::new();
    let mut all = WorkerResult::default();
    for t in tasks {
        // A worker only panics on a bug in this driver; surface it.
        let (conn, r) = t.await.expect("load worker panicked");
        conns.push(conn);
        all.latencies.extend(r.latencies);
        all.errors += r.errors;
        all.acks.extend(r.acks);
        all.first_error = all.first_error.or(r.first_error);
    }
    let stats = PhaseStats::from_latencies(&all.latencies, all.errors, t0.elapsed());
    (conns, stats, all.acks, all.first_error)
}

struct Ctx {
    addr: SocketAddr,
    tls: Arc<ClientConfig>,
}

async fn get_json(conn: &mut Conn, path: &str) -> anyhow::Result<(Duration, Value)> {
    let t0 = Instant::now();
    let (status, body) = tokio::time::timeout(REQUEST_TIMEOUT, conn.request(Method::GET, path, None, Bytes::new()))
        .await
        .context("list timed out")??;
    let took = t0.elapsed();
    if status != StatusCode::OK {
        anyhow::bail!(
            "GET {path}: {status} {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
    }
    Ok((took, serde_json::from_slice(&body).context("list body is not JSON")?))
}

/// Times unpaged lists and `limit=page_size` traversals; returns (full lists, pages).
async fn run_lists(conn: &mut Conn, cfg: &LoadConfig) -> (PhaseStats, PhaseStats, Option<String>) {
    let mut first_error = None;
    let (mut full, mut full_err) = (Vec::new(), 0);
    for _ in 0..cfg.list_repeats {
        match get_json(conn, &pods_path()).await {
            Ok((took, v)) if workload::item_count(&v) >= cfg.pods => full.push(took),
            Ok((_, v)) => {
                full_err += 1;
                first_error.get_or_insert(format!("full list returned {} items", workload::item_count(&v)));
            }
            Err(e) => {
                full_err += 1;
                first_error.get_or_insert(format!("{e:#}"));
            }
        }
    }
    // Lists run back to back on one connection; the rate counts request time only, not the
    // driver's own JSON parsing between requests.
    let full_stats = PhaseStats::from_latencies(&full, full_err, full.iter().sum());
    let (mut pages, mut page_err) = (Vec::new(), 0);
    for _ in 0..cfg.list_repeats {
        let mut token: Option<String> = None;
        let mut items = 0;
        loop {
            let mut path = format!("{}?limit={}", pods_path(), cfg.page_size);
            if let Some(t) = &token {
                path.push_str("&continue=");
                path.push_str(&workload::encode_query_value(t));
            }
            match get_json(conn, &path).await {
                Ok((took, v)) => {
                    pages.push(took);
                    items += workload::item_count(&v);
                    token = workload::continue_token(&v).map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    page_err += 1;
                    first_error.get_or_insert(format!("{e:#}"));
                    break;
                }
            }
        }
        if items < cfg.pods {
            page_err += 1;
            first_error.get_or_insert(format!("paged list returned {items} items"));
        }
    }
    (
        full_stats,
        PhaseStats::from_latencies(&pages, page_err, pages.iter().sum()),
        first_error,
    )
}

/// What the watcher saw: first arrival per pod name of a MODIFIED event.
struct Watched {
    arrivals: HashMap<String, Instant>,
    error: Option<String>,
}

/// Opens a watch from `rv` and records MODIFIED arrivals until `expect` names are seen or `stop` fires.
async fn watch_pods(
    mut conn: Conn,
    rv: String,
    expect: usize,
    opened: oneshot::Sender<()>,
    mut stop: oneshot::Receiver<()>,
) -> Watched {
    let mut w = Watched {
        arrivals: HashMap::new(),
        error: None,
    };
    let path = format!(
        "{}?watch=true&resourceVersion={}&allowWatchBookmarks=true",
        pods_path(),
        workload::encode_query_value(&rv)
    );
    let resp = match conn.stream(&path).await {
        Ok(r) if r.status() == StatusCode::OK => r,
        Ok(r) => {
            w.error = Some(format!("watch: {}", r.status()));
            return w;
        }
        Err(e) => {
            w.error = Some(format!("watch: {e:#}"));
            return w;
        }
    };
    let _ = opened.send(());
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while w.arrivals.len() < expect {
        let frame = tokio::select! {
            f = body.frame() => f,
            _ = &mut stop => break,
        };
        let data = match frame {
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => d,
                Err(_) => continue,
            },
            Some(Err(e)) => {
                w.error = Some(format!("watch stream: {e}"));
                break;
            }
            None => {
                w.error = Some("watch stream ended".into());
                break;
            }
        };
        let now = Instant::now();
        buf.extend_from_slice(&data);
        for line in workload::take_lines(&mut buf) {
            match workload::parse_watch_line(&line) {
                Some(ev) if ev.kind == "MODIFIED" => {
                    if let Some(name) = ev.name {
                        w.arrivals.entry(name).or_insert(now);
                    }
                }
                Some(ev) if ev.kind == "ERROR" => {
                    w.error = Some(format!("watch error event: {}", String::from_utf8_lossy(&line)));
                }
                _ => {}
            }
        }
    }
    w
}

/// Runs every load phase against berth at `addr` (PID `pid`) and fills the load part of `report`.
pub async fn run(
    addr: SocketAddr,
    tls: Arc<ClientConfig>,
    pid: u32,
    cfg: &LoadConfig,
    report: &mut RunReport,
) -> anyhow::Result<Vec<String>> {
    let server = Proc::Pid(pid);
    let ctx = Ctx { addr, tls };
    let mut errors = Vec::new();
    let mut conns = Vec::with_capacity(cfg.concurrency);
    for _ in 0..cfg.concurrency.max(1) {
        conns.push(Conn::connect(addr, ctx.tls.clone()).await?);
    }
    let client_cpu0 = Proc::Myself.cpu_s();
    let cpu0 = server.cpu_s();

    let (conns, create, _, e) = run_phase(conns, cfg.pods, Op::Create, &ctx).await;
    errors.extend(e);
    report.create = create;
    let cpu1 = server.cpu_s();

    let (mut conns, get, _, e) = run_phase(conns, cfg.pods, Op::Get, &ctx).await;
    errors.extend(e);
    report.get = get;
    let cpu2 = server.cpu_s();

    let (full, pages, e) = run_lists(&mut conns[0], cfg).await;
    errors.extend(e);
    report.list_full = full;
    report.list_page = pages;
    let cpu3 = server.cpu_s();

    // The watcher starts at the resourceVersion right before the update round.
    let (_, head) = get_json(&mut conns[0], &format!("{}?limit=1", pods_path())).await?;
    let rv = workload::resource_version(&head)
        .context("list has no resourceVersion")?
        .to_string();
    let watch_conn = Conn::connect(addr, ctx.tls.clone()).await?;
    let (opened_tx, opened_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let watcher = tokio::spawn(watch_pods(watch_conn, rv, cfg.pods, opened_tx, stop_rx));
    // Headers may only come with the first event; the watch starts from rv either way.
    let _ = tokio::time::timeout(Duration::from_secs(2), opened_rx).await;

    let t_updates = Instant::now();
    let (_conns, update, acks, e) = run_phase(conns, cfg.pods, Op::Patch, &ctx).await;
    errors.extend(e);
    report.update = update;
    let all_acked = Instant::now();
    let stop_after = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let _ = stop_tx.send(());
    });
    // A watcher only panics on a bug in this driver; surface it.
    let watched = watcher.await.expect("watcher panicked");
    stop_after.abort();
    let cpu4 = server.cpu_s();
    errors.extend(watched.error);

    let acks: HashMap<String, Instant> = acks.into_iter().map(|(i, t)| (pod_name(i), t)).collect();
    let delays = workload::ack_to_event_delays(&acks, &watched.arrivals);
    let last_event = watched.arrivals.values().max().copied().unwrap_or(all_acked);
    let missed = acks.len().saturating_sub(delays.len()) as u64;
    report.watch = PhaseStats::from_latencies(&delays, missed, last_event.saturating_duration_since(t_updates));

    let d = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
    report.server_cpu_by_phase = PhaseCpu {
        create: d(cpu0, cpu1),
        get: d(cpu1, cpu2),
        list: d(cpu2, cpu3),
        update_watch: d(cpu3, cpu4),
    };
    report.server_cpu_s = d(cpu0, cpu4);
    report.client_cpu_s = d(client_cpu0, Proc::Myself.cpu_s());
    Ok(errors)
}
