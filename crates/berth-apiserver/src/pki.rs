//! The data dir's PKI: a CA, a serving certificate and the admin client certificate, and the kubeconfig.
//!
//! The CA and admin credentials are generated once, on first start; the serving certificate is
//! re-issued on every start so that it always names the address being listened on.

use std::fs;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;

/// Why setting up the PKI failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("generating {what}: {source}")]
    Generate { what: &'static str, source: rcgen::Error },
    #[error("parsing {what}: {detail}")]
    Parse { what: &'static str, detail: String },
}

/// PEM material the server needs at run time.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub admin_cert_pem: String,
    pub admin_key_pem: String,
    /// Files this call wrote without an fsync; see [`sync_in_background`].
    pub unsynced: Vec<PathBuf>,
}

fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "berth-ca");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2124, 1, 1);
    p
}

/// Writes `contents` to `path` with `mode`, atomically (temp file + rename), and fsyncs it.
pub fn write_private(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    write_file(path, contents, mode, true)
}

/// Writes `contents` to `path` with `mode`, atomically (temp file + rename); fsyncs it if `sync`.
pub fn write_file(path: &Path, contents: &[u8], mode: u32, sync: bool) -> Result<(), PkiError> {
    let err = |source| PkiError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err)?;
    f.write_all(contents).map_err(err)?;
    if sync {
        f.sync_all().map_err(err)?;
    }
    fs::rename(&tmp, path).map_err(err)
}

/// Makes `files` and their directories durable on a background thread, so that start-up does not
/// wait for the disk. Until that is done a power loss may lose or truncate them; [`ensure`]
/// checks what it finds and regenerates anything missing or inconsistent, and the kubeconfig is
/// rewritten from the checked material on every start.
pub fn sync_in_background(files: Vec<PathBuf>) {
    if files.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new().name("berth-fsync".into()).spawn(move || {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for f in &files {
            if let Ok(file) = fs::File::open(f) {
                let _ = file.sync_all();
            }
            if let Some(d) = f.parent() {
                if !dirs.iter().any(|x| x == d) {
                    dirs.push(d.to_path_buf());
                }
            }
        }
        for d in dirs {
            if let Ok(dir) = fs::File::open(&d) {
                let _ = dir.sync_all();
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the fsync thread; PKI files stay unsynced");
    }
}

fn gen<T>(what: &'static str, r: Result<T, rcgen::Error>) -> Result<T, PkiError> {
    r.map_err(|source| PkiError::Generate { what, source })
}

/// The certificate and key at these paths, if both parse and belong together.
fn load_pair(crt: &Path, key: &Path) -> Option<(String, String, CertificateDer<'static>)> {
    let cert_pem = fs::read_to_string(crt).ok()?;
    let key_pem = fs::read_to_string(key).ok()?;
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).ok()?;
    let key_der = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).ok()?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key_der).ok()?;
    CertifiedKey::new(vec![der.clone()], signer).keys_match().ok()?;
    Some((cert_pem, key_pem, der))
}

