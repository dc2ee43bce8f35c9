//! Tests of the registry strategies: defaults, generation, status, unknown fields, names, deletes.

use super::*;
use crate::resource::lookup_kind;
use serde_json::json;

fn info(group: &str, kind: &str) -> &'static ResourceInfo {
    lookup_kind(group, kind).expect("served kind")
}

fn sts_info() -> &'static ResourceInfo {
    info("apps", "StatefulSet")
}

fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).expect("valid timestamp")
}

fn seed() -> Value {
    json!({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web","namespace":"default"},"spec":{"serviceName":"nginx","replicas":2,"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"name":"web"}],"volumeMounts":[{"name":"www","mountPath":"/usr/share/nginx/html"}]}]}},"volumeClaimTemplates":[{"metadata":{"name":"www"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}})
}

fn create(body: Value) -> Result<Prepared, ApiError> {
    let i = info(
        body["apiVersion"]
            .as_str()
            .map_or("", |av| av.split_once('/').map_or("", |(g, _)| g)),
        body["kind"].as_str().unwrap_or_default(),
    );
    prepare_create(i, body, FieldValidation::Strict, now())
}

/// A stored object: created, then given the fields the API server adds.
fn stored(body: Value) -> Value {
    let mut v = create(body).expect("valid").object;
    let m = crate::meta::metadata_mut(&mut v);
    m.insert("uid".into(), json!("u-1"));
    m.insert("resourceVersion".into(), json!("5"));
    m.insert("creationTimestamp".into(), json!("2024-01-01T00:00:00Z"));
    v
}

