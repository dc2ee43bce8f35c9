//! Component tests of the volume driver: the three plans against a recording fake API that keeps
//! objects as JSON and applies merge patches, and in-memory directories.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::runtime::watcher::Event;
use serde_json::{json, Value};

use super::api::{default_class, VolumeApi};
use super::binder::matching::VolumeIndex;
use super::binder::plan::EventNote;
use super::model::{Claim, ClaimKey, Scope, Volume, ANN_SELECTED_NODE};
use super::provisioner::dirs::{FakeDirs, FakeState};
use super::provisioner::plan::Config;
use super::{State, Volumes};
use crate::error::ControllerError;

#[derive(Clone, Debug, PartialEq)]
enum Call {
    PatchClaim { name: String, status: bool },
    PatchVolume { name: String, status: bool },
    CreateVolume(String),
    DeleteVolume(String),
    EnsureClass(String),
    Event(&'static str),
}

#[derive(Default)]
struct Fake {
    claims: Mutex<BTreeMap<String, Value>>,
    volumes: Mutex<BTreeMap<String, Value>>,
    calls: Mutex<Vec<Call>>,
    rv: Mutex<u64>,
    /// Writes in flight now, and the most seen at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

fn merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

impl Fake {
    fn log(&self, c: Call) {
        self.calls.lock().expect("lock").push(c);
    }

    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }

    /// A write takes a turn of the runtime, as a request does, so concurrent writes overlap.
    async fn request(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn bump(&self, obj: &mut Value) {
        let mut rv = self.rv.lock().expect("lock");
        *rv += 1;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        // A deleting object whose finalizers are all gone is removed.
    }
}

impl VolumeApi for Fake {
    async fn patch_claim(&self, key: &ClaimKey, patch: Value, status: bool) -> Result<Option<Claim>, ControllerError> {
        self.request().await;
        self.log(Call::PatchClaim {
            name: key.name.clone(),
            status,
        });
        let mut claims = self.claims.lock().expect("lock");
        let Some(obj) = claims.get_mut(&key.name) else {
            return Ok(None);
        };
        merge(obj, &patch);
        self.bump(obj);
        let c: PersistentVolumeClaim = serde_json::from_value(obj.clone()).expect("claim");
        Ok(Some(Claim::from(&c)))
    }

    async fn patch_volume(&self, name: &str, patch: Value, status: bool) -> Result<Option<Volume>, ControllerError> {
        self.request().await;
        self.log(Call::PatchVolume {
            name: name.into(),
            status,
        });
        let mut volumes = self.volumes.lock().expect("lock");
        let Some(obj) = volumes.get_mut(name) else {
            return Ok(None);
        };
        merge(obj, &patch);
        self.bump(obj);
        let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
        let finalized = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_none_or(|f| f.is_empty());
        if deleting && finalized {
            volumes.remove(name);
            return Ok(None);
        }
        let v: PersistentVolume = serde_json::from_value(obj.clone()).expect("volume");
        Ok(Some(Volume::from(&v)))
    }

    async fn create_volume(&self, pv: PersistentVolume) -> Result<Option<Volume>, ControllerError> {
        let name = pv.metadata.name.clone().unwrap_or_default();
        self.request().await;
        self.log(Call::CreateVolume(name.clone()));
        let mut obj = serde_json::to_value(&pv).expect("json");
        obj["metadata"]["uid"] = json!(format!("uid-{name}"));
        self.bump(&mut obj);
        self.volumes.lock().expect("lock").insert(name, obj);
        Ok(Some(Volume::from(&pv)))
    }

    async fn delete_volume(&self, name: &str) -> Result<Option<Volume>, ControllerError> {
        self.log(Call::DeleteVolume(name.into()));
        let mut volumes = self.volumes.lock().expect("lock");
        let Some(obj) = volumes.get_mut(name) else {
            return Ok(None);
        };
        obj["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:00:00Z");
        let v: PersistentVolume = serde_json::from_value(obj.clone()).expect("volume");
        Ok(Some(Volume::from(&v)))
    }

    async fn ensure_class(&self, class: StorageClass) -> Result<(), ControllerError> {
        self.log(Call::EnsureClass(class.metadata.name.unwrap_or_default()));
        Ok(())
    }

