//! What the volume controllers need of PersistentVolumeClaims, PersistentVolumes, StorageClasses
//! and Pods, parsed once from the k8s-openapi types so the plans stay small and pure.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// `pv.kubernetes.io/bind-completed` on a claim: the controller finished binding it.
pub const ANN_BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
/// `pv.kubernetes.io/bound-by-controller`: the controller (not a user) set the binding.
pub const ANN_BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
/// `pv.kubernetes.io/provisioned-by` on a volume: which provisioner made it.
pub const ANN_DYNAMICALLY_PROVISIONED: &str = "pv.kubernetes.io/provisioned-by";
/// `volume.kubernetes.io/storage-provisioner` on a claim: who is asked to provision it.
pub const ANN_STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
/// The legacy form of [`ANN_STORAGE_PROVISIONER`], still set upstream.
pub const ANN_BETA_STORAGE_PROVISIONER: &str = "volume.beta.kubernetes.io/storage-provisioner";
/// `volume.kubernetes.io/selected-node` on a claim: the node the scheduler chose (WFFC).
pub const ANN_SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
/// The legacy class annotation, which wins over `storageClassName`.
pub const ANN_BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";
/// Annotation naming the default StorageClass.
pub const ANN_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
/// Finalizer keeping a claim while a pod uses it.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
/// Finalizer keeping a volume while it is bound.
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";

/// `namespace/name` of a claim.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimKey {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ClaimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Which claims and volumes a plan decides about: all of them, or those that changed (with what
/// their decisions depend on) since the last plan. A plan over a scope gives the actions a plan
/// over everything gives for those objects, in the same order.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    All,
    Only {
        claims: &'a BTreeSet<ClaimKey>,
        volumes: &'a BTreeSet<String>,
    },
}

impl<'a> Scope<'a> {
    /// The claims of `map` in scope, in key order.
    pub fn claims<'m>(self, map: &'m BTreeMap<ClaimKey, Claim>) -> impl Iterator<Item = &'m Claim> + use<'a, 'm> {
        in_scope(
            map,
            match self {
                Scope::All => None,
                Scope::Only { claims, .. } => Some(claims),
            },
        )
    }

    /// The volumes of `map` in scope, in name order.
    pub fn volumes<'m>(self, map: &'m BTreeMap<String, Volume>) -> impl Iterator<Item = &'m Volume> + use<'a, 'm> {
        in_scope(
            map,
            match self {
                Scope::All => None,
                Scope::Only { volumes, .. } => Some(volumes),
            },
        )
    }
}

/// Every value of `map`, or those of `keys` (in key order).
fn in_scope<'a, 'm, K: Ord, V>(
    map: &'m BTreeMap<K, V>,
    keys: Option<&'a BTreeSet<K>>,
) -> impl Iterator<Item = &'m V> + use<'a, 'm, K, V> {
    let (all, only) = match keys {
        None => (Some(map.values()), None),
        Some(keys) => (None, Some(keys.iter().filter_map(|k| map.get(k)))),
    };
    all.into_iter().flatten().chain(only.into_iter().flatten())
}

/// A volume's `spec.claimRef`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimRef {
    pub namespace: String,
    pub name: String,
    /// Empty for a volume pre-bound by name only.
    pub uid: String,
}

/// The claim's view: spec, the annotations the controllers use, and status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Claim {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    pub annotations: BTreeMap<String, String>,
    pub finalizers: Vec<String>,
    pub deleting: bool,
    /// `spec.storageClassName`; `None` when nil (unlike `Some("")`, the empty class).
    pub storage_class_name: Option<String>,
    pub access_modes: Vec<String>,
    /// `spec.resources.requests.storage` as written, and in bytes.
    pub request: String,
    pub request_bytes: f64,
    pub selector: Option<LabelSelector>,
    /// `spec.volumeMode`, `Filesystem` when unset.
    pub volume_mode: String,
    /// `spec.volumeName`, empty when unset.
    pub volume_name: String,
    pub phase: String,
    /// `status.capacity.storage` as written.
    pub status_capacity: String,
    pub status_access_modes: Vec<String>,
}