fn causes(r: Result<Prepared, ApiError>) -> Vec<(String, String)> {
    match r {
        Err(ApiError::Invalid { causes, .. }) => causes.into_iter().map(|c| (c.field, c.message)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn with(mut v: Value, pointer: &str, x: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let p = v.pointer_mut(parent).expect("parent exists");
    p[key] = x;
    v
}

#[test]
fn seed_statefulset_defaults_equal_upstream() {
    let got = create(seed()).expect("valid").object;
    let want = json!({
      "apiVersion": "apps/v1", "kind": "StatefulSet",
      "metadata": {"name": "web", "namespace": "default", "generation": 1},
      "spec": {
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "podManagementPolicy": "OrderedReady",
        "replicas": 2,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app": "nginx"}},
        "serviceName": "nginx",
        "template": {
          "metadata": {"creationTimestamp": null, "labels": {"app": "nginx"}},
          "spec": {
            "containers": [{
              "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent", "name": "nginx",
              "ports": [{"containerPort": 80, "name": "web", "protocol": "TCP"}],
              "resources": {},
              "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
              "volumeMounts": [{"mountPath": "/usr/share/nginx/html", "name": "www"}]
            }],
            "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "securityContext": {}, "terminationGracePeriodSeconds": 30
          }
        },
        "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
        "volumeClaimTemplates": [{
          "apiVersion": "v1", "kind": "PersistentVolumeClaim",
          "metadata": {"creationTimestamp": null, "name": "www"},
          "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"},
          "status": {"phase": "Pending"}
        }]
      },
      "status": {"availableReplicas": 0, "replicas": 0}
    });
    assert_eq!(
        got,
        want,
        "got {}",
        serde_json::to_string_pretty(&got).unwrap_or_default()
    );
}

#[test]
fn explicit_rolling_update_without_params_keeps_rolling_update_nil() {
    let body = with(seed(), "/spec/updateStrategy", json!({"type": "RollingUpdate"}));
    let got = create(body).expect("valid").object;
    assert_eq!(got["spec"]["updateStrategy"], json!({"type": "RollingUpdate"}));
}

#[test]
fn on_delete_strategy_gets_no_rolling_update() {
    let body = with(seed(), "/spec/updateStrategy", json!({"type": "OnDelete"}));
    let got = create(body).expect("valid").object;
    assert_eq!(got["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
}

#[test]
fn latest_and_untagged_images_are_pulled_always() {
    for (image, policy) in [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("localhost:5000/nginx", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("nginx@sha256:abc", "IfNotPresent"),
        ("Nginx", "IfNotPresent"),
    ] {
        let body = with(seed(), "/spec/template/spec/containers/0/image", json!(image));
        let got = create(body).expect("valid").object;
        assert_eq!(
            got["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], policy,
            "{image}"
        );
    }
}

#[test]
fn statefulset_validation_rules_report_upstream_messages() {
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("/spec/replicas", json!(-1), "spec.replicas", "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        ("/spec/podManagementPolicy", json!("Random"), "spec.podManagementPolicy", "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"),
        ("/spec/updateStrategy", json!({"type": "OnDelete", "rollingUpdate": {"partition": 1}}), "spec.updateStrategy.rollingUpdate", "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'"),
        ("/spec/updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": -2}}), "spec.updateStrategy.rollingUpdate.partition", "spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater than or equal to 0"),
        ("/spec/updateStrategy", json!({"type": "Sometimes"}), "spec.updateStrategy", "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Sometimes\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'"),
        ("/spec/updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}), "spec.updateStrategy.rollingUpdate.maxUnavailable", "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"),
        ("/spec/persistentVolumeClaimRetentionPolicy", json!({"whenDeleted": "Keep"}), "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", "spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\""),
        ("/spec/minReadySeconds", json!(-5), "spec.minReadySeconds", "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"),
        ("/spec/ordinals", json!({"start": -1}), "spec.ordinals.start", "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0"),
        ("/spec/selector", json!({"matchLabels": {"app": "other"}}), "spec.template.metadata.labels", "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`"),
        ("/spec/selector", json!({"matchLabels": {}}), "spec.selector", "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"),
        ("/spec/selector", json!({"matchExpressions": [{"key": "app", "operator": "In"}]}), "spec.selector.matchExpressions[0].values", "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
        ("/spec/template/spec/restartPolicy", json!("Never"), "spec.template.spec.restartPolicy", "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""),
        ("/spec/template/spec/activeDeadlineSeconds", json!(10), "spec.template.spec.activeDeadlineSeconds", "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"),
    ];
    // With MaxUnavailableStatefulSet on, so maxUnavailable is validated rather than dropped.
    let gates = FeatureGates {
        max_unavailable_stateful_set: true,
    };
    for (pointer, value, field, message) in cases {
        let got = causes(prepare_create_gated(
            sts_info(),
            with(seed(), pointer, value),
            FieldValidation::Strict,
            now(),
            gates,
        ));
        assert!(
            got.iter().any(|(f, m)| f == field && m == message),
            "{pointer}: want {message}\n got {got:#?}"
        );
    }
}

#[test]
fn invalid_template_label_keys_are_reported_on_template_labels() {
    let got = causes(create(with(
        seed(),
        "/spec/template/metadata/labels",
        json!({"app": "nginx", "bad key!": "x"}),
    )));
    assert!(got.iter().any(|(f, m)| f == "spec.template.labels" && m.starts_with("spec.template.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters")), "{got:?}");
}

#[test]
fn missing_selector_is_required() {
    let mut body = seed();
    body["spec"].as_object_mut().map(|s| s.remove("selector"));
    let got = causes(create(body));
    assert!(
        got.contains(&("spec.selector".into(), "spec.selector: Required value".into())),
        "{got:?}"
    );
}

#[test]
fn statefulset_pod_spec_is_not_validated() {
    // Upstream leaves the template's pod spec unvalidated (spec §1.4 point 6).
    let body = with(seed(), "/spec/template/spec/containers/0/image", json!(""));
    assert!(create(body).is_ok());
}

#[test]
fn negative_revision_history_limit_only_warns() {
    let p = create(with(seed(), "/spec/revisionHistoryLimit", json!(-1))).expect("valid");
    assert_eq!(
        p.warnings,
        vec![
            "spec.revisionHistoryLimit: a negative value retains all historical revisions; a value >= 0 is recommended"
        ]
    );
}

#[test]
fn invalid_names_are_rejected_with_upstream_messages() {
    // Up to the examples: names.rs renders the `(e.g. ...)` tail unlike upstream (see report).
    let label_msg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    for name in ["Web", "a/b", "..", &"a".repeat(64)] {
        let got = causes(create(with(seed(), "/metadata/name", json!(name))));
        assert!(got.iter().all(|(f, _)| f == "metadata.name"), "{name}: {got:?}");
        assert!(!got.is_empty(), "{name}");
    }
    let got = causes(create(with(seed(), "/metadata/name", json!("Web"))));
    assert!(
        got[0]
            .1
            .starts_with(&format!("metadata.name: Invalid value: \"Web\": {label_msg}")),
        "{got:?}"
    );
    let got = causes(create(with(seed(), "/metadata/name", json!("a".repeat(64)))));
    assert!(got[0].1.ends_with("must be no more than 63 characters"), "{got:?}");
    // Path-segment kinds: PersistentVolumeClaim names only refuse '.', '..', '/' and '%'.
    let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "..", "namespace": "default"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    assert_eq!(
        causes(create(pvc)),
        vec![(
            "metadata.name".into(),
            "metadata.name: Invalid value: \"..\": may not be '..'".into()
        )]
    );
    // Services need an RFC 1035 label.
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1abc", "namespace": "default"}, "spec": {"ports": [{"port": 80}]}});
    assert!(causes(create(svc))[0].1.contains("DNS-1035"));
}

#[test]
fn missing_name_is_required() {
    let mut body = seed();
    body["metadata"].as_object_mut().map(|m| m.remove("name"));
    let got = causes(create(body));
    assert_eq!(
        got[0],
        (
            "metadata.name".into(),
            "metadata.name: Required value: name or generateName is required".into()
        )
    );
}

#[test]
fn unknown_fields_are_rejected_under_strict_with_their_paths() {
    let mut body = with(seed(), "/spec/foo", json!(1));
    body = with(body, "/spec/template/spec/containers/0/bogus", json!({"x": 1}));
    body = with(body, "/spec/volumeClaimTemplates/0/spec/resources/nope", json!(true));
    let err = prepare_create(sts_info(), body.clone(), FieldValidation::Strict, now()).expect_err("strict");
    assert_eq!(err, ApiError::BadRequest("StatefulSet in version \"v1\" cannot be handled as a StatefulSet: strict decoding error: unknown field \"spec.template.spec.containers[0].bogus\", unknown field \"spec.volumeClaimTemplates[0].spec.resources.nope\", unknown field \"spec.foo\"".into()));
    let warned = prepare_create(sts_info(), body.clone(), FieldValidation::Warn, now()).expect("warn");
    assert_eq!(warned.warnings[2], "unknown field \"spec.foo\"");
    assert_eq!(warned.warnings.len(), 3);
    assert!(warned.object["spec"].get("foo").is_none());
    let ignored = prepare_create(sts_info(), body, FieldValidation::Ignore, now()).expect("ignore");
    assert!(ignored.warnings.is_empty());
}

#[test]
fn wrong_api_version_or_kind_is_a_bad_request() {
    let err = create_into_sts(with(seed(), "/apiVersion", json!("apps/v1beta1")));
    assert_eq!(
        err,
        ApiError::BadRequest(
            "the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)".into()
        )
    );
    let err = create_into_sts(with(seed(), "/kind", json!("Deployment")));
    assert_eq!(err.code(), 400);
    let mut body = seed();
    body.as_object_mut().map(|m| {
        m.remove("apiVersion");
        m.remove("kind")
    });
    let ok = prepare_create(sts_info(), body, FieldValidation::Strict, now()).expect("filled in");
    assert_eq!(ok.object["apiVersion"], "apps/v1");
    assert_eq!(ok.object["kind"], "StatefulSet");
}

fn create_into_sts(body: Value) -> ApiError {
    prepare_create(sts_info(), body, FieldValidation::Strict, now()).expect_err("rejected")
}

#[test]
fn type_errors_name_the_field() {
    let err = create_into_sts(with(seed(), "/spec/replicas", json!("two")));
    let ApiError::BadRequest(msg) = err else {
        panic!("bad request expected")
    };
    assert!(
        msg.starts_with(
            "StatefulSet in version \"v1\" cannot be handled as a StatefulSet: spec.replicas: invalid type"
        ),
        "{msg}"
    );
}

fn update(old: &Value, new: Value) -> Result<Prepared, ApiError> {
    prepare_update(sts_info(), new, old, FieldValidation::Strict, now())
}

#[test]
fn generation_is_bumped_only_when_spec_changes() {
    let old = stored(seed());
    assert_eq!(old["metadata"]["generation"], 1);
    let same = update(&old, old.clone()).expect("valid").object;
    assert_eq!(same["metadata"]["generation"], 1);
    let labelled = update(&old, with(old.clone(), "/metadata/labels", json!({"tier": "web"})))
        .expect("valid")
        .object;
    assert_eq!(labelled["metadata"]["generation"], 1);
    let scaled = update(&old, with(old.clone(), "/spec/replicas", json!(5)))
        .expect("valid")
        .object;
    assert_eq!(scaled["metadata"]["generation"], 2);
    // A client cannot set generation itself.
    let forged = update(&old, with(old.clone(), "/metadata/generation", json!(9)))
        .expect("valid")
        .object;
    assert_eq!(forged["metadata"]["generation"], 1);
}

#[test]
fn updates_keep_status_and_system_metadata() {
    let old = with(stored(seed()), "/status/replicas", json!(2));
    let mut body = with(old.clone(), "/status/replicas", json!(7));
    body["metadata"].as_object_mut().map(|m| {
        m.remove("uid");
        m.remove("creationTimestamp");
        m.remove("resourceVersion")
    });
    let got = update(&old, body).expect("valid").object;
    assert_eq!(got["status"]["replicas"], 2);
    assert_eq!(got["metadata"]["uid"], "u-1");
    assert_eq!(got["metadata"]["creationTimestamp"], "2024-01-01T00:00:00Z");
    assert_eq!(got["metadata"]["resourceVersion"], "5");
}

#[test]
fn immutable_statefulset_fields_are_forbidden() {
    let old = stored(seed());
    let msg = "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
    for (pointer, value) in [
        ("/spec/serviceName", json!("other")),
        ("/spec/podManagementPolicy", json!("Parallel")),
        ("/spec/revisionHistoryLimit", json!(3)),
        (
            "/spec/volumeClaimTemplates/0/spec/resources/requests/storage",
            json!("2Gi"),
        ),
    ] {
        let got = causes(update(&old, with(old.clone(), pointer, value)));
        assert_eq!(got, vec![("spec".into(), msg.into())], "{pointer}");
    }
    for (pointer, value) in [
        ("/spec/replicas", json!(4)),
        ("/spec/minReadySeconds", json!(3)),
        ("/spec/ordinals", json!({"start": 2})),
        ("/spec/updateStrategy", json!({"type": "OnDelete"})),
        ("/spec/template/spec/containers/0/image", json!("nginx:1.26")),
    ] {
        assert!(update(&old, with(old.clone(), pointer, value)).is_ok(), "{pointer}");
    }
}

#[test]
fn object_meta_update_rules() {
    let old = stored(seed());
    let got = causes(update(&old, with(old.clone(), "/metadata/uid", json!("other"))));
    assert_eq!(
        got,
        vec![(
            "metadata.uid".into(),
            "metadata.uid: Invalid value: \"other\": field is immutable".into()
        )]
    );
    // Names do not change via update: the body names another object.
    let got = causes(update(&old, with(old.clone(), "/metadata/name", json!("web2"))));
    assert_eq!(got[0].0, "metadata.name");
}

#[test]
fn status_writes_ignore_spec_and_spec_writes_ignore_status() {
    let old = stored(seed());
    let body = with(
        with(old.clone(), "/spec/replicas", json!(9)),
        "/status",
        json!({"replicas": 2, "readyReplicas": 1, "availableReplicas": 1, "collisionCount": 0}),
    );
    let got = prepare_status_update(sts_info(), body, &old, FieldValidation::Strict, now())
        .expect("valid")
        .object;
    assert_eq!(got["spec"]["replicas"], 2);
    assert_eq!(got["status"]["readyReplicas"], 1);
    assert_eq!(got["metadata"]["generation"], 1);
}

#[test]
fn statefulset_status_rules_report_upstream_messages() {
    let old = with(stored(seed()), "/status", json!({"replicas": 2, "collisionCount": 3}));
    let cases = [
        (
            json!({"replicas": -1}),
            "status.replicas: Invalid value: -1: must be greater than or equal to 0",
        ),
        (
            json!({"replicas": 1, "readyReplicas": 2}),
            "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
        ),
        (
            json!({"replicas": 2, "readyReplicas": 1, "availableReplicas": 2}),
            "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas",
        ),
        (
            json!({"replicas": 2, "collisionCount": 1}),
            "status.collisionCount: Invalid value: 1: cannot be decremented",
        ),
        (
            json!({"replicas": 2}),
            "status.collisionCount: Invalid value: 0: cannot be decremented",
        ),
    ];
    for (status, message) in cases {
        let r = prepare_status_update(
            sts_info(),
            with(old.clone(), "/status", status),
            &old,
            FieldValidation::Strict,
            now(),
        );
        let got = causes(r);
        assert!(got.iter().any(|(_, m)| m == message), "want {message}, got {got:?}");
    }
}

fn pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0", "namespace": "default"}, "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}})
}

#[test]
fn pod_create_gets_pending_phase_qos_and_pod_defaults() {
    let got = create(pod()).expect("valid").object;
    assert_eq!(got["status"], json!({"phase": "Pending", "qosClass": "Guaranteed"}));
    assert_eq!(got["spec"]["enableServiceLinks"], true);
    assert_eq!(
        got["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": "1", "memory": "1Gi"})
    );
    assert_eq!(got["spec"]["containers"][0]["imagePullPolicy"], "Always");
    assert!(got["metadata"].get("generation").is_none());
    let best = with(pod(), "/spec/containers/0/resources", json!({}));
    assert_eq!(create(best).expect("valid").object["status"]["qosClass"], "BestEffort");
}

#[test]
fn pod_spec_updates_are_limited_to_images() {
    let old = stored(pod());
    let i = info("", "Pod");
    let ok = prepare_update(
        i,
        with(old.clone(), "/spec/containers/0/image", json!("busybox:2")),
        &old,
        FieldValidation::Strict,
        now(),
    );
    assert!(ok.is_ok());
    let r = prepare_update(
        i,
        with(old.clone(), "/spec/containers/0/name", json!("d")),
        &old,
        FieldValidation::Strict,
        now(),
    );
    let got = causes(r);
    assert!(
        got.iter().any(|(f, m)| f == "spec"
            && m.starts_with(
                "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"
            )),
        "{got:?}"
    );
}

#[test]
fn pod_validation_requires_containers_and_images() {
    let got = causes(create(with(pod(), "/spec/containers", json!([{"name": "c"}]))));
    assert!(
        got.contains(&(
            "spec.containers[0].image".into(),
            "spec.containers[0].image: Required value".into()
        )),
        "{got:?}"
    );
    let got = causes(create(with(
        pod(),
        "/spec/containers/0/volumeMounts",
        json!([{"name": "data", "mountPath": "/d"}]),
    )));
    assert!(
        got.contains(&(
            "spec.containers[0].volumeMounts[0].name".into(),
            "spec.containers[0].volumeMounts[0].name: Not found: \"data\"".into()
        )),
        "{got:?}"
    );
}

#[test]
fn graceful_periods_follow_check_graceful_delete() {
    let i = info("", "Pod");
    let unscheduled = json!({"spec": {"terminationGracePeriodSeconds": 30}});
    assert_eq!(graceful_delete_period(i, &unscheduled, None), Some(0));
    let scheduled =
        json!({"spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30}, "status": {"phase": "Running"}});
    assert_eq!(graceful_delete_period(i, &scheduled, None), Some(30));
    assert_eq!(graceful_delete_period(i, &scheduled, Some(0)), Some(0));
    assert_eq!(graceful_delete_period(i, &scheduled, Some(-5)), Some(1));
    assert_eq!(graceful_delete_period(i, &scheduled, Some(7)), Some(7));
    let done =
        json!({"spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30}, "status": {"phase": "Succeeded"}});
    assert_eq!(graceful_delete_period(i, &done, None), Some(0));
    assert_eq!(graceful_delete_period(sts_info(), &seed(), None), None);
}

#[test]
fn every_kind_deletes_dependents_in_the_background_by_default() {
    for r in crate::RESOURCES {
        assert_eq!(default_gc_policy(r), Propagation::Background, "{}", r.kind);
    }
}

#[test]
fn scale_reflects_replicas_and_selector() {
    let old = with(stored(seed()), "/status/replicas", json!(1));
    let s = scale_of(&old).expect("scale");
    assert_eq!(
        s,
        json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "default", "uid": "u-1", "resourceVersion": "5", "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"replicas": 2}, "status": {"replicas": 1, "selector": "app=nginx"}})
    );
    let scaled = apply_scale(&old, &json!({"spec": {"replicas": 5}})).expect("valid");
    assert_eq!(scaled["spec"]["replicas"], 5);
    let err = apply_scale(&old, &json!({"spec": {"replicas": -1}})).expect_err("negative");
    assert_eq!(
        err.to_string(),
        "Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    );
}

#[test]
fn selector_strings_are_sorted_by_key() {
    let s: LabelSelector = serde_json::from_value(json!({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [{"key": "c", "operator": "In", "values": ["y", "x"]}, {"key": "0", "operator": "DoesNotExist"}]})).expect("selector");
    assert_eq!(selector_string(&s), "!0,a=1,b=2,c in (x,y)");
}

#[test]
fn namespaces_get_active_phase_kubernetes_finalizer_and_name_label() {
    let got = create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}))
        .expect("valid")
        .object;
    assert_eq!(got["status"], json!({"phase": "Active"}));
    assert_eq!(got["spec"], json!({"finalizers": ["kubernetes"]}));
    assert_eq!(
        got["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "team-a"})
    );
    // A namespace in the body of a cluster-scoped object is dropped, as upstream's BeforeCreate does.
    let ns = create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "namespace": "x"}}))
        .expect("valid")
        .object;
    assert!(ns["metadata"].get("namespace").is_none());
}

