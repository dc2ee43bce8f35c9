//! Service address allocation: cluster IPs from 10.96.0.0/16 and node ports from 30000–32767.
//!
//! The allocator is rebuilt from the stored Services at start ([`Allocator::observe`]), so it
//! needs no storage of its own; a create that stores nothing releases what it took.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use berth_api::resource;
use berth_api::{meta, ApiError, Cause};
use serde_json::{json, Value};

use crate::registry;

/// The service network: 10.96.0.0/16; 10.96.0.1 is the `kubernetes` Service.
const SERVICE_NET: [u8; 2] = [10, 96];
/// Upstream's default `--service-node-port-range`.
const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;

#[derive(Default)]
struct Used {
    ips: HashSet<Ipv4Addr>,
    ports: HashSet<u16>,
}

/// Cluster IPs and node ports in use.
#[derive(Default)]
pub struct Allocator {
    used: Mutex<Used>,
}

fn invalid(svc: &Value, field: &str, value: Value, detail: &str) -> ApiError {
    let info = resource::lookup("", "v1", "services").expect("services are served");
    ApiError::Invalid {
        target: registry::target(info, meta::name(svc)),
        causes: vec![Cause::invalid(field, &value, detail)],
    }
}

fn cluster_ip(svc: &Value) -> Option<Ipv4Addr> {
    svc.pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

fn node_ports(svc: &Value) -> Vec<u16> {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p.get("nodePort").and_then(Value::as_u64))
                .filter_map(|n| u16::try_from(n).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn wants_node_ports(svc: &Value) -> bool {
    matches!(
        svc.pointer("/spec/type").and_then(Value::as_str),
        Some("NodePort" | "LoadBalancer")
    )
}

impl Allocator {
    /// Records the addresses of a stored Service.
    pub fn observe(&self, svc: &Value) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ip) = cluster_ip(svc) {
            used.ips.insert(ip);
        }
        used.ports.extend(node_ports(svc));
    }

    /// Gives a new Service its cluster IP (unless headless or ExternalName) and node ports.
    pub fn allocate(&self, svc: &mut Value) -> Result<(), ApiError> {
        let ty = svc
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string();
        if ty == "ExternalName" {
            return Ok(());
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let requested = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut taken_ip = None;
        if requested == "None" {
            svc["spec"]["clusterIPs"] = json!(["None"]);
        } else {
            let ip = if requested.is_empty() {
                let seed = uuid::Uuid::new_v4().as_u128() as u32;
                (0..65_534u32)
                    .map(|i| (seed.wrapping_add(i) % 65_533) + 2)
                    .map(|n| Ipv4Addr::new(SERVICE_NET[0], SERVICE_NET[1], (n >> 8) as u8, n as u8))
                    .find(|ip| !used.ips.contains(ip))
                    .ok_or_else(|| ApiError::Internal("failed to allocate a serviceIP: range is full".into()))?
            } else {
                let ip: Ipv4Addr = requested
                    .parse()
                    .map_err(|_| invalid(svc, "spec.clusterIPs", json!(requested), "must be a valid IP address"))?;
                let o = ip.octets();
                if o[0] != SERVICE_NET[0] || o[1] != SERVICE_NET[1] {
                    return Err(invalid(
                        svc,
                        "spec.clusterIPs",
                        json!(requested),
                        "provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16",
                    ));
                }
                if used.ips.contains(&ip) {
                    return Err(invalid(
                        svc,
                        "spec.clusterIPs",
                        json!(requested),
                        "provided IP is already allocated",
                    ));
                }
                ip
            };
            used.ips.insert(ip);
            taken_ip = Some(ip);
            svc["spec"]["clusterIP"] = json!(ip.to_string());
            svc["spec"]["clusterIPs"] = json!([ip.to_string()]);
        }
        if wants_node_ports(svc) {
            if let Err(e) = assign_node_ports(svc, &mut used) {
                if let Some(ip) = taken_ip {
                    used.ips.remove(&ip);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Returns a Service's addresses to the pool.
    pub fn release(&self, svc: &Value) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ip) = cluster_ip(svc) {
            used.ips.remove(&ip);
        }
        for p in node_ports(svc) {
            used.ports.remove(&p);
        }
    }
}

fn assign_node_ports(svc: &mut Value, used: &mut Used) -> Result<(), ApiError> {
    let Some(ports) = svc.pointer_mut("/spec/ports").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let mut mine: Vec<u16> = Vec::new();
    let mut failure = None;
    for (i, p) in ports.iter_mut().enumerate() {
        match p.get("nodePort").and_then(Value::as_u64) {
            Some(n) => {
                let valid = u16::try_from(n).ok().filter(|n| NODE_PORTS.contains(n));
                match valid {
                    Some(n) if !used.ports.contains(&n) || mine.contains(&n) => mine.push(n),
                    Some(_) => failure = Some((i, n, "provided port is already allocated")),
                    None => {
                        failure = Some((
                            i,
                            n,
                            "provided port is not in the valid range. The range of valid ports is 30000-32767",
                        ))
                    }
                }
            }
            None => {
                let seed = uuid::Uuid::new_v4().as_u128() as u32;
                let span = u32::from(NODE_PORTS.end() - NODE_PORTS.start()) + 1;
                let free = (0..span)
                    .map(|k| NODE_PORTS.start() + ((seed.wrapping_add(k)) % span) as u16)
                    .find(|n| !used.ports.contains(n) && !mine.contains(n));
                match free {
                    Some(n) => {
                        p["nodePort"] = json!(n);
                        mine.push(n);
                    }
                    None => failure = Some((i, 0, "range is full")),
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }
    if let Some((i, n, detail)) = failure {
        let field = format!("spec.ports[{i}].nodePort");
        return Err(invalid(svc, &field, json!(n), detail));
    }
    used.ports.extend(mine);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_port_services_get_a_port_in_range_and_release_it() {
        let a = Allocator::default();
        let mut svc = json!({"metadata": {"name": "s"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        a.allocate(&mut svc).expect("allocated");
        let n = svc["spec"]["ports"][0]["nodePort"].as_u64().expect("node port");
        assert!((30000..=32767).contains(&n));
        assert!(svc["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|s| s.starts_with("10.96.")));
        let mut twin =
            json!({"metadata": {"name": "t"}, "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": n}]}});
        assert!(a.allocate(&mut twin).is_err(), "a taken port is refused");
        a.release(&svc);
        a.allocate(&mut twin).expect("free again after release");
    }

    #[test]
    fn headless_and_external_name_services_take_nothing() {
        let a = Allocator::default();
        let mut headless = json!({"spec": {"clusterIP": "None", "ports": [{"port": 80}]}});
        a.allocate(&mut headless).expect("ok");
        assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
        let mut ext = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        a.allocate(&mut ext).expect("ok");
        assert!(ext["spec"].get("clusterIP").is_none());
    }

    #[test]
    fn a_requested_ip_outside_the_range_is_invalid() {
        let a = Allocator::default();
        let mut svc = json!({"metadata": {"name": "s"}, "spec": {"clusterIP": "192.168.0.1"}});
        let e = a.allocate(&mut svc).expect_err("out of range");
        assert_eq!(e.code(), 422);
    }
}
