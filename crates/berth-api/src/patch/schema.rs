//! Patch metadata for the built-in kinds: a small type graph saying, per field, whether it is a
//! struct, a map of entries, or a list merged by key, merged as a set, or replaced whole.
//!
//! It encodes upstream's `patchStrategy`/`patchMergeKey` struct tags (strategic merge patch) and
//! the `listType`/`listMapKey`/`structType`/`mapType` markers (server-side apply) of
//! `k8s.io/api` 1.32 for the kinds berth serves. A field that is not listed is opaque: its
//! objects merge recursively and its lists are replaced, as upstream does for fields without tags.

/// How strategic merge patch treats a list field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Smp {
    /// No `patchStrategy`: the patch's list replaces the original.
    Replace,
    /// `patchStrategy:"merge"` with `patchMergeKey`: items merge by this key.
    MergeKey(&'static str),
    /// `patchStrategy:"merge"` on a list of primitives: union, without duplicates.
    MergeSet,
}

/// How server-side apply treats a list field (`+listType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ssa {
    Atomic,
    /// `+listType=map` with these `+listMapKey`s.
    Map(&'static [&'static str]),
    Set,
}

/// What an object-valued field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A struct: named fields.
    Struct,
    /// A `map[string]T`: every entry is owned on its own (labels, annotations, data).
    Dict,
    /// `+structType=atomic` or `+mapType=atomic`: owned as one value by apply; merged like a
    /// struct by strategic merge patch, which does not know these markers.
    Atomic,
}

/// One field of a struct type.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    /// The type of the value (of list items for lists, of entries for dicts); `None` is opaque.
    pub ty: Option<&'static TypeDef>,
    pub shape: Shape,
    pub list: Option<(Smp, Ssa)>,
}

/// A struct type and its fields that need more than the defaults.
#[derive(Debug)]
pub struct TypeDef {
    pub name: &'static str,
    pub fields: &'static [Field],
}

/// Where a value sits in the type graph.
#[derive(Debug, Clone, Copy)]
pub enum Schema {
    /// Nothing known: objects merge recursively, lists are atomic.
    Opaque,
    Type(&'static TypeDef),
    /// A `map[string]T` whose entries have type `T` (`None`: opaque or scalar).
    DictOf(Option<&'static TypeDef>),
}

/// What is known about one key of an object.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    pub schema: Schema,
    pub shape: Shape,
    pub list: Option<(Smp, Ssa)>,
    /// The key is an entry of a `map[string]T`, not a struct field.
    pub dict_entry: bool,
}

impl Schema {
    /// The schema of a top-level object of this kind; unknown kinds get `ObjectMeta` only.
    pub fn root(group: &str, kind: &str) -> Schema {
        let def = ROOTS
            .iter()
            .find(|(g, k, _)| *g == group && *k == kind)
            .map(|(_, _, t)| *t)
            .unwrap_or(&OBJECT);
        Schema::Type(def)
    }

    /// Looks up one key of an object with this schema.
    pub fn field(&self, name: &str) -> FieldInfo {
        match self {
            Schema::Opaque => FieldInfo::opaque(),
            Schema::DictOf(t) => FieldInfo {
                schema: t.map_or(Schema::Opaque, Schema::Type),
                shape: Shape::Struct,
                list: None,
                dict_entry: true,
            },
            Schema::Type(def) => match def.fields.iter().find(|f| f.name == name) {
                None => FieldInfo::opaque(),
                Some(f) => FieldInfo {
                    schema: match (f.shape, f.ty) {
                        (Shape::Dict, t) => Schema::DictOf(t),
                        (_, Some(t)) => Schema::Type(t),
                        (_, None) => Schema::Opaque,
                    },
                    shape: f.shape,
                    list: f.list,
                    dict_entry: false,
                },
            },
        }
    }

    /// The type's name, for error messages (`PodSpec`).
    pub fn name(&self) -> &'static str {
        match self {
            Schema::Type(t) => t.name,
            _ => "",
        }
    }
}

impl FieldInfo {
    fn opaque() -> FieldInfo {
        FieldInfo {
            schema: Schema::Opaque,
            shape: Shape::Struct,
            list: None,
            dict_entry: false,
        }
    }

    /// The strategic-merge-patch strategy of a list field; unknown lists are replaced.
    pub fn smp(&self) -> Smp {
        self.list.map_or(Smp::Replace, |(s, _)| s)
    }