#[test]
fn service_defaults_and_cluster_ip_immutability() {
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx", "namespace": "default"}, "spec": {"clusterIP": "None", "selector": {"app": "nginx"}, "ports": [{"port": 80, "name": "web"}]}});
    let got = create(svc).expect("valid").object;
    assert_eq!(
        got["spec"],
        json!({"clusterIP": "None", "clusterIPs": ["None"], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
        "ports": [{"name": "web", "port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "nginx"}, "sessionAffinity": "None", "type": "ClusterIP"})
    );
    assert_eq!(got["status"], json!({"loadBalancer": {}}));
    let i = info("", "Service");
    let old = with(
        with(
            stored(with(got.clone(), "/spec/clusterIP", json!("10.0.0.5"))),
            "/spec/clusterIPs",
            json!(["10.0.0.5"]),
        ),
        "/spec/clusterIP",
        json!("10.0.0.5"),
    );
    // Omitting the allocated IP keeps it.
    let mut body = old.clone();
    body["spec"].as_object_mut().map(|s| {
        s.remove("clusterIP");
        s.remove("clusterIPs")
    });
    let kept = prepare_update(i, body, &old, FieldValidation::Strict, now())
        .expect("valid")
        .object;
    assert_eq!(kept["spec"]["clusterIP"], "10.0.0.5");
    let r = prepare_update(
        i,
        with(old.clone(), "/spec/clusterIP", json!("10.0.0.6")),
        &old,
        FieldValidation::Strict,
        now(),
    );
    let got = causes(r);
    assert!(
        got.contains(&(
            "spec.clusterIP".into(),
            "spec.clusterIP: Invalid value: \"10.0.0.6\": field is immutable".into()
        )),
        "{got:?}"
    );
}

#[test]
fn other_kinds_get_their_defaults() {
    let pvc = create(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "www-web-0", "namespace": "default"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})).expect("valid").object;
    assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
    assert_eq!(pvc["status"], json!({"phase": "Pending"}));
    let pv = create(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"}, "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}, "hostPath": {"path": "/tmp/pv1"}}})).expect("valid").object;
    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
    assert_eq!(pv["spec"]["hostPath"]["type"], "");
    assert_eq!(
        pv["status"],
        json!({"phase": "Pending", "lastPhaseTransitionTime": "2023-11-14T22:13:20Z"})
    );
    let secret = create(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, "stringData": {"k": "v"}})).expect("valid").object;
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret["data"], json!({"k": "dg=="}));
    assert!(secret.get("stringData").is_none());
    let sc = create(json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"}, "provisioner": "rancher.io/local-path"})).expect("valid").object;
    assert_eq!(sc["reclaimPolicy"], "Delete");
    assert_eq!(sc["volumeBindingMode"], "Immediate");
}

