//! Incremental planning against planning everything: over random changes to claims, volumes,
//! pods and the class, with groups in flight as the driver keeps them, a plan over what
//! [`Changes`] marked must find the groups a plan over everything finds, or leave them marked
//! for the next plan ([`missed`]).

use std::collections::BTreeMap;

use kube::runtime::watcher::Event;
use proptest::prelude::*;

use super::super::binder::plan::Action as BindAction;
use super::super::exec::{plan_groups, Group, Object, Provisioning, Step};
use super::super::model::{
    Claim, ClaimKey, ClaimRef, Class, PodClaims, Scope, Volume, ANN_BIND_COMPLETED, ANN_DYNAMICALLY_PROVISIONED,
    ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, PVC_PROTECTION, PV_PROTECTION,
};
use super::super::protection::Action as ProtectAction;
use super::super::provisioner::plan::Action as ProvisionAction;
use super::super::provisioner::plan::Config;
use super::super::provisioner::{PROVISIONER, PROVISIONER_FINALIZER};
use super::super::{plan_changes, State};
use super::{missed, VolumeIndex};

const CLAIMS: usize = 4;
/// Volume names: two plain ones and the names the first two claims are provisioned as.
const VOLUMES: [&str; 4] = ["v0", "v1", "pvc-uid-c0", "pvc-uid-c1"];
const ROOT: &str = "/data/volumes";

#[derive(Clone, Debug)]
struct ClaimSpec {
    volume: Option<usize>,
    bound: bool,
    selected: bool,
    asked: bool,
    deleting: bool,
    protected: bool,
    phase: usize,
    class: usize,
    big: bool,
    /// A second incarnation of the claim (another uid).
    recreated: bool,
}

#[derive(Clone, Debug)]
struct VolumeSpec {
    /// The claim its claimRef names, and whether with that claim's uid.
    claim: Option<(usize, bool)>,
    phase: usize,
    deleting: bool,
    protected: bool,
    ours: bool,
    retain: bool,
    class: usize,
    big: bool,
    in_root: bool,
}

#[derive(Clone, Debug)]
enum Op {
    Claim(usize, Option<ClaimSpec>),
    Volume(usize, Option<VolumeSpec>),
    /// A pod using the claims of a bit mask, on a node or not, finished or not.
    Pod(usize, Option<(u8, bool, bool)>),
    /// The `local-path` class: WaitForFirstConsumer, default, or gone.
    Class(Option<(bool, bool)>),
    /// A plan for about this many groups.
    Plan(usize),
    /// A group in flight finishes (the i-th, modulo their number).
    Finish(usize),
    Resync,
}

const PHASES: [&str; 4] = ["", "Pending", "Bound", "Released"];
const VOLUME_PHASES: [&str; 5] = ["", "Available", "Bound", "Released", "Failed"];
const CLASSES: [Option<&str>; 3] = [Some("local-path"), Some("manual"), None];

fn claim_spec() -> impl Strategy<Value = ClaimSpec> {
    (
        (
            proptest::option::of(0..VOLUMES.len()),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (any::<bool>(), any::<bool>(), 0..PHASES.len(), 0..CLASSES.len()),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((volume, bound, selected, asked), (deleting, protected, phase, class), (big, recreated))| ClaimSpec {
                volume,
                bound,
                selected,
                asked,
                deleting,
                protected,
                phase,
                class,
                big,
                recreated,
            },
        )
}

fn volume_spec() -> impl Strategy<Value = VolumeSpec> {
    (
        (
            proptest::option::of((0..CLAIMS, any::<bool>())),
            0..VOLUME_PHASES.len(),
            any::<bool>(),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), 0..CLASSES.len()),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((claim, phase, deleting), (protected, ours, retain, class), (big, in_root))| VolumeSpec {
                claim,
                phase,
                deleting,
                protected,
                ours,
                retain,
                class,
                big,
                in_root,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CLAIMS, proptest::option::weighted(0.85, claim_spec())).prop_map(|(i, s)| Op::Claim(i, s)),
        4 => (0..VOLUMES.len(), proptest::option::weighted(0.85, volume_spec())).prop_map(|(i, s)| Op::Volume(i, s)),
        2 => (0..3usize, proptest::option::of((any::<u8>(), any::<bool>(), any::<bool>()))).prop_map(|(i, s)| Op::Pod(i, s)),
        1 => proptest::option::weighted(0.8, (any::<bool>(), any::<bool>())).prop_map(Op::Class),
        5 => (1..6usize).prop_map(Op::Plan),
        4 => any::<usize>().prop_map(Op::Finish),
        1 => Just(Op::Resync),
    ]
}

fn claim_name(i: usize) -> String {
    format!("c{i}")
}

fn uid(i: usize, recreated: bool) -> String {
    if recreated {
        format!("uid-c{i}-2")
    } else {
        format!("uid-c{i}")
    }
}

fn size(big: bool) -> (String, f64) {
    if big {
        ("10Gi".into(), 10.0 * 1024f64.powi(3))
    } else {
        ("1Gi".into(), 1024f64.powi(3))
    }
}

