//! Tests of protobuf decoding: bodies encoded by hand, checked against the JSON the JSON API
//! would have received.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::schema::{Elem, Kind, Message};
use super::*;

/// A tiny protobuf encoder for building test bodies.
mod enc {
    pub fn varint(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    /// A varint field.
    pub fn v(tag: u32, value: u64) -> Vec<u8> {
        [varint(u64::from(tag) << 3), varint(value)].concat()
    }

    /// A length-delimited field holding raw bytes.
    pub fn b(tag: u32, bytes: &[u8]) -> Vec<u8> {
        [
            varint((u64::from(tag) << 3) | 2),
            varint(bytes.len() as u64),
            bytes.to_vec(),
        ]
        .concat()
    }

    /// A string field.
    pub fn s(tag: u32, text: &str) -> Vec<u8> {
        b(tag, text.as_bytes())
    }

    /// A nested message field.
    pub fn m(tag: u32, fields: &[Vec<u8>]) -> Vec<u8> {
        b(tag, &fields.concat())
    }

    /// A `map<string, string>` entry.
    pub fn kv(tag: u32, key: &str, value: &str) -> Vec<u8> {
        m(tag, &[s(1, key), s(2, value)])
    }

    /// A whole body: magic, then `runtime.Unknown` around the object's fields.
    pub fn body(api_version: &str, kind: &str, fields: &[Vec<u8>]) -> Vec<u8> {
        let unknown = [
            m(1, &[s(1, api_version), s(2, kind)]),
            m(2, fields),
            s(3, ""),
            s(4, "application/vnd.kubernetes.protobuf"),
        ];
        [b"k8s\0".to_vec(), unknown.concat()].concat()
    }

    /// `ObjectMeta` with a name and the zero values Go always writes.
    pub fn meta(name: &str, more: &[Vec<u8>]) -> Vec<u8> {
        let base = [
            s(1, name),
            s(2, ""),
            s(3, ""),
            s(4, ""),
            s(5, ""),
            s(6, ""),
            v(7, 0),
            m(8, &[]),
        ];
        m(1, &[base.concat(), more.concat()])
    }
}
use enc::*;

fn decoded(bytes: &[u8]) -> Value {
    match decode(bytes) {
        Ok(d) => {
            assert!(
                d.unknown_tags.is_empty(),
                "unexpected unknown tags {:?}",
                d.unknown_tags
            );
            d.object
        }
        Err(e) => panic!("decode failed: {e}"),
    }
}

#[test]
fn namespace_takes_kind_and_api_version_from_the_envelope() {
    let body = body(
        "v1",
        "Namespace",
        &[meta("team-a", &[kv(11, "env", "dev")]), m(2, &[]), m(3, &[])],
    );
    assert_eq!(
        decoded(&body),
        json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "team-a", "labels": {"env": "dev"}}, "spec": {}, "status": {}})
    );
}

#[test]
fn go_zero_values_are_left_out_as_the_json_encoder_would() {
    let body = body("v1", "ConfigMap", &[meta("c", &[])]);
    assert_eq!(
        decoded(&body),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}})
    );
}

#[test]
fn object_meta_decodes_every_field() {
    let fields_v1 = br#"{"f:data":{".":{}}}"#;
    let body = body(
        "v1",
        "ConfigMap",
        &[m(
            1,
            &[
                s(1, "c"),
                s(2, "c-"),
                s(3, "default"),
                s(4, "/api/v1/namespaces/default/configmaps/c"),
                s(5, "0b5e-uid"),
                s(6, "42"),
                v(7, 3),
                m(8, &[v(1, 1_767_225_600), v(2, 5)]),
                m(9, &[v(1, 1_767_225_660)]),
                v(10, 0),
                kv(11, "app", "web"),
                kv(12, "note", ""),
                m(
                    13,
                    &[
                        s(5, "apps/v1"),
                        s(1, "StatefulSet"),
                        s(3, "web"),
                        s(4, "u1"),
                        v(6, 1),
                        v(7, 0),
                    ],
                ),
                s(14, "example.com/a"),
                s(14, "example.com/b"),
                m(
                    17,
                    &[
                        s(1, "kubectl"),
                        s(2, "Update"),
                        s(3, "v1"),
                        m(4, &[v(1, 1_767_225_600)]),
                        s(6, "FieldsV1"),
                        m(7, &[b(1, fields_v1)]),
                        s(8, ""),
                    ],
                ),
            ],
        )],
    );
    assert_eq!(
        decoded(&body)["metadata"],
        json!({
            "name": "c", "generateName": "c-", "namespace": "default",
            "selfLink": "/api/v1/namespaces/default/configmaps/c", "uid": "0b5e-uid", "resourceVersion": "42",
            "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z", "deletionTimestamp": "2026-01-01T00:01:00Z",
            "deletionGracePeriodSeconds": 0,
            "labels": {"app": "web"}, "annotations": {"note": ""},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u1", "controller": true, "blockOwnerDeletion": false}],
            "finalizers": ["example.com/a", "example.com/b"],
            "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:00Z",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}}}}],
        })
    );
}

