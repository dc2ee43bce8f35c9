//! Tests for Table columns and cells, kind by kind, against upstream's printer output.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::*;
use crate::resource::{lookup, lookup_kind, RESOURCES};

fn now() -> Timestamp {
    "2025-01-10T12:00:00Z".parse().expect("valid timestamp")
}

fn info(group: &str, kind: &str) -> &'static ResourceInfo {
    lookup_kind(group, kind).expect("served kind")
}

fn names(info: &ResourceInfo) -> Vec<(String, i64)> {
    column_definitions(info)
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["priority"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

fn header(info: &ResourceInfo) -> String {
    names(info)
        .iter()
        .map(|(n, p)| if *p == 1 { format!("[{n}]") } else { n.clone() })
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell_strings(info: &ResourceInfo, obj: &Value) -> Vec<String> {
    cells(info, obj, now())
        .iter()
        .map(|c| match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn human_duration_follows_upstream_thresholds() {
    let s = 1_000_000_000i128;
    let cases = [
        (-3 * s, "<invalid>"),
        (-s, "0s"),
        (0, "0s"),
        (45 * s, "45s"),
        (119 * s, "119s"),
        (120 * s, "2m"),
        (192 * s, "3m12s"),
        (10 * 60 * s, "10m"),
        (179 * 60 * s, "179m"),
        (3 * 3600 * s, "3h"),
        ((5 * 3600 + 30 * 60) * s, "5h30m"),
        (8 * 3600 * s, "8h"),
        (47 * 3600 * s, "47h"),
        (51 * 3600 * s, "2d3h"),
        (72 * 3600 * s, "3d"),
        (10 * 24 * 3600 * s, "10d"),
        (800 * 24 * 3600 * s, "2y70d"),
        (730 * 24 * 3600 * s, "2y"),
        (3000 * 24 * 3600 * s, "8y"),
    ];
    for (nanos, want) in cases {
        assert_eq!(human_duration(nanos), want, "{nanos}");
    }
}

#[test]
fn every_served_kind_has_cells_matching_its_columns() {
    let obj = json!({"metadata": {"name": "x", "namespace": "default", "creationTimestamp": "2025-01-10T11:59:15Z"}});
    for r in RESOURCES {
        let cols = column_definitions(r);
        let row = cells(r, &obj, now());
        assert_eq!(cols.len(), row.len(), "{}", r.kind);
        for c in &cols {
            for field in ["name", "type", "format", "description", "priority"] {
                assert!(c.get(field).is_some(), "{} column lacks {field}", r.kind);
            }
        }
    }
}

#[test]
fn column_headers_match_upstream() {
    let cases = [
        ("", "Pod", "Name Ready Status Restarts Age [IP] [Node] [Nominated Node] [Readiness Gates]"),
        ("apps", "StatefulSet", "Name Ready Age [Containers] [Images]"),
        ("", "Service", "Name Type Cluster-IP External-IP Port(s) Age [Selector]"),
        ("", "PersistentVolumeClaim", "Name Status Volume Capacity Access Modes StorageClass VolumeAttributesClass Age [VolumeMode]"),
        ("", "PersistentVolume", "Name Capacity Access Modes Reclaim Policy Status Claim StorageClass VolumeAttributesClass Reason Age [VolumeMode]"),
        ("", "Node", "Name Status Roles Age Version [Internal-IP] [External-IP] [OS-Image] [Kernel-Version] [Container-Runtime]"),
        ("", "Namespace", "Name Status Age"),
        ("", "Event", "Last Seen Type Reason Object [Subobject] [Source] Message [First Seen] [Count] [Name]"),
        ("events.k8s.io", "Event", "Last Seen Type Reason Object [Subobject] [Source] Message [First Seen] [Count] [Name]"),
        ("", "Endpoints", "Name Endpoints Age"),
        ("discovery.k8s.io", "EndpointSlice", "Name AddressType Ports Endpoints Age"),
        ("apps", "ControllerRevision", "Name Controller Revision Age"),
        ("storage.k8s.io", "StorageClass", "Name Provisioner ReclaimPolicy VolumeBindingMode AllowVolumeExpansion Age"),
        ("", "ConfigMap", "Name Data Age"),
        ("", "Secret", "Name Type Data Age"),
        ("", "ServiceAccount", "Name Secrets Age"),
        ("coordination.k8s.io", "Lease", "Name Holder Age"),
    ];
    for (group, kind, want) in cases {
        assert_eq!(header(info(group, kind)), want, "{kind}");
    }
    let pods = column_definitions(info("", "Pod"));
    assert_eq!(pods[0]["format"], "name");
    assert_eq!(pods[3]["type"], "string");
}

#[test]
fn running_pod_row() {
    let pod = json!({
        "metadata": {"name": "web-0", "creationTimestamp": "2025-01-10T11:56:48Z"},
        "spec": {"containers": [{"name": "nginx"}], "nodeName": "node-1"},
        "status": {
            "phase": "Running",
            "podIP": "10.42.0.5", "podIPs": [{"ip": "10.42.0.5"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2025-01-10T11:57:00Z"}}}]
        }
    });
    assert_eq!(
        cell_strings(info("", "Pod"), &pod),
        [
            "web-0",
            "1/1",
            "Running",
            "0",
            "3m12s",
            "10.42.0.5",
            "node-1",
            "<none>",
            "<none>"
        ]
    );
}

#[test]
fn pod_restarts_show_when_the_last_one_happened() {
    let pod = json!({
        "metadata": {"name": "p", "creationTimestamp": "2025-01-10T10:00:00Z"},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "a", "ready": false, "restartCount": 3,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-01-10T11:55:00Z"}}},
                {"name": "b", "ready": true, "restartCount": 2, "state": {"running": {}},
                 "lastState": {"terminated": {"exitCode": 0, "finishedAt": "2025-01-10T11:00:00Z"}}}
            ]
        }
    });
    let c = cell_strings(info("", "Pod"), &pod);
    assert_eq!(&c[1..5], ["1/2", "CrashLoopBackOff", "5 (5m ago)", "120m"]);
}

#[test]
fn pod_status_reasons() {
    let base = |status: Value, extra_meta: Value| {
        let mut meta = json!({"name": "p", "creationTimestamp": "2025-01-10T11:59:00Z"});
        if let (Some(m), Some(e)) = (meta.as_object_mut(), extra_meta.as_object()) {
            m.extend(e.clone());
        }
        json!({
            "metadata": meta,
            "spec": {"containers": [{"name": "c"}], "initContainers": [{"name": "i1"}, {"name": "i2"}]},
            "status": status
        })
    };
    let pods = info("", "Pod");
    let completed = base(
        json!({"phase": "Succeeded", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
               "initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 0}}}, {"name": "i2", "state": {"terminated": {"exitCode": 0}}}]}),
        json!({}),
    );
    assert_eq!(cell_strings(pods, &completed)[2], "Completed");
    let row = table(pods, &[completed], IncludeObject::None, json!({}), now(), true);
    assert_eq!(row["rows"][0]["conditions"][0]["reason"], "Succeeded");
    assert_eq!(row["rows"][0]["object"], Value::Null);

    let init = base(
        json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"terminated": {"exitCode": 0}}},
            {"name": "i2", "state": {"running": {}}}]}),
        json!({}),
    );
    assert_eq!(cell_strings(pods, &init)[2], "Init:1/2");

    let init_crash = base(
        json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
        json!({}),
    );
    assert_eq!(cell_strings(pods, &init_crash)[2], "Init:CrashLoopBackOff");

    let init_failed = base(
        json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "i1", "state": {"terminated": {"exitCode": 2}}}]}),
        json!({}),
    );
    assert_eq!(cell_strings(pods, &init_failed)[2], "Init:ExitCode:2");

    let pulling = base(
        json!({"phase": "Pending", "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        json!({}),
    );
    let mut no_init = pulling.clone();
    no_init["spec"]["initContainers"] = json!([]);
    assert_eq!(cell_strings(pods, &no_init)[2], "ContainerCreating");

    let mut deleting = no_init.clone();
    deleting["metadata"]["deletionTimestamp"] = json!("2025-01-10T11:59:50Z");
    assert_eq!(cell_strings(pods, &deleting)[2], "Terminating");

    let oom = json!({
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
    });
    let c = cell_strings(pods, &oom);
    assert_eq!(c[2], "OOMKilled");
    assert_eq!(c[4], "<unknown>");
}

#[test]
fn statefulset_row_shows_ready_over_desired_and_wide_containers() {
    let sts = json!({
        "metadata": {"name": "web", "creationTimestamp": "2025-01-09T09:00:00Z"},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.25"}, {"name": "side", "image": "busybox"}]}}},
        "status": {"readyReplicas": 2}
    });
    assert_eq!(
        cell_strings(info("apps", "StatefulSet"), &sts),
        ["web", "2/3", "27h", "nginx,side", "nginx:1.25,busybox"]
    );
}

#[test]
fn service_rows_format_ports_and_external_ips() {
    let svcs = info("", "Service");
    let cluster = json!({
        "metadata": {"name": "nginx", "creationTimestamp": "2025-01-10T11:00:00Z"},
        "spec": {"type": "ClusterIP", "clusterIP": "10.43.0.10", "clusterIPs": ["10.43.0.10"],
                 "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                 "selector": {"tier": "web", "app": "nginx"}}
    });
    assert_eq!(
        cell_strings(svcs, &cluster),
        [
            "nginx",
            "ClusterIP",
            "10.43.0.10",
            "<none>",
            "80/TCP,53/UDP",
            "60m",
            "app=nginx,tier=web"
        ]
    );
    let headless = json!({
        "metadata": {"name": "h"},
        "spec": {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}
    });
    let c = cell_strings(svcs, &headless);
    assert_eq!(&c[1..5], ["ClusterIP", "None", "<none>", "<none>"]);
    assert_eq!(c[6], "<none>");
    let node_port = json!({
        "metadata": {"name": "np"},
        "spec": {"type": "NodePort", "clusterIPs": ["10.43.0.11"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}
    });
    assert_eq!(cell_strings(svcs, &node_port)[4], "80:30080/TCP");
    let lb = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}});
    assert_eq!(cell_strings(svcs, &lb)[3], "<pending>");
    let ext = json!({"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "example.com"}});
    assert_eq!(cell_strings(svcs, &ext)[3], "example.com");
}

#[test]
fn pvc_and_pv_rows() {
    let pvc = json!({
        "metadata": {"name": "data-web-0", "creationTimestamp": "2025-01-10T11:59:15Z"},
        "spec": {"volumeName": "pvc-123", "storageClassName": "local-path", "volumeMode": "Filesystem",
                 "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce", "ReadWriteOncePod"]}
    });
    assert_eq!(
        cell_strings(info("", "PersistentVolumeClaim"), &pvc),
        [
            "data-web-0",
            "Bound",
            "pvc-123",
            "1Gi",
            "RWO,RWOP",
            "local-path",
            "<unset>",
            "45s",
            "Filesystem"
        ]
    );
    let pending = json!({"metadata": {"name": "p"}, "spec": {}, "status": {"phase": "Pending"}});
    assert_eq!(
        cell_strings(info("", "PersistentVolumeClaim"), &pending),
        ["p", "Pending", "", "", "", "", "<unset>", "<unknown>", "<unset>"]
    );
    let pv = json!({
        "metadata": {"name": "pvc-123", "creationTimestamp": "2025-01-10T11:59:15Z",
                     "annotations": {"volume.beta.kubernetes.io/storage-class": "legacy"}},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadOnlyMany"],
                 "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "local-path",
                 "claimRef": {"namespace": "default", "name": "data-web-0"}},
        "status": {"phase": "Bound"}
    });
    assert_eq!(
        cell_strings(info("", "PersistentVolume"), &pv),
        [
            "pvc-123",
            "1Gi",
            "ROX,RWX",
            "Delete",
            "Bound",
            "default/data-web-0",
            "legacy",
            "<unset>",
            "",
            "45s",
            "<unset>"
        ]
    );
}

