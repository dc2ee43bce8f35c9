//! POST, PUT, PATCH and DELETE of objects.

use axum::extract::Request;
use axum::response::Response;
use berth_api::managedfields;
use berth_api::patch::{self, PatchType};
use berth_api::protobuf;
use berth_api::resource::ResourceInfo;
use berth_api::strategy::{self, FieldValidation, Prepared};
use berth_api::{meta, ApiError, Cause};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::read::Filter;
use super::{json_response, raw_json, with_warnings, Ctx, MAX_BODY};
use crate::clock;
use crate::registry::{self, DeleteOptions, Deleted, Propagation};
use crate::route::ResourceRoute;

/// Reads the request body, at most 3 MiB.
pub async fn body_bytes(req: Request) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| ApiError::RequestEntityTooLarge(format!("Request entity too large: limit is {MAX_BODY}")))
}

/// Parses a request body into an object: JSON, YAML or protobuf for POST and PUT, one of the
/// patch media types (already checked by [`patch_type`]) for PATCH; anything else is 415, as
/// upstream. Warnings about protobuf fields berth does not know are logged.
pub fn parse_body(ctx: &Ctx, bytes: &[u8]) -> Result<Value, ApiError> {
    let (v, warnings) = parse_body_warned(ctx, bytes)?;
    for w in &warnings {
        tracing::warn!(user_agent = %ctx.user_agent, "{w}");
    }
    Ok(v)
}

/// Parses a JSON, YAML or protobuf body into an object, with warnings for the response.
fn parse_body_warned(ctx: &Ctx, bytes: &[u8]) -> Result<(Value, Vec<String>), ApiError> {
    let ct = ctx.content_type.as_deref().unwrap_or("application/json");
    let media = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let patch = if ctx.method == http::Method::PATCH {
        PatchType::from_content_type(ct)
    } else {
        None
    };
    let yaml = match (media.as_str(), patch) {
        (protobuf::MEDIA_TYPE, None) => return decode_protobuf(bytes),
        (_, Some(PatchType::Apply)) | ("application/yaml", None) => true,
        (_, Some(_)) | ("application/json" | "", None) => false,
        _ => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {ct:?})"
            )))
        }
    };
    let v: Value = if yaml {
        if yaml_flow_depth(bytes) > MAX_YAML_FLOW_DEPTH {
            return Err(ApiError::BadRequest(format!(
                "error decoding YAML: exceeded max depth of {MAX_YAML_FLOW_DEPTH}"
            )));
        }
        serde_norway::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("error decoding YAML: {e}")))?
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::BadRequest(format!("the body of the request could not be decoded as JSON: {e}")))?
    };
    Ok((v, Vec::new()))
}

/// Decodes a protobuf body; fields missing from berth's tables become warnings.
fn decode_protobuf(bytes: &[u8]) -> Result<(Value, Vec<String>), ApiError> {
    let protobuf::Decoded { object, unknown_tags } = protobuf::decode(bytes)?;
    let warnings = if unknown_tags.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "unknown protobuf fields were ignored: {}",
            unknown_tags.join(", ")
        )]
    };
    Ok((object, warnings))
}

/// Deepest `[`/`{` nesting a YAML body may have. libyaml's scanner is quadratic in flow depth
/// (100,000 levels took 95 s of CPU), and decoding stops at 128 levels anyway, so deeper
/// documents are refused before they are parsed.
const MAX_YAML_FLOW_DEPTH: usize = 1000;

/// An upper bound of the flow nesting depth of a YAML text: brackets inside scalars count too,
/// so a document is never under-estimated (quotes could otherwise hide the real nesting).
fn yaml_flow_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in bytes {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn field_validation(ctx: &Ctx, options_kind: &str) -> Result<FieldValidation, ApiError> {
    FieldValidation::parse(ctx.query.field_validation.as_deref(), options_kind)
}

/// The field manager of a request: `fieldManager=`, else the user agent's program name.
fn manager(ctx: &Ctx) -> String {
    match ctx.query.field_manager.as_deref() {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => ctx
            .user_agent
            .split('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_string(),
    }
}

fn validate_field_manager(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.query.field_manager.as_deref().is_some_and(|m| m.len() > 128) {
        return Err(ApiError::BadRequest(
            "fieldManager: Too long: may not be more than 128 bytes".into(),
        ));
    }
    Ok(())
}

fn url_name_check(info: &ResourceInfo, rr: &ResourceRoute, obj: &Value) -> Result<(), ApiError> {
    let body = meta::name(obj);
    if let Some(url) = rr.name.as_deref().filter(|u| !body.is_empty() && body != *u) {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({body}) does not match the name on the URL ({url})"
        )));
    }
    if let Some(ns) = rr.namespace.as_deref().filter(|_| info.namespaced) {
        let body_ns = meta::namespace(obj);
        if !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
    }
    Ok(())
}

