//! Typed API errors and their one rendering as a Kubernetes `Status`.
//!
//! Every HTTP error the API server returns is an [`ApiError`] turned into a `Status` by
//! [`ApiError::to_status`]; no handler builds Status JSON by hand.

use serde_json::{json, Value};

/// One cause of an `Invalid` error: a field path, a reason and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`, `FieldValueNotSupported`,
    /// `FieldValueDuplicate`, `FieldValueTooLong`, or `FieldValueTypeInvalid`.
    pub reason: &'static str,
    /// The full message, as upstream's `field.Error.Error()` renders it:
    /// `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
    pub message: String,
    /// `spec.replicas`.
    pub field: String,
}

impl Cause {
    /// `Invalid value: <v>: <detail>`.
    pub fn invalid(field: &str, value: &Value, detail: &str) -> Self {
        let shown = match value {
            Value::String(s) => format!("\"{s}\""),
            other => other.to_string(),
        };
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

    /// `Required value[: <detail>]`.
    pub fn required(field: &str, detail: &str) -> Self {
        let message = if detail.is_empty() {
            format!("{field}: Required value")
        } else {
            format!("{field}: Required value: {detail}")
        };
        Cause {
            reason: "FieldValueRequired",
            message,
            field: field.to_string(),
        }
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Cause {
            reason: "FieldValueForbidden",
            message: format!("{field}: Forbidden: {detail}"),
            field: field.to_string(),
        }
    }

    /// `Unsupported value: <v>: supported values: "a", "b"`.
    pub fn not_supported(field: &str, value: &Value, supported: &[&str]) -> Self {
        let shown = match value {
            Value::String(s) => format!("\"{s}\""),
            other => other.to_string(),
        };
        let list: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
        Cause {
            reason: "FieldValueNotSupported",
            message: format!(
                "{field}: Unsupported value: {shown}: supported values: {}",
                list.join(", ")
            ),
            field: field.to_string(),
        }
    }

    /// `Duplicate value: <v>`.
    pub fn duplicate(field: &str, value: &Value) -> Self {
        Cause {
            reason: "FieldValueDuplicate",
            message: format!("{field}: Duplicate value: {value}"),
            field: field.to_string(),
        }
    }

    /// `Too long: may not be more than <n> bytes`.
    pub fn too_long(field: &str, max: usize) -> Self {
        Cause {
            reason: "FieldValueTooLong",
            message: format!("{field}: Too long: may not be more than {max} bytes"),
            field: field.to_string(),
        }
    }
}

/// What the object named in an error is: used for `details` and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// `statefulsets.apps` (group resource).
    pub group_resource: String,
    /// The group alone, for `details.group`.
    pub group: String,
    /// The kind, for `details.kind` on Invalid errors (`StatefulSet`); the plural elsewhere.
    pub kind: String,
    pub name: String,
}

/// A typed API error; each variant renders as one upstream `StatusReason`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("{} \"{}\" not found", .0.group_resource, .0.name)]
    NotFound(Target),
    #[error("the server could not find the requested resource")]
    NotFoundPath,
    #[error("{} \"{}\" already exists", .0.group_resource, .0.name)]
    AlreadyExists(Target),
    #[error("Operation cannot be fulfilled on {} \"{}\": {}", .target.group_resource, .target.name, .detail)]
    Conflict { target: Target, detail: String },
    #[error("{} \"{}\" is invalid: {}", qualified_kind(.target), .target.name, join_causes(.causes))]
    Invalid { target: Target, causes: Vec<Cause> },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Gone(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    RequestEntityTooLarge(String),
    #[error("{0}")]
    Timeout(String),
    #[error("Internal error occurred: {0}")]
    Internal(String),
    /// 409 from server-side apply (upstream `NewApplyConflict`): one `FieldManagerConflict`
    /// cause per conflicting field, no object details.
    #[error("{message}")]
    ApplyConflict { message: String, causes: Vec<Cause> },
    /// 422 without a target (upstream `NewGenericServerResponse(422, ...)`, e.g. a failed JSON
    /// patch `test`): the detail travels as one `UnexpectedServerResponse` cause.
    #[error("the server rejected our request due to an error in our request")]
    Unprocessable(String),
    /// An error upstream hands back as a plain Go error: 500 with an empty reason and the
    /// message verbatim (kubectl prints `Error from server: <message>`).
    #[error("{0}")]
    Unknown(String),
}

fn qualified_kind(t: &Target) -> String {
    if t.group.is_empty() {
        t.kind.clone()
    } else {
        format!("{}.{}", t.kind, t.group)
    }
}

