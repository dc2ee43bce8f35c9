//! Pod and claim identity of a StatefulSet member: names `<set>-<ordinal>`, labels, hostname and
//! subdomain, claim volumes, and the pods built from a template (upstream `stateful_set_utils.go`).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodSpec, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

/// `statefulset.kubernetes.io/pod-name`.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// `apps.kubernetes.io/pod-index`.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// `controller-revision-hash`: the name of the ControllerRevision a pod was built from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// An ordinal: a member's index in `[start, start + replicas)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ordinal(pub i32);

/// Splits `<parent>-<ordinal>` like upstream's greedy `(.*)-([0-9]+)$`; `None` if the name does
/// not end in `-<digits>`. An ordinal that overflows int32 is `-1` with the parent still set.
pub fn parent_and_ordinal(name: &str) -> Option<(&str, i32)> {
    let (parent, digits) = name.rsplit_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((parent, digits.parse::<i32>().unwrap_or(-1)))
}

/// Whether `digits` is `n` as Go's `strconv.Itoa` prints it, so that a name can be compared with
/// a formatted one without formatting.
pub fn is_decimal_of(digits: &str, n: i32) -> bool {
    if n < 0 {
        return digits == n.to_string();
    }
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'))
        && digits.parse::<i32>() == Ok(n)
}

/// The ordinal part of a name `<template>-<set>-<ordinal>` (as [`claim_name`] makes it), unparsed.
pub fn claim_ordinal_digits<'n>(
    claim: &'n str,
    set: &StatefulSet,
    template: &PersistentVolumeClaim,
) -> Option<&'n str> {
    claim
        .strip_prefix(template.metadata.name.as_deref().unwrap_or_default())?
        .strip_prefix('-')?
        .strip_prefix(set_name(set))?
        .strip_prefix('-')
}

/// Whether `claim == claim_name(set, template, ordinal)`.
pub fn is_claim_name(claim: &str, set: &StatefulSet, template: &PersistentVolumeClaim, ordinal: i32) -> bool {
    claim_ordinal_digits(claim, set, template).is_some_and(|d| is_decimal_of(d, ordinal))
}

/// The ordinal of a member's name, `-1` when it does not parse (upstream `getOrdinal`).
pub fn ordinal_of(name: &str) -> i32 {
    parent_and_ordinal(name).map_or(-1, |(_, o)| o)
}

pub fn set_name(set: &StatefulSet) -> &str {
    set.metadata.name.as_deref().unwrap_or_default()
}

pub fn set_namespace(set: &StatefulSet) -> &str {
    set.metadata.namespace.as_deref().unwrap_or_default()
}

pub fn set_uid(set: &StatefulSet) -> &str {
    set.metadata.uid.as_deref().unwrap_or_default()
}

/// Whether a pod name parses as `<set>-<int>` (upstream `isMemberOf`).
pub fn is_member_name(set: &StatefulSet, pod_name: &str) -> bool {
    parent_and_ordinal(pod_name).is_some_and(|(p, _)| p == set_name(set))
}

/// `<set>-<ordinal>`.
pub fn pod_name(set: &StatefulSet, ordinal: i32) -> String {
    format!("{}-{ordinal}", set_name(set))
}

/// `<template>-<set>-<ordinal>`.
pub fn claim_name(set: &StatefulSet, template: &PersistentVolumeClaim, ordinal: i32) -> String {
    format!(
        "{}-{}-{ordinal}",
        template.metadata.name.as_deref().unwrap_or_default(),
        set_name(set)
    )
}

pub fn start_ordinal(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.ordinals.as_ref())
        .and_then(|o| o.start)
        .unwrap_or(0)
}

pub fn replicas(set: &StatefulSet) -> i32 {
    set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `start + replicas - 1`.
pub fn end_ordinal(set: &StatefulSet) -> i32 {
    start_ordinal(set) + replicas(set) - 1
}

pub fn in_ordinal_range(set: &StatefulSet, ordinal: i32) -> bool {
    ordinal >= start_ordinal(set) && ordinal <= end_ordinal(set)
}

pub fn claim_templates(set: &StatefulSet) -> &[PersistentVolumeClaim] {
    set.spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_deref())
        .unwrap_or_default()
}

fn pod_ordinal(pod: &Pod) -> i32 {
    ordinal_of(pod.metadata.name.as_deref().unwrap_or_default())
}

/// Name, namespace and the pod-name label match the set (upstream `identityMatches`).
pub fn identity_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let Some((parent, ord)) = parent_and_ordinal(name) else {
        return false;
    };
    ord >= 0
        && parent == set_name(set)
        && is_decimal_of(&name[parent.len() + 1..], ord)
        && pod.metadata.namespace.as_deref().unwrap_or_default() == set_namespace(set)
        && pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(POD_NAME_LABEL))
            .map(String::as_str)
            == Some(name)
}

