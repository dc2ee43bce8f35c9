//! Registry strategies of every served kind: decode, default, prepare, validate, warn.
//!
//! These are upstream's `rest.BeforeCreate`/`BeforeUpdate` plus each kind's
//! `PrepareForCreate`/`PrepareForUpdate`/`Validate`/`ValidateUpdate`/`WarningsOn*`, as pure
//! functions over `serde_json::Value`. The API server assigns uid, creationTimestamp and
//! resourceVersion, resolves `generateName`, allocates cluster IPs and checks preconditions.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use k8s_openapi::ByteString;
use serde::Serialize;
use serde_json::{json, Value};

use crate::defaults;
use crate::features::FeatureGates;
use crate::resource::ResourceInfo;
use crate::schema::{self, decode_error, Object};
use crate::status::{ApiError, Cause, Target};
use crate::validation;

/// The `?fieldValidation=` directive: what to do with unknown fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Drop unknown fields silently.
    Ignore,
    /// Drop them and return a warning per field (upstream's default when the parameter is absent).
    #[default]
    Warn,
    /// Reject the request (kubectl sends this).
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter; `options_kind` is `CreateOptions`, `UpdateOptions` or
    /// `PatchOptions`, named in the error as upstream does.
    pub fn parse(value: Option<&str>, options_kind: &str) -> Result<Self, ApiError> {
        match value.unwrap_or("") {
            "" | "Warn" => Ok(FieldValidation::Warn),
            "Ignore" => Ok(FieldValidation::Ignore),
            "Strict" => Ok(FieldValidation::Strict),
            other => Err(ApiError::Invalid {
                target: Target {
                    group_resource: String::new(),
                    group: "meta.k8s.io".into(),
                    kind: options_kind.into(),
                    name: String::new(),
                },
                causes: vec![Cause::not_supported(
                    "fieldValidation",
                    &Value::String(other.into()),
                    &["", "Ignore", "Strict", "Warn"],
                )],
            }),
        }
    }
}

/// An object ready to store, and the warnings to send as `Warning:` headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// How dependents are deleted when the request does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Orphan,
    Background,
    Foreground,
}

fn target(info: &ResourceInfo, name: &str) -> Target {
    Target {
        group_resource: info.group_resource(),
        group: info.group.to_string(),
        kind: info.kind.to_string(),
        name: name.to_string(),
    }
}

fn invalid(info: &ResourceInfo, obj: &Object, causes: Vec<Cause>) -> Result<(), ApiError> {
    if causes.is_empty() {
        return Ok(());
    }
    let name = obj.metadata().name.clone().unwrap_or_default();
    Err(ApiError::Invalid {
        target: target(info, &name),
        causes,
    })
}

/// Decodes and applies `fv` to unknown fields.
fn decode(info: &ResourceInfo, body: Value, fv: FieldValidation) -> Result<(Object, Vec<String>), ApiError> {
    let (obj, unknown) = schema::decode_typed_owned(info, body)?;
    let fields: Vec<String> = unknown.iter().map(|p| format!("unknown field \"{p}\"")).collect();
    match fv {
        FieldValidation::Strict if !fields.is_empty() => Err(decode_error(
            info,
            &format!("strict decoding error: {}", fields.join(", ")),
        )),
        FieldValidation::Warn => Ok((obj, fields)),
        _ => Ok((obj, Vec::new())),
    }
}

/// Whether two values are equal as upstream's `apiequality.Semantic.DeepEqual` sees them
/// (here: equal JSON once empty lists, which Go treats like nil ones, are dropped).
pub fn semantic_eq<T: Serialize>(a: &T, b: &T) -> bool {
    let norm = |x: &T| {
        let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
        strip_empty(&mut v);
        v
    };
    norm(a) == norm(b)
}

fn strip_empty(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !matches!(x, Value::Array(a) if a.is_empty()) && !x.is_null());
            m.values_mut().for_each(strip_empty);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_empty),
        _ => {}
    }
}

