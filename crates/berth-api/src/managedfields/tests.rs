//! Managed fields: ownership after updates and applies, conflicts, and the `fieldsV1` format.

#![allow(clippy::unwrap_used)] // tests assert on the error values

use serde_json::{json, Value};

use super::fieldset::Set;
use super::update::record_update_generic;
use super::*;

const STS: (&str, &str) = ("apps", "StatefulSet");
const T1: &str = "2025-01-01T00:00:00Z";
const T2: &str = "2025-01-01T00:01:00Z";

fn sts(replicas: i64, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {"replicas": replicas, "serviceName": "nginx", "selector": {"matchLabels": {"app": "nginx"}},
            "template": {"metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80, "name": "web"}]}]}}}})
}

/// `kubectl apply` (client-side) creating the object: POST with fieldManager=kubectl-client-side-apply.
fn created_by_client_side_apply() -> Value {
    let mut obj = sts(1, "nginx:1.24");
    record_update(None, &mut obj, "kubectl-client-side-apply", None, "apps/v1", T1);
    obj
}

fn entry<'a>(obj: &'a Value, manager: &str, op: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == op)
}

fn owns(obj: &Value, manager: &str, op: &str, pointer: &str) -> bool {
    entry(obj, manager, op)
        .and_then(|e| e["fieldsV1"].pointer(pointer))
        .is_some()
}

#[test]
fn create_records_an_update_entry_in_upstreams_fieldsv1_format() {
    let obj = created_by_client_side_apply();
    let mf = obj["metadata"]["managedFields"].as_array().expect("managedFields");
    assert_eq!(mf.len(), 1);
    let e = &mf[0];
    let keys: Vec<&str> = e.as_object().expect("entry").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]
    );
    assert_eq!(
        (
            e["manager"].as_str(),
            e["operation"].as_str(),
            e["apiVersion"].as_str(),
            e["time"].as_str()
        ),
        (
            Some("kubectl-client-side-apply"),
            Some("Update"),
            Some("apps/v1"),
            Some(T1)
        )
    );
    assert_eq!(
        e["fieldsV1"],
        json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:serviceName": {},
                "f:template": {
                    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {}, "f:image": {}, "f:name": {},
                        "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:name": {}}}
                    }}}
                }
            }
        })
    );
}

#[test]
fn fieldsv1_round_trips_through_a_set() {
    let v =
        json!({"f:metadata": {"f:finalizers": {".": {}, "v:\"a\"": {}}}, "f:spec": {"f:x": {}, "f:l": {"i:0": {}}}});
    assert_eq!(Set::from_fields_v1(&v).to_fields_v1(), v);
}

#[test]
fn apply_with_the_same_values_does_not_conflict_and_shares_ownership() {
    let live = created_by_client_side_apply();
    let out = apply(
        Some(&live),
        &sts(1, "nginx:1.24"),
        "my-applier",
        false,
        STS,
        "apps/v1",
        T2,
    )
    .expect("no conflict");
    assert!(owns(&out, "my-applier", "Apply", "/f:spec/f:replicas"));
    assert!(owns(&out, "kubectl-client-side-apply", "Update", "/f:spec/f:replicas"));
    // Apply entries sort first.
    assert_eq!(out["metadata"]["managedFields"][0]["operation"], "Apply");
    assert_eq!(out["spec"], live["spec"]);
}

#[test]
fn apply_with_a_changed_replicas_conflicts_with_the_owner() {
    let live = created_by_client_side_apply();
    let err = apply(
        Some(&live),
        &sts(2, "nginx:1.24"),
        "my-applier",
        false,
        STS,
        "apps/v1",
        T2,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
    );
    let s = ApiError::from(err).to_status();
    assert_eq!(s["code"], 409);
    assert_eq!(s["reason"], "Conflict");
    assert_eq!(
        s["details"],
        json!({"causes": [{"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-client-side-apply\" using apps/v1", "field": ".spec.replicas"}]})
    );
}

#[test]
fn several_conflicts_are_listed_per_manager() {
    let live = created_by_client_side_apply();
    let err = apply(
        Some(&live),
        &sts(2, "nginx:1.25"),
        "my-applier",
        false,
        STS,
        "apps/v1",
        T2,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image"
    );
}

