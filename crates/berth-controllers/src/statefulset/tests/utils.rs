//! Ports of `stateful_set_utils_test.go` and `stateful_pod_control_test.go` (naming, identity,
//! storage, claims, the retention ownerRef matrix, stale claims, maxUnavailable, events).

use k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::world::{labels, new_stateful_set, Call, Op, World};
use crate::statefulset::control::max_unavailable;
use crate::statefulset::events::EventType;
use crate::statefulset::identity::*;
use crate::statefulset::pods::is_running_and_ready;
use crate::statefulset::retention::{desired_owner_refs, is_claim_owner_up_to_date, pod_claim_is_stale, PodRef};

fn pod(ordinal: i32) -> Pod {
    let set = new_stateful_set(3);
    let t = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let mut p = new_pod(&set, &t, ordinal);
    p.metadata.uid = Some(format!("pod-{ordinal}"));
    p
}

/// Ports TestGetParentNameAndOrdinal (stateful_set_utils_test.go).
#[test]
fn parent_and_ordinal_parse_greedily() {
    assert_eq!(parent_and_ordinal("foo-1"), Some(("foo", 1)));
    assert_eq!(parent_and_ordinal("foo-bar-2"), Some(("foo-bar", 2)));
    assert_eq!(parent_and_ordinal("1-bar"), None);
    assert_eq!(ordinal_of("foo-99999999999"), -1);
}

/// Ports TestGetClaimPodName and TestIsMemberOf (stateful_set_utils_test.go).
#[test]
fn claim_names_and_membership() {
    let set = new_stateful_set(3);
    let t = &claim_templates(&set)[0];
    assert_eq!(claim_name(&set, t, 1), "datadir-foo-1");
    assert!(is_member_name(&set, "foo-1"));
    assert!(!is_member_name(&set, "foo2-1"));
    assert!(!is_member_name(&set, "bar-1"));
}

/// Ports TestIdentityMatches (stateful_set_utils_test.go).
#[test]
fn identity_matches_checks_name_namespace_and_label() {
    let set = new_stateful_set(3);
    assert!(identity_matches(&set, &pod(1)));
    let mut p = pod(1);
    p.metadata.name = Some("bar-1".into());
    assert!(!identity_matches(&set, &p));
    let mut p = pod(1);
    p.metadata.namespace = Some("other".into());
    assert!(!identity_matches(&set, &p));
    let mut p = pod(1);
    p.metadata.labels.as_mut().map(|l| l.remove(POD_NAME_LABEL));
    assert!(!identity_matches(&set, &p));
}

/// Ports TestStorageMatches (stateful_set_utils_test.go).
#[test]
fn storage_matches_needs_every_claim_volume() {
    let set = new_stateful_set(3);
    assert!(storage_matches(&set, &pod(1)));
    let mut p = pod(1);
    if let Some(v) = p.spec.as_mut().and_then(|s| s.volumes.as_mut()) {
        v.retain(|v| v.name != "datadir")
    }
    assert!(!storage_matches(&set, &p));
    let mut p = pod(1);
    for v in p.spec.as_mut().and_then(|s| s.volumes.as_mut()).into_iter().flatten() {
        if let Some(c) = v.persistent_volume_claim.as_mut() {
            c.claim_name = "wrong".into();
        }
    }
    assert!(!storage_matches(&set, &p));
    let mut p = pod(1);
    for v in p.spec.as_mut().and_then(|s| s.volumes.as_mut()).into_iter().flatten() {
        v.persistent_volume_claim = None;
    }
    assert!(!storage_matches(&set, &p));
    let mut p = pod(1);
    p.spec.as_mut().map(|s| s.volumes = None);
    assert!(!storage_matches(&set, &p));
}

/// Ports TestUpdateIdentity and TestUpdateStorage (stateful_set_utils_test.go).
#[test]
fn update_identity_and_storage_repair_a_pod() {
    let set = new_stateful_set(3);
    let mut p = pod(1);
    p.metadata.namespace = Some("other".into());
    p.metadata.labels = None;
    update_identity(&set, &mut p);
    assert!(identity_matches(&set, &p));
    assert_eq!(
        p.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(POD_INDEX_LABEL))
            .map(String::as_str),
        Some("1")
    );
    let mut p = pod(1);
    p.spec.as_mut().map(|s| s.volumes = None);
    update_storage(&set, &mut p);
    assert!(storage_matches(&set, &p));
    let once = p.clone();
    update_storage(&set, &mut p);
    assert_eq!(p, once, "idempotent");
    let names: Vec<String> = p
        .spec
        .as_ref()
        .and_then(|s| s.volumes.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, vec!["datadir"]);
    let full = pod(1);
    let names: Vec<String> = full
        .spec
        .as_ref()
        .and_then(|s| s.volumes.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(
        names,
        vec!["datadir", "home"],
        "template volumes are kept after the claims"
    );
}

