//! Component tests of the driver: the real [`Controller`] (queue, enqueue rules, workers,
//! backoff) against the in-memory world as its API, with the cache mirrored from the world.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::runtime::watcher::Event;

use super::world::{burst, labels, new_stateful_set, Call, Op, World};
use crate::statefulset::cache::{Cache, ObjectKey};
use crate::statefulset::client::{ApiError, LiveSet, StatefulSetApi};
use crate::statefulset::events::EventRecord;
use crate::statefulset::{Controller, Input, Relist, StatefulSetConfig};

/// The world as the controller's API; every request refreshes the controller's cache.
struct Mirror {
    world: Arc<World>,
    cache: Arc<RwLock<Cache>>,
}

impl Mirror {
    fn refresh(&self) {
        mirror(&self.world, &self.cache);
    }
}

fn mirror(world: &World, cache: &RwLock<Cache>) {
    let s = world.state();
    let mut c = cache.write().unwrap_or_else(|e| e.into_inner());
    c.sets.replace(vec![s.set.clone()]);
    c.pods.replace(s.pods.values().cloned().collect());
    c.claims.replace(s.claims.values().cloned().collect());
    c.revisions.replace(s.revisions.values().cloned().collect());
}

impl StatefulSetApi for Mirror {
    async fn live_set(&self, ns: &str, name: &str) -> Result<Option<LiveSet>, ApiError> {
        self.world.live_set(ns, name).await
    }
    async fn adopt_pod(&self, ns: &str, name: &str, uid: &str, owner: &OwnerReference) -> Result<(), ApiError> {
        let r = self.world.adopt_pod(ns, name, uid, owner).await;
        self.refresh();
        r
    }
    async fn release_pod(&self, ns: &str, name: &str, uid: &str, owner_uid: &str) -> Result<(), ApiError> {
        let r = self.world.release_pod(ns, name, uid, owner_uid).await;
        self.refresh();
        r
    }
    async fn adopt_revision(&self, ns: &str, name: &str, uid: &str, owner: &OwnerReference) -> Result<(), ApiError> {
        let r = self.world.adopt_revision(ns, name, uid, owner).await;
        self.refresh();
        r
    }
    async fn create_revision(&self, revision: &ControllerRevision) -> Result<(), ApiError> {
        let r = self.world.create_revision(revision).await;
        self.refresh();
        r
    }
    async fn renumber_revision(&self, ns: &str, name: &str, revision: i64) -> Result<(), ApiError> {
        let r = self.world.renumber_revision(ns, name, revision).await;
        self.refresh();
        r
    }
    async fn delete_revision(&self, ns: &str, name: &str) -> Result<(), ApiError> {
        let r = self.world.delete_revision(ns, name).await;
        self.refresh();
        r
    }
    async fn create_claim(&self, claim: &PersistentVolumeClaim) -> Result<(), ApiError> {
        let r = self.world.create_claim(claim).await;
        self.refresh();
        r
    }
    async fn create_pod(&self, pod: &Pod) -> Result<Pod, ApiError> {
        let r = self.world.create_pod(pod).await;
        self.refresh();
        r
    }
    async fn update_pod(&self, pod: &Pod) -> Result<Pod, ApiError> {
        let r = self.world.update_pod(pod).await;
        self.refresh();
        r
    }
    async fn get_pod(&self, ns: &str, name: &str) -> Result<Option<Pod>, ApiError> {
        self.world.get_pod(ns, name).await
    }
    async fn delete_pod(&self, ns: &str, name: &str, uid: Option<&str>) -> Result<Option<Pod>, ApiError> {
        let r = self.world.delete_pod(ns, name, uid).await;
        self.refresh();
        r
    }
    async fn update_claim_owners(
        &self,
        ns: &str,
        name: &str,
        uid: &str,
        refs: &[OwnerReference],
    ) -> Result<PersistentVolumeClaim, ApiError> {
        let r = self.world.update_claim_owners(ns, name, uid, refs).await;
        self.refresh();
        r
    }
    async fn update_status(&self, set: &StatefulSet, status: &StatefulSetStatus) -> Result<StatefulSet, ApiError> {
        let r = self.world.update_status(set, status).await;
        self.refresh();
        r
    }
    async fn record(&self, set: &StatefulSet, event: EventRecord) {
        self.world.record(set, event).await
    }
}