#[test]
fn force_moves_ownership_to_the_applier() {
    let live = created_by_client_side_apply();
    let out = apply(
        Some(&live),
        &sts(2, "nginx:1.24"),
        "my-applier",
        true,
        STS,
        "apps/v1",
        T2,
    )
    .expect("forced");
    assert_eq!(out["spec"]["replicas"], 2);
    assert!(owns(&out, "my-applier", "Apply", "/f:spec/f:replicas"));
    assert!(!owns(&out, "kubectl-client-side-apply", "Update", "/f:spec/f:replicas"));
    assert!(owns(
        &out,
        "kubectl-client-side-apply",
        "Update",
        "/f:spec/f:serviceName"
    ));
    assert_eq!(entry(&out, "my-applier", "Apply").expect("entry")["time"], T2);
}

#[test]
fn kubectl_server_side_apply_takes_over_fields_still_matching_last_applied() {
    // upstream lastAppliedManager: manager "kubectl" upgrading from client-side apply.
    let mut manifest = sts(1, "nginx:1.24");
    let last = manifest.to_string();
    manifest["metadata"]["annotations"] = json!({"kubectl.kubernetes.io/last-applied-configuration": last});
    let mut live = manifest.clone();
    record_update(None, &mut live, "kubectl-client-side-apply", None, "apps/v1", T1);
    let out = apply(Some(&live), &sts(2, "nginx:1.24"), "kubectl", false, STS, "apps/v1", T2).expect("allowed");
    assert_eq!(out["spec"]["replicas"], 2);
    // A different manager gets the conflict.
    assert!(apply(Some(&live), &sts(2, "nginx:1.24"), "other", false, STS, "apps/v1", T2).is_err());
}

#[test]
fn apply_that_drops_a_field_it_owned_removes_it() {
    let mut first = sts(1, "nginx:1.24");
    first["metadata"]["labels"]["tier"] = json!("web");
    let live = apply(None, &first, "my-applier", false, STS, "apps/v1", T1).expect("create");
    assert_eq!(live["metadata"]["labels"]["tier"], "web");
    let out = apply(
        Some(&live),
        &sts(1, "nginx:1.24"),
        "my-applier",
        false,
        STS,
        "apps/v1",
        T2,
    )
    .expect("apply");
    assert_eq!(out["metadata"]["labels"], json!({"app": "nginx"}));
    assert!(!owns(&out, "my-applier", "Apply", "/f:metadata/f:labels/f:tier"));
}

#[test]
fn apply_keeps_a_dropped_field_that_another_manager_also_owns() {
    let mut first = sts(1, "nginx:1.24");
    first["metadata"]["labels"]["tier"] = json!("web");
    let live = apply(None, &first, "a", false, STS, "apps/v1", T1).expect("create");
    let live = apply(Some(&live), &first, "b", false, STS, "apps/v1", T1).expect("second applier");
    let out = apply(Some(&live), &sts(1, "nginx:1.24"), "a", false, STS, "apps/v1", T2).expect("apply");
    assert_eq!(out["metadata"]["labels"]["tier"], "web");
}

#[test]
fn apply_merges_list_items_by_key_and_removes_only_its_own_items() {
    let mut two = sts(1, "nginx:1.24");
    two["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .push(json!({"name": "side", "image": "busybox"}));
    let live = apply(None, &two, "a", false, STS, "apps/v1", T1).expect("create");
    let out = apply(Some(&live), &sts(1, "nginx:1.24"), "a", false, STS, "apps/v1", T2).expect("apply");
    let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["nginx"]);
}

