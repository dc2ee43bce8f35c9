//! The HTTPS client: rustls with the kubeconfig's CA (and admin client certificate), one HTTP/1.1 keep-alive connection per worker.
//!
//! hyper's connection-level client is used directly (no pool) so each worker owns exactly one
//! connection and every measured latency is one request on an already-open connection.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::kubeconfig::Credentials;

/// Whether to present the admin client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    Admin,
    Anonymous,
}

/// A rustls client config trusting the kubeconfig's CA, speaking HTTP/1.1.
pub fn tls_config(creds: &Credentials, identity: Identity) -> anyhow::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut creds.ca_pem.as_slice()) {
        roots
            .add(cert.context("reading the kubeconfig CA")?)
            .context("adding the kubeconfig CA")?;
    }
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_root_certificates(roots);
    let mut config = match identity {
        Identity::Anonymous => builder.with_no_client_auth(),
        Identity::Admin => {
            let certs = rustls_pemfile::certs(&mut creds.cert_pem.as_slice())
                .collect::<Result<Vec<_>, _>>()
                .context("reading the client certificate")?;
            let key = rustls_pemfile::private_key(&mut creds.key_pem.as_slice())
                .context("reading the client key")?
                .context("the kubeconfig has no client key")?;
            builder
                .with_client_auth_cert(certs, key)
                .context("using the client certificate")?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// One open HTTPS connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
}

impl Conn {
    /// Opens a TCP + TLS connection and completes the HTTP/1.1 handshake.
    pub async fn connect(addr: SocketAddr, tls: Arc<ClientConfig>) -> anyhow::Result<Conn> {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        tcp.set_nodelay(true).context("setting TCP_NODELAY")?;
        let name = ServerName::from(addr.ip());
        let stream = TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .context("TLS handshake")?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(async move {
            // The connection ends when the server closes it or the sender is dropped.
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            authority: addr.to_string(),
        })
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> anyhow::Result<Response<Incoming>> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, &self.authority)
            .header(http::header::ACCEPT, "application/json");
        if let Some(ct) = content_type {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        let req = req.body(Full::new(body)).context("building the request")?;
        self.sender.ready().await.context("connection closed")?;
        self.sender
            .send_request(req)
            .await
            .with_context(|| format!("sending {path}"))
    }

    /// Sends one request and reads the whole response body.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let resp = self.send(method, path, content_type, body).await?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .with_context(|| format!("reading the body of {path}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// Sends a GET and returns the response with its body still streaming (for watches).
    pub async fn stream(&mut self, path: &str) -> anyhow::Result<Response<Incoming>> {
        self.send(Method::GET, path, None, Bytes::new()).await
    }
}
