//! Upstream validation (`ValidateX`, `ValidateXUpdate`, `ValidateXStatusUpdate`) of every served kind.
//!
//! Each function returns every cause found, with upstream's field paths and messages; an empty
//! list means valid. Values shown in `Invalid value:` follow Go's `field.Error` rendering for
//! strings and numbers; structs are shown in Go syntax only where this code knows it.

pub mod apps;
pub mod core;
pub mod meta;
pub mod pod;

use serde_json::Value;

use crate::schema::Object;
use crate::status::Cause;

/// The causes found; empty when valid.
pub type Errors = Vec<Cause>;

/// Which name syntax a kind requires (`ValidateXName` upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// RFC 1123 label (StatefulSet, Namespace).
    DnsLabel,
    /// RFC 1035 label (Service).
    Dns1035Label,
    /// RFC 1123 subdomain (most kinds).
    DnsSubdomain,
    /// Any single path segment (PersistentVolume, PersistentVolumeClaim).
    PathSegment,
}

/// The name rule of the object's kind.
pub fn name_rule(obj: &Object) -> NameRule {
    match obj {
        Object::StatefulSet(_) | Object::Namespace(_) => NameRule::DnsLabel,
        Object::Service(_) => NameRule::Dns1035Label,
        Object::PersistentVolume(_) | Object::PersistentVolumeClaim(_) => NameRule::PathSegment,
        _ => NameRule::DnsSubdomain,
    }
}

/// Whether objects of this kind live in a namespace.
fn namespaced(obj: &Object) -> bool {
    !matches!(
        obj,
        Object::Namespace(_) | Object::Node(_) | Object::PersistentVolume(_) | Object::StorageClass(_)
    )
}

/// `Validate` of the kind's strategy, for a create.
pub fn validate_create(obj: &Object) -> Errors {
    let mut errs = meta::validate_object_meta(obj.metadata(), namespaced(obj), name_rule(obj), "metadata");
    match obj {
        Object::StatefulSet(s) => errs.extend(apps::validate_statefulset_spec(s)),
        Object::ControllerRevision(r) => errs.extend(apps::validate_controller_revision(r)),
        Object::Pod(p) => errs.extend(pod::validate_pod_spec(p.spec.as_ref(), "spec")),
        other => errs.extend(core::validate(other)),
    }
    errs
}

/// `ValidateUpdate` of the kind's strategy.
pub fn validate_update(new: &Object, old: &Object) -> Errors {
    let mut errs = meta::validate_object_meta_update(new.metadata(), old.metadata(), "metadata");
    match (new, old) {
        (Object::StatefulSet(n), Object::StatefulSet(o)) => {
            errs.extend(apps::validate_statefulset_spec(n));
            errs.extend(apps::validate_statefulset_update(n, o));
        }
        (Object::ControllerRevision(n), Object::ControllerRevision(o)) => {
            errs.extend(meta::validate_object_meta(
                new.metadata(),
                true,
                NameRule::DnsSubdomain,
                "metadata",
            ));
            errs.extend(apps::validate_controller_revision(n));
            if n.data != o.data {
                errs.push(invalid_json(
                    "data",
                    n.data.as_ref().map(|d| &d.0),
                    "field is immutable",
                ));
            }
        }
        (Object::Pod(n), Object::Pod(o)) => errs.extend(pod::validate_pod_update(n, o)),
        (n, o) => {
            // Most core kinds re-run their create validation (minus the name) and then the
            // kind's update rules.
            errs.extend(core::validate(n));
            errs.extend(core::validate_update(n, o));
        }
    }
    dedup(errs)
}

/// `ValidateUpdate` of the kind's status strategy.
pub fn validate_status_update(new: &Object, old: &Object) -> Errors {
    let mut errs = meta::validate_object_meta_update(new.metadata(), old.metadata(), "metadata");
    if let (Object::StatefulSet(n), Object::StatefulSet(o)) = (new, old) {
        errs = apps::validate_statefulset_status_update(n, o);
    }
    errs
}

fn dedup(errs: Errors) -> Errors {
    let mut out: Errors = Vec::with_capacity(errs.len());
    for e in errs {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// `Invalid value: <shown>: <detail>` with a value already rendered (Go `%#v` of a struct).
pub(crate) fn invalid_raw(field: &str, shown: &str, detail: &str) -> Cause {
    let message = if detail.is_empty() {
        format!("{field}: Invalid value: {shown}")
    } else {
        format!("{field}: Invalid value: {shown}: {detail}")
    };
    Cause {
        reason: "FieldValueInvalid",
        message,
        field: field.to_string(),
    }
}

/// `Invalid value:` for a JSON-ish value (null when absent).
pub(crate) fn invalid_json(field: &str, v: Option<&Value>, detail: &str) -> Cause {
    match v {
        Some(v) => Cause::invalid(field, v, detail),
        None => invalid_raw(field, "null", detail),
    }
}

/// `Not found: <value>`.
pub(crate) fn not_found(field: &str, value: &str) -> Cause {
    Cause {
        reason: "FieldValueNotFound",
        message: format!("{field}: Not found: \"{value}\""),
        field: field.to_string(),
    }
}

/// `ValidateNonnegativeField`.
pub(crate) fn nonnegative(v: i64, field: &str, errs: &mut Errors) {
    if v < 0 {
        errs.push(Cause::invalid(
            field,
            &Value::from(v),
            "must be greater than or equal to 0",
        ));
    }
}

/// `ValidateImmutableField` for values compared as JSON.
pub(crate) fn immutable<T: PartialEq + serde::Serialize>(new: &T, old: &T, field: &str, errs: &mut Errors) {
    if new != old {
        let v = serde_json::to_value(new).unwrap_or(Value::Null);
        errs.push(invalid_json(field, Some(&v), "field is immutable"));
    }
}

/// Go's `%#v` of a `map[string]string` (keys sorted, as fmt prints maps).
pub(crate) fn go_string_map(m: Option<&std::collections::BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
            format!("map[string]string{{{}}}", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests;
