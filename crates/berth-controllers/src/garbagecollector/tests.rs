//! Table tests of the garbage collector plan and graph, and component tests of its driver against a recording fake.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::api::DynamicObject;
use kube::core::PartialObjectMeta;
use kube::discovery::ApiResource;
use kube::runtime::watcher::Event;

use super::client::GcApi;
use super::graph::{Change, Graph, Node, ObjectRef, Owner, Uid, FOREGROUND, ORPHAN};
use super::plan::{plan, Action, OwnerLookups, OwnerStatus, Propagation};
use super::Driver;
use crate::error::ControllerError;

// ---- builders ----

fn uid(s: &str) -> Uid {
    Uid(s.to_string())
}

fn cm_ref(name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: Some("demo".into()),
        name: name.into(),
    }
}

/// A ConfigMap in `demo` whose uid is its name with a `-uid` suffix.
fn cm(name: &str) -> Node {
    Node {
        uid: uid(&format!("{name}-uid")),
        object: cm_ref(name),
        owners: vec![],
        deleting: false,
        finalizers: vec![],
    }
}

fn owned_by(mut n: Node, owner: &Node, block: bool) -> Node {
    n.owners.push(Owner {
        uid: owner.uid.clone(),
        api_version: owner.object.api_version.clone(),
        kind: owner.object.kind.clone(),
        name: owner.object.name.clone(),
        block_owner_deletion: block,
    });
    n
}

fn deleting(mut n: Node, finalizers: &[&str]) -> Node {
    n.deleting = true;
    n.finalizers = finalizers.iter().map(|s| s.to_string()).collect();
    n
}

fn graph(nodes: &[&Node]) -> Graph {
    let mut g = Graph::default();
    for n in nodes {
        g.apply(Change::Upsert((*n).clone()));
    }
    g
}

fn lookups(v: &[(&Node, OwnerStatus)]) -> OwnerLookups {
    v.iter().map(|(n, s)| (n.uid.clone(), *s)).collect()
}

fn delete(n: &Node, propagation: Propagation) -> Action {
    Action::Delete {
        object: n.object.clone(),
        uid: n.uid.clone(),
        propagation,
    }
}

fn remove_refs(n: &Node, owners: &[&Node]) -> Action {
    Action::RemoveOwnerRefs {
        object: n.object.clone(),
        uid: n.uid.clone(),
        owners: owners.iter().map(|o| o.uid.clone()).collect(),
    }
}

fn remove_finalizer(n: &Node, finalizer: &'static str) -> Action {
    Action::RemoveFinalizer {
        object: n.object.clone(),
        uid: n.uid.clone(),
        finalizer,
    }
}

// ---- plan: dependents ----

#[test]
fn a_dependent_whose_only_owner_is_absent_is_deleted_in_the_background() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let g = graph(&[&child]);
    assert_eq!(
        plan(&g, &child, &lookups(&[(&owner, OwnerStatus::Absent)])),
        vec![delete(&child, Propagation::Background)]
    );
}

#[test]
fn a_dependent_of_an_absent_owner_is_deleted_with_the_policy_of_its_own_finalizers() {
    let owner = cm("parent");
    let mut child = owned_by(cm("child"), &owner, false);
    child.finalizers = vec![ORPHAN.into()];
    let g = graph(&[&child]);
    let absent = lookups(&[(&owner, OwnerStatus::Absent)]);
    assert_eq!(plan(&g, &child, &absent), vec![delete(&child, Propagation::Orphan)]);
    child.finalizers = vec![FOREGROUND.into()];
    assert_eq!(plan(&g, &child, &absent), vec![delete(&child, Propagation::Foreground)]);
}

#[test]
fn a_dependent_with_a_remaining_owner_only_loses_the_dangling_reference() {
    let gone = cm("gone");
    let kept = cm("kept");
    let child = owned_by(owned_by(cm("child"), &gone, false), &kept, false);
    let g = graph(&[&kept, &child]);
    let l = lookups(&[(&gone, OwnerStatus::Absent), (&kept, OwnerStatus::Present)]);
    assert_eq!(plan(&g, &child, &l), vec![remove_refs(&child, &[&gone])]);
}

#[test]
fn a_dependent_whose_owners_all_exist_is_left_alone() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, true);
    let g = graph(&[&owner, &child]);
    assert_eq!(plan(&g, &child, &lookups(&[(&owner, OwnerStatus::Present)])), vec![]);
}