#[test]
fn controller_revision_data_is_immutable() {
    let i = info("apps", "ControllerRevision");
    let cr = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "web-abc", "namespace": "default"}, "data": {"spec": {"template": {}}}, "revision": 1});
    let old = stored(cr);
    assert!(prepare_update(
        i,
        with(old.clone(), "/revision", json!(4)),
        &old,
        FieldValidation::Strict,
        now()
    )
    .is_ok());
    let got = causes(prepare_update(
        i,
        with(old.clone(), "/data", json!({"x": 1})),
        &old,
        FieldValidation::Strict,
        now(),
    ));
    assert_eq!(got[0].0, "data");
    assert!(got[0].1.ends_with("field is immutable"));
}

#[test]
fn field_validation_parameter_defaults_to_warn() {
    assert_eq!(
        FieldValidation::parse(None, "CreateOptions").expect("ok"),
        FieldValidation::Warn
    );
    assert_eq!(
        FieldValidation::parse(Some("Strict"), "CreateOptions").expect("ok"),
        FieldValidation::Strict
    );
    assert_eq!(
        FieldValidation::parse(Some("Loose"), "CreateOptions")
            .expect_err("bad")
            .code(),
        422
    );
}

fn with_max_unavailable(mu: Option<Value>) -> Value {
    let mut s = seed();
    let mut ru = json!({"partition": 0});
    if let Some(mu) = mu {
        ru["maxUnavailable"] = mu;
    }
    s["spec"]["updateStrategy"] = json!({"type": "RollingUpdate", "rollingUpdate": ru});
    s
}

