//! Validation of the other core, discovery, storage and coordination kinds.

use k8s_openapi::api::core::v1::{PersistentVolumeClaimSpec, ServicePort};
use serde_json::Value;

use super::meta::validate_kube_finalizer;
use super::{immutable, invalid_json, nonnegative, Errors};
use crate::names;
use crate::schema::Object;
use crate::status::Cause;

/// Largest ConfigMap or Secret payload (`MaxSecretSize`).
pub const MAX_DATA_SIZE: usize = 1024 * 1024;

fn config_map_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > names::DNS1123_SUBDOMAIN_MAX {
        errs.push(format!(
            "must be no more than {} characters",
            names::DNS1123_SUBDOMAIN_MAX
        ));
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
    {
        errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_string());
    }
    if key == "." {
        errs.push("must not be '.'".to_string());
    } else if key == ".." {
        errs.push("must not be '..'".to_string());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

fn validate_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &str, errs: &mut Errors) {
    for k in keys {
        for msg in config_map_key_errors(k) {
            errs.push(Cause::invalid(&format!("{path}[{k}]"), &Value::String(k.clone()), &msg));
        }
    }
}

fn validate_service_ports(ports: &[ServicePort], errs: &mut Errors) {
    let mut seen = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = format!("spec.ports[{i}]");
        let name = p.name.clone().unwrap_or_default();
        if ports.len() > 1 && name.is_empty() {
            errs.push(Cause::required(&format!("{pp}.name"), ""));
        } else if !name.is_empty() {
            for msg in names::is_dns1123_label(&name) {
                errs.push(Cause::invalid(
                    &format!("{pp}.name"),
                    &Value::String(name.clone()),
                    &msg,
                ));
            }
            if seen.contains(&name) {
                errs.push(Cause::duplicate(&format!("{pp}.name"), &Value::String(name.clone())));
            }
            seen.push(name);
        }
        if !(1..=65535).contains(&p.port) {
            errs.push(Cause::invalid(
                &format!("{pp}.port"),
                &Value::from(p.port),
                "must be between 1 and 65535, inclusive",
            ));
        }
        let proto = p.protocol.clone().unwrap_or_default();
        if !["TCP", "UDP", "SCTP"].contains(&proto.as_str()) {
            errs.push(Cause::not_supported(
                &format!("{pp}.protocol"),
                &Value::String(proto),
                &["SCTP", "TCP", "UDP"],
            ));
        }
        if let Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(t)) = &p.target_port {
            if !(1..=65535).contains(t) {
                errs.push(Cause::invalid(
                    &format!("{pp}.targetPort"),
                    &Value::from(*t),
                    "must be between 1 and 65535, inclusive",
                ));
            }
        }
    }
}

fn validate_pvc_spec(spec: &PersistentVolumeClaimSpec, path: &str, errs: &mut Errors) {
    let modes = spec.access_modes.clone().unwrap_or_default();
    if modes.is_empty() {
        errs.push(Cause::required(
            &format!("{path}.accessModes"),
            "at least 1 access mode is required",
        ));
    }
    for m in &modes {
        if !["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"].contains(&m.as_str()) {
            errs.push(Cause::not_supported(
                &format!("{path}.accessModes"),
                &Value::String(m.clone()),
                &["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"],
            ));
        }
    }
    let has_storage = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .is_some_and(|r| r.contains_key("storage"));
    if !has_storage {
        errs.push(Cause::required(&format!("{path}.resources[storage]"), ""));
    }
    if let Some(vm) = spec.volume_mode.as_deref() {
        if vm != "Block" && vm != "Filesystem" {
            errs.push(Cause::not_supported(
                &format!("{path}.volumeMode"),
                &Value::String(vm.into()),
                &["Block", "Filesystem"],
            ));
        }
    }
}

