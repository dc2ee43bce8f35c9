//! Starting and stopping the `berth up` child: spawn, wait for the up line, poll `/readyz`, SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http::{Method, StatusCode};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::client::{self, Conn, Identity};
use crate::kubeconfig::{self, Credentials};

const UP_PREFIX: &str = "berth is up: ";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The URL and kubeconfig path announced on the up line `berth is up: URL (KUBECONFIG=PATH)`.
pub fn parse_up_line(line: &str) -> Option<(String, PathBuf)> {
    let rest = line.strip_prefix(UP_PREFIX)?;
    let (url, tail) = rest.split_once(' ')?;
    let path = tail.trim().strip_prefix("(KUBECONFIG=")?.strip_suffix(')')?;
    Some((url.to_string(), PathBuf::from(path)))
}

/// The socket address of an `https://IP:PORT` URL.
pub fn url_addr(url: &str) -> Option<SocketAddr> {
    url.strip_prefix("https://")?.trim_end_matches('/').parse().ok()
}

/// A running `berth up` that this driver started (killed on drop if still running).
pub struct Berth {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub creds: Credentials,
}

/// A started berth and how long it took.
pub struct Started {
    pub berth: Berth,
    /// Spawn to the up line on stdout.
    pub up_line: Duration,
    /// Spawn to the first 200 from `/readyz`.
    pub ready: Duration,
}

/// Spawns `bin up --data-dir DIR --listen 127.0.0.1:0` and waits until `/readyz` answers 200.
pub async fn start(bin: &Path, data_dir: &Path) -> anyhow::Result<Started> {
    start_with(bin, data_dir, &[]).await
}

/// Like [`start`], with more `berth up` arguments (e.g. `--sim-ready-delay 0`).
pub async fn start_with(bin: &Path, data_dir: &Path, extra: &[String]) -> anyhow::Result<Started> {
    let t0 = Instant::now();
    let mut child = Command::new(bin)
        .arg("up")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let pid = child.id().context("berth exited at once")?;
    let stdout = child.stdout.take().context("berth stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let (url, kubeconfig_path) = tokio::time::timeout(START_TIMEOUT, async {
        loop {
            match lines.next_line().await {
                Ok(Some(line)) => {
                    if let Some(found) = parse_up_line(&line) {
                        return Ok(found);
                    }
                }
                Ok(None) => bail!("berth exited before printing the up line"),
                Err(e) => bail!("reading berth stdout: {e}"),
            }
        }
    })
    .await
    .context("berth did not print the up line within 60 s")??;
    let up_line = t0.elapsed();
    // Keep draining stdout so berth never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let addr = url_addr(&url).with_context(|| format!("no IP:port in {url}"))?;
    let text =
        std::fs::read_to_string(&kubeconfig_path).with_context(|| format!("reading {}", kubeconfig_path.display()))?;
    let creds = kubeconfig::parse(&text)?;
    let anon = client::tls_config(&creds, Identity::Anonymous)?;
    let deadline = t0 + START_TIMEOUT;
    loop {
        if let Ok(mut conn) = Conn::connect(addr, anon.clone()).await {
            if let Ok((StatusCode::OK, _)) = conn.request(Method::GET, "/readyz", None, Bytes::new()).await {
                break;
            }
        }
        if Instant::now() > deadline {
            bail!("/readyz did not answer 200 within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let ready = t0.elapsed();
    Ok(Started {
        berth: Berth {
            child,
            pid,
            addr,
            creds,
        },
        up_line,
        ready,
    })
}

impl Berth {
    /// Sends SIGTERM to this child (by PID) and waits for it to exit; returns how long that took.
    pub async fn terminate(mut self) -> anyhow::Result<Duration> {
        let t0 = Instant::now();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .context("running kill -TERM")?;
        if !status.success() {
            bail!("kill -TERM {} failed", self.pid);
        }
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(r) => {
                r.context("waiting for berth to exit")?;
                Ok(t0.elapsed())
            }
            Err(_) => {
                let _ = self.child.kill().await;
                bail!("berth {} ignored SIGTERM for 20 s; killed", self.pid)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_line_yields_url_and_kubeconfig() {
        let line = "berth is up: https://127.0.0.1:41234 (KUBECONFIG=/tmp/x y/admin.kubeconfig)";
        let (url, path) = parse_up_line(line).expect("parses");
        assert_eq!(url, "https://127.0.0.1:41234");
        assert_eq!(path, PathBuf::from("/tmp/x y/admin.kubeconfig"));
        assert_eq!(url_addr(&url), Some("127.0.0.1:41234".parse().expect("addr")));
    }

    #[test]
    fn other_lines_are_not_the_up_line() {
        assert_eq!(parse_up_line("INFO starting"), None);
        assert_eq!(url_addr("http://127.0.0.1:1"), None);
    }
}
