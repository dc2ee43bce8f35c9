//! The simulated runtime: no processes, only timers. Containers start `ready_delay` after the
//! sandbox, stop `min(delete_delay, grace)` after `stop`, and fail, stay unready or exit on the
//! pod's `berth.dev/simulate-*` annotations.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::ipam::{Ipam, POD_CIDR};
use crate::runtime::{
    Adopt, ContainerRuntimeState, ContainerSpec, ContainerState, PodSpecView, RestartPolicy, Runtime, RuntimeError,
    RuntimePod,
};

/// Timings and size of the simulated node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// From sandbox creation to running containers (0 = at once).
    pub ready_delay: Duration,
    /// How long a deleted pod takes to stop, capped by its grace period.
    pub delete_delay: Duration,
    /// `status.capacity.pods` of the node.
    pub pod_capacity: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            ready_delay: Duration::from_millis(100),
            delete_delay: Duration::from_millis(100),
            pod_capacity: 110,
        }
    }
}

#[derive(Debug)]
struct SimPod {
    ip: Ipv4Addr,
    created: Timestamp,
    containers_start: Timestamp,
    /// Sticky once seen: a process that exited does not come back.
    exited: Option<(i32, Timestamp)>,
    stop_at: Option<Timestamp>,
}

/// [`Runtime`] that only keeps time.
#[derive(Debug)]
pub struct SimRuntime {
    config: SimConfig,
    ipam: Ipam,
    pods: BTreeMap<String, SimPod>,
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

fn container_id(uid: &str, name: &str) -> String {
    format!("sim://{uid}/{name}")
}

fn state_of(c: &ContainerSpec, uid: &str, state: ContainerState) -> ContainerRuntimeState {
    ContainerRuntimeState {
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: format!("sim://{}", c.image),
        container_id: container_id(uid, &c.name),
        state,
    }
}

impl SimRuntime {
    pub fn new(config: SimConfig) -> Self {
        SimRuntime {
            config,
            ipam: Ipam::default(),
            pods: BTreeMap::new(),
        }
    }

    /// The exit the pod's annotations ask for, if its containers are started.
    fn wanted_exit(pod: &PodSpecView) -> Option<i32> {
        if pod.simulation.fail {
            return Some(1);
        }
        match (pod.restart_policy, pod.simulation.exit_code) {
            (RestartPolicy::Never | RestartPolicy::OnFailure, Some(code)) => Some(code),
            _ => None,
        }
    }
}

impl Runtime for SimRuntime {
    fn start(&mut self, pod: &PodSpecView, adopt: Option<Adopt>, now: Timestamp) -> Result<(), RuntimeError> {
        if self.pods.contains_key(&pod.uid) {
            return Ok(());
        }
        let reserved = adopt.and_then(|a| a.ip).filter(|ip| self.ipam.reserve(*ip));
        let ip = match reserved.or_else(|| self.ipam.allocate()) {
            Some(ip) => ip,
            None => {
                return Err(RuntimeError::AddressesExhausted {
                    cidr: POD_CIDR.into(),
                    namespace: pod.namespace.clone(),
                    name: pod.name.clone(),
                })
            }
        };
        let created = adopt.and_then(|a| a.started_at).filter(|t| *t <= now).unwrap_or(now);
        let running = adopt.is_some_and(|a| a.running);
        let containers_start = if running {
            created
        } else {
            now + signed(self.config.ready_delay)
        };
        self.pods.insert(
            pod.uid.clone(),
            SimPod {
                ip,
                created,
                containers_start,
                exited: None,
                stop_at: None,
            },
        );
        Ok(())
    }

    fn stop(&mut self, uid: &str, grace: Duration, now: Timestamp) {
        if let Some(p) = self.pods.get_mut(uid) {
            if p.stop_at.is_none() {
                p.stop_at = Some(now + signed(self.config.delete_delay.min(grace)));
            }
        }
    }

    fn observe(&mut self, pod: &PodSpecView, now: Timestamp) -> Option<RuntimePod> {
        let p = self.pods.get_mut(&pod.uid)?;
        let started = now >= p.containers_start;
        let stopped = p.stop_at.is_some_and(|t| now >= t);
        if started && p.exited.is_none() {
            if let Some(code) = Self::wanted_exit(pod) {
                p.exited = Some((code, now.max(p.containers_start)));
            }
        }
        let start = p.containers_start;
        let init_containers = pod
            .init_containers
            .iter()
            .map(|c| {
                let state = if started {
                    ContainerState::Terminated {
                        exit_code: 0,
                        reason: "Completed".into(),
                        started_at: p.created,
                        finished_at: start,
                    }
                } else {
                    ContainerState::Waiting {
                        reason: "PodInitializing".into(),
                    }
                };
                state_of(c, &pod.uid, state)
            })
            .collect();
        let containers = pod
            .containers
            .iter()
            .map(|c| {
                let state = match (started, p.exited, stopped) {
                    (false, _, _) if pod.init_containers.is_empty() => ContainerState::Waiting {
                        reason: "ContainerCreating".into(),
                    },
                    (false, _, _) => ContainerState::Waiting {
                        reason: "PodInitializing".into(),
                    },
                    (true, Some((code, at)), _) => ContainerState::Terminated {
                        exit_code: code,
                        reason: if code == 0 { "Completed" } else { "Error" }.into(),
                        started_at: start,
                        finished_at: at,
                    },
                    (true, None, true) => ContainerState::Terminated {
                        exit_code: 0,
                        reason: "Completed".into(),
                        started_at: start,
                        finished_at: p.stop_at.unwrap_or(now),
                    },
                    (true, None, false) => ContainerState::Running {
                        started_at: start,
                        ready: !pod.simulation.unready,
                    },
                };
                state_of(c, &pod.uid, state)
            })
            .collect();
        Some(RuntimePod {
            ip: p.ip,
            started_at: p.created,
            init_containers,
            containers,
            stopping: p.stop_at.is_some(),
            stopped,
        })
    }