fn controller(set: StatefulSet) -> (Arc<World>, Arc<Controller<Mirror>>) {
    let world = Arc::new(World::new(set));
    let cache = Arc::new(RwLock::new(Cache::default()));
    mirror(&world, &cache);
    let api = Mirror {
        world: world.clone(),
        cache: cache.clone(),
    };
    (
        world,
        Arc::new(Controller::new(api, cache, StatefulSetConfig::default())),
    )
}

fn key() -> ObjectKey {
    ObjectKey {
        namespace: "default".into(),
        name: "foo".into(),
    }
}

async fn next_key(c: &Controller<Mirror>) -> Option<ObjectKey> {
    let k = tokio::time::timeout(Duration::from_millis(50), c.queue().next())
        .await
        .ok()
        .flatten();
    if let Some(k) = &k {
        c.queue().done(k);
    }
    k
}

fn synced_relist() -> Relist {
    Relist {
        sets: None,
        pods: None,
        claims: None,
        revisions: None,
        synced: [true; 4],
    }
}

#[tokio::test(start_paused = true)]
async fn reconcile_creates_claims_and_pods_through_the_api_and_records_events() {
    let (world, c) = controller(new_stateful_set(2));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        world.calls(),
        vec![
            Call::CreateRevision(world.revisions()[0].metadata.name.clone().unwrap_or_default()),
            Call::CreateClaim("datadir-foo-0".into()),
            Call::CreatePod("foo-0".into()),
            Call::UpdateStatus
        ]
    );
    assert_eq!(world.events().len(), 2);
    // The cache saw the create, so the next sync creates nothing more while foo-0 is not Ready.
    world.take_calls();
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        world.calls().iter().all(|c| !matches!(c, Call::CreatePod(_))),
        "{:?}",
        world.calls()
    );
}

#[tokio::test(start_paused = true)]
async fn workers_converge_a_parallel_set() {
    let (world, c) = controller(burst(new_stateful_set(3)));
    let worker = tokio::spawn(c.clone().worker());
    c.queue().add(key());
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if world.pods().len() == 3 {
            break;
        }
    }
    assert_eq!(world.ordinals(), vec![0, 1, 2]);
    c.queue().shut_down();
    let _ = worker.await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_sync_is_retried_after_a_backoff() {
    let (world, c) = controller(new_stateful_set(1));
    world.fail(Op::CreatePod, 0);
    let worker = tokio::spawn(c.clone().worker());
    c.queue().add(key());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(world.pods().is_empty(), "the first create failed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(world.ordinals(), vec![0], "retried after the backoff");
    c.queue().shut_down();
    let _ = worker.await;
}

#[tokio::test(start_paused = true)]
async fn min_ready_seconds_requeues_until_available() {
    let mut set = new_stateful_set(1);
    set.spec.as_mut().map(|s| s.min_ready_seconds = Some(10));
    let (world, c) = controller(set);
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    world.set_ready_since(0, k8s_openapi::jiff::Timestamp::now());
    mirror(&world, c.cache());
    let after = c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        after.is_some_and(|d| d > Duration::from_secs(9) && d <= Duration::from_secs(11)),
        "{after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn pod_events_enqueue_the_owner_or_the_matching_sets() {
    let (world, c) = controller(new_stateful_set(1));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut relist = synced_relist();
    let mut pod = world.pod(0).unwrap_or_else(|| panic!("pod 0"));

    // Same resourceVersion (resync): nothing.
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(pod.clone()))));
    assert_eq!(next_key(&c).await, None);

    // An update of an owned pod enqueues its set.
    pod.metadata.resource_version = Some("999".into());
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(pod.clone()))));
    assert_eq!(next_key(&c).await, Some(key()));

    // Deleting an orphan enqueues nothing; an orphan with matching labels enqueues the set.
    let mut orphan = pod.clone();
    orphan.metadata.name = Some("other-0".into());
    orphan.metadata.uid = Some("o".into());
    orphan.metadata.owner_references = None;
    c.observe(&mut relist, Input::Pod(Ok(Event::Delete(orphan.clone()))));
    assert_eq!(next_key(&c).await, None);
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(orphan.clone()))));
    assert_eq!(next_key(&c).await, Some(key()));
    orphan.metadata.labels = Some(labels(&[("x", "y")]));
    orphan.metadata.resource_version = Some("1000".into());
    orphan.metadata.name = Some("other-1".into());
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(orphan))));
    assert_eq!(next_key(&c).await, None);

    // A pod whose owner is not a known set enqueues nothing.
    let mut foreign = pod.clone();
    foreign.metadata.name = Some("foo-7".into());
    foreign
        .metadata
        .owner_references
        .iter_mut()
        .flatten()
        .for_each(|r| r.uid = "someone-else".into());
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(foreign))));
    assert_eq!(next_key(&c).await, None);
}

