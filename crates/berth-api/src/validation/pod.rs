//! Pod validation: a subset of `ValidatePodSpec` and the pod update rules of `ValidatePodUpdate`.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};
use serde_json::Value;

use super::{not_found, Errors};
use crate::names;
use crate::status::Cause;

/// Upstream's Forbidden detail for pod spec changes (the `cmp.Diff` upstream appends is omitted).
pub const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

fn validate_container(c: &Container, path: &str, volumes: &BTreeSet<String>, errs: &mut Errors) {
    if c.name.is_empty() {
        errs.push(Cause::required(&format!("{path}.name"), ""));
    } else {
        for msg in names::is_dns1123_label(&c.name) {
            errs.push(Cause::invalid(
                &format!("{path}.name"),
                &Value::String(c.name.clone()),
                &msg,
            ));
        }
    }
    if c.image.as_deref().unwrap_or("").trim().is_empty() {
        errs.push(Cause::required(&format!("{path}.image"), ""));
    }
    if let Some(p) = c.image_pull_policy.as_deref() {
        if !["Always", "IfNotPresent", "Never"].contains(&p) {
            errs.push(Cause::not_supported(
                &format!("{path}.imagePullPolicy"),
                &Value::String(p.into()),
                &["Always", "IfNotPresent", "Never"],
            ));
        }
    }
    if let Some(p) = c.termination_message_policy.as_deref() {
        if !["File", "FallbackToLogsOnError"].contains(&p) {
            errs.push(Cause::not_supported(
                &format!("{path}.terminationMessagePolicy"),
                &Value::String(p.into()),
                &["File", "FallbackToLogsOnError"],
            ));
        }
    }
    let mut port_names = BTreeSet::new();
    for (i, p) in c.ports.iter().flatten().enumerate() {
        let pp = format!("{path}.ports[{i}]");
        if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
            for msg in port_name_errors(name) {
                errs.push(Cause::invalid(&format!("{pp}.name"), &Value::String(name.into()), &msg));
            }
            if !port_names.insert(name.to_string()) {
                errs.push(Cause::duplicate(&format!("{pp}.name"), &Value::String(name.into())));
            }
        }
        if !(1..=65535).contains(&p.container_port) {
            errs.push(Cause::invalid(
                &format!("{pp}.containerPort"),
                &Value::from(p.container_port),
                "must be between 1 and 65535, inclusive",
            ));
        }
        if let Some(hp) = p.host_port.filter(|h| *h != 0) {
            if !(1..=65535).contains(&hp) {
                errs.push(Cause::invalid(
                    &format!("{pp}.hostPort"),
                    &Value::from(hp),
                    "must be between 1 and 65535, inclusive",
                ));
            }
        }
        let proto = p.protocol.clone().unwrap_or_default();
        if !["TCP", "UDP", "SCTP"].contains(&proto.as_str()) {
            errs.push(Cause::not_supported(
                &format!("{pp}.protocol"),
                &Value::String(proto),
                &["SCTP", "TCP", "UDP"],
            ));
        }
    }
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let mp = format!("{path}.volumeMounts[{i}]");
        if m.name.is_empty() {
            errs.push(Cause::required(&format!("{mp}.name"), ""));
        } else if !volumes.contains(&m.name) {
            errs.push(not_found(&format!("{mp}.name"), &m.name));
        }
        if m.mount_path.is_empty() {
            errs.push(Cause::required(&format!("{mp}.mountPath"), ""));
        }
    }
    for (i, e) in c.env.iter().flatten().enumerate() {
        if e.name.is_empty() {
            errs.push(Cause::required(&format!("{path}.env[{i}].name"), ""));
        }
    }
}

