//! Pure reporting: one run's figures, their medians over runs, and the text table.

use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::{median_opt, PhaseStats};

/// Where berth's CPU time went, per load phase, in seconds (utime + stime).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PhaseCpu {
    pub create: Option<f64>,
    pub get: Option<f64>,
    pub list: Option<f64>,
    pub update_watch: Option<f64>,
}

/// Everything measured in one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunReport {
    /// Spawn to the `berth is up` stdout line, fresh data dir.
    pub cold_up_line_ms: Option<f64>,
    /// Spawn to the first 200 from `/readyz`, fresh data dir.
    pub cold_start_ms: Option<f64>,
    /// Spawn to the first 200 from `/readyz` on the same data dir after SIGTERM, with the pods stored.
    pub warm_start_ms: Option<f64>,
    /// VmRSS about 1 s after a cold start.
    pub idle_rss_mib: Option<f64>,
    /// VmRSS about 1 s after the load finished.
    pub loaded_rss_mib: Option<f64>,
    /// VmRSS about 1 s after the warm start.
    pub warm_idle_rss_mib: Option<f64>,
    /// SIGTERM to exit after the load.
    pub shutdown_ms: Option<f64>,
    pub create: PhaseStats,
    pub get: PhaseStats,
    /// Unpaged lists of all pods (each op returns every pod).
    pub list_full: PhaseStats,
    /// Pages of `limit=500` (each op is one page).
    pub list_page: PhaseStats,
    /// Merge-patch updates while one watcher is open.
    pub update: PhaseStats,
    /// Write acknowledgement to watch event arrival; ops/s is events delivered per second.
    pub watch: PhaseStats,
    /// berth CPU seconds over the whole load.
    pub server_cpu_s: Option<f64>,
    pub server_cpu_by_phase: PhaseCpu,
    /// This driver's own CPU seconds over the whole load (it shares the 2 cores).
    pub client_cpu_s: Option<f64>,
    /// `/proc/loadavg` 1-minute figure when the run started.
    pub load_avg_1m: Option<f64>,
}

/// Per-field medians over runs (the worst run's error counts).
pub fn median_report(runs: &[RunReport]) -> RunReport {
    let m = |f: &dyn Fn(&RunReport) -> Option<f64>| median_opt(runs.iter().map(f));
    let p = |f: &dyn Fn(&RunReport) -> &PhaseStats| PhaseStats::median_of(&runs.iter().map(f).collect::<Vec<_>>());
    RunReport {
        cold_up_line_ms: m(&|r| r.cold_up_line_ms),
        cold_start_ms: m(&|r| r.cold_start_ms),
        warm_start_ms: m(&|r| r.warm_start_ms),
        idle_rss_mib: m(&|r| r.idle_rss_mib),
        loaded_rss_mib: m(&|r| r.loaded_rss_mib),
        warm_idle_rss_mib: m(&|r| r.warm_idle_rss_mib),
        shutdown_ms: m(&|r| r.shutdown_ms),
        create: p(&|r| &r.create),
        get: p(&|r| &r.get),
        list_full: p(&|r| &r.list_full),
        list_page: p(&|r| &r.list_page),
        update: p(&|r| &r.update),
        watch: p(&|r| &r.watch),
        server_cpu_s: m(&|r| r.server_cpu_s),
        server_cpu_by_phase: PhaseCpu {
            create: m(&|r| r.server_cpu_by_phase.create),
            get: m(&|r| r.server_cpu_by_phase.get),
            list: m(&|r| r.server_cpu_by_phase.list),
            update_watch: m(&|r| r.server_cpu_by_phase.update_watch),
        },
        client_cpu_s: m(&|r| r.client_cpu_s),
        load_avg_1m: m(&|r| r.load_avg_1m),
    }
}

/// What the issue asks of berth on these machines (reported against, never asserted).
pub struct Targets {
    pub cold_start_ms: f64,
    pub idle_rss_mib: f64,
    pub creates_per_s: f64,
}

pub const TARGETS: Targets = Targets {
    cold_start_ms: 50.0,
    idle_rss_mib: 25.0,
    creates_per_s: 5000.0,
};

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.decimals$}"))
}

/// `met`/`MISSED by N%` against a target where lower is better (or higher, for throughput).
fn verdict(value: Option<f64>, target: f64, higher_is_better: bool) -> String {
    match value {
        None => "no figure".into(),
        Some(v) if (higher_is_better && v >= target) || (!higher_is_better && v <= target) => "met".into(),
        Some(v) if higher_is_better => {
            format!("missed: reached {:.0}% of target", v / target * 100.0)
        }
        Some(v) => format!("missed: {:.1}x target", v / target),
    }
}

