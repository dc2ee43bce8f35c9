//! `berth kubeconfig`: prints the admin kubeconfig that `berth up` wrote.

use std::path::PathBuf;

use anyhow::Context as _;

#[derive(clap::Args)]
pub struct KubeconfigArgs {
    /// Data dir of the berth whose credentials to print.
    #[arg(long, env = "BERTH_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

pub fn run(args: KubeconfigArgs) -> anyhow::Result<()> {
    let dir = args.data_dir.unwrap_or_else(super::default_data_dir);
    let path = dir.join("admin.kubeconfig");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (has `berth up --data-dir {}` run?)",
            path.display(),
            dir.display()
        )
    })?;
    print!("{text}");
    Ok(())
}
