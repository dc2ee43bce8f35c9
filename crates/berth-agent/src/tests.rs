//! Component tests of the pod sync driver and the heartbeat against a recording fake API and the
//! simulated runtime, with time passed in explicitly.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Container, Node, NodeStatus, Pod, PodSpec, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::runtime::watcher::Event;

use crate::agent::PodSync;
use crate::api::{NodeApi, PodApi};
use crate::error::AgentError;
use crate::heartbeat::Heartbeat;
use crate::node::{HostInfo, NodeConfig};
use crate::runtime::Runtime as _;
use crate::sim::{SimConfig, SimRuntime};

/// One call the agent made.
#[derive(Clone, Debug, PartialEq)]
enum Call {
    WriteStatus { name: String, phase: String, ready: bool },
    ConfirmDeletion { name: String, uid: String },
    Register,
    NodeStatus,
    Lease,
}

#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<Call>>,
    /// Calls to fail, in order, by kind (`"status"`, `"node-status"`).
    fail: Mutex<Vec<&'static str>>,
    /// The node-status answer is 404 while set.
    node_gone: Mutex<bool>,
}

impl Fake {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }

    fn should_fail(&self, kind: &str) -> bool {
        let mut f = self.fail.lock().expect("lock");
        match f.iter().position(|k| *k == kind) {
            Some(i) => {
                f.remove(i);
                true
            }
            None => false,
        }
    }
}

fn api_error() -> kube::Error {
    kube::Error::Api(Box::new(kube::core::Status {
        code: 500,
        message: "boom".into(),
        ..kube::core::Status::default()
    }))
}

impl PodApi for &Fake {
    async fn write_pod_status(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        status: &PodStatus,
    ) -> Result<Option<Pod>, AgentError> {
        if self.should_fail("status") {
            return Err(AgentError::PodStatus {
                namespace: namespace.into(),
                name: name.into(),
                source: api_error(),
            });
        }
        let ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        self.calls.lock().expect("lock").push(Call::WriteStatus {
            name: name.into(),
            phase: status.phase.clone().unwrap_or_default(),
            ready,
        });
        let mut p = pod(name, uid);
        p.status = Some(status.clone());
        Ok(Some(p))
    }

    async fn confirm_deletion(&self, _namespace: &str, name: &str, uid: &str) -> Result<(), AgentError> {
        self.calls.lock().expect("lock").push(Call::ConfirmDeletion {
            name: name.into(),
            uid: uid.into(),
        });
        Ok(())
    }
}

impl NodeApi for &Fake {
    async fn register(&self, _node: &Node) -> Result<String, AgentError> {
        self.calls.lock().expect("lock").push(Call::Register);
        *self.node_gone.lock().expect("lock") = false;
        Ok("node-uid".into())
    }

    async fn write_node_status(&self, name: &str, _status: &NodeStatus) -> Result<(), AgentError> {
        if *self.node_gone.lock().expect("lock") {
            return Err(AgentError::NodeGone { node: name.into() });
        }
        if self.should_fail("node-status") {
            return Err(AgentError::NodeStatus {
                node: name.into(),
                source: api_error(),
            });
        }
        self.calls.lock().expect("lock").push(Call::NodeStatus);
        Ok(())
    }

    async fn renew_lease(&self, _lease: &Lease) -> Result<(), AgentError> {
        self.calls.lock().expect("lock").push(Call::Lease);
        Ok(())
    }
}

fn t0() -> Timestamp {
    Timestamp::from_second(1_700_000_000).expect("valid")
}

fn at(ms: i64) -> Timestamp {
    t0() + SignedDuration::from_millis(ms)
}