    /// The apply list type of a list field; unknown lists are atomic.
    pub fn ssa(&self) -> Ssa {
        self.list.map_or(Ssa::Atomic, |(_, s)| s)
    }
}

const fn st(name: &'static str, ty: &'static TypeDef) -> Field {
    Field {
        name,
        ty: Some(ty),
        shape: Shape::Struct,
        list: None,
    }
}
const fn dict(name: &'static str) -> Field {
    Field {
        name,
        ty: None,
        shape: Shape::Dict,
        list: None,
    }
}
const fn atomic_obj(name: &'static str, ty: Option<&'static TypeDef>) -> Field {
    Field {
        name,
        ty,
        shape: Shape::Atomic,
        list: None,
    }
}
const fn atomic(name: &'static str) -> Field {
    Field {
        name,
        ty: None,
        shape: Shape::Struct,
        list: Some((Smp::Replace, Ssa::Atomic)),
    }
}
/// A list merged by `key` in SMP and a list-map keyed by `ssa_keys` in apply.
const fn keyed(
    name: &'static str,
    ty: Option<&'static TypeDef>,
    key: &'static str,
    ssa_keys: &'static [&'static str],
) -> Field {
    Field {
        name,
        ty,
        shape: Shape::Struct,
        list: Some((Smp::MergeKey(key), Ssa::Map(ssa_keys))),
    }
}
/// A list-map for apply that strategic merge patch replaces (no `patchStrategy`).
const fn ssa_map_only(name: &'static str, ssa_keys: &'static [&'static str]) -> Field {
    Field {
        name,
        ty: None,
        shape: Shape::Struct,
        list: Some((Smp::Replace, Ssa::Map(ssa_keys))),
    }
}
const fn set(name: &'static str) -> Field {
    Field {
        name,
        ty: None,
        shape: Shape::Struct,
        list: Some((Smp::MergeSet, Ssa::Set)),
    }
}

const NAME: &[&str] = &["name"];
const TYPE: &[&str] = &["type"];
const IP: &[&str] = &["ip"];

pub static OBJECT_META: TypeDef = TypeDef {
    name: "ObjectMeta",
    fields: &[
        dict("labels"),
        dict("annotations"),
        set("finalizers"),
        keyed("ownerReferences", None, "uid", &["uid"]),
        atomic("managedFields"),
    ],
};
static OBJECT: TypeDef = TypeDef {
    name: "Object",
    fields: &[st("metadata", &OBJECT_META)],
};

static LABEL_SELECTOR: TypeDef = TypeDef {
    name: "LabelSelector",
    fields: &[dict("matchLabels"), atomic("matchExpressions")],
};
static RESOURCE_REQUIREMENTS: TypeDef = TypeDef {
    name: "ResourceRequirements",
    fields: &[dict("limits"), dict("requests"), ssa_map_only("claims", NAME)],
};
static CONTAINER: TypeDef = TypeDef {
    name: "Container",
    fields: &[
        atomic("command"),
        atomic("args"),
        keyed("ports", None, "containerPort", &["containerPort", "protocol"]),
        atomic("envFrom"),
        keyed("env", None, "name", NAME),
        st("resources", &RESOURCE_REQUIREMENTS),
        atomic("resizePolicy"),
        keyed("volumeMounts", None, "mountPath", &["mountPath"]),
        keyed("volumeDevices", None, "devicePath", &["devicePath"]),
    ],
};
static POD_SPEC: TypeDef = TypeDef {
    name: "PodSpec",
    fields: &[
        keyed("volumes", None, "name", NAME),
        keyed("initContainers", Some(&CONTAINER), "name", NAME),
        keyed("containers", Some(&CONTAINER), "name", NAME),
        keyed("ephemeralContainers", Some(&CONTAINER), "name", NAME),
        dict("nodeSelector"),
        keyed("imagePullSecrets", None, "name", NAME),
        atomic("tolerations"),
        keyed("hostAliases", None, "ip", IP),
        atomic("readinessGates"),
        dict("overhead"),
        keyed(
            "topologySpreadConstraints",
            None,
            "topologyKey",
            &["topologyKey", "whenUnsatisfiable"],
        ),
        keyed("schedulingGates", None, "name", NAME),
        keyed("resourceClaims", None, "name", NAME),
    ],
};
static POD_STATUS: TypeDef = TypeDef {
    name: "PodStatus",
    fields: &[
        keyed("conditions", None, "type", TYPE),
        keyed("hostIPs", None, "ip", IP),
        keyed("podIPs", None, "ip", IP),
        atomic("initContainerStatuses"),
        atomic("containerStatuses"),
        atomic("ephemeralContainerStatuses"),
        keyed("resourceClaimStatuses", None, "name", NAME),
    ],
};
static POD_TEMPLATE_SPEC: TypeDef = TypeDef {
    name: "PodTemplateSpec",
    fields: &[st("metadata", &OBJECT_META), st("spec", &POD_SPEC)],
};
static POD: TypeDef = TypeDef {
    name: "Pod",
    fields: &[
        st("metadata", &OBJECT_META),
        st("spec", &POD_SPEC),
        st("status", &POD_STATUS),
    ],
};

static PVC_SPEC: TypeDef = TypeDef {
    name: "PersistentVolumeClaimSpec",
    fields: &[
        atomic("accessModes"),
        atomic_obj("selector", Some(&LABEL_SELECTOR)),
        st("resources", &RESOURCE_REQUIREMENTS),
    ],
};
static PVC_STATUS: TypeDef = TypeDef {
    name: "PersistentVolumeClaimStatus",
    fields: &[
        atomic("accessModes"),
        dict("capacity"),
        keyed("conditions", None, "type", TYPE),
        dict("allocatedResources"),
        dict("allocatedResourceStatuses"),
    ],
};
static PVC_TEMPLATE: TypeDef = TypeDef {
    name: "PersistentVolumeClaim",
    fields: &[
        st("metadata", &OBJECT_META),
        st("spec", &PVC_SPEC),
        st("status", &PVC_STATUS),
    ],
};
static PV_SPEC: TypeDef = TypeDef {
    name: "PersistentVolumeSpec",
    fields: &[dict("capacity"), atomic("accessModes"), atomic("mountOptions")],
};
static PV: TypeDef = TypeDef {
    name: "PersistentVolume",
    fields: &[st("metadata", &OBJECT_META), st("spec", &PV_SPEC)],
};

static STS_SPEC: TypeDef = TypeDef {
    name: "StatefulSetSpec",
    fields: &[
        atomic_obj("selector", Some(&LABEL_SELECTOR)),
        st("template", &POD_TEMPLATE_SPEC),
        Field {
            name: "volumeClaimTemplates",
            ty: Some(&PVC_TEMPLATE),
            shape: Shape::Struct,
            list: Some((Smp::Replace, Ssa::Atomic)),
        },
    ],
};
static STS_STATUS: TypeDef = TypeDef {
    name: "StatefulSetStatus",
    fields: &[keyed("conditions", None, "type", TYPE)],
};
static STS: TypeDef = TypeDef {
    name: "StatefulSet",
    fields: &[
        st("metadata", &OBJECT_META),
        st("spec", &STS_SPEC),
        st("status", &STS_STATUS),
    ],
};
static CONTROLLER_REVISION: TypeDef = TypeDef {
    name: "ControllerRevision",
    fields: &[st("metadata", &OBJECT_META)],
};

static SERVICE_SPEC: TypeDef = TypeDef {
    name: "ServiceSpec",
    fields: &[
        keyed("ports", None, "port", &["port", "protocol"]),
        atomic_obj("selector", None),
        atomic("clusterIPs"),
        atomic("externalIPs"),
        atomic("loadBalancerSourceRanges"),
        atomic("ipFamilies"),
    ],
};
static LB_STATUS: TypeDef = TypeDef {
    name: "LoadBalancerStatus",
    fields: &[atomic("ingress")],
};
static SERVICE_STATUS: TypeDef = TypeDef {
    name: "ServiceStatus",
    fields: &[st("loadBalancer", &LB_STATUS), keyed("conditions", None, "type", TYPE)],
};
static SERVICE: TypeDef = TypeDef {
    name: "Service",
    fields: &[
        st("metadata", &OBJECT_META),
        st("spec", &SERVICE_SPEC),
        st("status", &SERVICE_STATUS),
    ],
};
static ENDPOINTS: TypeDef = TypeDef {
    name: "Endpoints",
    fields: &[st("metadata", &OBJECT_META), atomic("subsets")],
};
static ENDPOINT_SLICE: TypeDef = TypeDef {
    name: "EndpointSlice",
    fields: &[st("metadata", &OBJECT_META), atomic("endpoints"), atomic("ports")],
};

static NODE_SPEC: TypeDef = TypeDef {
    name: "NodeSpec",
    fields: &[set("podCIDRs"), atomic("taints")],
};
static NODE_STATUS: TypeDef = TypeDef {
    name: "NodeStatus",
    fields: &[
        dict("capacity"),
        dict("allocatable"),
        keyed("conditions", None, "type", TYPE),
        Field {
            name: "addresses",
            ty: None,
            shape: Shape::Struct,
            list: Some((Smp::MergeKey("type"), Ssa::Atomic)),
        },
        atomic("images"),
        atomic("volumesInUse"),
        atomic("volumesAttached"),
    ],
};
static NODE: TypeDef = TypeDef {
    name: "Node",
    fields: &[
        st("metadata", &OBJECT_META),
        st("spec", &NODE_SPEC),
        st("status", &NODE_STATUS),
    ],
};
static NAMESPACE_SPEC: TypeDef = TypeDef {
    name: "NamespaceSpec",
    fields: &[atomic("finalizers")],
};
static NAMESPACE_STATUS: TypeDef = TypeDef {
    name: "NamespaceStatus",
    fields: &[keyed("conditions", None, "type", TYPE)],
};
static NAMESPACE: TypeDef = TypeDef {
    name: "Namespace",
    fields: &[
        st("metadata", &OBJECT_META),
        st("spec", &NAMESPACE_SPEC),
        st("status", &NAMESPACE_STATUS),
    ],
};
static CONFIG_MAP: TypeDef = TypeDef {
    name: "ConfigMap",
    fields: &[st("metadata", &OBJECT_META), dict("data"), dict("binaryData")],
};
static SECRET: TypeDef = TypeDef {
    name: "Secret",
    fields: &[st("metadata", &OBJECT_META), dict("data"), dict("stringData")],
};
static SERVICE_ACCOUNT: TypeDef = TypeDef {
    name: "ServiceAccount",
    fields: &[
        st("metadata", &OBJECT_META),
        keyed("secrets", None, "name", NAME),
        atomic("imagePullSecrets"),
    ],
};
static STORAGE_CLASS: TypeDef = TypeDef {
    name: "StorageClass",
    fields: &[
        st("metadata", &OBJECT_META),
        dict("parameters"),
        atomic("mountOptions"),
        atomic("allowedTopologies"),
    ],
};

/// Kinds served by berth, by (group, kind).
static ROOTS: &[(&str, &str, &TypeDef)] = &[
    ("", "Pod", &POD),
    ("", "Node", &NODE),
    ("", "Namespace", &NAMESPACE),
    ("", "Service", &SERVICE),
    ("", "Endpoints", &ENDPOINTS),
    ("", "ConfigMap", &CONFIG_MAP),
    ("", "Secret", &SECRET),
    ("", "ServiceAccount", &SERVICE_ACCOUNT),
    ("", "PersistentVolume", &PV),
    ("", "PersistentVolumeClaim", &PVC_TEMPLATE),
    ("apps", "StatefulSet", &STS),
    ("apps", "ControllerRevision", &CONTROLLER_REVISION),
    ("discovery.k8s.io", "EndpointSlice", &ENDPOINT_SLICE),
    ("storage.k8s.io", "StorageClass", &STORAGE_CLASS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statefulset_template_containers_resolve_to_a_list_merged_by_name() {
        let c = Schema::root("apps", "StatefulSet")
            .field("spec")
            .schema
            .field("template")
            .schema
            .field("spec")
            .schema
            .field("containers");
        assert_eq!(c.smp(), Smp::MergeKey("name"));
        assert_eq!(c.schema.name(), "Container");
        assert_eq!(c.schema.field("ports").ssa(), Ssa::Map(&["containerPort", "protocol"]));
    }

    #[test]
    fn unknown_fields_are_opaque_with_atomic_lists() {
        let f = Schema::root("", "Pod").field("spec").schema.field("nonsense");
        assert_eq!(f.smp(), Smp::Replace);
        assert!(matches!(f.schema, Schema::Opaque));
    }
}