/// Puts the URL's name and namespace into the body.
fn set_identity(info: &ResourceInfo, rr: &ResourceRoute, obj: &mut Value) {
    if !obj.is_object() {
        return;
    }
    let m = meta::metadata_mut(obj);
    if let Some(name) = &rr.name {
        m.insert("name".into(), json!(name));
    }
    if info.namespaced {
        if let Some(ns) = &rr.namespace {
            m.insert("namespace".into(), json!(ns));
        }
    } else {
        m.remove("namespace");
    }
}

const GENERATE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn generated_suffix() -> String {
    let id = uuid::Uuid::new_v4();
    id.as_bytes()[..5]
        .iter()
        .map(|b| GENERATE_ALPHABET[*b as usize % GENERATE_ALPHABET.len()] as char)
        .collect()
}

/// POST.
pub async fn create(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let info = rr.info;
    if info.namespaced && rr.namespace.is_none() {
        return Err(ApiError::MethodNotAllowed(format!(
            "the server does not allow this method on the requested resource ({})",
            info.group_resource()
        )));
    }
    let fv = field_validation(ctx, "CreateOptions")?;
    let (mut body, body_warnings) = object_body(ctx, rr, req).await?;
    if !meta::resource_version(&body).is_empty() {
        return Err(ApiError::BadRequest(
            "resourceVersion should not be set on objects to be created".into(),
        ));
    }
    if meta::name(&body).is_empty() {
        let gen = meta::meta_str(&body, "generateName").to_string();
        if !gen.is_empty() {
            let name = format!("{gen}{}", generated_suffix());
            meta::metadata_mut(&mut body).insert("name".into(), json!(name));
        }
    }
    if let Some(ns) = rr.namespace.as_deref().filter(|_| info.namespaced) {
        ctx.api.registry.check_namespace_open(ns)?;
    }
    let Prepared {
        object: mut obj,
        warnings,
    } = strategy::prepare_create_gated(info, body, fv, ctx.api.clock.now(), ctx.api.features)?;
    let warnings = [body_warnings, warnings].concat();
    let now = ctx.api.clock.now();
    {
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(clock::format(now)));
        m.remove("deletionTimestamp");
        m.remove("deletionGracePeriodSeconds");
    }
    if info.kind == "Service" {
        ctx.api.services.allocate(&mut obj)?;
    }
    managedfields::record_update(
        None,
        &mut obj,
        &manager(ctx),
        None,
        &info.api_version(),
        &clock::format(now),
    );
    let stored = store_created(ctx, info, obj).await?;
    Ok(with_warnings(raw_json(StatusCode::CREATED, stored), &warnings))
}

/// Stores a new object. A Service's cluster IP, reserved before this, goes back to the pool
/// when nothing gets stored (a dry run, or a create that failed).
async fn store_created(ctx: &Ctx, info: &'static ResourceInfo, obj: Value) -> Result<Bytes, ApiError> {
    let mut obj = obj;
    crate::admission::admit_create(&ctx.api.registry, info, &mut obj);
    let service = (info.kind == "Service").then(|| obj.clone());
    let stored = if ctx.query.dry_run {
        let created = ctx.api.registry.create(info, obj, true).await;
        created.map(|v| Bytes::from(serde_json::to_vec(&v).unwrap_or_default()))
    } else {
        ctx.api.registry.create_bytes(info, obj).await
    };
    if ctx.query.dry_run || stored.is_err() {
        if let Some(svc) = &service {
            ctx.api.services.release(svc);
        }
    }
    stored
}

/// Which strategy an update goes through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Main,
    Status,
    Finalize,
}

fn part(rr: &ResourceRoute) -> Part {
    match rr.subresource.as_deref() {
        Some("status") => Part::Status,
        Some("finalize") => Part::Finalize,
        _ => Part::Main,
    }
}

/// Prepares `new` as an update of `old` through `part`, keeping the system-owned metadata.
/// Whether the write records an `Update` entry in managedFields (server-side apply records its own).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ownership {
    RecordUpdate,
    AlreadyRecorded,
}