fn pod(name: &str, uid: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            uid: Some(uid.into()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            node_name: Some("berth".into()),
            containers: vec![Container {
                name: "app".into(),
                image: Some("nginx".into()),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
        status: None,
    }
}

fn deleting(mut p: Pod, grace_seconds: i64) -> Pod {
    p.metadata.deletion_timestamp = Some(Time(t0()));
    p.metadata.deletion_grace_period_seconds = Some(grace_seconds);
    p
}

fn sim(ready_ms: u64, delete_ms: u64) -> SimRuntime {
    SimRuntime::new(SimConfig {
        ready_delay: Duration::from_millis(ready_ms),
        delete_delay: Duration::from_millis(delete_ms),
        pod_capacity: 110,
    })
}

fn synced_with<'a>(fake: &'a Fake, rt: SimRuntime, pods: Vec<Pod>) -> PodSync<&'a Fake, SimRuntime> {
    let mut s = PodSync::new(fake, rt, Ipv4Addr::LOCALHOST);
    s.observe(Event::Init);
    for p in pods {
        s.observe(Event::InitApply(p));
    }
    s.observe(Event::InitDone);
    s
}

fn write(name: &str, phase: &str, ready: bool) -> Call {
    Call::WriteStatus {
        name: name.into(),
        phase: phase.into(),
        ready,
    }
}

#[tokio::test]
async fn a_bound_pod_is_container_creating_then_running_after_the_ready_delay() {
    let fake = Fake::default();
    let mut s = synced_with(&fake, sim(100, 0), vec![pod("web-0", "u0")]);
    let wake = s.sync(at(0)).await;
    assert_eq!(fake.take(), vec![write("web-0", "Pending", false)]);
    assert_eq!(wake, Some(at(100)));
    assert_eq!(s.sync(at(100)).await, None);
    assert_eq!(fake.take(), vec![write("web-0", "Running", true)]);
    // Nothing changed: no write.
    s.sync(at(200)).await;
    assert_eq!(fake.take(), vec![]);
}

#[tokio::test]
async fn with_no_ready_delay_a_pod_runs_in_the_same_sync() {
    let fake = Fake::default();
    let mut s = synced_with(&fake, sim(0, 0), vec![pod("web-0", "u0")]);
    s.sync(at(0)).await;
    assert_eq!(fake.take(), vec![write("web-0", "Running", true)]);
}

#[tokio::test]
async fn a_deleted_pod_is_confirmed_with_its_uid_after_the_delete_delay_and_then_forgotten() {
    let fake = Fake::default();
    let mut s = synced_with(&fake, sim(0, 300), vec![pod("web-0", "u0")]);
    s.sync(at(0)).await;
    fake.take();
    s.observe(Event::Apply(deleting(pod("web-0", "u0"), 30)));
    assert_eq!(s.sync(at(1_000)).await, Some(at(1_300)));
    assert_eq!(fake.take(), vec![], "the containers are still stopping");
    s.sync(at(1_300)).await;
    assert_eq!(
        fake.take(),
        vec![Call::ConfirmDeletion {
            name: "web-0".into(),
            uid: "u0".into()
        }]
    );
    // Not deleted twice while the watch catches up.
    s.sync(at(1_400)).await;
    assert_eq!(fake.take(), vec![]);
    s.observe(Event::Delete(deleting(pod("web-0", "u0"), 30)));
    s.sync(at(1_500)).await;
    assert!(s.runtime().pods().is_empty());
}

#[tokio::test]
async fn a_grace_period_shorter_than_the_delete_delay_wins() {
    let fake = Fake::default();
    let mut s = synced_with(&fake, sim(0, 60_000), vec![pod("web-0", "u0")]);
    s.sync(at(0)).await;
    fake.take();
    s.observe(Event::Apply(deleting(pod("web-0", "u0"), 2)));
    s.sync(at(0)).await;
    s.sync(at(1_999)).await;
    assert_eq!(fake.take(), vec![]);
    s.sync(at(2_000)).await;
    assert_eq!(
        fake.take(),
        vec![Call::ConfirmDeletion {
            name: "web-0".into(),
            uid: "u0".into()
        }]
    );
}

#[tokio::test]
async fn a_deleted_pod_that_never_started_is_deleted_at_once() {
    let fake = Fake::default();
    let mut s = synced_with(&fake, sim(0, 60_000), vec![deleting(pod("web-0", "u0"), 30)]);
    s.sync(at(0)).await;
    assert_eq!(
        fake.take(),
        vec![Call::ConfirmDeletion {
            name: "web-0".into(),
            uid: "u0".into()
        }]
    );
}

