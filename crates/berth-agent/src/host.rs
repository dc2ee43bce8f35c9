//! Reads what the host looks like (CPUs, memory, kernel, OS image) for the Node's status; every
//! missing file falls back to a placeholder, so this never fails.

use crate::node::HostInfo;

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn os_image() -> Option<String> {
    let text = read("/etc/os-release")?;
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
}

fn memory_bytes() -> Option<u64> {
    let text = read("/proc/meminfo")?;
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// GOARCH spelling of the running architecture.
pub fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// Probes the host once.
pub fn probe() -> HostInfo {
    HostInfo {
        cpus: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        memory_bytes: memory_bytes().unwrap_or(1 << 30),
        kernel_version: read("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
        os_image: os_image().unwrap_or_else(|| "unknown".into()),
        machine_id: read("/etc/machine-id").unwrap_or_default(),
        boot_id: read("/proc/sys/kernel/random/boot_id").unwrap_or_default(),
        architecture: goarch().into(),
    }
}
