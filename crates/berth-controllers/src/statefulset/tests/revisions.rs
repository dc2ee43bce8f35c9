//! Ports of the revision tests: the golden hash of `stateful_set_compatibility_test.go`,
//! `TestStatefulSetControl_getSetRevisions`, `TestCreateApplyRevision`, collisions and truncation.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::world::{new_stateful_set, World};
use crate::statefulset::plan::{plan_revisions, Action};
use crate::statefulset::revision::{
    apply_revision, go_json, hash_revision, new_revision, patch_value, plan_truncation, raw_data, revision_name,
    safe_encode, sort_revisions, HASH_LABEL,
};

const GOLDEN_RAW: &str = r#"{"spec":{"template":{"$patch":"replace","metadata":{"annotations":{"test":"value"},"creationTimestamp":null,"labels":{"app":"foo"}},"spec":{"containers":[{"image":"test","imagePullPolicy":"Always","name":"test","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}}"#;

/// The set of upstream's compatibility test, with the template as the API server defaults it.
fn golden_set() -> StatefulSet {
    let mut set = new_stateful_set(1);
    set.metadata.name = Some("test".into());
    if let Some(spec) = set.spec.as_mut() {
        spec.template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(BTreeMap::from([("app".to_string(), "foo".to_string())])),
                annotations: Some(BTreeMap::from([("test".to_string(), "value".to_string())])),
                ..ObjectMeta::default()
            }),
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "test".into(),
                    image: Some("test".into()),
                    image_pull_policy: Some("Always".into()),
                    termination_message_path: Some("/dev/termination-log".into()),
                    termination_message_policy: Some("File".into()),
                    ..Container::default()
                }],
                dns_policy: Some("ClusterFirst".into()),
                restart_policy: Some("Always".into()),
                scheduler_name: Some("default-scheduler".into()),
                security_context: Some(Default::default()),
                termination_grace_period_seconds: Some(30),
                ..PodSpec::default()
            }),
        };
    }
    set
}

/// Ports TestStatefulSetCompatibility (stateful_set_compatibility_test.go): the patch bytes and the
/// revision name `test-c77f6d978` equal upstream's.
#[test]
fn golden_revision_hash_matches_upstream() {
    let set = golden_set();
    let template = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    assert_eq!(go_json(&patch_value(&template)), GOLDEN_RAW);
    assert_eq!(hash_revision(GOLDEN_RAW, Some(0)), "c77f6d978");
    assert_eq!(hash_revision(GOLDEN_RAW, None), "6b48d6f566");
    let rev = new_revision(&set, 1, 0);
    assert_eq!(rev.metadata.name.as_deref(), Some("test-c77f6d978"));
    assert_eq!(
        rev.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(HASH_LABEL))
            .map(String::as_str),
        Some("c77f6d978")
    );
    assert_eq!(
        rev.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app"))
            .map(String::as_str),
        Some("foo")
    );
    assert_eq!(rev.revision, 1);
}

#[test]
fn safe_encoding_maps_digits_like_upstream() {
    assert_eq!(safe_encode("0123456789"), "456789bcdf");
}

#[test]
fn go_json_sorts_keys_and_escapes_html() {
    let v = serde_json::json!({"b": "<a&b>", "a": [1, {"d": null, "c": true}], "e": "\u{2028}\n"});
    assert_eq!(
        go_json(&v),
        r#"{"a":[1,{"c":true,"d":null}],"b":"\u003ca\u0026b\u003e","e":"\u2028\n"}"#
    );
}

