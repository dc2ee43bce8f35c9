//! Upstream defaulting (`pkg/apis/*/v1/defaults.go` and generated `zz_generated.defaults.go`).
//!
//! Applied to typed objects on every decode, exactly as upstream defaults on decode of requests
//! and again on reads from storage. Feature gates are those of a default 1.32 cluster
//! (`MaxUnavailableStatefulSet` off, `DefaultHostNetworkHostPortsInPodTemplates` off).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EphemeralContainer, HTTPGetAction, Lifecycle, ObjectFieldSelector, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, Pod, PodSecurityContext, PodSpec, Probe, ResourceRequirements, Volume,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::schema::Object;

/// Applies every upstream default to `obj`, in place.
pub fn apply(obj: &mut Object) {
    match obj {
        Object::Pod(p) => pod(p),
        Object::StatefulSet(s) => statefulset(s),
        Object::Service(s) => service(s),
        Object::PersistentVolumeClaim(c) => pvc(c),
        Object::PersistentVolume(pv) => {
            let spec = pv.spec.get_or_insert_with(Default::default);
            spec.persistent_volume_reclaim_policy
                .get_or_insert_with(|| "Retain".into());
            spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            if let Some(h) = spec.host_path.as_mut() {
                h.type_.get_or_insert_with(String::new);
            }
            let status = pv.status.get_or_insert_with(Default::default);
            status.phase.get_or_insert_with(|| "Pending".into());
        }
        Object::Namespace(ns) => {
            if let Some(name) = ns.metadata.name.clone().filter(|n| !n.is_empty()) {
                ns.metadata
                    .labels
                    .get_or_insert_with(BTreeMap::new)
                    .insert("kubernetes.io/metadata.name".into(), name);
            }
            let status = ns.status.get_or_insert_with(Default::default);
            status.phase.get_or_insert_with(|| "Active".into());
        }
        Object::Node(n) => {
            if let Some(status) = n.status.as_mut() {
                if status.allocatable.is_none() && status.capacity.is_some() {
                    status.allocatable = status.capacity.clone();
                }
            }
        }
        Object::Secret(s) => {
            if s.type_.as_deref().unwrap_or("").is_empty() {
                s.type_ = Some("Opaque".into());
            }
        }
        Object::Endpoints(e) => {
            for subset in e.subsets.iter_mut().flatten() {
                for p in subset.ports.iter_mut().flatten() {
                    default_str(&mut p.protocol, "TCP");
                }
            }
        }
        Object::EndpointSlice(es) => {
            for p in es.ports.iter_mut().flatten() {
                p.name.get_or_insert_with(String::new);
                p.protocol.get_or_insert_with(|| "TCP".into());
            }
        }
        Object::StorageClass(sc) => {
            sc.reclaim_policy.get_or_insert_with(|| "Delete".into());
            sc.volume_binding_mode.get_or_insert_with(|| "Immediate".into());
        }
        Object::Event(_)
        | Object::EventsEvent(_)
        | Object::ConfigMap(_)
        | Object::ServiceAccount(_)
        | Object::ControllerRevision(_)
        | Object::Lease(_) => {}
    }
}

/// Sets `*field` to `value` when it is unset or empty, as Go's `if x == "" { x = value }`.
fn default_str(field: &mut Option<String>, value: &str) {
    if field.as_deref().unwrap_or("").is_empty() {
        *field = Some(value.to_string());
    }
}

/// `SetDefaults_Pod` plus everything a pod template gets.
fn pod(p: &mut Pod) {
    let spec = p.spec.get_or_insert_with(Default::default);
    pod_spec(spec);
    // SetDefaults_Pod applies to Pods only, not to pod templates.
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        requests_from_limits(c.resources.get_or_insert_with(Default::default));
    }
    spec.enable_service_links.get_or_insert(true);
    if spec.host_network == Some(true) {
        for c in spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut().flatten())
        {
            for port in c.ports.iter_mut().flatten() {
                if port.host_port.unwrap_or(0) == 0 {
                    port.host_port = Some(port.container_port);
                }
            }
        }
    }
}

