//! End to end: kubectl's typed `create` generators, which send protobuf, against `berth up`.

use berth_testkit::Berth;
use serde_json::{json, Value};

fn berth() -> Berth {
    Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts")
}

fn get(b: &Berth, args: &[&str]) -> Value {
    let out = b.kubectl(&[&["get"], args, &["-o", "json"]].concat()).ok().stdout;
    serde_json::from_str(&out).expect("kubectl prints json")
}

#[test]
fn create_generators_send_protobuf_and_the_objects_come_back_as_created() {
    let b = berth();

    let verbose = b.kubectl(&["create", "namespace", "team-a", "-v=8"]).ok();
    assert!(
        verbose.stderr.contains("application/vnd.kubernetes.protobuf"),
        "kubectl create namespace no longer sends protobuf:\n{}",
        verbose.stderr
    );
    let ns = get(&b, &["namespace", "team-a"]);
    assert_eq!(
        (ns["kind"].as_str(), ns["metadata"]["name"].as_str()),
        (Some("Namespace"), Some("team-a"))
    );

    b.kubectl(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "team-a",
        "--from-literal=mode=prod",
        "--from-literal=level=3",
    ])
    .ok();
    assert_eq!(
        get(&b, &["configmap", "settings", "-n", "team-a"])["data"],
        json!({"mode": "prod", "level": "3"})
    );
    let yaml = b
        .kubectl(&["get", "configmap", "settings", "-n", "team-a", "-o", "yaml"])
        .ok()
        .stdout;
    assert!(
        yaml.contains("mode: prod") && yaml.contains("kind: ConfigMap"),
        "{yaml}"
    );

    b.kubectl(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        "team-a",
        "--from-literal=password=hunter2",
    ])
    .ok();
    let secret = get(&b, &["secret", "creds", "-n", "team-a"]);
    assert_eq!(secret["data"], json!({"password": "aHVudGVyMg=="}));
    assert_eq!(secret["type"], "Opaque");

    b.kubectl(&["create", "serviceaccount", "bot", "-n", "team-a"]).ok();
    assert_eq!(
        get(&b, &["serviceaccount", "bot", "-n", "team-a"])["metadata"]["namespace"],
        "team-a"
    );

    b.kubectl(&["create", "service", "clusterip", "web", "-n", "team-a", "--tcp=80:8080"])
        .ok();
    let web = get(&b, &["service", "web", "-n", "team-a"]);
    assert_eq!(web["spec"]["type"], "ClusterIP");
    assert_eq!(web["spec"]["selector"], json!({"app": "web"}));
    assert_eq!(web["spec"]["ports"][0]["name"], "80-8080");
    assert_eq!(web["spec"]["ports"][0]["port"], 80);
    assert_eq!(web["spec"]["ports"][0]["targetPort"], 8080);
    assert_eq!(web["spec"]["ports"][0]["protocol"], "TCP");
    assert!(
        web["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|ip| !ip.is_empty() && ip != "None"),
        "{web}"
    );

    b.kubectl(&[
        "create",
        "service",
        "clusterip",
        "headless",
        "-n",
        "team-a",
        "--clusterip=None",
    ])
    .ok();
    assert_eq!(
        get(&b, &["service", "headless", "-n", "team-a"])["spec"]["clusterIP"],
        "None"
    );

    b.kubectl(&[
        "create",
        "service",
        "nodeport",
        "np",
        "-n",
        "team-a",
        "--tcp=80:8080",
        "--node-port=30080",
    ])
    .ok();
    let np = get(&b, &["service", "np", "-n", "team-a"]);
    assert_eq!(np["spec"]["type"], "NodePort");
    assert_eq!(np["spec"]["ports"][0]["nodePort"], 30080);
    assert_eq!(np["spec"]["ports"][0]["targetPort"], 8080);

    b.kubectl(&[
        "create",
        "service",
        "externalname",
        "ext",
        "-n",
        "team-a",
        "--external-name=example.com",
    ])
    .ok();
    let ext = get(&b, &["service", "ext", "-n", "team-a"]);
    assert_eq!(
        (ext["spec"]["type"].as_str(), ext["spec"]["externalName"].as_str()),
        (Some("ExternalName"), Some("example.com"))
    );

    b.kubectl(&["delete", "configmap", "settings", "-n", "team-a"]).ok();
    b.kubectl(&["get", "configmap", "settings", "-n", "team-a"]).fails();
}

#[test]
fn create_generator_conflicts_and_dry_runs_behave_as_with_json() {
    let b = berth();
    b.kubectl(&["create", "namespace", "dup"]).ok();
    let again = b.kubectl(&["create", "namespace", "dup"]).fails();
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);

    let dry = b
        .kubectl(&[
            "create",
            "configmap",
            "ghost",
            "--from-literal=a=b",
            "--dry-run=server",
            "-o",
            "json",
        ])
        .ok();
    let obj: Value = serde_json::from_str(&dry.stdout).expect("json");
    assert_eq!(obj["data"], json!({"a": "b"}));
    b.kubectl(&["get", "configmap", "ghost"]).fails();
}
