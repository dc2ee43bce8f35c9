//! Pure workload pieces: pod manifests, patch bodies, paths, watch-stream framing and delay pairing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const NAMESPACE: &str = "default";

/// The collection path of pods in the bench namespace.
pub fn pods_path() -> String {
    format!("/api/v1/namespaces/{NAMESPACE}/pods")
}

/// The name of the `i`-th bench pod (zero-padded so names sort like indexes).
pub fn pod_name(i: usize) -> String {
    format!("bench-{i:05}")
}

/// A realistic small pod: one container with a port, requests and a probe; labels `app=bench`, `idx=<i>`.
pub fn pod_manifest(i: usize) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(i),
            "labels": {"app": "bench", "idx": i.to_string()},
        },
        "spec": {
            "containers": [{
                "name": "web",
                "image": "nginx:1.27",
                "ports": [{"name": "http", "containerPort": 80}],
                "env": [{"name": "BENCH_INDEX", "value": i.to_string()}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            }],
            "restartPolicy": "Always",
        },
    })
}

/// The JSON merge patch of the update round: one label whose value is the round number.
pub fn label_patch(round: u32) -> Value {
    json!({"metadata": {"labels": {"round": round.to_string()}}})
}

/// `metadata.resourceVersion` of a list or object response.
pub fn resource_version(body: &Value) -> Option<&str> {
    body.pointer("/metadata/resourceVersion").and_then(Value::as_str)
}

/// `metadata.continue` of a list page, when there are more pages.
pub fn continue_token(body: &Value) -> Option<&str> {
    body.pointer("/metadata/continue")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// How many items a list response carries.
pub fn item_count(body: &Value) -> usize {
    body.get("items").and_then(Value::as_array).map_or(0, Vec::len)
}

/// Percent-encodes a query value (continue tokens are base64 and may carry `+`, `/`, `=`).
pub fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits complete newline-terminated lines off the front of `buf`, leaving a partial line behind.
pub fn take_lines(buf: &mut Vec<u8>) -> Vec<Vec<u8>> {
    let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') else {
        return Vec::new();
    };
    let rest = buf.split_off(last_nl + 1);
    let complete = std::mem::replace(buf, rest);
    complete
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(<[u8]>::to_vec)
        .collect()
}

/// One watch event, reduced to what the benchmark needs.
#[derive(Debug, PartialEq, Eq)]
pub struct WatchEvent {
    pub kind: String,
    pub name: Option<String>,
}

/// Parses one watch line `{"type":..,"object":{..}}`.
pub fn parse_watch_line(line: &[u8]) -> Option<WatchEvent> {
    let v: Value = serde_json::from_slice(line).ok()?;
    Some(WatchEvent {
        kind: v.get("type")?.as_str()?.to_string(),
        name: v
            .pointer("/object/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Delays from each write's acknowledgement to its event's arrival, for names seen in both.
///
/// An event may arrive before the client has processed the write's response; that delay is
/// counted as zero rather than dropped, so the sample stays unbiased in count.
pub fn ack_to_event_delays(acks: &HashMap<String, Instant>, events: &HashMap<String, Instant>) -> Vec<Duration> {
    acks.iter()
        .filter_map(|(name, ack)| events.get(name).map(|ev| ev.saturating_duration_since(*ack)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_manifest_carries_bench_labels() {
        let p = pod_manifest(42);
        assert_eq!(p["metadata"]["name"], "bench-00042");
        assert_eq!(p["metadata"]["labels"]["app"], "bench");
        assert_eq!(p["metadata"]["labels"]["idx"], "42");
        assert_eq!(p["spec"]["containers"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn list_helpers_read_metadata() {
        let v = json!({"metadata": {"resourceVersion": "17", "continue": "abc"}, "items": [{}, {}]});
        assert_eq!(resource_version(&v), Some("17"));
        assert_eq!(continue_token(&v), Some("abc"));
        assert_eq!(item_count(&v), 2);
        let last = json!({"metadata": {"resourceVersion": "17", "continue": ""}, "items": []});
        assert_eq!(continue_token(&last), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("eyJ+a/b=="), "eyJ%2Ba%2Fb%3D%3D");
        assert_eq!(encode_query_value("plain-1.2_x~"), "plain-1.2_x~");
    }

    #[test]
    fn take_lines_keeps_the_partial_tail() {
        let mut buf = b"{\"a\":1}\n{\"b\":2}\n{\"c\"".to_vec();
        assert_eq!(take_lines(&mut buf), vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(buf, b"{\"c\"".to_vec());
        buf.extend_from_slice(b":3}\n\n");
        assert_eq!(take_lines(&mut buf), vec![b"{\"c\":3}".to_vec()]);
        assert!(buf.is_empty());
        assert!(take_lines(&mut buf).is_empty());
    }

    #[test]
    fn watch_lines_parse_type_and_name() {
        let e = parse_watch_line(br#"{"type":"MODIFIED","object":{"metadata":{"name":"bench-00001"}}}"#);
        assert_eq!(
            e,
            Some(WatchEvent {
                kind: "MODIFIED".into(),
                name: Some("bench-00001".into())
            })
        );
        assert_eq!(parse_watch_line(b"not json"), None);
    }

    #[test]
    fn delays_pair_acks_with_events_and_clamp_early_events_to_zero() {
        let t0 = Instant::now();
        let acks = HashMap::from([
            ("a".to_string(), t0),
            ("b".to_string(), t0 + Duration::from_millis(5)),
            ("lost".to_string(), t0),
        ]);
        let events = HashMap::from([
            ("a".to_string(), t0 + Duration::from_millis(3)),
            ("b".to_string(), t0 + Duration::from_millis(4)),
        ]);
        let mut d = ack_to_event_delays(&acks, &events);
        d.sort();
        assert_eq!(d, vec![Duration::ZERO, Duration::from_millis(3)]);
    }
}
