//! Tests of the provisioner's plan and of the real volume directories in a temp dir.

use std::collections::BTreeMap;

use super::dirs::{valid_name, LocalDirs, Repaired, VolumeDirs};
use super::plan::{dir_of, plan, Action, Config};
use crate::volume::model::{
    parse_quantity, Claim, ClaimKey, ClaimRef, Class, Volume, ANN_BIND_COMPLETED, ANN_DYNAMICALLY_PROVISIONED,
    ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER,
};

fn cfg() -> Config {
    Config {
        node_name: "berth".into(),
    }
}

fn class(wffc: bool) -> BTreeMap<String, Class> {
    let c = Class {
        name: "local-path".into(),
        provisioner: "rancher.io/local-path".into(),
        wait_for_first_consumer: wffc,
        reclaim_policy: "Delete".into(),
        allow_volume_expansion: true,
        ..Class::default()
    };
    BTreeMap::from([(c.name.clone(), c)])
}

fn claim(ann: &[(&str, &str)]) -> Claim {
    Claim {
        namespace: "default".into(),
        name: "www-web-0".into(),
        uid: "u1".into(),
        storage_class_name: Some("local-path".into()),
        access_modes: vec!["ReadWriteOnce".into()],
        request: "1Gi".into(),
        request_bytes: parse_quantity("1Gi").expect("q"),
        volume_mode: "Filesystem".into(),
        annotations: ann.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Claim::default()
    }
}

fn claims(c: Claim) -> BTreeMap<ClaimKey, Claim> {
    BTreeMap::from([(c.key(), c)])
}

#[test]
fn a_claim_is_provisioned_only_when_asked_and_for_wffc_only_once_a_node_is_selected() {
    let asked = (ANN_STORAGE_PROVISIONER, "rancher.io/local-path");
    let none = BTreeMap::new();
    assert_eq!(plan(&cfg(), "/v", &claims(claim(&[])), &none, &class(false)), vec![]);
    assert_eq!(
        plan(&cfg(), "/v", &claims(claim(&[asked])), &none, &class(true)),
        vec![]
    );
    let got = plan(
        &cfg(),
        "/v",
        &claims(claim(&[asked, (ANN_SELECTED_NODE, "berth")])),
        &none,
        &class(true),
    );
    let [Action::Provision(p)] = &got[..] else {
        panic!("{got:?}")
    };
    assert_eq!(
        (p.volume.as_str(), p.dir.as_str(), p.node.as_str()),
        ("pvc-u1", "pvc-u1_default_www-web-0", "berth")
    );
    // Another node's claim is not ours; a selector or RWX is refused like local-path does.
    assert_eq!(
        plan(
            &cfg(),
            "/v",
            &claims(claim(&[asked, (ANN_SELECTED_NODE, "other")])),
            &none,
            &class(true)
        ),
        vec![]
    );
    let mut rwx = claim(&[asked]);
    rwx.access_modes = vec!["ReadWriteMany".into()];
    assert!(
        matches!(&plan(&cfg(), "/v", &claims(rwx), &none, &class(false))[..], [Action::Event(e)] if e.reason == "ProvisioningFailed")
    );
}

fn ours(name: &str, path: &str, phase: &str, policy: &str) -> Volume {
    Volume {
        name: name.into(),
        path: Some(path.into()),
        phase: phase.into(),
        reclaim_policy: policy.into(),
        annotations: BTreeMap::from([(
            ANN_DYNAMICALLY_PROVISIONED.to_string(),
            "rancher.io/local-path".to_string(),
        )]),
        ..Volume::default()
    }
}

