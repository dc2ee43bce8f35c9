//! End to end: the stock kubectl against `berth up`, for every command of the foundation issue.

use berth_testkit::{eventually, Berth};

fn berth() -> Berth {
    Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts")
}

const SVC: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: default
  labels:
    app: nginx
spec:
  ports:
    - name: http
      port: 80
  clusterIP: None
  selector:
    app: nginx
"#;

fn sts(image: &str, replicas: u32) -> String {
    berth_testkit::seed::nginx_web(replicas, image)
}

fn pod(name: &str, labels: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {labels}
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: ["sleep", "3600"]
"#
    )
}

fn header(out: &str) -> Vec<&str> {
    out.lines().next().unwrap_or_default().split_whitespace().collect()
}

#[test]
fn api_resources_lists_the_short_names() {
    let b = berth();
    let out = b.kubectl(&["api-resources"]).ok().stdout;
    for (name, short) in [
        ("statefulsets", "sts"),
        ("pods", "po"),
        ("services", "svc"),
        ("persistentvolumeclaims", "pvc"),
        ("persistentvolumes", "pv"),
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{out}"));
        assert!(line.split_whitespace().any(|w| w == short), "{line}");
    }
    let version = b.kubectl(&["version"]).ok().stdout;
    assert!(version.contains("Server Version: v1.32"), "{version}");
}

#[test]
fn apply_creates_then_configures_then_leaves_unchanged_and_applies_server_side() {
    let b = berth();
    let svc = b.file("svc.yaml", SVC);
    let web = b.file("web.yaml", &sts("nginx:1.7.9", 2));
    assert_eq!(
        b.kubectl(&["apply", "-f", &svc]).ok().stdout.trim(),
        "service/nginx created"
    );
    assert_eq!(
        b.kubectl(&["apply", "-f", &web]).ok().stdout.trim(),
        "statefulset.apps/web created"
    );
    assert_eq!(
        b.kubectl(&["apply", "-f", &svc]).ok().stdout.trim(),
        "service/nginx unchanged"
    );
    // volumeClaimTemplates is an atomic list whose live copy carries defaults, so kubectl sends a
    // patch (and says "configured", as against a real cluster); the server sees no spec change.
    b.kubectl(&["apply", "-f", &web]).ok();
    let generation = b
        .kubectl(&["get", "sts", "web", "-o", "jsonpath={.metadata.generation}"])
        .ok()
        .stdout;
    assert_eq!(generation, "1");
    let changed = b.file("web2.yaml", &sts("nginx:1.25", 3));
    assert_eq!(
        b.kubectl(&["apply", "-f", &changed]).ok().stdout.trim(),
        "statefulset.apps/web configured"
    );
    let image = b
        .kubectl(&[
            "get",
            "sts",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image} {.spec.replicas} {.metadata.generation}",
        ])
        .ok()
        .stdout;
    assert_eq!(image, "nginx:1.25 3 2");
    let yaml = b.kubectl(&["get", "sts", "web", "-o", "yaml"]).ok().stdout;
    assert!(
        yaml.contains("kubectl.kubernetes.io/last-applied-configuration"),
        "{yaml}"
    );
    // Defaults are visible, exactly as a real cluster fills them in.
    for default in [
        "podManagementPolicy: OrderedReady",
        "revisionHistoryLimit: 10",
        "type: RollingUpdate",
        "partition: 0",
        "terminationGracePeriodSeconds: 30",
        "imagePullPolicy: IfNotPresent",
    ] {
        assert!(yaml.contains(default), "missing default {default} in:\n{yaml}");
    }
}

fn config_map(value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"{value}\"\n  b: keep\n")
}

