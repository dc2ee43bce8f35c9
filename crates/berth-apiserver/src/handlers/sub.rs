//! Subresources other than status: `scale`, `binding`, and the pod streams (`log`, `exec`, `attach`).

use axum::extract::Request;
use axum::response::Response;
use berth_api::patch::PatchType;
use berth_api::strategy::{self, FieldValidation};
use berth_api::{meta, ApiError};
use http::StatusCode;
use serde_json::{json, Value};

use super::write::{apply_patch, body_bytes, parse_body, patch_type};
use super::{json_response, Ctx};
use crate::registry;
use crate::route::ResourceRoute;

fn name(rr: &ResourceRoute) -> &str {
    rr.name.as_deref().unwrap_or_default()
}

/// GET `.../scale`.
pub fn get_scale(ctx: &Ctx, rr: &ResourceRoute) -> Result<Response, ApiError> {
    let (_, obj) = ctx.api.registry.get(rr.info, rr.namespace.as_deref(), name(rr))?;
    Ok(json_response(StatusCode::OK, &strategy::scale_of(&obj)?))
}

/// Writes `spec.replicas` from a Scale computed from the current object by `f`.
async fn write_scale<F>(ctx: &Ctx, rr: &ResourceRoute, mut f: F) -> Result<Response, ApiError>
where
    F: FnMut(&Value) -> Result<Value, ApiError>,
{
    let info = rr.info;
    let n = name(rr).to_string();
    let stored = ctx
        .api
        .registry
        .update_with(info, rr.namespace.as_deref(), &n, ctx.query.dry_run, |cur| {
            let scale = f(&strategy::scale_of(cur)?)?;
            let rv = meta::resource_version(&scale);
            if !rv.is_empty() && rv != meta::resource_version(cur) {
                return Err(registry::conflict(info, &n));
            }
            let new = strategy::apply_scale(cur, &scale)?;
            let mut p = strategy::prepare_update_gated(
                info,
                new,
                cur,
                FieldValidation::Ignore,
                ctx.api.clock.now(),
                ctx.api.features,
            )?;
            berth_api::managedfields::record_update(
                Some(cur),
                &mut p.object,
                ctx.query.field_manager.as_deref().unwrap_or("unknown"),
                Some("scale"),
                &info.api_version(),
                &crate::clock::format(ctx.api.clock.now()),
            );
            Ok(p.object)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &strategy::scale_of(&stored)?))
}

/// PUT `.../scale`.
pub async fn update_scale(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let body = parse_body(ctx, &body_bytes(req).await?)?;
    write_scale(ctx, rr, |_| Ok(body.clone())).await
}

/// PATCH `.../scale` (merge, JSON or strategic; the Scale type has no lists to merge).
pub async fn patch_scale(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let ty = match patch_type(ctx)? {
        PatchType::Apply | PatchType::Strategic => PatchType::Merge,
        other => other,
    };
    let body = parse_body(ctx, &body_bytes(req).await?)?;
    write_scale(ctx, rr, |scale| apply_patch(rr.info, ty, scale, &body)).await
}

/// POST `pods/{name}/binding`: assigns the pod to a node, once.
pub async fn binding(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let body = parse_body(ctx, &body_bytes(req).await?)?;
    let node = body
        .pointer("/target/name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("binding target.name is required".into()))?
        .to_string();
    let pod = name(rr).to_string();
    ctx.api
        .registry
        .update_bytes(rr.info, rr.namespace.as_deref(), &pod, ctx.query.dry_run, |cur| {
            if meta::is_deleting(cur) {
                return Err(ApiError::Conflict {
                    target: registry::target(rr.info, &pod),
                    detail: format!("pod {pod} is being deleted, cannot be assigned to a host"),
                });
            }
            let current = cur.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
            if !current.is_empty() {
                return Err(ApiError::Conflict {
                    target: registry::target(rr.info, &pod),
                    detail: format!("pod {pod} is already assigned to node \"{current}\""),
                });
            }
            let mut new = cur.clone();
            new["spec"]["nodeName"] = json!(node);
            let cond = json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null,
                "lastTransitionTime": crate::clock::format(ctx.api.clock.now())});
            let conds = new["status"]["conditions"].as_array().cloned().unwrap_or_default();
            let mut conds: Vec<Value> = conds.into_iter().filter(|c| c["type"] != "PodScheduled").collect();
            conds.push(cond);
            new["status"]["conditions"] = Value::Array(conds);
            Ok(new)
        })
        .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// `log`, `exec`, `attach`: served by the node agent, which this build does not run yet.
pub fn streaming(ctx: &Ctx, rr: &ResourceRoute) -> Result<Response, ApiError> {
    let (_, pod) = ctx.api.registry.get(rr.info, rr.namespace.as_deref(), name(rr))?;
    let node = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
    let what = rr.subresource.as_deref().unwrap_or_default();
    if node.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "pod {} does not have a host assigned",
            meta::name(&pod)
        )));
    }
    Err(ApiError::BadRequest(format!(
        "{what} is not available for pod {} in {}: node {node} has no node agent that serves container streams (berth runs without a real pod runtime yet)",
        meta::name(&pod),
        meta::namespace(&pod)
    )))
}
