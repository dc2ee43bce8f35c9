//! TEMP stand-in
use serde_json::Value;
use crate::ApiError;
#[derive(Clone, Copy, PartialEq, Eq)] pub enum PatchType { Json, Merge, Strategic, Apply }
impl PatchType { pub fn from_content_type(ct: &str) -> Option<PatchType> { match ct.split(';').next()?.trim() { "application/json-patch+json" => Some(Self::Json), "application/merge-patch+json" => Some(Self::Merge), "application/strategic-merge-patch+json" => Some(Self::Strategic), "application/apply-patch+yaml" => Some(Self::Apply), _ => None } } }
#[derive(Debug)] pub struct PatchError(String);
impl From<PatchError> for ApiError { fn from(e: PatchError) -> Self { ApiError::BadRequest(e.0) } }
pub fn json_patch(doc: &Value, _p: &Value) -> Result<Value, PatchError> { Ok(doc.clone()) }
pub fn merge_patch(doc: &Value, p: &Value) -> Result<Value, PatchError> { let mut d = doc.clone(); json_patch::merge(&mut d, p); Ok(d) }
pub fn strategic_merge_patch(doc: &Value, p: &Value, _k: (&str, &str)) -> Result<Value, PatchError> { merge_patch(doc, p) }
