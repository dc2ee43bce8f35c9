//! Table tests of the binder's plan, ported from upstream's `index_test.go`, `binder_test.go` and
//! `pv_controller_test.go` cases (each names its upstream case).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::matching::{find_best_match, NodeView};
use super::plan::{plan, Action, World};
use crate::volume::model::{
    parse_quantity, Claim, ClaimKey, ClaimRef, Class, Volume, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER,
    ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE,
};

const RWO: &str = "ReadWriteOnce";
const ROX: &str = "ReadOnlyMany";
const RWX: &str = "ReadWriteMany";

fn pv(name: &str, size: &str, modes: &[&str]) -> Volume {
    Volume {
        name: name.into(),
        uid: format!("uid-{name}"),
        capacity: size.into(),
        capacity_bytes: parse_quantity(size).expect("quantity"),
        access_modes: modes.iter().map(|m| m.to_string()).collect(),
        volume_mode: "Filesystem".into(),
        reclaim_policy: "Retain".into(),
        phase: "Available".into(),
        ..Volume::default()
    }
}

fn pvc(name: &str, size: &str, modes: &[&str]) -> Claim {
    Claim {
        namespace: "default".into(),
        name: name.into(),
        uid: format!("uid-{name}"),
        request: size.into(),
        request_bytes: parse_quantity(size).expect("quantity"),
        access_modes: modes.iter().map(|m| m.to_string()).collect(),
        volume_mode: "Filesystem".into(),
        phase: "Pending".into(),
        ..Claim::default()
    }
}

fn class_of(mut v: Volume, class: &str) -> Volume {
    v.storage_class = class.into();
    v
}

fn claim_ref(c: &Claim, with_uid: bool) -> ClaimRef {
    ClaimRef {
        namespace: c.namespace.clone(),
        name: c.name.clone(),
        uid: if with_uid { c.uid.clone() } else { String::new() },
    }
}

fn bound_pair(c: &Claim, v: &Volume) -> (Claim, Volume) {
    let mut c = c.clone();
    let mut v = v.clone();
    c.volume_name = v.name.clone();
    c.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
    c.annotations.insert(ANN_BOUND_BY_CONTROLLER.into(), "yes".into());
    c.phase = "Bound".into();
    c.status_capacity = v.capacity.clone();
    c.status_access_modes = v.access_modes.clone();
    v.claim_ref = Some(claim_ref(&c, true));
    v.annotations.insert(ANN_BOUND_BY_CONTROLLER.into(), "yes".into());
    v.phase = "Bound".into();
    (c, v)
}

/// A GCE/EBS/NFS mix like upstream `createTestVolumes`.
fn index_volumes() -> Vec<Volume> {
    vec![
        pv("gce-pd-1", "1G", &[RWO, ROX]),
        pv("gce-pd-5", "5G", &[RWO, ROX]),
        pv("gce-pd-10", "10G", &[RWO, ROX]),
        pv("nfs-1", "1G", &[RWO, ROX, RWX]),
        pv("nfs-5", "5G", &[RWO, ROX, RWX]),
        pv("nfs-10", "10G", &[RWO, ROX, RWX]),
        pv("ebs-10", "10G", &[RWO]),
    ]
}

fn best<'a>(claim: &Claim, vols: &'a [Volume]) -> Option<&'a str> {
    find_best_match(claim, vols, None, &BTreeSet::new(), false).map(|v| v.name.as_str())
}

