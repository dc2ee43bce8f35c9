//! TEMP stand-in
use serde_json::Value;
use crate::ApiError;
#[derive(Debug)] pub struct ApplyError;
impl From<ApplyError> for ApiError { fn from(_: ApplyError) -> Self { ApiError::BadRequest("apply".into()) } }
pub fn record_update(_old: Option<&Value>, _new: &mut Value, _m: &str, _s: Option<&str>, _av: &str, _now: &str) {}
pub fn apply(live: Option<&Value>, applied: &Value, _m: &str, _f: bool, _k: (&str, &str), _av: &str, _now: &str) -> Result<Value, ApplyError> { let mut d = live.cloned().unwrap_or(Value::Object(Default::default())); json_patch::merge(&mut d, applied); Ok(d) }
