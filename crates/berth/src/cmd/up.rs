//! `berth up`: the all-in-one process: API server, controllers (with the scheduler) and the node agent.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use berth_apiserver::ServerConfig;

#[derive(clap::Args)]
pub struct UpArgs {
    /// Where the store, PKI and kubeconfig live.
    #[arg(long, env = "BERTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the HTTPS API server (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:6443", env = "BERTH_LISTEN")]
    listen: SocketAddr,
    /// Watch events kept in memory for replay; a watch from an older resourceVersion gets 410 Gone.
    #[arg(long, env = "BERTH_WATCH_HISTORY")]
    watch_history: Option<usize>,
    /// Run only the API server: no controllers, no scheduler, no node (like kube-apiserver alone;
    /// for testing the API contract without other writers).
    #[arg(long, env = "BERTH_API_ONLY")]
    api_only: bool,
    /// What runs pods: `simulated` (no processes; pods go through their lifecycle on timers) is
    /// the only runtime so far.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Simulated, env = "BERTH_RUNTIME")]
    runtime: RuntimeKind,
    /// Name of the node this process registers and runs pods for.
    #[arg(long, default_value = berth_agent::DEFAULT_NODE_NAME, env = "BERTH_NODE_NAME")]
    node_name: String,
    /// Simulated runtime: milliseconds from a pod's binding to its containers running and ready
    /// (100 ms, about what a local image start takes; 0 = at once).
    #[arg(long, value_name = "MS", default_value_t = 100)]
    sim_ready_delay: u64,
    /// Simulated runtime: milliseconds a deleted pod takes to stop, capped by its grace period.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    sim_delete_delay: u64,
    /// Create the `local-path` StorageClass without marking it the default, so claims that name
    /// no class bind only to static volumes without one (a cluster with no default class).
    #[arg(long, env = "BERTH_NO_DEFAULT_STORAGE_CLASS")]
    no_default_storage_class: bool,
    /// Simulated runtime: the node's pod capacity.
    #[arg(long, default_value_t = 110)]
    sim_pod_capacity: u32,
    /// Feature gates as `Name=bool,...` (upstream's flag; 1.32 defaults). Known:
    /// MaxUnavailableStatefulSet (default false).
    #[arg(long, value_name = "GATES", default_value = "", value_parser = super::parse_feature_gates, env = "BERTH_FEATURE_GATES")]
    feature_gates: berth_apiserver::FeatureGates,
}

/// `--runtime` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeKind {
    Simulated,
}

impl UpArgs {
    fn agent_config(&self) -> berth_agent::AgentConfig {
        let runtime = match self.runtime {
            RuntimeKind::Simulated => berth_agent::RuntimeConfig::Simulated(berth_agent::SimConfig {
                ready_delay: Duration::from_millis(self.sim_ready_delay),
                delete_delay: Duration::from_millis(self.sim_delete_delay),
                pod_capacity: self.sim_pod_capacity,
            }),
        };
        berth_agent::AgentConfig {
            node_name: self.node_name.clone(),
            runtime,
        }
    }
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let agent_config = args.agent_config();
    let data_dir = args.data_dir.unwrap_or_else(super::default_data_dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let server = berth_apiserver::start(ServerConfig {
            data_dir: data_dir.clone(),
            listen: args.listen,
            watch_history: args.watch_history,
            features: args.feature_gates,
        })
        .await
        .with_context(|| format!("starting the API server with data dir {}", data_dir.display()))?;
        tracing::info!(
            addr = %server.addr,
            kubeconfig = %server.kubeconfig_path.display(),
            ready_ms = started.elapsed().as_millis() as u64,
            "berth is up"
        );
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let mut components: Vec<(&str, tokio::task::JoinHandle<Result<(), String>>)> = Vec::new();
        if !args.api_only {
            // Every component's requests and watches share one HTTP/2 connection to the API
            // server, in memory: the same requests and handlers, without TLS and TCP.
            let client = crate::client::in_process(
                server.loopback(),
                crate::client::config_from(&server.kubeconfig_path).await?,
            )?;
            // Volumes are node-local: the provisioner keeps them under the data dir, on this node.
            let mut config = super::controllers_config(args.feature_gates);
            config.volumes = berth_controllers::volume::VolumeConfig {
                local: Some(berth_controllers::volume::LocalVolumes {
                    root: data_dir
                        .canonicalize()
                        .unwrap_or_else(|_| data_dir.clone())
                        .join("volumes"),
                    node_name: agent_config.node_name.clone(),
                    default_class: !args.no_default_storage_class,
                }),
            };
            let controllers = berth_controllers::run_all(client.clone(), config, stopped(stop_rx.clone()));
            components.push((
                "controllers",
                tokio::spawn(async move { controllers.await.map_err(|e| e.to_string()) }),
            ));
            // The node registers in the background: `berth is up` does not wait for it.
            let agent = berth_agent::run(client, agent_config, stopped(stop_rx));
            components.push((
                "node agent",
                tokio::spawn(async move { agent.await.map_err(|e| e.to_string()) }),
            ));
        }
        // The line tests and users wait for: where to connect.
        println!(
            "berth is up: https://{} (KUBECONFIG={})",
            server.addr,
            server.kubeconfig_path.display()
        );
        wait_for_signal().await?;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
        for (name, task) in components {
            match task.await {
                Ok(Err(e)) => tracing::warn!(error = %e, "{name} stopped with an error"),
                Err(e) => tracing::warn!(error = %e, "{name} panicked"),
                Ok(Ok(())) => {}
            }
        }
        server.shutdown().await;
        Ok(())
    })
}

/// Waits for SIGTERM or SIGINT; logs (and returns) if the handlers cannot be installed.
pub async fn wait_for_signal_or_log() {
    if let Err(e) = wait_for_signal().await {
        tracing::error!(error = %e, "cannot wait for signals");
    }
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