#[test]
fn matching_follows_upstream_index_cases() {
    let vols = index_volumes();
    let mut other = vols.clone();
    // upstream "successful-skip-1g-bound-volume": gce-pd-1 is bound to another claim.
    other[0].claim_ref = Some(ClaimRef {
        namespace: "default".into(),
        name: "other".into(),
        uid: "x".into(),
    });
    let labeled = |name: &str, size: &str, labels: &[(&str, &str)]| {
        let mut v = pv(name, size, &[RWO]);
        v.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        v
    };
    let sel = |k: &str, v: &str| {
        Some(LabelSelector {
            match_labels: Some([(k.to_string(), v.to_string())].into()),
            ..LabelSelector::default()
        })
    };
    let with_sel = |mut c: Claim, s: Option<LabelSelector>| {
        c.selector = s;
        c
    };
    let selector_vols = vec![
        labeled("a-small", "1G", &[("app", "x")]),
        labeled("b-big", "10G", &[("app", "y")]),
    ];
    let cases: Vec<(&str, Claim, &[Volume], Option<&str>)> = vec![
        // upstream "successful-match-gce-10": the smallest volume that fits; RWO is best served by
        // the one-mode set (ebs) only when it fits as well: fewest modes first.
        (
            "successful-match-ebs-10-fewest-modes",
            pvc("c", "8G", &[RWO]),
            &vols,
            Some("ebs-10"),
        ),
        (
            "successful-match-gce-5",
            pvc("c", "3G", &[RWO, ROX]),
            &vols,
            Some("gce-pd-5"),
        ),
        (
            "successful-match-nfs-5",
            pvc("c", "5G", &[RWO, ROX, RWX]),
            &vols,
            Some("nfs-5"),
        ),
        (
            "successful-skip-1g-bound-volume",
            pvc("c", "1G", &[RWO, ROX]),
            &other,
            Some("gce-pd-5"),
        ),
        ("successful-no-match", pvc("c", "999G", &[RWO]), &vols, None),
        (
            "successful-match-by-label",
            with_sel(pvc("c", "1G", &[RWO]), sel("app", "y")),
            &selector_vols,
            Some("b-big"),
        ),
        (
            "successful-no-match-due-to-label",
            with_sel(pvc("c", "1G", &[RWO]), sel("app", "z")),
            &selector_vols,
            None,
        ),
        (
            "successful-no-match-due-to-size-constraint-with-label-selector",
            with_sel(pvc("c", "20G", &[RWO]), sel("app", "y")),
            &selector_vols,
            None,
        ),
    ];
    for (name, claim, vols, want) in cases {
        assert_eq!(best(&claim, vols), want, "{name}");
    }
}

#[test]
fn fewest_access_modes_win_over_smaller_capacity() {
    // upstream TestFindingVolumeWithDifferentAccessModes: "find GCE vol with RWO" picks the
    // one-mode EBS volume before any two-mode volume.
    let vols = vec![
        pv("gce", "5G", &[RWO, ROX]),
        pv("ebs", "10G", &[RWO]),
        pv("nfs", "1G", &[RWO, ROX, RWX]),
    ];
    assert_eq!(best(&pvc("c", "1G", &[RWO]), &vols), Some("ebs"));
    assert_eq!(best(&pvc("c", "1G", &[ROX]), &vols), Some("gce"));
    assert_eq!(best(&pvc("c", "1G", &[RWX]), &vols), Some("nfs"));
    assert_eq!(best(&pvc("c", "1G", &[RWO, RWX]), &vols), Some("nfs"));
}

#[test]
fn a_prebound_volume_is_returned_even_if_larger() {
    // upstream TestFindingPreboundVolumes.
    let claim = pvc("claim01", "1Gi", &[RWO]);
    let mut big = pv("pv8", "8Gi", &[RWO]);
    big.claim_ref = Some(claim_ref(&claim, false));
    let vols = vec![pv("pv1", "1Gi", &[RWO]), pv("pv5", "5Gi", &[RWO]), big];
    assert_eq!(best(&claim, &vols), Some("pv8"));
    // Pre-bound to the same name but another UID: not this claim.
    let mut other = vols.clone();
    other[2].claim_ref = Some(ClaimRef {
        uid: "someone-else".into(),
        ..claim_ref(&claim, false)
    });
    assert_eq!(best(&claim, &other), Some("pv1"));
}

