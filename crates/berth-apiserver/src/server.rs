//! The HTTPS server: TLS with optional client certificates, the accept loop, bootstrap and shutdown,
//! and in-process connections ([`Loopback`]) for the components `berth up` runs beside it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::Router;
use berth_api::resource;
use berth_api::strategy::{self, FieldValidation};
use berth_api::{meta, ApiError};
use berth_store::{RedbBackend, Store, StoreConfig};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::allocator::Allocator;
use crate::clock::{self, Clock, SystemClock};
use crate::metrics::Metrics;
use crate::pki;
use crate::registry::{self, Registry};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("creating data dir {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    #[error("opening the store: {0}")]
    Store(#[from] berth_store::StoreError),
    #[error("tls configuration: {0}")]
    Tls(String),
    #[error("listening on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("bootstrapping {what}: {source}")]
    Bootstrap { what: String, source: ApiError },
}

/// Per-connection facts, put into every request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub authenticated: bool,
}

/// Configuration of one server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Watch events kept for replay; older resourceVersions get 410 Gone. `None`: the store's default.
    pub watch_history: Option<usize>,
    /// `--feature-gates`: what the strategies default and drop.
    pub features: berth_api::features::FeatureGates,
}

/// Shared state of the API server.
pub struct Api {
    pub registry: Registry,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    ready: AtomicBool,
    /// Cluster IPs and node ports of Services.
    pub services: Allocator,
    pub features: berth_api::features::FeatureGates,
    /// Watch events rendered once for all their watchers.
    pub renders: crate::handlers::rendered::RenderCache,
}

impl Api {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub kubeconfig_path: PathBuf,
    pub api: Arc<Api>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    loopback: Loopback,
}

/// How much of one direction of an in-process connection may be buffered unread.
const LOOPBACK_BUFFER: usize = 1 << 20;

/// Serves HTTP connections, over TLS from the listener or in memory, until shut down.
#[derive(Clone)]
struct Connections {
    router: Router,
    http: hyper_util::server::conn::auto::Builder<TokioExecutor>,
    stop: watch::Receiver<bool>,
}

impl Connections {
    /// Serves one connection on its own task: HTTP/1.1, or HTTP/2 when ALPN picked `h2` or the
    /// client opens with the HTTP/2 preface. On shutdown it ends gracefully.
    fn serve<I>(&self, io: I, peer: Peer)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let svc = self.router.clone().layer(axum::Extension(peer));
        let http = self.http.clone();
        let mut stop = self.stop.clone();
        tokio::spawn(async move {
            let conn = http.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(svc));
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
        });
    }
}

/// In-process connections to the server: the same router, HTTP stack and handlers as the
/// listener's connections, over an in-memory pipe instead of TLS over loopback TCP. A connection
/// is trusted as a client-certificate one is: only code in this process can open it.
#[derive(Clone)]
pub struct Loopback {
    conns: Connections,
}

impl Loopback {
    /// Opens a connection; the server serves it until it is closed or the server shuts down.
    pub fn connect(&self) -> DuplexStream {
        let (client, server) = tokio::io::duplex(LOOPBACK_BUFFER);
        self.conns.serve(server, Peer { authenticated: true });
        client
    }
}

impl Server {
    /// In-process connections to this server, for the components that run beside it.
    pub fn loopback(&self) -> Loopback {
        self.loopback.clone()
    }

    /// Stops accepting, and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

fn tls_config(p: &pki::Pki) -> Result<rustls::ServerConfig, StartError> {
    let err = |e: &dyn std::fmt::Display| StartError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(p.server_cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| err(&e))?;
    let key = PrivateKeyDer::from_pem_slice(p.server_key_pem.as_bytes()).map_err(|e| err(&e))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(p.ca_pem.as_bytes()) {
        roots.add(c.map_err(|e| err(&e))?).map_err(|e| err(&e))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| err(&e))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| err(&e))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Streams one HTTP/2 connection may have open at once. A kube-rs or client-go process sends all
/// its requests and watches (long-lived streams) over one connection; hyper's default is 200.
const H2_MAX_STREAMS: u32 = 1000;

/// The receive window of each HTTP/2 request stream: request bodies are objects, so this is
/// kube-apiserver's `MaxUploadBufferPerStream` (256 KiB, the 99th percentile of resource bodies).
const H2_STREAM_WINDOW: u32 = 256 << 10;

/// HTTP/1.1 and, when ALPN picks `h2`, HTTP/2 with room for every stream a client may open: the
/// connection window covers every stream's window (as kube-apiserver sizes it), so a stream whose
/// body is not read yet never stalls the others. Windows are credit, not allocations.
fn http_builder() -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_concurrent_streams(H2_MAX_STREAMS)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_STREAM_WINDOW * H2_MAX_STREAMS);
    builder
}

