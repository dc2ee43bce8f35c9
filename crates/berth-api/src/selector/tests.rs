//! Tests for label and field selectors: upstream messages, matching, and Display round trips.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;
use crate::resource::{lookup, lookup_kind};
use crate::status::ApiError;

fn labels(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn bad_request(r: Result<impl std::fmt::Debug, ApiError>) -> String {
    match r {
        Err(ApiError::BadRequest(m)) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

#[test]
fn label_selectors_match_like_upstream() {
    let l = labels(json!({"app": "nginx", "tier": "web", "n": "5"}));
    let cases = [
        ("", true),
        ("app=nginx", true),
        ("app==nginx", true),
        ("app=other", false),
        ("app!=other", true),
        ("missing!=x", true),
        ("app in (nginx,redis)", true),
        ("app in (redis)", false),
        ("app notin (redis)", true),
        ("missing notin (a)", true),
        ("app", true),
        ("!app", false),
        ("!missing", true),
        ("app=nginx,tier=web", true),
        ("app=nginx,tier=db", false),
        ("n>4", true),
        ("n<5", false),
        ("missing>1", false),
        ("app in (nginx), tier notin (db)", true),
        ("  app = nginx ", true),
        ("tier in (in,notin,web)", true),
    ];
    for (sel, want) in cases {
        let s = LabelSelector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
        assert_eq!(s.matches(&l), want, "{sel}");
    }
}

#[test]
fn label_selector_parse_errors_carry_upstream_messages() {
    let cases = [
        ("app=", None),
        ("app in ()", None),
        ("x in (foo,,baz),y,z notin ()", None),
        ("app in", Some("unable to parse requirement: found '' expected: '('")),
        ("app in (a", Some("unable to parse requirement: found '', expected: ',' or ')'")),
        ("app=a b", Some("found 'b', expected: ',' or 'end of string'")),
        ("app=a,", Some("found '', expected: identifier after ','")),
        (",", Some("found ',', expected: !, identifier, or 'end of string'")),
        ("app==", None),
        ("app=(", Some("unable to parse requirement: found '(', expected: identifier")),
        ("app (", Some("unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt")),
        ("!", Some("unable to parse requirement: found '', expected: identifier")),
        ("!a=b", Some("found '=', expected: ',' or 'end of string'")),
        ("k in (x,,)", Some("unable to parse requirement: found ')', expected: ',', or identifier")),
        ("n>x", Some("unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer")),
    ];
    for (sel, want) in cases {
        let got = LabelSelector::parse(sel);
        match want {
            None => assert!(got.is_ok(), "{sel}: {got:?}"),
            Some(msg) => assert_eq!(bad_request(got), msg, "{sel}"),
        }
    }
}

#[test]
fn invalid_label_keys_and_values_are_rejected_with_validation_text() {
    let msg = bad_request(LabelSelector::parse("-app=x"));
    assert!(
        msg.starts_with("unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of alphanumeric characters"),
        "{msg}"
    );
    let msg = bad_request(LabelSelector::parse("app=-x"));
    assert!(
        msg.starts_with(
            "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string"
        ),
        "{msg}"
    );
}

#[test]
fn display_is_sorted_by_key_with_sorted_set_values() {
    let s = LabelSelector::parse("tier in (b,a),app=nginx,!old,env,x notin (z),n>3").expect("parse");
    assert_eq!(s.to_string(), "app=nginx,env,n>3,!old,tier in (a,b),x notin (z)");
}

#[test]
fn empty_selector_object_matches_everything_and_null_matches_nothing() {
    let l = labels(json!({"a": "b"}));
    let all = LabelSelector::from_object(&json!({})).expect("empty");
    assert!(all.is_empty());
    assert!(all.matches(&l));
    assert!(all.matches(&Map::new()));
    let none = LabelSelector::from_object(&Value::Null).expect("null");
    assert!(!none.is_empty());
    assert!(!none.matches(&l));
}

#[test]
fn selector_objects_convert_match_labels_and_expressions() {
    let s = LabelSelector::from_object(&json!({
        "matchLabels": {"tier": "web", "app": "nginx"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "Exists"},
            {"key": "team", "operator": "NotIn", "values": ["x"]},
        ]
    }))
    .expect("valid");
    assert_eq!(
        s.to_string(),
        "app=nginx,!canary,env in (dev,prod),team notin (x),tier=web,zone"
    );
    assert!(s.matches(&labels(
        json!({"app": "nginx", "tier": "web", "env": "dev", "zone": "a"})
    )));
    assert!(!s.matches(&labels(
        json!({"app": "nginx", "tier": "web", "env": "qa", "zone": "a"})
    )));
    assert_eq!(s.requires_exact_match("app"), Some("nginx"));
}

#[test]
fn selector_objects_reject_unknown_operators_and_bad_values() {
    let err = LabelSelector::from_object(&json!({
        "matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]
    }))
    .expect_err("Gt is not allowed in objects");
    assert_eq!(err, "\"Gt\" is not a valid label selector operator");
    let err = LabelSelector::from_object(&json!({
        "matchExpressions": [{"key": "a", "operator": "In", "values": []}]
    }))
    .expect_err("empty In");
    assert_eq!(
        err,
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
    );
    let err = LabelSelector::from_object(&json!({
        "matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]
    }))
    .expect_err("Exists with values");
    assert!(
        err.contains("values set must be empty for exists and does not exist"),
        "{err}"
    );
}

fn label_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]([a-z0-9-]{0,6}[a-z0-9])?",
        "[a-z]{1,5}\\.(io|com)/[A-Za-z0-9]([A-Za-z0-9_.-]{0,5}[A-Za-z0-9])?",
        Just("in".to_string()),
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[A-Za-z0-9]([A-Za-z0-9_.-]{0,6}[A-Za-z0-9])?"]
}