#[test]
fn class_volume_mode_phase_and_deletion_filter_candidates() {
    // upstream "successful-match-with-class", "successful-match-with-empty-class",
    // TestVolumeModeCheck and TestFindingVolumeWithDeletionTimestamp.
    let gold = class_of(pv("gold", "1G", &[RWO]), "gold");
    let none = pv("none", "5G", &[RWO]);
    let vols = vec![gold.clone(), none.clone()];
    let mut c = pvc("c", "1G", &[RWO]);
    c.storage_class_name = Some("gold".into());
    assert_eq!(best(&c, &vols), Some("gold"));
    c.storage_class_name = Some(String::new());
    assert_eq!(
        best(&c, &vols),
        Some("none"),
        "the empty class matches only volumes without a class"
    );
    c.storage_class_name = None;
    assert_eq!(best(&c, &vols), Some("none"), "a nil class is the empty class");
    c.annotations
        .insert("volume.beta.kubernetes.io/storage-class".into(), "gold".into());
    assert_eq!(best(&c, &vols), Some("gold"), "the beta annotation wins");

    let mut block = pv("block", "1G", &[RWO]);
    block.volume_mode = "Block".into();
    let mut fs_claim = pvc("c", "1G", &[RWO]);
    assert_eq!(best(&fs_claim, std::slice::from_ref(&block)), None);
    fs_claim.volume_mode = "Block".into();
    assert_eq!(best(&fs_claim, std::slice::from_ref(&block)), Some("block"));

    let mut released = pv("released", "1G", &[RWO]);
    released.phase = "Released".into();
    let mut deleting = pv("deleting", "1G", &[RWO]);
    deleting.deleting = true;
    assert_eq!(best(&pvc("c", "1G", &[RWO]), &[released, deleting]), None);
}

#[test]
fn delayed_binding_takes_only_prebound_volumes_without_a_node_and_checks_affinity_with_one() {
    // upstream FindMatchingVolume: "PV controller does not bind this claim" under WFFC.
    let claim = pvc("c", "1G", &[RWO]);
    let mut local = pv("local", "1G", &[RWO]);
    local.node_hostnames = vec!["node-a".into()];
    let vols = vec![local.clone()];
    assert_eq!(
        find_best_match(&claim, &vols, None, &BTreeSet::new(), true).map(|v| v.name.as_str()),
        None
    );
    let labels_a = BTreeMap::from([("kubernetes.io/hostname".to_string(), "node-a".to_string())]);
    let labels_b = BTreeMap::from([("kubernetes.io/hostname".to_string(), "node-b".to_string())]);
    let on = |labels| {
        find_best_match(
            &claim,
            &vols,
            Some(NodeView { name: "n", labels }),
            &BTreeSet::new(),
            true,
        )
        .map(|v| v.name.clone())
    };
    assert_eq!(on(&labels_a), Some("local".into()));
    assert_eq!(on(&labels_b), None);
    local.claim_ref = Some(claim_ref(&claim, false));
    assert_eq!(
        find_best_match(&claim, &[local], None, &BTreeSet::new(), true).map(|v| v.name.as_str()),
        Some("local")
    );
}

struct Fixture {
    claims: BTreeMap<ClaimKey, Claim>,
    volumes: BTreeMap<String, Volume>,
    classes: BTreeMap<String, Class>,
}

fn world(claims: &[Claim], volumes: &[Volume]) -> Fixture {
    Fixture {
        claims: claims.iter().map(|c| (c.key(), c.clone())).collect(),
        volumes: volumes.iter().map(|v| (v.name.clone(), v.clone())).collect(),
        classes: BTreeMap::new(),
    }
}

impl Fixture {
    fn plan(&self) -> Vec<Action> {
        plan(World {
            claims: &self.claims,
            volumes: &self.volumes,
            classes: &self.classes,
        })
    }

    fn writes(&self) -> Vec<Action> {
        self.plan()
            .into_iter()
            .filter(|a| !matches!(a, Action::Event(_)))
            .collect()
    }

    fn reasons(&self) -> Vec<&'static str> {
        self.plan()
            .into_iter()
            .filter_map(|a| match a {
                Action::Event(e) => Some(e.reason),
                _ => None,
            })
            .collect()
    }
}

fn key(name: &str) -> ClaimKey {
    ClaimKey {
        namespace: "default".into(),
        name: name.into(),
    }
}

