//! kube-rs clients from a kubeconfig: the stock one (HTTP/1.1) for any cluster, and one that
//! multiplexes every request and watch over a single HTTP/2 connection, for the components
//! `berth up` runs against its own API server.
//!
//! kube-rs's stock client speaks HTTP/1.1 only: it holds a connection per long-lived watch and
//! opens one per concurrent request, a TLS handshake each (an idle `berth up` held ~35). The
//! HTTP/2 client is the stock client's tower stack (base URI, retry, auth, extra headers,
//! tracing) and its connect, read and write timeouts (no read timeout unless the config sets one,
//! so watches never time out) over a hyper client that speaks only HTTP/2: still plain HTTPS to
//! the real listener, as to any cluster.

use std::path::Path;

use anyhow::Context as _;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::ConfigExt as _;
use tower::ServiceBuilder;

/// The receive window of each stream: how much of one response (a watch, a list) may be
/// buffered unread before the server must wait. Go's HTTP/2 transport (so client-go) uses 4 MiB.
const STREAM_WINDOW: u32 = 4 << 20;

/// The receive window of the connection, shared by all its streams. Unread data of a stream
/// counts against it until read, so it must exceed what stalled streams can hold together, or a
/// slow watch consumer would block every other response on the connection (a controller waiting
/// for its own write's response behind its own unread watch events would never wake). Go's
/// HTTP/2 transport uses 1 GiB; it is a credit, not an allocation.
const CONNECTION_WINDOW: u32 = 1 << 30;

/// The kubeconfig's cluster, credentials and namespace.
pub async fn config_from(path: &Path) -> anyhow::Result<kube::Config> {
    let kc = kube::config::Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
    kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .with_context(|| format!("loading {}", path.display()))
}

/// kube-rs's stock client: HTTP/1.1, one connection per watch and per concurrent request.
pub fn http1(config: kube::Config) -> anyhow::Result<kube::Client> {
    kube::Client::try_from(config).context("building the API client")
}

/// A client whose requests and watches all share one HTTP/2 connection (reopened if it
/// closes). The server must speak HTTP/2 over TLS: only `h2` is offered by ALPN. Meant for
/// berth's own kubeconfig (a client certificate): unlike the stock client it does not track when
/// an exec plugin's credentials expire.
pub fn http2(config: kube::Config) -> anyhow::Result<kube::Client> {
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
    let hyper = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .http2_initial_stream_window_size(STREAM_WINDOW)
        .http2_initial_connection_window_size(CONNECTION_WINDOW)
        .build(connector);

    // The stock client's layers, outermost first (kube-client's `make_generic_builder`; its
    // trace layer customizes the span, this one keeps tower-http's defaults: debug spans and an
    // error event per failed request).
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(
            config
                .default_retry
                .then(|| tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry())),
        )
        .option_layer(config.auth_layer().context("building the auth layer")?)
        .layer(
            config
                .extra_headers_layer()
                .context("building the extra headers layer")?,
        )
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .map_err(tower::BoxError::from)
        .service(hyper);
    Ok(kube::Client::new(service, config.default_namespace))
}

#[cfg(test)]
mod tests;
