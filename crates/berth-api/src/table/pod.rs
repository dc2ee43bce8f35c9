//! The pod printer: READY, STATUS (init, waiting and terminated reasons, Terminating) and
//! RESTARTS with the time since the last restart, as upstream's `printPod`.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::duration::{since, timestamp};
use super::printers::{age, arr, int, name, or_none, s, Row};
use crate::meta;

const RESTARTABLE: &str = "Always";

fn is_restartable_init(spec: Option<&Value>) -> bool {
    spec.is_some_and(|c| s(c, "restartPolicy") == RESTARTABLE)
}

fn condition_true(conditions: &[Value], kind: &str) -> bool {
    conditions
        .iter()
        .find(|c| s(c, "type") == kind)
        .is_some_and(|c| s(c, "status") == "True")
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub(super) fn pod(obj: &Value, now: Timestamp) -> Row {
    let init_specs = arr(obj, "spec.initContainers");
    let mut restarts: i64 = 0;
    let mut restartable_init_restarts: i64 = 0;
    let mut total = arr(obj, "spec.containers").len();
    let mut ready = 0usize;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_restartable_init_restart: Option<Timestamp> = None;

    let phase = s(obj, "status.phase");
    let mut reason = phase.to_string();
    if !s(obj, "status.reason").is_empty() {
        reason = s(obj, "status.reason").to_string();
    }
    let conditions = arr(obj, "status.conditions");
    if conditions
        .iter()
        .any(|c| s(c, "type") == "PodScheduled" && s(c, "reason") == "SchedulingGated")
    {
        reason = "SchedulingGated".to_string();
    }
    let row_conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}]),
        ),
        "Failed" => {
            Some(json!([{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]))
        }
        _ => None,
    };

    let init_spec = |n: &str| init_specs.iter().find(|c| s(c, "name") == n);
    total += init_specs.iter().filter(|c| is_restartable_init(Some(c))).count();

    let mut initializing = false;
    for (i, st) in arr(obj, "status.initContainerStatuses").iter().enumerate() {
        let count = int(st, "restartCount");
        restarts += count;
        let finished = timestamp(st.pointer("/lastState/terminated/finishedAt"));
        if st.pointer("/lastState/terminated").is_some() {
            last_restart = later(last_restart, finished);
        }
        let restartable = is_restartable_init(init_spec(s(st, "name")));
        if restartable {
            restartable_init_restarts += count;
            if st.pointer("/lastState/terminated").is_some() {
                last_restartable_init_restart = later(last_restartable_init_restart, finished);
            }
        }
        let terminated = st.pointer("/state/terminated");
        let waiting_reason = st
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            .unwrap_or("");
        if terminated.is_some_and(|t| int(t, "exitCode") == 0) {
            continue;
        }
        if restartable && st.get("started").and_then(Value::as_bool) == Some(true) {
            if st.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = if s(t, "reason").is_empty() {
                if int(t, "signal") != 0 {
                    format!("Init:Signal:{}", int(t, "signal"))
                } else {
                    format!("Init:ExitCode:{}", int(t, "exitCode"))
                }
            } else {
                format!("Init:{}", s(t, "reason"))
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(conditions, "Initialized") {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        for st in arr(obj, "status.containerStatuses").iter().rev() {
            restarts += int(st, "restartCount");
            if st.pointer("/lastState/terminated").is_some() {
                last_restart = later(last_restart, timestamp(st.pointer("/lastState/terminated/finishedAt")));
            }
            let waiting_reason = st
                .pointer("/state/waiting/reason")
                .and_then(Value::as_str)
                .unwrap_or("");
            let terminated = st.pointer("/state/terminated");
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = if !s(t, "reason").is_empty() {
                    s(t, "reason").to_string()
                } else if int(t, "signal") != 0 {
                    format!("Signal:{}", int(t, "signal"))
                } else {
                    format!("ExitCode:{}", int(t, "exitCode"))
                };
            } else if st.get("ready").and_then(Value::as_bool) == Some(true) && st.pointer("/state/running").is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(conditions, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let terminal = phase == "Succeeded" || phase == "Failed";
    if meta::is_deleting(obj) && s(obj, "status.reason") == "NodeLost" {
        reason = "Unknown".to_string();
    } else if meta::is_deleting(obj) && !terminal {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", since(Some(t), now)),
        _ => restarts.to_string(),
    };

    let pod_ip = obj.pointer("/status/podIPs/0/ip").and_then(Value::as_str).unwrap_or("");
    let gates = arr(obj, "spec.readinessGates");
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let true_count = gates
            .iter()
            .filter(|g| {
                conditions
                    .iter()
                    .find(|c| s(c, "type") == s(g, "conditionType"))
                    .is_some_and(|c| s(c, "status") == "True")
            })
            .count();
        format!("{true_count}/{}", gates.len())
    };

    Row {
        cells: vec![
            name(obj),
            json!(format!("{ready}/{total}")),
            json!(reason),
            json!(restarts_cell),
            age(obj, now),
            json!(or_none(pod_ip)),
            json!(or_none(s(obj, "spec.nodeName"))),
            json!(or_none(s(obj, "status.nominatedNodeName"))),
            json!(readiness_gates),
        ],
        conditions: row_conditions,
    }
}
