//! kube-rs clients from a kubeconfig: the stock one (HTTP/1.1) for any cluster, and the one the
//! components `berth up` runs use against its own API server.
//!
//! kube-rs's stock client speaks HTTP/1.1 only: it holds a connection per long-lived watch and
//! opens one per concurrent request, a TLS handshake each (an idle `berth up` held ~35). The
//! in-process client is the stock client's tower stack (base URI, retry, auth, extra headers,
//! tracing) over a hyper client that speaks only HTTP/2, so every request and watch shares one
//! connection, and that connection is an in-memory pipe to the server's HTTP stack
//! ([`berth_apiserver::Loopback`]): the same requests reach the same handlers as over HTTPS,
//! without encrypting and decrypting every byte twice in one process and passing it through the
//! kernel's TCP loopback.

use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::Context as _;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
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

/// A client of the API server `loopback` belongs to, over in-process connections (one at a
/// time, reopened if it closes): kube-rs's tower stack (as the stock client has) over hyper's HTTP/2 client, and the same HTTP requests to the same handlers, without TLS and TCP between them. The
/// kubeconfig gives the base URI (so the requests are the ones a remote client sends), the
/// default namespace and headers; the connection itself is trusted as a client certificate is.
pub fn in_process(loopback: berth_apiserver::Loopback, config: kube::Config) -> anyhow::Result<kube::Client> {
    let connector = tower::service_fn(move |_: http::Uri| {
        let io = InProcess(TokioIo::new(loopback.connect()));
        std::future::ready(Ok::<_, std::io::Error>(io))
    });
    stack(config, h2_client(connector))
}

/// hyper's pooling client speaking only HTTP/2 over `connector`'s connections, with Go's
/// windows.
pub(crate) fn h2_client<C>(connector: C) -> hyper_util::client::legacy::Client<C, kube::client::Body>
where
    C: tower::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper::rt::Read + hyper::rt::Write + Connection + Unpin + Send + 'static,
    C::Future: Send + Unpin + 'static,
    C::Error: Into<tower::BoxError>,
{
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .http2_initial_stream_window_size(STREAM_WINDOW)
        .http2_initial_connection_window_size(CONNECTION_WINDOW)
        .build(connector)
}

/// The stock client's layers around `hyper`, outermost first (kube-client's
/// `make_generic_builder`; its trace layer customizes the span, this one keeps tower-http's
/// defaults: debug spans and an error event per failed request).
pub(crate) fn stack<C>(
    config: kube::Config,
    hyper: hyper_util::client::legacy::Client<C, kube::client::Body>,
) -> anyhow::Result<kube::Client>
where
    C: tower::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper::rt::Read + hyper::rt::Write + Connection + Unpin + Send + 'static,
    C::Future: Send + Unpin + 'static,
    C::Error: Into<tower::BoxError>,
{
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

/// One in-process connection, as hyper's client sees a connection.
struct InProcess(TokioIo<tokio::io::DuplexStream>);

impl Connection for InProcess {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for InProcess {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for InProcess {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests;
