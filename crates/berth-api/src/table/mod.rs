//! Server-side `meta.k8s.io/v1` Tables: each kind's columns and cells as upstream's
//! `pkg/printers/internalversion/printers.go` (1.32) prints them, for `kubectl get`.
//!
//! Time is a parameter (`now`); nothing here reads the clock.

mod columns;
mod duration;
mod event;
mod pod;
mod printers;

use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::resource::ResourceInfo;

pub use duration::human_duration;

/// What each row's `object` holds (`?includeObject=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// `object: null`.
    None,
    /// A `PartialObjectMetadata` with the object's metadata (the default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses the query value; `None` for anything upstream would reject.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "Metadata" => Some(IncludeObject::Metadata),
            "None" => Some(IncludeObject::None),
            "Object" => Some(IncludeObject::Object),
            _ => None,
        }
    }
}

/// The kind's `columnDefinitions` (name, type, format, description, priority).
pub fn column_definitions(info: &ResourceInfo) -> Vec<Value> {
    columns::for_kind(info)
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.kind,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect()
}

/// One row's cells, in column order.
pub fn cells(info: &ResourceInfo, obj: &Value, now: Timestamp) -> Vec<Value> {
    printers::row(info, obj, now).cells
}

/// A whole Table for `objs`; `list_metadata` becomes the Table's `metadata` (resourceVersion,
/// continue). Without column definitions (watch events after the first) `columnDefinitions` is null.
pub fn table(
    info: &ResourceInfo,
    objs: &[Value],
    include: IncludeObject,
    list_metadata: Value,
    now: Timestamp,
    with_column_definitions: bool,
) -> Value {
    let rows: Vec<Value> = objs
        .iter()
        .map(|obj| {
            let row = printers::row(info, obj, now);
            let mut out = Map::new();
            out.insert("cells".into(), Value::Array(row.cells));
            if let Some(conditions) = row.conditions {
                out.insert("conditions".into(), conditions);
            }
            out.insert("object".into(), row_object(obj, include));
            Value::Object(out)
        })
        .collect();
    let columns = if with_column_definitions {
        Value::Array(column_definitions(info))
    } else {
        Value::Null
    };
    let metadata = if list_metadata.is_object() {
        list_metadata
    } else {
        json!({})
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn row_object(obj: &Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => obj.clone(),
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }),
    }
}

#[cfg(test)]
mod tests;
