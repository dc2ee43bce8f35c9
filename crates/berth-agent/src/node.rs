//! The Node and Lease objects the agent publishes, built purely from the node's configuration,
//! what the host looks like, and the time.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};

use crate::ipam::POD_CIDR;

/// The kubelet version the node reports (the API level berth serves).
pub const KUBELET_VERSION: &str = "v1.32.0";
/// Where node leases live.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// `spec.leaseDurationSeconds` (upstream's default).
pub const LEASE_DURATION_SECONDS: i32 = 40;

/// What the host looks like, read once at startup (see [`crate::host`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    pub cpus: u32,
    pub memory_bytes: u64,
    pub kernel_version: String,
    pub os_image: String,
    pub machine_id: String,
    pub boot_id: String,
    /// GOARCH spelling: `amd64`, `arm64`.
    pub architecture: String,
}

/// Everything that shapes the Node object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    pub name: String,
    pub internal_ip: Ipv4Addr,
    pub pod_capacity: u32,
    pub container_runtime_version: String,
    pub host: HostInfo,
}

/// The Node as first registered: labels, pod CIDR and status.
pub fn node(cfg: &NodeConfig, ready_since: Timestamp, now: Timestamp) -> Node {
    let labels: BTreeMap<String, String> = [
        ("beta.kubernetes.io/arch", cfg.host.architecture.as_str()),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", cfg.host.architecture.as_str()),
        ("kubernetes.io/hostname", cfg.name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("node-role.kubernetes.io/control-plane", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Node {
        metadata: ObjectMeta {
            name: Some(cfg.name.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            pod_cidr: Some(POD_CIDR.into()),
            pod_cidrs: Some(vec![POD_CIDR.into()]),
            ..NodeSpec::default()
        }),
        status: Some(node_status(cfg, ready_since, now)),
    }
}

fn node_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    since: Timestamp,
    now: Timestamp,
) -> NodeCondition {
    NodeCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(Time(now)),
        last_transition_time: Some(Time(since)),
    }
}

/// The node's status at `now`: healthy conditions in upstream's order, Ready since `ready_since`.
pub fn node_status(cfg: &NodeConfig, ready_since: Timestamp, now: Timestamp) -> NodeStatus {
    let resources: BTreeMap<String, Quantity> = [
        ("cpu", cfg.host.cpus.to_string()),
        ("ephemeral-storage", "100Gi".to_string()),
        ("memory", format!("{}Ki", cfg.host.memory_bytes / 1024)),
        ("pods", cfg.pod_capacity.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Quantity(v)))
    .collect();
    let c = |t, s, r, m| node_condition(t, s, r, m, ready_since, now);
    NodeStatus {
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".into(),
                address: cfg.internal_ip.to_string(),
            },
            NodeAddress {
                type_: "Hostname".into(),
                address: cfg.name.clone(),
            },
        ]),
        allocatable: Some(resources.clone()),
        capacity: Some(resources),
        conditions: Some(vec![
            c(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            c(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            c(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            c("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]),
        node_info: Some(NodeSystemInfo {
            architecture: cfg.host.architecture.clone(),
            boot_id: cfg.host.boot_id.clone(),
            container_runtime_version: cfg.container_runtime_version.clone(),
            kernel_version: cfg.host.kernel_version.clone(),
            kube_proxy_version: String::new(),
            kubelet_version: KUBELET_VERSION.into(),
            machine_id: cfg.host.machine_id.clone(),
            operating_system: "linux".into(),
            os_image: cfg.host.os_image.clone(),
            system_uuid: cfg.host.machine_id.clone(),
        }),
        ..NodeStatus::default()
    }
}

/// The node's Lease in `kube-node-lease`, renewed at `now`, owned by the Node when its UID is known.
pub fn lease(node_name: &str, node_uid: Option<&str>, now: Timestamp) -> Lease {
    let owner = node_uid.map(|uid| OwnerReference {
        api_version: "v1".into(),
        kind: "Node".into(),
        name: node_name.into(),
        uid: uid.into(),
        ..OwnerReference::default()
    });
    Lease {
        metadata: ObjectMeta {
            name: Some(node_name.into()),
            namespace: Some(LEASE_NAMESPACE.into()),
            owner_references: owner.map(|o| vec![o]),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node_name.into()),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(MicroTime(now)),
            ..LeaseSpec::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> NodeConfig {
        NodeConfig {
            name: "berth".into(),
            internal_ip: Ipv4Addr::LOCALHOST,
            pod_capacity: 110,
            container_runtime_version: "sim://0.1.0".into(),
            host: HostInfo {
                cpus: 2,
                memory_bytes: 4 << 30,
                kernel_version: "6.1.0".into(),
                os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                machine_id: "m".into(),
                boot_id: "b".into(),
                architecture: "amd64".into(),
            },
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).expect("valid")
    }

    #[test]
    fn a_registered_node_is_ready_with_capacity_and_kubelet_version() {
        let n = node(&cfg(), t(0), t(5));
        let st = n.status.expect("status");
        let ready = st
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "Ready")
            .expect("ready");
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_deref()),
            ("True", Some("KubeletReady"))
        );
        assert_eq!(ready.last_transition_time, Some(Time(t(0))));
        assert_eq!(ready.last_heartbeat_time, Some(Time(t(5))));
        let cap = st.capacity.expect("capacity");
        assert_eq!(cap["pods"], Quantity("110".into()));
        assert_eq!(cap["cpu"], Quantity("2".into()));
        assert_eq!(cap["memory"], Quantity("4194304Ki".into()));
        assert_eq!(st.node_info.expect("info").kubelet_version, "v1.32.0");
        assert_eq!(st.addresses.expect("addresses")[0].address, "127.0.0.1");
        assert_eq!(n.metadata.labels.expect("labels")["kubernetes.io/hostname"], "berth");
    }

    #[test]
    fn a_lease_is_held_by_the_node_and_owned_by_it_once_its_uid_is_known() {
        let l = lease("berth", Some("u1"), t(3));
        let spec = l.spec.expect("spec");
        assert_eq!(spec.holder_identity.as_deref(), Some("berth"));
        assert_eq!(spec.renew_time, Some(MicroTime(t(3))));
        assert_eq!(l.metadata.owner_references.expect("owner")[0].uid, "u1");
        assert!(lease("berth", None, t(3)).metadata.owner_references.is_none());
    }
}