fn full_bind(claim: &Claim, volume: &str, capacity: &str, by_controller: bool) -> Vec<Action> {
    vec![
        Action::BindVolume {
            volume: volume.into(),
            claim: claim_ref(claim, true),
            by_controller,
        },
        Action::VolumePhase {
            volume: volume.into(),
            phase: "Bound",
            message: String::new(),
        },
        Action::BindClaim {
            claim: claim.key(),
            volume: volume.into(),
            by_controller: true,
        },
        Action::ClaimStatus {
            claim: claim.key(),
            phase: "Bound",
            capacity: Some(capacity.into()),
            access_modes: vec![RWO.into()],
        },
    ]
}

#[test]
fn unbound_claims_bind_like_upstream_binder_tests() {
    let c = pvc("claim1-2", "1Gi", &[RWO]);
    // "1-1 - noop": a bound pair stays as it is.
    let (bc, bv) = bound_pair(&c, &pv("volume1-1", "1Gi", &[RWO]));
    assert_eq!(world(&[bc], &[bv]).plan(), vec![]);
    // "1-2 - claim binds to available volume".
    assert_eq!(
        world(std::slice::from_ref(&c), &[pv("volume1-2", "1Gi", &[RWO])]).writes(),
        full_bind(&c, "volume1-2", "1Gi", true)
    );
    // "1-3 - claim does not do anything when there are no volumes" (Pending + FailedBinding).
    let mut fresh = c.clone();
    fresh.phase = String::new();
    let w = world(std::slice::from_ref(&fresh), &[]);
    assert_eq!(
        w.writes(),
        vec![Action::ClaimStatus {
            claim: key("claim1-2"),
            phase: "Pending",
            capacity: None,
            access_modes: vec![]
        }]
    );
    assert_eq!(w.reasons(), vec!["FailedBinding"]);
    // "1-4 - claim binds to prebound volume": the volume is not marked bound-by-controller.
    let mut pre = pv("volume1-4", "1Gi", &[RWO]);
    pre.claim_ref = Some(claim_ref(&c, false));
    assert_eq!(
        world(std::slice::from_ref(&c), &[pre]).writes(),
        full_bind(&c, "volume1-4", "1Gi", false)
    );
    // "1-5 - claim binds to the smallest fitting volume".
    let vols = [pv("volume1-5-big", "10Gi", &[RWO]), pv("volume1-5", "1Gi", &[RWO])];
    assert_eq!(
        world(std::slice::from_ref(&c), &vols).writes(),
        full_bind(&c, "volume1-5", "1Gi", true)
    );
    // "1-7 - claim does not bind to volume prebound to a different claim".
    let mut other = pv("volume1-7", "1Gi", &[RWO]);
    other.claim_ref = Some(ClaimRef {
        namespace: "default".into(),
        name: "claim1-7".into(),
        uid: String::new(),
    });
    assert_eq!(
        world(std::slice::from_ref(&c), &[other]).reasons(),
        vec!["FailedBinding"]
    );
    // "1-8/1-9": the claim's class must equal the volume's.
    let mut gold = c.clone();
    gold.storage_class_name = Some("gold".into());
    let w = world(
        std::slice::from_ref(&gold),
        &[
            pv("plain", "1Gi", &[RWO]),
            class_of(pv("golden", "1Gi", &[RWO]), "gold"),
        ],
    );
    assert_eq!(w.writes(), full_bind(&gold, "golden", "1Gi", true));
}

#[test]
fn two_claims_never_take_the_same_volume_in_one_pass() {
    let (a, b) = (pvc("www-web-0", "1Gi", &[RWO]), pvc("www-web-1", "1Gi", &[RWO]));
    let w = world(
        &[a.clone(), b.clone()],
        &[pv("pv001", "1Gi", &[RWO]), pv("pv002", "1Gi", &[RWO])],
    );
    let binds: Vec<(String, String)> = w
        .writes()
        .into_iter()
        .filter_map(|a| match a {
            Action::BindVolume { volume, claim, .. } => Some((claim.name, volume)),
            _ => None,
        })
        .collect();
    assert_eq!(
        binds,
        vec![
            ("www-web-0".into(), "pv001".into()),
            ("www-web-1".into(), "pv002".into())
        ]
    );
}