/// Every claim template has a same-named volume with the member's claim (upstream `storageMatches`).
pub fn storage_matches(set: &StatefulSet, pod: &Pod) -> bool {
    let ord = pod_ordinal(pod);
    if ord < 0 {
        return false;
    }
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_deref()).unwrap_or_default();
    claim_templates(set).iter().all(|t| {
        let tname = t.metadata.name.as_deref().unwrap_or_default();
        volumes.iter().any(|v| {
            v.name == tname
                && v.persistent_volume_claim
                    .as_ref()
                    .is_some_and(|c| is_claim_name(&c.claim_name, set, t, ord))
        })
    })
}

/// Sets name, namespace, `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`
/// (upstream `updateIdentity`).
pub fn update_identity(set: &StatefulSet, pod: &mut Pod) {
    let ord = pod_ordinal(pod);
    let name = pod_name(set, ord);
    pod.metadata.name = Some(name.clone());
    pod.metadata.namespace = Some(set_namespace(set).to_string());
    let labels = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(POD_NAME_LABEL.into(), name);
    labels.insert(POD_INDEX_LABEL.into(), ord.to_string());
}

/// The member's claim from one template: name `<tmpl>-<set>-<ord>`, template labels overlaid with
/// the selector's matchLabels (upstream `getPersistentVolumeClaims` for one template).
pub fn claim_for(set: &StatefulSet, template: &PersistentVolumeClaim, ordinal: i32) -> PersistentVolumeClaim {
    let mut claim = template.clone();
    claim.metadata.name = Some(claim_name(set, template, ordinal));
    claim.metadata.namespace = Some(set_namespace(set).to_string());
    let labels = claim.metadata.labels.get_or_insert_with(BTreeMap::new);
    if let Some(match_labels) = set.spec.as_ref().and_then(|s| s.selector.match_labels.as_ref()) {
        labels.extend(match_labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    claim.status = None;
    claim
}

/// The member's claims built from the templates ([`claim_for`]), with their template names, in
/// template order.
pub fn claims_for(set: &StatefulSet, ordinal: i32) -> Vec<(String, PersistentVolumeClaim)> {
    claim_templates(set)
        .iter()
        .map(|t| (t.metadata.name.clone().unwrap_or_default(), claim_for(set, t, ordinal)))
        .collect()
}

/// The member's claim names with their template names, in template order (what [`claims_for`]
/// names, without building the claims).
pub fn claim_names(set: &StatefulSet, ordinal: i32) -> impl Iterator<Item = (&str, String)> {
    claim_templates(set).iter().map(move |t| {
        (
            t.metadata.name.as_deref().unwrap_or_default(),
            claim_name(set, t, ordinal),
        )
    })
}

/// One claim volume per template, then the pod's other volumes (upstream `updateStorage`; the
/// claim volumes come in template order rather than Go's map order).
pub fn update_storage(set: &StatefulSet, pod: &mut Pod) {
    let ord = pod_ordinal(pod);
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    let current = spec.volumes.take().unwrap_or_default();
    let mut volumes: Vec<Volume> = claim_names(set, ord)
        .map(|(tname, claim)| Volume {
            name: tname.to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim,
                read_only: Some(false),
            }),
            ..Volume::default()
        })
        .collect();
    volumes.extend(current.into_iter().filter(|v| {
        !claim_templates(set)
            .iter()
            .any(|t| t.metadata.name.as_deref().unwrap_or_default() == v.name)
    }));
    spec.volumes = Some(volumes);
}

/// A controller reference to the set (`apps/v1`, `StatefulSet`, blockOwnerDeletion).
pub fn set_controller_ref(set: &StatefulSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "StatefulSet".into(),
        name: set_name(set).to_string(),
        uid: set_uid(set).to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The controlling ownerReference of an object, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
}

/// A new member pod from `template` (upstream `newStatefulSetPod`): template labels, annotations,
/// finalizers and spec, a controller ref to the set, identity, hostname/subdomain and storage.
pub fn new_pod(set: &StatefulSet, template: &PodTemplateSpec, ordinal: i32) -> Pod {
    let tmeta = template.metadata.as_ref();
    let mut pod = Pod {
        metadata: ObjectMeta {
            name: Some(pod_name(set, ordinal)),
            namespace: Some(set_namespace(set).to_string()),
            generate_name: Some(format!("{}-", set_name(set))),
            labels: tmeta.and_then(|m| m.labels.clone()),
            annotations: tmeta.and_then(|m| m.annotations.clone()),
            finalizers: tmeta.and_then(|m| m.finalizers.clone()),
            owner_references: Some(vec![set_controller_ref(set)]),
            ..ObjectMeta::default()
        },
        spec: template.spec.clone(),
        status: None,
    };
    update_identity(set, &mut pod);
    let name = pod.metadata.name.clone();
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    spec.hostname = name;
    spec.subdomain = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty());
    update_storage(set, &mut pod);
    pod
}

/// The `controller-revision-hash` label of a pod, `""` if absent.
pub fn pod_revision(pod: &Pod) -> &str {
    pod.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(REVISION_LABEL))
        .map_or("", String::as_str)
}

pub fn set_pod_revision(pod: &mut Pod, revision: &str) {
    pod.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(REVISION_LABEL.into(), revision.into());
}
