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