#[test]
fn an_update_takes_changed_fields_from_the_applier() {
    let live = apply(None, &sts(1, "nginx:1.24"), "a", false, STS, "apps/v1", T1).expect("create");
    let mut new = live.clone();
    new["spec"]["replicas"] = json!(5);
    record_update(Some(&live), &mut new, "kubectl-scale", None, "apps/v1", T2);
    assert!(!owns(&new, "a", "Apply", "/f:spec/f:replicas"));
    assert!(owns(&new, "a", "Apply", "/f:spec/f:serviceName"));
    assert_eq!(
        entry(&new, "kubectl-scale", "Update").expect("entry")["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
}

#[test]
fn an_update_that_changes_nothing_leaves_managed_fields_alone() {
    let live = created_by_client_side_apply();
    let mut new = live.clone();
    record_update(Some(&live), &mut new, "kubectl-edit", None, "apps/v1", T2);
    assert_eq!(new["metadata"]["managedFields"], live["metadata"]["managedFields"]);
}

#[test]
fn removed_fields_leave_every_set_and_empty_entries_are_dropped() {
    let live = created_by_client_side_apply();
    let mut new = live.clone();
    new["spec"]["replicas"] = json!(3);
    record_update(Some(&live), &mut new, "scaler", None, "apps/v1", T2);
    let mut gone = new.clone();
    gone["spec"].as_object_mut().expect("spec").shift_remove("replicas");
    record_update(Some(&new), &mut gone, "kubectl-edit", None, "apps/v1", T2);
    assert!(entry(&gone, "scaler", "Update").is_none());
    assert!(entry(&gone, "kubectl-edit", "Update").is_none());
    assert!(!owns(
        &gone,
        "kubectl-client-side-apply",
        "Update",
        "/f:spec/f:replicas"
    ));
}

#[test]
fn status_writes_are_not_owned_through_the_main_resource() {
    let live = created_by_client_side_apply();
    let mut new = live.clone();
    new["status"] = json!({"replicas": 1});
    record_update(Some(&live), &mut new, "controller", Some("status"), "apps/v1", T2);
    let e = entry(&new, "controller", "Update").expect("entry");
    assert_eq!(e["subresource"], "status");
    assert_eq!(e["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));
    let mut main = live.clone();
    main["status"] = json!({"replicas": 1});
    record_update(Some(&live), &mut main, "someone", None, "apps/v1", T2);
    assert!(entry(&main, "someone", "Update").is_none());
}

#[test]
fn apply_refuses_managed_fields_in_the_request() {
    let mut cfg = sts(1, "x");
    cfg["metadata"]["managedFields"] = json!([{"manager": "x"}]);
    let err = apply(None, &cfg, "a", false, STS, "apps/v1", T1).unwrap_err();
    assert_eq!(ApiError::from(err).code(), 400);
}

/// The create fast path of `record_update` writes exactly what the generic diff against an
/// empty object writes.
#[test]
fn create_fast_path_matches_the_generic_diff() {
    let objects = vec![
        sts(3, "nginx:1.25"),
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default", "uid": "u", "creationTimestamp": "x", "resourceVersion": "1",
                "labels": {"app": "bench", "idx": "1"}, "annotations": {}, "finalizers": ["a", "b", "a"],
                "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "n", "uid": "u1"}], "generation": 1},
            "spec": {"containers": [
                {"name": "c", "image": "i", "ports": [{"containerPort": 80}, {"containerPort": 80, "protocol": "UDP"}, {"containerPort": 80}],
                 "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
                 "resources": {"requests": {"cpu": "1"}, "limits": {}},
                 "readinessProbe": {"httpGet": {"path": "/", "port": 80}}, "args": []}],
                "nodeSelector": {"a": "b"}, "tolerations": [{"key": "k", "operator": "Exists"}], "volumes": [], "securityContext": {}},
            "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "default", "managedFields": []},
            "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}], "selector": null}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "managedFields": {"odd": {"x": 1}}}, "data": {"a": "b", "c": ""}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}, "spec": {"finalizers": ["kubernetes"]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap"}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "empty"}}),
        json!({}),
        json!("not an object"),
    ];
    for obj in objects {
        for sub in [None, Some("status")] {
            let mut fast = obj.clone();
            let mut generic = obj.clone();
            record_update(None, &mut fast, "m", sub, "v1", T1);
            record_update_generic(None, &mut generic, "m", sub, "v1", T1);
            assert_eq!(
                serde_json::to_string(&fast).expect("json"),
                serde_json::to_string(&generic).expect("json"),
                "{obj} {sub:?}"
            );
            let mut reference = obj.clone();
            reference_update(None, &mut reference, "m", sub, "v1", T1);
            assert_eq!(
                serde_json::to_string(&generic).expect("json"),
                serde_json::to_string(&reference).expect("json"),
                "{obj} {sub:?}"
            );
        }
    }
}