/// `IsValidPortName`: at most 15 lowercase alphanumerics or '-', at least one letter, no '--'.
pub fn port_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name.len() > 15 {
        errs.push("must be no more than 15 characters".to_string());
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if name.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if !name.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

/// A subset of `ValidatePodSpec` for a Pod: containers, ports, mounts, volumes, policies.
pub fn validate_pod_spec(spec: Option<&PodSpec>, path: &str) -> Errors {
    let mut errs = Errors::new();
    let default = PodSpec::default();
    let spec = spec.unwrap_or(&default);
    let mut volumes = BTreeSet::new();
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let vp = format!("{path}.volumes[{i}].name");
        if v.name.is_empty() {
            errs.push(Cause::required(&vp, ""));
            continue;
        }
        for msg in names::is_dns1123_label(&v.name) {
            errs.push(Cause::invalid(&vp, &Value::String(v.name.clone()), &msg));
        }
        if !volumes.insert(v.name.clone()) {
            errs.push(Cause::duplicate(&vp, &Value::String(v.name.clone())));
        }
    }
    if spec.containers.is_empty() {
        errs.push(Cause::required(&format!("{path}.containers"), ""));
    }
    let mut container_names = BTreeSet::new();
    let lists: [(&str, &[Container]); 2] = [
        ("initContainers", spec.init_containers.as_deref().unwrap_or(&[])),
        ("containers", &spec.containers),
    ];
    for (list, cs) in lists {
        for (i, c) in cs.iter().enumerate() {
            let cp = format!("{path}.{list}[{i}]");
            validate_container(c, &cp, &volumes, &mut errs);
            if !c.name.is_empty() && !container_names.insert(c.name.clone()) {
                errs.push(Cause::duplicate(&format!("{cp}.name"), &Value::String(c.name.clone())));
            }
        }
    }
    let rp = spec.restart_policy.clone().unwrap_or_default();
    if !["Always", "OnFailure", "Never"].contains(&rp.as_str()) {
        errs.push(Cause::not_supported(
            &format!("{path}.restartPolicy"),
            &Value::String(rp),
            &["Always", "OnFailure", "Never"],
        ));
    }
    let dp = spec.dns_policy.clone().unwrap_or_default();
    if !["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].contains(&dp.as_str()) {
        errs.push(Cause::not_supported(
            &format!("{path}.dnsPolicy"),
            &Value::String(dp),
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        ));
    }
    if let Some(a) = spec.active_deadline_seconds {
        if a <= 0 {
            errs.push(Cause::invalid(
                &format!("{path}.activeDeadlineSeconds"),
                &Value::from(a),
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    for (field, v) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            for msg in names::is_dns1123_label(v) {
                errs.push(Cause::invalid(
                    &format!("{path}.{field}"),
                    &Value::String(v.into()),
                    &msg,
                ));
            }
        }
    }
    if let Some(n) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        for msg in names::is_dns1123_subdomain(n) {
            errs.push(Cause::invalid(
                &format!("{path}.nodeName"),
                &Value::String(n.into()),
                &msg,
            ));
        }
    }
    if let Some(sa) = spec.service_account_name.as_deref().filter(|n| !n.is_empty()) {
        for msg in names::is_dns1123_subdomain(sa) {
            errs.push(Cause::invalid(
                &format!("{path}.serviceAccountName"),
                &Value::String(sa.into()),
                &msg,
            ));
        }
    }
    errs
}

/// `ValidatePodUpdate`: metadata rules are checked by the caller; here the spec rules.
pub fn validate_pod_update(new: &Pod, old: &Pod) -> Errors {
    let mut errs = validate_pod_spec(new.spec.as_ref(), "spec");
    let n = new.spec.clone().unwrap_or_default();
    let o = old.spec.clone().unwrap_or_default();
    if let (Some(na), Some(oa)) = (n.active_deadline_seconds, o.active_deadline_seconds) {
        if na > oa {
            errs.push(Cause::invalid(
                "spec.activeDeadlineSeconds",
                &Value::from(na),
                "must be less than or equal to previous value",
            ));
        }
    } else if o.active_deadline_seconds.is_some() && n.active_deadline_seconds.is_none() {
        errs.push(Cause::invalid(
            "spec.activeDeadlineSeconds",
            &Value::Null,
            "must not update from a positive integer to nil value",
        ));
    }
    // Munge the allowed changes onto a copy of the new spec and compare with the old one.
    let mut munged = n.clone();
    if munged.containers.len() == o.containers.len() {
        for (m, oc) in munged.containers.iter_mut().zip(&o.containers) {
            m.image = oc.image.clone();
        }
    }
    if let (Some(mi), Some(oi)) = (munged.init_containers.as_mut(), o.init_containers.as_ref()) {
        if mi.len() == oi.len() {
            for (m, oc) in mi.iter_mut().zip(oi) {
                m.image = oc.image.clone();
            }
        }
    }
    munged.active_deadline_seconds = o.active_deadline_seconds;
    // Tolerations may only be added to.
    let old_tol = o.tolerations.clone().unwrap_or_default();
    let new_tol = munged.tolerations.clone().unwrap_or_default();
    if old_tol.iter().all(|t| new_tol.contains(t)) {
        munged.tolerations = o.tolerations.clone();
    }
    if o.termination_grace_period_seconds.is_some_and(|g| g < 0) && n.termination_grace_period_seconds == Some(1) {
        munged.termination_grace_period_seconds = o.termination_grace_period_seconds;
    }
    // Scheduling gates may only be removed.
    let old_gates = o.scheduling_gates.clone().unwrap_or_default();
    if munged.scheduling_gates.iter().flatten().all(|g| old_gates.contains(g)) {
        munged.scheduling_gates = o.scheduling_gates.clone();
    }
    if !crate::strategy::semantic_eq(&munged, &o) {
        errs.push(Cause::forbidden("spec", POD_UPDATE_FORBIDDEN));
    }
    errs
}
