//! End to end: persistent storage with the stock kubectl — seed 000's static hostPath volumes,
//! seed 004's dynamically provisioned volumes surviving pod deletion, scaling, orphaning and
//! cascading deletes and a restart; claim retention; protection finalizers; crash leftovers.
//!
//! A test finds a volume's directory from its PersistentVolume: `spec.hostPath.path` (for
//! `local-path` volumes, `<data-dir>/volumes/pvc-<claim uid>_<namespace>_<claim>`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use berth_testkit::{eventually, Berth};

fn berth() -> Berth {
    Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts")
}

fn apply(b: &Berth, name: &str, text: &str) {
    b.kubectl(&["apply", "-f", &b.file(name, text)]).ok();
}

/// Rows of a kubectl table as column name → cell, cut at the header's column offsets.
fn table(out: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = out.lines();
    let header = lines.next().unwrap_or("");
    let mut starts = Vec::new();
    let mut prev_space = true;
    for (i, ch) in header.char_indices() {
        let is_space = ch == ' ';
        // Column names may hold one space ("ACCESS MODES"); two or more separate columns.
        if !is_space && prev_space && (i == 0 || header[..i].ends_with("  ")) {
            starts.push(i);
        }
        prev_space = is_space;
    }
    let names: Vec<String> = starts
        .iter()
        .enumerate()
        .map(|(n, &s)| {
            header[s..starts.get(n + 1).copied().unwrap_or(header.len())]
                .trim()
                .to_string()
        })
        .collect();
    lines
        .map(|l| {
            names
                .iter()
                .enumerate()
                .map(|(n, name)| {
                    let s = starts[n].min(l.len());
                    let e = starts.get(n + 1).copied().unwrap_or(l.len()).min(l.len());
                    (name.clone(), l[s..e].trim().to_string())
                })
                .collect()
        })
        .collect()
}

fn get_table(b: &Berth, args: &[&str]) -> Vec<BTreeMap<String, String>> {
    table(&b.kubectl(args).ok().stdout)
}

/// Asserts each seed row's cells (the columns the seed shows, AGE aside) in the current table.
fn assert_rows(rows: &[BTreeMap<String, String>], seed: &[&[(&str, &str)]]) {
    assert_eq!(rows.len(), seed.len(), "{rows:#?}");
    for (row, want) in rows.iter().zip(seed) {
        for (col, val) in *want {
            assert_eq!(row.get(*col).map(String::as_str), Some(*val), "column {col} in {row:?}");
        }
    }
}

const SVC: &str = berth_testkit::seed::NGINX_HEADLESS_SERVICE;

/// The seed's `web` StatefulSet with its `www` claim template, plus an optional retention policy.
fn web(name: &str, replicas: u32, retention: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: nginx
  replicas: {replicas}
{retention}  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: nginx
        image: k8s.gcr.io/nginx-slim:0.8
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [\"ReadWriteOnce\"]
      resources:
        requests:
          storage: 1Gi
"
    )
}

fn names(b: &Berth, kind: &str, selector: Option<&str>) -> Vec<String> {
    let mut args = vec!["get", kind, "-o", "jsonpath={.items[*].metadata.name}"];
    if let Some(s) = selector {
        args.extend(["-l", s]);
    }
    let mut v: Vec<String> = b
        .kubectl(&args)
        .ok()
        .stdout
        .split_whitespace()
        .map(String::from)
        .collect();
    v.sort();
    v
}

fn ready(b: &Berth, app: &str) -> Vec<String> {
    let out = b
        .kubectl(&[
            "get",
            "pods",
            "-l",
            &format!("app={app}"),
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\n"}{end}"#,
        ])
        .ok()
        .stdout;
    let mut v: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 3 && f[1] == "Running" && f[2] == "True").then(|| f[0].to_string())
        })
        .collect();
    v.sort();
    v
}

fn wait_ready(b: &Berth, app: &str, n: usize) {
    wait_set_ready(b, app, app, n);
}