#[test]
fn configmap_data_is_text_and_binary_data_is_base64() {
    let body = body(
        "v1",
        "ConfigMap",
        &[
            meta("c", &[]),
            kv(2, "k", "v"),
            m(3, &[s(1, "bin"), b(2, &[0, 1, 2])]),
            v(4, 0),
        ],
    );
    assert_eq!(
        decoded(&body),
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"},
            "data": {"k": "v"}, "binaryData": {"bin": "AAEC"}, "immutable": false})
    );
}

#[test]
fn secret_data_is_base64_and_string_data_stays_text() {
    let body = body(
        "v1",
        "Secret",
        &[
            meta("s", &[]),
            m(2, &[s(1, "password"), s(2, "hunter2")]),
            s(3, "Opaque"),
            kv(4, "plain", "x"),
        ],
    );
    assert_eq!(
        decoded(&body),
        json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"},
            "data": {"password": "aHVudGVyMg=="}, "type": "Opaque", "stringData": {"plain": "x"}})
    );
}

#[test]
fn serviceaccount_keeps_an_explicit_false_automount() {
    let body = body(
        "v1",
        "ServiceAccount",
        &[meta("sa", &[]), m(2, &[s(3, "tok")]), m(3, &[s(1, "regcred")]), v(4, 0)],
    );
    assert_eq!(
        decoded(&body),
        json!({"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "sa"},
            "secrets": [{"name": "tok"}], "imagePullSecrets": [{"name": "regcred"}], "automountServiceAccountToken": false})
    );
}

#[test]
fn service_spec_and_status_decode_fully() {
    let port = |name: &str, port: u64, target: Vec<u8>, node_port: u64| {
        m(
            1,
            &[s(1, name), s(2, "TCP"), v(3, port), b(4, &target), v(5, node_port)],
        )
    };
    let spec = m(
        2,
        &[
            port("80-8080", 80, [v(1, 0), v(2, 8080), s(3, "")].concat(), 30080),
            port("dns", 53, [v(1, 1), v(2, 0), s(3, "dns-tcp")].concat(), 0),
            kv(2, "app", "web"),
            s(3, "10.0.0.10"),
            s(18, "10.0.0.10"),
            s(4, "NodePort"),
            s(7, "ClientIP"),
            m(14, &[m(1, &[v(1, 10800)])]),
            s(10, ""),
            s(11, "Cluster"),
            v(12, 0),
            s(19, "IPv4"),
            s(17, "SingleStack"),
            s(22, "Cluster"),
        ],
    );
    let status = m(
        3,
        &[m(
            1,
            &[m(1, &[s(1, "192.0.2.1"), s(2, ""), m(4, &[v(1, 80), s(2, "TCP")])])],
        )],
    );
    let body = body("v1", "Service", &[meta("web", &[]), spec, status]);
    assert_eq!(
        decoded(&body),
        json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web"},
            "spec": {
                "ports": [
                    {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080},
                    {"name": "dns", "protocol": "TCP", "port": 53, "targetPort": "dns-tcp"},
                ],
                "selector": {"app": "web"}, "clusterIP": "10.0.0.10", "clusterIPs": ["10.0.0.10"], "type": "NodePort",
                "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                "externalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster",
            },
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ports": [{"port": 80, "protocol": "TCP"}]}]}},
        })
    );
}

#[test]
fn externalname_service_decodes() {
    let body = body(
        "v1",
        "Service",
        &[
            meta("ext", &[]),
            m(2, &[s(4, "ExternalName"), s(10, "example.com")]),
            m(3, &[m(1, &[])]),
        ],
    );
    assert_eq!(
        decoded(&body),
        json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "ext"},
            "spec": {"type": "ExternalName", "externalName": "example.com"}, "status": {"loadBalancer": {}}})
    );
}