#[test]
fn claims_naming_a_volume_follow_upstream_2_x_cases() {
    let mut c = pvc("claim2", "1Gi", &[RWO]);
    c.volume_name = "volume2".into();
    // "2-1 - claim prebound to non-existing volume - noop": stays Pending.
    let mut lost_phase = c.clone();
    lost_phase.phase = String::new();
    assert_eq!(
        world(&[lost_phase], &[]).writes(),
        vec![Action::ClaimStatus {
            claim: key("claim2"),
            phase: "Pending",
            capacity: None,
            access_modes: vec![]
        }]
    );
    // "2-3 - claim prebound to unbound volume": binds; the claim is not bound-by-controller.
    let w = world(std::slice::from_ref(&c), &[pv("volume2", "1Gi", &[RWO])]);
    let mut want = full_bind(&c, "volume2", "1Gi", true);
    want[2] = Action::BindClaim {
        claim: c.key(),
        volume: "volume2".into(),
        by_controller: false,
    };
    assert_eq!(w.writes(), want);
    // "2-5 - claim prebound to volume bound to another claim": FailedBinding, Pending.
    let mut taken = pv("volume2", "1Gi", &[RWO]);
    taken.claim_ref = Some(ClaimRef {
        namespace: "default".into(),
        name: "other".into(),
        uid: "o".into(),
    });
    taken.phase = "Bound".into();
    assert_eq!(
        world(std::slice::from_ref(&c), &[taken]).reasons(),
        vec!["FailedBinding"]
    );
    // "2-8 - claim prebound to a too small volume": VolumeMismatch.
    assert_eq!(
        world(std::slice::from_ref(&c), &[pv("volume2", "1Mi", &[RWO])]).reasons(),
        vec!["VolumeMismatch"]
    );
}

#[test]
fn bound_claims_follow_upstream_3_x_cases() {
    let (c, v) = bound_pair(&pvc("claim3", "1Gi", &[RWO]), &pv("volume3", "1Gi", &[RWO]));
    // "3-1 - bound claim with missing VolumeName" → Lost.
    let mut no_name = c.clone();
    no_name.volume_name.clear();
    assert_eq!(world(&[no_name], &[]).reasons(), vec!["ClaimLost"]);
    // "3-2 - bound claim with missing volume" → Lost.
    let w = world(std::slice::from_ref(&c), &[]);
    assert_eq!(
        w.writes(),
        vec![Action::ClaimStatus {
            claim: key("claim3"),
            phase: "Lost",
            capacity: None,
            access_modes: vec![]
        }]
    );
    // "3-3 - bound claim with unbound volume": the volume is bound again.
    let mut unbound = v.clone();
    unbound.claim_ref = None;
    unbound.phase = "Available".into();
    let w = world(std::slice::from_ref(&c), &[unbound]);
    assert_eq!(
        w.writes(),
        vec![
            Action::BindVolume {
                volume: "volume3".into(),
                claim: claim_ref(&c, true),
                by_controller: true
            },
            Action::VolumePhase {
                volume: "volume3".into(),
                phase: "Bound",
                message: String::new()
            },
        ]
    );
    // "3-5 - bound claim with a volume bound to another claim" → ClaimMisbound, Lost.
    let mut misbound = v.clone();
    misbound.claim_ref = Some(ClaimRef {
        namespace: "default".into(),
        name: "other".into(),
        uid: "o".into(),
    });
    assert_eq!(
        world(std::slice::from_ref(&c), &[misbound]).reasons(),
        vec!["ClaimMisbound"]
    );
}