/// Create validation of the kinds other than Pod, StatefulSet and ControllerRevision.
pub fn validate(obj: &Object) -> Errors {
    let mut errs = Errors::new();
    match obj {
        Object::Service(s) => {
            let spec = s.spec.clone().unwrap_or_default();
            let ty = spec.type_.clone().unwrap_or_default();
            if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(&ty.as_str()) {
                errs.push(Cause::not_supported(
                    "spec.type",
                    &Value::String(ty.clone()),
                    &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
                ));
            }
            let ports = spec.ports.clone().unwrap_or_default();
            let headless = spec.cluster_ip.as_deref() == Some("None");
            if ty != "ExternalName" && ports.is_empty() && !headless {
                errs.push(Cause::required("spec.ports", ""));
            }
            if ty == "ExternalName" && spec.external_name.as_deref().unwrap_or("").is_empty() {
                errs.push(Cause::required("spec.externalName", ""));
            }
            validate_service_ports(&ports, &mut errs);
            let sa = spec.session_affinity.clone().unwrap_or_default();
            if sa != "None" && sa != "ClientIP" {
                errs.push(Cause::not_supported(
                    "spec.sessionAffinity",
                    &Value::String(sa),
                    &["ClientIP", "None"],
                ));
            }
            if let Some(ip) = spec.cluster_ip.as_deref().filter(|ip| !ip.is_empty() && *ip != "None") {
                if ip.parse::<std::net::IpAddr>().is_err() {
                    errs.push(Cause::invalid(
                        "spec.clusterIPs[0]",
                        &Value::String(ip.into()),
                        "must be empty, 'None', or a valid IP address",
                    ));
                }
            }
            if headless && ty != "ClusterIP" {
                errs.push(Cause::invalid(
                    "spec.clusterIPs[0]",
                    &Value::String("None".into()),
                    "may not be set to 'None' for LoadBalancer or NodePort services",
                ));
            }
            errs.extend(super::meta::validate_labels(spec.selector.as_ref(), "spec.selector"));
        }
        Object::Namespace(ns) => {
            for (i, f) in ns.spec.iter().flat_map(|s| s.finalizers.iter().flatten()).enumerate() {
                errs.extend(validate_kube_finalizer(f, &format!("spec.finalizers[{i}]")));
            }
        }
        Object::ConfigMap(cm) => {
            validate_keys(cm.data.iter().flat_map(|d| d.keys()), "data", &mut errs);
            validate_keys(cm.binary_data.iter().flat_map(|d| d.keys()), "binaryData", &mut errs);
            for k in cm.data.iter().flat_map(|d| d.keys()) {
                if cm.binary_data.as_ref().is_some_and(|b| b.contains_key(k)) {
                    errs.push(Cause::invalid(
                        &format!("data[{k}]"),
                        &Value::String(k.clone()),
                        "duplicate of key present in binaryData",
                    ));
                }
            }
            let size: usize = cm.data.iter().flatten().map(|(_, v)| v.len()).sum::<usize>()
                + cm.binary_data.iter().flatten().map(|(_, v)| v.0.len()).sum::<usize>();
            if size > MAX_DATA_SIZE {
                // Upstream names no field: the limit is on the whole object.
                errs.push(Cause::too_long("", MAX_DATA_SIZE));
            }
        }
        Object::Secret(s) => {
            validate_keys(s.data.iter().flat_map(|d| d.keys()), "data", &mut errs);
            let size: usize = s.data.iter().flatten().map(|(_, v)| v.0.len()).sum();
            if size > MAX_DATA_SIZE {
                errs.push(Cause::too_long("data", MAX_DATA_SIZE));
            }
        }
        Object::PersistentVolumeClaim(c) => {
            validate_pvc_spec(&c.spec.clone().unwrap_or_default(), "spec", &mut errs);
        }
        Object::PersistentVolume(pv) => {
            let spec = pv.spec.clone().unwrap_or_default();
            if spec.access_modes.as_ref().is_none_or(Vec::is_empty) {
                errs.push(Cause::required("spec.accessModes", ""));
            }
            if spec.capacity.as_ref().is_none_or(|c| !c.contains_key("storage")) {
                errs.push(Cause::required("spec.capacity", ""));
            }
            let rp = spec.persistent_volume_reclaim_policy.clone().unwrap_or_default();
            if !["Delete", "Recycle", "Retain"].contains(&rp.as_str()) {
                errs.push(Cause::not_supported(
                    "spec.persistentVolumeReclaimPolicy",
                    &Value::String(rp),
                    &["Delete", "Recycle", "Retain"],
                ));
            }
            let sources = serde_json::to_value(&spec)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .map(|m| m.keys().filter(|k| PV_SOURCES.contains(&k.as_str())).count())
                .unwrap_or(0);
            if sources == 0 {
                errs.push(Cause::required("spec", "must specify a volume type"));
            } else if sources > 1 {
                errs.push(Cause::forbidden("spec", "may not specify more than 1 volume type"));
            }
        }
        Object::EndpointSlice(es) => {
            if !["IPv4", "IPv6", "FQDN"].contains(&es.address_type.as_str()) {
                errs.push(Cause::not_supported(
                    "addressType",
                    &Value::String(es.address_type.clone()),
                    &["FQDN", "IPv4", "IPv6"],
                ));
            }
            for (i, e) in es.endpoints.iter().enumerate() {
                if e.addresses.is_empty() || e.addresses.len() > 100 {
                    errs.push(Cause::required(
                        &format!("endpoints[{i}].addresses"),
                        "must contain at least 1 address",
                    ));
                }
            }
        }
        Object::StorageClass(sc) => {
            if sc.provisioner.is_empty() {
                errs.push(Cause::required("provisioner", ""));
            }
            let rp = sc.reclaim_policy.clone().unwrap_or_default();
            if rp != "Delete" && rp != "Retain" {
                errs.push(Cause::not_supported(
                    "reclaimPolicy",
                    &Value::String(rp),
                    &["Delete", "Retain"],
                ));
            }
            let bm = sc.volume_binding_mode.clone().unwrap_or_default();
            if bm != "Immediate" && bm != "WaitForFirstConsumer" {
                errs.push(Cause::not_supported(
                    "volumeBindingMode",
                    &Value::String(bm),
                    &["Immediate", "WaitForFirstConsumer"],
                ));
            }
        }
        Object::Lease(l) => {
            if let Some(spec) = &l.spec {
                if let Some(d) = spec.lease_duration_seconds {
                    if d <= 0 {
                        errs.push(Cause::invalid(
                            "spec.leaseDurationSeconds",
                            &Value::from(d),
                            "must be greater than 0",
                        ));
                    }
                }
                if let Some(t) = spec.lease_transitions {
                    nonnegative(i64::from(t), "spec.leaseTransitions", &mut errs);
                }
            }
        }
        Object::Event(e) => {
            let ns = e.metadata.namespace.clone().unwrap_or_default();
            let ins = e.involved_object.namespace.clone().unwrap_or_default();
            if !ins.is_empty() && ins != ns {
                errs.push(Cause::invalid(
                    "involvedObject.namespace",
                    &Value::String(ins),
                    "does not match event.namespace",
                ));
            }
        }
        _ => {}
    }
    errs
}

