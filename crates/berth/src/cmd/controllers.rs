//! `berth controllers`: the controllers alone, against any cluster reachable with a kubeconfig.

use std::path::PathBuf;

use anyhow::Context as _;

#[derive(clap::Args)]
pub struct ControllersArgs {
    /// Kubeconfig of the cluster to control.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: PathBuf,
    /// Feature gates as `Name=bool,...` (see `berth up --help`).
    #[arg(long, value_name = "GATES", default_value = "", value_parser = super::parse_feature_gates, env = "BERTH_FEATURE_GATES")]
    feature_gates: berth_apiserver::FeatureGates,
}

pub fn run(args: ControllersArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        // Any cluster: kube-rs's stock client.
        let client = crate::client::http1(crate::client::config_from(&args.kubeconfig).await?)?;
        tracing::info!(kubeconfig = %args.kubeconfig.display(), "running controllers");
        berth_controllers::run_all(
            client,
            super::controllers_config(args.feature_gates),
            super::up::wait_for_signal_or_log(),
        )
        .await
        .context("controllers failed")
    })
}