/// Upstream's conversion of a Secret: `stringData` is merged into `data` and dropped.
fn merge_string_data(obj: &mut Object) {
    if let Object::Secret(s) = obj {
        if let Some(sd) = s.string_data.take() {
            let data = s.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in sd {
                data.insert(k, ByteString(v.into_bytes()));
            }
        }
    }
}

/// `qos.GetPodQOS`: from the cpu and memory requests and limits of all containers.
pub fn pod_qos(pod: &Pod) -> &'static str {
    let Some(spec) = pod.spec.as_ref() else {
        return "BestEffort";
    };
    let all: Vec<&Container> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &all {
        let r = c.resources.clone().unwrap_or_default();
        let req = r.requests.unwrap_or_default();
        let lim = r.limits.unwrap_or_default();
        for res in ["cpu", "memory"] {
            let rq = req.get(res).filter(|q| !is_zero_quantity(&q.0));
            let lm = lim.get(res).filter(|q| !is_zero_quantity(&q.0));
            if rq.is_some() || lm.is_some() {
                any = true;
            }
            match (rq, lm) {
                (_, None) => guaranteed = false,
                (Some(a), Some(b)) if a != b => guaranteed = false,
                _ => {}
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn is_zero_quantity(q: &str) -> bool {
    q.trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c == '0' || c == '.')
}

/// The gate-dependent part of `SetDefaults_StatefulSet`: with `MaxUnavailableStatefulSet` a
/// RollingUpdate's `maxUnavailable` defaults to 1.
fn gated_defaults(obj: &mut Object, gates: FeatureGates) {
    if let Object::StatefulSet(s) = obj {
        let strategy = s.spec.as_mut().and_then(|sp| sp.update_strategy.as_mut());
        if let Some(u) = strategy.filter(|u| u.type_.as_deref() == Some("RollingUpdate")) {
            if let Some(ru) = u.rolling_update.as_mut().filter(|_| gates.max_unavailable_stateful_set) {
                ru.max_unavailable
                    .get_or_insert(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1));
            }
        }
    }
}

/// Upstream `dropStatefulSetDisabledFields`: without `MaxUnavailableStatefulSet`,
/// `rollingUpdate.maxUnavailable` is dropped unless the old object already uses it.
fn drop_disabled_fields(obj: &mut Object, old: Option<&Object>, gates: FeatureGates) {
    fn max_unavailable_in_use(o: Option<&Object>) -> bool {
        matches!(o, Some(Object::StatefulSet(s)) if s.spec.as_ref()
            .and_then(|sp| sp.update_strategy.as_ref())
            .and_then(|u| u.rolling_update.as_ref())
            .is_some_and(|ru| ru.max_unavailable.is_some()))
    }
    if gates.max_unavailable_stateful_set || max_unavailable_in_use(old) {
        return;
    }
    if let Object::StatefulSet(s) = obj {
        let ru = s
            .spec
            .as_mut()
            .and_then(|sp| sp.update_strategy.as_mut())
            .and_then(|u| u.rolling_update.as_mut());
        if let Some(ru) = ru {
            ru.max_unavailable = None;
        }
    }
}

/// `PrepareForCreate` of each kind (after `BeforeCreate` cleared deletion fields).
fn prepare_for_create(obj: &mut Object, now: Timestamp) {
    let m = obj.metadata_mut();
    m.deletion_timestamp = None;
    m.deletion_grace_period_seconds = None;
    merge_string_data(obj);
    match obj {
        Object::StatefulSet(s) => {
            s.metadata.generation = Some(1);
            s.status = Some(k8s_openapi::api::apps::v1::StatefulSetStatus {
                replicas: 0,
                available_replicas: Some(0),
                ..Default::default()
            });
        }
        Object::Pod(p) => {
            let qos = pod_qos(p).to_string();
            p.status = Some(PodStatus {
                phase: Some("Pending".into()),
                qos_class: Some(qos),
                ..Default::default()
            });
        }
        Object::Service(s) => {
            s.status = Some(k8s_openapi::api::core::v1::ServiceStatus {
                load_balancer: Some(Default::default()),
                conditions: None,
            });
            let spec = s.spec.get_or_insert_with(Default::default);
            if spec.type_.as_deref() != Some("ExternalName") {
                if spec.cluster_ip.as_deref() == Some("None") && spec.cluster_ips.as_ref().is_none_or(Vec::is_empty) {
                    spec.cluster_ips = Some(vec!["None".into()]);
                }
                if spec.ip_family_policy.is_none() {
                    spec.ip_family_policy = Some("SingleStack".into());
                }
                if spec.ip_families.as_ref().is_none_or(Vec::is_empty) {
                    spec.ip_families = Some(vec!["IPv4".into()]);
                }
            }
        }
        Object::PersistentVolumeClaim(c) => c.status = Some(Default::default()),
        Object::PersistentVolume(pv) => {
            pv.status = Some(k8s_openapi::api::core::v1::PersistentVolumeStatus {
                phase: Some("Pending".into()),
                last_phase_transition_time: Some(Time(now)),
                ..Default::default()
            });
        }
        Object::Namespace(ns) => {
            ns.status = Some(k8s_openapi::api::core::v1::NamespaceStatus {
                phase: Some("Active".into()),
                conditions: None,
            });
            let spec = ns.spec.get_or_insert_with(Default::default);
            let f = spec.finalizers.get_or_insert_with(Vec::new);
            if !f.iter().any(|x| x == "kubernetes") {
                f.push("kubernetes".into());
            }
        }
        _ => {}
    }
}

fn warnings_on_create(obj: &Object) -> Vec<String> {
    let mut w = Vec::new();
    match obj {
        Object::StatefulSet(s)
            if s.spec
                .as_ref()
                .and_then(|s| s.revision_history_limit)
                .is_some_and(|l| l < 0) =>
        {
            w.push("spec.revisionHistoryLimit: a negative value retains all historical revisions; a value >= 0 is recommended".into());
        }
        Object::Pod(p) => {
            let msgs = crate::names::is_dns1123_label(p.metadata.name.as_deref().unwrap_or(""));
            if !msgs.is_empty() {
                w.push(format!(
                    "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [{}]",
                    msgs.join(" ")
                ));
            }
        }
        _ => {}
    }
    w
}

fn finish(info: &ResourceInfo, mut obj: Object, warnings: Vec<String>) -> Prepared {
    // Upstream defaults again when it reads the stored object back (e.g. PVC status.phase).
    defaults::apply(&mut obj);
    Prepared {
        object: obj.to_value(info),
        warnings,
    }
}

/// Create: decode (unknown fields per `fv`), default, `PrepareForCreate`, validate.
///
/// The caller has set `metadata.namespace` from the URL and resolved `generateName`; it sets
/// uid, creationTimestamp and resourceVersion afterwards. `now` stamps time fields upstream
/// sets on create (PersistentVolume `status.lastPhaseTransitionTime`).
pub fn prepare_create(
    info: &ResourceInfo,
    body: Value,
    fv: FieldValidation,
    now: Timestamp,
) -> Result<Prepared, ApiError> {
    prepare_create_gated(info, body, fv, now, FeatureGates::default())
}

/// [`prepare_create`] with feature gates that change defaults and dropped fields.
pub fn prepare_create_gated(
    info: &ResourceInfo,
    body: Value,
    fv: FieldValidation,
    now: Timestamp,
    gates: FeatureGates,
) -> Result<Prepared, ApiError> {
    let (mut obj, mut warnings) = decode(info, body, fv)?;
    if !info.namespaced {
        obj.metadata_mut().namespace = None;
    }
    defaults::apply(&mut obj);
    gated_defaults(&mut obj, gates);
    prepare_for_create(&mut obj, now);
    drop_disabled_fields(&mut obj, None, gates);
    invalid(info, &obj, validation::validate_create(&obj))?;
    warnings.extend(warnings_on_create(&obj));
    Ok(finish(info, obj, warnings))
}

/// What upstream's `rest.BeforeUpdate` carries from the old object before validation:
/// generation, an omitted uid or resourceVersion, creationTimestamp, deletionTimestamp and an
/// omitted deletionGracePeriodSeconds.
fn carry_system_meta(new: &mut Object, old: &Object, namespaced: bool) {
    let o = old.metadata().clone();
    let n = new.metadata_mut();
    n.generation = o.generation;
    if n.uid.as_deref().unwrap_or("").is_empty() {
        n.uid = o.uid.clone();
    }
    if n.resource_version.as_deref().unwrap_or("").is_empty() {
        n.resource_version = o.resource_version.clone();
    }
    if o.creation_timestamp.is_some() {
        n.creation_timestamp = o.creation_timestamp.clone();
    }
    if o.deletion_timestamp.is_some() {
        n.deletion_timestamp = o.deletion_timestamp.clone();
    }
    if o.deletion_grace_period_seconds.is_some() && n.deletion_grace_period_seconds.is_none() {
        n.deletion_grace_period_seconds = o.deletion_grace_period_seconds;
    }
    if !namespaced {
        n.namespace = None;
    }
}

/// `PrepareForUpdate` of each kind's main strategy.
fn prepare_for_update(new: &mut Object, old: &Object) {
    merge_string_data(new);
    match (new, old) {
        (Object::StatefulSet(n), Object::StatefulSet(o)) => {
            n.status = o.status.clone();
            if !semantic_eq(&n.spec, &o.spec) {
                n.metadata.generation = Some(o.metadata.generation.unwrap_or(0) + 1);
            }
        }
        (Object::Pod(n), Object::Pod(o)) => n.status = o.status.clone(),
        (Object::Node(n), Object::Node(o)) => n.status = o.status.clone(),
        (Object::PersistentVolume(n), Object::PersistentVolume(o)) => n.status = o.status.clone(),
        (Object::PersistentVolumeClaim(n), Object::PersistentVolumeClaim(o)) => n.status = o.status.clone(),
        (Object::Namespace(n), Object::Namespace(o)) => {
            n.status = o.status.clone();
            let finalizers = o.spec.as_ref().and_then(|s| s.finalizers.clone());
            n.spec.get_or_insert_with(Default::default).finalizers = finalizers;
        }
        (Object::Service(n), Object::Service(o)) => {
            n.status = o.status.clone();
            // The service REST layer keeps allocated values the request omitted.
            let os = o.spec.clone().unwrap_or_default();
            let ns = n.spec.get_or_insert_with(Default::default);
            if ns.type_.as_deref() != Some("ExternalName") && os.type_.as_deref() != Some("ExternalName") {
                if ns.cluster_ip.as_deref().unwrap_or("").is_empty() {
                    ns.cluster_ip = os.cluster_ip.clone();
                }
                if ns.cluster_ips.as_ref().is_none_or(Vec::is_empty) {
                    ns.cluster_ips = os.cluster_ips.clone();
                }
                if ns.ip_families.as_ref().is_none_or(Vec::is_empty) {
                    ns.ip_families = os.ip_families.clone();
                }
                if ns.ip_family_policy.is_none() {
                    ns.ip_family_policy = os.ip_family_policy.clone();
                }
            }
            let old_ports = os.ports.clone().unwrap_or_default();
            for p in ns.ports.iter_mut().flatten() {
                if p.node_port.unwrap_or(0) == 0 {
                    p.node_port = old_ports
                        .iter()
                        .find(|op| op.port == p.port && op.protocol == p.protocol)
                        .and_then(|op| op.node_port);
                }
            }
            if ns.health_check_node_port.unwrap_or(0) == 0 {
                ns.health_check_node_port = os.health_check_node_port;
            }
        }
        _ => {}
    }
}

fn warnings_on_update(new: &Object, old: &Object) -> Vec<String> {
    match (new, old) {
        (Object::StatefulSet(_), _) => warnings_on_create(new),
        _ => Vec::new(),
    }
}

/// Update (PUT, and the result of a PATCH): decode, default, `BeforeUpdate`, validate.
///
/// System metadata the body omits (uid, resourceVersion, creationTimestamp, deletionTimestamp,
/// deletionGracePeriodSeconds) is carried from `old` here; the caller still checks a given
/// resourceVersion against the stored one.
pub fn prepare_update(
    info: &ResourceInfo,
    body: Value,
    old: &Value,
    fv: FieldValidation,
    now: Timestamp,
) -> Result<Prepared, ApiError> {
    prepare_update_gated(info, body, old, fv, now, FeatureGates::default())
}

/// [`prepare_update`] with feature gates that change defaults and dropped fields.
pub fn prepare_update_gated(
    info: &ResourceInfo,
    body: Value,
    old: &Value,
    fv: FieldValidation,
    _now: Timestamp,
    gates: FeatureGates,
) -> Result<Prepared, ApiError> {
    let (mut new, mut warnings) = decode(info, body, fv)?;
    let mut old_obj = schema::decode_typed_known(info, old)?;
    defaults::apply(&mut old_obj);
    defaults::apply(&mut new);
    gated_defaults(&mut old_obj, gates);
    gated_defaults(&mut new, gates);
    carry_system_meta(&mut new, &old_obj, info.namespaced);
    drop_disabled_fields(&mut new, Some(&old_obj), gates);
    prepare_for_update(&mut new, &old_obj);
    invalid(info, &new, validation::validate_update(&new, &old_obj))?;
    warnings.extend(warnings_on_update(&new, &old_obj));
    Ok(finish(info, new, warnings))
}

/// Update through `/status`: spec (and what upstream resets) comes from `old`.
pub fn prepare_status_update(
    info: &ResourceInfo,
    body: Value,
    old: &Value,
    fv: FieldValidation,
    now: Timestamp,
) -> Result<Prepared, ApiError> {
    let (mut new, warnings) = decode(info, body, fv)?;
    let mut old_obj = schema::decode_typed_known(info, old)?;
    defaults::apply(&mut old_obj);
    defaults::apply(&mut new);
    carry_system_meta(&mut new, &old_obj, info.namespaced);
    match (&mut new, &old_obj) {
        (Object::StatefulSet(n), Object::StatefulSet(o)) => n.spec = o.spec.clone(),
        (Object::Pod(n), Object::Pod(o)) => {
            n.spec = o.spec.clone();
            n.metadata.deletion_timestamp = o.metadata.deletion_timestamp.clone();
            n.metadata.owner_references = o.metadata.owner_references.clone();
            let st = n.status.get_or_insert_with(Default::default);
            if st.qos_class.as_deref().unwrap_or("").is_empty() {
                st.qos_class = o.status.as_ref().and_then(|s| s.qos_class.clone());
            }
        }
        (Object::Service(n), Object::Service(o)) => n.spec = o.spec.clone(),
        (Object::Node(n), Object::Node(o)) => n.spec = o.spec.clone(),
        (Object::Namespace(n), Object::Namespace(o)) => n.spec = o.spec.clone(),
        (Object::PersistentVolumeClaim(n), Object::PersistentVolumeClaim(o)) => n.spec = o.spec.clone(),
        (Object::PersistentVolume(n), Object::PersistentVolume(o)) => {
            n.spec = o.spec.clone();
            let old_phase = o.status.as_ref().and_then(|s| s.phase.clone());
            if let Some(st) = n.status.as_mut() {
                if st.phase != old_phase {
                    st.last_phase_transition_time = Some(Time(now));
                }
            }
        }
        _ => {}
    }
    invalid(info, &new, validation::validate_status_update(&new, &old_obj))?;
    Ok(finish(info, new, warnings))
}

/// `CheckGracefulDelete`: `Some(period)` for pods (period > 0 means graceful, 0 immediate),
/// `None` for kinds without graceful deletion. Shortening an already pending graceful delete is
/// the caller's (it needs the clock).
pub fn graceful_delete_period(info: &ResourceInfo, obj: &Value, requested: Option<i64>) -> Option<i64> {
    if !(info.group.is_empty() && info.kind == "Pod") {
        return None;
    }
    let mut period = requested.unwrap_or_else(|| {
        obj.pointer("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    });
    if obj
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        period = 0;
    }
    if matches!(
        obj.pointer("/status/phase").and_then(Value::as_str),
        Some("Failed" | "Succeeded")
    ) {
        period = 0;
    }
    if period < 0 {
        period = 1;
    }
    Some(period)
}

/// The propagation used when a delete does not name one: upstream's `DefaultGarbageCollectionPolicy`
/// is background (`DeleteDependents`) for every kind served here (apps/v1 included).
pub fn default_gc_policy(_info: &ResourceInfo) -> Propagation {
    Propagation::Background
}

/// `LabelSelectorAsSelector(s).String()`: requirements sorted by key, `a=b,c in (d,e),!f`.
pub fn selector_string(s: &LabelSelector) -> String {
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in s.match_labels.iter().flatten() {
        reqs.push((k.clone(), format!("{k}={v}")));
    }
    for r in s.match_expressions.iter().flatten() {
        let mut vals = r.values.clone().unwrap_or_default();
        vals.sort();
        vals.dedup();
        let text = match r.operator.as_str() {
            "In" => format!("{} in ({})", r.key, vals.join(",")),
            "NotIn" => format!("{} notin ({})", r.key, vals.join(",")),
            "Exists" => r.key.clone(),
            "DoesNotExist" => format!("!{}", r.key),
            _ => continue,
        };
        reqs.push((r.key.clone(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(",")
}

/// The `autoscaling/v1` Scale of a StatefulSet.
pub fn scale_of(obj: &Value) -> Result<Value, ApiError> {
    let sts: k8s_openapi::api::apps::v1::StatefulSet = serde_json::from_value(obj.clone())
        .map_err(|e| ApiError::Internal(format!("stored statefulset does not decode: {e}")))?;
    let spec = sts.spec.clone().unwrap_or_default();
    let mut metadata = serde_json::Map::new();
    let m = &sts.metadata;
    for (k, v) in [
        ("name", &m.name),
        ("namespace", &m.namespace),
        ("uid", &m.uid),
        ("resourceVersion", &m.resource_version),
    ] {
        if let Some(v) = v {
            metadata.insert(k.into(), Value::String(v.clone()));
        }
    }
    if let Some(t) = obj.pointer("/metadata/creationTimestamp") {
        metadata.insert("creationTimestamp".into(), t.clone());
    }
    let replicas = spec.replicas.unwrap_or(1);
    let mut spec_v = json!({});
    if replicas != 0 {
        spec_v["replicas"] = json!(replicas);
    }
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": spec_v,
        "status": {
            "replicas": sts.status.as_ref().map_or(0, |s| s.replicas),
            "selector": selector_string(&spec.selector),
        }
    }))
}

/// Writes a Scale's `spec.replicas` into the StatefulSet (and its resourceVersion, when given,
/// as the precondition). Pass the result to [`prepare_update`] for generation and validation.
pub fn apply_scale(obj: &Value, scale: &Value) -> Result<Value, ApiError> {
    let name = crate::meta::name(obj).to_string();
    let replicas = match scale.pointer("/spec/replicas") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().filter(|r| i32::try_from(*r).is_ok()).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Scale in version \"v1\" cannot be handled as a Scale: spec.replicas: invalid type: {v}, expected i32"
            ))
        })?,
    };
    if replicas < 0 {
        return Err(ApiError::Invalid {
            target: Target {
                group_resource: "statefulsets.apps".into(),
                group: "autoscaling".into(),
                kind: "Scale".into(),
                name,
            },
            causes: vec![Cause::invalid(
                "spec.replicas",
                &json!(replicas),
                "must be greater than or equal to 0",
            )],
        });
    }
    let mut out = obj.clone();
    let spec = out
        .as_object_mut()
        .map(|m| m.entry("spec").or_insert_with(|| json!({})))
        .ok_or_else(|| ApiError::Internal("stored statefulset is not an object".into()))?;
    spec["replicas"] = json!(replicas);
    if let Some(rv) = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        crate::meta::metadata_mut(&mut out).insert("resourceVersion".into(), json!(rv));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