#[tokio::test]
async fn a_same_named_successor_gets_a_fresh_start_and_ip() {
    let fake = Fake::default();
    let mut s = synced_with(&fake, sim(0, 0), vec![pod("web-0", "old")]);
    s.sync(at(0)).await;
    s.observe(Event::Delete(pod("web-0", "old")));
    s.observe(Event::Apply(pod("web-0", "new")));
    s.sync(at(10)).await;
    assert_eq!(s.runtime().pods(), vec!["new".to_string()]);
    assert_eq!(
        fake.take(),
        vec![write("web-0", "Running", true), write("web-0", "Running", true)]
    );
}

#[tokio::test]
async fn a_failed_status_write_is_retried_after_a_backoff() {
    let fake = Fake::default();
    fake.fail.lock().expect("lock").push("status");
    let mut s = synced_with(&fake, sim(0, 0), vec![pod("web-0", "u0")]);
    assert_eq!(s.sync(at(0)).await, Some(at(200)));
    assert_eq!(fake.take(), vec![]);
    s.sync(at(100)).await;
    assert_eq!(fake.take(), vec![], "still backing off");
    s.sync(at(200)).await;
    assert_eq!(fake.take(), vec![write("web-0", "Running", true)]);
}

#[tokio::test]
async fn nothing_is_planned_before_the_initial_list() {
    let fake = Fake::default();
    let s = PodSync::new(&fake, sim(0, 0), Ipv4Addr::LOCALHOST);
    assert!(!s.synced());
}

fn node_config() -> NodeConfig {
    NodeConfig {
        name: "berth".into(),
        internal_ip: Ipv4Addr::LOCALHOST,
        pod_capacity: 110,
        container_runtime_version: "sim://test".into(),
        host: HostInfo {
            cpus: 2,
            memory_bytes: 1 << 30,
            kernel_version: "k".into(),
            os_image: "o".into(),
            machine_id: "m".into(),
            boot_id: "b".into(),
            architecture: "amd64".into(),
        },
    }
}

#[tokio::test]
async fn the_heartbeat_registers_once_renews_the_lease_each_beat_and_posts_status_every_minute() {
    let fake = Fake::default();
    let mut hb = Heartbeat::new(&fake, node_config(), t0());
    hb.beat(at(0)).await.expect("beat");
    assert_eq!(fake.take(), vec![Call::Register, Call::NodeStatus, Call::Lease]);
    hb.beat(at(10_000)).await.expect("beat");
    assert_eq!(fake.take(), vec![Call::Lease]);
    hb.beat(at(60_000)).await.expect("beat");
    assert_eq!(fake.take(), vec![Call::NodeStatus, Call::Lease]);
}

#[tokio::test]
async fn a_deleted_node_is_registered_again() {
    let fake = Fake::default();
    let mut hb = Heartbeat::new(&fake, node_config(), t0());
    hb.beat(at(0)).await.expect("beat");
    fake.take();
    *fake.node_gone.lock().expect("lock") = true;
    assert!(matches!(hb.beat(at(60_000)).await, Err(AgentError::NodeGone { .. })));
    hb.beat(at(61_000)).await.expect("beat");
    assert_eq!(fake.take(), vec![Call::Register, Call::NodeStatus, Call::Lease]);
}

#[tokio::test]
async fn a_failed_node_status_is_posted_again_on_the_next_beat() {
    let fake = Fake::default();
    fake.fail.lock().expect("lock").push("node-status");
    let mut hb = Heartbeat::new(&fake, node_config(), t0());
    assert!(hb.beat(at(0)).await.is_err());
    hb.beat(at(1_000)).await.expect("beat");
    assert_eq!(fake.take(), vec![Call::Register, Call::NodeStatus, Call::Lease]);
}

#[test]
fn pods_by_uid_are_unique_in_the_fake_builders() {
    let names: BTreeMap<_, _> = [pod("a", "1"), pod("b", "2")]
        .into_iter()
        .map(|p| (p.metadata.uid.clone(), p))
        .collect();
    assert_eq!(names.len(), 2);
}