const PV_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
];

/// Update rules of the kinds other than Pod, StatefulSet and ControllerRevision.
pub fn validate_update(new: &Object, old: &Object) -> Errors {
    let mut errs = Errors::new();
    match (new, old) {
        (Object::Service(n), Object::Service(o)) => {
            let ns = n.spec.clone().unwrap_or_default();
            let os = o.spec.clone().unwrap_or_default();
            let old_ip = os.cluster_ip.clone().unwrap_or_default();
            let external = ns.type_.as_deref() == Some("ExternalName") || os.type_.as_deref() == Some("ExternalName");
            if !old_ip.is_empty() && !external {
                immutable(
                    &ns.cluster_ip.clone().unwrap_or_default(),
                    &old_ip,
                    "spec.clusterIP",
                    &mut errs,
                );
                let (nips, oips) = (
                    ns.cluster_ips.clone().unwrap_or_default(),
                    os.cluster_ips.clone().unwrap_or_default(),
                );
                if nips.first() != oips.first() && !oips.is_empty() {
                    errs.push(invalid_json(
                        "spec.clusterIPs[0]",
                        nips.first().map(|s| Value::String(s.clone())).as_ref(),
                        "may not change once set",
                    ));
                }
            }
        }
        (Object::PersistentVolumeClaim(n), Object::PersistentVolumeClaim(o)) => {
            let ns = n.spec.clone().unwrap_or_default();
            let os = o.spec.clone().unwrap_or_default();
            let mut munged = ns.clone();
            munged.resources = os.resources.clone();
            munged.volume_attributes_class_name = os.volume_attributes_class_name.clone();
            if os.volume_name.as_deref().unwrap_or("").is_empty() {
                munged.volume_name = os.volume_name.clone();
            }
            // RetroactiveDefaultStorageClass (GA in 1.28): a nil class may be set once.
            if os.storage_class_name.is_none() {
                munged.storage_class_name = None;
            }
            if !crate::strategy::semantic_eq(&munged, &os) {
                errs.push(Cause::forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
            }
        }
        (Object::PersistentVolume(n), Object::PersistentVolume(o)) => {
            let (ns, os) = (n.spec.clone().unwrap_or_default(), o.spec.clone().unwrap_or_default());
            let src = |s: &k8s_openapi::api::core::v1::PersistentVolumeSpec| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .map(|m| {
                        m.into_iter()
                            .filter(|(k, _)| PV_SOURCES.contains(&k.as_str()))
                            .collect::<serde_json::Map<_, _>>()
                    })
            };
            if src(&ns) != src(&os) {
                errs.push(Cause::forbidden(
                    "spec.persistentvolumesource",
                    "spec.persistentvolumesource is immutable after creation",
                ));
            }
            immutable(&ns.volume_mode, &os.volume_mode, "volumeMode", &mut errs);
        }
        (Object::Secret(n), Object::Secret(o)) => {
            immutable(&n.type_, &o.type_, "type", &mut errs);
            if o.immutable == Some(true) {
                if n.immutable != Some(true) {
                    errs.push(Cause::forbidden(
                        "immutable",
                        "field is immutable when `immutable` is set",
                    ));
                }
                if n.data != o.data {
                    errs.push(Cause::forbidden("data", "field is immutable when `immutable` is set"));
                }
            }
        }
        (Object::ConfigMap(n), Object::ConfigMap(o)) if o.immutable == Some(true) => {
            if n.immutable != Some(true) {
                errs.push(Cause::forbidden(
                    "immutable",
                    "field is immutable when `immutable` is set",
                ));
            }
            if n.data != o.data {
                errs.push(Cause::forbidden("data", "field is immutable when `immutable` is set"));
            }
            if n.binary_data != o.binary_data {
                errs.push(Cause::forbidden(
                    "binaryData",
                    "field is immutable when `immutable` is set",
                ));
            }
        }
        (Object::StorageClass(n), Object::StorageClass(o)) => {
            if n.parameters != o.parameters {
                errs.push(Cause::forbidden("parameters", "updates to parameters are forbidden."));
            }
            if n.provisioner != o.provisioner {
                errs.push(Cause::forbidden("provisioner", "updates to provisioner are forbidden."));
            }
            if n.reclaim_policy != o.reclaim_policy {
                errs.push(Cause::forbidden(
                    "reclaimPolicy",
                    "updates to reclaimPolicy are forbidden.",
                ));
            }
            immutable(
                &n.volume_binding_mode,
                &o.volume_binding_mode,
                "volumeBindingMode",
                &mut errs,
            );
        }
        (Object::EndpointSlice(n), Object::EndpointSlice(o)) => {
            immutable(&n.address_type, &o.address_type, "addressType", &mut errs);
        }
        _ => {}
    }
    errs
}
