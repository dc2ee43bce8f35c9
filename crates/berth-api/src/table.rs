//! TEMP stand-in
use serde_json::{json, Value};
use crate::ResourceInfo;
#[derive(Clone, Copy)] pub enum IncludeObject { None, Metadata, Object }
pub fn table(_info: &ResourceInfo, objs: &[Value], _inc: IncludeObject, list_metadata: Value, _now: jiff::Timestamp, cols: bool) -> Value {
  let rows: Vec<Value> = objs.iter().map(|o| json!({"cells":[o["metadata"]["name"]], "object": {"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":o["metadata"]}})).collect();
  let mut t = json!({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":list_metadata,"rows":rows});
  if cols { t["columnDefinitions"] = json!([{"name":"Name","type":"string","format":"name","description":"","priority":0}]); } t }
