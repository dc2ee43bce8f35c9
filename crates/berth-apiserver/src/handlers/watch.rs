//! Watch streams: chunked `{"type":..,"object":..}` lines, with selectors, bookmarks and timeouts.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use berth_api::convert;
use berth_api::projection::Projection;
use berth_api::resource::ResourceInfo;
use berth_api::table;
use berth_api::ApiError;
use berth_store::{EventType, Revision, StoreError, WatchEvent, WatchStream};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::read::{include_object, partial_metadata, Filter};
use super::rendered::{self, Form, RenderCache};
use super::Ctx;
use crate::query::Output;
use crate::registry::{self, decode};
use crate::route::ResourceRoute;

/// How often a bookmark is sent when the client allows them.
const BOOKMARK_EVERY: Duration = Duration::from_secs(30);
/// Default watch length when the client gives no `timeoutSeconds` (upstream: 30–60 min).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// How one watch renders its events.
struct Encoder {
    info: &'static ResourceInfo,
    output: Output,
    include: table::IncludeObject,
    sent_columns: bool,
    /// The paths the watch's filter reads, when it filters on projections of the objects rather
    /// than on whole ones: not for Tables (their lines need the whole object anyway) nor for
    /// objects that need conversion.
    projection: Option<Arc<Projection>>,
}

impl Encoder {
    fn new(info: &'static ResourceInfo, output: Output, include: table::IncludeObject, filter: &Filter) -> Encoder {
        let projected = output != Output::Table && !convert::needs_conversion(info);
        Encoder {
            info,
            output,
            include,
            sent_columns: false,
            projection: projected.then(|| Arc::new(Projection::new(filter.paths(info)))),
        }
    }

    fn line(&mut self, kind: &str, raw: &Bytes, decoded: Option<&Value>, now: jiff::Timestamp) -> Bytes {
        if self.output == Output::Json {
            return rendered::line(kind, raw);
        }
        let owned;
        let obj = match decoded {
            Some(o) => o,
            None => {
                owned = decode(raw).unwrap_or(Value::Null);
                &owned
            }
        };
        let v = if self.output == Output::Metadata {
            partial_metadata(obj)
        } else {
            let t = table::table(
                self.info,
                std::slice::from_ref(obj),
                self.include,
                json!({"resourceVersion": berth_api::meta::resource_version(obj)}),
                now,
                !self.sent_columns,
            );
            self.sent_columns = true;
            t
        };
        rendered::line(kind, &registry::to_bytes(&v))
    }

    fn value_line(kind: &str, obj: &Value) -> Bytes {
        let mut v = serde_json::to_vec(&json!({"type": kind, "object": obj})).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    }
}

/// Which event, if any, a change means for a filtered watch (upstream's watch-cache filtering).
fn filtered_kind(ev: &WatchEvent, cur: bool, prev: bool) -> Option<&'static str> {
    match ev.kind {
        EventType::Added => cur.then_some("ADDED"),
        EventType::Deleted => (cur || prev).then_some("DELETED"),
        EventType::Modified => match (prev, cur) {
            (true, true) => Some("MODIFIED"),
            (false, true) => Some("ADDED"),
            (true, false) => Some("DELETED"),
            (false, false) => None,
        },
    }
}

fn kind_name(k: EventType) -> &'static str {
    match k {
        EventType::Added => "ADDED",
        EventType::Modified => "MODIFIED",
        EventType::Deleted => "DELETED",
    }
}