impl Claim {
    pub fn key(&self) -> ClaimKey {
        ClaimKey {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// Upstream `GetPersistentVolumeClaimClass`: the beta annotation, else `storageClassName`, else `""`.
    pub fn class(&self) -> &str {
        match self.annotations.get(ANN_BETA_STORAGE_CLASS) {
            Some(c) => c,
            None => self.storage_class_name.as_deref().unwrap_or(""),
        }
    }

    pub fn annotated(&self, key: &str) -> bool {
        self.annotations.contains_key(key)
    }
}

/// The volume's view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub finalizers: Vec<String>,
    pub deleting: bool,
    /// `spec.capacity.storage` as written, and in bytes.
    pub capacity: String,
    pub capacity_bytes: f64,
    pub access_modes: Vec<String>,
    /// `spec.storageClassName` (or the beta annotation), `""` for none.
    pub storage_class: String,
    /// `spec.volumeMode`, `Filesystem` when unset.
    pub volume_mode: String,
    pub claim_ref: Option<ClaimRef>,
    /// `spec.persistentVolumeReclaimPolicy` (defaulted by the API server; `Retain` if absent).
    pub reclaim_policy: String,
    pub phase: String,
    /// `spec.hostPath.path` or `spec.local.path`.
    pub path: Option<String>,
    /// Values of `kubernetes.io/hostname In [...]` required node affinity terms (empty: any node).
    pub node_hostnames: Vec<String>,
}

impl Volume {
    /// Upstream `IsVolumeBoundToClaim`: same name and namespace, and no UID or the claim's UID.
    pub fn bound_to(&self, claim: &Claim) -> bool {
        self.claim_ref.as_ref().is_some_and(|r| {
            r.name == claim.name && r.namespace == claim.namespace && (r.uid.is_empty() || r.uid == claim.uid)
        })
    }

    /// Upstream `GetAccessModesAsString` order: the set a volume is indexed under.
    pub fn access_mode_set(&self) -> String {
        access_mode_set(&self.access_modes)
    }
}

/// The canonical form of an access-mode set: upstream's order, deduplicated, comma-joined.
pub fn access_mode_set(modes: &[String]) -> String {
    const ORDER: [&str; 4] = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];
    let mut out: Vec<&str> = ORDER.iter().copied().filter(|m| modes.iter().any(|x| x == m)).collect();
    out.dedup();
    out.join(",")
}

/// The StorageClass view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Class {
    pub name: String,
    pub provisioner: String,
    /// `volumeBindingMode: WaitForFirstConsumer`.
    pub wait_for_first_consumer: bool,
    /// `reclaimPolicy`, `Delete` when unset.
    pub reclaim_policy: String,
    pub allow_volume_expansion: bool,
    pub parameters: BTreeMap<String, String>,
    /// Marked `is-default-class` (or the beta key).
    pub is_default: bool,
}

/// What the protection controller needs of a pod: which claims it uses and whether it still runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodClaims {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node_name: Option<String>,
    pub claims: Vec<String>,
    /// Succeeded or Failed: it no longer uses its volumes.
    pub terminated: bool,
}

/// Parses a resource quantity (`1Gi`, `500M`, `1.5e3`, `100m`) into its value; `None` if invalid.
pub fn parse_quantity(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let base: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse().ok()?),
        _ => return None,
    };
    Some(base * mult)
}