fn requirement_text() -> impl Strategy<Value = String> {
    (label_key(), 0..8usize, prop::collection::vec(label_value(), 1..4)).prop_map(|(k, op, vs)| match op {
        0 => format!("{k}={}", vs[0]),
        1 => format!("{k}=={}", vs[0]),
        2 => format!("{k}!={}", vs[0]),
        3 => format!("{k} in ({})", vs.join(",")),
        4 => format!("{k} notin ({})", vs.join(",")),
        5 => k,
        6 => format!("!{k}"),
        _ => format!("{k}>{}", vs.len()),
    })
}

proptest! {
    #[test]
    fn displayed_label_selectors_reparse_to_the_same_selector(
        reqs in prop::collection::vec(requirement_text(), 0..5)
    ) {
        let text = reqs.join(",");
        // Upstream itself rejects a few generated forms, such as `k in (a,,)`.
        let parsed = LabelSelector::parse(&text);
        prop_assume!(parsed.is_ok());
        let parsed = parsed.expect("checked");
        let shown = parsed.to_string();
        let again = LabelSelector::parse(&shown).expect("display re-parses");
        prop_assert_eq!(&again, &parsed);
        prop_assert_eq!(again.to_string(), shown);
    }

    #[test]
    fn displayed_field_selectors_reparse_to_the_same_selector(
        terms in prop::collection::vec(("[a-z]{1,4}(\\.[a-z]{1,4})?", any::<bool>(), "[ -~]{0,6}"), 0..4)
    ) {
        let text: Vec<String> = terms
            .iter()
            .map(|(f, neq, v)| {
                let escaped = v.replace('\\', "\\\\").replace(',', "\\,").replace('=', "\\=");
                format!("{f}{}{escaped}", if *neq { "!=" } else { "=" })
            })
            .collect();
        let parsed = FieldSelector::parse(&text.join(",")).expect("escaped values parse");
        let again = FieldSelector::parse(&parsed.to_string()).expect("display re-parses");
        prop_assert_eq!(again, parsed);
    }
}

#[test]
fn field_selectors_parse_operators_and_escapes() {
    let s = FieldSelector::parse("metadata.name=web-0,status.phase!=Running").expect("parse");
    assert_eq!(s.to_string(), "metadata.name=web-0,status.phase!=Running");
    let s = FieldSelector::parse("metadata.name==a\\,b\\=c\\\\").expect("escapes");
    assert_eq!(s.requires_exact_match("metadata.name"), Some("a,b=c\\"));
    assert_eq!(s.to_string(), "metadata.name=a\\,b\\=c\\\\");
    assert!(FieldSelector::parse("").expect("empty").is_empty());
}