fn join_causes(causes: &[Cause]) -> String {
    let msgs: Vec<&str> = causes.iter().map(|c| c.message.as_str()).collect();
    if msgs.len() == 1 {
        msgs[0].to_string()
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

impl ApiError {
    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound(_) | ApiError::NotFoundPath => 404,
            ApiError::AlreadyExists(_) | ApiError::Conflict { .. } => 409,
            ApiError::Invalid { .. } => 422,
            ApiError::BadRequest(_) => 400,
            ApiError::Gone(_) => 410,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::NotAcceptable(_) => 406,
            ApiError::RequestEntityTooLarge(_) => 413,
            ApiError::Timeout(_) => 504,
            ApiError::Internal(_) | ApiError::Unknown(_) => 500,
            ApiError::ApplyConflict { .. } => 409,
            ApiError::Unprocessable(_) => 422,
        }
    }

    /// The upstream `StatusReason`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) | ApiError::NotFoundPath => "NotFound",
            ApiError::AlreadyExists(_) => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Invalid { .. } => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Gone(_) => "Expired",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::MethodNotAllowed(_) => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::NotAcceptable(_) => "NotAcceptable",
            ApiError::RequestEntityTooLarge(_) => "RequestEntityTooLarge",
            ApiError::Timeout(_) => "Timeout",
            ApiError::Internal(_) => "InternalError",
            ApiError::ApplyConflict { .. } => "Conflict",
            ApiError::Unprocessable(_) => "Invalid",
            ApiError::Unknown(_) => "",
        }
    }

    /// The error as a `meta/v1 Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        let details = match self {
            ApiError::NotFound(t) | ApiError::AlreadyExists(t) | ApiError::Conflict { target: t, .. } => {
                Some(target_details(t, &plural_of(&t.group_resource)))
            }
            ApiError::Invalid { target, causes } => {
                let mut d = target_details(target, &target.kind);
                d["causes"] = Value::Array(
                    causes
                        .iter()
                        .map(|c| {
                            // Upstream's cause message is the error body, without the field path.
                            let body = c.message.strip_prefix(&format!("{}: ", c.field)).unwrap_or(&c.message);
                            json!({"reason": c.reason, "message": body, "field": c.field})
                        })
                        .collect(),
                );
                Some(d)
            }
            ApiError::ApplyConflict { causes, .. } => Some(json!({
                "causes": causes
                    .iter()
                    .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                    .collect::<Vec<_>>(),
            })),
            ApiError::Unprocessable(detail) => Some(json!({
                "causes": [{"reason": "UnexpectedServerResponse", "message": detail}],
            })),
            _ => None,
        };
        if self.reason().is_empty() {
            if let Some(m) = status.as_object_mut() {
                m.shift_remove("reason");
            }
        }
        if let Some(d) = details {
            status["details"] = d;
        }
        status
    }
}

fn plural_of(group_resource: &str) -> String {
    group_resource.split('.').next().unwrap_or_default().to_string()
}

fn target_details(t: &Target, kind: &str) -> Value {
    let mut d = json!({"name": t.name});
    if !t.group.is_empty() {
        d["group"] = Value::String(t.group.clone());
    }
    d["kind"] = Value::String(kind.to_string());
    d
}

/// The `Status` returned by a successful delete of an object that is gone at once.
pub fn success_status(group: &str, kind_plural: &str, name: &str, uid: &str) -> Value {
    let mut details = json!({"name": name, "kind": kind_plural, "uid": uid});
    if !group.is_empty() {
        details["group"] = Value::String(group.to_string());
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(name: &str) -> Target {
        Target {
            group_resource: "statefulsets.apps".into(),
            group: "apps".into(),
            kind: "StatefulSet".into(),
            name: name.into(),
        }
    }

    #[test]
    fn not_found_renders_like_upstream() {
        let s = ApiError::NotFound(sts("web")).to_status();
        assert_eq!(s["message"], "statefulsets.apps \"web\" not found");
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["kind"], "statefulsets");
        assert_eq!(s["details"]["group"], "apps");
    }

    #[test]
    fn invalid_lists_each_cause_with_its_field() {
        let e = ApiError::Invalid {
            target: sts("web"),
            causes: vec![Cause::invalid(
                "spec.replicas",
                &json!(-1),
                "must be greater than or equal to 0",
            )],
        };
        let s = e.to_status();
        assert_eq!(s["code"], 422);
        assert_eq!(
            s["message"],
            "StatefulSet.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(s["details"]["causes"][0]["field"], "spec.replicas");
        assert_eq!(
            s["details"]["causes"][0]["message"],
            "Invalid value: -1: must be greater than or equal to 0"
        );
    }

    #[test]
    fn gone_is_expired_410() {
        let s = ApiError::Gone("too old resource version: 1 (5)".into()).to_status();
        assert_eq!(s["reason"], "Expired");
        assert_eq!(s["code"], 410);
    }
}