fn ann(m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> BTreeMap<String, String> {
    m.annotations.clone().unwrap_or_default()
}

impl From<&PersistentVolumeClaim> for Claim {
    fn from(c: &PersistentVolumeClaim) -> Claim {
        let m = &c.metadata;
        let spec = c.spec.clone().unwrap_or_default();
        let status = c.status.clone().unwrap_or_default();
        let request = spec
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_default();
        Claim {
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            resource_version: m.resource_version.clone().unwrap_or_default(),
            annotations: ann(m),
            finalizers: m.finalizers.clone().unwrap_or_default(),
            deleting: m.deletion_timestamp.is_some(),
            storage_class_name: spec.storage_class_name.clone(),
            access_modes: spec.access_modes.clone().unwrap_or_default(),
            request_bytes: parse_quantity(&request).unwrap_or(0.0),
            request,
            selector: spec.selector.clone(),
            volume_mode: spec.volume_mode.clone().unwrap_or_else(|| "Filesystem".into()),
            volume_name: spec.volume_name.clone().unwrap_or_default(),
            phase: status.phase.clone().unwrap_or_default(),
            status_capacity: status
                .capacity
                .as_ref()
                .and_then(|c| c.get("storage"))
                .map(|q| q.0.clone())
                .unwrap_or_default(),
            status_access_modes: status.access_modes.clone().unwrap_or_default(),
        }
    }
}

impl From<&PersistentVolume> for Volume {
    fn from(v: &PersistentVolume) -> Volume {
        let m = &v.metadata;
        let spec = v.spec.clone().unwrap_or_default();
        let annotations = ann(m);
        let capacity = spec
            .capacity
            .as_ref()
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_default();
        let node_hostnames = spec
            .node_affinity
            .as_ref()
            .and_then(|a| a.required.as_ref())
            .map(|r| {
                r.node_selector_terms
                    .iter()
                    .flat_map(|t| t.match_expressions.iter().flatten())
                    .filter(|e| e.key == "kubernetes.io/hostname" && e.operator == "In")
                    .flat_map(|e| e.values.clone().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        Volume {
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            resource_version: m.resource_version.clone().unwrap_or_default(),
            labels: m.labels.clone().unwrap_or_default(),
            storage_class: annotations
                .get(ANN_BETA_STORAGE_CLASS)
                .cloned()
                .unwrap_or_else(|| spec.storage_class_name.clone().unwrap_or_default()),
            annotations,
            finalizers: m.finalizers.clone().unwrap_or_default(),
            deleting: m.deletion_timestamp.is_some(),
            capacity_bytes: parse_quantity(&capacity).unwrap_or(0.0),
            capacity,
            access_modes: spec.access_modes.clone().unwrap_or_default(),
            volume_mode: spec.volume_mode.clone().unwrap_or_else(|| "Filesystem".into()),
            claim_ref: spec.claim_ref.as_ref().map(|r| ClaimRef {
                namespace: r.namespace.clone().unwrap_or_default(),
                name: r.name.clone().unwrap_or_default(),
                uid: r.uid.clone().unwrap_or_default(),
            }),
            reclaim_policy: spec
                .persistent_volume_reclaim_policy
                .clone()
                .unwrap_or_else(|| "Retain".into()),
            phase: v.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
            path: spec
                .host_path
                .as_ref()
                .map(|h| h.path.clone())
                .or_else(|| spec.local.as_ref().map(|l| l.path.clone())),
            node_hostnames,
        }
    }
}

impl From<&StorageClass> for Class {
    fn from(c: &StorageClass) -> Class {
        Class {
            name: c.metadata.name.clone().unwrap_or_default(),
            provisioner: c.provisioner.clone(),
            wait_for_first_consumer: c.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer"),
            reclaim_policy: c.reclaim_policy.clone().unwrap_or_else(|| "Delete".into()),
            allow_volume_expansion: c.allow_volume_expansion.unwrap_or(false),
            parameters: c.parameters.clone().unwrap_or_default(),
            is_default: c.metadata.annotations.as_ref().is_some_and(|a| {
                a.get(ANN_DEFAULT_CLASS).map(String::as_str) == Some("true")
                    || a.get("storageclass.beta.kubernetes.io/is-default-class")
                        .map(String::as_str)
                        == Some("true")
            }),
        }
    }
}

impl From<&Pod> for PodClaims {
    fn from(p: &Pod) -> PodClaims {
        let spec = p.spec.clone().unwrap_or_default();
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        PodClaims {
            namespace: p.metadata.namespace.clone().unwrap_or_default(),
            name: p.metadata.name.clone().unwrap_or_default(),
            uid: p.metadata.uid.clone().unwrap_or_default(),
            node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
            claims: spec
                .volumes
                .iter()
                .flatten()
                .filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone()))
                .collect(),
            terminated: matches!(phase, Some("Succeeded" | "Failed")),
        }
    }
}