#[test]
fn an_owner_of_an_unserved_kind_keeps_its_dependent() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let g = graph(&[&child]);
    assert_eq!(
        plan(&g, &child, &lookups(&[(&owner, OwnerStatus::Unresolvable)])),
        vec![]
    );
    // A missing lookup counts as unresolvable too: never delete on doubt.
    assert_eq!(plan(&g, &child, &OwnerLookups::new()), vec![]);
}

#[test]
fn a_dependent_of_a_waiting_owner_without_dependents_is_deleted_in_the_background() {
    let owner = deleting(cm("parent"), &[FOREGROUND]);
    let child = owned_by(cm("child"), &owner, true);
    let g = graph(&[&owner, &child]);
    let l = lookups(&[(&owner, OwnerStatus::WaitingForDependents)]);
    assert_eq!(plan(&g, &child, &l), vec![delete(&child, Propagation::Background)]);
}

#[test]
fn a_dependent_of_a_waiting_owner_with_dependents_of_its_own_is_deleted_in_the_foreground() {
    let owner = deleting(cm("parent"), &[FOREGROUND]);
    let child = owned_by(cm("child"), &owner, true);
    let grandchild = owned_by(cm("grandchild"), &child, true);
    let g = graph(&[&owner, &child, &grandchild]);
    let l = lookups(&[(&owner, OwnerStatus::WaitingForDependents)]);
    assert_eq!(plan(&g, &child, &l), vec![delete(&child, Propagation::Foreground)]);
}

#[test]
fn a_dependent_in_a_foreground_cycle_unblocks_its_references_before_deleting() {
    let owner = deleting(cm("parent"), &[FOREGROUND]);
    let child = owned_by(cm("child"), &owner, true);
    let grandchild = deleting(owned_by(cm("grandchild"), &child, true), &[FOREGROUND]);
    let g = graph(&[&owner, &child, &grandchild]);
    let l = lookups(&[(&owner, OwnerStatus::WaitingForDependents)]);
    assert_eq!(
        plan(&g, &child, &l),
        vec![
            Action::UnblockOwnerRefs {
                object: child.object.clone(),
                uid: child.uid.clone(),
                owners: vec![owner.uid.clone()]
            },
            delete(&child, Propagation::Foreground),
        ]
    );
}

#[test]
fn a_dependent_with_a_solid_owner_and_a_waiting_owner_only_loses_the_waiting_reference() {
    let waiting = deleting(cm("waiting"), &[FOREGROUND]);
    let solid = cm("solid");
    let child = owned_by(owned_by(cm("child"), &waiting, true), &solid, false);
    let g = graph(&[&waiting, &solid, &child]);
    let l = lookups(&[
        (&waiting, OwnerStatus::WaitingForDependents),
        (&solid, OwnerStatus::Present),
    ]);
    assert_eq!(plan(&g, &child, &l), vec![remove_refs(&child, &[&waiting])]);
}

#[test]
fn an_object_already_being_deleted_without_gc_finalizers_is_left_alone() {
    let owner = cm("parent");
    let child = deleting(owned_by(cm("child"), &owner, false), &["example.com/hold"]);
    let g = graph(&[&child]);
    assert_eq!(plan(&g, &child, &lookups(&[(&owner, OwnerStatus::Absent)])), vec![]);
}

// ---- plan: owners ----

#[test]
fn an_orphaning_owner_strips_itself_from_every_dependent_then_drops_its_finalizer() {
    let owner = deleting(cm("parent"), &[ORPHAN]);
    let a = owned_by(cm("a"), &owner, true);
    let b = owned_by(cm("b"), &owner, false);
    let g = graph(&[&owner, &a, &b]);
    assert_eq!(
        plan(&g, &owner, &OwnerLookups::new()),
        vec![
            remove_refs(&a, &[&owner]),
            remove_refs(&b, &[&owner]),
            remove_finalizer(&owner, ORPHAN)
        ]
    );
}

#[test]
fn an_orphaning_owner_without_dependents_just_drops_its_finalizer() {
    let owner = deleting(cm("parent"), &[ORPHAN]);
    let g = graph(&[&owner]);
    assert_eq!(
        plan(&g, &owner, &OwnerLookups::new()),
        vec![remove_finalizer(&owner, ORPHAN)]
    );
}