#[test]
fn pod_spec_decodes_containers_volumes_and_inline_structs() {
    let container = m(
        2,
        &[
            s(1, "web"),
            s(2, "nginx:1.27"),
            s(3, "nginx"),
            s(4, "-g"),
            m(6, &[s(1, "http"), v(2, 0), v(3, 80), s(4, "TCP")]),
            m(7, &[s(1, "MODE"), s(2, "prod")]),
            m(
                7,
                &[
                    s(1, "LEVEL"),
                    m(3, &[m(3, &[m(1, &[s(1, "cfg")]), s(2, "level"), v(3, 1)])]),
                ],
            ),
            m(19, &[s(1, "P_"), m(2, &[m(1, &[s(1, "cfg")])])]),
            m(
                8,
                &[
                    m(1, &[s(1, "cpu"), m(2, &[s(1, "500m")])]),
                    m(2, &[s(1, "memory"), m(2, &[s(1, "64Mi")])]),
                ],
            ),
            m(9, &[s(1, "data"), v(2, 1), s(3, "/data")]),
            m(
                11,
                &[
                    m(
                        1,
                        &[m(2, &[s(1, "/healthz"), m(2, &[v(1, 0), v(2, 80)]), s(4, "HTTP")])],
                    ),
                    v(2, 5),
                    v(5, 0),
                ],
            ),
            m(10, &[m(1, &[m(1, &[s(1, "cat"), s(1, "/ok")])])]),
            m(15, &[v(4, 0), v(5, 1), v(6, 0)]),
            s(14, "IfNotPresent"),
            v(16, 0),
        ],
    );
    let volumes = [
        m(
            1,
            &[s(1, "data"), m(2, &[m(1, &[s(1, "/srv"), s(2, "DirectoryOrCreate")])])],
        ),
        m(
            1,
            &[s(1, "scratch"), m(2, &[m(2, &[s(1, "Memory"), m(2, &[s(1, "1Gi")])])])],
        ),
        m(
            1,
            &[
                s(1, "cfg"),
                m(
                    2,
                    &[m(
                        19,
                        &[
                            m(1, &[s(1, "cfg")]),
                            m(2, &[s(1, "a"), s(2, "a.txt"), v(3, 0o400)]),
                            v(3, 0o644),
                        ],
                    )],
                ),
            ],
        ),
        m(1, &[s(1, "sec"), m(2, &[m(6, &[s(1, "tls"), v(3, 0o600), v(4, 0)])])]),
        m(1, &[s(1, "claim"), m(2, &[m(10, &[s(1, "pvc-1"), v(2, 1)])])]),
        m(
            1,
            &[
                s(1, "info"),
                m(
                    2,
                    &[m(
                        16,
                        &[m(1, &[s(1, "labels"), m(2, &[s(1, "v1"), s(2, "metadata.labels")])])],
                    )],
                ),
            ],
        ),
        m(
            1,
            &[
                s(1, "all"),
                m(
                    2,
                    &[m(
                        26,
                        &[
                            m(1, &[m(4, &[s(1, "vault"), v(2, 3600), s(3, "token")])]),
                            m(1, &[m(1, &[m(1, &[s(1, "s2")])])]),
                        ],
                    )],
                ),
            ],
        ),
    ];
    let spec = m(
        2,
        &[
            volumes.concat(),
            m(20, &[s(1, "init"), s(2, "busybox")]),
            container,
            s(3, "Always"),
            v(4, 0),
            s(6, "ClusterFirst"),
            kv(7, "disktype", "ssd"),
            s(8, "default"),
            v(11, 0),
            m(14, &[v(2, 0), v(5, 1000), m(10, &[s(1, "RuntimeDefault")])]),
            m(22, &[s(1, "node-role"), s(2, "Exists"), s(4, "NoSchedule"), v(5, 300)]),
            s(19, "default-scheduler"),
        ],
    );
    let body = body("v1", "Pod", &[meta("p", &[]), spec, m(3, &[])]);
    let want = json!({
        "kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"},
        "spec": {
            "volumes": [
                {"name": "data", "hostPath": {"path": "/srv", "type": "DirectoryOrCreate"}},
                {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
                {"name": "cfg", "configMap": {"name": "cfg", "items": [{"key": "a", "path": "a.txt", "mode": 256}], "defaultMode": 420}},
                {"name": "sec", "secret": {"secretName": "tls", "defaultMode": 384, "optional": false}},
                {"name": "claim", "persistentVolumeClaim": {"claimName": "pvc-1", "readOnly": true}},
                {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}}]}},
                {"name": "all", "projected": {"sources": [
                    {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}},
                    {"secret": {"name": "s2"}},
                ]}},
            ],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{
                "name": "web", "image": "nginx:1.27", "command": ["nginx"], "args": ["-g"],
                "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                "env": [
                    {"name": "MODE", "value": "prod"},
                    {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "level", "optional": true}}},
                ],
                "envFrom": [{"prefix": "P_", "configMapRef": {"name": "cfg"}}],
                "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
                "volumeMounts": [{"name": "data", "readOnly": true, "mountPath": "/data"}],
                "livenessProbe": {"exec": {"command": ["cat", "/ok"]}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80, "scheme": "HTTP"}, "initialDelaySeconds": 5},
                "securityContext": {"runAsUser": 0, "runAsNonRoot": true, "readOnlyRootFilesystem": false},
                "imagePullPolicy": "IfNotPresent",
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 0,
            "dnsPolicy": "ClusterFirst",
            "nodeSelector": {"disktype": "ssd"},
            "serviceAccountName": "default",
            "securityContext": {"runAsUser": 0, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"key": "node-role", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 300}],
            "schedulerName": "default-scheduler",
        },
        "status": {},
    });
    assert_eq!(decoded(&body), want);
}