#[test]
fn server_side_apply_creates_updates_and_detects_conflicts() {
    let b = berth();
    let one = b.file("cm1.yaml", &config_map("1"));
    let two = b.file("cm2.yaml", &config_map("2"));
    assert_eq!(
        b.kubectl(&["apply", "--server-side", "-f", &one]).ok().stdout.trim(),
        "configmap/cfg serverside-applied"
    );
    assert_eq!(
        b.kubectl(&["apply", "--server-side", "-f", &two]).ok().stdout.trim(),
        "configmap/cfg serverside-applied"
    );
    let managers = b
        .kubectl(&[
            "get",
            "cm",
            "cfg",
            "-o",
            "jsonpath={.metadata.managedFields[*].manager}",
        ])
        .ok()
        .stdout;
    assert_eq!(managers, "kubectl");
    b.kubectl(&["patch", "cm", "cfg", "--type=merge", "-p", r#"{"data":{"a":"other"}}"#])
        .ok();
    let conflict = b.kubectl(&["apply", "--server-side", "-f", &one]).fails();
    assert!(
        conflict.stderr.contains("Apply failed with 1 conflict"),
        "{}",
        conflict.stderr
    );
    assert!(
        conflict.stderr.contains(r#"conflict with "kubectl-patch""#) && conflict.stderr.contains(".data.a"),
        "{}",
        conflict.stderr
    );
    b.kubectl(&["apply", "--server-side", "--force-conflicts", "-f", &one])
        .ok();
    let data = b
        .kubectl(&["get", "cm", "cfg", "-o", "jsonpath={.data.a} {.data.b}"])
        .ok()
        .stdout;
    assert_eq!(data, "1 keep");
}

#[test]
fn get_renders_tables_wide_labels_and_jsonpath() {
    let b = berth();
    b.kubectl(&["apply", "-f", &b.file("svc.yaml", SVC)]).ok();
    b.kubectl(&["apply", "-f", &b.file("web.yaml", &sts("nginx:1.7.9", 2))])
        .ok();
    let svc = b.kubectl(&["get", "service", "nginx"]).ok().stdout;
    assert_eq!(
        header(&svc),
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    );
    let row: Vec<&str> = svc.lines().nth(1).expect("row").split_whitespace().collect();
    assert_eq!(&row[..5], ["nginx", "ClusterIP", "None", "<none>", "80/TCP"]);
    let s = b.kubectl(&["get", "sts"]).ok().stdout;
    assert_eq!(header(&s), ["NAME", "READY", "AGE"]);
    assert!(s.lines().nth(1).expect("row").starts_with("web "), "{s}");
    let wide = b.kubectl(&["get", "sts", "-o", "wide"]).ok().stdout;
    assert_eq!(header(&wide), ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]);
    assert!(wide.contains("nginx:1.7.9"), "{wide}");
    let labels = b.kubectl(&["get", "svc", "nginx", "--show-labels"]).ok().stdout;
    assert!(labels.contains("app=nginx"), "{labels}");
    let names = b
        .kubectl(&["get", "ns", "-o", "jsonpath={.items[*].metadata.name}"])
        .ok()
        .stdout;
    assert_eq!(names, "default kube-node-lease kube-public kube-system");
    b.kubectl(&["create", "-f", &b.file("p.yaml", &pod("standalone", "{app: solo}"))])
        .ok();
    let pods = b.kubectl(&["get", "pods", "-o", "wide"]).ok().stdout;
    assert_eq!(
        header(&pods),
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ]
    );
    // The simulated node picks the pod up at once: it may already be starting or running.
    let row: Vec<&str> = pods.lines().nth(1).expect("row").split_whitespace().collect();
    assert_eq!(row[0], "standalone", "{pods}");
    assert!(
        ["0/1 Pending", "0/1 ContainerCreating", "1/1 Running"].contains(&row[1..3].join(" ").as_str()),
        "{pods}"
    );
}

#[test]
fn create_twice_is_already_exists_and_stale_replace_conflicts() {
    let b = berth();
    let p = b.file("p.yaml", &pod("standalone", "{app: solo}"));
    assert_eq!(
        b.kubectl(&["create", "-f", &p]).ok().stdout.trim(),
        "pod/standalone created"
    );
    let again = b.kubectl(&["create", "-f", &p]).fails();
    assert!(
        again
            .stderr
            .contains("Error from server (AlreadyExists): error when creating")
            && again.stderr.contains("pods \"standalone\" already exists"),
        "{}",
        again.stderr
    );
    let mut obj: serde_json::Value =
        serde_json::from_str(&b.kubectl(&["get", "pod", "standalone", "-o", "json"]).ok().stdout).expect("json");
    obj["metadata"]["labels"]["tier"] = "one".into();
    let cur = b.file("cur.json", &obj.to_string());
    assert_eq!(
        b.kubectl(&["replace", "-f", &cur]).ok().stdout.trim(),
        "pod/standalone replaced"
    );
    // The same body again carries the old resourceVersion.
    let stale = b.kubectl(&["replace", "-f", &cur]).fails();
    assert!(
        stale.stderr.contains("Error from server (Conflict)"),
        "{}",
        stale.stderr
    );
    assert!(
        stale.stderr.contains("the object has been modified"),
        "{}",
        stale.stderr
    );
}

#[test]
fn edit_patch_and_scale_change_the_object() {
    let b = berth();
    b.kubectl(&["apply", "-f", &b.file("web.yaml", &sts("nginx:1.7.9", 2))])
        .ok();
    let editor = b.file("editor.sh", "#!/bin/sh\nsed -i 's/nginx:1.7.9/nginx:1.8/' \"$1\"\n");
    std::process::Command::new("chmod")
        .args(["+x", &editor])
        .status()
        .expect("chmod");
    let out = b
        .kubectl_with(
            &["edit", "sts", "web"],
            &[("EDITOR", &editor), ("KUBE_EDITOR", &editor)],
            None,
        )
        .ok();
    assert_eq!(out.stdout.trim(), "statefulset.apps/web edited");
    let get = |path: &str| {
        b.kubectl(&["get", "sts", "web", "-o", &format!("jsonpath={path}")])
            .ok()
            .stdout
    };
    assert_eq!(get("{.spec.template.spec.containers[0].image}"), "nginx:1.8");

    b.kubectl(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.9"}]}}}}"#,
    ])
    .ok();
    assert_eq!(
        get("{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}"),
        "nginx:1.9 80"
    );
    b.kubectl(&[
        "patch",
        "sts",
        "web",
        "--type=merge",
        "-p",
        r#"{"metadata":{"labels":{"team":"a"}}}"#,
    ])
    .ok();
    b.kubectl(&[
        "patch",
        "sts",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#,
    ])
    .ok();
    assert_eq!(get("{.metadata.labels.team} {.spec.replicas}"), "a 4");
    let bad = b
        .kubectl(&[
            "patch",
            "sts",
            "web",
            "--type=json",
            "-p",
            r#"[{"op":"test","path":"/spec/replicas","value":9}]"#,
        ])
        .fails();
    assert!(bad.stderr.contains("test failed"), "{}", bad.stderr);

    assert_eq!(
        b.kubectl(&["scale", "sts", "web", "--replicas=5"]).ok().stdout.trim(),
        "statefulset.apps/web scaled"
    );
    assert_eq!(get("{.spec.replicas}"), "5");
    let scale = b
        .kubectl(&[
            "get",
            "--raw",
            "/apis/apps/v1/namespaces/default/statefulsets/web/scale",
        ])
        .ok()
        .stdout;
    let scale: serde_json::Value = serde_json::from_str(&scale).expect("scale json");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 5);
    assert_eq!(scale["status"]["selector"], "app=nginx");
}

