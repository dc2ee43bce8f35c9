//! Reading the agent's inputs out of API objects: the runtime's view of a pod spec and its
//! simulation annotations.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;

use crate::runtime::{ContainerSpec, PodSpecView, RestartPolicy, Simulation};

/// `berth.dev/simulate-fail: "true"`: the pod's containers exit with code 1 and the pod fails.
pub const SIMULATE_FAIL: &str = "berth.dev/simulate-fail";
/// `berth.dev/simulate-unready: "true"`: running, but `Ready=False` while the annotation is there.
pub const SIMULATE_UNREADY: &str = "berth.dev/simulate-unready";
/// `berth.dev/simulate-exit-code: "N"`: a `Never`/`OnFailure` pod exits with N once started.
pub const SIMULATE_EXIT_CODE: &str = "berth.dev/simulate-exit-code";

/// Grace period assumed when a deleting pod records none (upstream's default).
const DEFAULT_GRACE: Duration = Duration::from_secs(30);

fn is_true(annotations: &BTreeMap<String, String>, key: &str) -> bool {
    annotations
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Parses the `berth.dev/simulate-*` annotations; an unparsable exit code is ignored.
pub fn simulation(annotations: &BTreeMap<String, String>) -> Simulation {
    Simulation {
        fail: is_true(annotations, SIMULATE_FAIL),
        unready: is_true(annotations, SIMULATE_UNREADY),
        exit_code: annotations.get(SIMULATE_EXIT_CODE).and_then(|v| v.trim().parse().ok()),
    }
}

/// The runtime's view of a pod; `None` without a name, namespace or UID.
pub fn pod_spec_view(pod: &Pod) -> Option<PodSpecView> {
    let m = &pod.metadata;
    let spec = pod.spec.as_ref();
    let containers = |v: Option<&Vec<k8s_openapi::api::core::v1::Container>>| -> Vec<ContainerSpec> {
        v.into_iter()
            .flatten()
            .map(|c| ContainerSpec {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
            })
            .collect()
    };
    let restart_policy = match spec.and_then(|s| s.restart_policy.as_deref()) {
        Some("Never") => RestartPolicy::Never,
        Some("OnFailure") => RestartPolicy::OnFailure,
        _ => RestartPolicy::Always,
    };
    Some(PodSpecView {
        uid: m.uid.clone()?,
        namespace: m.namespace.clone()?,
        name: m.name.clone()?,
        containers: containers(spec.map(|s| &s.containers)),
        init_containers: containers(spec.and_then(|s| s.init_containers.as_ref())),
        restart_policy,
        simulation: m.annotations.as_ref().map(simulation).unwrap_or_default(),
    })
}

/// The grace period of a deleting pod (`metadata.deletionGracePeriodSeconds`).
pub fn deletion_grace(pod: &Pod) -> Option<Duration> {
    pod.metadata.deletion_timestamp.as_ref()?;
    Some(
        pod.metadata
            .deletion_grace_period_seconds
            .map(|s| Duration::from_secs(s.max(0).unsigned_abs()))
            .unwrap_or(DEFAULT_GRACE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn simulation_annotations_are_parsed_leniently() {
        let cases = [
            (ann(&[]), Simulation::default()),
            (
                ann(&[(SIMULATE_FAIL, "true")]),
                Simulation {
                    fail: true,
                    ..Simulation::default()
                },
            ),
            (
                ann(&[(SIMULATE_FAIL, "True")]),
                Simulation {
                    fail: true,
                    ..Simulation::default()
                },
            ),
            (ann(&[(SIMULATE_FAIL, "false")]), Simulation::default()),
            (
                ann(&[(SIMULATE_UNREADY, "true")]),
                Simulation {
                    unready: true,
                    ..Simulation::default()
                },
            ),
            (
                ann(&[(SIMULATE_EXIT_CODE, "3")]),
                Simulation {
                    exit_code: Some(3),
                    ..Simulation::default()
                },
            ),
            (ann(&[(SIMULATE_EXIT_CODE, "x")]), Simulation::default()),
        ];
        for (input, want) in cases {
            assert_eq!(simulation(&input), want, "{input:?}");
        }
    }
}