#[test]
fn volumes_follow_upstream_4_x_cases_and_reclaim_policies() {
    let c = pvc("claim4", "1Gi", &[RWO]);
    // "4-1 - volume with empty claimRef" → Available.
    let mut pending = pv("volume4-1", "1Gi", &[RWO]);
    pending.phase = "Pending".into();
    assert_eq!(
        world(&[], &[pending]).writes(),
        vec![Action::VolumePhase {
            volume: "volume4-1".into(),
            phase: "Available",
            message: String::new()
        }]
    );
    // "4-3 - volume bound to missing claim" → Released; Retain keeps it Released.
    let (_, v) = bound_pair(&c, &pv("volume4-3", "1Gi", &[RWO]));
    assert_eq!(
        world(&[], std::slice::from_ref(&v)).writes(),
        vec![Action::VolumePhase {
            volume: "volume4-3".into(),
            phase: "Released",
            message: String::new()
        }]
    );
    let mut released = v.clone();
    released.phase = "Released".into();
    assert_eq!(world(&[], std::slice::from_ref(&released)).plan(), vec![]);
    // "4-4 - volume bound to claim with different UID" → Released.
    let mut newer = c.clone();
    newer.uid = "new-uid".into();
    assert_eq!(world(&[newer], std::slice::from_ref(&v)).writes().len(), 1);
    // Delete without a provisioner: Failed (no deleter); with one: left to the provisioner.
    let mut del = released.clone();
    del.reclaim_policy = "Delete".into();
    let w = world(&[], std::slice::from_ref(&del));
    assert!(
        matches!(&w.writes()[..], [Action::VolumePhase { phase: "Failed", .. }]),
        "{:?}",
        w.writes()
    );
    assert_eq!(w.reasons(), vec!["VolumeFailedDelete"]);
    del.annotations
        .insert(ANN_DYNAMICALLY_PROVISIONED.into(), "rancher.io/local-path".into());
    assert_eq!(world(&[], &[del]).plan(), vec![]);
    // "4-7 - volume bound by controller to a claim bound elsewhere" → unbound.
    let mut elsewhere = c.clone();
    elsewhere.volume_name = "another".into();
    elsewhere.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
    let mut stale = v.clone();
    stale.claim_ref = Some(claim_ref(&elsewhere, true));
    let w = world(&[elsewhere], &[stale.clone()]);
    assert!(w.writes().contains(&Action::UnbindVolume {
        volume: "volume4-3".into()
    }));
    // "4-8": bound by a user (no annotation): left alone.
    stale.annotations.clear();
    let mut elsewhere = c.clone();
    elsewhere.volume_name = "another".into();
    elsewhere.annotations.insert(ANN_BIND_COMPLETED.into(), "yes".into());
    assert!(!world(&[elsewhere], &[stale])
        .writes()
        .iter()
        .any(|a| matches!(a, Action::UnbindVolume { .. })));
}

#[test]
fn storage_classes_decide_between_waiting_provisioning_and_failing() {
    let mut c = pvc("www-web-0", "1Gi", &[RWO]);
    c.storage_class_name = Some("local-path".into());
    let mut w = world(std::slice::from_ref(&c), &[]);
    // Unknown class.
    assert_eq!(w.reasons(), vec!["ProvisioningFailed"]);
    // Immediate: ask the provisioner.
    w.classes.insert(
        "local-path".into(),
        Class {
            name: "local-path".into(),
            provisioner: "rancher.io/local-path".into(),
            ..Class::default()
        },
    );
    assert_eq!(
        w.writes(),
        vec![Action::RequestProvisioning {
            claim: key("www-web-0"),
            provisioner: "rancher.io/local-path".into()
        }]
    );
    assert_eq!(w.reasons(), vec!["ExternalProvisioning"]);
    // WaitForFirstConsumer: wait until the scheduler selects a node.
    w.classes.get_mut("local-path").expect("class").wait_for_first_consumer = true;
    assert_eq!(w.writes(), vec![]);
    assert_eq!(w.reasons(), vec!["WaitForFirstConsumer"]);
    let mut selected = c.clone();
    selected.annotations.insert(ANN_SELECTED_NODE.into(), "berth".into());
    w.claims.insert(selected.key(), selected);
    assert_eq!(
        w.writes(),
        vec![Action::RequestProvisioning {
            claim: key("www-web-0"),
            provisioner: "rancher.io/local-path".into()
        }]
    );
    // A provisioned volume pre-bound to the claim binds even under WFFC.
    let mut made = class_of(pv("pvc-uid-www-web-0", "1Gi", &[RWO]), "local-path");
    made.claim_ref = Some(claim_ref(&c, true));
    w.volumes.insert(made.name.clone(), made);
    let writes = w.writes();
    assert!(
        writes.contains(&Action::BindClaim {
            claim: key("www-web-0"),
            volume: "pvc-uid-www-web-0".into(),
            by_controller: true
        }),
        "{writes:?}"
    );
}