#[test]
fn go_zero_fields_are_filled_without_overriding_values() {
    let mut set = golden_set();
    if let Some(c) = set
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .map(|p| &mut p.containers[0])
    {
        c.resources = Some(ResourceRequirements {
            limits: Some(BTreeMap::from([(
                "cpu".into(),
                k8s_openapi::apimachinery::pkg::api::resource::Quantity("1".into()),
            )])),
            ..Default::default()
        });
    }
    let raw = go_json(&patch_value(
        &set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default(),
    ));
    assert!(raw.contains(r#""resources":{"limits":{"cpu":"1"}}"#), "{raw}");
}

#[test]
fn long_set_names_are_cut_to_223_characters() {
    let prefix = "a".repeat(300);
    assert_eq!(revision_name(&prefix, "h").len(), 223 + 2);
}

fn created(set: &StatefulSet, revision: i64) -> ControllerRevision {
    let mut r = new_revision(set, revision, 0);
    r.metadata.uid = Some(format!("rev-{revision}"));
    r
}

fn with_image(image: &str) -> StatefulSet {
    let mut set = new_stateful_set(3);
    if let Some(c) = set
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .map(|p| &mut p.containers[0])
    {
        c.image = Some(image.into());
    }
    set
}

/// Ports TestStatefulSetControl_getSetRevisions "creates initial revision" (stateful_set_control_test.go).
#[test]
fn creates_initial_revision() {
    let set = new_stateful_set(3);
    let revs = plan_revisions(&set, &[], &[]);
    assert_eq!(revs.actions.len(), 1);
    assert!(matches!(&revs.actions[0], Action::CreateRevision { revision } if revision.revision == 1));
    assert_eq!(revs.current.metadata.name, revs.update.metadata.name);
}

/// Ports TestStatefulSetControl_getSetRevisions "creates revision on update" (stateful_set_control_test.go).
#[test]
fn creates_revision_on_update() {
    let old = created(&with_image("nginx"), 1);
    let mut set = with_image("nginx-new");
    set.status = Some(k8s_openapi::api::apps::v1::StatefulSetStatus {
        current_revision: old.metadata.name.clone(),
        ..Default::default()
    });
    let revs = plan_revisions(&set, &[&old], &[&old]);
    assert!(matches!(&revs.actions[..], [Action::CreateRevision { revision }] if revision.revision == 2));
    assert_eq!(revs.current.metadata.name, old.metadata.name);
    assert_ne!(revs.update.metadata.name, old.metadata.name);
}

/// Ports TestStatefulSetControl_getSetRevisions "must not recreate a new revision of same set" (stateful_set_control_test.go).
#[test]
fn does_not_recreate_an_existing_revision() {
    let r1 = created(&with_image("a"), 1);
    let r2 = created(&with_image("b"), 2);
    let revs = plan_revisions(&with_image("b"), &[&r1, &r2], &[&r1, &r2]);
    assert!(revs.actions.is_empty());
    assert_eq!(revs.update.metadata.name, r2.metadata.name);
    assert_eq!(revs.update.revision, 2);
}

/// Ports TestStatefulSetControl_getSetRevisions "must rollback to a previous revision" (stateful_set_control_test.go).
#[test]
fn rollback_renumbers_the_old_revision() {
    let r1 = created(&with_image("a"), 1);
    let r2 = created(&with_image("b"), 2);
    let r3 = created(&with_image("c"), 3);
    let all = [r1.clone(), r2, r3.clone()];
    let mut set = with_image("a");
    set.status = Some(k8s_openapi::api::apps::v1::StatefulSetStatus {
        current_revision: r3.metadata.name.clone(),
        ..Default::default()
    });
    let all: Vec<&ControllerRevision> = all.iter().collect();
    let revs = plan_revisions(&set, &all, &all);
    assert_eq!(
        revs.actions,
        vec![Action::RenumberRevision {
            name: r1.metadata.name.clone().unwrap_or_default(),
            revision: 4
        }]
    );
    assert_eq!(revs.update.metadata.name, r1.metadata.name);
    assert_eq!(revs.update.revision, 4);
    assert_eq!(revs.current.metadata.name, r3.metadata.name);
}

/// A name taken by a revision with other data bumps `collisionCount` and rehashes with the probe.
#[test]
fn a_hash_collision_bumps_the_collision_count() {
    let set = with_image("a");
    let mut squatter = new_revision(&with_image("zzz"), 1, 0);
    squatter.metadata.name = new_revision(&set, 1, 0).metadata.name;
    squatter.metadata.labels = None; // not selected: only its name collides
    let revs = plan_revisions(&set, &[], &[&squatter]);
    assert_eq!(revs.collision_count, 1);
    let Action::CreateRevision { revision } = &revs.actions[0] else {
        panic!("{:?}", revs.actions)
    };
    let expected = format!("foo-{}", hash_revision(&raw_data(revision), Some(1)));
    assert_eq!(revision.metadata.name.as_deref(), Some(expected.as_str()));
    assert_ne!(revision.metadata.name, squatter.metadata.name);
}

/// A collision on the world's API (the plan did not see the squatter) fails the sync; the next
/// plan, seeing it, moves to collisionCount 1 and writes it to status.
#[test]
fn a_collision_found_at_create_time_is_resolved_on_the_next_sync() {
    let w = World::new(new_stateful_set(1));
    let mut squatter = new_revision(&with_image("zzz"), 7, 0);
    squatter.metadata.name = new_revision(&w.set(), 1, 0).metadata.name;
    squatter.metadata.labels = Some(BTreeMap::from([("other".into(), "x".into())]));
    w.state()
        .revisions
        .insert(squatter.metadata.name.clone().unwrap_or_default(), squatter);
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.status().collision_count, Some(1));
    assert_eq!(w.revisions().len(), 2);
}

/// Ports TestCreateApplyRevision (stateful_set_utils_test.go): ApplyRevision restores the template
/// and the revision carries the set's annotations.
#[test]
fn apply_revision_restores_the_template() {
    let mut set = new_stateful_set(1);
    set.metadata.annotations = Some(BTreeMap::from([("a".into(), "b".into())]));
    let rev = new_revision(&set, 1, 0);
    assert_eq!(rev.metadata.annotations, set.metadata.annotations);
    let mut changed = set.clone();
    if let Some(c) = changed
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .map(|p| &mut p.containers[0])
    {
        c.image = Some("other".into());
        c.env = Some(vec![k8s_openapi::api::core::v1::EnvVar {
            name: "X".into(),
            value: Some("1".into()),
            value_from: None,
        }]);
    }
    let restored = apply_revision(&changed, &rev);
    let patch = |s: &StatefulSet| patch_value(&s.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default());
    assert_eq!(patch(&restored), patch(&set));
    // Ports TestRollingUpdateApplyRevision: applying the newer revision keeps its env changes.
    let newer = new_revision(&changed, 2, 0);
    assert_eq!(patch(&apply_revision(&set, &newer)), patch(&changed));
}

/// truncateHistory keeps live revisions (current, update, pod labels) and the newest `limit` others.
#[test]
fn truncation_protects_live_revisions_and_keeps_the_newest() {
    let revs: Vec<ControllerRevision> = (1..=6).map(|i| created(&with_image(&format!("i{i}")), i)).collect();
    let mut sorted = revs.clone();
    sort_revisions(&mut sorted);
    let name = |i: usize| revs[i].metadata.name.clone().unwrap_or_default();
    let mut pod = k8s_openapi::api::core::v1::Pod::default();
    crate::statefulset::identity::set_pod_revision(&mut pod, &name(0));
    let deleted = plan_truncation(&sorted, &[&pod], Some(&name(4)), Some(&name(5)), 2);
    assert_eq!(deleted, vec![name(1)]);
    assert!(
        plan_truncation(&sorted, &[], None, None, -2).is_empty(),
        "a negative limit keeps everything"
    );
    assert_eq!(
        plan_truncation(&sorted, &[], Some(&name(5)), Some(&name(5)), 0).len(),
        5
    );
}