/// The generic update as it was before untouched entries were carried over still encoded:
/// decode every entry, take the changed and removed fields out, add the changed ones to the
/// writer's entry, encode everything again. The fast path must write exactly this.
fn reference_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    now: &str,
) {
    let sub = subresource.unwrap_or_default();
    let (group, kind) = group_kind(new);
    let mut entries = decode(Some(new));
    if entries.is_empty() || !sub.is_empty() {
        entries = decode(old);
    }
    let empty = json!({});
    let lhs = without_managed_fields(old.unwrap_or(&empty));
    let rhs = without_managed_fields(new);
    let cmp = compare(&lhs, &rhs, &root_info(&group, &kind));
    let reset = reset_fields(&group, &kind, sub);
    let changed = strip(cmp.added.union(&cmp.modified)).recursive_difference(&reset);
    for e in &mut entries {
        e.set = e.set.difference(&changed).difference(&cmp.removed);
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.is(manager, Operation::Update, api_version, sub))
        {
            Some(e) => {
                e.set = e.set.union(&changed);
                e.time = Some(now.to_string());
            }
            None => entries.push(Entry {
                manager: manager.to_string(),
                operation: Operation::Update,
                api_version: api_version.to_string(),
                time: Some(now.to_string()),
                subresource: sub.to_string(),
                set: changed,
            }),
        }
    }
    encode_into(new, entries);
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": "u1", "resourceVersion": "5",
            "creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"app": "nginx"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "s1", "controller": true}]},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "web"}],
            "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}],
            "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]},
        "status": {"phase": "Pending", "qosClass": "BestEffort"}})
}

fn claim(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default", "uid": "c1", "labels": {"app": "nginx"},
            "finalizers": ["kubernetes.io/pvc-protection"]},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
            "storageClassName": "local-path", "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"}})
}

/// One random change of the kind the controllers and kubectl make.
fn mutate(rng: &mut Rng, obj: &mut Value, sub: Option<&str>) {
    let pick = |rng: &mut Rng, xs: &[&str]| xs[rng.below(xs.len() as u64) as usize].to_string();
    if sub == Some("status") {
        match rng.below(4) {
            0 => obj["status"]["phase"] = json!(pick(rng, &["Pending", "Running", "Bound"])),
            1 => {
                let t = pick(rng, &["Ready", "PodScheduled", "Initialized"]);
                let st = pick(rng, &["True", "False"]);
                let conds = obj["status"]["conditions"].as_array().cloned().unwrap_or_default();
                let mut conds: Vec<Value> = conds.into_iter().filter(|c| c["type"] != t.as_str()).collect();
                conds.push(json!({"type": t, "status": st}));
                obj["status"]["conditions"] = Value::Array(conds);
            }
            2 => obj["status"]["podIP"] = json!(format!("10.244.0.{}", rng.below(4))),
            _ => {
                if let Some(st) = obj["status"].as_object_mut() {
                    st.shift_remove("podIP");
                }
            }
        }
        return;
    }
    match rng.below(8) {
        0 => obj["metadata"]["labels"][pick(rng, &["a", "b", "app"])] = json!(pick(rng, &["x", "y"])),
        1 => {
            if let Some(l) = obj["metadata"]["labels"].as_object_mut() {
                l.shift_remove(&pick(rng, &["a", "b", "app"]));
            }
        }
        2 => {
            obj["metadata"]["annotations"][pick(
                rng,
                &["pv.kubernetes.io/bind-completed", "volume.kubernetes.io/selected-node"],
            )] = json!(pick(rng, &["yes", "berth"]))
        }
        3 => {
            if let Some(a) = obj["metadata"]["annotations"].as_object_mut() {
                a.shift_remove(&pick(
                    rng,
                    &["pv.kubernetes.io/bind-completed", "volume.kubernetes.io/selected-node"],
                ));
            }
        }
        4 => obj["metadata"]["finalizers"] = json!([pick(rng, &["a", "kubernetes.io/pvc-protection"])]),
        5 => obj["spec"][pick(rng, &["volumeName", "nodeName"])] = json!(pick(rng, &["pvc-1", "berth"])),
        6 => obj["status"]["phase"] = json!("Changed"),
        _ => {
            if let Some(spec) = obj["spec"].as_object_mut() {
                spec.shift_remove(&pick(rng, &["volumeName", "nodeName"]));
            }
        }
    }
}

