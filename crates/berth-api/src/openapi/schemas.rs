//! `components.schemas` from the k8s-openapi types, generated with schemars' OpenAPI 3.0 settings.

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v1 as autoscaling, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, events::v1 as events, storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// Collects the schemas one document needs.
pub(super) struct Schemas {
    gen: SchemaGenerator,
    /// Kind schemas to mark with `x-kubernetes-group-version-kind`, and hand-built list schemas.
    gvks: Vec<(String, Value)>,
    extra: Map<String, Value>,
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!([{"group": group, "version": version, "kind": kind}])
}

impl Schemas {
    pub fn new() -> Self {
        Schemas {
            gen: SchemaGenerator::new(SchemaSettings::openapi3()),
            gvks: Vec::new(),
            extra: Map::new(),
        }
    }

    fn add<T: JsonSchema>(&mut self) -> String {
        self.gen.subschema_for::<T>();
        T::schema_name().into_owned()
    }

    /// Adds the schema of a kind and returns its component name, or `None` for kinds without one.
    pub fn kind(&mut self, group: &str, version: &str, kind: &str) -> Option<String> {
        let name = match (group, version, kind) {
            ("", "v1", "Namespace") => self.add::<core::Namespace>(),
            ("", "v1", "Node") => self.add::<core::Node>(),
            ("", "v1", "Pod") => self.add::<core::Pod>(),
            ("", "v1", "Service") => self.add::<core::Service>(),
            ("", "v1", "Endpoints") => self.add::<core::Endpoints>(),
            ("", "v1", "Event") => self.add::<core::Event>(),
            ("", "v1", "ConfigMap") => self.add::<core::ConfigMap>(),
            ("", "v1", "Secret") => self.add::<core::Secret>(),
            ("", "v1", "ServiceAccount") => self.add::<core::ServiceAccount>(),
            ("", "v1", "PersistentVolume") => self.add::<core::PersistentVolume>(),
            ("", "v1", "PersistentVolumeClaim") => self.add::<core::PersistentVolumeClaim>(),
            ("", "v1", "Binding") => self.add::<core::Binding>(),
            ("apps", "v1", "StatefulSet") => self.add::<apps::StatefulSet>(),
            ("apps", "v1", "ControllerRevision") => self.add::<apps::ControllerRevision>(),
            ("autoscaling", "v1", "Scale") => self.add::<autoscaling::Scale>(),
            ("discovery.k8s.io", "v1", "EndpointSlice") => self.add::<discovery::EndpointSlice>(),
            ("events.k8s.io", "v1", "Event") => self.add::<events::Event>(),
            ("storage.k8s.io", "v1", "StorageClass") => self.add::<storage::StorageClass>(),
            ("coordination.k8s.io", "v1", "Lease") => self.add::<coordination::Lease>(),
            _ => return None,
        };
        self.gvks.push((name.clone(), gvk(group, version, kind)));
        Some(name)
    }

    /// Adds `<Kind>List` next to the kind's schema and returns its component name.
    pub fn list(&mut self, group: &str, version: &str, kind: &str) -> Option<String> {
        let item = self.kind(group, version, kind)?;
        let list_meta = self.meta_list_meta();
        let name = format!("{item}List");
        self.extra.insert(
            name.clone(),
            json!({
                "description": format!("{kind}List is a list of {kind} objects."),
                "type": "object",
                "required": ["items"],
                "properties": {
                    "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
                    "items": {"type": "array", "description": format!("List of {kind} objects."), "items": {"$ref": format!("#/components/schemas/{item}")}},
                    "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
                    "metadata": {"allOf": [{"$ref": format!("#/components/schemas/{list_meta}")}], "description": "Standard list metadata."},
                },
                "x-kubernetes-group-version-kind": gvk(group, version, &format!("{kind}List")),
            }),
        );
        Some(name)
    }

    fn meta_list_meta(&mut self) -> String {
        self.add::<meta::ListMeta>()
    }

    pub fn status(&mut self) -> String {
        let name = self.add::<meta::Status>();
        self.gvks.push((name.clone(), gvk("", "v1", "Status")));
        name
    }

    pub fn delete_options(&mut self) -> String {
        self.add::<meta::DeleteOptions>()
    }

    pub fn watch_event(&mut self) -> String {
        self.add::<meta::WatchEvent<core::Pod>>()
    }

    /// The opaque PATCH body schema, as upstream names it.
    pub fn patch(&mut self) -> String {
        let name = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch".to_string();
        self.extra.insert(
            name.clone(),
            json!({"description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.", "type": "object"}),
        );
        name
    }

    /// All collected schemas, with the GVK extension on top-level kinds.
    pub fn finish(mut self) -> Map<String, Value> {
        let mut defs = self.gen.take_definitions(true);
        for (name, gvk) in self.gvks {
            if let Some(Value::Object(schema)) = defs.get_mut(&name) {
                schema.insert("x-kubernetes-group-version-kind".into(), gvk);
                drop_required_metadata(schema);
            }
        }
        defs.extend(self.extra);
        let mut sorted: Vec<(String, Value)> = defs.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        sorted.into_iter().collect()
    }
}

/// k8s-openapi marks `metadata` required because its Rust field is not an `Option`; upstream's
/// schemas never require it, and a client validating against ours must not either.
fn drop_required_metadata(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|r| r != "metadata");
        if required.is_empty() {
            schema.remove("required");
        }
    }
}
