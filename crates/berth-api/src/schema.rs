//! Typed decoding of request bodies into k8s-openapi structs, with unknown-field detection.
//!
//! Objects travel as `serde_json::Value`; strategies decode them into the typed structs of
//! k8s-openapi (`v1_32`) to default and validate, then encode them back. Unknown fields are the
//! keys of the body that do not survive a typed round-trip; their paths are reported the way
//! upstream's strict decoder names them (`spec.template.spec.containers[0].foo`).

use k8s_openapi::api::{
    apps::v1 as apps, coordination::v1 as coordination, core::v1 as core, discovery::v1 as discovery,
    events::v1 as events, storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Map, Value};

use crate::resource::ResourceInfo;
use crate::status::ApiError;

macro_rules! objects {
    ($($variant:ident($ty:ty) = $group:literal, $kind:literal;)*) => {
        /// One object of a served kind, as its k8s-openapi struct.
        // Short-lived, one per request and never collected, so variant sizes do not matter.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum Object {
            $($variant($ty),)*
        }

        impl Object {
            /// Decodes `body` as the kind `info` names, passing the path of every key the type
            /// does not know to `ignored`; the error is serde's, with its path.
            fn from_value(
                info: &ResourceInfo,
                body: &Value,
                ignored: &mut dyn FnMut(serde_ignored::Path<'_>),
            ) -> Result<Option<Self>, String> {
                $(
                    if info.group == $group && info.kind == $kind {
                        return match serde_ignored::deserialize::<_, _, $ty>(body, |p| ignored(p)) {
                            Ok(v) => Ok(Some(Object::$variant(v))),
                            // Decoding again with path tracking, only to name where it failed.
                            Err(e) => Err(match serde_path_to_error::deserialize::<_, $ty>(body) {
                                Err(e) => render_path_error(&e),
                                Ok(_) => e.to_string(),
                            }),
                        };
                    }
                )*
                Ok(None)
            }

            /// The object as JSON (k8s-openapi's serialization, before upstream shaping).
            fn to_raw_value(&self) -> Value {
                let r = match self {
                    $(Object::$variant(o) => serde_json::to_value(o),)*
                };
                // Serializing these structs into a Value cannot fail: every map key is a string.
                r.unwrap_or(Value::Null)
            }

            pub fn metadata(&self) -> &ObjectMeta {
                match self {
                    $(Object::$variant(o) => &o.metadata,)*
                }
            }

            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self {
                    $(Object::$variant(o) => &mut o.metadata,)*
                }
            }
        }
    };
}

objects! {
    Namespace(core::Namespace) = "", "Namespace";
    Node(core::Node) = "", "Node";
    Pod(core::Pod) = "", "Pod";
    Service(core::Service) = "", "Service";
    Endpoints(core::Endpoints) = "", "Endpoints";
    Event(core::Event) = "", "Event";
    ConfigMap(core::ConfigMap) = "", "ConfigMap";
    Secret(core::Secret) = "", "Secret";
    ServiceAccount(core::ServiceAccount) = "", "ServiceAccount";
    PersistentVolume(core::PersistentVolume) = "", "PersistentVolume";
    PersistentVolumeClaim(core::PersistentVolumeClaim) = "", "PersistentVolumeClaim";
    StatefulSet(apps::StatefulSet) = "apps", "StatefulSet";
    ControllerRevision(apps::ControllerRevision) = "apps", "ControllerRevision";
    EndpointSlice(discovery::EndpointSlice) = "discovery.k8s.io", "EndpointSlice";
    EventsEvent(events::Event) = "events.k8s.io", "Event";
    StorageClass(storage::StorageClass) = "storage.k8s.io", "StorageClass";
    Lease(coordination::Lease) = "coordination.k8s.io", "Lease";
}

impl Object {
    /// The object as upstream's API server would render it (see [`go_shape`]).
    pub fn to_value(&self, info: &ResourceInfo) -> Value {
        let mut v = self.to_raw_value();
        go_shape(info, &mut v);
        v
    }
}

fn render_path_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        e.inner().to_string()
    } else {
        format!("{path}: {}", e.inner())
    }
}