fn requests_from_limits(r: &mut ResourceRequirements) {
    if let Some(limits) = r.limits.as_ref() {
        let requests = r.requests.get_or_insert_with(BTreeMap::new);
        for (k, v) in limits {
            requests.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// `SetDefaults_PodSpec` and the defaults of everything nested in a pod spec.
pub fn pod_spec(spec: &mut PodSpec) {
    default_str(&mut spec.dns_policy, "ClusterFirst");
    default_str(&mut spec.restart_policy, "Always");
    spec.security_context.get_or_insert_with(PodSecurityContext::default);
    spec.termination_grace_period_seconds.get_or_insert(30);
    default_str(&mut spec.scheduler_name, "default-scheduler");
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        container(c);
    }
    for c in spec.ephemeral_containers.iter_mut().flatten() {
        ephemeral_container(c);
    }
    for v in spec.volumes.iter_mut().flatten() {
        volume(v);
    }
}

/// The pull policy upstream derives from the image reference (`SetDefaults_Container`).
pub fn image_pull_policy(image: &str) -> &'static str {
    if image_tag(image).as_deref() == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// The tag `parsers.ParseImageName` would return: `latest` when there is neither tag nor digest,
/// `None` when the reference does not parse (upstream then defaults to IfNotPresent).
fn image_tag(image: &str) -> Option<String> {
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        return None;
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let (repo_last, tag) = match last.split_once(':') {
        Some((r, t)) => (r, Some(t)),
        None => (last, None),
    };
    // The repository path must be lowercase (`repository name must be lowercase`).
    let repo_path = &name[..name.len() - last.len()];
    let domain_end = repo_path.find('/').unwrap_or(0);
    let path_part = format!("{}{}", &repo_path[domain_end..], repo_last);
    if repo_last.is_empty() || path_part.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    match (tag, digest) {
        (Some(t), _) if !t.is_empty() => Some(t.to_string()),
        (Some(_), _) => None,
        (None, Some(_)) => Some(String::new()),
        (None, None) => Some("latest".into()),
    }
}

fn container(c: &mut Container) {
    if c.image_pull_policy.as_deref().unwrap_or("").is_empty() {
        c.image_pull_policy = Some(image_pull_policy(c.image.as_deref().unwrap_or("")).into());
    }
    default_str(&mut c.termination_message_path, "/dev/termination-log");
    default_str(&mut c.termination_message_policy, "File");
    for p in c.ports.iter_mut().flatten() {
        container_port(p);
    }
    for probe in [&mut c.liveness_probe, &mut c.readiness_probe, &mut c.startup_probe]
        .into_iter()
        .flatten()
    {
        self::probe(probe);
    }
    if let Some(l) = c.lifecycle.as_mut() {
        lifecycle(l);
    }
    for e in c.env.iter_mut().flatten() {
        if let Some(f) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            field_selector(f);
        }
    }
}

fn ephemeral_container(c: &mut EphemeralContainer) {
    if c.image_pull_policy.as_deref().unwrap_or("").is_empty() {
        c.image_pull_policy = Some(image_pull_policy(c.image.as_deref().unwrap_or("")).into());
    }
    default_str(&mut c.termination_message_path, "/dev/termination-log");
    default_str(&mut c.termination_message_policy, "File");
    for p in c.ports.iter_mut().flatten() {
        container_port(p);
    }
    for e in c.env.iter_mut().flatten() {
        if let Some(f) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            field_selector(f);
        }
    }
}

fn container_port(p: &mut ContainerPort) {
    default_str(&mut p.protocol, "TCP");
}

fn field_selector(f: &mut ObjectFieldSelector) {
    default_str(&mut f.api_version, "v1");
}

fn http_get(h: &mut HTTPGetAction) {
    default_str(&mut h.path, "/");
    default_str(&mut h.scheme, "HTTP");
}

fn probe(p: &mut Probe) {
    if p.timeout_seconds.unwrap_or(0) == 0 {
        p.timeout_seconds = Some(1);
    }
    if p.period_seconds.unwrap_or(0) == 0 {
        p.period_seconds = Some(10);
    }
    if p.success_threshold.unwrap_or(0) == 0 {
        p.success_threshold = Some(1);
    }
    if p.failure_threshold.unwrap_or(0) == 0 {
        p.failure_threshold = Some(3);
    }
    if let Some(h) = p.http_get.as_mut() {
        http_get(h);
    }
    if let Some(g) = p.grpc.as_mut() {
        g.service.get_or_insert_with(String::new);
    }
}

fn lifecycle(l: &mut Lifecycle) {
    for h in [l.post_start.as_mut(), l.pre_stop.as_mut()].into_iter().flatten() {
        if let Some(g) = h.http_get.as_mut() {
            http_get(g);
        }
    }
}

