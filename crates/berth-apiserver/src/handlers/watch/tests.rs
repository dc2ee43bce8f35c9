//! Tests for watch rendering: a filter deciding on projected objects sends exactly the lines it
//! sent deciding on whole decoded ones, in every output form.

use berth_api::resource::lookup_kind;
use berth_api::selector::{FieldSelector, LabelSelector};
use berth_api::table::IncludeObject;
use berth_store::EventType;
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn pods() -> &'static ResourceInfo {
    lookup_kind("", "Pod").expect("served")
}

fn now() -> jiff::Timestamp {
    "2026-01-01T00:00:00Z".parse().expect("timestamp")
}

fn filter(info: &ResourceInfo, label: Option<&str>, field: Option<&str>) -> Filter {
    let label = label.map(|l| LabelSelector::parse(l).expect("label selector parses"));
    let field = field.map(|f| {
        let f = FieldSelector::parse(f).expect("field selector parses");
        f.validate_for(info).expect("a field of the kind");
        f
    });
    Filter::new(label, field)
}

/// The encoder a watch had before projections: its filter decodes every object whole.
fn whole(info: &'static ResourceInfo, output: Output) -> Encoder {
    Encoder {
        info,
        output,
        include: IncludeObject::Metadata,
        sent_columns: false,
        projection: None,
    }
}

fn projected(info: &'static ResourceInfo, output: Output, filter: &Filter) -> Encoder {
    Encoder::new(info, output, IncludeObject::Metadata, filter)
}

fn event(kind: EventType, revision: Revision, value: &[u8], prev: Option<&[u8]>) -> WatchEvent {
    WatchEvent {
        kind,
        key: "/pods/default/p".into(),
        revision,
        value: Bytes::copy_from_slice(value),
        prev: prev.map(Bytes::copy_from_slice),
    }
}

fn text(v: &Value) -> Vec<u8> {
    registry::to_bytes(v).to_vec()
}

fn pod(name: &str, node: Option<&str>, labels: Value) -> Value {
    let mut p = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}, "status": {"phase": "Pending"}});
    if let Some(node) = node {
        p["spec"]["nodeName"] = json!(node);
    }
    p
}

/// The type of a watch line, or `None` for no line.
fn line_type(line: Option<Bytes>) -> Option<String> {
    let v: Value = serde_json::from_slice(&line?).expect("a line is JSON");
    Some(v["type"].as_str().expect("a type").to_string())
}

#[test]
fn a_node_watch_sees_its_pods_arrive_change_and_leave() {
    let f = filter(pods(), None, Some("spec.nodeName=n1"));
    let mut enc = projected(pods(), Output::Json, &f);
    let cache = RenderCache::default();
    let none = pod("p", None, json!({}));
    let on_n1 = pod("p", Some("n1"), json!({"a": "b"}));
    let on_n2 = pod("p", Some("n2"), json!({}));
    let cases = [
        (EventType::Added, &on_n1, None, Some("ADDED")),
        (EventType::Added, &on_n2, None, None),
        (EventType::Modified, &on_n1, Some(&none), Some("ADDED")),
        (EventType::Modified, &on_n1, Some(&on_n1), Some("MODIFIED")),
        (EventType::Modified, &on_n2, Some(&on_n1), Some("DELETED")),
        (EventType::Modified, &on_n2, Some(&none), None),
        (EventType::Deleted, &on_n1, Some(&on_n1), Some("DELETED")),
        (EventType::Deleted, &on_n2, Some(&on_n2), None),
    ];
    for (rev, (kind, obj, prev, want)) in cases.into_iter().enumerate() {
        let prev = prev.map(text);
        let ev = event(kind, rev as Revision + 1, &text(obj), prev.as_deref());
        let line = render(&mut enc, &f, &ev, &cache, now());
        if let Some(line) = &line {
            // The object is sent as stored, not as projected.
            let v: Value = serde_json::from_slice(line).expect("json");
            assert_eq!(&v["object"], obj);
        }
        assert_eq!(line_type(line).as_deref(), want, "{kind:?} {obj} after {prev:?}");
    }
}