#[test]
fn field_selector_parse_errors_match_upstream() {
    assert_eq!(
        bad_request(FieldSelector::parse("metadata.name")),
        "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
    );
    assert_eq!(
        bad_request(FieldSelector::parse("a=b=c")),
        "invalid field selector: unescaped character in value: 61"
    );
    assert_eq!(
        bad_request(FieldSelector::parse("a=b\\x")),
        "invalid field selector: invalid escape sequence: \\x"
    );
    assert_eq!(
        bad_request(FieldSelector::parse("a=b\\")),
        "invalid field selector: invalid escape sequence: \\"
    );
}

#[test]
fn unsupported_field_labels_get_each_kinds_message() {
    let pods = lookup("", "v1", "pods").expect("pods");
    let sts = lookup("apps", "v1", "statefulsets").expect("sts");
    let nodes = lookup("", "v1", "nodes").expect("nodes");
    let sel = FieldSelector::parse("spec.foo=x").expect("parse");
    assert_eq!(
        bad_request(sel.validate_for(pods)),
        "field label not supported: spec.foo"
    );
    assert_eq!(
        bad_request(sel.validate_for(sts)),
        "\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
    );
    let ns = FieldSelector::parse("metadata.namespace=default").expect("parse");
    assert!(ns.validate_for(pods).is_ok());
    assert!(ns.validate_for(sts).is_ok());
    assert_eq!(
        bad_request(ns.validate_for(nodes)),
        "field label not supported: metadata.namespace"
    );
}

#[test]
fn every_documented_field_label_is_accepted() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "",
            "Pod",
            &[
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "spec.hostNetwork",
                "status.phase",
                "status.podIP",
                "status.podIPs",
                "status.nominatedNodeName",
                "spec.host",
            ],
        ),
        (
            "",
            "Event",
            &[
                "involvedObject.kind",
                "involvedObject.namespace",
                "involvedObject.name",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "involvedObject.resourceVersion",
                "involvedObject.fieldPath",
                "reason",
                "reportingComponent",
                "source",
                "type",
            ],
        ),
        (
            "events.k8s.io",
            "Event",
            &[
                "regarding.kind",
                "regarding.namespace",
                "regarding.name",
                "regarding.uid",
                "regarding.apiVersion",
                "regarding.resourceVersion",
                "regarding.fieldPath",
                "reportingController",
                "reason",
                "source",
                "type",
                "metadata.name",
                "metadata.namespace",
            ],
        ),
        ("", "Secret", &["type", "metadata.name", "metadata.namespace"]),
        ("", "Namespace", &["status.phase", "metadata.name"]),
        ("", "Node", &["spec.unschedulable", "metadata.name"]),
        ("", "Service", &["spec.clusterIP", "spec.type"]),
        ("", "ConfigMap", &["metadata.name", "metadata.namespace"]),
    ];
    for (group, kind, fields) in cases {
        let info = lookup_kind(group, kind).expect("served");
        for f in *fields {
            let sel = FieldSelector::parse(&format!("{f}=x")).expect("parse");
            assert!(sel.validate_for(info).is_ok(), "{group}/{kind} {f}");
        }
    }
    let ev = lookup_kind("events.k8s.io", "Event").expect("events");
    let core_name = FieldSelector::parse("involvedObject.name=x").expect("parse");
    assert!(core_name.validate_for(ev).is_err());
}

#[test]
fn pod_fields_match_from_the_object() {
    let pods = lookup("", "v1", "pods").expect("pods");
    let pod = json!({
        "metadata": {"name": "web-0", "namespace": "default"},
        "spec": {"nodeName": "n1", "restartPolicy": "Always"},
        "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]}
    });
    let yes = [
        "metadata.name=web-0",
        "metadata.namespace=default,spec.nodeName=n1",
        "spec.host=n1",
        "spec.hostNetwork=false",
        "status.phase!=Pending",
        "status.podIP=10.0.0.5",
        "spec.schedulerName=",
    ];
    for s in yes {
        assert!(FieldSelector::parse(s).expect("parse").matches(pods, &pod), "{s}");
    }
    let no = ["metadata.name=web-1", "status.phase=Pending", "status.podIPs=10.0.0.5"];
    for s in no {
        assert!(!FieldSelector::parse(s).expect("parse").matches(pods, &pod), "{s}");
    }
}