fn prepare(
    ctx: &Ctx,
    info: &ResourceInfo,
    part: Part,
    new: Value,
    old: &Value,
    fv: FieldValidation,
    ownership: Ownership,
) -> Result<Prepared, ApiError> {
    let mut new = new;
    if let (Some(nm), Some(om)) = (
        new.get_mut("metadata").and_then(Value::as_object_mut),
        meta::metadata(old),
    ) {
        for k in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            match om.get(k) {
                Some(v) => nm.insert(k.into(), v.clone()),
                None => nm.remove(k),
            };
        }
    }
    let mut prepared = match part {
        Part::Main => strategy::prepare_update_gated(info, new, old, fv, ctx.api.clock.now(), ctx.api.features)?,
        Part::Status => strategy::prepare_status_update(info, new, old, fv, ctx.api.clock.now())?,
        Part::Finalize => {
            // Only spec.finalizers may change through /finalize.
            let mut obj = old.clone();
            obj["spec"]["finalizers"] = new.pointer("/spec/finalizers").cloned().unwrap_or(json!([]));
            Prepared {
                object: obj,
                warnings: Vec::new(),
            }
        }
    };
    if ownership == Ownership::AlreadyRecorded {
        return Ok(prepared);
    }
    let now = clock::format(ctx.api.clock.now());
    let sub = match part {
        Part::Main => None,
        Part::Status => Some("status"),
        Part::Finalize => Some("finalize"),
    };
    managedfields::record_update(
        Some(old),
        &mut prepared.object,
        &manager(ctx),
        sub,
        &info.api_version(),
        &now,
    );
    Ok(prepared)
}

/// The body of a POST or PUT: an object whose name and namespace agree with the URL, which are
/// then written into it; with the warnings its decoding produced.
async fn object_body(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<(Value, Vec<String>), ApiError> {
    validate_field_manager(ctx)?;
    let bytes = body_bytes(req).await?;
    let (mut body, warnings) = parse_body_warned(ctx, &bytes)?;
    if !body.is_object() {
        return Err(ApiError::BadRequest(
            "the body of the request must be a JSON object".into(),
        ));
    }
    url_name_check(rr.info, rr, &body)?;
    set_identity(rr.info, rr, &mut body);
    Ok((body, warnings))
}

/// PUT of an object, its status, or a namespace's finalizers.
pub async fn update(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let info = rr.info;
    let fv = field_validation(ctx, "UpdateOptions")?;
    let (body, body_warnings) = object_body(ctx, rr, req).await?;
    let name = rr.name.as_deref().unwrap_or_default();
    let wanted_rv = meta::resource_version(&body).to_string();
    let mut warnings = Vec::new();
    let stored = write_loop(ctx, rr, |old| {
        if !wanted_rv.is_empty() && wanted_rv != meta::resource_version(old) {
            return Err(registry::conflict(info, name));
        }
        let p = prepare(ctx, info, part(rr), body.clone(), old, fv, Ownership::RecordUpdate)?;
        warnings = p.warnings;
        Ok(p.object)
    })
    .await?;
    let warnings = [body_warnings, warnings].concat();
    Ok(with_warnings(raw_json(StatusCode::OK, stored), &warnings))
}

/// Read-modify-write of the object named by `rr`; conflicts retry, other errors end it.
/// Answers with the stored object's JSON.
async fn write_loop<F>(ctx: &Ctx, rr: &ResourceRoute, f: F) -> Result<Bytes, ApiError>
where
    F: FnMut(&Value) -> Result<Value, ApiError>,
{
    let name = rr.name.as_deref().unwrap_or_default();
    ctx.api
        .registry
        .update_bytes(rr.info, rr.namespace.as_deref(), name, ctx.query.dry_run, f)
        .await
}

/// Applies a non-apply patch of `ty` to `cur`.
pub fn apply_patch(info: &ResourceInfo, ty: PatchType, cur: &Value, patch_body: &Value) -> Result<Value, ApiError> {
    let out = match ty {
        PatchType::Json => patch::json_patch(cur, patch_body)?,
        PatchType::Merge => patch::merge_patch(cur, patch_body)?,
        PatchType::Strategic => patch::strategic_merge_patch(cur, patch_body, (info.group, info.kind))?,
        PatchType::Apply => return Err(ApiError::Internal("apply is not a plain patch".into())),
    };
    Ok(out)
}

/// The patch type of a request, or 415.
pub fn patch_type(ctx: &Ctx) -> Result<PatchType, ApiError> {
    ctx.content_type
        .as_deref()
        .and_then(PatchType::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {:?})",
                ctx.content_type.as_deref().unwrap_or("")
            ))
        })
}