/// Ports TestNewPodControllerRef and the shape of a new pod (stateful_set_utils_test.go; spec S1).
#[test]
fn new_pods_have_identity_hostname_subdomain_and_a_controller_ref() {
    let p = pod(0);
    assert_eq!(p.metadata.name.as_deref(), Some("foo-0"));
    let spec = p.spec.clone().unwrap_or_default();
    assert_eq!(spec.hostname.as_deref(), Some("foo-0"));
    assert_eq!(spec.subdomain.as_deref(), Some("governingsvc"));
    let r = &p.metadata.owner_references.clone().unwrap_or_default()[0];
    assert_eq!(
        (r.api_version.as_str(), r.kind.as_str(), r.name.as_str(), r.uid.as_str()),
        ("apps/v1", "StatefulSet", "foo", "test")
    );
    assert_eq!((r.controller, r.block_owner_deletion), (Some(true), Some(true)));
}

/// Ports TestGetPersistentVolumeClaims (stateful_set_utils_test.go): template labels overlaid with
/// the selector's matchLabels; without template labels, the selector's.
#[test]
fn claims_carry_template_and_selector_labels() {
    let mut set = new_stateful_set(3);
    let claims = claims_for(&set, 1);
    assert_eq!(claims[0].1.metadata.labels, Some(labels(&[("foo", "bar")])));
    if let Some(t) = set.spec.as_mut().and_then(|s| s.volume_claim_templates.as_mut()) {
        t[0].metadata.labels = Some(labels(&[("app", "nginx"), ("foo", "other")]));
    }
    let claims = claims_for(&set, 1);
    assert_eq!(
        claims[0].1.metadata.labels,
        Some(labels(&[("app", "nginx"), ("foo", "bar")]))
    );
    assert_eq!(claims[0].1.metadata.name.as_deref(), Some("datadir-foo-1"));
}

/// Ports TestIsRunningAndReady (stateful_set_utils_test.go).
#[test]
fn running_and_ready_needs_both() {
    let mut p = pod(0);
    assert!(!is_running_and_ready(&p));
    p.status = Some(PodStatus {
        phase: Some("Running".into()),
        ..Default::default()
    });
    assert!(!is_running_and_ready(&p));
    p.status.as_mut().map(|s| {
        s.conditions = Some(vec![PodCondition {
            type_: "Ready".into(),
            status: "True".into(),
            ..Default::default()
        }])
    });
    assert!(is_running_and_ready(&p));
}

/// Ports TestGetStatefulSetMaxUnavailable (stateful_set_utils_test.go).
#[test]
fn max_unavailable_rounds_down_with_a_minimum_of_one() {
    let s = |v: &str| Some(IntOrString::String(v.into()));
    let cases: Vec<(Option<IntOrString>, i32, i32)> = vec![
        (None, 10, 1),
        (Some(IntOrString::Int(3)), 10, 3),
        (Some(IntOrString::Int(3)), 0, 3),
        (Some(IntOrString::Int(0)), 10, 1),
        (s("10%"), 25, 2),
        (s("100%"), 5, 5),
        (s("50%"), 5, 2),
        (s("10%"), 5, 1),
        (s("1%"), 0, 1),
        (s("0%"), 0, 1),
    ];
    for (v, replicas, want) in cases {
        assert_eq!(max_unavailable(v.as_ref(), replicas), want, "{v:?} of {replicas}");
    }
}

fn with_policy(scaled: &str, deleted: &str) -> k8s_openapi::api::apps::v1::StatefulSet {
    let mut set = new_stateful_set(3);
    if let Some(s) = set.spec.as_mut() {
        s.persistent_volume_claim_retention_policy = Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_scaled: Some(scaled.into()),
            when_deleted: Some(deleted.into()),
        });
    }
    set
}

fn claim_with(refs: Vec<OwnerReference>) -> PersistentVolumeClaim {
    let mut c = PersistentVolumeClaim::default();
    c.metadata.name = Some("datadir-foo-1".into());
    c.metadata.owner_references = if refs.is_empty() { None } else { Some(refs) };
    c
}