/// Waits for pods `<set>-0..n` labeled `app=<app>`, and no others, Running and Ready.
fn wait_set_ready(b: &Berth, app: &str, set: &str, n: usize) {
    let want: Vec<String> = (0..n).map(|i| format!("{set}-{i}")).collect();
    eventually(&format!("{want:?} ready"), 90, || {
        (ready(b, app) == want && names(b, "pods", Some(&format!("app={app}"))) == want).then_some(())
    });
}

/// Claim name → bound volume name, for claims of `set`.
fn bindings(b: &Berth) -> BTreeMap<String, String> {
    let out = b
        .kubectl(&[
            "get",
            "pvc",
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.volumeName}{"\n"}{end}"#,
        ])
        .ok()
        .stdout;
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 3 && f[1] == "Bound").then(|| (f[0].to_string(), f[2].to_string()))
        })
        .collect()
}

fn wait_bound(b: &Berth, claims: &[&str]) -> BTreeMap<String, String> {
    eventually(&format!("claims {claims:?} bound"), 60, || {
        let all = bindings(b);
        claims.iter().all(|c| all.contains_key(*c)).then_some(all)
    })
}

fn volume_dir(b: &Berth, volume: &str) -> PathBuf {
    let path = b
        .kubectl(&["get", "pv", volume, "-o", "jsonpath={.spec.hostPath.path}"])
        .ok()
        .stdout;
    PathBuf::from(path)
}

#[test]
fn seed_000_binds_the_claims_to_the_static_host_path_volumes() {
    // The seed's cluster has no default StorageClass: its claims show an empty class.
    let b = Berth::start_with_args(env!("CARGO_BIN_EXE_berth"), &["--no-default-storage-class"]).expect("berth starts");
    let pvs = "apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv001
spec:
  capacity:
    storage: 1Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: /tmp/pv001

---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv002
spec:
  capacity:
    storage: 1Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: /tmp/pv002
";
    let out = b.kubectl(&["apply", "-f", &b.file("pv.yaml", pvs)]).ok().stdout;
    assert_eq!(out, "persistentvolume/pv001 created\npersistentvolume/pv002 created\n");
    let available: &[(&str, &str)] = &[
        ("CAPACITY", "1Gi"),
        ("ACCESS MODES", "RWO"),
        ("RECLAIM POLICY", "Retain"),
        ("STATUS", "Available"),
        ("CLAIM", ""),
        ("STORAGECLASS", ""),
        ("REASON", ""),
    ];
    eventually("both volumes Available", 30, || {
        let rows = get_table(&b, &["get", "pv"]);
        rows.iter().all(|r| r["STATUS"] == "Available").then_some(())
    });
    let rows = get_table(&b, &["get", "pv"]);
    assert_rows(
        &rows,
        &[
            &[&[("NAME", "pv001")], available].concat(),
            &[&[("NAME", "pv002")], available].concat(),
        ],
    );
    apply(&b, "headless-svc.yaml", SVC);
    let sts = berth_testkit::seed::nginx_web(2, "nginx:1.7.9");
    apply(&b, "nginx-sts.yaml", &sts);
    wait_set_ready(&b, "nginx", "web", 2);
    let rows = get_table(&b, &["get", "pvc"]);
    let bound = |name: &'static str, pv: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("NAME", name),
            ("STATUS", "Bound"),
            ("VOLUME", pv),
            ("CAPACITY", "1Gi"),
            ("ACCESS MODES", "RWO"),
            ("STORAGECLASS", ""),
        ]
    };
    assert_rows(&rows, &[&bound("www-web-0", "pv001"), &bound("www-web-1", "pv002")]);
    let rows = get_table(&b, &["get", "pv"]);
    assert_rows(
        &rows,
        &[
            &[
                ("NAME", "pv001"),
                ("STATUS", "Bound"),
                ("CLAIM", "default/www-web-0"),
                ("RECLAIM POLICY", "Retain"),
            ],
            &[
                ("NAME", "pv002"),
                ("STATUS", "Bound"),
                ("CLAIM", "default/www-web-1"),
                ("RECLAIM POLICY", "Retain"),
            ],
        ],
    );
    // Deleting the pods keeps the bindings (seed: "依然还是关联的之前的 PVC").
    b.kubectl(&["delete", "pod", "-l", "app=nginx"]).ok();
    wait_set_ready(&b, "nginx", "web", 2);
    assert_eq!(
        bindings(&b),
        BTreeMap::from([
            ("www-web-0".into(), "pv001".into()),
            ("www-web-1".into(), "pv002".into())
        ])
    );
}