#[tokio::test(start_paused = true)]
async fn a_pod_becoming_ready_with_min_ready_seconds_enqueues_again_later() {
    let mut set = new_stateful_set(1);
    set.spec.as_mut().map(|s| s.min_ready_seconds = Some(5));
    let (world, c) = controller(set);
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    world.set_ready(0);
    let pod = world.pod(0).unwrap_or_else(|| panic!("pod 0"));
    let mut relist = synced_relist();
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(pod))));
    assert_eq!(next_key(&c).await, Some(key()));
    assert_eq!(next_key(&c).await, None, "the delayed key is not due yet");
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(next_key(&c).await, Some(key()));
}

#[tokio::test(start_paused = true)]
async fn nothing_is_enqueued_before_the_caches_sync() {
    let (_world, c) = controller(new_stateful_set(1));
    let mut relist = Relist {
        sets: None,
        pods: None,
        claims: None,
        revisions: None,
        synced: [false; 4],
    };
    for i in [
        Input::Set(Ok(Event::Init)),
        Input::Set(Ok(Event::InitApply(new_stateful_set(1)))),
        Input::Set(Ok(Event::InitDone)),
    ] {
        c.observe(&mut relist, i);
    }
    assert_eq!(next_key(&c).await, None);
    for i in [Input::Pod(Ok(Event::InitDone)), Input::Claim(Ok(Event::InitDone))] {
        c.observe(&mut relist, i);
    }
    assert_eq!(next_key(&c).await, None);
    c.observe(&mut relist, Input::Revision(Ok(Event::InitDone)));
    assert_eq!(next_key(&c).await, Some(key()));
}

/// Another set selecting the same labels as `foo`, put in the controller's cache.
fn add_overlapping_set(c: &Controller<Mirror>, name: &str, uid: &str) -> ObjectKey {
    let mut other = new_stateful_set(1);
    other.metadata.name = Some(name.into());
    other.metadata.uid = Some(uid.into());
    c.cache().write().unwrap_or_else(|e| e.into_inner()).sets.upsert(other);
    ObjectKey {
        namespace: "default".into(),
        name: name.into(),
    }
}

async fn drain(c: &Controller<Mirror>) -> Vec<ObjectKey> {
    let mut keys = Vec::new();
    while let Some(k) = next_key(c).await {
        keys.push(k);
    }
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    keys
}

/// Ports TestStatefulSetControllerUpdatePodChangeControllerRef (stateful_set_test.go): a pod whose
/// controller ref moves from one set to another enqueues both.
#[tokio::test(start_paused = true)]
async fn a_pod_changing_controller_enqueues_the_old_and_the_new_owner() {
    let (world, c) = controller(new_stateful_set(1));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    let bar = add_overlapping_set(&c, "bar", "bar-uid");
    let old = world.pod(0).unwrap_or_else(|| panic!("pod 0"));
    let mut cur = old.clone();
    cur.metadata.resource_version = Some("999".into());
    cur.metadata.owner_references.iter_mut().flatten().for_each(|r| {
        r.name = "bar".into();
        r.uid = "bar-uid".into();
    });
    let mut relist = synced_relist();
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(cur))));
    assert_eq!(drain(&c).await, vec![bar, key()]);
}

/// Ports TestStatefulSetControllerUpdatePodRelease (stateful_set_test.go): a pod losing its
/// controller ref enqueues its old owner (and, as an orphan, the sets that match it).
#[tokio::test(start_paused = true)]
async fn a_released_pod_enqueues_its_old_owner() {
    let (world, c) = controller(new_stateful_set(1));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut cur = world.pod(0).unwrap_or_else(|| panic!("pod 0"));
    cur.metadata.resource_version = Some("999".into());
    cur.metadata.owner_references = None;
    cur.metadata.labels = Some(labels(&[("other", "x")]));
    let mut relist = synced_relist();
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(cur))));
    assert_eq!(drain(&c).await, vec![key()]);
}