#[test]
fn a_foreground_owner_with_blocking_dependents_examines_the_ones_not_yet_deleting() {
    let owner = deleting(cm("parent"), &[FOREGROUND]);
    let live = owned_by(cm("a"), &owner, true);
    let going = deleting(owned_by(cm("b"), &owner, true), &[]);
    let loose = owned_by(cm("c"), &owner, false);
    let g = graph(&[&owner, &live, &going, &loose]);
    assert_eq!(
        plan(&g, &owner, &OwnerLookups::new()),
        vec![Action::Examine(live.uid.clone()), Action::Examine(loose.uid.clone())]
    );
}

#[test]
fn a_foreground_owner_without_blocking_dependents_drops_its_finalizer() {
    let owner = deleting(cm("parent"), &[FOREGROUND]);
    let loose = owned_by(cm("c"), &owner, false);
    let g = graph(&[&owner, &loose]);
    assert_eq!(
        plan(&g, &owner, &OwnerLookups::new()),
        vec![remove_finalizer(&owner, FOREGROUND)]
    );
}

// ---- graph ----

#[test]
fn removing_an_owner_queues_its_dependents() {
    let owner = cm("parent");
    let a = owned_by(cm("a"), &owner, false);
    let mut g = graph(&[&owner, &a]);
    assert_eq!(g.apply(Change::Remove(owner.uid.clone())), vec![a.uid.clone()]);
}

#[test]
fn a_dependent_of_an_unseen_owner_is_queued_but_one_of_a_seen_owner_is_not() {
    let owner = cm("parent");
    let mut g = Graph::default();
    let a = owned_by(cm("a"), &owner, false);
    assert_eq!(g.apply(Change::Upsert(a.clone())), vec![a.uid.clone()]);
    g.apply(Change::Upsert(owner.clone()));
    let b = owned_by(cm("b"), &owner, false);
    assert_eq!(g.apply(Change::Upsert(b)), vec![]);
}

#[test]
fn an_owner_entering_orphan_or_foreground_deletion_is_queued() {
    let owner = cm("parent");
    let mut g = graph(&[&owner]);
    assert_eq!(
        g.apply(Change::Upsert(deleting(owner.clone(), &[ORPHAN]))),
        vec![owner.uid.clone()]
    );
    assert_eq!(
        g.apply(Change::Upsert(deleting(owner.clone(), &[FOREGROUND]))),
        vec![owner.uid.clone()]
    );
    assert_eq!(g.apply(Change::Upsert(deleting(owner.clone(), &[]))), vec![]);
}

#[test]
fn a_dependent_going_away_or_dropping_its_reference_queues_its_deleting_owner() {
    let owner = deleting(cm("parent"), &[FOREGROUND]);
    let a = owned_by(cm("a"), &owner, true);
    let b = owned_by(cm("b"), &owner, true);
    let mut g = graph(&[&owner, &a, &b]);
    assert_eq!(g.apply(Change::Remove(a.uid.clone())), vec![owner.uid.clone()]);
    assert_eq!(g.apply(Change::Upsert(cm("b"))), vec![owner.uid.clone()]);
    assert_eq!(g.dependents(&owner.uid).count(), 0);
}

#[test]
fn needs_attention_lists_dependents_of_unseen_owners_and_finalizing_owners() {
    let ghost = cm("ghost");
    let orphaning = deleting(cm("o"), &[ORPHAN]);
    let a = owned_by(cm("a"), &ghost, false);
    let fine = owned_by(cm("fine"), &orphaning, false);
    let g = graph(&[&a, &orphaning, &fine]);
    assert_eq!(g.needs_attention(), vec![a.uid.clone(), orphaning.uid.clone()]);
}

// ---- driver against a recording fake ----

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Delete(String, Propagation),
    RemoveOwnerRefs(String, Vec<String>),
    UnblockOwnerRefs(String, Vec<String>),
    RemoveFinalizer(String, String),
}

/// The live objects the fake server holds, and the calls the driver made.
#[derive(Default)]
struct FakeGc {
    live: Mutex<HashMap<ObjectRef, Node>>,
    calls: Mutex<Vec<Call>>,
    fail_deletes: Mutex<u32>,
}