fn max_unavailable_of(p: &Prepared) -> Value {
    p.object["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"].clone()
}

/// Upstream `dropStatefulSetDisabledFields` and the gated `SetDefaults_StatefulSet`: without
/// `MaxUnavailableStatefulSet` the field is dropped (before validation, so even 0 is accepted)
/// unless the old object uses it; with the gate it is validated and defaults to 1.
#[test]
fn max_unavailable_follows_its_feature_gate() {
    let off = FeatureGates::default();
    let on = FeatureGates {
        max_unavailable_stateful_set: true,
    };
    let create = |body: Value, g| prepare_create_gated(sts_info(), body, FieldValidation::Strict, now(), g);
    assert_eq!(
        max_unavailable_of(&create(with_max_unavailable(Some(json!(2))), off).expect("ok")),
        Value::Null
    );
    assert_eq!(
        max_unavailable_of(&create(with_max_unavailable(Some(json!(0))), off).expect("dropped, not validated")),
        Value::Null
    );
    assert_eq!(
        max_unavailable_of(&create(with_max_unavailable(Some(json!("50%"))), on).expect("ok")),
        json!("50%")
    );
    assert_eq!(
        max_unavailable_of(&create(with_max_unavailable(None), on).expect("ok")),
        json!(1)
    );
    assert!(
        create(with_max_unavailable(Some(json!(0))), on).is_err(),
        "cannot be 0 with the gate"
    );

    let as_stored = |mut v: Value| {
        let m = crate::meta::metadata_mut(&mut v);
        m.insert("uid".into(), json!("u-1"));
        m.insert("resourceVersion".into(), json!("5"));
        v
    };
    let stored_in_use = as_stored(create(with_max_unavailable(Some(json!(2))), on).expect("ok").object);
    let stored_unused = as_stored(create(with_max_unavailable(None), off).expect("ok").object);
    let update =
        |body: Value, old: &Value, g| prepare_update_gated(sts_info(), body, old, FieldValidation::Strict, now(), g);
    let mut body = with_max_unavailable(Some(json!(3)));
    body["spec"]["replicas"] = json!(4);
    assert_eq!(
        max_unavailable_of(&update(body.clone(), &stored_in_use, off).expect("ok")),
        json!(3),
        "in use: kept"
    );
    assert_eq!(
        max_unavailable_of(&update(body.clone(), &stored_unused, off).expect("ok")),
        Value::Null,
        "not in use: dropped"
    );
    assert_eq!(
        max_unavailable_of(&update(body, &stored_unused, on).expect("ok")),
        json!(3)
    );
}
