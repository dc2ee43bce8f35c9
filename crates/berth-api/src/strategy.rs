//! TEMP stand-in
use serde_json::Value;
use crate::{ApiError, ResourceInfo};
#[derive(Clone, Copy, Debug, PartialEq, Eq)] pub enum FieldValidation { Ignore, Warn, Strict }
pub struct Prepared { pub object: Value, pub warnings: Vec<String> }
pub enum Propagation { Orphan, Background, Foreground }
fn fill(info: &ResourceInfo, mut body: Value) -> Value { body["apiVersion"] = info.api_version().into(); body["kind"] = info.kind.into(); body }
pub fn prepare_create(info: &ResourceInfo, body: Value, _fv: FieldValidation) -> Result<Prepared, ApiError> { Ok(Prepared { object: fill(info, body), warnings: vec![] }) }
pub fn prepare_update(info: &ResourceInfo, body: Value, _old: &Value, _fv: FieldValidation) -> Result<Prepared, ApiError> { Ok(Prepared { object: fill(info, body), warnings: vec![] }) }
pub fn prepare_status_update(info: &ResourceInfo, body: Value, _old: &Value, _fv: FieldValidation) -> Result<Prepared, ApiError> { Ok(Prepared { object: fill(info, body), warnings: vec![] }) }
pub fn graceful_delete_period(_info: &ResourceInfo, _obj: &Value, requested: Option<i64>) -> Option<i64> { requested }
pub fn default_gc_policy(_info: &ResourceInfo) -> Propagation { Propagation::Background }
pub fn scale_of(obj: &Value) -> Result<Value, ApiError> { Ok(serde_json::json!({"kind":"Scale","apiVersion":"autoscaling/v1","metadata":obj["metadata"].clone(),"spec":{"replicas":obj["spec"]["replicas"]},"status":{"replicas":0,"selector":""}})) }
pub fn apply_scale(obj: &Value, scale: &Value) -> Result<Value, ApiError> { let mut o = obj.clone(); o["spec"]["replicas"] = scale["spec"]["replicas"].clone(); Ok(o) }