    async fn record_event(&self, note: &EventNote) -> Result<(), ControllerError> {
        self.log(Call::Event(note.reason));
        Ok(())
    }
}

fn claim_obj(name: &str, annotations: Value) -> Value {
    json!({
        "metadata": {"name": name, "namespace": "default", "uid": format!("u-{name}"), "resourceVersion": "1",
            "annotations": annotations, "finalizers": ["kubernetes.io/pvc-protection"]},
        "spec": {"storageClassName": "local-path", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": "Pending"},
    })
}

/// The volume controllers over `fake`, provisioning locally (in memory) for node `berth`.
fn provisioning_on_berth(fake: Fake) -> Volumes<Fake, FakeDirs> {
    Volumes::new(
        fake,
        Some((
            FakeDirs::default(),
            Config {
                node_name: "berth".into(),
            },
        )),
    )
}

fn synced(fake: &Fake) -> State {
    let mut s = State::default();
    s.observe_claim(Event::Init);
    for c in fake.claims.lock().expect("lock").values() {
        s.observe_claim(Event::InitApply(serde_json::from_value(c.clone()).expect("claim")));
    }
    s.observe_claim(Event::InitDone);
    s.observe_volume(Event::Init);
    s.observe_volume(Event::InitDone);
    s.observe_class(Event::Init);
    s.observe_class(Event::InitApply(default_class()));
    s.observe_class(Event::InitDone);
    s.observe_pod(Event::Init);
    s.observe_pod(Event::InitDone);
    s
}

#[tokio::test]
async fn a_selected_claim_is_provisioned_bound_and_on_release_its_directory_goes_before_its_volume() {
    let fake = Fake::default();
    fake.claims.lock().expect("lock").insert(
        "www-web-0".into(),
        claim_obj("www-web-0", json!({ANN_SELECTED_NODE: "berth"})),
    );
    let mut state = synced(&fake);
    let mut v = provisioning_on_berth(fake);
    assert!(v.sync(&mut state).await);
    let dir = "pvc-u-www-web-0_default_www-web-0";
    let (dirs, _) = v.dirs.as_ref().expect("dirs");
    assert_eq!(dirs.state(dir), Some(FakeState::Live));
    assert_eq!(
        *dirs.calls.lock().expect("lock"),
        vec![format!("begin_create {dir}"), format!("commit_create {dir}")]
    );
    let calls = v.api.take();
    let create = calls
        .iter()
        .position(|c| *c == Call::CreateVolume("pvc-u-www-web-0".into()))
        .expect("created");
    let asked = calls
        .iter()
        .position(|c| {
            *c == Call::PatchClaim {
                name: "www-web-0".into(),
                status: false,
            }
        })
        .expect("asked the provisioner");
    assert!(asked < create, "{calls:?}");
    let claim = &state.claims[&ClaimKey {
        namespace: "default".into(),
        name: "www-web-0".into(),
    }];
    assert_eq!(
        (claim.phase.as_str(), claim.volume_name.as_str()),
        ("Bound", "pvc-u-www-web-0")
    );
    assert_eq!(state.volumes["pvc-u-www-web-0"].phase, "Bound");
    // Announced before the volume is created, reported after (as upstream's external provisioner).
    let at = |c: &Call| calls.iter().position(|x| x == c);
    let (announced, succeeded) = (
        at(&Call::Event("Provisioning")).expect("announced"),
        at(&Call::Event("ProvisioningSucceeded")).expect("reported"),
    );
    assert!(announced < create && create < succeeded, "{calls:?}");

    // The claim is deleted: the volume is Released, its directory removed, then the object.
    v.api.claims.lock().expect("lock").clear();
    state.claims.clear();
    assert!(v.sync(&mut state).await);
    let calls = v.api.take();
    assert_eq!(
        calls[0],
        Call::PatchVolume {
            name: "pvc-u-www-web-0".into(),
            status: true
        },
        "Released first: {calls:?}"
    );
    assert!(
        calls.contains(&Call::DeleteVolume("pvc-u-www-web-0".into())),
        "{calls:?}"
    );
    let (dirs, _) = v.dirs.as_ref().expect("dirs");
    assert_eq!(dirs.state(dir), None);
    assert_eq!(
        dirs.calls.lock().expect("lock").last().map(String::as_str),
        Some(format!("remove {dir}").as_str())
    );
    assert!(
        state.volumes.is_empty(),
        "finalizers removed, the volume is gone: {:?}",
        state.volumes
    );
}

#[tokio::test]
async fn startup_creates_the_default_class_when_absent_and_settles_crash_leftovers() {
    let fake = Fake::default();
    let mut state = synced(&fake);
    state.classes.clear();
    state.observe_volume(Event::Apply(
        serde_json::from_value(json!({
            "metadata": {"name": "pvc-a", "resourceVersion": "5", "annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}},
            "spec": {"hostPath": {"path": "/data/volumes/pvc-a_default_a"}},
        }))
        .expect("pv"),
    ));
    let dirs = FakeDirs::default();
    dirs.dirs.lock().expect("lock").extend([
        ("pvc-a_default_a".to_string(), FakeState::Creating),
        ("pvc-b_default_b".to_string(), FakeState::Creating),
        ("pvc-c_default_c".to_string(), FakeState::Deleting),
    ]);
    let mut v = Volumes::new(
        fake,
        Some((
            dirs,
            Config {
                node_name: "berth".into(),
            },
        )),
    );
    v.start(&state).await.expect("start");
    assert_eq!(v.api.take(), vec![Call::EnsureClass("local-path".into())]);
    let (dirs, _) = v.dirs.as_ref().expect("dirs");
    assert_eq!(
        *dirs.dirs.lock().expect("lock"),
        BTreeMap::from([("pvc-a_default_a".to_string(), FakeState::Live)])
    );
}

#[tokio::test]
async fn many_selected_claims_are_provisioned_and_bound_concurrently_each_in_upstream_order() {
    let fake = Fake::default();
    let names: Vec<String> = (0..10).map(|i| format!("www-web-{i}")).collect();
    for n in &names {
        fake.claims
            .lock()
            .expect("lock")
            .insert(n.clone(), claim_obj(n, json!({ANN_SELECTED_NODE: "berth"})));
    }
    let mut state = synced(&fake);
    let mut v = provisioning_on_berth(fake);
    assert!(v.sync(&mut state).await);
    assert!(
        v.api.max_in_flight.load(Ordering::SeqCst) > 1,
        "writes about different claims overlap"
    );
    let calls = v.api.take();
    for n in &names {
        let claim = &state.claims[&ClaimKey {
            namespace: "default".into(),
            name: n.clone(),
        }];
        let volume = format!("pvc-u-{n}");
        assert_eq!(
            (claim.phase.as_str(), claim.volume_name.as_str()),
            ("Bound", volume.as_str())
        );
        assert_eq!(state.volumes[&volume].phase, "Bound");
        let at = |c: Call| {
            calls
                .iter()
                .position(|x| *x == c)
                .unwrap_or_else(|| panic!("{c:?} in {calls:?}"))
        };
        let patch_claim = |status| Call::PatchClaim {
            name: n.clone(),
            status,
        };
        // The provisioner is asked, the volume made; then upstream's bind(): the volume's phase,
        // the claim, the claim's status.
        let asked = at(patch_claim(false));
        let created = at(Call::CreateVolume(volume.clone()));
        let phase = at(Call::PatchVolume {
            name: volume.clone(),
            status: true,
        });
        let claim_status = at(patch_claim(true));
        assert!(
            asked < created && created < phase && phase < claim_status,
            "{n}: {calls:?}"
        );
    }
}

#[test]
fn steps_about_one_claim_and_its_volume_form_one_group_in_plan_order() {
    use super::binder::plan::Action as B;
    use super::exec::{group_steps, object_sets, Step};
    let key = |n: &str| ClaimKey {
        namespace: "default".into(),
        name: n.into(),
    };
    let steps = vec![
        Step::Bind(B::VolumePhase {
            volume: "pv-a".into(),
            phase: "Bound",
            message: String::new(),
        }),
        Step::Bind(B::RequestProvisioning {
            claim: key("b"),
            provisioner: "p".into(),
        }),
        Step::Bind(B::BindClaim {
            claim: key("a"),
            volume: "pv-a".into(),
            by_controller: true,
        }),
        Step::Bind(B::ClaimStatus {
            claim: key("a"),
            phase: "Bound",
            capacity: None,
            access_modes: vec![],
        }),
        Step::Bind(B::ClaimStatus {
            claim: key("b"),
            phase: "Pending",
            capacity: None,
            access_modes: vec![],
        }),
    ];
    let groups = group_steps(steps.clone());
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(
        groups[0].steps,
        vec![steps[0].clone(), steps[2].clone(), steps[3].clone()]
    );
    assert_eq!(groups[1].steps, vec![steps[1].clone(), steps[4].clone()]);
    let sets = object_sets(&groups);
    assert!(sets[0].contains("claim default/a") && sets[0].contains("volume pv-a"));
    assert!(sets[1].contains("claim default/b") && !sets[1].contains("volume pv-a"));
}

#[test]
fn an_object_being_written_or_backing_off_gets_no_second_writer() {
    use super::exec::{Group, Object, Tracker};
    let t0 = tokio::time::Instant::now();
    let claim = Object::Claim(ClaimKey {
        namespace: "default".into(),
        name: "www-web-0".into(),
    });
    let volume = Object::Volume("pvc-1".into());
    let group = Group {
        steps: vec![],
        objects: vec![claim.clone(), volume.clone()],
    };
    let mut t = Tracker::default();
    t.start(&group);
    assert!(t.blocked(&claim, t0) && t.blocked(&volume, t0));
    t.finish(&group.objects, false, t0);
    let retry = t.next_retry(t0).expect("a retry is due");
    assert!(retry > t0);
    assert!(t.blocked(&claim, t0), "backing off");
    assert!(!t.blocked(&claim, retry), "free once the backoff is over");
    t.start(&group);
    t.finish(&group.objects, true, retry);
    assert!(
        !t.blocked(&claim, t0) && t.next_retry(t0).is_none(),
        "success forgets the failures"
    );
}

#[tokio::test]
async fn the_plan_leaves_out_steps_about_busy_objects() {
    use super::exec::{plan_groups, Object, Provisioning};
    let fake = Fake::default();
    fake.claims.lock().expect("lock").insert(
        "www-web-0".into(),
        claim_obj("www-web-0", json!({ANN_SELECTED_NODE: "berth"})),
    );
    let state = synced(&fake);
    let config = Config {
        node_name: "berth".into(),
    };
    let provisioning = Some(Provisioning {
        config: &config,
        root: "/data/volumes",
    });
    let index = VolumeIndex::new(state.volumes.values());
    let all = plan_groups(&state, provisioning, &|_| false, &index, Scope::All);
    assert!(!all.groups.is_empty(), "the selected claim asks for its provisioner");
    let key = ClaimKey {
        namespace: "default".into(),
        name: "www-web-0".into(),
    };
    let busy = Object::Claim(key);
    let planned = plan_groups(&state, provisioning, &|o| *o == busy, &index, Scope::All);
    assert_eq!(planned.groups, vec![]);
    assert!(
        planned.deferred.contains(&busy),
        "what was left out is planned again later"
    );
}

#[test]
fn a_write_answered_after_the_watch_showed_the_deletion_does_not_bring_the_claim_back() {
    let claim = |rv: &str| -> PersistentVolumeClaim {
        let mut c = claim_obj("www-web-0", json!({}));
        c["metadata"]["resourceVersion"] = json!(rv);
        serde_json::from_value(c).expect("claim")
    };
    let key = ClaimKey {
        namespace: "default".into(),
        name: "www-web-0".into(),
    };
    let mut s = State::default();
    s.observe_claim(Event::Apply(claim("5")));
    // The finalizer's removal deletes the claim; the watch shows it before the answer is taken in.
    s.observe_claim(Event::Delete(claim("6")));
    s.put_claim(&key, Some(Claim::from(&claim("6"))), 5);
    assert!(s.claims.is_empty(), "{:?}", s.claims);
    // An answer older than the cached copy is dropped; "gone" removes only a copy the writer knew.
    s.forget_deletions();
    s.observe_claim(Event::Apply(claim("9")));
    s.put_claim(&key, Some(Claim::from(&claim("7"))), 5);
    assert_eq!(s.claims[&key].resource_version, "9");
    s.put_claim(&key, None, 7);
    assert_eq!(
        s.claims[&key].resource_version, "9",
        "a newer copy than the writer knew stays"
    );
    s.put_claim(&key, None, 9);
    assert!(s.claims.is_empty());
}
