//! Pure parsing of the admin kubeconfig berth writes: server URL, CA and client certificate as PEM.
//!
//! Only the flat `key: value` fields berth emits are read (no YAML dependency): the first
//! cluster's `server` and `certificate-authority-data`, the first user's client certificate and key.

use base64::Engine as _;

/// The credentials of one kubeconfig, decoded to PEM bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub server: String,
    pub ca_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

/// Why a kubeconfig could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum KubeconfigError {
    MissingField(&'static str),
    BadBase64 { field: &'static str, reason: String },
}

impl std::fmt::Display for KubeconfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KubeconfigError::MissingField(k) => write!(f, "kubeconfig has no {k}"),
            KubeconfigError::BadBase64 { field, reason } => {
                write!(f, "kubeconfig {field} is not base64: {reason}")
            }
        }
    }
}

impl std::error::Error for KubeconfigError {}

/// The value of the first `key: value` line for `key`, unquoted.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(key)?.strip_prefix(':')?;
        Some(rest.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

fn decoded(text: &str, key: &'static str) -> Result<Vec<u8>, KubeconfigError> {
    let raw = field(text, key)
        .filter(|v| !v.is_empty())
        .ok_or(KubeconfigError::MissingField(key))?;
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|e| KubeconfigError::BadBase64 {
            field: key,
            reason: e.to_string(),
        })
}

/// Parses the kubeconfig text berth writes into its server URL and PEM credentials.
pub fn parse(text: &str) -> Result<Credentials, KubeconfigError> {
    Ok(Credentials {
        server: field(text, "server")
            .filter(|v| !v.is_empty())
            .ok_or(KubeconfigError::MissingField("server"))?
            .to_string(),
        ca_pem: decoded(text, "certificate-authority-data")?,
        cert_pem: decoded(text, "client-certificate-data")?,
        key_pem: decoded(text, "client-key-data")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn sample() -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: berth\n  cluster:\n    server: https://127.0.0.1:40123\n    certificate-authority-data: {}\ncontexts:\n- name: berth\n  context:\n    cluster: berth\n    user: berth-admin\n    namespace: default\ncurrent-context: berth\nusers:\n- name: berth-admin\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\npreferences: {{}}\n",
            b64("CA PEM"),
            b64("CERT PEM"),
            b64("KEY PEM")
        )
    }

    #[test]
    fn parses_the_kubeconfig_berth_writes() {
        let c = parse(&sample()).expect("parses");
        assert_eq!(c.server, "https://127.0.0.1:40123");
        assert_eq!(c.ca_pem, b"CA PEM");
        assert_eq!(c.cert_pem, b"CERT PEM");
        assert_eq!(c.key_pem, b"KEY PEM");
    }

    #[test]
    fn accepts_quoted_values() {
        let text = sample().replace("server: https://127.0.0.1:40123", "server: \"https://127.0.0.1:1\"");
        assert_eq!(parse(&text).expect("parses").server, "https://127.0.0.1:1");
    }

    #[test]
    fn missing_key_is_named() {
        let text: String = sample()
            .lines()
            .filter(|l| !l.contains("client-key-data"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(parse(&text), Err(KubeconfigError::MissingField("client-key-data")));
    }

    #[test]
    fn bad_base64_is_named() {
        let text = sample().replace(&b64("CA PEM"), "!!!");
        assert!(matches!(
            parse(&text),
            Err(KubeconfigError::BadBase64 {
                field: "certificate-authority-data",
                ..
            })
        ));
    }
}