#[test]
fn only_released_delete_volumes_under_the_root_lose_their_directory() {
    let none = BTreeMap::new();
    let vols = |v: Volume| BTreeMap::from([(v.name.clone(), v)]);
    let p = |v| plan(&cfg(), "/data/volumes", &none, &vols(v), &class(false));
    assert_eq!(
        p(ours("a", "/data/volumes/a_x", "Released", "Delete")),
        vec![Action::Delete {
            volume: "a".into(),
            dir: "a_x".into()
        }]
    );
    assert_eq!(p(ours("a", "/data/volumes/a_x", "Bound", "Delete")), vec![]);
    assert_eq!(p(ours("a", "/data/volumes/a_x", "Released", "Retain")), vec![]);
    let mut static_pv = ours("a", "/data/volumes/a_x", "Released", "Delete");
    static_pv.annotations.clear();
    assert_eq!(p(static_pv), vec![], "volumes of other provisioners are not ours");
    for escape in [
        "/data/volumes/../etc",
        "/data/volumes/a/b",
        "/etc/passwd",
        "/data/volumes/.deleting-a",
        "/data/volumesx/a",
    ] {
        let got = p(ours("a", escape, "Released", "Delete"));
        assert!(
            !got.iter().any(|a| matches!(a, Action::Delete { .. })),
            "{escape}: {got:?}"
        );
    }
    assert_eq!(
        dir_of(&ours("a", "/data/volumes/a_x", "", ""), "/data/volumes"),
        Some("a_x".into())
    );
}

#[test]
fn a_bound_claim_asking_for_more_grows_its_volume() {
    let mut c = claim(&[(ANN_BIND_COMPLETED, "yes")]);
    c.volume_name = "pvc-u1".into();
    c.request = "2Gi".into();
    c.request_bytes = parse_quantity("2Gi").expect("q");
    let mut v = ours("pvc-u1", "/v/pvc-u1_default_www-web-0", "Bound", "Delete");
    v.capacity_bytes = parse_quantity("1Gi").expect("q");
    v.claim_ref = Some(ClaimRef {
        namespace: "default".into(),
        name: "www-web-0".into(),
        uid: "u1".into(),
    });
    let vols = BTreeMap::from([(v.name.clone(), v)]);
    assert_eq!(
        plan(&cfg(), "/v", &claims(c), &vols, &class(false)),
        vec![Action::Expand {
            volume: "pvc-u1".into(),
            capacity: "2Gi".into()
        }]
    );
}

#[test]
fn names_that_could_leave_the_root_are_invalid() {
    for bad in ["", ".", "..", "../x", "a/b", ".creating-a", "A", "a b", "a\0"] {
        assert!(!valid_name(bad), "{bad:?}");
    }
    assert!(valid_name("pvc-0a1b_default_www-web-0"));
}

#[test]
fn local_dirs_create_atomically_remove_through_a_tombstone_and_repair_leftovers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dirs = LocalDirs::open(tmp.path().join("volumes")).expect("open");
    let root = dirs.root().to_path_buf();
    dirs.begin_create("a").expect("begin");
    assert!(root.join(".creating-a").is_dir() && !root.join("a").exists());
    dirs.commit_create("a").expect("commit");
    dirs.commit_create("a").expect("commit is idempotent");
    std::fs::write(root.join("a/data"), "x").expect("write");
    dirs.begin_create("a").expect("begin on a live dir is a no-op");
    assert_eq!(std::fs::read_to_string(root.join("a/data")).expect("kept"), "x");
    assert!(dirs.remove("../escape").is_err());
    dirs.remove("a").expect("remove");
    assert!(!root.join("a").exists() && !root.join(".deleting-a").exists());
    dirs.remove("a").expect("removing twice is fine");

    // Leftovers of a crash.
    std::fs::create_dir_all(root.join(".creating-b")).expect("mkdir");
    std::fs::create_dir_all(root.join(".creating-c")).expect("mkdir");
    std::fs::create_dir_all(root.join(".deleting-d/deep")).expect("mkdir");
    std::fs::create_dir_all(root.join("e")).expect("mkdir");
    let done = dirs.repair(&|n| n == "b").expect("repair");
    assert_eq!(
        done,
        vec![
            Repaired::FinishedCreate("b".into()),
            Repaired::RemovedIncomplete("c".into()),
            Repaired::RemovedCondemned("d".into())
        ]
    );
    assert!(root.join("b").is_dir() && root.join("e").is_dir());
    assert!(!root.join(".creating-c").exists() && !root.join(".deleting-d").exists());
}