/// `StatefulSet in version "v1" cannot be handled as a StatefulSet: <detail>`, upstream's wrapper
/// for every decoding failure.
pub fn decode_error(info: &ResourceInfo, detail: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "{} in version \"{}\" cannot be handled as a {}: {}",
        info.kind, info.version, info.kind, detail
    ))
}

/// Fills a missing `apiVersion`/`kind` from `info` and rejects ones that name another type.
pub fn check_type_meta(info: &ResourceInfo, body: &mut Value) -> Result<(), ApiError> {
    let Some(map) = body.as_object_mut() else {
        return Err(decode_error(
            info,
            "json: cannot unmarshal non-object into Go value of the object's type",
        ));
    };
    let want_av = info.api_version();
    match map.get("apiVersion") {
        None | Some(Value::Null) => {
            map.insert("apiVersion".into(), Value::String(want_av.clone()));
        }
        Some(Value::String(av)) if *av == want_av => {}
        Some(Value::String(av)) if av.is_empty() => {
            map.insert("apiVersion".into(), Value::String(want_av.clone()));
        }
        Some(Value::String(av)) => {
            return Err(ApiError::BadRequest(format!(
                "the API version in the data ({av}) does not match the expected API version ({want_av})"
            )))
        }
        Some(other) => {
            return Err(decode_error(
                info,
                &format!("apiVersion: invalid type: {}, expected a string", json_type(other)),
            ))
        }
    }
    match map.get("kind") {
        None | Some(Value::Null) => {
            map.insert("kind".into(), Value::String(info.kind.into()));
        }
        Some(Value::String(k)) if k == info.kind => {}
        Some(Value::String(k)) if k.is_empty() => {
            map.insert("kind".into(), Value::String(info.kind.into()));
        }
        Some(Value::String(k)) => {
            return Err(ApiError::BadRequest(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                info.kind
            )))
        }
        Some(other) => {
            return Err(decode_error(
                info,
                &format!("kind: invalid type: {}, expected a string", json_type(other)),
            ))
        }
    }
    Ok(())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Decodes `body` into its typed struct; returns the object and the paths of unknown fields.
///
/// `apiVersion`/`kind` are checked (and filled when missing) first.
pub fn decode_typed(info: &ResourceInfo, body: &Value) -> Result<(Object, Vec<String>), ApiError> {
    decode_typed_owned(info, body.clone())
}

/// [`decode_typed`] of a body the caller hands over (no copy of it is made).
///
/// Unknown fields are the keys the typed decoder skips, found in the same pass (no re-encoding
/// of the object to compare with the body); a skipped key whose value is `null` is an absent
/// optional field, not an unknown one.
pub fn decode_typed_owned(info: &ResourceInfo, mut body: Value) -> Result<(Object, Vec<String>), ApiError> {
    check_type_meta(info, &mut body)?;
    let mut skipped: Vec<Vec<Segment>> = Vec::new();
    let obj = match Object::from_value(info, &body, &mut |p| skipped.push(segments(&p))) {
        Ok(Some(o)) => o,
        Ok(None) => return Err(no_schema(info)),
        Err(detail) => return Err(decode_error(info, &detail)),
    };
    let unknown = skipped
        .iter()
        .filter(|path| lookup(&body, path).is_some_and(|v| !v.is_null()))
        .map(|path| path_string(path))
        .collect();
    Ok((obj, unknown))
}

/// One step of the path to a skipped key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(p: &serde_ignored::Path<'_>) -> Vec<Segment> {
    fn walk(p: &serde_ignored::Path<'_>, out: &mut Vec<Segment>) {
        use serde_ignored::Path as P;
        match p {
            P::Root => {}
            P::Seq { parent, index } => {
                walk(parent, out);
                out.push(Segment::Index(*index));
            }
            P::Map { parent, key } => {
                walk(parent, out);
                out.push(Segment::Key(key.clone()));
            }
            P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => walk(parent, out),
        }
    }
    let mut out = Vec::new();
    walk(p, &mut out);
    out
}

fn lookup<'v>(v: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, s| match s {
        Segment::Key(k) => v.get(k.as_str()),
        Segment::Index(i) => v.get(*i),
    })
}