#[test]
fn a_claim_without_a_class_gets_the_default_class_retroactively() {
    // upstream "RetroactiveDefaultStorageClass": only a nil class, never the empty one.
    let c = pvc("early", "1Gi", &[RWO]);
    let mut w = world(std::slice::from_ref(&c), &[]);
    w.classes.insert(
        "local-path".into(),
        Class {
            name: "local-path".into(),
            is_default: true,
            ..Class::default()
        },
    );
    assert_eq!(
        w.writes(),
        vec![Action::AssignClass {
            claim: key("early"),
            class: "local-path".into()
        }]
    );
    let mut empty = c.clone();
    empty.storage_class_name = Some(String::new());
    w.claims.insert(empty.key(), empty);
    assert_eq!(w.reasons(), vec!["FailedBinding"]);
}

#[test]
fn quantities_parse_like_resource_quantity() {
    assert_eq!(parse_quantity("1Gi"), Some(1073741824.0));
    assert_eq!(parse_quantity("1G"), Some(1e9));
    assert_eq!(parse_quantity("500Mi"), Some(524288000.0));
    assert_eq!(parse_quantity("1.5Ki"), Some(1536.0));
    assert_eq!(parse_quantity("2e3"), Some(2000.0));
    assert_eq!(parse_quantity("100m"), Some(0.1));
    assert_eq!(parse_quantity("1Gb"), None);
    assert!(parse_quantity("1Gi") > parse_quantity("1G"));
}

mod index {
    use proptest::prelude::*;

    use super::*;
    use crate::volume::binder::matching::VolumeIndex;

    /// Volumes of random sizes and modes, each free, claimed for one of the claims, or claimed
    /// for a stranger.
    fn volumes() -> impl Strategy<Value = Vec<Volume>> {
        let one = (0..4usize, 0..3usize, 0..4usize, any::<bool>());
        proptest::collection::vec(one, 0..12).prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (size, modes, owner, pre))| {
                    let modes: &[&str] = [&[RWO][..], &[RWO, ROX][..], &[RWO, ROX, RWX][..]][modes];
                    let mut v = pv(&format!("v{i:02}"), ["1G", "5G", "10G", "20G"][size], modes);
                    v.claim_ref = match owner {
                        0 => None,
                        3 => Some(ClaimRef {
                            namespace: "default".into(),
                            name: "stranger".into(),
                            uid: "x".into(),
                        }),
                        n => Some(claim_ref(&pvc(&format!("c{n}"), "1G", &[RWO]), pre)),
                    };
                    v
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_index_gives_the_same_match_as_scanning_every_volume(vols in volumes(), which in 1..3usize, size in 0..4usize, delay in any::<bool>()) {
            let claim = pvc(&format!("c{which}"), ["1G", "5G", "10G", "20G"][size], &[RWO]);
            let index = VolumeIndex::new(vols.iter());
            let none = BTreeSet::new();
            let scanned = find_best_match(&claim, &vols, None, &none, delay).map(|v| v.name.clone());
            let by_name = vols.iter().map(|v| (v.name.clone(), v.clone())).collect();
            let indexed = find_best_match(&claim, index.candidates(&claim, &by_name), None, &none, delay).map(|v| v.name.clone());
            prop_assert_eq!(scanned, indexed);
        }
    }
}
