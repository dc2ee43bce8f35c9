//! Integration: malformed and hostile requests against a real `berth up` get a 4xx `Status` naming
//! the problem (never a 500, never a crash), and the server keeps serving afterwards.

use std::sync::Arc;

use berth_testkit::Berth;
use http_body_util::BodyExt as _;
use kube::Client;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const PODS: &str = "/api/v1/namespaces/default/pods";

fn berth() -> Berth {
    // The API contract alone: no controllers or node writing to the objects under test.
    Berth::start_with_args(env!("CARGO_BIN_EXE_berth"), &["--api-only"]).expect("berth starts")
}

async fn client(b: &Berth) -> Client {
    b.client().await.expect("kube client")
}

/// One raw request through kube-rs (client certificate, berth's CA); returns the code and body.
async fn raw(c: &Client, method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut req = http::Request::builder().method(method).uri(path);
    if let Some(ct) = content_type {
        req = req.header(http::header::CONTENT_TYPE, ct);
    }
    let req = req.body(kube::client::Body::from(body)).expect("request");
    let resp = c
        .send(req)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: transport error {e}"));
    let code = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let v = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}));
    (code, v)
}

async fn post(c: &Client, path: &str, ct: &str, body: &str) -> (u16, Value) {
    raw(c, "POST", path, Some(ct), body.as_bytes().to_vec()).await
}

/// Asserts a failure `Status` with this code and reason whose message contains `needle`.
#[track_caller]
fn assert_status(got: &(u16, Value), code: u16, reason: &str, needle: &str) {
    let (c, s) = got;
    let shown: String = s.to_string().chars().take(2000).collect();
    assert_eq!(*c, code, "{shown}");
    assert_eq!(s["kind"], "Status", "{s}");
    assert_eq!(s["apiVersion"], "v1", "{s}");
    assert_eq!(s["status"], "Failure", "{s}");
    assert_eq!(s["code"], json!(code), "{s}");
    assert_eq!(s["reason"], reason, "{s}");
    let msg = s["message"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "message {msg:?} should contain {needle:?}");
}

