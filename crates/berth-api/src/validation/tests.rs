//! Tests of object-meta validation rules shared by every kind.

use super::*;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use std::collections::BTreeMap;

fn meta() -> ObjectMeta {
    ObjectMeta {
        name: Some("web".into()),
        namespace: Some("default".into()),
        ..Default::default()
    }
}

#[test]
fn annotations_over_256_kib_are_too_long() {
    let mut m = meta();
    m.annotations = Some(BTreeMap::from([("a".to_string(), "x".repeat(256 * 1024))]));
    let errs = meta::validate_object_meta(&m, true, NameRule::DnsSubdomain, "metadata");
    assert_eq!(
        errs[0].message,
        "metadata.annotations: Too long: may not be more than 262144 bytes"
    );
}

#[test]
fn owner_references_need_every_identifying_field() {
    let mut m = meta();
    m.owner_references = Some(vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "StatefulSet".into(),
        name: "web".into(),
        uid: String::new(),
        ..Default::default()
    }]);
    let errs = meta::validate_object_meta(&m, true, NameRule::DnsSubdomain, "metadata");
    assert_eq!(
        errs[0].message,
        "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"
    );
}

#[test]
fn namespaced_kinds_need_a_namespace_and_cluster_kinds_refuse_one() {
    let mut m = meta();
    m.namespace = None;
    let errs = meta::validate_object_meta(&m, true, NameRule::DnsSubdomain, "metadata");
    assert_eq!(errs[0].message, "metadata.namespace: Required value");
    let errs = meta::validate_object_meta(&meta(), false, NameRule::DnsSubdomain, "metadata");
    assert_eq!(
        errs[0].message,
        "metadata.namespace: Forbidden: not allowed on this type"
    );
}

#[test]
fn generate_name_may_end_with_a_dash() {
    let mut m = meta();
    m.generate_name = Some("web-".into());
    assert!(meta::validate_object_meta(&m, true, NameRule::DnsLabel, "metadata").is_empty());
}

#[test]
fn orphan_and_foreground_finalizers_conflict() {
    let mut m = meta();
    m.finalizers = Some(vec!["orphan".into(), "foregroundDeletion".into()]);
    let errs = meta::validate_object_meta(&m, true, NameRule::DnsSubdomain, "metadata");
    assert!(errs[0]
        .message
        .ends_with("finalizer orphan and foregroundDeletion cannot be both set"));
}
