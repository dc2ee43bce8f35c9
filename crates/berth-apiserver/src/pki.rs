//! The data dir's PKI: a CA, a serving certificate and the admin client certificate, and the kubeconfig.
//!
//! The CA and admin credentials are generated once, on first start; the serving certificate is
//! re-issued on every start so that it always names the address being listened on.

use std::fs;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

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

fn read(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|source| PkiError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `contents` to `path` with `mode`, atomically (temp file + rename).
pub fn write_private(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
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
    f.sync_all().map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}

fn gen<T>(what: &'static str, r: Result<T, rcgen::Error>) -> Result<T, PkiError> {
    r.map_err(|source| PkiError::Generate { what, source })
}

/// Loads the PKI under `dir/pki`, generating what is missing, and issues a serving certificate for `listen`.
pub fn ensure(dir: &Path, listen: SocketAddr) -> Result<Pki, PkiError> {
    let pki = dir.join("pki");
    fs::create_dir_all(&pki).map_err(|source| PkiError::Write {
        path: pki.clone(),
        source,
    })?;

    let (ca_crt, ca_key) = (pki.join("ca.crt"), pki.join("ca.key"));
    let (admin_crt, admin_key) = (pki.join("admin.crt"), pki.join("admin.key"));
    if !ca_key.exists() || !ca_crt.exists() {
        let key = gen("ca key", KeyPair::generate())?;
        let cert = gen("ca certificate", ca_params().self_signed(&key))?;
        write_private(&ca_key, key.serialize_pem().as_bytes(), 0o600)?;
        write_private(&ca_crt, cert.pem().as_bytes(), 0o644)?;
        // A new CA invalidates any earlier admin credentials.
        let _ = fs::remove_file(&admin_crt);
    }
    let ca_pem = read(&ca_crt)?;
    let ca_key_pair = KeyPair::from_pem(&read(&ca_key)?).map_err(|e| PkiError::Parse {
        what: "ca key",
        detail: e.to_string(),
    })?;
    let issuer = Issuer::new(ca_params(), ca_key_pair);

    if !admin_crt.exists() || !admin_key.exists() {
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
        write_private(&admin_key, key.serialize_pem().as_bytes(), 0o600)?;
        write_private(&admin_crt, cert.pem().as_bytes(), 0o644)?;
    }

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
    let server_key_pem = key.serialize_pem();
    write_private(&pki.join("server.key"), server_key_pem.as_bytes(), 0o600)?;
    write_private(&pki.join("server.crt"), cert.pem().as_bytes(), 0o644)?;

    Ok(Pki {
        ca_pem,
        server_cert_pem: cert.pem(),
        server_key_pem,
        admin_cert_pem: read(&admin_crt)?,
        admin_key_pem: read(&admin_key)?,
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
        for key in ["ca.key", "admin.key", "server.key"] {
            let mode = fs::metadata(dir.path().join("pki").join(key))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        assert!(kubeconfig(&first, "https://127.0.0.1:6443").contains("client-key-data"));
    }
}
