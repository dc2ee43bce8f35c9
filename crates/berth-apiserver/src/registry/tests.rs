//! Table tests of the pure delete planner.

use super::*;

fn info(plural: &str) -> &'static ResourceInfo {
    let group = if plural == "statefulsets" { "apps" } else { "" };
    resource::lookup(group, "v1", plural).expect("served")
}

fn now() -> jiff::Timestamp {
    "2026-01-01T00:00:00Z".parse().expect("ts")
}

#[test]
fn plain_delete_without_finalizers_removes_at_once() {
    let sts = json!({"metadata": {"name": "web", "namespace": "default"}});
    assert_eq!(
        plan_delete(info("statefulsets"), &sts, &DeleteOptions::default(), now()),
        DeletePlan::Remove
    );
}

#[test]
fn orphan_propagation_adds_the_orphan_finalizer_and_a_deletion_timestamp() {
    let sts = json!({"metadata": {"name": "web", "namespace": "default"}});
    let opts = DeleteOptions {
        propagation: Some(Propagation::Orphan),
        ..Default::default()
    };
    let DeletePlan::Update(new) = plan_delete(info("statefulsets"), &sts, &opts, now()) else {
        panic!("expected an update")
    };
    assert_eq!(new["metadata"]["finalizers"], json!(["orphan"]));
    assert_eq!(new["metadata"]["deletionTimestamp"], "2026-01-01T00:00:00Z");
    assert_eq!(new["metadata"]["deletionGracePeriodSeconds"], 0);
}

#[test]
fn foreground_replaces_orphan() {
    let sts = json!({"metadata": {"name": "web", "finalizers": ["orphan", "x"]}});
    let opts = DeleteOptions {
        propagation: Some(Propagation::Foreground),
        ..Default::default()
    };
    let DeletePlan::Update(new) = plan_delete(info("statefulsets"), &sts, &opts, now()) else {
        panic!("expected an update")
    };
    assert_eq!(new["metadata"]["finalizers"], json!(["x", "foregroundDeletion"]));
}

#[test]
fn a_namespace_with_spec_finalizers_turns_terminating() {
    let ns =
        json!({"metadata": {"name": "team"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    let DeletePlan::Update(new) = plan_delete(info("namespaces"), &ns, &DeleteOptions::default(), now()) else {
        panic!("expected an update")
    };
    assert_eq!(new["status"]["phase"], "Terminating");
}

#[test]
fn a_second_delete_of_a_terminating_object_changes_nothing() {
    let sts = json!({"metadata": {"name": "web", "finalizers": ["x"], "deletionTimestamp": "2026-01-01T00:00:00Z", "deletionGracePeriodSeconds": 0}});
    assert_eq!(
        plan_delete(info("statefulsets"), &sts, &DeleteOptions::default(), now()),
        DeletePlan::Unchanged
    );
}

#[test]
fn keys_separate_namespaces_and_scopes() {
    assert_eq!(key(info("pods"), Some("default"), "web-0"), "/pods/default/web-0");
    assert_eq!(key(info("namespaces"), Some("ignored"), "team"), "/namespaces/team");
    assert_eq!(prefix(info("statefulsets"), None), "/statefulsets.apps/");
}