/// Managed fields as a client might send or an older store might hold them: keys out of order,
/// a lone `.`, entries without `fieldsV1`.
fn scramble(rng: &mut Rng, obj: &mut Value) {
    let Some(list) = obj["metadata"]["managedFields"].as_array_mut() else {
        return;
    };
    for e in list.iter_mut() {
        match rng.below(5) {
            0 => {
                if let Some(f) = e["fieldsV1"].as_object_mut() {
                    let reversed: Map<String, Value> = std::mem::take(f).into_iter().rev().collect();
                    *f = reversed;
                }
            }
            1 => e["fieldsV1"]["f:metadata"][".".to_string()] = json!({}),
            2 => {
                if let Some(m) = e.as_object_mut() {
                    m.shift_remove("fieldsV1");
                }
            }
            _ => {}
        }
    }
}

#[test]
fn updates_that_carry_untouched_entries_over_write_what_decoding_everything_writes() {
    let managers = [
        "kube-controller-manager",
        "kube-scheduler",
        "berth-agent",
        "kubectl-edit",
    ];
    let mut compared = 0;
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut live = if seed % 2 == 0 {
            pod("web-0")
        } else {
            claim("www-web-0")
        };
        record_update(None, &mut live, "kube-controller-manager", None, "v1", T1);
        for step in 0..40 {
            let sub = (rng.below(3) == 0).then_some("status");
            let manager = managers[rng.below(managers.len() as u64) as usize];
            let mut new = live.clone();
            mutate(&mut rng, &mut new, sub);
            if rng.below(10) == 0 {
                scramble(&mut rng, &mut new);
            }
            if rng.below(10) == 0 {
                scramble(&mut rng, &mut live);
            }
            if rng.below(15) == 0 {
                // A PUT whose body carries no managed fields, or an empty list.
                let m = new["metadata"].as_object_mut().expect("metadata");
                if rng.below(2) == 0 {
                    m.shift_remove("managedFields");
                } else {
                    m.insert("managedFields".into(), json!([]));
                }
            }
            let now = if step % 2 == 0 { T1 } else { T2 };
            let mut fast = new.clone();
            let mut reference = new.clone();
            record_update(Some(&live), &mut fast, manager, sub, "v1", now);
            reference_update(Some(&live), &mut reference, manager, sub, "v1", now);
            assert_eq!(
                serde_json::to_string(&fast).expect("json"),
                serde_json::to_string(&reference).expect("json"),
                "seed {seed} step {step}: {manager} {sub:?}\nlive {live}\nnew {new}"
            );
            compared += 1;
            live = fast;
        }
    }
    assert_eq!(compared, 1600);
}

#[test]
fn comparing_without_managed_fields_is_comparing_copies_without_them() {
    let live = created_by_client_side_apply();
    let mut new = live.clone();
    new["spec"]["replicas"] = json!(4);
    new["metadata"]["managedFields"] = json!([{"manager": "other", "fieldsV1": {"f:x": {}}}]);
    new["metadata"]["labels"]["tier"] = json!("web");
    let info = root_info("apps", "StatefulSet");
    let skipped = fieldset::compare_without(&live, &new, &info, &["metadata", "managedFields"]);
    let copied = compare(&without_managed_fields(&live), &without_managed_fields(&new), &info);
    assert_eq!(
        (skipped.added, skipped.modified, skipped.removed),
        (copied.added, copied.modified, copied.removed)
    );
}
