//! The four PATCH flavours kubectl sends: JSON patch (RFC 6902), merge patch (RFC 7386),
//! strategic merge patch, and server-side apply (see `crate::managedfields`).
//!
//! Errors are typed and turned into upstream's `Status` in one place, [`From<PatchError> for ApiError`]:
//! a patch that cannot be decoded is 400 BadRequest, one that decodes but does not apply is
//! 422 (JSON patch, lists of lists) or, where upstream returns a bare Go error, 500 with no reason.

pub mod schema;
mod strategic;

use serde_json::Value;

use crate::status::ApiError;
use schema::Schema;

/// The patch flavour named by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`
    Json,
    /// `application/merge-patch+json`
    Merge,
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/apply-patch+yaml`
    Apply,
}

impl PatchType {
    /// Parses a `Content-Type` value; parameters after `;` are ignored.
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        let media = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match media.as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }

    /// The media type, as listed in `415 UnsupportedMediaType` answers and OpenAPI.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Why a patch could not be applied; messages are upstream's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    /// The JSON patch body is not a list of operations.
    #[error("{0}")]
    DecodeJsonPatch(String),
    /// A JSON patch operation failed (including a failed `test`).
    #[error("{message}")]
    ApplyJsonPatch { operation: usize, message: String },
    /// A merge patch body of `null`.
    #[error("Invalid JSON Patch")]
    MergePatchNull,
    /// A strategic merge patch body that is not a JSON object.
    #[error("json: cannot unmarshal {found} into Go value of type map[string]interface {{}}")]
    DecodeStrategicPatch { found: &'static str },
    /// `$patch` with a value other than `replace`/`delete` in a map (`merge` included).
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownPatchType { directive: String, map: String },
    /// `{"$patch":"merge"}` inside a list.
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// An item of a list merged by key lacks the key.
    #[error("map: {map} does not contain declared merge key: {key}")]
    MissingMergeKey { map: String, key: String },
    /// A list of objects whose field has no merge key.
    #[error("cannot merge lists without merge key for {ty}")]
    NoMergeKeyForList { ty: String },
    /// A list merged by key that mixes objects and other values.
    #[error("unable to merge a list of mixed item kinds")]
    MixedList,
    #[error("lists of lists are not supported")]
    ListOfLists,
    #[error("invalid patch format of retainKeys")]
    BadRetainKeys,
    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrder,
}

impl From<PatchError> for ApiError {
    fn from(e: PatchError) -> ApiError {
        match e {
            PatchError::DecodeJsonPatch(_)
            | PatchError::MergePatchNull
            | PatchError::DecodeStrategicPatch { .. }
            | PatchError::BadRetainKeys
            | PatchError::BadSetElementOrder => ApiError::BadRequest(e.to_string()),
            PatchError::ApplyJsonPatch { .. } | PatchError::ListOfLists => ApiError::Unprocessable(e.to_string()),
            PatchError::UnknownPatchType { .. }
            | PatchError::MergeDirectiveInList
            | PatchError::MissingMergeKey { .. }
            | PatchError::NoMergeKeyForList { .. }
            | PatchError::MixedList => ApiError::Unknown(e.to_string()),
        }
    }
}

/// Applies an RFC 6902 JSON patch.
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(items) = patch else {
        return Err(PatchError::DecodeJsonPatch(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            json_kind(patch)
        )));
    };
    let mut ops = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match serde_json::from_value::<json_patch::PatchOperation>(item.clone()) {
            Ok(op) => ops.push(op),
            Err(e) => {
                let message = match item.get("op").and_then(Value::as_str) {
                    Some(op) if !["add", "remove", "replace", "move", "copy", "test"].contains(&op) => {
                        format!("Unexpected kind: {op}")
                    }
                    _ => e.to_string(),
                };
                return Err(PatchError::ApplyJsonPatch { operation: i, message });
            }
        }
    }
    let mut out = doc.clone();
    match json_patch::patch(&mut out, &ops) {
        Ok(()) => Ok(out),
        Err(e) => Err(json_patch_failure(doc, &ops, e.operation)),
    }
}

/// Describes a failed operation in the words of upstream's `evanphx/json-patch`.
fn json_patch_failure(doc: &Value, ops: &[json_patch::PatchOperation], failed: usize) -> PatchError {
    use json_patch::PatchOperation as Op;
    let mut state = doc.clone();
    // The operations before the failed one succeeded on their own.
    let _ = json_patch::patch(&mut state, &ops[..failed]);
    let parent_missing = |path: &str| {
        let parent = &path[..path.rfind('/').unwrap_or(0)];
        state.pointer(parent).is_none_or(|v| !(v.is_object() || v.is_array()))
    };
    let last = |path: &str| {
        path.rsplit('/')
            .next()
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~")
    };
    let message = match &ops[failed] {
        Op::Test(t) => {
            let path = t.path.to_string();
            if parent_missing(&path) {
                format!("test operation does not apply: is missing path: {path}: missing value")
            } else {
                format!("testing value {path} failed: test failed")
            }
        }
        Op::Remove(r) => {
            let path = r.path.to_string();
            if parent_missing(&path) {
                format!("remove operation does not apply: doc is missing path: \"{path}\": missing value")
            } else {
                format!(
                    "error in remove for path: '{path}': Unable to remove nonexistent key: {}: missing value",
                    last(&path)
                )
            }
        }
        Op::Replace(r) => {
            let path = r.path.to_string();
            if parent_missing(&path) {
                format!("replace operation does not apply: doc is missing path: {path}: missing value")
            } else {
                format!("replace operation does not apply: doc is missing key: {path}: missing value")
            }
        }
        Op::Add(a) => format!(
            "add operation does not apply: doc is missing path: \"{}\": missing value",
            a.path
        ),
        Op::Move(m) => format!(
            "move operation does not apply: doc is missing from path: {}: missing value",
            m.from
        ),
        Op::Copy(c) => format!(
            "copy operation does not apply: doc is missing from path: {}: missing value",
            c.from
        ),
    };
    PatchError::ApplyJsonPatch {
        operation: failed,
        message,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Applies an RFC 7386 merge patch: `null` deletes, objects merge, everything else replaces.
pub fn merge_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    if patch.is_null() {
        return Err(PatchError::MergePatchNull);
    }
    let mut out = doc.clone();
    json_patch::merge(&mut out, patch);
    Ok(out)
}

/// Applies a strategic merge patch to an object of kind `(group, kind)`.
pub fn strategic_merge_patch(doc: &Value, patch: &Value, kind: (&str, &str)) -> Result<Value, PatchError> {
    let Value::Object(p) = patch else {
        return Err(PatchError::DecodeStrategicPatch {
            found: json_kind(patch),
        });
    };
    let original = doc.as_object().cloned().unwrap_or_default();
    let merged = strategic::merge_map(original, p.clone(), Schema::root(kind.0, kind.1))?;
    Ok(Value::Object(merged))
}

#[cfg(test)]
mod tests;