fn set_ref() -> OwnerReference {
    set_controller_ref(&new_stateful_set(3))
}

fn pod_ref_to(name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: name.into(),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Ports TestIsClaimOwnerUpToDate and TestUpdateClaimOwnerRefForSetAndPod (stateful_set_utils_test.go):
/// the policy × scaled-down matrix of §2.12.
#[test]
fn claim_owner_matrix() {
    for (scaled, deleted, in_range, want_set, want_pod) in [
        ("Retain", "Retain", true, false, false),
        ("Retain", "Retain", false, false, false),
        ("Retain", "Delete", true, true, false),
        ("Retain", "Delete", false, true, false),
        ("Delete", "Retain", true, false, false),
        ("Delete", "Retain", false, false, true),
        ("Delete", "Delete", true, true, false),
        ("Delete", "Delete", false, false, true),
    ] {
        let mut set = with_policy(scaled, deleted);
        if !in_range {
            set.spec.as_mut().map(|s| s.replicas = Some(1));
        }
        let pod = PodRef {
            name: "foo-1",
            uid: "pod-1",
        };
        let want: Vec<OwnerReference> = want_set
            .then(set_ref)
            .into_iter()
            .chain(want_pod.then(|| pod_ref_to("foo-1", "pod-1")))
            .collect();
        let desired = desired_owner_refs(&claim_with(vec![]), &set, pod);
        let mut sorted = desired.clone();
        sorted.sort_by(|a, b| a.kind.cmp(&b.kind));
        let mut want_sorted = want.clone();
        want_sorted.sort_by(|a, b| a.kind.cmp(&b.kind));
        assert_eq!(sorted, want_sorted, "{scaled}/{deleted} in_range={in_range}");
        assert!(
            is_claim_owner_up_to_date(&claim_with(desired), &set, pod),
            "{scaled}/{deleted} {in_range}"
        );
        let wrong = if want_set { vec![] } else { vec![set_ref()] };
        assert!(
            !is_claim_owner_up_to_date(&claim_with(wrong), &set, pod),
            "{scaled}/{deleted} {in_range}"
        );
    }
}

/// Ports TestClaimOwnerUpToDateEdgeCases and TestHasUnexpectedController/TestHasStaleOwnerRef
/// (stateful_set_utils_test.go).
#[test]
fn claim_owner_edge_cases() {
    let set = with_policy("Retain", "Delete");
    let pod = PodRef {
        name: "foo-1",
        uid: "pod-1",
    };
    // A stale ref (same name, other uid) is left alone.
    let mut stale = set_ref();
    stale.uid = "old".into();
    assert!(is_claim_owner_up_to_date(&claim_with(vec![stale]), &set, pod));
    // Another controller: our refs are scrubbed and none added.
    let other = OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: "x".into(),
        uid: "x".into(),
        controller: Some(true),
        block_owner_deletion: None,
    };
    assert!(is_claim_owner_up_to_date(&claim_with(vec![other.clone()]), &set, pod));
    assert!(!is_claim_owner_up_to_date(
        &claim_with(vec![other.clone(), set_ref()]),
        &set,
        pod
    ));
    assert_eq!(
        desired_owner_refs(&claim_with(vec![other.clone(), set_ref()]), &set, pod),
        vec![other]
    );
    // Our set as a non-controller owner is rewritten as a controller.
    let mut plain = set_ref();
    plain.controller = None;
    assert!(!is_claim_owner_up_to_date(&claim_with(vec![plain]), &set, pod));
}

/// Ports TestPodClaimIsStale (stateful_pod_control_test.go).
#[test]
fn pod_claim_is_stale_only_with_a_ref_to_a_previous_pod_under_when_scaled_delete() {
    let pod = PodRef { name: "foo-1", uid: "" };
    for (scaled, refs, stale) in [
        ("Delete", vec![], false),
        ("Delete", vec![pod_ref_to("foo-1", "")], false),
        ("Delete", vec![pod_ref_to("foo-1", "old")], true),
        ("Retain", vec![pod_ref_to("foo-1", "old")], false),
    ] {
        let set = with_policy(scaled, "Retain");
        let c = claim_with(refs.clone());
        assert_eq!(pod_claim_is_stale(&set, pod, [&c]), stale, "{scaled} {refs:?}");
    }
}