/// GET with `watch=true`.
pub async fn watch(ctx: &Ctx, rr: &ResourceRoute) -> Result<Response, ApiError> {
    let info = rr.info;
    let filter = Filter::from_ctx(ctx, info)?;
    let mut enc = Encoder::new(info, ctx.output, include_object(ctx), &filter);
    let prefix = registry::prefix(info, rr.namespace.as_deref());
    let store = &ctx.api.registry.store;
    let from = ctx.query.resource_version.as_deref().filter(|v| *v != "0");
    type Initial = Vec<(Bytes, Option<Value>)>;
    let (initial, stream, start_rev): (Initial, Result<WatchStream, StoreError>, Revision) = match from {
        None => {
            let (snap, stream) = store.list_and_watch(&prefix);
            let mut items = Vec::new();
            for (_, _, bytes) in snap.items {
                // The filter decides on a projection when the watch has one (it matches as the
                // whole object would); lines are made from the bytes, so only metadata lines
                // decode the whole object, and only for what is sent.
                let projected = enc.projection.as_ref().and_then(|p| rendered::project(p, info, &bytes));
                let (keep, obj) = match projected {
                    Some(part) => (filter.matches(info, &part), None),
                    None => {
                        let obj = registry::served(info, &bytes)?;
                        (filter.matches(info, &obj), Some(obj))
                    }
                };
                if keep {
                    items.push((registry::served_bytes(info, bytes)?, obj));
                }
            }
            (items, Ok(stream), snap.revision)
        }
        Some(v) => {
            let rev: Revision = v
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("invalid resource version: {v:?}")))?;
            (Vec::new(), store.watch(&prefix, rev), rev)
        }
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let clock = ctx.api.clock.clone();
    let api = Arc::clone(&ctx.api);
    let timeout = ctx
        .query
        .timeout_seconds
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let bookmarks = ctx.query.allow_watch_bookmarks;
    let initial_end = ctx.query.send_initial_events && bookmarks;
    let bookmark = move |rev: Revision, end: bool| {
        let mut m = json!({"resourceVersion": rev.to_string()});
        if end {
            m["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        Encoder::value_line(
            "BOOKMARK",
            &json!({"kind": info.kind, "apiVersion": info.api_version(), "metadata": m}),
        )
    };
    tokio::spawn(async move {
        let now = clock.now();
        for (bytes, obj) in &initial {
            if tx.send(Ok(enc.line("ADDED", bytes, obj.as_ref(), now))).await.is_err() {
                return;
            }
        }
        let mut last = start_rev;
        if initial_end && tx.send(Ok(bookmark(last, true))).await.is_err() {
            return;
        }
        let mut stream = match stream {
            Ok(s) => s,
            Err(e) => {
                let err = registry::store_error(info, "", e);
                let _ = tx.send(Ok(Encoder::value_line("ERROR", &err.to_status()))).await;
                return;
            }
        };
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(BOOKMARK_EVERY);
        tick.tick().await;
        loop {
            let line = tokio::select! {
                _ = &mut deadline => return,
                _ = tick.tick(), if bookmarks => Some(bookmark(last, false)),
                ev = stream.next() => match ev {
                    None => return,
                    Some(Err(e)) => {
                        let err = registry::store_error(info, "", e);
                        let _ = tx.send(Ok(Encoder::value_line("ERROR", &err.to_status()))).await;
                        return;
                    }
                    Some(Ok(ev)) => {
                        last = ev.revision;
                        render(&mut enc, &filter, &ev, &api.renders, clock.now())
                    }
                },
            };
            if let Some(line) = line {
                if tx.send(Ok(line)).await.is_err() {
                    return;
                }
            }
        }
    });
    let mut resp = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    Ok(resp)
}

/// The line a watch sends for `ev`, if any. JSON and metadata lines come from the event's shared
/// renderings (`renders`); a Table line carries this watch's column state, so it is its own. A
/// filter reads the event's shared projections to its paths when the watch has them, else the
/// whole decoded objects.
fn render(
    enc: &mut Encoder,
    filter: &Filter,
    ev: &WatchEvent,
    renders: &RenderCache,
    now: jiff::Timestamp,
) -> Option<Bytes> {
    let info = enc.info;
    let r = renders.get(info, ev);
    let served = r.served(info, ev)?;
    let kind = if filter.is_empty() {
        kind_name(ev.kind)
    } else {
        let (cur, prev) = match &enc.projection {
            Some(projection) => {
                let p = r.projected(projection);
                let cur = filter.matches(info, p.object(info, ev)?);
                (cur, p.prev(info, ev).is_some_and(|o| filter.matches(info, o)))
            }
            None => {
                let cur = filter.matches(info, r.object(info, ev)?);
                (cur, r.prev(info, ev).is_some_and(|o| filter.matches(info, o)))
            }
        };
        filtered_kind(ev, cur, prev)?
    };
    match enc.output {
        Output::Json => r.line(kind, Form::Object, info, ev),
        Output::Metadata => r.line(kind, Form::Metadata, info, ev),
        Output::Table => {
            let obj = r.object(info, ev);
            Some(enc.line(kind, served, obj, now))
        }
    }
}

#[cfg(test)]
mod tests;