/// The human-readable report of the medians over `runs` runs of `pods` pods.
pub fn render_table(m: &RunReport, runs: usize, pods: usize, concurrency: usize) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "berth-load: medians of {runs} run(s), {pods} pods, concurrency {concurrency}"
    );
    let _ = writeln!(s, "load average (1m) at run start: {}", num(m.load_avg_1m, 2));
    let _ = writeln!(s);
    let _ = writeln!(s, "{:<34} {:>10}  target", "startup and memory", "median");
    let rows = [
        (
            "cold start to /readyz 200 (ms)",
            m.cold_start_ms,
            1,
            verdict(m.cold_start_ms, TARGETS.cold_start_ms, false),
        ),
        ("  of which spawn to up line (ms)", m.cold_up_line_ms, 1, String::new()),
        ("warm start with pods stored (ms)", m.warm_start_ms, 1, String::new()),
        (
            "idle RSS after cold start (MiB)",
            m.idle_rss_mib,
            1,
            verdict(m.idle_rss_mib, TARGETS.idle_rss_mib, false),
        ),
        ("RSS after load, idle (MiB)", m.loaded_rss_mib, 1, String::new()),
        ("idle RSS after warm start (MiB)", m.warm_idle_rss_mib, 1, String::new()),
        ("shutdown on SIGTERM (ms)", m.shutdown_ms, 1, String::new()),
    ];
    for (name, v, d, t) in rows {
        let _ = writeln!(s, "{name:<34} {:>10}  {t}", num(v, d));
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<34} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "operation", "ops/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let ops = [
        ("create (POST pod)", &m.create),
        ("get (GET pod)", &m.get),
        ("list, all pods in one response", &m.list_full),
        ("list, limit=500 (per page)", &m.list_page),
        ("update (merge patch, 1 watcher)", &m.update),
        ("watch: ack to event (events/s)", &m.watch),
    ];
    for (name, p) in ops {
        let _ = writeln!(
            s,
            "{name:<34} {:>10.0} {:>9} {:>9} {:>9} {:>7}",
            p.ops_per_s,
            num(p.p50_ms, 2),
            num(p.p99_ms, 2),
            num(p.max_ms, 1),
            p.errors
        );
    }
    let _ = writeln!(
        s,
        "create target {:.0}/s: {}",
        TARGETS.creates_per_s,
        verdict(Some(m.create.ops_per_s), TARGETS.creates_per_s, true)
    );
    let _ = writeln!(s);
    let c = &m.server_cpu_by_phase;
    let _ = writeln!(
        s,
        "berth CPU during load: {} s (create {} s, get {} s, list {} s, update+watch {} s); load driver CPU: {} s",
        num(m.server_cpu_s, 2),
        num(c.create, 2),
        num(c.get, 2),
        num(c.list, 2),
        num(c.update_watch, 2),
        num(m.client_cpu_s, 2)
    );
    if let (Some(cpu), true) = (c.create, m.create.ok > 0) {
        let _ = writeln!(s, "berth CPU per create: {:.0} us", cpu / m.create.ok as f64 * 1e6);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cold: f64, creates: f64) -> RunReport {
        RunReport {
            cold_start_ms: Some(cold),
            create: PhaseStats {
                ok: 100,
                ops_per_s: creates,
                p50_ms: Some(1.0),
                ..PhaseStats::default()
            },
            ..RunReport::default()
        }
    }

    #[test]
    fn median_report_takes_medians_per_field() {
        let m = median_report(&[run(30.0, 6000.0), run(90.0, 1000.0), run(40.0, 5500.0)]);
        assert_eq!(m.cold_start_ms, Some(40.0));
        assert_eq!(m.create.ops_per_s, 5500.0);
        assert_eq!(m.warm_start_ms, None);
    }

    #[test]
    fn verdicts_say_by_how_much_a_target_is_missed() {
        assert_eq!(verdict(Some(40.0), 50.0, false), "met");
        assert_eq!(verdict(Some(100.0), 50.0, false), "missed: 2.0x target");
        assert_eq!(verdict(Some(2500.0), 5000.0, true), "missed: reached 50% of target");
        assert_eq!(verdict(None, 1.0, true), "no figure");
    }

    #[test]
    fn table_lists_every_operation_and_target() {
        let t = render_table(&run(30.0, 6000.0), 3, 100, 8);
        for needle in [
            "medians of 3 run(s), 100 pods",
            "cold start to /readyz 200",
            "create (POST pod)",
            "watch: ack to event",
            "create target 5000/s: met",
        ] {
            assert!(t.contains(needle), "missing {needle:?} in\n{t}");
        }
    }

    #[test]
    fn report_serialises_to_json_with_phase_fields() {
        let v = serde_json::to_value(run(30.0, 6000.0)).expect("serialises");
        assert_eq!(v["cold_start_ms"], 30.0);
        assert_eq!(v["create"]["ops_per_s"], 6000.0);
    }
}