#[test]
fn node_row() {
    let node = json!({
        "metadata": {"name": "n1", "creationTimestamp": "2025-01-08T09:00:00Z",
                     "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker"}},
        "spec": {"unschedulable": true},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "InternalIP", "address": "192.0.2.2"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12"}}
    });
    assert_eq!(
        cell_strings(info("", "Node"), &node),
        [
            "n1",
            "Ready,SchedulingDisabled",
            "control-plane,worker",
            "2d3h",
            "v1.32.0",
            "192.0.2.2",
            "<none>",
            "Debian GNU/Linux 12",
            "<unknown>",
            "<unknown>"
        ]
    );
    let fresh = json!({"metadata": {"name": "n2"}});
    assert_eq!(cell_strings(info("", "Node"), &fresh)[1..3], ["Unknown", "<none>"]);
}

#[test]
fn event_rows_for_core_and_events_v1() {
    let ev = json!({
        "metadata": {"name": "web-0.17f", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{nginx}"},
        "reason": "Pulled", "type": "Normal", "message": "Successfully pulled image \"nginx\"\n",
        "source": {"component": "kubelet", "host": "n1"},
        "firstTimestamp": "2025-01-10T11:50:00Z", "lastTimestamp": "2025-01-10T11:59:00Z", "count": 3
    });
    assert_eq!(
        cell_strings(info("", "Event"), &ev),
        [
            "60s",
            "Normal",
            "Pulled",
            "pod/web-0",
            "spec.containers{nginx}",
            "kubelet, n1",
            "Successfully pulled image \"nginx\"",
            "10m",
            "3",
            "web-0.17f"
        ]
    );
    let v1 = json!({
        "metadata": {"name": "e"},
        "regarding": {"kind": "StatefulSet", "name": "web"},
        "reason": "SuccessfulCreate", "type": "Normal", "note": "create Pod web-0",
        "eventTime": "2025-01-10T11:59:30.000000Z", "reportingController": "statefulset-controller"
    });
    assert_eq!(
        cell_strings(info("events.k8s.io", "Event"), &v1),
        [
            "30s",
            "Normal",
            "SuccessfulCreate",
            "statefulset/web",
            "",
            "statefulset-controller",
            "create Pod web-0",
            "30s",
            "1",
            "e"
        ]
    );
}

#[test]
fn small_kinds_rows() {
    let cm = json!({"metadata": {"name": "cfg", "creationTimestamp": "2025-01-10T11:59:00Z"}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": ""}});
    assert_eq!(cell_strings(info("", "ConfigMap"), &cm), ["cfg", "3", "60s"]);
    let sec = json!({"metadata": {"name": "s"}, "type": "Opaque", "data": {"k": "dg=="}});
    assert_eq!(
        cell_strings(info("", "Secret"), &sec),
        ["s", "Opaque", "1", "<unknown>"]
    );
    let sa = json!({"metadata": {"name": "default"}});
    assert_eq!(
        cell_strings(info("", "ServiceAccount"), &sa),
        ["default", "0", "<unknown>"]
    );
    let lease = json!({"metadata": {"name": "n1"}, "spec": {"holderIdentity": "n1"}});
    assert_eq!(
        cell_strings(info("coordination.k8s.io", "Lease"), &lease),
        ["n1", "n1", "<unknown>"]
    );
    let ns = json!({"metadata": {"name": "default"}, "status": {"phase": "Active"}});
    assert_eq!(
        cell_strings(info("", "Namespace"), &ns),
        ["default", "Active", "<unknown>"]
    );
    let sc = json!({
        "metadata": {"name": "local-path", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"
    });
    assert_eq!(
        cell_strings(info("storage.k8s.io", "StorageClass"), &sc),
        [
            "local-path (default)",
            "rancher.io/local-path",
            "Delete",
            "WaitForFirstConsumer",
            "false",
            "<unknown>"
        ]
    );
    let cr = json!({
        "metadata": {"name": "web-6d4cf56db6", "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u", "controller": true}]},
        "revision": 2
    });
    assert_eq!(
        cell_strings(info("apps", "ControllerRevision"), &cr),
        ["web-6d4cf56db6", "statefulset.apps/web", "2", "<unknown>"]
    );
    let orphan = json!({"metadata": {"name": "x"}, "revision": 1});
    assert_eq!(cell_strings(info("apps", "ControllerRevision"), &orphan)[1], "<none>");
}

#[test]
fn endpoints_and_slices_list_at_most_three_addresses() {
    let ep = json!({
        "metadata": {"name": "nginx"},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]}]
    });
    assert_eq!(
        cell_strings(info("", "Endpoints"), &ep)[1],
        "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."
    );
    let empty = json!({"metadata": {"name": "e"}});
    assert_eq!(cell_strings(info("", "Endpoints"), &empty)[1], "<none>");
    let slice = json!({
        "metadata": {"name": "nginx-abc"}, "addressType": "IPv4",
        "ports": [{"port": 80, "name": "http"}],
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]
    });
    assert_eq!(
        cell_strings(info("discovery.k8s.io", "EndpointSlice"), &slice)[1..4],
        ["IPv4", "80", "10.0.0.1,10.0.0.2"]
    );
    let bare = json!({"metadata": {"name": "b"}, "addressType": "IPv4"});
    assert_eq!(
        cell_strings(info("discovery.k8s.io", "EndpointSlice"), &bare)[2..4],
        ["<unset>", "<unset>"]
    );
}

#[test]
fn tables_carry_partial_object_metadata_and_list_metadata() {
    let pods = lookup("", "v1", "pods").expect("pods");
    let pod = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a", "labels": {"app": "x"}}, "spec": {}});
    let t = table(
        pods,
        std::slice::from_ref(&pod),
        IncludeObject::default(),
        json!({"resourceVersion": "7"}),
        now(),
        true,
    );
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(t["metadata"]["resourceVersion"], "7");
    assert_eq!(t["columnDefinitions"].as_array().map(Vec::len), Some(9));
    let obj = &t["rows"][0]["object"];
    assert_eq!(obj["kind"], "PartialObjectMetadata");
    assert_eq!(obj["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(obj["metadata"]["labels"]["app"], "x");
    let full = table(
        pods,
        std::slice::from_ref(&pod),
        IncludeObject::Object,
        json!({}),
        now(),
        false,
    );
    assert_eq!(full["rows"][0]["object"], pod);
    assert_eq!(full["columnDefinitions"], Value::Null);
    assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
    assert_eq!(IncludeObject::parse("bogus"), None);
}
