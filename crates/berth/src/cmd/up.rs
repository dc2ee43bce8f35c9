//! `berth up`: the all-in-one process (API server now; controllers and node as they land).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

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
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
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
        })
            .await
            .with_context(|| format!("starting the API server with data dir {}", data_dir.display()))?;
        tracing::info!(
            addr = %server.addr,
            kubeconfig = %server.kubeconfig_path.display(),
            ready_ms = started.elapsed().as_millis() as u64,
            "berth is up"
        );
        let client = super::controllers::client_from(&server.kubeconfig_path).await?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let controllers = tokio::spawn(berth_controllers::run_all(client, async move {
            let _ = stop_rx.await;
        }));
        // The line tests and users wait for: where to connect.
        println!("berth is up: https://{} (KUBECONFIG={})", server.addr, server.kubeconfig_path.display());
        wait_for_signal().await?;
        tracing::info!("shutting down");
        let _ = stop_tx.send(());
        match controllers.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "controllers stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "controllers panicked"),
            Ok(Ok(())) => {}
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