#[test]
fn describe_event_selectors_match_core_and_events_v1_forms() {
    let core = lookup_kind("", "Event").expect("core events");
    let ev = json!({
        "metadata": {"name": "web-0.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "default", "uid": "u1"},
        "reason": "Scheduled", "type": "Normal",
        "source": {"component": "default-scheduler"},
    });
    let sel = FieldSelector::parse("involvedObject.name=web-0,involvedObject.namespace=default,involvedObject.uid=u1")
        .expect("parse");
    assert!(sel.validate_for(core).is_ok());
    assert!(sel.matches(core, &ev));
    assert!(FieldSelector::parse("source=default-scheduler")
        .expect("p")
        .matches(core, &ev));

    let v1 = lookup_kind("events.k8s.io", "Event").expect("events v1");
    let ev1 = json!({
        "metadata": {"name": "web-0.1", "namespace": "default"},
        "regarding": {"kind": "Pod", "name": "web-0"},
        "reportingController": "kubelet", "reason": "Pulled", "type": "Normal",
    });
    for s in [
        "regarding.name=web-0",
        "reportingController=kubelet",
        "source=kubelet",
        "regarding.kind=Pod",
    ] {
        let sel = FieldSelector::parse(s).expect("parse");
        assert!(sel.validate_for(v1).is_ok(), "{s}");
        assert!(sel.matches(v1, &ev1), "{s}");
    }
}

#[test]
fn node_namespace_and_secret_fields_match() {
    let nodes = lookup("", "v1", "nodes").expect("nodes");
    let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
    assert!(FieldSelector::parse("spec.unschedulable=true")
        .expect("p")
        .matches(nodes, &node));
    let plain = json!({"metadata": {"name": "n2"}});
    assert!(FieldSelector::parse("spec.unschedulable=false")
        .expect("p")
        .matches(nodes, &plain));
    let namespaces = lookup("", "v1", "namespaces").expect("ns");
    let ns = json!({"metadata": {"name": "default"}, "status": {"phase": "Active"}});
    assert!(FieldSelector::parse("status.phase=Active")
        .expect("p")
        .matches(namespaces, &ns));
    let secrets = lookup("", "v1", "secrets").expect("secrets");
    let sec = json!({"metadata": {"name": "s", "namespace": "d"}, "type": "Opaque"});
    assert!(FieldSelector::parse("type=Opaque").expect("p").matches(secrets, &sec));
}

/// Paths a field selector of some kind reads, and their neighbours, for random objects.
const FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "spec.unschedulable",
    "spec.clusterIP",
    "spec.type",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
    "status.replicas",
    "type",
    "reason",
    "reportingComponent",
    "reportingController",
    "source",
    "source.component",
    "deprecatedSource.component",
    "involvedObject.kind",
    "involvedObject.name",
    "involvedObject.namespace",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "regarding.kind",
    "regarding.name",
    "regarding.namespace",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "metadata.uid",
    "spec.containers",
];

/// Parents of the paths above, set (rarely) before them to values that may not be objects.
const PARENT_PATHS: &[&str] = &["metadata", "spec", "status", "source", "involvedObject", "regarding"];

