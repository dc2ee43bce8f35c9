//! Request handling: one entry point that routes, authenticates and dispatches to the verb handlers.

mod read;
pub mod rendered;
mod sub;
mod watch;
mod write;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use berth_api::ApiError;
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};

use crate::discovery;
use crate::query::{self, Output, Query};
use crate::route::{self, Health, ResourceRoute, Route};
use crate::server::{Api, Peer};

/// Largest request body accepted, as upstream (3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// What every handler gets.
pub struct Ctx {
    pub api: Arc<Api>,
    pub method: Method,
    pub query: Query,
    pub output: Output,
    pub content_type: Option<String>,
    pub user_agent: String,
}

/// A JSON response.
pub fn json_response(code: StatusCode, body: &Value) -> Response {
    raw_json(code, Bytes::from(serde_json::to_vec(body).unwrap_or_default()))
}

/// A response from bytes that are already JSON.
pub fn raw_json(code: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// The one place an [`ApiError`] becomes an HTTP response.
pub fn error_response(e: &ApiError) -> Response {
    let code = StatusCode::from_u16(e.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(code, &e.to_status())
}

fn text(code: StatusCode, s: &'static str) -> Response {
    let mut r = Response::new(Body::from(s));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Adds `Warning:` headers as upstream does (`299 - "message"`).
pub fn with_warnings(mut r: Response, warnings: &[String]) -> Response {
    for w in warnings {
        let v = format!("299 - \"{}\"", w.replace('"', "'"));
        if let Ok(h) = HeaderValue::from_str(&v) {
            r.headers_mut().append(header::WARNING, h);
        }
    }
    r
}

/// The axum fallback handler: everything comes through here.
pub async fn dispatch(State(api): State<Arc<Api>>, req: Request) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = dispatch_inner(api.clone(), req).await;
    api.metrics.observe(&method, resp.status().as_u16(), started.elapsed());
    tracing::debug!(%method, %path, code = resp.status().as_u16(), "request");
    resp
}

async fn dispatch_inner(api: Arc<Api>, req: Request) -> Response {
    let authenticated = req.extensions().get::<Peer>().is_some_and(|p| p.authenticated);
    let r = route::route(req.uri().path());
    match &r {
        Route::Version => return json_response(StatusCode::OK, &version()),
        Route::Health(h) => {
            let ok = match h {
                Health::Healthz | Health::Livez => true,
                Health::Readyz => api.is_ready(),
            };
            return if ok {
                text(StatusCode::OK, "ok")
            } else {
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "[-]bootstrap not finished\nreadyz check failed",
                )
            };
        }
        _ => {}
    }
    if !authenticated {
        return error_response(&ApiError::Unauthorized);
    }
    let headers = req.headers();
    let accept = header_value(headers, header::ACCEPT);
    let content_type = header_value(headers, header::CONTENT_TYPE);
    let user_agent = header_value(headers, header::USER_AGENT).unwrap_or_default();
    let query = match query::parse(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return error_response(&e),
    };
    match r {
        Route::Metrics => {
            let mut resp = Response::new(Body::from(api.metrics.render(&api)));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            resp
        }
        Route::CoreDiscovery | Route::GroupsDiscovery => {
            let core = r == Route::CoreDiscovery;
            if discovery::wants_aggregated(accept.as_deref()) {
                let mut resp = json_response(StatusCode::OK, &discovery::aggregated(core));
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(discovery::AGGREGATED_CONTENT_TYPE),
                );
                resp
            } else if core {
                json_response(StatusCode::OK, &discovery::legacy_core())
            } else {
                json_response(StatusCode::OK, &discovery::legacy_groups())
            }
        }
        Route::Group(g) => match discovery::legacy_group(&g) {
            Some(v) => json_response(StatusCode::OK, &v),
            None => error_response(&ApiError::NotFoundPath),
        },
        Route::ResourceList { group, version } => match discovery::resource_list(&group, &version) {
            Some(v) => json_response(StatusCode::OK, &v),
            None => error_response(&ApiError::NotFoundPath),
        },
        Route::OpenApiIndex => json_response(StatusCode::OK, &berth_api::openapi::index()),
        Route::OpenApiDoc { group, version } => {
            match tokio::task::spawn_blocking(move || berth_api::openapi::document_json(&group, &version)).await {
                Ok(Some(doc)) => {
                    let mut resp = raw_json(StatusCode::OK, Bytes::from_static(doc.as_bytes()));
                    resp.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, immutable"));
                    resp
                }
                _ => error_response(&ApiError::NotFoundPath),
            }
        }
        Route::OpenApiV2 | Route::NotFound => error_response(&ApiError::NotFoundPath),
        Route::Version | Route::Health(_) => error_response(&ApiError::NotFoundPath),
        Route::Resource(rr) => {
            let output = match query::negotiate(accept.as_deref()) {
                Ok(o) => o,
                Err(e) => return error_response(&e),
            };
            let ctx = Ctx {
                api,
                method: req.method().clone(),
                query,
                output,
                content_type,
                user_agent,
            };
            match resource(ctx, rr, req).await {
                Ok(resp) => resp,
                Err(e) => error_response(&e),
            }
        }
    }
}

fn header_value(headers: &http::HeaderMap, h: header::HeaderName) -> Option<String> {
    headers.get(h).and_then(|v| v.to_str().ok()).map(String::from)
}

/// `/version`, with minor 32 so that the kubectl dispatcher runs kubectl 1.32.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-berth",
        "gitCommit": "berth",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23 (berth is written in Rust)",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, if cfg!(target_arch = "x86_64") { "amd64" } else { std::env::consts::ARCH }),
    })
}

async fn resource(ctx: Ctx, rr: ResourceRoute, req: Request) -> Result<Response, ApiError> {
    use Method as M;
    let sub = rr.subresource.as_deref();
    if let Some(s) = sub {
        let served = rr.info.subresource(s).is_some() || (rr.info.kind == "Namespace" && s == "finalize");
        if !served {
            return Err(ApiError::NotFoundPath);
        }
    }
    match (&ctx.method, rr.name.is_some(), sub) {
        (&M::GET, false, None) if ctx.query.watch => watch::watch(&ctx, &rr).await,
        (&M::GET, false, None) => read::list(&ctx, &rr),
        (&M::GET, true, None | Some("status")) => read::get(&ctx, &rr),
        (&M::GET, true, Some("scale")) => sub::get_scale(&ctx, &rr),
        (&M::POST, false, None) => write::create(&ctx, &rr, req).await,
        (&M::POST, true, Some("binding")) => sub::binding(&ctx, &rr, req).await,
        (&M::GET | &M::POST, true, Some("log" | "exec" | "attach")) => sub::streaming(&ctx, &rr),
        (&M::PUT, true, None | Some("status") | Some("finalize")) => write::update(&ctx, &rr, req).await,
        (&M::PUT, true, Some("scale")) => sub::update_scale(&ctx, &rr, req).await,
        (&M::PATCH, true, None | Some("status")) => write::patch(&ctx, &rr, req).await,
        (&M::PATCH, true, Some("scale")) => sub::patch_scale(&ctx, &rr, req).await,
        (&M::DELETE, true, None) => write::delete(&ctx, &rr, req).await,
        (&M::DELETE, false, None) => write::delete_collection(&ctx, &rr, req).await,
        _ => Err(ApiError::MethodNotAllowed(format!(
            "the server does not allow this method on the requested resource ({} {})",
            ctx.method,
            rr.info.group_resource()
        ))),
    }
}