/// Ports TestStatefulSetControllerDeletePodTombstone (stateful_set_test.go). kube-rs watchers have
/// no `DeletedFinalStateUnknown` tombstones: a deletion missed during a watch gap shows up as a
/// relist without the pod, and a relist of pods enqueues every set.
#[tokio::test(start_paused = true)]
async fn a_pod_deletion_seen_only_by_a_relist_enqueues_its_set() {
    let (world, c) = controller(new_stateful_set(1));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(world.pod(0).is_some());
    let mut relist = synced_relist();
    for i in [Input::Pod(Ok(Event::Init)), Input::Pod(Ok(Event::InitDone))] {
        c.observe(&mut relist, i);
    }
    assert_eq!(drain(&c).await, vec![key()]);
    assert!(c
        .cache()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .pods
        .get("default", "foo-0")
        .is_none());
}

/// Ports TestGetStatefulSetsForPod and TestOverlappingStatefulSets (stateful_set_test.go,
/// stateful_set_utils_test.go): an orphan selected by two sets enqueues both, older or newer.
/// Upstream's `overlappingStatefulSets` (oldest first, then by name) only orders such sets; it
/// decides nothing in the sync, as every matching set is returned and may try to adopt.
#[tokio::test(start_paused = true)]
async fn an_orphan_selected_by_overlapping_sets_enqueues_every_one() {
    let (world, c) = controller(new_stateful_set(1));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    let bar = add_overlapping_set(&c, "bar", "bar-uid");
    let mut orphan = world.pod(0).unwrap_or_else(|| panic!("pod 0"));
    orphan.metadata.name = Some("baz-0".into());
    orphan.metadata.uid = Some("o".into());
    orphan.metadata.owner_references = None;
    let mut relist = synced_relist();
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(orphan.clone()))));
    assert_eq!(drain(&c).await, vec![bar, key()]);
    // Without labels no set selects it (upstream: "no StatefulSets found for pod").
    orphan.metadata.labels = None;
    orphan.metadata.name = Some("baz-1".into());
    c.observe(&mut relist, Input::Pod(Ok(Event::Apply(orphan))));
    assert_eq!(drain(&c).await, Vec::<ObjectKey>::new());
}

/// Upstream's workqueue semantics seen through the driver: a burst of pod events while the set
/// syncs (its own creates coming back on the watch) makes one more sync, not one per event.
#[tokio::test(start_paused = true)]
async fn a_burst_of_pod_events_during_a_sync_makes_one_more_sync() {
    let (world, c) = controller(burst(new_stateful_set(100)));
    c.queue().add(key());
    let syncing = c.queue().next().await;
    assert_eq!(syncing, Some(key()));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut relist = synced_relist();
    for (i, mut pod) in world.pods().into_iter().enumerate() {
        // Newer than what the sync wrote through to the cache (say, the pod is now Running).
        pod.metadata.resource_version = Some((100_000 + i).to_string());
        c.observe(&mut relist, Input::Pod(Ok(Event::Apply(pod))));
    }
    assert_eq!(next_key(&c).await, None, "the set is not handed out while it syncs");
    c.queue().done(&key());
    assert_eq!(drain(&c).await, vec![key()]);
}

/// A sync's input is a snapshot that shares the cached objects: building one copies no pod, claim
/// or revision (every pod event syncs the set, so copying made a set's syncs quadratic).
#[tokio::test(start_paused = true)]
async fn a_sync_input_shares_the_cached_objects() {
    let (_world, c) = controller(new_stateful_set(3));
    c.reconcile(&key()).await.unwrap_or_else(|e| panic!("{e}"));
    let cache = c.cache().read().unwrap_or_else(|e| e.into_inner());
    let input = cache
        .input(&key(), Default::default())
        .unwrap_or_else(|| panic!("no input"));
    assert!(!input.pods.is_empty() && !input.claims.is_empty() && !input.revisions.is_empty());
    for pod in &input.pods {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        assert!(
            cache.pods.get("default", name).is_some_and(|p| Arc::ptr_eq(p, pod)),
            "{name} was copied"
        );
    }
    for claim in &input.claims {
        let name = claim.metadata.name.as_deref().unwrap_or_default();
        assert!(cache.claims.get("default", name).is_some_and(|c| Arc::ptr_eq(c, claim)));
    }
    for rev in &input.revisions {
        let name = rev.metadata.name.as_deref().unwrap_or_default();
        assert!(cache
            .revisions
            .get("default", name)
            .is_some_and(|r| Arc::ptr_eq(r, rev)));
    }
    let set = cache.sets.get("default", "foo").unwrap_or_else(|| panic!("no set"));
    assert!(Arc::ptr_eq(set, &input.set));
}
