//! Cells per kind, following upstream's `print<Kind>` functions over the v1 wire form.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::duration::{since, timestamp};
use super::event::{event, EventView};
use super::pod::pod;
use crate::meta;
use crate::resource::ResourceInfo;

/// A printed row: its cells and, for finished pods, its `conditions`.
pub(super) struct Row {
    pub cells: Vec<Value>,
    pub conditions: Option<Value>,
}

impl Row {
    fn plain(cells: Vec<Value>) -> Self {
        Row {
            cells,
            conditions: None,
        }
    }
}

pub(super) fn row(info: &ResourceInfo, obj: &Value, now: Timestamp) -> Row {
    match (info.group, info.kind) {
        ("", "Pod") => pod(obj, now),
        ("", "Service") => Row::plain(service(obj, now)),
        ("apps", "StatefulSet") => Row::plain(statefulset(obj, now)),
        ("", "Endpoints") => Row::plain(vec![name(obj), json!(format_endpoints(obj)), age(obj, now)]),
        ("", "Node") => Row::plain(node(obj, now)),
        ("", "Event") => Row::plain(event(&EventView::core(obj), now)),
        ("events.k8s.io", "Event") => Row::plain(event(&EventView::events_v1(obj), now)),
        ("", "Namespace") => Row::plain(vec![name(obj), json!(s(obj, "status.phase")), age(obj, now)]),
        ("", "Secret") => Row::plain(vec![
            name(obj),
            json!(s(obj, "type")),
            json!(len_of(obj.get("data"))),
            age(obj, now),
        ]),
        ("", "ServiceAccount") => Row::plain(vec![name(obj), json!(len_of(obj.get("secrets"))), age(obj, now)]),
        ("", "PersistentVolume") => Row::plain(persistent_volume(obj, now)),
        ("", "PersistentVolumeClaim") => Row::plain(persistent_volume_claim(obj, now)),
        ("", "ConfigMap") => Row::plain(vec![
            name(obj),
            json!(len_of(obj.get("data")) + len_of(obj.get("binaryData"))),
            age(obj, now),
        ]),
        ("coordination.k8s.io", "Lease") => {
            Row::plain(vec![name(obj), json!(s(obj, "spec.holderIdentity")), age(obj, now)])
        }
        ("storage.k8s.io", "StorageClass") => Row::plain(storage_class(obj, now)),
        ("apps", "ControllerRevision") => Row::plain(controller_revision(obj, now)),
        ("discovery.k8s.io", "EndpointSlice") => Row::plain(endpoint_slice(obj, now)),
        _ => Row::plain(vec![
            name(obj),
            obj.pointer("/metadata/creationTimestamp")
                .cloned()
                .unwrap_or(Value::Null),
        ]),
    }
}

/// A string at a dotted path, or `""`.
pub(super) fn s<'a>(obj: &'a Value, dotted: &str) -> &'a str {
    meta::path(obj, dotted).and_then(Value::as_str).unwrap_or("")
}

/// An array at a dotted path, or empty.
pub(super) fn arr<'a>(obj: &'a Value, dotted: &str) -> &'a [Value] {
    meta::path(obj, dotted)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(super) fn int(obj: &Value, dotted: &str) -> i64 {
    meta::path(obj, dotted).and_then(Value::as_i64).unwrap_or(0)
}

fn len_of(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

pub(super) fn name(obj: &Value) -> Value {
    json!(meta::name(obj))
}

pub(super) fn age(obj: &Value, now: Timestamp) -> Value {
    json!(since(timestamp(obj.pointer("/metadata/creationTimestamp")), now))
}

pub(super) fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

fn or_unset(v: Option<&str>) -> String {
    v.map(String::from).unwrap_or_else(|| "<unset>".to_string())
}

/// `labels.FormatLabels`: sorted `k=v` pairs, or `<none>`.
fn format_labels(map: Option<&Value>) -> String {
    let Some(Value::Object(m)) = map else {
        return "<none>".to_string();
    };
    let mut pairs: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        "<none>".to_string()
    } else {
        pairs.join(",")
    }
}

