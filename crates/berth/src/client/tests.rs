//! The HTTP/2 client stack against a real API server on 127.0.0.1:0 (the integration layer:
//! sockets, TLS and a temp data dir, no berth process), both in process and over HTTPS as Go
//! clients such as kubectl reach the listener: the server's HTTP/2 settings must serve both.

use std::time::Duration;

use futures::future::try_join_all;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};

use anyhow::Context as _;
use hyper_util::client::legacy::connect::HttpConnector;
use kube::client::ConfigExt as _;

use super::{config_from, h2_client, in_process, stack};

/// The in-process client's stack over HTTP/2 with TLS to the listener, as Go clients (kubectl)
/// talk to it: only `h2` is offered by ALPN.
fn http2(config: kube::Config) -> anyhow::Result<kube::Client> {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    // Many streams' small frames share one socket: Nagle would hold one back until the
    // previous is acknowledged.
    tcp.set_nodelay(true);
    let tls = config
        .rustls_client_config()
        .context("building the TLS client config")?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only();
    let https = match &config.tls_server_name {
        Some(name) => https.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(
            name.clone().try_into().context("tls-server-name")?,
        )),
        None => https,
    };
    let mut connector = hyper_timeout::TimeoutConnector::new(https.enable_http2().wrap_connector(tcp));
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    stack(config, h2_client(connector))
}

/// How a test's client reaches the server.
#[derive(Debug, Clone, Copy)]
enum Transport {
    InProcess,
    Tls,
}

async fn client(server: &berth_apiserver::Server, transport: Transport) -> kube::Client {
    let config = config_from(&server.kubeconfig_path).await.expect("the kubeconfig");
    match transport {
        Transport::InProcess => in_process(server.loopback(), config),
        Transport::Tls => http2(config),
    }
    .expect("a client")
}

async fn api_server(dir: &tempfile::TempDir) -> berth_apiserver::Server {
    berth_apiserver::start(berth_apiserver::ServerConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse().expect("an address"),
        watch_history: None,
        features: Default::default(),
    })
    .await
    .expect("the API server starts")
}

fn get(path: &str) -> http::Request<Vec<u8>> {
    http::Request::get(path).body(Vec::new()).expect("a request")
}

#[tokio::test]
async fn requests_and_watches_go_over_http2_in_process() {
    requests_and_watches_go_over_http2(Transport::InProcess).await;
}

#[tokio::test]
async fn requests_and_watches_go_over_http2_with_tls() {
    requests_and_watches_go_over_http2(Transport::Tls).await;
}

async fn requests_and_watches_go_over_http2(transport: Transport) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = api_server(&dir).await;
    let client = client(&server, transport).await;

    let version = client.send(get("/version").map(Into::into)).await.expect("/version");
    assert_eq!(version.version(), http::Version::HTTP_2);
    assert_eq!(version.status(), http::StatusCode::OK);
    let watch = client
        .send(get("/api/v1/namespaces?watch=true").map(Into::into))
        .await
        .expect("a watch");
    assert_eq!(watch.version(), http::Version::HTTP_2);
    // The typed API works through the same stack (base URI, auth by client certificate).
    let names: Vec<String> = Api::<k8s_openapi::api::core::v1::Namespace>::all(client)
        .list(&Default::default())
        .await
        .expect("a list")
        .items
        .into_iter()
        .filter_map(|ns| ns.metadata.name)
        .collect();
    assert!(names.contains(&"kube-system".to_string()), "{names:?}");
    server.shutdown().await;
}

/// Unread data of a stream holds connection window until it is read: with hyper's default
/// windows (2 MiB per stream, 5 MiB per connection) three stalled watches would starve every
/// other response on the connection.
#[tokio::test]
async fn watches_nobody_reads_do_not_stall_other_requests_in_process() {
    watches_nobody_reads_do_not_stall_other_requests_on_the_connection(Transport::InProcess).await;
}

#[tokio::test]
async fn watches_nobody_reads_do_not_stall_other_requests_with_tls() {
    watches_nobody_reads_do_not_stall_other_requests_on_the_connection(Transport::Tls).await;
}

async fn watches_nobody_reads_do_not_stall_other_requests_on_the_connection(transport: Transport) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = api_server(&dir).await;
    let client = client(&server, transport).await;
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let watch = client
            .send(get("/api/v1/namespaces/default/configmaps?watch=true").map(Into::into))
            .await
            .expect("a watch");
        stalled.push(watch); // held, never read
    }
    // 40 events of ~200 KiB each to every stalled watch: 8 MiB each, 32 MiB in all.
    let configmaps: Api<ConfigMap> = Api::namespaced(client, "default");
    let big = "x".repeat(200 << 10);
    let creates = (0..40).map(|i| {
        let configmaps = configmaps.clone();
        let cm: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("big-{i}")},
            "data": {"blob": big},
        }))
        .expect("a ConfigMap");
        async move { configmaps.create(&PostParams::default(), &cm).await }
    });
    let created = tokio::time::timeout(Duration::from_secs(60), try_join_all(creates))
        .await
        .expect("creates finish while the watches stay unread")
        .expect("creates succeed");
    assert_eq!(created.len(), 40);
    let read_back = tokio::time::timeout(Duration::from_secs(20), configmaps.get("big-39"))
        .await
        .expect("a get finishes while the watches stay unread")
        .expect("the configmap");
    assert_eq!(read_back.data.expect("data")["blob"].len(), 200 << 10);
    drop(stalled);
    server.shutdown().await;
}

/// Shutting the server down ends its in-process connections too, an open watch included, and the
/// watch's reader sees its stream end.
#[tokio::test]
async fn shutdown_ends_in_process_connections() {
    use http_body_util::BodyExt as _;
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = api_server(&dir).await;
    let client = client(&server, Transport::InProcess).await;
    let watch = client
        .send(get("/api/v1/namespaces?watch=true").map(Into::into))
        .await
        .expect("a watch");
    assert_eq!(watch.status(), http::StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("the server shuts down with an in-process watch open");
    let mut body = watch.into_body();
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the watch ends with the server");
}
