//! The `berth` binary: `berth up` runs everything in one process; `berth kubeconfig` prints credentials.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "berth", version, about = "A single-binary, Kubernetes-compatible system for stateful applications")]
struct Cli {
    /// Log format: `text` or `json`.
    #[arg(long, global = true, default_value = "text", env = "BERTH_LOG_FORMAT")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the API server, controllers and node in one process.
    Up(cmd::up::UpArgs),
    /// Run only the controllers, against the cluster of a kubeconfig.
    Controllers(cmd::controllers::ControllersArgs),
    /// Print the admin kubeconfig of a data dir.
    Kubeconfig(cmd::kubeconfig::KubeconfigArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::init_logging(&cli.log_format);
    let result = match cli.command {
        Command::Up(args) => cmd::up::run(args),
        Command::Kubeconfig(args) => cmd::kubeconfig::run(args),
        Command::Controllers(args) => cmd::controllers::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth: {e:#}");
            ExitCode::FAILURE
        }
    }
}