/// Upstream's strict decoder's name of a field: `spec.template.spec.containers[0].foo`.
fn path_string(path: &[Segment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// [`decode_typed`] without the unknown-field paths, for callers that discard them (an object
/// read back from the store): no re-encoding to find them, and no copy of `body` when its
/// `apiVersion` and `kind` are already the ones `info` wants.
pub fn decode_typed_known(info: &ResourceInfo, body: &Value) -> Result<Object, ApiError> {
    let want_av = info.api_version();
    let is = |k: &str, want: &str| body.get(k).and_then(Value::as_str) == Some(want);
    if is("apiVersion", &want_av) && is("kind", info.kind) {
        return typed(info, body);
    }
    let mut body = body.clone();
    check_type_meta(info, &mut body)?;
    typed(info, &body)
}

fn typed(info: &ResourceInfo, body: &Value) -> Result<Object, ApiError> {
    match Object::from_value(info, body, &mut |_| {}) {
        Ok(Some(o)) => Ok(o),
        Ok(None) => Err(no_schema(info)),
        Err(detail) => Err(decode_error(info, &detail)),
    }
}

fn no_schema(info: &ResourceInfo) -> ApiError {
    ApiError::Internal(format!("no schema for {}/{} {}", info.group, info.version, info.kind))
}

/// Typed round-trip of `body`: the object with unknown fields dropped, and their paths.
pub fn decode(info: &ResourceInfo, body: &Value) -> Result<(Value, Vec<String>), ApiError> {
    let (obj, unknown) = decode_typed(info, body)?;
    Ok((obj.to_value(info), unknown))
}

/// Reshapes k8s-openapi's JSON into what upstream's Go encoder prints, where cheap:
/// * empty lists are dropped (Go's `omitempty` on slices);
/// * embedded `ObjectMeta` in pod templates and claim templates carries `creationTimestamp: null`;
/// * containers always carry `resources: {}`;
/// * StatefulSet claim templates carry `apiVersion: v1` and `kind: PersistentVolumeClaim`.
pub fn go_shape(info: &ResourceInfo, v: &mut Value) {
    drop_empty_lists(v);
    match (info.group, info.kind) {
        ("", "Pod") => {
            if let Some(spec) = v.get_mut("spec") {
                shape_pod_spec(spec);
            }
        }
        ("apps", "StatefulSet") => {
            if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                if let Some(t) = spec.get_mut("template") {
                    shape_template(t);
                }
                if let Some(Value::Array(vcts)) = spec.get_mut("volumeClaimTemplates") {
                    for vct in vcts {
                        shape_claim_template(vct);
                    }
                }
            }
        }
        _ => {}
    }
}

fn drop_empty_lists(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !matches!(x, Value::Array(a) if a.is_empty()));
            for x in m.values_mut() {
                drop_empty_lists(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(drop_empty_lists),
        _ => {}
    }
}

fn embedded_meta(m: &mut Map<String, Value>) {
    let meta = m.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        if !meta.contains_key("creationTimestamp") {
            // Go prints the zero metav1.Time as null. Keys here are in k8s-openapi's alphabetical
            // order, so the field goes before the first key that sorts after it.
            let mut out = Map::new();
            for (k, x) in std::mem::take(meta) {
                if !out.contains_key("creationTimestamp") && k.as_str() > "creationTimestamp" {
                    out.insert("creationTimestamp".into(), Value::Null);
                }
                out.insert(k, x);
            }
            out.entry("creationTimestamp").or_insert(Value::Null);
            *meta = out;
        }
    }
}

fn shape_template(t: &mut Value) {
    if let Some(m) = t.as_object_mut() {
        embedded_meta(m);
        if let Some(spec) = m.get_mut("spec") {
            shape_pod_spec(spec);
        }
    }
}

fn shape_claim_template(vct: &mut Value) {
    if let Some(m) = vct.as_object_mut() {
        let mut out = Map::new();
        out.insert("apiVersion".into(), Value::String("v1".into()));
        out.insert("kind".into(), Value::String("PersistentVolumeClaim".into()));
        for (k, x) in std::mem::take(m) {
            if k != "apiVersion" && k != "kind" {
                out.insert(k, x);
            }
        }
        embedded_meta(&mut out);
        *m = out;
    }
}

fn shape_pod_spec(spec: &mut Value) {
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                c.entry("resources").or_insert_with(|| Value::Object(Map::new()));
            }
        }
    }
}

#[cfg(test)]
mod tests;