impl FakeGc {
    fn with(nodes: &[&Node]) -> Self {
        let f = FakeGc::default();
        for n in nodes {
            f.put(n);
        }
        f
    }
    fn put(&self, n: &Node) {
        self.live.lock().expect("lock").insert(n.object.clone(), n.clone());
    }
    fn remove(&self, n: &Node) {
        self.live.lock().expect("lock").remove(&n.object);
    }
    fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }
    fn record(&self, c: Call) {
        self.calls.lock().expect("lock").push(c);
    }
}

impl GcApi for FakeGc {
    async fn get(&self, object: &ObjectRef) -> Result<Option<Node>, ControllerError> {
        if object.kind == "Unserved" {
            return Err(ControllerError::UnknownKind {
                api_version: object.api_version.clone(),
                kind: object.kind.clone(),
            });
        }
        Ok(self.live.lock().expect("lock").get(object).cloned())
    }
    async fn delete(&self, object: &ObjectRef, _uid: &Uid, p: Propagation) -> Result<(), ControllerError> {
        {
            let mut fails = self.fail_deletes.lock().expect("lock");
            if *fails > 0 {
                *fails -= 1;
                return Err(ControllerError::Conflicts {
                    object: object.to_string(),
                });
            }
        }
        self.record(Call::Delete(object.name.clone(), p));
        Ok(())
    }
    async fn remove_owner_refs(&self, object: &ObjectRef, _uid: &Uid, owners: &[Uid]) -> Result<(), ControllerError> {
        self.record(Call::RemoveOwnerRefs(
            object.name.clone(),
            owners.iter().map(|u| u.0.clone()).collect(),
        ));
        Ok(())
    }
    async fn unblock_owner_refs(&self, object: &ObjectRef, _uid: &Uid, owners: &[Uid]) -> Result<(), ControllerError> {
        self.record(Call::UnblockOwnerRefs(
            object.name.clone(),
            owners.iter().map(|u| u.0.clone()).collect(),
        ));
        Ok(())
    }
    async fn remove_finalizer(&self, object: &ObjectRef, _uid: &Uid, finalizer: &str) -> Result<(), ControllerError> {
        self.record(Call::RemoveFinalizer(object.name.clone(), finalizer.into()));
        Ok(())
    }
}

fn configmaps() -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        plural: "configmaps".into(),
    }
}

/// The watch event's metadata for a node.
fn meta(n: &Node) -> PartialObjectMeta<DynamicObject> {
    let metadata = ObjectMeta {
        name: Some(n.object.name.clone()),
        namespace: n.object.namespace.clone(),
        uid: Some(n.uid.0.clone()),
        deletion_timestamp: n
            .deleting
            .then(|| serde_json::from_value::<Time>(serde_json::json!("2025-01-01T00:00:00Z")).expect("a valid time")),
        finalizers: (!n.finalizers.is_empty()).then(|| n.finalizers.clone()),
        owner_references: (!n.owners.is_empty()).then(|| {
            n.owners
                .iter()
                .map(|o| OwnerReference {
                    api_version: o.api_version.clone(),
                    kind: o.kind.clone(),
                    name: o.name.clone(),
                    uid: o.uid.0.clone(),
                    block_owner_deletion: Some(o.block_owner_deletion),
                    controller: None,
                })
                .collect()
        }),
        ..ObjectMeta::default()
    };
    PartialObjectMeta {
        types: None,
        metadata,
        _phantom: PhantomData,
    }
}

/// A driver over one resource (configmaps) whose initial list held `nodes`.
fn synced_driver(fake: FakeGc, nodes: &[&Node]) -> Driver<FakeGc> {
    let mut d = Driver::new(fake, vec![configmaps()]);
    d.observe(0, Ok(Event::Init));
    for n in nodes {
        d.observe(0, Ok(Event::InitApply(meta(n))));
    }
    d.observe(0, Ok(Event::InitDone));
    d
}

async fn drain(d: &mut Driver<FakeGc>) {
    while d.work_one().await {}
}

#[tokio::test]
async fn background_deleting_an_owner_deletes_its_dependent() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let mut d = synced_driver(FakeGc::with(&[&owner, &child]), &[&owner, &child]);
    drain(&mut d).await;
    assert_eq!(d.api.take_calls(), vec![]);

    d.api.remove(&owner);
    d.observe(0, Ok(Event::Delete(meta(&owner))));
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );
}

#[tokio::test]
async fn at_startup_a_dependent_of_a_vanished_owner_is_collected() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let mut d = synced_driver(FakeGc::with(&[&child]), &[&child]);
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );
}