/// Kinds, with the field labels each accepts and one it does not.
const KINDS: &[(&str, &str, &[&str])] = &[
    (
        "",
        "Pod",
        &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.host",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
            "spec.type",
        ],
    ),
    (
        "",
        "Node",
        &["metadata.name", "spec.unschedulable", "metadata.namespace"],
    ),
    (
        "",
        "Event",
        &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.name",
            "involvedObject.namespace",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "regarding.name",
        ],
    ),
    (
        "events.k8s.io",
        "Event",
        &[
            "metadata.name",
            "metadata.namespace",
            "regarding.kind",
            "regarding.name",
            "regarding.namespace",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reason",
            "reportingController",
            "source",
            "type",
            "involvedObject.name",
        ],
    ),
    (
        "",
        "Namespace",
        &["metadata.name", "status.phase", "metadata.namespace"],
    ),
    (
        "",
        "Secret",
        &["metadata.name", "metadata.namespace", "type", "spec.type"],
    ),
    (
        "",
        "Service",
        &[
            "metadata.name",
            "metadata.namespace",
            "spec.clusterIP",
            "spec.type",
            "type",
        ],
    ),
    ("", "ConfigMap", &["metadata.name", "metadata.namespace", "type"]),
    (
        "apps",
        "StatefulSet",
        &["metadata.name", "metadata.namespace", "status.replicas"],
    ),
];

/// Field values, and texts they print as, so that selectors hit.
const WORDS: &[&str] = &["", "a", "true", "1", "10.0.0.1"];

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (0i64..2).prop_map(|n| json!(n)),
        1 => Just(json!(1.5)),
        8 => prop::sample::select(WORDS).prop_map(|w| json!(w)),
        1 => Just(json!({})),
        1 => Just(json!({"component": "a"})),
        1 => Just(json!(["a"])),
    ]
}

/// Sets `path` in `obj`, making objects on the way; a non-object on the way stays as it is.
fn set_path(obj: &mut Value, path: &str, v: Value) {
    let mut cur = obj;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        let Some(m) = cur.as_object_mut() else { return };
        if keys.peek().is_none() {
            m.insert(key.to_string(), v);
            return;
        }
        cur = m.entry(key.to_string()).or_insert_with(|| json!({}));
    }
}

fn labels_value() -> impl Strategy<Value = Option<Value>> {
    let entry = (
        label_key(),
        prop_oneof![label_value().prop_map(Value::String), Just(json!(5)), Just(Value::Null)],
    );
    prop::option::of(prop_oneof![
        Just(Value::Null),
        Just(json!("app=web")),
        prop::collection::vec(entry, 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
    ])
}

/// Objects with random values at the paths selectors read, random labels and podIPs.
fn selectable_object() -> impl Strategy<Value = Value> {
    let pod_ips = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(WORDS).prop_map(|w| json!({"ip": w})),
            1 => Just(json!({"ip": 5})),
            1 => Just(json!({})),
            1 => Just(json!("10.0.0.1")),
        ],
        0..3,
    );
    (
        prop::collection::vec(prop::option::weighted(0.1, field_value()), PARENT_PATHS.len()),
        prop::collection::vec(prop::option::weighted(0.6, field_value()), FIELD_PATHS.len()),
        labels_value(),
        prop::option::weighted(0.6, pod_ips),
        prop::option::weighted(0.05, prop_oneof![Just(Value::Null), Just(json!("x")), Just(json!([1]))]),
    )
        .prop_map(|(parents, fields, labels, ips, root)| {
            if let Some(root) = root {
                return root;
            }
            let mut obj = json!({"kind": "Any", "spec": {"containers": [{"name": "c"}]}});
            let parents = PARENT_PATHS.iter().zip(parents);
            for (path, v) in parents.chain(FIELD_PATHS.iter().zip(fields)) {
                if let Some(v) = v {
                    set_path(&mut obj, path, v);
                }
            }
            if let Some(labels) = labels {
                set_path(&mut obj, "metadata.labels", labels);
            }
            if let Some(ips) = ips {
                set_path(&mut obj, "status.podIPs", Value::Array(ips));
            }
            obj
        })
}

fn field_selector_text(labels: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (prop::sample::select(labels), any::<bool>(), prop::sample::select(WORDS)),
        1..4,
    )
    .prop_map(|terms| {
        let terms: Vec<String> = terms
            .iter()
            .map(|(f, neq, v)| format!("{f}{}{}", if *neq { "!=" } else { "=" }, v.replace('=', "\\=")))
            .collect();
        terms.join(",")
    })
}

/// Labels as a filter reads them from an object (absent or not a map: none).
fn object_labels(obj: &Value) -> Map<String, Value> {
    crate::meta::labels(obj)
}

