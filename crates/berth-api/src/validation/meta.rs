//! `ValidateObjectMeta` and `ValidateObjectMetaUpdate` (apimachinery `api/validation/objectmeta.go`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde_json::Value;

use super::{immutable, invalid_raw, nonnegative, Errors, NameRule};
use crate::names;
use crate::status::Cause;

/// Upper bound on the summed length of annotation keys and values (`TotalAnnotationSizeLimitB`).
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

fn child(path: &str, c: &str) -> String {
    format!("{path}.{c}")
}

/// Replaces a trailing `-` by `a`, as upstream does before checking a `generateName` prefix.
fn mask_trailing_dash(s: &str) -> String {
    match s.strip_suffix('-') {
        Some(rest) if !rest.is_empty() => format!("{rest}a"),
        _ => s.to_string(),
    }
}

/// The problems with `name` under `rule`; `prefix` for `generateName`.
pub fn check_name(rule: NameRule, name: &str, prefix: bool) -> Vec<String> {
    let n = if prefix && rule != NameRule::PathSegment {
        mask_trailing_dash(name)
    } else {
        name.to_string()
    };
    match rule {
        NameRule::DnsLabel => names::is_dns1123_label(&n),
        NameRule::Dns1035Label => names::is_dns1035_label(&n),
        NameRule::DnsSubdomain => names::is_dns1123_subdomain(&n),
        NameRule::PathSegment => {
            if prefix {
                names::is_valid_path_segment_name(&n)
                    .into_iter()
                    .filter(|m| m.starts_with("may not contain"))
                    .collect()
            } else {
                names::is_valid_path_segment_name(&n)
            }
        }
    }
}

/// `ValidateLabels`: keys are qualified names, values label values; both reported on `path`.
pub fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &str) -> Errors {
    let mut errs = Errors::new();
    for (k, v) in labels.into_iter().flatten() {
        for msg in names::is_qualified_name(k) {
            errs.push(Cause::invalid(path, &Value::String(k.clone()), &msg));
        }
        for msg in names::is_valid_label_value(v) {
            errs.push(Cause::invalid(path, &Value::String(v.clone()), &msg));
        }
    }
    errs
}