/// PATCH of an object or its status.
pub async fn patch(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let info = rr.info;
    validate_field_manager(ctx)?;
    let ty = patch_type(ctx)?;
    let fv = field_validation(ctx, "PatchOptions")?;
    let bytes = body_bytes(req).await?;
    let body = parse_body(ctx, &bytes)?;
    let name = rr.name.as_deref().unwrap_or_default().to_string();
    if ty == PatchType::Apply {
        if ctx.query.field_manager.as_deref().unwrap_or("").is_empty() {
            return Err(ApiError::BadRequest(
                "PATCH, application/apply-patch+yaml requests must supply fieldManager".into(),
            ));
        }
        if !body.is_object() {
            return Err(ApiError::BadRequest(
                "the body of the request must be a YAML or JSON object".into(),
            ));
        }
        url_name_check(info, rr, &body)?;
        let exists = ctx.api.registry.exists(info, rr.namespace.as_deref(), &name);
        if !exists && part(rr) == Part::Main {
            return apply_create(ctx, rr, body, fv).await;
        }
    } else if ctx.query.force {
        return Err(ApiError::BadRequest(
            "force may not be set for non-apply patch requests".into(),
        ));
    }
    let mut warnings = Vec::new();
    let stored = write_loop(ctx, rr, |cur| {
        let mut patched = if ty == PatchType::Apply {
            let mut applied = body.clone();
            set_identity(info, rr, &mut applied);
            managedfields::apply(
                Some(cur),
                &applied,
                &manager(ctx),
                ctx.query.force,
                (info.group, info.kind),
                &info.api_version(),
                &clock::format(ctx.api.clock.now()),
            )?
        } else {
            apply_patch(info, ty, cur, &body)?
        };
        if !patched.is_object() {
            return Err(ApiError::BadRequest("the patched object is not a JSON object".into()));
        }
        set_identity(info, rr, &mut patched);
        // A resourceVersion in the patch is a precondition.
        let rv = meta::resource_version(&patched);
        if !rv.is_empty() && rv != meta::resource_version(cur) {
            return Err(registry::conflict(info, &name));
        }
        let ownership = if ty == PatchType::Apply {
            Ownership::AlreadyRecorded
        } else {
            Ownership::RecordUpdate
        };
        let p = prepare(ctx, info, part(rr), patched, cur, fv, ownership)?;
        warnings = p.warnings;
        Ok(p.object)
    })
    .await?;
    Ok(with_warnings(raw_json(StatusCode::OK, stored), &warnings))
}

/// Server-side apply of an object that does not exist yet: a create.
async fn apply_create(ctx: &Ctx, rr: &ResourceRoute, body: Value, fv: FieldValidation) -> Result<Response, ApiError> {
    let info = rr.info;
    let mut applied = body;
    set_identity(info, rr, &mut applied);
    if let Some(ns) = rr.namespace.as_deref().filter(|_| info.namespaced) {
        ctx.api.registry.check_namespace_open(ns)?;
    }
    let now = ctx.api.clock.now();
    let merged = managedfields::apply(
        None,
        &applied,
        &manager(ctx),
        ctx.query.force,
        (info.group, info.kind),
        &info.api_version(),
        &clock::format(now),
    )?;
    let managed = merged.pointer("/metadata/managedFields").cloned();
    let Prepared {
        object: mut obj,
        warnings,
    } = strategy::prepare_create_gated(info, merged, fv, now, ctx.api.features)?;
    {
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(clock::format(now)));
        if let Some(mf) = managed {
            m.insert("managedFields".into(), mf);
        }
    }
    if info.kind == "Service" {
        ctx.api.services.allocate(&mut obj)?;
    }
    let stored = store_created(ctx, info, obj).await?;
    Ok(with_warnings(raw_json(StatusCode::CREATED, stored), &warnings))
}