/// Every scalar in `v` as a field selector would print it, and the texts of absent fields.
fn scalar_texts(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Bool(b) => {
            out.insert(b.to_string());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        Value::Array(a) => a.iter().for_each(|x| scalar_texts(x, out)),
        Value::Object(m) => m.values().for_each(|x| scalar_texts(x, out)),
        Value::Null => {}
    }
}

/// `obj` projected to `paths`.
fn projected(obj: &Value, paths: &[&str]) -> Value {
    let text = serde_json::to_vec(obj).expect("serializes");
    crate::projection::Projection::new(paths.iter().copied())
        .decode(&text)
        .expect("valid JSON projects")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Each field of each kind reads the same from the projection as from the whole object: a
    /// term `field=v` for every text `v` the object holds (the field's value is one of them)
    /// matches both or neither.
    #[test]
    fn every_field_reads_the_same_from_a_projection_to_its_paths(obj in selectable_object()) {
        let mut values = std::collections::BTreeSet::from([String::new(), "true".into(), "false".into()]);
        scalar_texts(&obj, &mut values);
        for (group, kind, labels) in KINDS {
            let info = lookup_kind(group, kind).expect("served");
            for label in *labels {
                for v in &values {
                    let escaped = v.replace('\\', "\\\\").replace(',', "\\,").replace('=', "\\=");
                    let sel = FieldSelector::parse(&format!("{label}={escaped}")).expect("escaped values parse");
                    let part = projected(&obj, &sel.paths(info));
                    prop_assert_eq!(
                        sel.matches(info, &part),
                        sel.matches(info, &obj),
                        "{}/{} {}={:?} on {}", group, kind, label, v, part
                    );
                }
            }
        }
    }

    /// Whole filters — label and field selectors together — match the projection to the paths they
    /// name as they match the whole object.
    #[test]
    fn selectors_match_an_object_projected_to_their_paths_as_the_whole_object(
        obj in selectable_object(),
        (kind, fields) in prop::sample::select(KINDS)
            .prop_flat_map(|k| (Just(k), prop::option::of(field_selector_text(k.2)))),
        labels in prop::option::of(prop::collection::vec(requirement_text(), 1..3)),
    ) {
        let info = lookup_kind(kind.0, kind.1).expect("served");
        let label = labels.and_then(|l| LabelSelector::parse(&l.join(",")).ok());
        let field = fields
            .map(|f| FieldSelector::parse(&f).expect("generated selectors parse"))
            .filter(|f| f.validate_for(info).is_ok());
        let mut paths = field.as_ref().map(|f| f.paths(info)).unwrap_or_default();
        if label.is_some() {
            paths.push("metadata.labels");
        }
        let part = projected(&obj, &paths);
        let matches = |o: &Value| {
            label.as_ref().is_none_or(|l| l.matches(&object_labels(o)))
                && field.as_ref().is_none_or(|f| f.matches(info, o))
        };
        prop_assert_eq!(matches(&part), matches(&obj), "paths {:?}, projected {}", paths, part);
    }
}

#[test]
fn field_selectors_name_the_paths_they_read() {
    let pods = lookup_kind("", "Pod").expect("served");
    let sel = FieldSelector::parse("spec.host=n,status.podIP=1,metadata.name!=x,status.podIPs=y").expect("parse");
    assert_eq!(
        sel.paths(pods),
        ["metadata.name", "spec.nodeName", "status.podIPs", "status.podIP"]
    );
    let v1 = lookup_kind("events.k8s.io", "Event").expect("served");
    let sel = FieldSelector::parse("regarding.name=a,source=b").expect("parse");
    assert_eq!(
        sel.paths(v1),
        ["regarding.name", "deprecatedSource.component", "reportingController"]
    );
    let core = lookup_kind("", "Event").expect("served");
    let sel = FieldSelector::parse("involvedObject.uid=a,reportingComponent=b").expect("parse");
    assert_eq!(sel.paths(core), ["involvedObject.uid", "reportingComponent"]);
    let maps = lookup_kind("", "ConfigMap").expect("served");
    assert!(FieldSelector::parse("spec.nodeName=a")
        .expect("parse")
        .paths(maps)
        .is_empty());
}