/// The fields named in `details.causes`.
fn cause_fields(s: &Value) -> Vec<String> {
    s["details"]["causes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// The server still answers a normal request.
async fn still_serving(c: &Client) {
    let (code, v) = raw(
        c,
        "GET",
        "/api/v1/namespaces/default/services/kubernetes",
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["metadata"]["name"], "kubernetes");
}

fn cm(name: &str) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_yaml_bodies_are_400_bad_request() {
    let b = berth();
    let c = client(&b).await;
    for body in [
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"#,
        "not json at all",
        "",
        "[1, 2]",
        "null",
    ] {
        let got = post(&c, CMS, "application/json", body).await;
        assert_status(&got, 400, "BadRequest", "");
        assert!(
            !got.1["message"].as_str().unwrap_or_default().is_empty(),
            "{body:?}: {}",
            got.1
        );
    }
    let got = post(
        &c,
        CMS,
        "application/yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: [name: x\n",
    )
    .await;
    assert_status(&got, 400, "BadRequest", "");
    // Well-formed YAML is accepted.
    let ok = post(
        &c,
        CMS,
        "application/yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: '1'\n",
    )
    .await;
    assert_eq!(ok.0, 201, "{}", ok.1);
    // A malformed body on PUT and PATCH too.
    let got = raw(
        &c,
        "PUT",
        &format!("{CMS}/from-yaml"),
        Some("application/json"),
        b"{".to_vec(),
    )
    .await;
    assert_status(&got, 400, "BadRequest", "");
    let got = raw(
        &c,
        "PATCH",
        &format!("{CMS}/from-yaml"),
        Some("application/merge-patch+json"),
        b"{".to_vec(),
    )
    .await;
    assert_status(&got, 400, "BadRequest", "");
    let got = raw(
        &c,
        "PATCH",
        &format!("{CMS}/from-yaml"),
        Some("application/json-patch+json"),
        b"{}".to_vec(),
    )
    .await;
    assert!((400..500).contains(&got.0), "json patch that is not a list: {}", got.1);
    assert_eq!(got.1["kind"], "Status");
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_under_strict_validation_are_400_naming_the_field() {
    let b = berth();
    let c = client(&b).await;
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"foo": 1, "containers": [{"name": "c", "image": "busybox"}]}})
    .to_string();
    let got = post(&c, &format!("{PODS}?fieldValidation=Strict"), "application/json", &pod).await;
    assert_status(
        &got,
        400,
        "BadRequest",
        r#"strict decoding error: unknown field "spec.foo""#,
    );
    // Ignore accepts the object and drops the unknown field.
    let got = post(&c, &format!("{PODS}?fieldValidation=Ignore"), "application/json", &pod).await;
    assert_eq!(got.0, 201, "{}", got.1);
    assert!(
        got.1["spec"].get("foo").is_none(),
        "unknown fields are dropped: {}",
        got.1
    );
    let got = post(&c, &format!("{PODS}?fieldValidation=Bogus"), "application/json", &pod).await;
    // An unknown fieldValidation value is an invalid CreateOptions, as upstream.
    assert_status(&got, 422, "Invalid", "fieldValidation");
    assert_eq!(cause_fields(&got.1), ["fieldValidation"]);
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_whose_kind_or_api_version_does_not_match_the_url_is_400() {
    let b = berth();
    let c = client(&b).await;
    let pod_to_cms = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}}).to_string();
    assert_status(
        &post(&c, CMS, "application/json", &pod_to_cms).await,
        400,
        "BadRequest",
        "kind",
    );
    let wrong_version = json!({"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "x"}}).to_string();
    assert_status(
        &post(&c, CMS, "application/json", &wrong_version).await,
        400,
        "BadRequest",
        "v2",
    );
    let apps = json!({"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "x"}}).to_string();
    assert_status(
        &post(&c, CMS, "application/json", &apps).await,
        400,
        "BadRequest",
        "apps/v1",
    );
    // The name and namespace in the body must match the URL.
    assert_eq!(post(&c, CMS, "application/json", &cm("x")).await.0, 201);
    let got = raw(
        &c,
        "PUT",
        &format!("{CMS}/x"),
        Some("application/json"),
        cm("y").into_bytes(),
    )
    .await;
    assert_status(&got, 400, "BadRequest", "does not match");
    let other_ns =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "z", "namespace": "kube-system"}});
    let got = post(&c, CMS, "application/json", &other_ns.to_string()).await;
    assert_status(&got, 400, "BadRequest", "namespace");
    // Nothing was stored by the failed requests.
    let (code, list) = raw(&c, "GET", CMS, None, Vec::new()).await;
    assert_eq!(code, 200);
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["x"]);
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_3_mib_is_413() {
    let b = berth();
    let c = client(&b).await;
    let big = "x".repeat(3 * 1024 * 1024 + 10);
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"a": big}});
    let got = raw(&c, "POST", CMS, Some("application/json"), body.to_string().into_bytes()).await;
    assert_status(&got, 413, "RequestEntityTooLarge", "limit is 3145728");
    let got = raw(
        &c,
        "PUT",
        &format!("{CMS}/big"),
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await;
    assert_status(&got, 413, "RequestEntityTooLarge", "");
    // Under the body limit the body is read, and a ConfigMap over 1 MiB of data is invalid.
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"a": "x".repeat(2 * 1024 * 1024)}});
    let got = raw(&c, "POST", CMS, Some("application/json"), body.to_string().into_bytes()).await;
    assert_status(&got, 422, "Invalid", "1048576");
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_names_are_422_invalid_with_metadata_name_in_the_causes() {
    let b = berth();
    let c = client(&b).await;
    let long = "a".repeat(300);
    for name in ["Web", "a..b", long.as_str(), "a/b", "..", "-x", "a_b"] {
        let got = post(&c, CMS, "application/json", &cm(name)).await;
        assert_status(&got, 422, "Invalid", "metadata.name");
        let fields = cause_fields(&got.1);
        assert!(
            !fields.is_empty() && fields.iter().all(|f| f == "metadata.name"),
            "{name}: {}",
            got.1
        );
        assert_eq!(got.1["details"]["kind"], "ConfigMap");
    }
    let got = post(
        &c,
        CMS,
        "application/json",
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}).to_string(),
    )
    .await;
    assert_status(&got, 422, "Invalid", "name or generateName is required");
    // Names in the URL: `/` and `..` can never name an object.
    assert_eq!(post(&c, CMS, "application/json", &cm("ok")).await.0, 201);
    for seg in ["a%2Fb", "%2E%2E", "a%2F..%2Fok"] {
        let path = format!("{CMS}/{seg}");
        for (method, ct, body) in [
            ("GET", None, String::new()),
            ("DELETE", None, String::new()),
            (
                "PUT",
                Some("application/json"),
                cm(&seg.replace("%2F", "/").replace("%2E", ".")),
            ),
            ("PATCH", Some("application/merge-patch+json"), "{}".to_string()),
            (
                "PATCH",
                Some("application/apply-patch+yaml"),
                cm(&seg.replace("%2F", "/").replace("%2E", ".")),
            ),
        ] {
            let p = if ct == Some("application/apply-patch+yaml") {
                format!("{path}?fieldManager=t")
            } else {
                path.clone()
            };
            let got = raw(&c, method, &p, ct, body.into_bytes()).await;
            assert!((400..500).contains(&got.0), "{method} {p}: {}", got.1);
            assert_eq!(got.1["kind"], "Status", "{method} {p}: {}", got.1);
        }
    }
    let (code, list) = raw(&c, "GET", CMS, None, Vec::new()).await;
    assert_eq!(code, 200);
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["ok"], "no request with a bad name stored anything");
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_label_selectors_and_unsupported_field_selectors_are_400() {
    let b = berth();
    let c = client(&b).await;
    for q in [
        "labelSelector=a%20b",
        "labelSelector=a%20in%20(b",
        "labelSelector=%3D%3Dx",
        "labelSelector=a%3D%3D%3Db",
    ] {
        let got = raw(&c, "GET", &format!("{PODS}?{q}"), None, Vec::new()).await;
        assert_status(&got, 400, "BadRequest", "");
        let got = raw(&c, "GET", &format!("{PODS}?{q}&watch=true"), None, Vec::new()).await;
        assert_status(&got, 400, "BadRequest", "");
    }
    let got = raw(
        &c,
        "GET",
        &format!("{CMS}?fieldSelector=spec.foo%3Dx"),
        None,
        Vec::new(),
    )
    .await;
    assert_status(&got, 400, "BadRequest", "spec.foo");
    let got = raw(
        &c,
        "GET",
        &format!("{PODS}?fieldSelector=spec.nodeName%3Dn"),
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(got.0, 200, "spec.nodeName is a pod field selector: {}", got.1);
    let got = raw(
        &c,
        "GET",
        &format!("{PODS}?fieldSelector=metadata.name"),
        None,
        Vec::new(),
    )
    .await;
    assert_status(&got, 400, "BadRequest", "");
    let got = raw(&c, "GET", &format!("{PODS}?limit=abc"), None, Vec::new()).await;
    assert!((400..500).contains(&got.0) && got.1["kind"] == "Status", "{}", got.1);
    let got = raw(
        &c,
        "GET",
        &format!("{PODS}?watch=true&resourceVersion=abc"),
        None,
        Vec::new(),
    )
    .await;
    assert!((400..500).contains(&got.0) && got.1["kind"] == "Status", "{}", got.1);
    let got = raw(&c, "GET", &format!("{PODS}?continue=garbage"), None, Vec::new()).await;
    assert_status(&got, 400, "BadRequest", "continue");
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_with_an_unsupported_content_type_is_415() {
    let b = berth();
    let c = client(&b).await;
    assert_eq!(post(&c, CMS, "application/json", &cm("p")).await.0, 201);
    for ct in [
        Some("text/plain"),
        Some("application/json"),
        Some("application/xml"),
        None,
    ] {
        let got = raw(&c, "PATCH", &format!("{CMS}/p"), ct, br#"{"data":{"b":"2"}}"#.to_vec()).await;
        assert_status(&got, 415, "UnsupportedMediaType", "");
    }
    let got = raw(
        &c,
        "PATCH",
        "/apis/apps/v1/namespaces/default/statefulsets/none/scale",
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await;
    assert!((400..500).contains(&got.0) && got.1["kind"] == "Status", "{}", got.1);
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_or_update_body_in_an_unsupported_media_type_is_415() {
    let b = berth();
    let c = client(&b).await;
    for ct in ["text/plain", "application/xml", "application/merge-patch+json"] {
        let got = post(&c, CMS, ct, &cm("t")).await;
        assert_status(&got, 415, "UnsupportedMediaType", "application/json");
    }
    assert_eq!(post(&c, CMS, "application/json; charset=utf-8", &cm("t")).await.0, 201);
    let got = raw(&c, "PUT", &format!("{CMS}/t"), Some("text/plain"), cm("t").into_bytes()).await;
    assert_status(&got, 415, "UnsupportedMediaType", "");
    // JSON bytes labelled protobuf cannot be decoded either way.
    let got = post(&c, CMS, "application/vnd.kubernetes.protobuf", &cm("u")).await;
    assert!((400..500).contains(&got.0) && got.1["kind"] == "Status", "{}", got.1);
    still_serving(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_bodies_alias_bombs_and_binary_garbage_are_4xx_and_do_not_crash() {
    let b = berth();
    let c = client(&b).await;
    let deep = 100_000;
    let json_deep = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"d"}},"x":{}{}}}"#,
        "[".repeat(deep),
        "]".repeat(deep)
    );
    let got = post(&c, CMS, "application/json", &json_deep).await;
    assert!((400..500).contains(&got.0) && got.1["kind"] == "Status", "{}", got.1);
    let yaml_deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: d}}\nx: {}{}\n",
        "[".repeat(deep),
        "]".repeat(deep)
    );
    let started = std::time::Instant::now();
    let got = post(&c, CMS, "application/yaml", &yaml_deep).await;
    assert_status(&got, 400, "BadRequest", "max depth");
    // The YAML scanner is quadratic in nesting depth: this took 95 s before depth was bounded.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    // "Billion laughs": nine levels of nine aliases.
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    let got = post(&c, CMS, "application/yaml", &bomb).await;
    assert!(
        (400..500).contains(&got.0) && got.1["kind"] == "Status",
        "{}",
        got.1.to_string().chars().take(500).collect::<String>()
    );
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let got = raw(&c, "POST", CMS, Some("application/json"), garbage.clone()).await;
    assert_status(&got, 400, "BadRequest", "");
    let got = raw(&c, "POST", CMS, Some("application/yaml"), garbage).await;
    assert!((400..500).contains(&got.0) && got.1["kind"] == "Status", "{}", got.1);
    still_serving(&c).await;
}

