//! Pure statistics: nearest-rank percentiles, medians and per-phase latency summaries.

use std::time::Duration;

use serde::Serialize;

/// The `p`-th percentile (0..=100) by the nearest-rank method; `None` for no samples.
///
/// Nearest rank never interpolates, so p99 of 10,000 samples is the 9,900th smallest value:
/// a latency that some request really had.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of unsorted values (mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The median of the values that are present; `None` when no run produced one.
pub fn median_opt(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = values.into_iter().flatten().collect();
    median(&v)
}

/// Throughput and latency of one kind of operation in one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PhaseStats {
    /// Successful operations.
    pub ok: u64,
    /// Operations that failed (non-2xx, transport error or timeout).
    pub errors: u64,
    /// Wall time of the phase in seconds.
    pub wall_s: f64,
    /// Successful operations per second of wall time.
    pub ops_per_s: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl PhaseStats {
    /// Summarises latencies of the successful operations of a phase that took `wall`.
    pub fn from_latencies(latencies: &[Duration], errors: u64, wall: Duration) -> PhaseStats {
        let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let wall_s = wall.as_secs_f64();
        let ok = ms.len() as u64;
        PhaseStats {
            ok,
            errors,
            wall_s,
            ops_per_s: if wall_s > 0.0 { ok as f64 / wall_s } else { 0.0 },
            p50_ms: percentile(&ms, 50.0),
            p99_ms: percentile(&ms, 99.0),
            max_ms: ms.last().copied(),
        }
    }

    /// The per-field median over runs (counts too, so a flaky run shows as a fractional median).
    pub fn median_of(runs: &[&PhaseStats]) -> PhaseStats {
        let m = |f: &dyn Fn(&PhaseStats) -> f64| median(&runs.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(0.0);
        let mo = |f: &dyn Fn(&PhaseStats) -> Option<f64>| median_opt(runs.iter().map(|r| f(r)));
        PhaseStats {
            ok: m(&|r| r.ok as f64).round() as u64,
            errors: runs.iter().map(|r| r.errors).max().unwrap_or(0),
            wall_s: m(&|r| r.wall_s),
            ops_per_s: m(&|r| r.ops_per_s),
            p50_ms: mo(&|r| r.p50_ms),
            p99_ms: mo(&|r| r.p99_ms),
            max_ms: mo(&|r| r.max_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_uses_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
    }

    #[test]
    fn percentile_of_small_and_empty_samples() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0], 50.0), Some(1.0));
        assert_eq!(percentile(&[1.0, 2.0], 51.0), Some(2.0));
    }

    #[test]
    fn median_of_odd_even_and_nan() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn median_opt_skips_missing_runs() {
        assert_eq!(median_opt([None, Some(2.0), Some(4.0)]), Some(3.0));
        assert_eq!(median_opt([None, None]), None);
    }

    #[test]
    fn phase_stats_from_latencies_counts_throughput() {
        let lat: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        let s = PhaseStats::from_latencies(&lat, 1, Duration::from_secs(2));
        assert_eq!(s.ok, 10);
        assert_eq!(s.errors, 1);
        assert_eq!(s.ops_per_s, 5.0);
        assert_eq!(s.p50_ms, Some(5.0));
        assert_eq!(s.p99_ms, Some(10.0));
        assert_eq!(s.max_ms, Some(10.0));
    }

    #[test]
    fn phase_stats_median_over_runs_takes_each_field_separately() {
        let a = PhaseStats {
            ok: 10,
            errors: 0,
            wall_s: 1.0,
            ops_per_s: 10.0,
            p50_ms: Some(1.0),
            p99_ms: Some(9.0),
            max_ms: None,
        };
        let b = PhaseStats {
            ok: 10,
            errors: 2,
            wall_s: 3.0,
            ops_per_s: 30.0,
            p50_ms: Some(3.0),
            p99_ms: None,
            max_ms: None,
        };
        let c = PhaseStats {
            ok: 10,
            errors: 0,
            wall_s: 2.0,
            ops_per_s: 20.0,
            p50_ms: Some(2.0),
            p99_ms: Some(5.0),
            max_ms: None,
        };
        let m = PhaseStats::median_of(&[&a, &b, &c]);
        assert_eq!(m.ops_per_s, 20.0);
        assert_eq!(m.p50_ms, Some(2.0));
        assert_eq!(m.p99_ms, Some(7.0));
        assert_eq!(
            m.errors, 2,
            "the worst run's errors are reported, not hidden by the median"
        );
        assert_eq!(m.max_ms, None);
    }
}