/// `ValidateAnnotations`: qualified-name keys and a total size limit.
pub fn validate_annotations(annotations: Option<&BTreeMap<String, String>>, path: &str) -> Errors {
    let mut errs = Errors::new();
    let mut total = 0usize;
    for (k, v) in annotations.into_iter().flatten() {
        for msg in names::is_qualified_name(&k.to_lowercase()) {
            errs.push(Cause::invalid(path, &Value::String(k.clone()), &msg));
        }
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(Cause::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn validate_owner_references(refs: Option<&Vec<OwnerReference>>, path: &str) -> Errors {
    let mut errs = Errors::new();
    let mut controllers = Vec::new();
    for r in refs.into_iter().flatten() {
        let version = r.api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            errs.push(Cause::invalid(
                &child(path, "apiVersion"),
                &Value::String(r.api_version.clone()),
                "version must not be empty",
            ));
        }
        if r.kind.is_empty() {
            errs.push(Cause::invalid(
                &child(path, "kind"),
                &Value::String(r.kind.clone()),
                "kind must not be empty",
            ));
        }
        if r.name.is_empty() {
            errs.push(Cause::invalid(
                &child(path, "name"),
                &Value::String(r.name.clone()),
                "name must not be empty",
            ));
        }
        if r.uid.is_empty() {
            errs.push(Cause::invalid(
                &child(path, "uid"),
                &Value::String(r.uid.clone()),
                "uid must not be empty",
            ));
        }
        if r.controller == Some(true) {
            controllers.push(format!("{}/{}", r.kind, r.name));
        }
    }
    if controllers.len() > 1 {
        errs.push(invalid_raw(
            path,
            "[]v1.OwnerReference{...}",
            &format!(
                "Only one reference can have Controller set to true. Found \"true\" in references for {}",
                controllers.join(" and ")
            ),
        ));
    }
    errs
}

/// `ValidateFinalizers`: qualified names, and not both `orphan` and `foregroundDeletion`.
pub fn validate_finalizers(finalizers: Option<&Vec<String>>, path: &str) -> Errors {
    let mut errs = Errors::new();
    let list = finalizers.cloned().unwrap_or_default();
    for f in &list {
        for msg in names::is_qualified_name(f) {
            errs.push(Cause::invalid(path, &Value::String(f.clone()), &msg));
        }
    }
    if list.iter().any(|f| f == "orphan") && list.iter().any(|f| f == "foregroundDeletion") {
        let shown = format!(
            "[]string{{{}}}",
            list.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ")
        );
        errs.push(invalid_raw(
            path,
            &shown,
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// `validateKubeFinalizerName` (Namespace `spec.finalizers`).
pub fn validate_kube_finalizer(name: &str, path: &str) -> Errors {
    let mut errs: Errors = names::is_qualified_name(name)
        .into_iter()
        .map(|m| Cause::invalid(path, &Value::String(name.into()), &m))
        .collect();
    if !name.contains('/') && !STANDARD_FINALIZERS.contains(&name) {
        errs.push(Cause::invalid(
            path,
            &Value::String(name.into()),
            "name is neither a standard finalizer name nor is it fully qualified",
        ));
    }
    errs
}

/// `ValidateObjectMeta`.
pub fn validate_object_meta(m: &ObjectMeta, namespaced: bool, rule: NameRule, path: &str) -> Errors {
    let mut errs = Errors::new();
    let generate = m.generate_name.as_deref().unwrap_or("");
    if !generate.is_empty() {
        for msg in check_name(rule, generate, true) {
            errs.push(Cause::invalid(
                &child(path, "generateName"),
                &Value::String(generate.into()),
                &msg,
            ));
        }
    }
    let name = m.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(Cause::required(
            &child(path, "name"),
            "name or generateName is required",
        ));
    } else {
        for msg in check_name(rule, name, false) {
            errs.push(Cause::invalid(&child(path, "name"), &Value::String(name.into()), &msg));
        }
    }
    let ns = m.namespace.as_deref().unwrap_or("");
    if namespaced {
        if ns.is_empty() {
            errs.push(Cause::required(&child(path, "namespace"), ""));
        } else {
            for msg in names::is_dns1123_label(ns) {
                errs.push(Cause::invalid(
                    &child(path, "namespace"),
                    &Value::String(ns.into()),
                    &msg,
                ));
            }
        }
    } else if !ns.is_empty() {
        errs.push(Cause::forbidden(&child(path, "namespace"), "not allowed on this type"));
    }
    nonnegative(m.generation.unwrap_or(0), &child(path, "generation"), &mut errs);
    errs.extend(validate_labels(m.labels.as_ref(), &child(path, "labels")));
    errs.extend(validate_annotations(
        m.annotations.as_ref(),
        &child(path, "annotations"),
    ));
    errs.extend(validate_owner_references(
        m.owner_references.as_ref(),
        &child(path, "ownerReferences"),
    ));
    errs.extend(validate_finalizers(m.finalizers.as_ref(), &child(path, "finalizers")));
    errs
}

/// `ValidateObjectMetaUpdate`. The caller has already carried over what upstream's
/// `BeforeUpdate` carries over (uid, timestamps, generation, resourceVersion).
pub fn validate_object_meta_update(new: &ObjectMeta, old: &ObjectMeta, path: &str) -> Errors {
    let mut errs = validate_finalizers(new.finalizers.as_ref(), &child(path, "finalizers"));
    if old.deletion_timestamp.is_some() {
        let old_f = old.finalizers.clone().unwrap_or_default();
        for f in new.finalizers.iter().flatten() {
            if !old_f.contains(f) {
                errs.push(Cause::forbidden(
                    &child(path, "finalizers"),
                    &format!("no new finalizers can be added if the object is being deleted, found new finalizers []string{{{f:?}}}"),
                ));
            }
        }
    }
    if new.resource_version.as_deref().unwrap_or("").is_empty() {
        errs.push(Cause::invalid(
            &child(path, "resourceVersion"),
            &Value::String(String::new()),
            "must be specified for an update",
        ));
    }
    if new.generation.unwrap_or(0) < old.generation.unwrap_or(0) {
        errs.push(Cause::invalid(
            &child(path, "generation"),
            &Value::from(new.generation.unwrap_or(0)),
            "must not be decremented",
        ));
    }
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    immutable(&s(&new.name), &s(&old.name), &child(path, "name"), &mut errs);
    immutable(
        &s(&new.namespace),
        &s(&old.namespace),
        &child(path, "namespace"),
        &mut errs,
    );
    immutable(&s(&new.uid), &s(&old.uid), &child(path, "uid"), &mut errs);
    immutable(
        &new.creation_timestamp,
        &old.creation_timestamp,
        &child(path, "creationTimestamp"),
        &mut errs,
    );
    immutable(
        &new.deletion_timestamp,
        &old.deletion_timestamp,
        &child(path, "deletionTimestamp"),
        &mut errs,
    );
    immutable(
        &new.deletion_grace_period_seconds,
        &old.deletion_grace_period_seconds,
        &child(path, "deletionGracePeriodSeconds"),
        &mut errs,
    );
    errs.extend(validate_labels(new.labels.as_ref(), &child(path, "labels")));
    errs.extend(validate_annotations(
        new.annotations.as_ref(),
        &child(path, "annotations"),
    ));
    errs.extend(validate_owner_references(
        new.owner_references.as_ref(),
        &child(path, "ownerReferences"),
    ));
    errs
}