/// Whether `admin` is a client certificate the CA `ca` signed.
fn signed_by(admin: &CertificateDer<'static>, ca: &CertificateDer<'static>) -> bool {
    let mut roots = rustls::RootCertStore::empty();
    if roots.add(ca.clone()).is_err() {
        return false;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let Ok(verifier) = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build() else {
        return false;
    };
    verifier.verify_client_cert(admin, &[], UnixTime::now()).is_ok()
}

/// Loads the PKI under `dir/pki`, generating what is missing, and issues a serving certificate for `listen`.
///
/// What is on disk is checked, not trusted: a CA whose key and certificate do not match (or do
/// not parse) is replaced together with the admin credentials, and admin credentials that do not
/// match or that the CA did not sign are re-issued. So a crash at any point of an earlier start
/// (files missing, truncated, or one of a pair renamed into place without the other) is repaired
/// here. Files are written without an fsync; they are listed in [`Pki::unsynced`].
/// The serving certificate is issued anew on every start and never written to disk.
pub fn ensure(dir: &Path, listen: SocketAddr) -> Result<Pki, PkiError> {
    let pki = dir.join("pki");
    fs::create_dir_all(&pki).map_err(|source| PkiError::Write {
        path: pki.clone(),
        source,
    })?;
    let mut unsynced = Vec::new();

    let (ca_crt, ca_key) = (pki.join("ca.crt"), pki.join("ca.key"));
    let (admin_crt, admin_key) = (pki.join("admin.crt"), pki.join("admin.key"));
    let (ca_pem, ca_key_pem, ca_der) = match load_pair(&ca_crt, &ca_key) {
        Some(ca) => ca,
        None => {
            // A new CA invalidates any earlier admin credentials.
            let _ = fs::remove_file(&admin_crt);
            let key = gen("ca key", KeyPair::generate())?;
            let cert = gen("ca certificate", ca_params().self_signed(&key))?;
            let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
            write_file(&ca_key, key_pem.as_bytes(), 0o600, false)?;
            write_file(&ca_crt, cert_pem.as_bytes(), 0o644, false)?;
            unsynced.extend([ca_key.clone(), ca_crt.clone()]);
            (cert_pem, key_pem, cert.der().clone())
        }
    };
    let ca_key_pair = KeyPair::from_pem(&ca_key_pem).map_err(|e| PkiError::Parse {
        what: "ca key",
        detail: e.to_string(),
    })?;
    let issuer = Issuer::new(ca_params(), ca_key_pair);

    let admin = load_pair(&admin_crt, &admin_key).filter(|(_, _, der)| signed_by(der, &ca_der));
    let (admin_cert_pem, admin_key_pem) = match admin {
        Some((cert, key, _)) => (cert, key),
        None => {
            let key = gen("admin key", KeyPair::generate())?;
            let mut p = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, "berth-admin");
            dn.push(DnType::OrganizationName, "system:masters");
            p.distinguished_name = dn;
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            p.not_before = rcgen::date_time_ymd(2024, 1, 1);
            p.not_after = rcgen::date_time_ymd(2124, 1, 1);
            let cert = gen("admin certificate", p.signed_by(&key, &issuer))?;
            let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
            // Certificate first: a crash in between leaves a pair that does not match, which the
            // next start re-issues.
            write_file(&admin_crt, cert_pem.as_bytes(), 0o644, false)?;
            write_file(&admin_key, key_pem.as_bytes(), 0o600, false)?;
            unsynced.extend([admin_crt.clone(), admin_key.clone()]);
            (cert_pem, key_pem)
        }
    };

    // Earlier versions wrote the serving pair to disk; it is re-issued on every start.
    let _ = fs::remove_file(pki.join("server.key"));
    let _ = fs::remove_file(pki.join("server.crt"));

    let key = gen("serving key", KeyPair::generate())?;
    let mut p = gen(
        "serving certificate",
        CertificateParams::new(vec![
            "localhost".to_string(),
            "kubernetes".to_string(),
            "kubernetes.default".to_string(),
            "kubernetes.default.svc".to_string(),
            "kubernetes.default.svc.cluster.local".to_string(),
        ]),
    )?;
    let mut ips: Vec<IpAddr> = vec!["127.0.0.1".parse().expect("literal"), "::1".parse().expect("literal")];
    if !listen.ip().is_unspecified() && !ips.contains(&listen.ip()) {
        ips.push(listen.ip());
    }
    p.subject_alt_names.extend(ips.into_iter().map(SanType::IpAddress));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "berth-apiserver");
    p.distinguished_name = dn;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = gen("serving certificate", p.signed_by(&key, &issuer))?;

    Ok(Pki {
        ca_pem,
        server_cert_pem: cert.pem(),
        server_key_pem: key.serialize_pem(),
        admin_cert_pem,
        admin_key_pem,
        unsynced,
    })
}

