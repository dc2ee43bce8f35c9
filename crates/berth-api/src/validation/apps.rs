//! `apps/v1` validation: StatefulSet (spec §1.4) and ControllerRevision (spec §1.6).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetSpec, StatefulSetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::meta::{validate_annotations, validate_labels};
use super::{go_string_map, invalid_raw, nonnegative, Errors};
use crate::names;
use crate::status::Cause;

/// The exact Forbidden detail for changes to immutable StatefulSet spec fields.
pub const STATEFULSET_SPEC_FORBIDDEN: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

fn go_label_selector(s: &LabelSelector) -> String {
    let ml = match &s.match_labels {
        None => "map[string]string(nil)".to_string(),
        Some(m) => go_string_map(Some(m)),
    };
    let me = match &s.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(v) if v.is_empty() => "[]v1.LabelSelectorRequirement{}".to_string(),
        Some(_) => "[]v1.LabelSelectorRequirement{...}".to_string(),
    };
    format!("v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}")
}

/// `ValidateLabelSelector` (strict label values).
pub fn validate_label_selector(s: &LabelSelector, path: &str) -> Errors {
    let mut errs = Errors::new();
    for (i, r) in s.match_expressions.iter().flatten().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let values = r.values.clone().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(Cause::required(
                        &format!("{p}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(Cause::forbidden(
                        &format!("{p}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            op => errs.push(Cause::invalid(
                &format!("{p}.operator"),
                &Value::String(op.into()),
                "not a valid selector operator",
            )),
        }
        for msg in names::is_qualified_name(&r.key) {
            errs.push(Cause::invalid(&format!("{p}.key"), &Value::String(r.key.clone()), &msg));
        }
        for (j, v) in values.iter().enumerate() {
            for msg in names::is_valid_label_value(v) {
                errs.push(Cause::invalid(
                    &format!("{p}.values[{j}]"),
                    &Value::String(v.clone()),
                    &msg,
                ));
            }
        }
    }
    errs.extend(validate_labels(s.match_labels.as_ref(), &format!("{path}.matchLabels")));
    errs
}

/// Whether `s` selects `labels` (`LabelSelectorAsSelector(s).Matches(labels)`).
pub fn selector_matches(s: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let ml_ok = s.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let me_ok = s.match_expressions.iter().flatten().all(|r| {
        let values = r.values.clone().unwrap_or_default();
        match r.operator.as_str() {
            "In" => labels.get(&r.key).is_some_and(|v| values.contains(v)),
            "NotIn" => labels.get(&r.key).is_none_or(|v| !values.contains(v)),
            "Exists" => labels.contains_key(&r.key),
            "DoesNotExist" => !labels.contains_key(&r.key),
            _ => false,
        }
    });
    ml_ok && me_ok
}