#[test]
fn get_watch_streams_additions_changes_and_deletions() {
    let b = berth();
    let mut w = b.kubectl_spawn(&["get", "pods", "-l", "app=w", "-w"]);
    // The watch starts after the initial list; give kubectl time to get there.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    b.kubectl(&["create", "-f", &b.file("a.yaml", &pod("a", "{app: w}"))])
        .ok();
    b.kubectl(&["create", "-f", &b.file("b.yaml", &pod("b", "{app: other}"))])
        .ok();
    b.kubectl(&["label", "pod", "a", "x=y"]).ok();
    b.kubectl(&["delete", "pod", "a", "--grace-period=0", "--force"]).ok();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let _ = w.kill();
    let out = w.wait_with_output().expect("watch output");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("a ")).collect();
    assert!(
        rows.len() >= 2,
        "expected the add, the change and the delete of a:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("b ")),
        "b does not match the selector:\n{text}"
    );
    assert_eq!(header(&text), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
}

#[test]
fn describe_shows_the_object_and_its_events() {
    let b = berth();
    b.kubectl(&["create", "-f", &b.file("p.yaml", &pod("web-0", "{app: nginx}"))])
        .ok();
    let uid = b
        .kubectl(&["get", "pod", "web-0", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    let event = format!(
        r#"{{"apiVersion":"v1","kind":"Event","metadata":{{"name":"web-0.1","namespace":"default"}},
        "involvedObject":{{"kind":"Pod","namespace":"default","name":"web-0","uid":"{uid}","apiVersion":"v1"}},
        "reason":"Scheduled","message":"Successfully assigned default/web-0 to node-1","type":"Normal",
        "source":{{"component":"default-scheduler"}},"count":1,
        "firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"2026-01-01T00:00:00Z"}}"#
    );
    b.kubectl(&["create", "-f", &b.file("ev.json", &event)]).ok();
    let d = b.kubectl(&["describe", "pod", "web-0"]).ok().stdout;
    assert!(d.contains("Name:") && d.contains("web-0"), "{d}");
    assert!(d.contains("Image:") && d.contains("busybox:1.36"), "{d}");
    assert!(d.contains("Successfully assigned default/web-0 to node-1"), "{d}");
    let ev = b.kubectl(&["get", "events"]).ok().stdout;
    assert_eq!(header(&ev), ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    assert!(ev.contains("pod/web-0"), "{ev}");
    b.kubectl(&["apply", "-f", &b.file("svc.yaml", SVC)]).ok();
    let d = b.kubectl(&["describe", "svc", "nginx"]).ok().stdout;
    assert!(d.contains("80/TCP"), "{d}");
}

fn owned_configmap(name: &str, owner: &str, uid: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","namespace":"default","labels":{{"app":"nginx"}},
        "ownerReferences":[{{"apiVersion":"apps/v1","kind":"StatefulSet","name":"{owner}","uid":"{uid}","controller":true,"blockOwnerDeletion":true}}]}},"data":{{"k":"v"}}}}"#
    )
}

