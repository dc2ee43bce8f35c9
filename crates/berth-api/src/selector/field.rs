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
                Ok(label) => Field::of(info, label).read(obj),
                Err(_) => String::new(),
            };
            match t.op {
                FieldOp::Equals => have == t.value,
                FieldOp::NotEquals => have != t.value,
            }
        })
    }

    /// The dotted paths of `info`'s objects that [`FieldSelector::matches`] reads: an object
    /// projected to them (`projection::Projection`) matches as the whole object does.
    pub fn paths(&self, info: &ResourceInfo) -> Vec<&'static str> {
        let mut out = Vec::new();
        for t in &self.terms {
            if let Ok(label) = convert_label(info, &t.field) {
                Field::of(info, label).add_paths(&mut out);
            }
        }
        out
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
fn convert_label(info: &ResourceInfo, label: &str) -> Result<&'static str, String> {
    if info.group == "events.k8s.io" && info.kind == "Event" {
        return EVENTS_V1_FIELDS
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, internal)| *internal)
            .ok_or_else(|| format!("field label not supported: {label}"));
    }
    let known = |set: &[&'static str]| set.iter().find(|l| **l == label).copied();
    match own_labels(info) {
        Some(_) if info.kind == "Pod" && label == "spec.host" => Ok("spec.nodeName"),
        Some(allowed) => known(allowed).ok_or_else(|| format!("field label not supported: {label}")),
        None => known(&["metadata.name", "metadata.namespace"]).ok_or_else(|| {
            format!(
                "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
                go_quote(label)
            )
        }),
    }
}

/// How one selectable field is read from an object: one entry of upstream's `ToSelectableFields`.
/// Reading ([`Field::read`]) and the paths read ([`Field::add_paths`]) are defined side by side, so a
/// projection of an object to [`FieldSelector::paths`] matches as the whole object does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// Not in the kind's field set: reads as `""`, as `fields.Set.Get` of a missing key does.
    Missing,
    /// A string at a dotted path, else `""` (`metadata.name`, `metadata.namespace`).
    Str(&'static str),
    /// A scalar at a dotted path as text: strings as they are, numbers and booleans printed,
    /// anything else `""`.
    Text(&'static str),
    /// A boolean at a dotted path, printed; `false` unless it is a boolean.
    Bool(&'static str),
    /// `status.podIPs[0].ip` if it is a string, else `status.podIP` as text.
    PodIp,
    /// The first of two text fields that is not empty (an Event's `source`: the component, else
    /// the reporting component).
    FirstOf(&'static str, &'static str),
}

impl Field {
    /// The field of `info`'s objects behind an internal field label.
    fn of(info: &ResourceInfo, label: &'static str) -> Field {
        if matches!(label, "metadata.name" | "metadata.namespace") {
            return Field::Str(label);
        }
        match (info.group, info.kind, label) {
            ("", "Pod", "spec.hostNetwork") | ("", "Node", "spec.unschedulable") => Field::Bool(label),
            ("", "Pod", "status.podIP") => Field::PodIp,
            ("", "Pod", "spec.nodeName" | "spec.restartPolicy" | "spec.schedulerName")
            | ("", "Pod", "spec.serviceAccountName" | "status.phase" | "status.nominatedNodeName")
            | ("", "Namespace", "status.phase")
            | ("", "Secret", "type")
            | ("", "Service", "spec.clusterIP" | "spec.type") => Field::Text(label),
            (_, "Event", _) => event_field(label, info.group == "events.k8s.io"),
            _ => Field::Missing,
        }
    }

    /// The field's value in `obj`'s selectable field set.
    fn read(self, obj: &Value) -> String {
        match self {
            Field::Missing => String::new(),
            Field::Str(path) => meta::path(obj, path)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Field::Text(path) => text_at(obj, path),
            Field::Bool(path) => meta::path(obj, path)
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .to_string(),
            Field::PodIp => obj
                .pointer("/status/podIPs/0/ip")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| text_at(obj, "status.podIP")),
            Field::FirstOf(a, b) => {
                let first = text_at(obj, a);
                if first.is_empty() {
                    text_at(obj, b)
                } else {
                    first
                }
            }
        }
    }

    /// Adds the dotted paths [`Field::read`] looks at: the parts of an object it needs.
    fn add_paths(self, out: &mut Vec<&'static str>) {
        match self {
            Field::Missing => {}
            Field::Str(path) | Field::Text(path) | Field::Bool(path) => out.push(path),
            Field::PodIp => out.extend(["status.podIPs", "status.podIP"]),
            Field::FirstOf(a, b) => out.extend([a, b]),
        }
    }
}

/// Core `EventToSelectableFields`, reading either wire form (core/v1 or events.k8s.io/v1).
fn event_field(label: &'static str, events_v1: bool) -> Field {
    let reporting = if events_v1 {
        "reportingController"
    } else {
        "reportingComponent"
    };
    match label {
        "reason" | "type" => Field::Text(label),
        "reportingComponent" => Field::Text(reporting),
        "source" if events_v1 => Field::FirstOf("deprecatedSource.component", reporting),
        "source" => Field::FirstOf("source.component", reporting),
        // events.k8s.io/v1 serves `involvedObject` as `regarding`: the path is the v1 label.
        _ if label.starts_with("involvedObject.") && events_v1 => EVENTS_V1_FIELDS
            .iter()
            .find(|(_, internal)| *internal == label)
            .map_or(Field::Missing, |(v1, _)| Field::Text(v1)),
        _ if label.starts_with("involvedObject.") => Field::Text(label),
        _ => Field::Missing,
    }
}

/// A scalar at a dotted path as text: strings as they are, numbers and booleans printed, else `""`.
fn text_at(obj: &Value, dotted: &str) -> String {
    match meta::path(obj, dotted) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}