/// `layoutContainerCells`: names and images joined by commas.
fn container_cells(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| s(c, "name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| s(c, "image")).collect();
    (names.join(","), images.join(","))
}

fn service(obj: &Value, now: Timestamp) -> Vec<Value> {
    let cluster_ip = arr(obj, "spec.clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let ports: Vec<String> = arr(obj, "spec.ports")
        .iter()
        .map(|p| {
            let port = int(p, "port");
            let proto = match s(p, "protocol") {
                "" => "TCP",
                other => other,
            };
            match int(p, "nodePort") {
                n if n > 0 => format!("{port}:{n}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    vec![
        name(obj),
        json!(s(obj, "spec.type")),
        json!(cluster_ip),
        json!(service_external_ip(obj)),
        json!(or_none(&ports.join(","))),
        age(obj, now),
        json!(format_labels(meta::path(obj, "spec.selector"))),
    ]
}

fn service_external_ip(obj: &Value) -> String {
    let external: Vec<&str> = arr(obj, "spec.externalIPs").iter().filter_map(Value::as_str).collect();
    match s(obj, "spec.type") {
        "ClusterIP" | "NodePort" => or_none(&external.join(",")),
        "LoadBalancer" => {
            let mut lb: Vec<&str> = Vec::new();
            for ing in arr(obj, "status.loadBalancer.ingress") {
                let v = if !s(ing, "ip").is_empty() {
                    s(ing, "ip")
                } else {
                    s(ing, "hostname")
                };
                if !v.is_empty() && !lb.contains(&v) {
                    lb.push(v);
                }
            }
            if !external.is_empty() {
                lb.extend(external);
                lb.join(",")
            } else if !lb.is_empty() {
                lb.join(",")
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => s(obj, "spec.externalName").to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn statefulset(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(arr(obj, "spec.template.spec.containers"));
    vec![
        name(obj),
        json!(format!(
            "{}/{}",
            int(obj, "status.readyReplicas"),
            int(obj, "spec.replicas")
        )),
        age(obj, now),
        json!(names),
        json!(images),
    ]
}

/// `formatEndpoints`: up to three `ip:port` entries, then `+ N more...`; `<none>` with no subsets.
fn format_endpoints(obj: &Value) -> String {
    let subsets = arr(obj, "subsets");
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for ss in subsets {
        let addresses = arr(ss, "addresses");
        let ports = arr(ss, "ports");
        if ports.is_empty() {
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(s(a, "ip").to_string());
            }
            continue;
        }
        for p in ports {
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(s(a, "ip"), int(p, "port")));
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}

/// `net.JoinHostPort`: IPv6 hosts in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn list_with_more(list: Vec<String>, more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - max)
    } else if ret.is_empty() {
        "<unset>".to_string()
    } else {
        ret
    }
}

fn endpoint_slice(obj: &Value, now: Timestamp) -> Vec<Value> {
    const MAX: usize = 3;
    let mut ports = Vec::new();
    let mut more = false;
    let mut count = 0;
    for p in arr(obj, "ports") {
        if ports.len() < MAX {
            let n = match (
                p.get("port").and_then(Value::as_i64),
                p.get("name").and_then(Value::as_str),
            ) {
                (Some(n), _) => n.to_string(),
                (None, Some(nm)) => nm.to_string(),
                _ => "*".to_string(),
            };
            ports.push(n);
        } else if ports.len() == MAX {
            more = true;
        }
        count += 1;
    }
    let ports = list_with_more(ports, more, count, MAX);
    let mut addrs = Vec::new();
    let mut more = false;
    let mut count = 0;
    for e in arr(obj, "endpoints") {
        for a in arr(e, "addresses") {
            if addrs.len() < MAX {
                addrs.push(a.as_str().unwrap_or("").to_string());
            } else if addrs.len() == MAX {
                more = true;
            }
            count += 1;
        }
    }
    let endpoints = list_with_more(addrs, more, count, MAX);
    vec![
        name(obj),
        json!(s(obj, "addressType")),
        json!(ports),
        json!(endpoints),
        age(obj, now),
    ]
}

fn node(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    if let Some(c) = arr(obj, "status.conditions")
        .iter()
        .rev()
        .find(|c| s(c, "type") == "Ready")
    {
        if s(c, "status") == "True" {
            status.push("Ready".into());
        } else {
            status.push("NotReady".into());
        }
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if meta::path(obj, "spec.unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in meta::labels(obj) {
        let role = if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
            r.to_string()
        } else if k == "kubernetes.io/role" {
            v.as_str().unwrap_or("").to_string()
        } else {
            continue;
        };
        if !role.is_empty() && !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles.sort();
    let address = |kind: &str| {
        arr(obj, "status.addresses")
            .iter()
            .find(|a| s(a, "type") == kind)
            .map(|a| s(a, "address").to_string())
            .unwrap_or_else(|| "<none>".to_string())
    };
    let unknown = |v: &str| {
        if v.is_empty() {
            "<unknown>".to_string()
        } else {
            v.to_string()
        }
    };
    vec![
        name(obj),
        json!(status.join(",")),
        json!(or_none(&roles.join(","))),
        age(obj, now),
        json!(s(obj, "status.nodeInfo.kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(unknown(s(obj, "status.nodeInfo.osImage"))),
        json!(unknown(s(obj, "status.nodeInfo.kernelVersion"))),
        json!(unknown(s(obj, "status.nodeInfo.containerRuntimeVersion"))),
    ]
}

/// `GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order, each once.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    let mut out = Vec::new();
    for (mode, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if has(mode) {
            out.push(short);
        }
    }
    out.join(",")
}

const BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    meta::metadata(obj)?.get("annotations")?.get(key)?.as_str()
}

/// `GetPersistentVolume(Claim)Class`: the beta annotation wins over `spec.storageClassName`.
fn storage_class_of(obj: &Value) -> String {
    annotation(obj, BETA_STORAGE_CLASS)
        .unwrap_or_else(|| s(obj, "spec.storageClassName"))
        .to_string()
}

fn persistent_volume(obj: &Value, now: Timestamp) -> Vec<Value> {
    let claim = match meta::path(obj, "spec.claimRef") {
        Some(c) if c.is_object() => format!("{}/{}", s(c, "namespace"), s(c, "name")),
        _ => String::new(),
    };
    let phase = if meta::is_deleting(obj) {
        "Terminating"
    } else {
        s(obj, "status.phase")
    };
    vec![
        name(obj),
        json!(s(obj, "spec.capacity.storage")),
        json!(access_modes(arr(obj, "spec.accessModes"))),
        json!(s(obj, "spec.persistentVolumeReclaimPolicy")),
        json!(phase),
        json!(claim),
        json!(storage_class_of(obj)),
        json!(or_unset(
            meta::path(obj, "spec.volumeAttributesClassName").and_then(Value::as_str)
        )),
        json!(s(obj, "status.reason")),
        age(obj, now),
        json!(or_unset(meta::path(obj, "spec.volumeMode").and_then(Value::as_str))),
    ]
}

fn persistent_volume_claim(obj: &Value, now: Timestamp) -> Vec<Value> {
    let phase = if meta::is_deleting(obj) {
        "Terminating"
    } else {
        s(obj, "status.phase")
    };
    let volume = s(obj, "spec.volumeName");
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            s(obj, "status.capacity.storage").to_string(),
            access_modes(arr(obj, "status.accessModes")),
        )
    };
    vec![
        name(obj),
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class_of(obj)),
        json!(or_unset(
            meta::path(obj, "spec.volumeAttributesClassName").and_then(Value::as_str)
        )),
        age(obj, now),
        json!(or_unset(meta::path(obj, "spec.volumeMode").and_then(Value::as_str))),
    ]
}

fn storage_class(obj: &Value, now: Timestamp) -> Vec<Value> {
    let is_default = annotation(obj, "storageclass.kubernetes.io/is-default-class") == Some("true")
        || annotation(obj, "storageclass.beta.kubernetes.io/is-default-class") == Some("true");
    let mut shown = meta::name(obj).to_string();
    if is_default {
        shown.push_str(" (default)");
    }
    let reclaim = match s(obj, "reclaimPolicy") {
        "" => "Delete",
        p => p,
    };
    let binding = match s(obj, "volumeBindingMode") {
        "" => "Immediate",
        m => m,
    };
    vec![
        json!(shown),
        json!(s(obj, "provisioner")),
        json!(reclaim),
        json!(binding),
        json!(obj
            .get("allowVolumeExpansion")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
        age(obj, now),
    ]
}

fn controller_revision(obj: &Value, now: Timestamp) -> Vec<Value> {
    let controller = meta::metadata(obj)
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        });
    let controller_name = match controller {
        None => "<none>".to_string(),
        Some(r) => {
            let group = match s(r, "apiVersion").split_once('/') {
                Some((g, _)) => g,
                None => "",
            };
            let kind = s(r, "kind");
            let group_kind = if group.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}.{group}")
            };
            if group_kind.is_empty() {
                s(r, "name").to_string()
            } else {
                format!("{}/{}", group_kind.to_lowercase(), s(r, "name"))
            }
        }
    };
    vec![
        name(obj),
        json!(controller_name),
        json!(int(obj, "revision")),
        age(obj, now),
    ]
}
