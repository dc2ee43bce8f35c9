//! Table tests of the pure delete planner, and the registry over an in-memory store.

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

/// A registry over an in-memory store.
fn registry() -> Registry {
    let store = Store::open(
        Arc::new(berth_store::MemoryBackend::default()),
        berth_store::StoreConfig::default(),
    )
    .expect("a store");
    Registry::new(store, Arc::new(crate::clock::SystemClock))
}

/// What [`Recent`] holds for `name` in `default`, checked against the stored bytes.
fn remembered(r: &Registry, info: &'static ResourceInfo, name: &str) -> Option<Arc<Value>> {
    let k = key(info, Some("default"), name);
    let (rev, bytes) = r.store.get(&k).expect("stored");
    let hit = r.recent.get(&k, rev);
    if let Some(obj) = &hit {
        assert_eq!(**obj, decode(&bytes).expect("decodes"), "remembered as stored");
    }
    hit
}

#[tokio::test]
async fn recent_writes_are_remembered_decoded_at_their_revision_only() {
    let r = registry();
    let cms = info("configmaps");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}, "data": {"k": "v"}});
    r.create_bytes(cms, cm.clone()).await.expect("created");
    let created = remembered(&r, cms, "a").expect("the create is remembered");
    assert_eq!(created["data"]["k"], "v");

    // An update starts from the remembered object and remembers its own result.
    r.update_bytes(cms, Some("default"), "a", false, |cur| {
        assert_eq!(cur, &*created);
        let mut new = cur.clone();
        new["data"]["k"] = json!("w");
        Ok(new)
    })
    .await
    .expect("updated");
    let updated = remembered(&r, cms, "a").expect("the update is remembered");
    assert_eq!(updated["data"]["k"], "w");

    // A write that does not go through it (here, straight to the store) makes it a miss.
    let k = key(cms, Some("default"), "a");
    let (rev, _) = r.store.get(&k).expect("stored");
    r.store
        .write(Write {
            key: k.clone(),
            precondition: Precondition::Revision(rev),
            op: Op::Put(encoder(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}, "data": {"k": "x"}}))),
        })
        .await
        .expect("written");
    assert!(remembered(&r, cms, "a").is_none(), "an older revision is never used");
    r.update_bytes(cms, Some("default"), "a", false, |cur| {
        assert_eq!(cur["data"]["k"], "x", "decoded from the store");
        Ok(cur.clone())
    })
    .await
    .expect("unchanged");
}

#[tokio::test]
async fn objects_that_need_conversion_or_the_slow_encoder_are_not_remembered() {
    let r = registry();
    // An object holding the placeholder under another resourceVersion key is encoded by the writer.
    let odd = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odd", "namespace": "default"},
        "data": {"resourceVersion": "\u{1}berth-revision\u{1}"}});
    r.create_bytes(info("configmaps"), odd).await.expect("created");
    assert!(remembered(&r, info("configmaps"), "odd").is_none());
    // events.k8s.io Events are stored as core Events.
    let events = resource::lookup("events.k8s.io", "v1", "events").expect("served");
    let ev = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
        "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "c", "reportingInstance": "i",
        "action": "A", "reason": "R", "type": "Normal", "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}});
    r.create_bytes(events, ev).await.expect("created");
    let k = key(events, Some("default"), "e");
    let (rev, _) = r.store.get(&k).expect("stored");
    assert!(r.recent.get(&k, rev).is_none());
}