/// A TLS client that trusts berth's CA and presents no client certificate.
fn anonymous_tls(b: &Berth) -> tokio_rustls::TlsConnector {
    let pem = std::fs::read(b.data_dir().join("pki/ca.crt")).expect("berth's CA");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        let cert: rustls::pki_types::CertificateDer<'static> = cert.expect("CA pem");
        roots.add(cert).expect("CA cert");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

/// One HTTP/1.1 request without credentials; returns the code and body.
async fn anonymous_get(b: &Berth, path: &str) -> (u16, String) {
    let addr = b.url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("server name");
    let mut tls = anonymous_tls(b)
        .connect(name, tcp)
        .await
        .expect("TLS without a client certificate");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

/// The JSON object inside a (possibly chunked) HTTP body.
fn json_in(body: &str) -> Value {
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map(|e| e + 1).unwrap_or(body.len());
    serde_json::from_str(&body[start..end]).unwrap_or_else(|_| json!({"raw": body}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_client_certificate_are_401_but_health_and_version_answer() {
    let b = berth();
    for path in [
        "/api/v1/namespaces/default/pods",
        "/api",
        "/apis",
        "/openapi/v3",
        "/api/v1/namespaces",
        "/metrics",
    ] {
        let (code, body) = anonymous_get(&b, path).await;
        assert_eq!(code, 401, "{path}: {body}");
        let s = json_in(&body);
        assert_eq!(s["kind"], "Status", "{path}: {body}");
        assert_eq!(s["reason"], "Unauthorized", "{path}: {body}");
        assert_eq!(s["code"], 401, "{path}: {body}");
    }
    for path in ["/healthz", "/livez", "/readyz"] {
        let (code, body) = anonymous_get(&b, path).await;
        assert_eq!(code, 200, "{path}: {body}");
        assert!(body.contains("ok"), "{path}: {body}");
    }
    let (code, body) = anonymous_get(&b, "/version").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(json_in(&body)["minor"], "32", "{body}");
    still_serving(&client(&b).await).await;
}
