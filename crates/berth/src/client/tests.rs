//! The HTTP/2 client against a real API server on 127.0.0.1:0 (the integration layer: sockets,
//! TLS and a temp data dir, no berth process).

use std::time::Duration;

use futures::future::try_join_all;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};

use super::{config_from, http2};

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
async fn requests_and_watches_go_over_http2() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = api_server(&dir).await;
    let client = http2(config_from(&server.kubeconfig_path).await.expect("the kubeconfig")).expect("a client");

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
async fn watches_nobody_reads_do_not_stall_other_requests_on_the_connection() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = api_server(&dir).await;
    let client = http2(config_from(&server.kubeconfig_path).await.expect("the kubeconfig")).expect("a client");
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