fn selector_is_empty(s: &LabelSelector) -> bool {
    s.match_labels.as_ref().is_none_or(BTreeMap::is_empty) && s.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// `ValidatePositiveIntOrPercent` + "cannot be 0" + `IsNotMoreThan100Percent` for maxUnavailable.
fn validate_max_unavailable(v: &IntOrString, path: &str, errs: &mut Errors) {
    let (shown, value, is_percent) = match v {
        IntOrString::Int(i) => (Value::from(*i), i64::from(*i), false),
        IntOrString::String(s) => {
            let pct = s.strip_suffix('%').and_then(|n| n.parse::<i64>().ok());
            match pct {
                Some(p) => (Value::String(s.clone()), p, true),
                None => {
                    errs.push(Cause::invalid(path, &Value::String(s.clone()), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
                    return;
                }
            }
        }
    };
    if value < 0 {
        errs.push(Cause::invalid(path, &shown, "must be greater than or equal to 0"));
    }
    if value == 0 {
        errs.push(Cause::invalid(path, &shown, "cannot be 0"));
    }
    if is_percent && value > 100 {
        errs.push(Cause::invalid(path, &shown, "must not be greater than 100%"));
    }
}

/// `ValidateStatefulSetSpec` (the name rule is in `ValidateObjectMeta`).
pub fn validate_statefulset_spec(s: &StatefulSet) -> Errors {
    let mut errs = Errors::new();
    let default_spec = StatefulSetSpec::default();
    let spec = s.spec.as_ref().unwrap_or(&default_spec);

    match spec.pod_management_policy.as_deref().unwrap_or("") {
        "" => errs.push(Cause::required("spec.podManagementPolicy", "")),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(Cause::invalid(
            "spec.podManagementPolicy",
            &Value::String(other.into()),
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }

    let us = spec.update_strategy.clone().unwrap_or_default();
    let ty = us.type_.clone().unwrap_or_default();
    match ty.as_str() {
        "" => errs.push(Cause::required("spec.updateStrategy", "")),
        "OnDelete" => {
            if let Some(ru) = &us.rolling_update {
                errs.push(invalid_raw(
                    "spec.updateStrategy.rollingUpdate",
                    &go_rolling_update(ru.partition, ru.max_unavailable.as_ref()),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = &us.rolling_update {
                nonnegative(
                    i64::from(ru.partition.unwrap_or(0)),
                    "spec.updateStrategy.rollingUpdate.partition",
                    &mut errs,
                );
                if let Some(mu) = &ru.max_unavailable {
                    validate_max_unavailable(mu, "spec.updateStrategy.rollingUpdate.maxUnavailable", &mut errs);
                }
            }
        }
        other => {
            let ru = match &us.rolling_update {
                None => "(*apps.RollingUpdateStatefulSetStrategy)(nil)".to_string(),
                Some(r) => format!("&{}", go_rolling_update(r.partition, r.max_unavailable.as_ref())),
            };
            errs.push(invalid_raw(
                "spec.updateStrategy",
                &format!("apps.StatefulSetUpdateStrategy{{Type:{other:?}, RollingUpdate:{ru}}}"),
                "must be 'RollingUpdate' or 'OnDelete'",
            ));
        }
    }

    if let Some(p) = &spec.persistent_volume_claim_retention_policy {
        for (field, v) in [("whenDeleted", &p.when_deleted), ("whenScaled", &p.when_scaled)] {
            let v = v.clone().unwrap_or_default();
            if v != "Retain" && v != "Delete" {
                errs.push(Cause::not_supported(
                    &format!("spec.persistentVolumeClaimRetentionPolicy.{field}"),
                    &Value::String(v),
                    &["Retain", "Delete"],
                ));
            }
        }
    }

    nonnegative(i64::from(spec.replicas.unwrap_or(0)), "spec.replicas", &mut errs);
    nonnegative(
        i64::from(spec.min_ready_seconds.unwrap_or(0)),
        "spec.minReadySeconds",
        &mut errs,
    );
    if let Some(o) = &spec.ordinals {
        nonnegative(i64::from(o.start.unwrap_or(0)), "spec.ordinals.start", &mut errs);
    }

    // k8s-openapi's selector is not optional: an absent one decodes as `{}`, which upstream
    // reports as Required (nil) — both mean "no selector given" to a client.
    let sel = &spec.selector;
    if selector_is_empty(sel) && sel.match_labels.is_none() && sel.match_expressions.is_none() {
        errs.push(Cause::required("spec.selector", ""));
    } else {
        let sel_errs = validate_label_selector(sel, "spec.selector");
        let valid_selector = sel_errs.is_empty();
        errs.extend(sel_errs);
        if selector_is_empty(sel) {
            errs.push(invalid_raw(
                "spec.selector",
                &go_label_selector(sel),
                "empty selector is invalid for statefulset",
            ));
        }
        if valid_selector {
            let tmeta = spec.template.metadata.clone().unwrap_or_default();
            if !selector_is_empty(sel) && !selector_matches(sel, tmeta.labels.as_ref()) {
                errs.push(invalid_raw(
                    "spec.template.metadata.labels",
                    &go_string_map(tmeta.labels.as_ref()),
                    "`selector` does not match template `labels`",
                ));
            }
            errs.extend(validate_labels(tmeta.labels.as_ref(), "spec.template.labels"));
            errs.extend(validate_annotations(
                tmeta.annotations.as_ref(),
                "spec.template.annotations",
            ));
        }
    }

    let pod = spec.template.spec.clone().unwrap_or_default();
    let rp = pod.restart_policy.clone().unwrap_or_default();
    if rp != "Always" {
        errs.push(Cause::not_supported(
            "spec.template.spec.restartPolicy",
            &Value::String(rp),
            &["Always"],
        ));
    }
    if pod.active_deadline_seconds.is_some() {
        errs.push(Cause::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
    errs
}

fn go_rolling_update(partition: Option<i32>, mu: Option<&IntOrString>) -> String {
    let mu = match mu {
        None => "(*intstr.IntOrString)(nil)".to_string(),
        Some(IntOrString::Int(i)) => format!("&intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        Some(IntOrString::String(s)) => format!("&intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
    };
    format!(
        "apps.RollingUpdateStatefulSetStrategy{{Partition:{}, MaxUnavailable:{mu}}}",
        partition.unwrap_or(0)
    )
}

/// The immutability rule of `ValidateStatefulSetUpdate` (spec validation is run separately).
pub fn validate_statefulset_update(new: &StatefulSet, old: &StatefulSet) -> Errors {
    let mut errs = Errors::new();
    let mut n = new.spec.clone().unwrap_or_default();
    let o = old.spec.clone().unwrap_or_default();
    n.replicas = o.replicas;
    n.template = o.template.clone();
    n.update_strategy = o.update_strategy.clone();
    n.min_ready_seconds = o.min_ready_seconds;
    n.persistent_volume_claim_retention_policy = o.persistent_volume_claim_retention_policy.clone();
    n.ordinals = o.ordinals.clone();
    if !crate::strategy::semantic_eq(&n, &o) {
        errs.push(Cause::forbidden("spec", STATEFULSET_SPEC_FORBIDDEN));
    }
    errs
}

/// `ValidateStatefulSetStatus`.
pub fn validate_statefulset_status(st: &StatefulSetStatus) -> Errors {
    let mut errs = Errors::new();
    let ready = st.ready_replicas.unwrap_or(0);
    let current = st.current_replicas.unwrap_or(0);
    let updated = st.updated_replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    nonnegative(i64::from(st.replicas), "status.replicas", &mut errs);
    nonnegative(i64::from(ready), "status.readyReplicas", &mut errs);
    nonnegative(i64::from(current), "status.currentReplicas", &mut errs);
    nonnegative(i64::from(updated), "status.updatedReplicas", &mut errs);
    nonnegative(i64::from(available), "status.availableReplicas", &mut errs);
    if let Some(g) = st.observed_generation {
        nonnegative(g, "status.observedGeneration", &mut errs);
    }
    if let Some(c) = st.collision_count {
        nonnegative(i64::from(c), "status.collisionCount", &mut errs);
    }
    let msg = "cannot be greater than status.replicas";
    for (field, v) in [
        ("readyReplicas", ready),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
        ("availableReplicas", available),
    ] {
        if v > st.replicas {
            errs.push(Cause::invalid(&format!("status.{field}"), &Value::from(v), msg));
        }
    }
    if available > ready {
        errs.push(Cause::invalid(
            "status.availableReplicas",
            &Value::from(available),
            "cannot be greater than status.readyReplicas",
        ));
    }
    errs
}

/// `ValidateStatefulSetStatusUpdate`.
pub fn validate_statefulset_status_update(new: &StatefulSet, old: &StatefulSet) -> Errors {
    let st = new.status.clone().unwrap_or_default();
    let mut errs = validate_statefulset_status(&st);
    errs.extend(super::meta::validate_object_meta_update(
        &new.metadata,
        &old.metadata,
        "metadata",
    ));
    let old_cc = old.status.as_ref().and_then(|s| s.collision_count);
    if let Some(o) = old_cc {
        let n = st.collision_count;
        if n.is_none_or(|n| n < o) {
            errs.push(Cause::invalid(
                "status.collisionCount",
                &Value::from(n.unwrap_or(0)),
                "cannot be decremented",
            ));
        }
    }
    errs
}

/// `ValidateControllerRevision` (without the object meta).
pub fn validate_controller_revision(r: &ControllerRevision) -> Errors {
    let mut errs = Errors::new();
    if r.data.is_none() {
        errs.push(Cause::required("data", "data is mandatory"));
    }
    nonnegative(r.revision, "revision", &mut errs);
    errs
}