/// DeleteOptions from the body and the query.
fn delete_options(ctx: &Ctx, info: &ResourceInfo, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else if body.starts_with(protobuf::MAGIC) {
        // kubectl's typed clients send DeleteOptions in protobuf.
        let (v, warnings) = decode_protobuf(body)?;
        for w in &warnings {
            tracing::warn!(user_agent = %ctx.user_agent, "{w}");
        }
        v
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("error decoding DeleteOptions: {e}")))?
    };
    let mut opts = DeleteOptions {
        dry_run: ctx.query.dry_run
            || v.get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x == "All")),
        grace_period_seconds: v
            .get("gracePeriodSeconds")
            .and_then(Value::as_i64)
            .or(ctx.query.grace_period_seconds),
        precondition_uid: v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(String::from),
        precondition_resource_version: v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(String::from),
        propagation: None,
    };
    let policy = v
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| ctx.query.propagation_policy.clone());
    let orphan = v
        .get("orphanDependents")
        .and_then(Value::as_bool)
        .or(ctx.query.orphan_dependents);
    opts.propagation = match (policy.as_deref(), orphan) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Invalid {
                target: registry::target(info, ""),
                causes: vec![Cause::invalid(
                    "propagationPolicy",
                    &json!(policy),
                    "orphanDependents and deletionPropagation cannot be both set",
                )],
            })
        }
        (Some("Orphan"), _) => Some(Propagation::Orphan),
        (Some("Background"), _) => Some(Propagation::Background),
        (Some("Foreground"), _) => Some(Propagation::Foreground),
        (Some(other), _) => {
            return Err(ApiError::Invalid {
                target: registry::target(info, ""),
                causes: vec![Cause::not_supported(
                    "propagationPolicy",
                    &json!(other),
                    &["Foreground", "Background", "Orphan", "nil"],
                )],
            })
        }
        (None, Some(true)) => Some(Propagation::Orphan),
        (None, Some(false)) => Some(Propagation::Background),
        (None, None) => match strategy::default_gc_policy(info) {
            strategy::Propagation::Orphan => Some(Propagation::Orphan),
            _ => None,
        },
    };
    Ok(opts)
}

fn deleted_response(info: &ResourceInfo, d: Deleted) -> Response {
    match d {
        Deleted::Pending(obj) => json_response(StatusCode::OK, &obj),
        Deleted::Gone(obj) if info.kind == "Pod" => json_response(StatusCode::OK, &obj),
        Deleted::Gone(obj) => json_response(
            StatusCode::OK,
            &berth_api::status::success_status(info.group, info.plural, meta::name(&obj), meta::uid(&obj)),
        ),
    }
}

/// DELETE of one object.
pub async fn delete(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let bytes = body_bytes(req).await?;
    let opts = delete_options(ctx, rr.info, &bytes)?;
    let name = rr.name.as_deref().unwrap_or_default();
    if rr.info.kind == "Namespace" && matches!(name, "default" | "kube-system" | "kube-public") {
        return Err(ApiError::Forbidden(format!(
            "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
        )));
    }
    let d = ctx
        .api
        .registry
        .delete(rr.info, rr.namespace.as_deref(), name, &opts)
        .await?;
    release_deleted_ip(ctx, rr.info, &opts, &d);
    Ok(deleted_response(rr.info, d))
}

/// A Service removed from the store gives its cluster IP back.
fn release_deleted_ip(ctx: &Ctx, info: &ResourceInfo, opts: &DeleteOptions, d: &Deleted) {
    if let (Deleted::Gone(svc), "Service", false) = (d, info.kind, opts.dry_run) {
        ctx.api.services.release(svc);
    }
}

/// DELETE of a collection (with selectors).
pub async fn delete_collection(ctx: &Ctx, rr: &ResourceRoute, req: Request) -> Result<Response, ApiError> {
    let info = rr.info;
    let bytes = body_bytes(req).await?;
    let opts = delete_options(ctx, info, &bytes)?;
    let filter = Filter::from_ctx(ctx, info)?;
    let snap = ctx
        .api
        .registry
        .store
        .list(&registry::prefix(info, rr.namespace.as_deref()));
    let mut items = Vec::new();
    for (_, _, b) in snap.items {
        let obj = registry::served(info, &b)?;
        if !filter.matches(info, &obj) {
            continue;
        }
        let ns = meta::namespace(&obj).to_string();
        match ctx
            .api
            .registry
            .delete(
                info,
                Some(&ns).filter(|n| !n.is_empty()).map(String::as_str),
                meta::name(&obj),
                &opts,
            )
            .await
        {
            Ok(d) => {
                release_deleted_ip(ctx, info, &opts, &d);
                let (Deleted::Gone(o) | Deleted::Pending(o)) = d;
                items.push(o);
            }
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"kind": info.list_kind(), "apiVersion": info.api_version(), "metadata": {"resourceVersion": ctx.api.registry.store.revision().to_string()}, "items": items}),
    ))
}