    fn remove(&mut self, uid: &str) {
        if let Some(p) = self.pods.remove(uid) {
            self.ipam.release(p.ip);
        }
    }

    fn pods(&self) -> Vec<String> {
        self.pods.keys().cloned().collect()
    }

    fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        self.pods
            .values()
            .flat_map(|p| [Some(p.containers_start), p.stop_at])
            .flatten()
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Simulation;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_700_000_000_000 + ms).expect("valid")
    }

    fn pod(uid: &str, restart_policy: RestartPolicy, simulation: Simulation) -> PodSpecView {
        PodSpecView {
            uid: uid.into(),
            namespace: "default".into(),
            name: uid.into(),
            containers: vec![ContainerSpec {
                name: "app".into(),
                image: "busybox".into(),
            }],
            init_containers: vec![],
            restart_policy,
            simulation,
        }
    }

    fn sim(ready_ms: u64, delete_ms: u64) -> SimRuntime {
        SimRuntime::new(SimConfig {
            ready_delay: Duration::from_millis(ready_ms),
            delete_delay: Duration::from_millis(delete_ms),
            pod_capacity: 110,
        })
    }

    fn state(rt: &mut SimRuntime, p: &PodSpecView, now: Timestamp) -> ContainerState {
        rt.observe(p, now).expect("known").containers[0].state.clone()
    }

    #[test]
    fn containers_start_after_the_ready_delay() {
        let mut rt = sim(100, 0);
        let p = pod("a", RestartPolicy::Always, Simulation::default());
        rt.start(&p, None, t(0)).expect("ip");
        assert_eq!(
            state(&mut rt, &p, t(99)),
            ContainerState::Waiting {
                reason: "ContainerCreating".into()
            }
        );
        assert_eq!(rt.next_change(t(0)), Some(t(100)));
        assert_eq!(
            state(&mut rt, &p, t(100)),
            ContainerState::Running {
                started_at: t(100),
                ready: true
            }
        );
        assert_eq!(rt.next_change(t(100)), None);
    }

    #[test]
    fn a_stopped_pod_stops_after_the_shorter_of_delay_and_grace() {
        let mut rt = sim(0, 5_000);
        let p = pod("a", RestartPolicy::Always, Simulation::default());
        rt.start(&p, None, t(0)).expect("ip");
        rt.stop("a", Duration::from_secs(2), t(10));
        assert!(!rt.observe(&p, t(2_009)).expect("known").stopped);
        assert!(rt.observe(&p, t(2_010)).expect("known").stopped);
    }

    #[test]
    fn a_failed_container_stays_failed_when_the_annotation_goes() {
        let mut rt = sim(0, 0);
        let fail = pod(
            "a",
            RestartPolicy::Always,
            Simulation {
                fail: true,
                ..Simulation::default()
            },
        );
        rt.start(&fail, None, t(0)).expect("ip");
        assert!(matches!(
            state(&mut rt, &fail, t(5)),
            ContainerState::Terminated { exit_code: 1, .. }
        ));
        let healed = pod("a", RestartPolicy::Always, Simulation::default());
        assert!(matches!(
            state(&mut rt, &healed, t(6)),
            ContainerState::Terminated { exit_code: 1, .. }
        ));
    }

    #[test]
    fn an_exit_code_only_ends_run_to_completion_pods() {
        let mut rt = sim(0, 0);
        let sim = Simulation {
            exit_code: Some(0),
            ..Simulation::default()
        };
        let server = pod("a", RestartPolicy::Always, sim);
        let job = pod("b", RestartPolicy::Never, sim);
        rt.start(&server, None, t(0)).expect("ip");
        rt.start(&job, None, t(0)).expect("ip");
        assert!(matches!(state(&mut rt, &server, t(1)), ContainerState::Running { .. }));
        assert!(matches!(
            state(&mut rt, &job, t(1)),
            ContainerState::Terminated { exit_code: 0, .. }
        ));
    }

    #[test]
    fn an_adopted_pod_keeps_its_ip_and_runs_at_once() {
        let mut rt = sim(10_000, 0);
        let p = pod("a", RestartPolicy::Always, Simulation::default());
        let ip = Ipv4Addr::new(10, 244, 3, 4);
        rt.start(
            &p,
            Some(Adopt {
                ip: Some(ip),
                started_at: Some(t(-50)),
                running: true,
            }),
            t(0),
        )
        .expect("ip");
        let seen = rt.observe(&p, t(0)).expect("known");
        assert_eq!((seen.ip, seen.started_at), (ip, t(-50)));
        assert!(matches!(
            seen.containers[0].state,
            ContainerState::Running { ready: true, .. }
        ));
    }

    #[test]
    fn removing_a_pod_frees_its_ip_and_forgets_it() {
        let mut rt = sim(0, 0);
        let p = pod("a", RestartPolicy::Always, Simulation::default());
        rt.start(&p, None, t(0)).expect("ip");
        rt.remove("a");
        assert!(rt.observe(&p, t(1)).is_none());
        assert_eq!(rt.ipam.in_use(), 0);
        assert!(rt.pods().is_empty());
    }
}
