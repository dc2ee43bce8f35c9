//! Pure parsers for `/proc/<pid>/status` (VmRSS) and `/proc/<pid>/stat` (CPU ticks), plus thin readers.

use std::path::PathBuf;

/// VmRSS in kibibytes from the text of `/proc/<pid>/status`.
pub fn parse_vmrss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// utime + stime in clock ticks from the text of `/proc/<pid>/stat`.
///
/// The command name (field 2) is in parentheses and may itself contain spaces or ')', so fields
/// are counted after the last ')': state is field 3, utime field 14, stime field 15.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields[0] is field 3 (state), so field n is fields[n - 3].
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// Which process to read: a child by PID, or this process.
#[derive(Clone, Copy, Debug)]
pub enum Proc {
    Pid(u32),
    Myself,
}

impl Proc {
    fn path(self, file: &str) -> PathBuf {
        match self {
            Proc::Pid(pid) => PathBuf::from(format!("/proc/{pid}/{file}")),
            Proc::Myself => PathBuf::from(format!("/proc/self/{file}")),
        }
    }

    /// Resident set size in MiB, if the process is alive.
    pub fn rss_mib(self) -> Option<f64> {
        let text = std::fs::read_to_string(self.path("status")).ok()?;
        parse_vmrss_kib(&text).map(|k| k as f64 / 1024.0)
    }

    /// User + system CPU seconds used so far, if the process is alive.
    pub fn cpu_s(self) -> Option<f64> {
        let text = std::fs::read_to_string(self.path("stat")).ok()?;
        parse_cpu_ticks(&text).map(|t| t as f64 / clock_ticks_per_s())
    }
}

/// `sysconf(_SC_CLK_TCK)`, asked of `getconf` once (no unsafe here); 100 on every Linux we know.
fn clock_ticks_per_s() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmrss_is_read_from_status() {
        let status = "Name:\tberth\nVmPeak:\t  100 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1 kB\n";
        assert_eq!(parse_vmrss_kib(status), Some(12345));
        assert_eq!(parse_vmrss_kib("Name:\tzombie\n"), None);
    }

    #[test]
    fn cpu_ticks_are_utime_plus_stime() {
        let stat = "4242 (berth) S 1 4242 4242 0 -1 4194560 500 0 0 0 37 5 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(42));
    }

    #[test]
    fn cpu_ticks_survive_a_command_name_with_spaces_and_parens() {
        let stat = "7 (a b) c) R 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 1 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(30));
        assert_eq!(parse_cpu_ticks("7 (short) R 1"), None);
    }
}
