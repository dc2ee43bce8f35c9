//! Field selectors as upstream's `k8s.io/apimachinery/pkg/fields` parses them, with each kind's
//! field label conversions (`AddFieldLabelConversionFunc`) and selectable fields (`GetAttrs`).

use std::fmt;

use serde_json::Value;

use super::quote::go_quote;
use crate::meta;
use crate::resource::ResourceInfo;
use crate::status::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Equals,
    NotEquals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: String,
    op: FieldOp,
    value: String,
}

/// A parsed field selector: terms (sorted as upstream sorts the raw terms), all of which must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    terms: Vec<Term>,
}

impl FieldSelector {
    /// Parses `?fieldSelector=`: comma-separated `field=value`, `field==value` or
    /// `field!=value`; `\,`, `\=` and `\\` escape those characters in values.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut parts = split_terms(s);
        parts.sort();
        let mut terms = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((lhs, op, rhs)) = split_term(part) else {
                return Err(ApiError::BadRequest(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let value = unescape_value(rhs).map_err(ApiError::BadRequest)?;
            terms.push(Term {
                field: lhs.to_string(),
                op,
                value,
            });
        }
        Ok(FieldSelector { terms })
    }

    /// True when the selector does not restrict anything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Rejects field labels the kind does not support, with upstream's message
    /// (`field label not supported: <x>`, or the default conversion's for kinds without their own).
    pub fn validate_for(&self, info: &ResourceInfo) -> Result<(), ApiError> {
        for t in &self.terms {
            convert_label(info, &t.field).map_err(ApiError::BadRequest)?;
        }
        Ok(())
    }

    /// Whether the object's selectable fields satisfy every term. A field the kind does not
    /// expose reads as `""`, as upstream's `fields.Set.Get` does.
    pub fn matches(&self, info: &ResourceInfo, obj: &Value) -> bool {
        self.terms.iter().all(|t| {
            let have = match convert_label(info, &t.field) {
                Ok(label) => selectable_field(info, label, obj),
                Err(_) => String::new(),
            };
            match t.op {
                FieldOp::Equals => have == t.value,
                FieldOp::NotEquals => have != t.value,
            }
        })
    }

    /// The value the selector requires for `field` exactly, if it does (`RequiresExactMatch`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && t.op == FieldOp::Equals)
            .map(|t| t.value.as_str())
    }
}

impl fmt::Display for FieldSelector {
    /// Upstream's `String()`: `field=value` / `field!=value` with values escaped, joined by `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match t.op {
                FieldOp::Equals => "=",
                FieldOp::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", t.field, escape_value(&t.value))?;
        }
        Ok(())
    }
}

/// Splits on commas not escaped by a backslash; the backslash stays in the term.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits at the first operator (`!=`, `==`, `=`, tried in that order at each position).
fn split_term(term: &str) -> Option<(&str, FieldOp, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        if let Some(r) = rest.strip_prefix("!=") {
            return Some((&term[..i], FieldOp::NotEquals, r));
        }
        if let Some(r) = rest.strip_prefix("==") {
            return Some((&term[..i], FieldOp::Equals, r));
        }
        if let Some(r) = rest.strip_prefix('=') {
            return Some((&term[..i], FieldOp::Equals, r));
        }
    }
    None
}

fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn unescape_value(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                other => return Err(format!("invalid field selector: invalid escape sequence: \\{other}")),
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Go prints the rune with %v, i.e. as its number.
            ',' | '=' => {
                return Err(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                ))
            }
            other => out.push(other),
        }
    }
    if in_slash {
        return Err("invalid field selector: invalid escape sequence: \\".to_string());
    }
    Ok(out)
}

const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
];

const CORE_EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];

/// events.k8s.io/v1 labels and the internal (core) field each maps to.
const EVENTS_V1_FIELDS: &[(&str, &str)] = &[
    ("reason", "reason"),
    ("regarding.kind", "involvedObject.kind"),
    ("regarding.namespace", "involvedObject.namespace"),
    ("regarding.name", "involvedObject.name"),
    ("regarding.uid", "involvedObject.uid"),
    ("regarding.apiVersion", "involvedObject.apiVersion"),
    ("regarding.resourceVersion", "involvedObject.resourceVersion"),
    ("regarding.fieldPath", "involvedObject.fieldPath"),
    ("reportingController", "reportingComponent"),
    ("source", "source"),
    ("type", "type"),
    ("metadata.namespace", "metadata.namespace"),
    ("metadata.name", "metadata.name"),
];

