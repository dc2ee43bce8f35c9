//! Upstream's `duration.HumanDuration` and the `translateTimestampSince` helpers of the printers.

use jiff::Timestamp;
use serde_json::Value;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Formats an elapsed time the way `k8s.io/apimachinery/pkg/util/duration.HumanDuration` does:
/// `45s`, `3m12s`, `5h`, `2d3h`, `3y120d`; slightly negative is `0s`, more negative `<invalid>`.
pub fn human_duration(nanos: i128) -> String {
    let seconds = nanos / NANOS_PER_SEC;
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = nanos / (60 * NANOS_PER_SEC);
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = nanos / (3600 * NANOS_PER_SEC);
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{h}h", hours / 24);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{dy}d", hours / 24 / 365);
    }
    format!("{}y", hours / 24 / 365)
}

/// Parses an RFC 3339 timestamp field; absent, null or unparsable is `None` (Go's zero time).
pub fn timestamp(v: Option<&Value>) -> Option<Timestamp> {
    v.and_then(Value::as_str).and_then(|s| s.parse::<Timestamp>().ok())
}

/// `translateTimestampSince`: `<unknown>` for a zero time, else the human duration until `now`.
pub fn since(ts: Option<Timestamp>, now: Timestamp) -> String {
    match ts {
        None => "<unknown>".to_string(),
        Some(t) => human_duration(now.as_nanosecond() - t.as_nanosecond()),
    }
}