/// Ports TestStatefulPodControlCreatesPods (stateful_pod_control_test.go): claim + pod, 2 Normal events.
#[test]
fn creating_a_pod_records_two_normal_events() {
    let w = World::new(new_stateful_set(1));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    let ev = w.events();
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(ev.iter().all(|e| e.type_ == EventType::Normal));
    assert_eq!(
        ev[0].message,
        "create Claim datadir-foo-0 Pod foo-0 in StatefulSet foo success"
    );
    assert_eq!(ev[1].message, "create Pod foo-0 in StatefulSet foo successful");
}

/// Ports TestStatefulPodControlCreatePodExists (stateful_pod_control_test.go): AlreadyExists, no event.
#[test]
fn creating_an_existing_pod_fails_without_an_event() {
    let w = World::new(new_stateful_set(1));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    // Release the pod (labels no longer match): the slot is empty but the name is taken.
    w.edit_pod(0, |p| p.metadata.labels = Some(labels(&[("foo", "other")])));
    w.state().events.clear();
    assert!(w.sync().is_err());
    assert!(w.calls().contains(&Call::ReleasePod("foo-0".into())));
    assert!(
        w.events().iter().all(|e| !e.reason.starts_with("Failed")),
        "{:?}",
        w.events()
    );
}

/// Ports TestStatefulPodControlCreatePodPvcCreateFailure (stateful_pod_control_test.go): 2 Warnings.
#[test]
fn a_failed_claim_create_records_two_warnings_and_no_pod() {
    let w = World::new(new_stateful_set(1));
    w.fail(Op::CreateClaim, 0);
    assert!(w.sync().is_err());
    assert_eq!(w.events_of(EventType::Warning), 2);
    assert!(w.pods().is_empty());
}

/// Ports TestStatefulPodControlCreatePodPVCDeleting (stateful_pod_control_test.go): 1 Warning, no pod.
#[test]
fn a_terminating_claim_blocks_the_pod_with_one_warning() {
    let w = World::new(new_stateful_set(1));
    let (_, mut c) = claims_for(&w.set(), 0).remove(0);
    c.metadata.deletion_timestamp = Some(Time(w.now));
    w.state().claims.insert("datadir-foo-0".into(), c);
    let e = w.sync();
    assert!(
        e.as_ref()
            .is_err_and(|e| e.to_string() == "pvc datadir-foo-0 is being deleted"),
        "{e:?}"
    );
    assert_eq!(w.events_of(EventType::Warning), 1);
    assert_eq!(
        w.events()[0].message,
        "create Pod foo-0 in StatefulSet foo failed error: pvc datadir-foo-0 is being deleted"
    );
    assert!(w.pods().is_empty());
}

/// Ports TestStatefulPodControlCreatePodFailed (stateful_pod_control_test.go): 1 Normal + 1 Warning.
#[test]
fn a_failed_pod_create_records_the_claim_and_a_warning() {
    let w = World::new(new_stateful_set(1));
    w.fail(Op::CreatePod, 0);
    assert!(w.sync().is_err());
    assert_eq!(
        (w.events_of(EventType::Normal), w.events_of(EventType::Warning)),
        (1, 1)
    );
}

/// Ports TestStatefulPodControlNoOpUpdate, …UpdatesIdentity, …DeletesStatefulPod and
/// …DeleteFailure (stateful_pod_control_test.go).
#[test]
fn updates_and_deletes_record_events_only_when_attempted() {
    let w = World::new(new_stateful_set(1));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    w.set_ready(0);
    w.state().events.clear();
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert!(w.events().is_empty(), "no-op sync: no update, no event");
    assert!(!w.calls().iter().any(|c| matches!(c, Call::UpdatePod(_))));
    w.edit_pod(0, |p| {
        p.metadata.labels.as_mut().map(|l| l.remove(POD_NAME_LABEL));
    });
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.events().last().map(|e| e.reason.as_str()), Some("SuccessfulUpdate"));
    assert!(w.pod(0).is_some_and(|p| identity_matches(&w.set(), &p)));
    w.update_spec(|s| s.replicas = Some(0));
    w.fail(Op::DeletePod, 0);
    assert!(w.sync().is_err());
    assert_eq!(w.events().last().map(|e| e.reason.as_str()), Some("FailedDelete"));
    w.sync().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        w.events().last().map(|e| e.message.as_str()),
        Some("delete Pod foo-0 in StatefulSet foo successful")
    );
}
