//! GET of one object and of lists, in JSON, Table or PartialObjectMetadata form.

use axum::response::Response;
use base64::Engine as _;
use berth_api::resource::ResourceInfo;
use berth_api::selector::{FieldSelector, LabelSelector};
use berth_api::table::{self, IncludeObject};
use berth_api::{meta, ApiError};
use bytes::{BufMut, Bytes, BytesMut};
use http::StatusCode;
use serde_json::{json, Value};

use super::{json_response, raw_json, Ctx};
use crate::query::Output;
use crate::registry::{self, decode};

use crate::route::ResourceRoute;

/// Label and field selectors of a list or watch.
pub struct Filter {
    label: Option<LabelSelector>,
    field: Option<FieldSelector>,
}

impl Filter {
    pub fn from_ctx(ctx: &Ctx, info: &ResourceInfo) -> Result<Filter, ApiError> {
        let label = match ctx.query.label_selector.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(LabelSelector::parse(s)?),
            None => None,
        };
        let field = match ctx.query.field_selector.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => {
                let f = FieldSelector::parse(s)?;
                f.validate_for(info)?;
                Some(f)
            }
            None => None,
        };
        Ok(Filter { label, field })
    }

    /// The filter of parsed selectors (`from_ctx` parses and checks them).
    #[cfg(test)]
    pub fn new(label: Option<LabelSelector>, field: Option<FieldSelector>) -> Filter {
        Filter { label, field }
    }

    pub fn is_empty(&self) -> bool {
        self.label.is_none() && self.field.is_none()
    }

    pub fn matches(&self, info: &ResourceInfo, obj: &Value) -> bool {
        let no_labels = serde_json::Map::new();
        let labels = meta::metadata(obj)
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .unwrap_or(&no_labels);
        self.label.as_ref().is_none_or(|l| l.matches(labels))
            && self.field.as_ref().is_none_or(|f| f.matches(info, obj))
    }

    /// The dotted paths of `info`'s objects that [`Filter::matches`] reads: an object projected to
    /// them (`berth_api::projection`) matches as the whole object does.
    pub fn paths(&self, info: &ResourceInfo) -> Vec<&'static str> {
        let mut paths = self.field.as_ref().map(|f| f.paths(info)).unwrap_or_default();
        if self.label.is_some() {
            paths.push("metadata.labels");
        }
        paths
    }
}

/// `includeObject` for Tables.
pub fn include_object(ctx: &Ctx) -> IncludeObject {
    match ctx.query.include_object.as_deref() {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

/// `PartialObjectMetadata` of an object.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// GET of one object (or its status).
pub fn get(ctx: &Ctx, rr: &ResourceRoute) -> Result<Response, ApiError> {
    let name = rr.name.as_deref().unwrap_or_default();
    let Some((_, bytes)) = ctx.api.registry.get_raw(rr.info, rr.namespace.as_deref(), name)? else {
        return Err(ApiError::NotFound(registry::target(rr.info, name)));
    };
    match ctx.output {
        Output::Json => Ok(raw_json(StatusCode::OK, bytes)),
        Output::Metadata => Ok(json_response(StatusCode::OK, &partial_metadata(&decode(&bytes)?))),
        Output::Table => {
            let obj = decode(&bytes)?;
            let t = table::table(
                rr.info,
                &[obj],
                include_object(ctx),
                json!({"resourceVersion": ""}),
                ctx.api.clock.now(),
                true,
            );
            Ok(json_response(StatusCode::OK, &t))
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: u64,
    start: String,
}

fn encode_continue(rv: u64, last_key: &str) -> String {
    let t = ContinueToken {
        v: "meta.k8s.io/v1".into(),
        rv,
        start: last_key.to_string(),
    };
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

fn decode_continue(s: &str) -> Result<ContinueToken, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice::<ContinueToken>(&b).ok())
        .ok_or_else(|| ApiError::BadRequest(format!("continue key is not valid: {s:?}")))
}

/// GET of a list.
pub fn list(ctx: &Ctx, rr: &ResourceRoute) -> Result<Response, ApiError> {
    let info = rr.info;
    let filter = Filter::from_ctx(ctx, info)?;
    let start = match &ctx.query.continue_token {
        Some(t) => Some(decode_continue(t)?.start),
        None => None,
    };
    let prefix = registry::prefix(info, rr.namespace.as_deref());
    let store = &ctx.api.registry.store;
    // Without a selector a page is exactly the next `limit` keys: take just those from the
    // store (O(limit), not a copy of every item). With one, take everything after the continue
    // key in one snapshot and filter it.
    let (snap, more_in_store) = match ctx.query.limit {
        Some(n) if filter.is_empty() => store.list_page(&prefix, start.as_deref(), n),
        _ => (store.list_page(&prefix, start.as_deref(), 0).0, false),
    };
    let limit = ctx.query.limit.unwrap_or(usize::MAX);
    let convert = berth_api::convert::needs_conversion(info);
    let mut picked: Vec<(&str, Bytes, Option<Value>)> = Vec::new();
    let mut more = false;
    for (key, _, bytes) in &snap.items {
        if start.as_deref().is_some_and(|s| key.as_str() <= s) {
            continue;
        }
        let (bytes, decoded) = if filter.is_empty() && ctx.output == Output::Json && !convert {
            (bytes.clone(), None)
        } else {
            let obj = registry::served(info, bytes)?;
            if !filter.matches(info, &obj) {
                continue;
            }
            let b = if convert {
                Bytes::from(serde_json::to_vec(&obj).unwrap_or_default())
            } else {
                bytes.clone()
            };
            (b, Some(obj))
        };
        if picked.len() == limit {
            more = true;
            break;
        }
        picked.push((key.as_str(), bytes, decoded));
    }
    more |= more_in_store;
    let mut list_meta = json!({"resourceVersion": snap.revision.to_string()});
    if more {
        if let Some((last, _, _)) = picked.last() {
            list_meta["continue"] = json!(encode_continue(snap.revision, last));
        }
    }
    match ctx.output {
        Output::Json => {
            let mut buf = BytesMut::with_capacity(64 + picked.iter().map(|p| p.1.len() + 1).sum::<usize>());
            let head = json!({"kind": info.list_kind(), "apiVersion": info.api_version(), "metadata": list_meta});
            let head = serde_json::to_vec(&head).unwrap_or_default();
            // Splice the items into the list header: `{...,"items":[a,b]}`.
            buf.put_slice(&head[..head.len() - 1]);
            buf.put_slice(b",\"items\":[");
            for (i, (_, bytes, _)) in picked.iter().enumerate() {
                if i > 0 {
                    buf.put_u8(b',');
                }
                buf.put_slice(bytes);
            }
            buf.put_slice(b"]}");
            Ok(raw_json(StatusCode::OK, buf.freeze()))
        }
        Output::Metadata => {
            let items: Vec<Value> = picked
                .iter()
                .filter_map(|p| p.2.as_ref())
                .map(partial_metadata)
                .collect();
            Ok(json_response(
                StatusCode::OK,
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "items": items}),
            ))
        }
        Output::Table => {
            let objs: Vec<Value> = picked.into_iter().filter_map(|p| p.2).collect();
            let t = table::table(info, &objs, include_object(ctx), list_meta, ctx.api.clock.now(), true);
            Ok(json_response(StatusCode::OK, &t))
        }
    }
}
