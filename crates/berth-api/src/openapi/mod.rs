//! The OpenAPI v3 documents served at `/openapi/v3`: an index of group versions, and per group
//! version an OpenAPI 3.0 document with upstream-shaped paths and schemas from k8s-openapi.
//!
//! PATCH bodies list JSON patch, merge patch and apply patch but deliberately not strategic
//! merge patch: the generated schemas carry no `x-kubernetes-patch-merge-key` extensions, and
//! without that content type kubectl computes strategic merge patches from its compiled-in types.

mod paths;
mod schemas;

use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::resource::{group_versions, RESOURCES};

/// Bump when the generated documents change in a way the resource list does not show.
const DOCUMENT_REVISION: u32 = 1;

/// `api/v1` or `apis/apps/v1`, the index key of a group version.
fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The hash in every `serverRelativeURL`: derived from the crate version, the document
/// revision and the resource table, so it changes whenever a document can change; computing it
/// generates no document.
pub fn documents_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(DOCUMENT_REVISION.to_le_bytes());
        h.update(format!("{RESOURCES:?}").as_bytes());
        h.finalize().iter().map(|b| format!("{b:02X}")).collect()
    })
}

/// The `/openapi/v3` index: one `serverRelativeURL` per served group version.
pub fn index() -> Value {
    let hash = documents_hash();
    let mut paths = Map::new();
    for (group, version) in group_versions() {
        let key = gv_key(group, version);
        paths.insert(
            key.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

struct Slot {
    group: &'static str,
    version: &'static str,
    doc: OnceLock<(Value, String)>,
}

fn slots() -> &'static [Slot] {
    static SLOTS: OnceLock<Vec<Slot>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        group_versions()
            .into_iter()
            .map(|(group, version)| Slot {
                group,
                version,
                doc: OnceLock::new(),
            })
            .collect()
    })
}

fn cached(group: &str, version: &str) -> Option<&'static (Value, String)> {
    let slot = slots().iter().find(|s| s.group == group && s.version == version)?;
    Some(slot.doc.get_or_init(|| {
        let doc = build(slot.group, slot.version);
        let text = doc.to_string();
        (doc, text)
    }))
}

/// The OpenAPI 3.0 document of a served group version; built on first use, then cached.
pub fn document(group: &str, version: &str) -> Option<Value> {
    cached(group, version).map(|(doc, _)| doc.clone())
}

/// The same document already serialized, for handlers that only write it out (no copy).
pub fn document_json(group: &str, version: &str) -> Option<&'static str> {
    cached(group, version).map(|(_, text)| text.as_str())
}

fn build(group: &str, version: &str) -> Value {
    let mut schemas = schemas::Schemas::new();
    let mut paths = Map::new();
    for info in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        paths::add_resource(&mut paths, info, &mut schemas);
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {
            "schemas": schemas.finish(),
            "securitySchemes": {
                "BearerToken": {"type": "apiKey", "description": "Bearer Token authentication", "name": "authorization", "in": "header"}
            }
        }
    })
}

#[cfg(test)]
mod tests;
