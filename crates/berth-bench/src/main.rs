//! `berth-load`: starts `berth up`, measures cold/warm start, RSS and create/get/list/watch load over HTTPS, reports medians.
//!
//! A benchmark, not a test: it reports figures against the targets and never fails on them.

mod client;
mod kubeconfig;
mod load;
mod process;
mod procfs;
mod report;
mod stats;
mod sts;
mod workload;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use serde_json::json;

use crate::client::Identity;
use crate::load::LoadConfig;
use crate::procfs::Proc;
use crate::report::RunReport;

#[derive(Parser)]
#[command(
    name = "berth-load",
    about = "Load driver for berth: cold start, RSS, create/get/list/watch throughput; `sts` times StatefulSets to Ready",
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    scenario: Option<Scenario>,
    /// The berth binary (default: `berth` next to this binary, i.e. target/release/berth).
    #[arg(long)]
    berth: Option<PathBuf>,
    /// Pods to create, get and update per run.
    #[arg(long, default_value_t = 10_000)]
    pods: usize,
    /// Concurrent workers, each with its own keep-alive HTTPS connection.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Runs (each on a fresh data dir); the report shows medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Unpaged lists and paged traversals timed per run.
    #[arg(long, default_value_t = 5)]
    list_repeats: usize,
    /// Page size of the paged list.
    #[arg(long, default_value_t = 500)]
    page_size: usize,
    /// Idle time before reading RSS, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    idle_ms: u64,
    /// Print JSON (config, medians, every run) instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum Scenario {
    /// StatefulSet apply → all pods Ready, for each replicas × policy × claims combination.
    Sts(StsArgs),
}

#[derive(clap::Args)]
struct StsArgs {
    /// The berth binary (default: `berth` next to this binary, i.e. target/release/berth).
    #[arg(long)]
    berth: Option<PathBuf>,
    /// Replica counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [100u32, 1000])]
    replicas: Vec<u32>,
    /// Pod management policies, comma-separated: Parallel, OrderedReady.
    #[arg(long, value_delimiter = ',', value_enum, default_values_t = [sts::Policy::Parallel, sts::Policy::OrderedReady])]
    policy: Vec<sts::Policy>,
    /// With and/or without volumeClaimTemplates, comma-separated: with, without.
    #[arg(long, value_delimiter = ',', value_enum, default_values_t = [sts::Claims::With, sts::Claims::Without])]
    claims: Vec<sts::Claims>,
    /// Runs per combination (each on a fresh berth and data dir); the table shows medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Give up on a run after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_s: u64,
    /// Idle milliseconds between the node turning Ready and the create.
    #[arg(long, default_value_t = 500)]
    settle_ms: u64,
    /// Print JSON (config, medians, every run) instead of the table.
    #[arg(long)]
    json: bool,
}