fn claim(i: usize, s: &ClaimSpec, rv: u64) -> Claim {
    let mut annotations = BTreeMap::new();
    if s.bound {
        annotations.insert(ANN_BIND_COMPLETED.to_string(), "yes".to_string());
    }
    if s.selected {
        annotations.insert(ANN_SELECTED_NODE.to_string(), "berth".to_string());
    }
    if s.asked {
        annotations.insert(ANN_STORAGE_PROVISIONER.to_string(), PROVISIONER.to_string());
    }
    let (request, request_bytes) = size(s.big);
    Claim {
        namespace: "default".into(),
        name: claim_name(i),
        uid: uid(i, s.recreated),
        resource_version: rv.to_string(),
        annotations,
        finalizers: if s.protected {
            vec![PVC_PROTECTION.into()]
        } else {
            vec![]
        },
        deleting: s.deleting,
        storage_class_name: CLASSES[s.class].map(String::from),
        access_modes: vec!["ReadWriteOnce".into()],
        request,
        request_bytes,
        volume_mode: "Filesystem".into(),
        volume_name: s.volume.map(|v| VOLUMES[v].to_string()).unwrap_or_default(),
        phase: PHASES[s.phase].into(),
        ..Claim::default()
    }
}

fn volume(i: usize, s: &VolumeSpec, rv: u64) -> Volume {
    let name = VOLUMES[i].to_string();
    let (capacity, capacity_bytes) = size(s.big);
    let mut finalizers = Vec::new();
    if s.protected {
        finalizers.push(PV_PROTECTION.to_string());
    }
    if s.ours {
        finalizers.push(PROVISIONER_FINALIZER.to_string());
    }
    Volume {
        uid: format!("uid-{name}"),
        resource_version: rv.to_string(),
        annotations: if s.ours {
            BTreeMap::from([(ANN_DYNAMICALLY_PROVISIONED.to_string(), PROVISIONER.to_string())])
        } else {
            BTreeMap::new()
        },
        finalizers,
        deleting: s.deleting,
        capacity,
        capacity_bytes,
        access_modes: vec!["ReadWriteOnce".into()],
        storage_class: CLASSES[s.class].unwrap_or("").into(),
        volume_mode: "Filesystem".into(),
        claim_ref: s.claim.map(|(c, same_uid)| ClaimRef {
            namespace: "default".into(),
            name: claim_name(c),
            uid: uid(c, !same_uid),
        }),
        reclaim_policy: if s.retain { "Retain" } else { "Delete" }.into(),
        phase: VOLUME_PHASES[s.phase].into(),
        path: Some(if s.in_root {
            format!("{ROOT}/{name}_default_c0")
        } else {
            format!("/elsewhere/{name}")
        }),
        name,
        ..Volume::default()
    }
}

fn event<T: Clone>(old: Option<&T>, new: Option<T>) -> Option<Event<T>> {
    match (old, new) {
        (_, Some(n)) => Some(Event::Apply(n)),
        (Some(o), None) => Some(Event::Delete(o.clone())),
        (None, None) => None,
    }
}

/// A group finishes as the driver takes it in: what it wrote comes back (here the writes that are
/// simple to make: events, phases and finalizers; bindings and provisioning are left undone, as
/// if they had failed) and its objects are marked.
fn finish(state: &mut State, group: &Group, rv: u64) {
    for step in &group.steps {
        match step {
            Step::Bind(BindAction::Event(note)) | Step::Provision(ProvisionAction::Event(note)) => {
                state.reported.insert(note.clone());
            }
            Step::Bind(BindAction::ClaimStatus { claim, phase, .. }) => {
                change_claim(state, claim, rv, |c| c.phase = (*phase).into());
            }
            Step::Bind(BindAction::VolumePhase { volume, phase, .. }) => {
                change_volume(state, volume, rv, |v| v.phase = (*phase).into());
            }
            Step::Protect(ProtectAction::AddClaimFinalizer(k)) => {
                change_claim(state, k, rv, |c| c.finalizers.push(PVC_PROTECTION.into()));
            }
            Step::Protect(ProtectAction::RemoveClaimFinalizer(k)) => {
                change_claim(state, k, rv, |c| c.finalizers.retain(|f| f != PVC_PROTECTION));
            }
            Step::Protect(ProtectAction::AddVolumeFinalizer(n)) => {
                change_volume(state, n, rv, |v| v.finalizers.push(PV_PROTECTION.into()));
            }
            Step::Protect(ProtectAction::RemoveVolumeFinalizer(n)) => {
                change_volume(state, n, rv, |v| v.finalizers.retain(|f| f != PV_PROTECTION));
            }
            _ => {}
        }
    }
    state.changes.touch(&group.objects);
}

fn change_claim(state: &mut State, key: &ClaimKey, rv: u64, change: impl FnOnce(&mut Claim)) {
    if let Some(mut c) = state.claims.get(key).cloned() {
        change(&mut c);
        c.resource_version = rv.to_string();
        state.take_claim(Event::Apply(c), Claim::clone);
    }
}