fn ensure_dir(path: &Path) -> Result<(), StartError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| StartError::DataDir {
            path: path.to_path_buf(),
            source,
        })
}

/// Starts the API server: PKI, store, listener, bootstrap objects, then serves until shut down.
pub async fn start(cfg: ServerConfig) -> Result<Server, StartError> {
    ensure_dir(&cfg.data_dir)?;
    // The PKI (key generation, file writes) and the store (file creation or load) are
    // independent: do them at the same time.
    let mut store_cfg = StoreConfig::default();
    if let Some(n) = cfg.watch_history {
        store_cfg.history = n;
    }
    let (pki, store) = std::thread::scope(|s| {
        let pki = s.spawn(|| pki::ensure(&cfg.data_dir, cfg.listen));
        let store = RedbBackend::open(&cfg.data_dir.join("store.redb"))
            .and_then(|backend| Store::open(Arc::new(backend), store_cfg));
        let pki = pki.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (pki, store)
    });
    let (pki, store) = (pki?, store?);
    let tls = TlsAcceptor::from(Arc::new(tls_config(&pki)?));
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: cfg.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: cfg.listen,
        source,
    })?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    let url = if addr.is_ipv6() && !addr.ip().is_unspecified() {
        format!("https://[{host}]:{}", addr.port())
    } else {
        format!("https://{host}:{}", addr.port())
    };
    let kubeconfig_path = cfg.data_dir.join("admin.kubeconfig");
    pki::write_file(&kubeconfig_path, pki::kubeconfig(&pki, &url).as_bytes(), 0o600, false)?;
    let mut unsynced = pki.unsynced.clone();
    unsynced.push(kubeconfig_path.clone());
    pki::sync_in_background(unsynced);

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let api = Arc::new(Api {
        registry: Registry::new(store, clock.clone()),
        clock,
        metrics: Metrics::default(),
        ready: AtomicBool::new(false),
        services: Allocator::default(),
        features: cfg.features,
        renders: Default::default(),
    });
    bootstrap(&api).await?;
    api.ready.store(true, Ordering::Release);

    let router: Router = Router::new()
        .fallback(crate::handlers::dispatch)
        .with_state(api.clone());
    let (shutdown, mut stop) = watch::channel(false);
    let conns = Connections {
        router,
        http: http_builder(),
        stop: stop.clone(),
    };
    let loopback = Loopback { conns: conns.clone() };
    let task = tokio::spawn(async move {
        loop {
            let (tcp, _) = tokio::select! {
                _ = stop.changed() => break,
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let tls = tls.clone();
            let conns = conns.clone();
            tokio::spawn(async move {
                let Ok(stream) = tls.accept(tcp).await else { return };
                let authenticated = stream.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                conns.serve(stream, Peer { authenticated });
            });
        }
    });
    Ok(Server {
        addr,
        kubeconfig_path,
        api,
        shutdown,
        task,
        loopback,
    })
}

/// Creates what every cluster has: the four system namespaces and the `kubernetes` Service.
async fn bootstrap(api: &Api) -> Result<(), StartError> {
    // Remember the addresses already in use.
    if let Some(svc_info) = resource::lookup("", "v1", "services") {
        let snap = api.registry.store.list(&registry::prefix(svc_info, None));
        for (_, _, b) in snap.items {
            if let Ok(v) = registry::decode(&b) {
                api.services.observe(&v);
            }
        }
    }
    let mut objects: Vec<(&str, Value)> = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .into_iter()
        .map(|ns| {
            (
                "namespaces",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            )
        })
        .collect();
    objects.push((
        "services",
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}}),
    ));
    // All at once, so that the store group-commits them in one transaction (one fsync, not five).
    // `join_all` polls them in order, so they still get their revisions in this order.
    let results = futures::future::join_all(
        objects
            .into_iter()
            .map(|(plural, body)| ensure_object(api, "", plural, body)),
    )
    .await;
    results.into_iter().collect()
}

async fn ensure_object(api: &Api, group: &str, plural: &str, body: Value) -> Result<(), StartError> {
    let Some(info) = resource::lookup(group, "v1", plural) else {
        return Ok(());
    };
    let name = meta::name(&body).to_string();
    let ns = meta::namespace(&body).to_string();
    let fail = |source| StartError::Bootstrap {
        what: format!("{plural}/{name}"),
        source,
    };
    if api.registry.exists(info, Some(&ns), &name) {
        return Ok(());
    }
    let mut obj = strategy::prepare_create(info, body, FieldValidation::Strict, api.clock.now())
        .map_err(fail)?
        .object;
    {
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(clock::format(api.clock.now())));
    }
    if info.kind == "Service" {
        api.services.allocate(&mut obj).map_err(fail)?;
    }
    api.registry.create(info, obj, false).await.map_err(fail)?;
    Ok(())
}