fn run_sts(args: StsArgs) -> anyhow::Result<()> {
    let bin = match args.berth {
        Some(b) => b,
        None => default_berth()?,
    };
    anyhow::ensure!(
        bin.is_file(),
        "no berth binary at {} (build it: cargo build --release -p berth)",
        bin.display()
    );
    let mut cases = Vec::new();
    for &replicas in &args.replicas {
        for &policy in &args.policy {
            for &claims in &args.claims {
                cases.push(sts::Case {
                    replicas,
                    policy,
                    claims,
                });
            }
        }
    }
    let cfg = sts::StsConfig {
        runs: args.runs.max(1),
        timeout: Duration::from_secs(args.timeout_s),
        settle: Duration::from_millis(args.settle_ms),
        node_name: "berth".into(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut results = Vec::new();
    let mut spent = Vec::new();
    for case in cases {
        let mut runs = Vec::new();
        for i in 0..cfg.runs {
            let r = rt
                .block_on(sts::one_run(&bin, case, &cfg, &mut spent))
                .with_context(|| format!("{case:?} run {}", i + 1))?;
            eprintln!(
                "berth-load sts: {} {} {} claims, run {}: ready {:.1} ms (created {:.1}, running {:.1}), berth CPU {:.2} s, {} requests, load avg {:.2}{}",
                case.replicas,
                case.policy.as_str(),
                case.claims.as_str(),
                i + 1,
                r.ready_ms.unwrap_or(f64::NAN),
                r.all_created_ms.unwrap_or(f64::NAN),
                r.all_running_ms.unwrap_or(f64::NAN),
                r.server_cpu_s.unwrap_or(f64::NAN),
                r.total_requests().unwrap_or(f64::NAN),
                r.load_avg_1m.unwrap_or(f64::NAN),
                r.error.as_deref().map(|e| format!(", error: {e}")).unwrap_or_default(),
            );
            runs.push(r);
        }
        results.push((case, sts::median_run(&runs), runs));
    }
    if args.json {
        let out = json!({
            "config": {"berth": bin, "runs": cfg.runs, "settle_ms": args.settle_ms},
            "cases": results.iter().map(|(case, median, runs)| json!({"case": case, "median": median, "runs": runs})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out).context("encoding the report")?);
    } else {
        println!("berth-load sts: medians of {} run(s) per row", cfg.runs);
        print!("{}", sts::render_table(&results));
    }
    // After the report: a directory that cannot be removed must not cost the figures.
    if let Err(e) = sts::remove_spent(spent) {
        eprintln!("berth-load sts: warning: {e:#}");
    }
    Ok(())
}

fn default_berth() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("locating berth-load")?;
    Ok(me.with_file_name("berth"))
}

fn load_avg_1m() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn ms(d: Duration) -> Option<f64> {
    Some(d.as_secs_f64() * 1e3)
}

/// One run: cold start on a fresh dir, idle RSS, the load, RSS after load, SIGTERM, warm start on the same dir.
async fn one_run(bin: &Path, cfg: &LoadConfig, idle: Duration) -> anyhow::Result<RunReport> {
    let mut report = RunReport {
        load_avg_1m: load_avg_1m(),
        ..RunReport::default()
    };
    let dir = tempfile::Builder::new()
        .prefix("berth-load-")
        .tempdir()
        .context("creating a temp dir")?;
    let data_dir = dir.path().join("data");

    let cold = process::start(bin, &data_dir).await?;
    report.cold_up_line_ms = ms(cold.up_line);
    report.cold_start_ms = ms(cold.ready);
    let berth = cold.berth;
    tokio::time::sleep(idle).await;
    report.idle_rss_mib = Proc::Pid(berth.pid).rss_mib();

    let tls = client::tls_config(&berth.creds, Identity::Admin)?;
    let errors = load::run(berth.addr, tls, berth.pid, cfg, &mut report).await?;
    for e in errors {
        eprintln!("berth-load: error: {e}");
    }
    tokio::time::sleep(idle).await;
    report.loaded_rss_mib = Proc::Pid(berth.pid).rss_mib();
    report.shutdown_ms = ms(berth.terminate().await?);

    let warm = process::start(bin, &data_dir).await?;
    report.warm_start_ms = ms(warm.ready);
    tokio::time::sleep(idle).await;
    report.warm_idle_rss_mib = Proc::Pid(warm.berth.pid).rss_mib();
    warm.berth.terminate().await?;
    dir.close().context("removing the temp dir")?;
    Ok(report)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Scenario::Sts(sts_args)) = args.scenario {
        return run_sts(sts_args);
    }
    let bin = match args.berth {
        Some(b) => b,
        None => default_berth()?,
    };
    anyhow::ensure!(
        bin.is_file(),
        "no berth binary at {} (build it: cargo build --release -p berth)",
        bin.display()
    );
    let cfg = LoadConfig {
        pods: args.pods,
        concurrency: args.concurrency.max(1),
        list_repeats: args.list_repeats,
        page_size: args.page_size.max(1),
    };
    let idle = Duration::from_millis(args.idle_ms);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut runs = Vec::with_capacity(args.runs);
    for i in 0..args.runs.max(1) {
        let r = rt
            .block_on(one_run(&bin, &cfg, idle))
            .with_context(|| format!("run {}", i + 1))?;
        eprintln!(
            "berth-load: run {}: cold start {:.1} ms, idle RSS {:.1} MiB, create {:.0}/s, get {:.0}/s, watch {:.0} events/s, load avg {:.2}",
            i + 1,
            r.cold_start_ms.unwrap_or(f64::NAN),
            r.idle_rss_mib.unwrap_or(f64::NAN),
            r.create.ops_per_s,
            r.get.ops_per_s,
            r.watch.ops_per_s,
            r.load_avg_1m.unwrap_or(f64::NAN)
        );
        runs.push(r);
    }
    let median = report::median_report(&runs);
    if args.json {
        let out = json!({
            "config": {"berth": bin, "pods": cfg.pods, "concurrency": cfg.concurrency, "runs": runs.len(), "list_repeats": cfg.list_repeats, "page_size": cfg.page_size},
            "median": median,
            "runs": runs,
        });
        println!("{}", serde_json::to_string_pretty(&out).context("encoding the report")?);
    } else {
        print!(
            "{}",
            report::render_table(&median, runs.len(), cfg.pods, cfg.concurrency)
        );
    }
    Ok(())
}