#[test]
fn seed_004_data_in_provisioned_volumes_survives_deletes_scaling_recreation_and_restart() {
    let mut b = berth();
    let sc = eventually("the default class", 30, || {
        let rows = get_table(&b, &["get", "storageclass"]);
        (!rows.is_empty()).then_some(rows)
    });
    assert_rows(
        &sc,
        &[&[
            ("NAME", "local-path (default)"),
            ("PROVISIONER", "rancher.io/local-path"),
            ("RECLAIMPOLICY", "Delete"),
            ("VOLUMEBINDINGMODE", "WaitForFirstConsumer"),
        ]],
    );
    let web_yaml = format!("{SVC}---\n{}", web("web", 2, ""));
    let out = b.kubectl(&["create", "-f", &b.file("web.yaml", &web_yaml)]).ok().stdout;
    assert_eq!(out, "service/nginx created\nstatefulset.apps/web created\n");
    wait_ready(&b, "web", 2);
    let first = wait_bound(&b, &["www-web-0", "www-web-1"]);
    let root = b.data_dir().canonicalize().expect("data dir").join("volumes");
    let write = |b: &Berth, claim: &str, bound: &BTreeMap<String, String>| {
        let dir = volume_dir(b, &bound[claim]);
        assert!(dir.starts_with(&root), "{} outside {}", dir.display(), root.display());
        std::fs::write(dir.join("index.html"), format!("{claim}\n")).expect("write into the volume");
    };
    let check = |b: &Berth, claims: &[&str], bound: &BTreeMap<String, String>| {
        let now = bindings(b);
        for c in claims {
            assert_eq!(now.get(*c), bound.get(*c), "{c} keeps its volume");
            let text =
                std::fs::read_to_string(volume_dir(b, &now[*c]).join("index.html")).expect("the file is still there");
            assert_eq!(text, format!("{c}\n"));
        }
    };
    for c in ["www-web-0", "www-web-1"] {
        write(&b, c, &first);
    }
    let rows = get_table(&b, &["get", "pvc", "-l", "app=web"]);
    assert_rows(
        &rows,
        &[
            &[
                ("NAME", "www-web-0"),
                ("STATUS", "Bound"),
                ("CAPACITY", "1Gi"),
                ("ACCESS MODES", "RWO"),
                ("STORAGECLASS", "local-path"),
            ],
            &[
                ("NAME", "www-web-1"),
                ("STATUS", "Bound"),
                ("CAPACITY", "1Gi"),
                ("ACCESS MODES", "RWO"),
                ("STORAGECLASS", "local-path"),
            ],
        ],
    );
    assert!(rows[0]["VOLUME"].starts_with("pvc-"), "{rows:?}");

    // Pod deletion.
    b.kubectl(&["delete", "pod", "-l", "app=web"]).ok();
    wait_ready(&b, "web", 2);
    check(&b, &["www-web-0", "www-web-1"], &first);

    // Scale 5 → 3 → 5.
    b.kubectl(&["scale", "sts", "web", "--replicas=5"]).ok();
    wait_ready(&b, "web", 5);
    let five = wait_bound(&b, &["www-web-0", "www-web-1", "www-web-2", "www-web-3", "www-web-4"]);
    for c in ["www-web-2", "www-web-3", "www-web-4"] {
        write(&b, c, &five);
    }
    b.kubectl(&["patch", "sts", "web", "-p", r#"{"spec":{"replicas":3}}"#])
        .ok();
    wait_ready(&b, "web", 3);
    let all = ["www-web-0", "www-web-1", "www-web-2", "www-web-3", "www-web-4"];
    assert_eq!(
        names(&b, "pvc", Some("app=web")),
        all.to_vec(),
        "scale-down keeps the claims"
    );
    check(&b, &all, &five);
    b.kubectl(&["scale", "sts", "web", "--replicas=5"]).ok();
    wait_ready(&b, "web", 5);
    check(&b, &all, &five);
    b.kubectl(&["scale", "sts", "web", "--replicas=2"]).ok();
    wait_ready(&b, "web", 2);

    // Orphaning delete, one pod gone, re-creation.
    b.kubectl(&["delete", "statefulset", "web", "--cascade=orphan"]).ok();
    b.kubectl(&["delete", "pod", "web-0"]).ok();
    eventually("web-0 gone", 30, || {
        (!names(&b, "pods", Some("app=web")).contains(&"web-0".to_string())).then_some(())
    });
    b.kubectl(&["apply", "-f", &b.file("web-only.yaml", &web("web", 2, ""))])
        .ok();
    wait_ready(&b, "web", 2);
    check(&b, &all, &five);

    // Cascading delete and re-creation.
    b.kubectl(&["delete", "statefulset", "web"]).ok();
    eventually("pods gone", 60, || {
        names(&b, "pods", Some("app=web")).is_empty().then_some(())
    });
    assert_eq!(
        names(&b, "pvc", Some("app=web")),
        all.to_vec(),
        "a cascading delete keeps the claims"
    );
    b.kubectl(&["apply", "-f", &b.file("web-only.yaml", &web("web", 2, ""))])
        .ok();
    wait_ready(&b, "web", 2);
    check(&b, &all, &five);

    // A restart of berth.
    b.restart().expect("restart");
    wait_ready(&b, "web", 2);
    check(&b, &all, &five);
    b.kubectl(&["scale", "sts", "web", "--replicas=5"]).ok();
    wait_ready(&b, "web", 5);
    check(&b, &all, &five);
}

fn retention(deleted: &str, scaled: &str) -> String {
    format!("  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: {deleted}\n    whenScaled: {scaled}\n")
}

/// Polls until `cond`, checking meanwhile that no claim of `app` is gone while its pod exists.
fn watch_claims_follow_pods(b: &Berth, app: &str, what: &str, cond: impl Fn(&[String], &[String]) -> bool) {
    eventually(what, 90, || {
        let pods = names(b, "pods", Some(&format!("app={app}")));
        let claims = names(b, "pvc", Some(&format!("app={app}")));
        for p in &pods {
            assert!(
                claims.contains(&format!("www-{p}")),
                "claim of {p} went before its pod: {claims:?}"
            );
        }
        cond(&pods, &claims).then_some(())
    });
}

#[test]
fn retention_policies_delete_claims_only_after_their_pods_and_volumes_follow_the_reclaim_policy() {
    let b = berth();
    let combos = [
        ("Retain", "Retain"),
        ("Retain", "Delete"),
        ("Delete", "Retain"),
        ("Delete", "Delete"),
    ];
    let apps: Vec<String> = combos
        .iter()
        .map(|(d, s)| format!("d{}-s{}", &d[..1], &s[..1]).to_lowercase())
        .collect();
    for ((d, s), app) in combos.iter().zip(&apps) {
        apply(&b, &format!("{app}.yaml"), &web(app, 3, &retention(d, s)));
    }
    for app in &apps {
        wait_ready(&b, app, 3);
    }
    let before = bindings(&b);
    let mut dirs = BTreeMap::new();
    for (claim, volume) in &before {
        let dir = volume_dir(&b, volume);
        std::fs::write(dir.join("data"), claim).expect("write");
        dirs.insert(claim.clone(), dir);
    }
    // Scale every set to 1.
    for app in &apps {
        b.kubectl(&["scale", "sts", app, "--replicas=1"]).ok();
    }
    for ((_, s), app) in combos.iter().zip(&apps) {
        let want: Vec<String> = if *s == "Delete" {
            vec![format!("www-{app}-0")]
        } else {
            (0..3).map(|i| format!("www-{app}-{i}")).collect()
        };
        watch_claims_follow_pods(&b, app, &format!("{app} scaled"), |pods, claims| {
            pods.len() == 1 && claims == want.as_slice()
        });
    }
    // Delete every set.
    for app in &apps {
        b.kubectl(&["delete", "sts", app]).ok();
    }
    for ((d, s), app) in combos.iter().zip(&apps) {
        let want: Vec<String> = match (*d, *s) {
            ("Delete", _) => vec![],
            (_, "Delete") => vec![format!("www-{app}-0")],
            _ => (0..3).map(|i| format!("www-{app}-{i}")).collect(),
        };
        watch_claims_follow_pods(&b, app, &format!("{app} deleted"), |pods, claims| {
            pods.is_empty() && claims == want.as_slice()
        });
    }
    // local-path reclaims with Delete: a deleted claim's volume and directory go; kept ones stay.
    let remaining = names(&b, "pvc", None);
    eventually("volumes of deleted claims reclaimed", 60, || {
        let pvs = names(&b, "pv", None);
        let ok = before.iter().all(|(claim, volume)| {
            pvs.contains(volume) == remaining.contains(claim) && dirs[claim].exists() == remaining.contains(claim)
        });
        ok.then_some(())
    });
    for claim in &remaining {
        assert_eq!(
            std::fs::read_to_string(dirs[claim].join("data")).expect("kept data"),
            *claim
        );
    }
}

#[test]
fn protection_finalizers_hold_a_claim_in_use_and_a_bound_volume() {
    let b = berth();
    let objs = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: user
spec:
  containers:
  - name: c
    image: busybox
    volumeMounts:
    - name: d
      mountPath: /data
  volumes:
  - name: d
    persistentVolumeClaim:
      claimName: data
";
    apply(&b, "objs.yaml", objs);
    let bound = wait_bound(&b, &["data"]);
    let volume = bound["data"].clone();
    eventually("user running", 60, || {
        (b.kubectl(&["get", "pod", "user", "-o", "jsonpath={.status.phase}"])
            .ok()
            .stdout
            == "Running")
            .then_some(())
    });
    let fin = b
        .kubectl(&["get", "pvc", "data", "-o", "jsonpath={.metadata.finalizers}"])
        .ok()
        .stdout;
    assert!(fin.contains("kubernetes.io/pvc-protection"), "{fin}");
    let fin = b
        .kubectl(&["get", "pv", &volume, "-o", "jsonpath={.metadata.finalizers}"])
        .ok()
        .stdout;
    assert!(fin.contains("kubernetes.io/pv-protection"), "{fin}");
    let dir = volume_dir(&b, &volume);
    assert!(dir.is_dir());

    // The volume is bound: deleting it leaves it Terminating.
    b.kubectl(&["delete", "pv", &volume, "--wait=false"]).ok();
    // The claim is in use: deleting it leaves it Terminating.
    b.kubectl(&["delete", "pvc", "data", "--wait=false"]).ok();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let rows = get_table(&b, &["get", "pvc"]);
    assert_rows(&rows, &[&[("NAME", "data"), ("STATUS", "Terminating")]]);
    let rows = get_table(&b, &["get", "pv"]);
    assert_rows(&rows, &[&[("NAME", volume.as_str()), ("STATUS", "Terminating")]]);
    assert!(dir.is_dir(), "the directory stays while the claim is in use");

    // Once the pod is gone, the claim goes, then the volume (Delete: with its directory).
    b.kubectl(&["delete", "pod", "user"]).ok();
    eventually("claim gone", 60, || names(&b, "pvc", None).is_empty().then_some(()));
    eventually("volume gone", 60, || names(&b, "pv", None).is_empty().then_some(()));
    assert!(!dir.exists(), "reclaim policy Delete removes the directory");
}

#[test]
fn a_retained_volume_keeps_its_directory_after_its_claim_is_deleted() {
    let b = berth();
    let objs = "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: keep
provisioner: rancher.io/local-path
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: kept
spec:
  storageClassName: keep
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
";
    apply(&b, "objs.yaml", objs);
    let bound = wait_bound(&b, &["kept"]);
    let dir = volume_dir(&b, &bound["kept"]);
    std::fs::write(dir.join("f"), "x").expect("write");
    b.kubectl(&["delete", "pvc", "kept"]).ok();
    eventually("volume Released", 30, || {
        (b.kubectl(&["get", "pv", &bound["kept"], "-o", "jsonpath={.status.phase}"])
            .ok()
            .stdout
            == "Released")
            .then_some(())
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(std::fs::read_to_string(dir.join("f")).expect("kept"), "x");
    // Deleting the volume object still keeps the data.
    b.kubectl(&["delete", "pv", &bound["kept"]]).ok();
    assert_eq!(std::fs::read_to_string(dir.join("f")).expect("kept"), "x");
}

#[test]
fn a_restart_settles_directories_a_crash_left_half_created_or_half_removed() {
    let mut b = berth();
    let root = b.data_dir().join("volumes");
    eventually("volumes dir", 30, || root.is_dir().then_some(()));
    std::fs::create_dir_all(root.join(".creating-pvc-x_default_gone")).expect("mkdir");
    std::fs::create_dir_all(root.join(".deleting-pvc-y_default_old/sub")).expect("mkdir");
    std::fs::create_dir_all(root.join("not-ours")).expect("mkdir");
    b.restart().expect("restart");
    eventually("leftovers settled", 30, || {
        (!root.join(".creating-pvc-x_default_gone").exists() && !root.join(".deleting-pvc-y_default_old").exists())
            .then_some(())
    });
    assert!(
        root.join("not-ours").is_dir(),
        "a directory without a volume is never removed by repair"
    );
}

#[test]
fn a_claim_grows_when_its_class_allows_expansion() {
    let b = berth();
    let pvc = |size: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: grow\nspec:\n  storageClassName: grow\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: {size}\n")
    };
    let sc = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: grow\nprovisioner: rancher.io/local-path\nallowVolumeExpansion: true\n";
    apply(&b, "sc.yaml", sc);
    apply(&b, "pvc.yaml", &pvc("1Gi"));
    let bound = wait_bound(&b, &["grow"]);
    apply(&b, "pvc.yaml", &pvc("2Gi"));
    eventually("capacity 2Gi", 30, || {
        let pv = b
            .kubectl(&["get", "pv", &bound["grow"], "-o", "jsonpath={.spec.capacity.storage}"])
            .ok()
            .stdout;
        let pvc = b
            .kubectl(&["get", "pvc", "grow", "-o", "jsonpath={.status.capacity.storage}"])
            .ok()
            .stdout;
        (pv == "2Gi" && pvc == "2Gi").then_some(())
    });
}

#[test]
fn a_claim_created_before_any_default_class_gets_it_retroactively() {
    let b = Berth::start_with_args(env!("CARGO_BIN_EXE_berth"), &["--no-default-storage-class"]).expect("berth starts");
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: early\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
    apply(&b, "pvc.yaml", pvc);
    let class = || {
        b.kubectl(&["get", "pvc", "early", "-o", "jsonpath={.spec.storageClassName}"])
            .ok()
            .stdout
    };
    assert_eq!(class(), "");
    eventually("local-path exists", 30, || {
        b.kubectl(&["get", "sc", "local-path"]).status.eq(&0).then_some(())
    });
    b.kubectl(&[
        "annotate",
        "sc",
        "local-path",
        "storageclass.kubernetes.io/is-default-class=true",
    ])
    .ok();
    eventually("the default class assigned", 30, || {
        (class() == "local-path").then_some(())
    });
}