/// The admin kubeconfig for a server reachable at `server_url`.
pub fn kubeconfig(pki: &Pki, server_url: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: berth\n  cluster:\n    server: {server_url}\n    certificate-authority-data: {}\ncontexts:\n- name: berth\n  context:\n    cluster: berth\n    user: berth-admin\n    namespace: default\ncurrent-context: berth\nusers:\n- name: berth-admin\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\npreferences: {{}}\n",
        b64(&pki.ca_pem),
        b64(&pki.admin_cert_pem),
        b64(&pki.admin_key_pem),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_private_and_the_ca_survives_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let addr: SocketAddr = "127.0.0.1:6443".parse().expect("addr");
        let first = ensure(dir.path(), addr).expect("first");
        let second = ensure(dir.path(), addr).expect("second");
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(first.admin_cert_pem, second.admin_cert_pem);
        for key in ["ca.key", "admin.key"] {
            let mode = fs::metadata(dir.path().join("pki").join(key))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        assert!(
            !dir.path().join("pki").join("server.key").exists(),
            "the serving key stays in memory"
        );
        assert_eq!(first.unsynced.len(), 4);
        assert!(second.unsynced.is_empty());
        assert!(kubeconfig(&first, "https://127.0.0.1:6443").contains("client-key-data"));
    }

    fn consistent(p: &Pki) -> bool {
        let ca = CertificateDer::from_pem_slice(p.ca_pem.as_bytes()).expect("ca");
        let admin = CertificateDer::from_pem_slice(p.admin_cert_pem.as_bytes()).expect("admin");
        let key = PrivateKeyDer::from_pem_slice(p.admin_key_pem.as_bytes()).expect("key");
        let signer = rustls::crypto::ring::sign::any_supported_type(&key).expect("signer");
        signed_by(&admin, &ca) && CertifiedKey::new(vec![admin], signer).keys_match().is_ok()
    }

    #[test]
    fn damaged_files_from_a_crash_are_regenerated_consistently() {
        let addr: SocketAddr = "127.0.0.1:6443".parse().expect("addr");
        let damages: [(&str, Option<&str>); 6] = [
            ("ca.crt", None),
            ("ca.key", Some("")),
            ("admin.crt", None),
            ("admin.key", Some("-----BEGIN PRIVATE KEY-----\ngarbage\n")),
            ("admin.crt", Some("")),
            ("ca.crt", Some("not a certificate")),
        ];
        for (file, damage) in damages {
            let dir = tempfile::tempdir().expect("tempdir");
            let first = ensure(dir.path(), addr).expect("first");
            let path = dir.path().join("pki").join(file);
            match damage {
                None => fs::remove_file(&path).expect("remove"),
                Some(d) => fs::write(&path, d).expect("write"),
            }
            let second = ensure(dir.path(), addr).expect("second");
            assert!(consistent(&second), "{file} {damage:?}");
            assert!(!second.unsynced.is_empty(), "{file} {damage:?}");
            if file.starts_with("admin") {
                assert_eq!(first.ca_pem, second.ca_pem, "the CA survives damaged admin files");
            }
            let third = ensure(dir.path(), addr).expect("third");
            assert_eq!(second.admin_cert_pem, third.admin_cert_pem);
            assert!(third.unsynced.is_empty());
        }
    }

    #[test]
    fn admin_credentials_of_another_ca_are_reissued() {
        let addr: SocketAddr = "127.0.0.1:6443".parse().expect("addr");
        let (a, b) = (tempfile::tempdir().expect("a"), tempfile::tempdir().expect("b"));
        ensure(a.path(), addr).expect("a");
        ensure(b.path(), addr).expect("b");
        for f in ["admin.crt", "admin.key"] {
            fs::copy(b.path().join("pki").join(f), a.path().join("pki").join(f)).expect("copy");
        }
        let p = ensure(a.path(), addr).expect("again");
        assert!(consistent(&p));
        assert_eq!(p.unsynced.len(), 2);
    }
}
