//! Tests of upstream defaulting.

use super::*;
use serde_json::json;

fn pod(spec: serde_json::Value) -> serde_json::Value {
    let mut obj: Object =
        Object::Pod(serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).expect("pod"));
    apply(&mut obj);
    let info = crate::resource::lookup_kind("", "Pod").expect("served");
    obj.to_value(info)
}

#[test]
fn probes_get_timing_and_http_defaults() {
    let v = pod(json!({"containers": [{"name": "c", "image": "x:1", "readinessProbe": {"httpGet": {"port": 80}}}]}));
    assert_eq!(
        v["spec"]["containers"][0]["readinessProbe"],
        json!({"failureThreshold": 3, "httpGet": {"path": "/", "port": 80, "scheme": "HTTP"}, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1})
    );
}

#[test]
fn volumes_get_source_defaults() {
    let v = pod(json!({"containers": [{"name": "c", "image": "x:1"}], "volumes": [
        {"name": "a"}, {"name": "b", "configMap": {"name": "cm"}}, {"name": "c", "secret": {"secretName": "s"}}, {"name": "d", "hostPath": {"path": "/x"}}
    ]}));
    let vols = &v["spec"]["volumes"];
    assert_eq!(vols[0], json!({"emptyDir": {}, "name": "a"}));
    assert_eq!(vols[1]["configMap"]["defaultMode"], 420);
    assert_eq!(vols[2]["secret"]["defaultMode"], 420);
    assert_eq!(vols[3]["hostPath"]["type"], "");
}

#[test]
fn env_field_refs_get_api_version_v1() {
    let v = pod(
        json!({"containers": [{"name": "c", "image": "x:1", "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]}),
    );
    assert_eq!(
        v["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["apiVersion"],
        "v1"
    );
}

#[test]
fn host_network_pods_get_host_ports() {
    let v = pod(
        json!({"hostNetwork": true, "containers": [{"name": "c", "image": "x:1", "ports": [{"containerPort": 8080}]}]}),
    );
    assert_eq!(v["spec"]["containers"][0]["ports"][0]["hostPort"], 8080);
}

#[test]
fn service_target_port_defaults_to_port_and_client_ip_gets_a_timeout() {
    let mut obj = Object::Service(serde_json::from_value(json!({"metadata": {"name": "s"}, "spec": {"type": "NodePort", "sessionAffinity": "ClientIP", "ports": [{"port": 80, "targetPort": 0}]}})).expect("svc"));
    apply(&mut obj);
    let Object::Service(s) = obj else {
        unreachable!("built as a service")
    };
    let spec = s.spec.expect("spec");
    assert_eq!(spec.ports.expect("ports")[0].target_port, Some(IntOrString::Int(80)));
    assert_eq!(spec.external_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(
        spec.session_affinity_config
            .and_then(|c| c.client_ip)
            .and_then(|c| c.timeout_seconds),
        Some(10800)
    );
}