#[tokio::test]
async fn an_owner_recreated_with_another_uid_counts_as_absent() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let mut impostor = cm("parent");
    impostor.uid = uid("other-uid");
    let mut d = synced_driver(FakeGc::with(&[&impostor, &child]), &[&impostor, &child]);
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );
}

#[tokio::test]
async fn an_owner_created_after_its_dependent_was_seen_keeps_it() {
    // The watch showed the dependent first, but a live GET finds the owner.
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let mut d = synced_driver(FakeGc::with(&[&owner, &child]), &[]);
    d.observe(0, Ok(Event::Apply(meta(&child))));
    drain(&mut d).await;
    assert_eq!(d.api.take_calls(), vec![]);
}

#[tokio::test]
async fn nothing_is_collected_before_every_resource_finished_its_initial_list() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let secrets = ApiResource {
        kind: "Secret".into(),
        plural: "secrets".into(),
        ..configmaps()
    };
    let mut d = Driver::new(FakeGc::with(&[&child]), vec![configmaps(), secrets]);
    d.observe(0, Ok(Event::Init));
    d.observe(0, Ok(Event::InitApply(meta(&child))));
    d.observe(0, Ok(Event::InitDone));
    drain(&mut d).await;
    assert_eq!(d.api.take_calls(), vec![]);
    d.observe(1, Ok(Event::Init));
    d.observe(1, Ok(Event::InitDone));
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );
}

#[tokio::test]
async fn orphan_deleting_an_owner_strips_the_reference_then_the_finalizer() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, true);
    let mut d = synced_driver(FakeGc::with(&[&owner, &child]), &[&owner, &child]);
    let terminating = deleting(owner.clone(), &[ORPHAN]);
    d.api.put(&terminating);
    d.observe(0, Ok(Event::Apply(meta(&terminating))));
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![
            Call::RemoveOwnerRefs("child".into(), vec!["parent-uid".into()]),
            Call::RemoveFinalizer("parent".into(), ORPHAN.into()),
        ]
    );
}

#[tokio::test]
async fn foreground_deleting_an_owner_deletes_dependents_first_then_drops_the_finalizer() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, true);
    let mut d = synced_driver(FakeGc::with(&[&owner, &child]), &[&owner, &child]);
    let terminating = deleting(owner.clone(), &[FOREGROUND]);
    d.api.put(&terminating);
    d.observe(0, Ok(Event::Apply(meta(&terminating))));
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );

    d.api.remove(&child);
    d.observe(0, Ok(Event::Delete(meta(&child))));
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::RemoveFinalizer("parent".into(), FOREGROUND.into())]
    );
}

#[tokio::test]
async fn a_relist_that_no_longer_shows_an_owner_collects_its_dependents() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let mut d = synced_driver(FakeGc::with(&[&owner, &child]), &[&owner, &child]);
    d.api.remove(&owner);
    d.observe(0, Ok(Event::Init));
    d.observe(0, Ok(Event::InitApply(meta(&child))));
    d.observe(0, Ok(Event::InitDone));
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_delete_is_retried_after_a_backoff() {
    let owner = cm("parent");
    let child = owned_by(cm("child"), &owner, false);
    let fake = FakeGc::with(&[&child]);
    *fake.fail_deletes.lock().expect("lock") = 1;
    let mut d = synced_driver(fake, &[&child]);
    drain(&mut d).await;
    assert_eq!(d.api.take_calls(), vec![]);
    let due = d.queue_mut().next_due().expect("a retry is scheduled");
    tokio::time::sleep_until(due).await;
    d.queue_mut().promote(tokio::time::Instant::now());
    drain(&mut d).await;
    assert_eq!(
        d.api.take_calls(),
        vec![Call::Delete("child".into(), Propagation::Background)]
    );
}

#[tokio::test]
async fn an_unserved_owner_kind_never_gets_its_dependent_deleted() {
    let mut child = cm("child");
    child.owners.push(Owner {
        uid: uid("x"),
        api_version: "example.com/v1".into(),
        kind: "Unserved".into(),
        name: "x".into(),
        block_owner_deletion: false,
    });
    let mut d = synced_driver(FakeGc::with(&[&child]), &[&child]);
    drain(&mut d).await;
    assert_eq!(d.api.take_calls(), vec![]);
}
