//! Prometheus text metrics: request counts and latencies, store revision, process memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use http::Method;

use crate::server::Api;

#[derive(Default)]
struct Counts {
    /// (verb, code) -> count
    requests: BTreeMap<(String, u16), u64>,
    latency_sum: f64,
    latency_count: u64,
    /// Cumulative histogram buckets (seconds).
    buckets: [u64; BUCKETS.len()],
}

const BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Request metrics of the API server.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counts>,
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, method: &Method, code: u16, took: Duration) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *c.requests.entry((method.to_string(), code)).or_default() += 1;
        let s = took.as_secs_f64();
        c.latency_sum += s;
        c.latency_count += 1;
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                c.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, api: &Api) -> String {
        let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP apiserver_request_total Requests served, by verb and HTTP code.\n# TYPE apiserver_request_total counter\n");
        for ((verb, code), n) in &c.requests {
            let _ = writeln!(out, "apiserver_request_total{{verb=\"{verb}\",code=\"{code}\"}} {n}");
        }
        out.push_str("# HELP apiserver_request_duration_seconds Request latency.\n# TYPE apiserver_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                c.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "apiserver_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            c.latency_count
        );
        let _ = writeln!(out, "apiserver_request_duration_seconds_sum {}", c.latency_sum);
        let _ = writeln!(out, "apiserver_request_duration_seconds_count {}", c.latency_count);
        out.push_str("# HELP berth_store_revision The store's current revision.\n# TYPE berth_store_revision gauge\n");
        let _ = writeln!(out, "berth_store_revision {}", api.registry.store.revision());
        if let Some(rss) = resident_bytes() {
            out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// Resident set size from `/proc/self/statm` (pages × 4 KiB).
fn resident_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