#[test]
fn tables_and_converted_kinds_filter_on_whole_objects() {
    let f = filter(pods(), Some("app=web"), None);
    assert!(projected(pods(), Output::Json, &f).projection.is_some());
    assert!(projected(pods(), Output::Metadata, &f).projection.is_some());
    assert!(projected(pods(), Output::Table, &f).projection.is_none());
    let events_v1 = lookup_kind("events.k8s.io", "Event").expect("served");
    let f = filter(events_v1, None, Some("regarding.name=web-0"));
    assert!(projected(events_v1, Output::Json, &f).projection.is_none());
    let core = lookup_kind("", "Event").expect("served");
    let f = filter(core, None, Some("involvedObject.name=web-0"));
    let enc = projected(core, Output::Json, &f);
    assert_eq!(
        enc.projection.as_deref(),
        Some(&Projection::new(["involvedObject.name"]))
    );
}

#[test]
fn watches_reading_the_same_paths_share_one_projection_of_an_event() {
    let obj = pod("p", Some("n1"), json!({"app": "web"}));
    let ev = event(EventType::Modified, 9, &text(&obj), Some(&text(&obj)));
    let cache = RenderCache::default();
    let r = cache.get(pods(), &ev);
    let a = Arc::new(Projection::new(["spec.nodeName", "metadata.labels"]));
    let b = Arc::new(Projection::new(["metadata.labels", "spec.nodeName"]));
    let c = Arc::new(Projection::new(["spec.nodeName"]));
    assert!(Arc::ptr_eq(&r.projected(&a), &r.projected(&b)));
    assert!(!Arc::ptr_eq(&r.projected(&a), &r.projected(&c)));
    let shared = cache.get(pods(), &ev).projected(&b);
    let first = shared.object(pods(), &ev).expect("decodes");
    assert!(std::ptr::eq(
        first,
        r.projected(&a).object(pods(), &ev).expect("decodes")
    ));
    assert_eq!(
        first,
        &json!({"metadata": {"labels": {"app": "web"}}, "spec": {"nodeName": "n1"}})
    );
    assert_eq!(
        r.projected(&c).prev(pods(), &ev),
        Some(&json!({"spec": {"nodeName": "n1"}}))
    );
    // Not decoded whole on the way.
    assert!(!r.decoded_whole());
}

#[test]
fn what_a_projection_cannot_take_is_decoded_whole_as_before() {
    let f = filter(pods(), Some("app=web"), Some("metadata.name=p"));
    // serde_json reads a map starting with its raw-value token as the JSON in the string.
    let token = br#"{"metadata":{"$serde_json::private::RawValue":"{\"name\":\"p\",\"labels\":{\"app\":\"web\"}}"}}"#;
    let plain = text(&pod("p", None, json!({"app": "web"})));
    let cases: [(&[u8], Option<&[u8]>); 4] = [
        (token, None),
        (&plain, Some(token)),
        (b"{\"metadata\":", None),
        (&plain, Some(b"[1,")),
    ];
    for output in [Output::Json, Output::Metadata, Output::Table] {
        for (rev, (value, prev)) in cases.iter().enumerate() {
            let kind = if prev.is_some() {
                EventType::Modified
            } else {
                EventType::Added
            };
            let ev = event(kind, rev as Revision, value, *prev);
            let want = render(&mut whole(pods(), output), &f, &ev, &RenderCache::default(), now());
            let got = render(
                &mut projected(pods(), output, &f),
                &f,
                &ev,
                &RenderCache::default(),
                now(),
            );
            assert_eq!(got, want, "{output:?} {}", String::from_utf8_lossy(value));
        }
    }
    let ev = event(EventType::Added, 1, token, None);
    let got = render(
        &mut projected(pods(), Output::Json, &f),
        &f,
        &ev,
        &RenderCache::default(),
        now(),
    );
    assert_eq!(line_type(got).as_deref(), Some("ADDED"), "the token's JSON matched");
}

const LABEL_SELECTORS: &[&str] = &[
    "app=web",
    "app!=web",
    "tier in (web,db)",
    "tier notin (db)",
    "app",
    "!tier",
    "app=web,tier=db",
    "n>1",
];

const FIELD_SELECTORS: &[&str] = &[
    "spec.nodeName=n1",
    "spec.nodeName!=n1",
    "spec.host=n2",
    "status.phase=Running",
    "metadata.name=p0",
    "metadata.namespace!=default",
    "status.podIP=10.0.0.1",
    "spec.hostNetwork=true",
    "spec.nodeName=n1,status.phase!=Failed",
    "spec.nodeName=",
];

