//! Runs the three controllers against the cluster of `$KUBECONFIG` until Ctrl-C (manual testing and idle-cost measurements).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber_init();
    let client = kube::Client::try_default().await?;
    berth_controllers::run_all(client, berth_controllers::Config::default(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// No subscriber dependency: logs stay off in this example.
fn tracing_subscriber_init() {}
