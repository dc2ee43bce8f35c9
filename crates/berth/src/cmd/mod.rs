//! Subcommands, and what they share: the default data dir and logging.

pub mod controllers;
pub mod kubeconfig;
pub mod up;

use std::path::PathBuf;

use berth_apiserver::FeatureGates;

/// The per-user data dir: `$XDG_DATA_HOME/berth`, else `~/.local/share/berth`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("berth");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/berth")
}

/// Structured logs to stderr; `RUST_LOG` filters (default `info`).
pub fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// `--feature-gates` value parser: `Name=bool,...` with upstream 1.32 defaults; unknown names fail.
pub fn parse_feature_gates(value: &str) -> Result<FeatureGates, String> {
    FeatureGates::parse(value).map_err(|e| e.to_string())
}

/// The StatefulSet and other controllers' configuration for these gates.
pub fn controllers_config(gates: FeatureGates) -> berth_controllers::Config {
    let mut config = berth_controllers::Config::default();
    config.statefulset.features.max_unavailable_stateful_set = gates.max_unavailable_stateful_set;
    config
}