fn change_volume(state: &mut State, name: &str, rv: u64, change: impl FnOnce(&mut Volume)) {
    if let Some(mut v) = state.volumes.get(name).cloned() {
        change(&mut v);
        v.resource_version = rv.to_string();
        state.take_volume(Event::Apply(v), Volume::clone);
    }
}

/// Runs `ops` as the driver would see them; fails at the first plan over the marked objects that
/// differs from a plan over everything.
fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let config = Config {
        node_name: "berth".into(),
    };
    let provisioning = Some(Provisioning {
        config: &config,
        root: ROOT,
    });
    let mut state = State::default();
    let mut rv = 0u64;
    let mut inflight: Vec<Group> = Vec::new();
    for op in ops {
        rv += 1;
        match op {
            Op::Claim(i, spec) => {
                let old = state.claims.values().find(|c| c.name == claim_name(i)).cloned();
                if let Some(ev) = event(old.as_ref(), spec.map(|s| claim(i, &s, rv))) {
                    state.take_claim(ev, Claim::clone);
                }
            }
            Op::Volume(i, spec) => {
                let old = state.volumes.get(VOLUMES[i]).cloned();
                if let Some(ev) = event(old.as_ref(), spec.map(|s| volume(i, &s, rv))) {
                    state.take_volume(ev, Volume::clone);
                }
            }
            Op::Pod(i, spec) => {
                let name = format!("p{i}");
                let old = state.pods.get(&("default".to_string(), name.clone())).cloned();
                let new = spec.map(|(mask, on_node, terminated)| PodClaims {
                    namespace: "default".into(),
                    name: name.clone(),
                    uid: format!("uid-{name}"),
                    node_name: on_node.then(|| "berth".into()),
                    claims: (0..CLAIMS).filter(|c| mask & (1 << c) != 0).map(claim_name).collect(),
                    terminated,
                });
                if let Some(ev) = event(old.as_ref(), new) {
                    state.take_pod(ev, PodClaims::clone);
                }
            }
            Op::Class(spec) => {
                let old = state.classes.get("local-path").cloned();
                let new = spec.map(|(wffc, default)| Class {
                    name: "local-path".into(),
                    provisioner: PROVISIONER.into(),
                    wait_for_first_consumer: wffc,
                    reclaim_policy: "Delete".into(),
                    is_default: default,
                    ..Class::default()
                });
                if let Some(ev) = event(old.as_ref(), new) {
                    state.take_class(ev, Class::clone);
                }
            }
            Op::Plan(budget) => {
                let busy: Vec<Object> = inflight.iter().flat_map(|g| g.objects.clone()).collect();
                let blocked = |o: &Object| busy.contains(o);
                let index = VolumeIndex::new(state.volumes.values());
                prop_assert_eq!(&state.changes.index, &index, "the kept index follows the volumes");
                let full = plan_groups(&state, provisioning, &blocked, &index, Scope::All);
                let planned = plan_changes(&mut state, provisioning, &blocked, budget);
                let missed = missed(&full.groups, &planned.groups, &state.changes);
                prop_assert!(missed.is_empty(), "missed {:?}", missed);
                inflight.extend(planned.groups);
            }
            Op::Finish(i) => {
                if !inflight.is_empty() {
                    let group = inflight.remove(i % inflight.len());
                    finish(&mut state, &group, rv);
                }
            }
            Op::Resync => state.changes.everything(),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("BERTH_SLOW_TESTS").is_some() { 2000 } else { 300 }))]

    #[test]
    fn a_plan_over_the_changed_objects_finds_what_a_plan_over_everything_finds(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}

fn quiet_claim() -> ClaimSpec {
    ClaimSpec {
        volume: None,
        bound: false,
        selected: false,
        asked: false,
        deleting: false,
        protected: true,
        phase: 1,
        class: 2,
        big: false,
        recreated: false,
    }
}

fn free_volume() -> VolumeSpec {
    VolumeSpec {
        claim: None,
        phase: 1,
        deleting: false,
        protected: true,
        ours: false,
        retain: true,
        class: 2,
        big: true,
        in_root: false,
    }
}

/// A claim waiting for a volume (its event and status written, nothing more to do), then `next`
/// and a plan.
fn after_a_claim_settles(next: Op) -> Vec<Op> {
    vec![
        Op::Claim(0, Some(quiet_claim())),
        Op::Plan(8),
        Op::Finish(0),
        Op::Plan(8),
        Op::Finish(0),
        next,
        Op::Plan(8),
    ]
}

#[test]
fn a_new_unclaimed_volume_is_offered_to_the_claims_waiting_for_one() {
    run(after_a_claim_settles(Op::Volume(0, Some(free_volume())))).expect("no work missed");
}

#[test]
fn a_volume_pre_bound_to_a_waiting_claim_binds_it() {
    let pre_bound = VolumeSpec {
        claim: Some((0, true)),
        ..free_volume()
    };
    run(after_a_claim_settles(Op::Volume(0, Some(pre_bound)))).expect("no work missed");
}