#[test]
fn pvc_decodes_access_modes_and_requests() {
    let spec = m(
        2,
        &[
            s(1, "ReadWriteOnce"),
            m(2, &[m(2, &[s(1, "storage"), m(2, &[s(1, "1Gi")])])]),
            s(5, "standard"),
            s(6, "Filesystem"),
        ],
    );
    let body = body("v1", "PersistentVolumeClaim", &[meta("data", &[]), spec]);
    assert_eq!(
        decoded(&body),
        json!({"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                "storageClassName": "standard", "volumeMode": "Filesystem"}})
    );
}

#[test]
fn delete_options_decode_under_any_group_version() {
    let fields = [v(1, 0), m(2, &[s(1, "u1"), s(2, "7")]), s(4, "Foreground"), s(5, "All")];
    for gv in ["v1", "apps/v1", "meta.k8s.io/v1"] {
        assert_eq!(
            decoded(&body(gv, "DeleteOptions", &fields)),
            json!({"kind": "DeleteOptions", "apiVersion": gv, "gracePeriodSeconds": 0,
                "preconditions": {"uid": "u1", "resourceVersion": "7"}, "propagationPolicy": "Foreground", "dryRun": ["All"]})
        );
    }
}

#[test]
fn repeated_numbers_decode_packed_and_unpacked() {
    let unpacked = m(2, &[m(14, &[v(4, 1), v(4, 2)])]);
    let packed = m(2, &[m(14, &[b(4, &[1, 2])])]);
    for spec in [unpacked, packed] {
        let got = decoded(&body("v1", "Pod", &[spec]));
        assert_eq!(got["spec"]["securityContext"]["supplementalGroups"], json!([1, 2]));
    }
}

#[test]
fn negative_int32_decodes_from_a_ten_byte_varint() {
    let got = decoded(&body("v1", "Pod", &[m(2, &[m(14, &[v(5, (-1i64) as u64)])])]));
    assert_eq!(got["spec"]["securityContext"]["fsGroup"], json!(-1));
}

#[test]
fn unknown_tags_are_skipped_and_reported_once() {
    let raw = [
        meta("c", &[]),
        v(99, 5),
        s(98, "x"),
        v(99, 6),
        kv(2, "k", "v"),
        m(1, &[v(50, 1)]),
    ];
    let d = decode(&body("v1", "ConfigMap", &raw)).expect("decodes");
    assert_eq!(d.object["data"], json!({"k": "v"}));
    assert_eq!(d.unknown_tags, vec!["ConfigMap.99", "ConfigMap.98", "ObjectMeta.50"]);
}

#[test]
fn body_without_the_magic_is_rejected() {
    assert_eq!(decode(b"{\"kind\":\"Namespace\"}"), Err(ProtobufError::MissingMagic));
    assert_eq!(decode(b""), Err(ProtobufError::MissingMagic));
}

#[test]
fn kind_without_a_table_is_unsupported_media_type() {
    let e = decode(&body("apps/v1", "Deployment", &[meta("d", &[])])).expect_err("no table");
    assert_eq!(
        e,
        ProtobufError::UnsupportedKind {
            api_version: "apps/v1".into(),
            kind: "Deployment".into()
        }
    );
    let api = ApiError::from(e);
    assert_eq!(api.code(), 415);
    assert!(api.to_string().contains("Deployment"), "{api}");
}

#[test]
fn namespace_in_another_group_version_is_unsupported() {
    let e = decode(&body("example.com/v1", "Namespace", &[])).expect_err("wrong group");
    assert!(matches!(e, ProtobufError::UnsupportedKind { .. }));
}

#[test]
fn malformed_bodies_are_bad_requests() {
    let wrong_wire_type = body("v1", "ConfigMap", &[v(1, 3)]);
    let bad_utf8 = body("v1", "ConfigMap", &[m(1, &[b(1, &[0xff, 0xfe])])]);
    let bad_fields_v1 = body("v1", "ConfigMap", &[m(1, &[m(17, &[m(7, &[s(1, "{not json")])])])]);
    let no_kind = [b"k8s\0".to_vec(), m(1, &[s(1, "v1")])].concat();
    let encoded = [b"k8s\0".to_vec(), m(1, &[s(1, "v1"), s(2, "Namespace")]), s(3, "gzip")].concat();
    for (bytes, want) in [
        (
            wrong_wire_type,
            "ConfigMap.metadata: varint value where length-delimited was expected",
        ),
        (bad_utf8, "ObjectMeta.name: invalid UTF-8"),
        (bad_fields_v1, "ManagedFieldsEntry.fieldsV1: raw bytes are not JSON"),
        (no_kind, "the envelope names no kind"),
        (encoded, "content encoding \"gzip\" is not supported"),
    ] {
        let e = ApiError::from(decode(&bytes).expect_err(want));
        assert_eq!(e.code(), 400);
        assert!(e.to_string().contains(want), "{e} should contain {want}");
    }
}

#[test]
fn every_truncation_inside_the_object_fails_cleanly() {
    let raw = [meta("web", &[kv(11, "a", "b")]), m(2, &[m(1, &[s(1, "p"), v(3, 80)])])].concat();
    let type_meta = m(1, &[s(1, "v1"), s(2, "Service")]);
    let full = [b"k8s\0".to_vec(), type_meta.clone(), b(2, &raw)].concat();
    assert!(decode(&full).is_ok());
    let object_starts = 4 + type_meta.len();
    for n in 0..full.len() {
        let got = decode(&full[..n]);
        // A cut on the envelope's field boundary is a valid (empty) message; any other leaves a
        // length prefix pointing past the end.
        assert_eq!(got.is_ok(), n == object_starts, "prefix of {n} bytes: {got:?}");
    }
}

#[test]
fn overlong_varints_and_bad_wire_types_are_errors() {
    let overlong = [b"k8s\0".to_vec(), vec![0x08], vec![0xff; 11]].concat();
    assert!(matches!(
        decode(&overlong),
        Err(ProtobufError::Envelope(WireError::VarintTooLong { .. }))
    ));
    let group = [b"k8s\0".to_vec(), vec![0x0b]].concat();
    assert!(matches!(
        decode(&group),
        Err(ProtobufError::Envelope(WireError::UnsupportedWireType {
            wire_type: 3,
            ..
        }))
    ));
    let huge_len = [b"k8s\0".to_vec(), vec![0x12], enc::varint(u64::MAX)].concat();
    assert!(matches!(
        decode(&huge_len),
        Err(ProtobufError::Envelope(WireError::TruncatedField { .. }))
    ));
}

/// Every message reachable from the kinds, each once.
fn all_messages() -> Vec<&'static Message> {
    fn walk(m: &'static Message, seen: &mut Vec<&'static Message>) {
        if seen.iter().any(|s| std::ptr::eq(*s, m)) {
            return;
        }
        seen.push(m);
        for f in m.fields {
            match &f.kind {
                Kind::One(Elem::Msg(n)) | Kind::Repeated(Elem::Msg(n)) | Kind::Map(Elem::Msg(n)) | Kind::Inline(n) => {
                    walk(n, seen)
                }
                _ => {}
            }
        }
    }
    let mut seen = Vec::new();
    for (_, _, m) in KINDS {
        walk(m, &mut seen);
    }
    seen
}

#[test]
fn tables_have_unique_tags_and_json_names() {
    let all = all_messages();
    assert!(all.len() > 100, "only {} messages", all.len());
    for m in all {
        for (i, f) in m.fields.iter().enumerate() {
            assert!((1..(1 << 29)).contains(&f.tag), "{}.{}", m.name, f.tag);
            assert_eq!(
                f.name.is_empty(),
                matches!(f.kind, Kind::Inline(_)),
                "{}.{}",
                m.name,
                f.tag
            );
            for g in &m.fields[i + 1..] {
                assert_ne!(f.tag, g.tag, "{} repeats tag {}", m.name, f.tag);
                assert!(f.name.is_empty() || f.name != g.name, "{} repeats {}", m.name, f.name);
            }
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
        let _ = decode(&[b"k8s\0".as_slice(), &bytes].concat());
    }

    #[test]
    fn random_objects_of_every_kind_never_panic(
        which in 0..KINDS.len(),
        raw in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let (gv, kind, _) = KINDS[which];
        let gv = if gv.is_empty() { "v1" } else { gv };
        let envelope = [b"k8s\0".to_vec(), m(1, &[s(1, gv), s(2, kind)]), b(2, &raw)].concat();
        let _ = decode(&envelope);
    }

    #[test]
    fn decoded_strings_round_trip(name in "\\PC{0,40}", value in "\\PC{0,40}") {
        let got = decode(&body("v1", "ConfigMap", &[meta(&name, &[]), kv(2, "k", &value)]));
        let obj = got.map(|d| d.object).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(obj["data"]["k"].as_str(), Some(value.as_str()));
        prop_assert_eq!(obj["metadata"].get("name").and_then(Value::as_str).unwrap_or(""), name.as_str());
    }
}

/// Random objects that follow the tables: every field with its right wire type and valid
/// contents, plus unknown fields of every wire type.
mod arbitrary {
    use super::enc::*;
    use super::schema::{Elem, Kind, Message};

    /// xorshift64*, enough to steer the walk from one proptest seed.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn elem(rng: &mut Rng, tag: u32, e: &Elem, depth: usize) -> Vec<u8> {
        match e {
            Elem::Str | Elem::Bytes => s(tag, ["", "a", "ü", "x y"][rng.below(4)]),
            Elem::Int32 | Elem::Int64 | Elem::Bool => v(tag, rng.next() >> rng.below(64)),
            Elem::Msg(m) => b(tag, &message(rng, m, depth + 1)),
            Elem::Time => m(
                tag,
                &[v(1, rng.next() % 4_000_000_000), v(2, rng.next() % 1_000_000_000)],
            ),
            Elem::IntOrString => m(tag, &[v(1, rng.next() % 2), v(2, rng.next() % 65536), s(3, "http")]),
            Elem::Quantity => m(tag, &[s(1, "1Gi")]),
            Elem::FieldsV1 => m(tag, &[s(1, r#"{"f:a":{}}"#)]),
        }
    }

    pub fn message(rng: &mut Rng, msg: &Message, depth: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let n = if depth > 6 { 0 } else { rng.below(8) };
        for _ in 0..n {
            if rng.below(10) == 0 {
                let tag = 900 + rng.below(10) as u32;
                out.extend(if rng.below(2) == 0 {
                    v(tag, rng.next())
                } else {
                    s(tag, "?")
                });
                continue;
            }
            let f = &msg.fields[rng.below(msg.fields.len())];
            out.extend(match &f.kind {
                Kind::One(e) | Kind::Repeated(e) => elem(rng, f.tag, e, depth),
                Kind::Map(e) => {
                    let value = elem(rng, 2, e, depth);
                    b(f.tag, &[s(1, "k"), value].concat())
                }
                Kind::Inline(inner) => b(f.tag, &message(rng, inner, depth + 1)),
            });
        }
        out
    }
}

proptest! {
    #[test]
    fn objects_that_follow_the_tables_always_decode(which in 0..KINDS.len(), seed in 1u64..) {
        let (gv, kind, table) = KINDS[which];
        let gv = if gv.is_empty() { "v1" } else { gv };
        let raw = arbitrary::message(&mut arbitrary::Rng(seed), table, 0);
        let envelope = [b"k8s\0".to_vec(), m(1, &[s(1, gv), s(2, kind)]), b(2, &raw)].concat();
        let d = decode(&envelope).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(d.object["kind"].as_str(), Some(kind));
        prop_assert!(d.unknown_tags.iter().all(|t| t.ends_with(|c: char| c.is_ascii_digit())));
    }
}