/// The labels a kind with its own conversion function accepts; `None` means the default
/// conversion (`metadata.name` and `metadata.namespace` only).
fn own_labels(info: &ResourceInfo) -> Option<&'static [&'static str]> {
    Some(match (info.group, info.kind) {
        ("", "Pod") => POD_FIELDS,
        ("", "Node") => &["metadata.name", "spec.unschedulable"],
        ("", "Event") => CORE_EVENT_FIELDS,
        ("", "Namespace") => &["status.phase", "metadata.name"],
        ("", "Secret") => &["type", "metadata.namespace", "metadata.name"],
        ("", "Service") => &["metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"],
        ("", "ReplicationController") => &["metadata.name", "metadata.namespace", "status.replicas"],
        _ => return None,
    })
}

/// The scheme's field label conversion: the internal label, or upstream's error text.
fn convert_label<'a>(info: &ResourceInfo, label: &'a str) -> Result<&'a str, String> {
    if info.group == "events.k8s.io" && info.kind == "Event" {
        return EVENTS_V1_FIELDS
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, internal)| *internal)
            .ok_or_else(|| format!("field label not supported: {label}"));
    }
    match own_labels(info) {
        Some(_) if info.kind == "Pod" && label == "spec.host" => Ok("spec.nodeName"),
        Some(allowed) if allowed.contains(&label) => Ok(label),
        Some(_) => Err(format!("field label not supported: {label}")),
        None if label == "metadata.name" || label == "metadata.namespace" => Ok(label),
        None => Err(format!(
            "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            go_quote(label)
        )),
    }
}

fn str_at(obj: &Value, dotted: &str) -> String {
    match meta::path(obj, dotted) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn bool_at(obj: &Value, dotted: &str) -> String {
    meta::path(obj, dotted)
        .and_then(Value::as_bool)
        .unwrap_or(false)
        .to_string()
}

/// The value of an internal field label in the object's selectable field set (`ToSelectableFields`).
fn selectable_field(info: &ResourceInfo, label: &str, obj: &Value) -> String {
    match label {
        "metadata.name" => return meta::name(obj).to_string(),
        "metadata.namespace" => return meta::namespace(obj).to_string(),
        _ => {}
    }
    let events_v1 = info.group == "events.k8s.io";
    match (info.group, info.kind, label) {
        ("", "Pod", "spec.hostNetwork") => bool_at(obj, "spec.hostNetwork"),
        ("", "Pod", "status.podIP") => obj
            .pointer("/status/podIPs/0/ip")
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| str_at(obj, "status.podIP")),
        ("", "Pod", "spec.nodeName" | "spec.restartPolicy" | "spec.schedulerName")
        | ("", "Pod", "spec.serviceAccountName" | "status.phase" | "status.nominatedNodeName") => str_at(obj, label),
        ("", "Node", "spec.unschedulable") => bool_at(obj, "spec.unschedulable"),
        ("", "Namespace", "status.phase") => str_at(obj, "status.phase"),
        ("", "Secret", "type") => str_at(obj, "type"),
        ("", "Service", "spec.clusterIP" | "spec.type") => str_at(obj, label),
        (_, "Event", _) => event_field(obj, label, events_v1),
        _ => String::new(),
    }
}

/// Core `EventToSelectableFields`, reading either wire form (core/v1 or events.k8s.io/v1).
fn event_field(obj: &Value, label: &str, events_v1: bool) -> String {
    let reporting = if events_v1 {
        str_at(obj, "reportingController")
    } else {
        str_at(obj, "reportingComponent")
    };
    match label {
        "reason" | "type" => str_at(obj, label),
        "reportingComponent" => reporting,
        "source" => {
            let component = if events_v1 {
                str_at(obj, "deprecatedSource.component")
            } else {
                str_at(obj, "source.component")
            };
            if component.is_empty() {
                reporting
            } else {
                component
            }
        }
        _ => match label.strip_prefix("involvedObject.") {
            Some(sub) if events_v1 => str_at(obj, &format!("regarding.{sub}")),
            Some(_) => str_at(obj, label),
            None => String::new(),
        },
    }
}