#[test]
fn delete_cascades_orphans_and_deletes_by_label() {
    let b = berth();
    let web = b.file("web.yaml", &sts("nginx:1.7.9", 0));
    // Background (the default): the dependent goes after its owner.
    b.kubectl(&["apply", "-f", &web]).ok();
    let uid = b
        .kubectl(&["get", "sts", "web", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    b.kubectl(&[
        "create",
        "-f",
        &b.file("cm1.json", &owned_configmap("dep", "web", &uid)),
    ])
    .ok();
    assert_eq!(
        b.kubectl(&["delete", "sts", "web"]).ok().stdout.trim(),
        "statefulset.apps \"web\" deleted"
    );
    eventually("the dependent to be collected", 20, || {
        (b.kubectl(&["get", "cm", "dep"]).status != 0).then_some(())
    });
    // Orphan: the owner goes, the dependent stays without its ownerReference.
    b.kubectl(&["apply", "-f", &web]).ok();
    let uid = b
        .kubectl(&["get", "sts", "web", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    b.kubectl(&[
        "create",
        "-f",
        &b.file("cm2.json", &owned_configmap("dep", "web", &uid)),
    ])
    .ok();
    b.kubectl(&["delete", "sts", "web", "--cascade=orphan"]).ok();
    b.kubectl(&["get", "sts", "web"]).fails();
    let refs = b
        .kubectl(&["get", "cm", "dep", "-o", "jsonpath={.metadata.ownerReferences}"])
        .ok()
        .stdout;
    assert_eq!(refs, "", "ownerReferences should be stripped");
    b.kubectl(&["delete", "cm", "dep"]).ok();
    // Foreground: the dependent goes first, then the owner.
    b.kubectl(&["apply", "-f", &web]).ok();
    let uid = b
        .kubectl(&["get", "sts", "web", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    b.kubectl(&[
        "create",
        "-f",
        &b.file("cm3.json", &owned_configmap("dep", "web", &uid)),
    ])
    .ok();
    b.kubectl(&["delete", "sts", "web", "--cascade=foreground"]).ok();
    b.kubectl(&["get", "cm", "dep"]).fails();
    b.kubectl(&["get", "sts", "web"]).fails();
    // By label.
    for (n, l) in [("a", "{app: xa}"), ("b", "{app: xa}"), ("c", "{app: ya}")] {
        b.kubectl(&["create", "-f", &b.file(&format!("{n}.yaml"), &pod(n, l))])
            .ok();
    }
    b.kubectl(&["delete", "pod", "-l", "app=xa", "--grace-period=0", "--force"])
        .ok();
    let left = b
        .kubectl(&["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"])
        .ok()
        .stdout;
    assert_eq!(left, "c");
}

#[test]
fn deleting_a_namespace_deletes_its_contents_first() {
    let b = berth();
    b.kubectl(&["create", "namespace", "team"]).ok();
    eventually("the default service account", 20, || {
        (b.kubectl(&["get", "sa", "default", "-n", "team"]).status == 0).then_some(())
    });
    b.kubectl(&["create", "configmap", "c", "-n", "team", "--from-literal=a=b"])
        .ok();
    b.kubectl(&["delete", "namespace", "team"]).ok();
    b.kubectl(&["get", "namespace", "team"]).fails();
    b.kubectl(&["get", "cm", "c", "-n", "team"]).fails();
}