fn volume(v: &mut Volume) {
    let only_name = serde_json::to_value(&*v)
        .ok()
        .and_then(|x| x.as_object().map(|m| m.keys().all(|k| k == "name")))
        .unwrap_or(false);
    if only_name {
        v.empty_dir = Some(Default::default());
    }
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(0o644);
    }
    if let Some(s) = v.config_map.as_mut() {
        s.default_mode.get_or_insert(0o644);
    }
    if let Some(s) = v.downward_api.as_mut() {
        s.default_mode.get_or_insert(0o644);
        for item in s.items.iter_mut().flatten() {
            if let Some(f) = item.field_ref.as_mut() {
                field_selector(f);
            }
        }
    }
    if let Some(s) = v.projected.as_mut() {
        s.default_mode.get_or_insert(0o644);
        for src in s.sources.iter_mut().flatten() {
            if let Some(t) = src.service_account_token.as_mut() {
                t.expiration_seconds.get_or_insert(3600);
            }
            if let Some(d) = src.downward_api.as_mut() {
                for item in d.items.iter_mut().flatten() {
                    if let Some(f) = item.field_ref.as_mut() {
                        field_selector(f);
                    }
                }
            }
        }
    }
    if let Some(h) = v.host_path.as_mut() {
        h.type_.get_or_insert_with(String::new);
    }
    if let Some(i) = v.iscsi.as_mut() {
        default_str(&mut i.iscsi_interface, "default");
    }
    if let Some(r) = v.rbd.as_mut() {
        default_str(&mut r.pool, "rbd");
        default_str(&mut r.user, "admin");
        default_str(&mut r.keyring, "/etc/ceph/keyring");
    }
    if let Some(a) = v.azure_disk.as_mut() {
        a.caching_mode.get_or_insert_with(|| "ReadWrite".into());
        a.fs_type.get_or_insert_with(|| "ext4".into());
        a.read_only.get_or_insert(false);
        a.kind.get_or_insert_with(|| "Shared".into());
    }
    if let Some(s) = v.scale_io.as_mut() {
        default_str(&mut s.storage_mode, "ThinProvisioned");
        default_str(&mut s.fs_type, "xfs");
    }
    if let Some(t) = v.ephemeral.as_mut().and_then(|e| e.volume_claim_template.as_mut()) {
        pvc_spec(&mut t.spec);
    }
}

fn pvc_spec(spec: &mut PersistentVolumeClaimSpec) {
    spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
}

/// `SetDefaults_PersistentVolumeClaim` and its spec.
pub fn pvc(c: &mut PersistentVolumeClaim) {
    pvc_spec(c.spec.get_or_insert_with(Default::default));
    let status = c.status.get_or_insert_with(Default::default);
    default_str(&mut status.phase, "Pending");
}

/// `SetDefaults_StatefulSet` (spec §1.2, gate MaxUnavailableStatefulSet off) plus nested defaults.
pub fn statefulset(s: &mut StatefulSet) {
    let spec = s.spec.get_or_insert_with(Default::default);
    default_str(&mut spec.pod_management_policy, "OrderedReady");
    let us = spec.update_strategy.get_or_insert_with(Default::default);
    if us.type_.as_deref().unwrap_or("").is_empty() {
        us.type_ = Some("RollingUpdate".into());
        us.rolling_update.get_or_insert_with(Default::default);
    }
    if us.type_.as_deref() == Some("RollingUpdate") {
        if let Some(ru) = us.rolling_update.as_mut() {
            ru.partition.get_or_insert(0);
        }
    }
    let policy = spec
        .persistent_volume_claim_retention_policy
        .get_or_insert_with(Default::default);
    default_str(&mut policy.when_deleted, "Retain");
    default_str(&mut policy.when_scaled, "Retain");
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    pod_spec(spec.template.spec.get_or_insert_with(Default::default));
    for vct in spec.volume_claim_templates.iter_mut().flatten() {
        pvc(vct);
    }
}

/// `SetDefaults_Service`. Cluster IPs and IP families are the allocator's, not defaults.
fn service(s: &mut k8s_openapi::api::core::v1::Service) {
    let spec = s.spec.get_or_insert_with(Default::default);
    default_str(&mut spec.session_affinity, "None");
    match spec.session_affinity.as_deref() {
        Some("None") => spec.session_affinity_config = None,
        Some("ClientIP") => {
            let has_timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds)
                .is_some();
            if !has_timeout {
                spec.session_affinity_config = Some(k8s_openapi::api::core::v1::SessionAffinityConfig {
                    client_ip: Some(k8s_openapi::api::core::v1::ClientIPConfig {
                        timeout_seconds: Some(10800),
                    }),
                });
            }
        }
        _ => {}
    }
    default_str(&mut spec.type_, "ClusterIP");
    for p in spec.ports.iter_mut().flatten() {
        default_str(&mut p.protocol, "TCP");
        let unset = match &p.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            Some(IntOrString::Int(_)) => false,
        };
        if unset {
            p.target_port = Some(IntOrString::Int(p.port));
        }
    }
    let ty = spec.type_.clone().unwrap_or_default();
    if ty == "NodePort" || ty == "LoadBalancer" {
        default_str(&mut spec.external_traffic_policy, "Cluster");
    }
    if spec.internal_traffic_policy.is_none() && matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        spec.internal_traffic_policy = Some("Cluster".into());
    }
    if ty == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }
}

#[cfg(test)]
mod tests;