fn word() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(&["web", "db", "n1", "n2", "p0", "Running", "default", "10.0.0.1", "2", ""][..])
            .prop_map(|w| json!(w)),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (0i64..3).prop_map(|n| json!(n)),
        1 => Just(json!({"x": "web"})),
    ]
}

fn labels() -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(
        0.9,
        prop_oneof![
            8 => prop::collection::btree_map(prop::sample::select(&["app", "tier", "n"][..]), word(), 0..4)
                .prop_map(|m| json!(m)),
            1 => Just(Value::Null),
            1 => Just(json!(["app"])),
        ],
    )
}

/// Pods as stored, with selectable fields of every shape; now and then not JSON at all.
fn stored_pod() -> impl Strategy<Value = Vec<u8>> {
    let fields = (
        prop::option::weighted(0.8, word()),
        prop::option::weighted(0.8, word()),
        prop::option::weighted(0.8, word()),
        prop::option::weighted(0.8, word()),
        prop::option::weighted(0.5, word()),
        prop::option::weighted(0.5, word()),
    );
    let pod = (fields, labels(), 0..20u8).prop_map(|((name, ns, node, phase, ip, host), labels, shape)| {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {"containers": [{"name": "c"}]},
            "status": {}});
        let set = |v: &mut Value, k: &str, x: Option<Value>| {
            if let Some(x) = x {
                v[k] = x;
            }
        };
        set(&mut p["metadata"], "name", name);
        set(&mut p["metadata"], "namespace", ns);
        set(&mut p["metadata"], "labels", labels);
        set(&mut p["spec"], "nodeName", node);
        set(&mut p["spec"], "hostNetwork", host);
        set(&mut p["status"], "phase", phase);
        if let Some(ip) = ip {
            p["status"]["podIPs"] = json!([{"ip": ip}]);
        }
        match shape {
            0 => p = json!({"kind": "Pod"}),
            1 => p["metadata"] = Value::Null,
            2 => p["spec"] = json!("n1"),
            3 => p = json!([p]),
            _ => {}
        }
        text(&p)
    });
    prop_oneof![
        20 => pod,
        1 => Just(b"{\"metadata\":{\"name\":\"p0\"}".to_vec()),
    ]
}

/// An event of a watch: `(type, object, previous object)`.
fn watch_event() -> impl Strategy<Value = (EventType, Vec<u8>, Option<Vec<u8>>)> {
    (0..3u8, stored_pod(), stored_pod()).prop_map(|(kind, value, prev)| match kind {
        0 => (EventType::Added, value, None),
        1 => (EventType::Modified, value, Some(prev)),
        _ => (EventType::Deleted, value, Some(prev)),
    })
}

fn selectors() -> impl Strategy<Value = (Option<&'static str>, Option<&'static str>)> {
    (
        prop::option::of(prop::sample::select(LABEL_SELECTORS)),
        prop::option::of(prop::sample::select(FIELD_SELECTORS)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Two watches share one render cache (as every watch of the server does), each with its own
    /// selectors and output; each sends the lines a watch deciding on whole objects sends.
    #[test]
    fn filtered_watches_send_the_lines_whole_decoding_sent(
        events in prop::collection::vec(watch_event(), 1..6),
        watches in prop::collection::vec(
            (selectors(), prop::sample::select(&[Output::Json, Output::Metadata, Output::Table][..])),
            2,
        ),
    ) {
        let shared = RenderCache::default();
        let reference = RenderCache::default();
        let mut running: Vec<(Filter, Encoder, Encoder)> = watches
            .iter()
            .map(|((label, field), output)| {
                let f = filter(pods(), *label, *field);
                let enc = projected(pods(), *output, &f);
                (f, enc, whole(pods(), *output))
            })
            .collect();
        for (rev, (kind, value, prev)) in events.iter().enumerate() {
            let ev = event(*kind, rev as Revision + 1, value, prev.as_deref());
            for (i, (f, enc, old)) in running.iter_mut().enumerate() {
                let got = render(enc, f, &ev, &shared, now());
                let want = render(old, f, &ev, &reference, now());
                prop_assert_eq!(
                    got, want,
                    "watch {} ({:?}) at event {}: {}", i, watches[i], rev, String::from_utf8_lossy(value)
                );
            }
        }
    }
}
