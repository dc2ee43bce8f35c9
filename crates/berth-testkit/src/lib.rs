//! Dev-only test kit: a real `berth up` process on a free loopback port in a temp dir, the stock
//! `kubectl` pointed at it with a private discovery cache, and a kube-rs client.
//!
//! The binary comes from `BERTH_BIN`, or the path the caller passes (integration tests of the
//! `berth` package use `env!("CARGO_BIN_EXE_berth")`), so every end-to-end test shares one build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// A running berth, killed (by its PID) when dropped.
pub struct Berth {
    child: Option<Child>,
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// `https://127.0.0.1:PORT`
    pub url: String,
    pub kubeconfig: PathBuf,
    cache_dir: PathBuf,
    listen: String,
    extra_args: Vec<String>,
}

/// The result of one kubectl run.
#[derive(Debug)]
pub struct Kubectl {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Kubectl {
    /// Panics with both streams unless the command succeeded.
    pub fn ok(self) -> Kubectl {
        assert_eq!(
            self.status, 0,
            "kubectl failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the command failed.
    pub fn fails(self) -> Kubectl {
        assert_ne!(
            self.status, 0,
            "kubectl unexpectedly succeeded\nstdout:\n{}",
            self.stdout
        );
        self
    }
}

fn from_output(o: Output) -> Kubectl {
    Kubectl {
        status: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Berth {
    /// Starts `bin up` on 127.0.0.1:0 in a fresh temp dir and waits until it is ready.
    pub fn start(bin: impl AsRef<Path>) -> anyhow::Result<Berth> {
        Self::start_with_args(bin, &[])
    }

    /// Like [`Berth::start`], with extra arguments after `up` (kept for restarts), e.g.
    /// `["--watch-history", "5"]`.
    pub fn start_with_args(bin: impl AsRef<Path>, args: &[&str]) -> anyhow::Result<Berth> {
        let bin = std::env::var_os("BERTH_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| bin.as_ref().to_path_buf());
        let dir = tempfile::tempdir().context("temp dir")?;
        let cache_dir = dir.path().join("kubectl-cache");
        let mut b = Berth {
            child: None,
            bin,
            kubeconfig: dir.path().join("data/admin.kubeconfig"),
            dir,
            url: String::new(),
            cache_dir,
            listen: "127.0.0.1:0".into(),
            extra_args: args.iter().map(|a| a.to_string()).collect(),
        };
        b.spawn()?;
        Ok(b)
    }

    /// The process id of the running berth, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(&self.bin)
            .args(["up", "--data-dir"])
            .arg(self.data_dir())
            .args(["--listen", &self.listen])
            .args(&self.extra_args)
            .env(
                "RUST_LOG",
                std::env::var("BERTH_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("berth is up: ") => break l,
                Some(Ok(_)) => continue,
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("berth exited before it was up");
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = line
            .trim_start_matches("berth is up: ")
            .split_whitespace()
            .next()
            .context("url in the up line")?
            .to_string();
        // Restarts reuse the port, so kubectl's cache and the kubeconfig stay valid.
        self.listen = url.trim_start_matches("https://").to_string();
        self.url = url;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the process with SIGKILL (a crash), without cleanup.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the process with SIGTERM and waits for a clean exit; returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        let pid = c.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = c.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        c.wait().ok().and_then(|s| s.code())
    }

    /// Starts the process again on the same data dir and port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill9();
        self.spawn()
    }

    /// Runs the stock kubectl with this berth's kubeconfig and a private cache dir.
    pub fn kubectl(&self, args: &[&str]) -> Kubectl {
        self.kubectl_with(args, &[], None)
    }

    /// Runs kubectl with extra environment and optional stdin.
    pub fn kubectl_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Kubectl {
        let mut cmd = Command::new(std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into()));
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache_dir)
            .args(args)
            .env_remove("KUBECONFIG")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Ok(mut child) = cmd.spawn() else {
            panic!("cannot run kubectl: is it installed?");
        };
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write as _;
            let _ = pipe.write_all(input.as_bytes());
        }
        from_output(child.wait_with_output().expect("kubectl runs"))
    }

    /// Starts kubectl in the background (for `get -w`), output captured.
    pub fn kubectl_spawn(&self, args: &[&str]) -> Child {
        Command::new(std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into()))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache_dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs")
    }

    /// Writes `text` to a file in the temp dir and returns its path (for `-f`).
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write manifest");
        p.to_string_lossy().into_owned()
    }

    /// A kube-rs client for this berth.
    pub async fn client(&self) -> anyhow::Result<kube::Client> {
        let kc = kube::config::Kubeconfig::read_from(&self.kubeconfig)?;
        let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default()).await?;
        Ok(kube::Client::try_from(cfg)?)
    }
}

impl Drop for Berth {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `f` every 50 ms until it returns `Some`, or panics after `secs` seconds naming `what`.
pub fn eventually<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Manifests from the seed tutorials, shared by the end-to-end suites.
pub mod seed {
    /// The tutorials' headless Service `nginx` (port 80 named `web`, selector `app=nginx`).
    pub const NGINX_HEADLESS_SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
";

    /// Tutorial 000's `nginx-sts.yaml`: StatefulSet `web` (service `nginx`, label `app=nginx`,
    /// a `www` claim template of 1Gi mounted at the nginx html dir), with `replicas` and `image`.
    pub fn nginx_web(replicas: u32, image: &str) -> String {
        format!(
            "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: default
spec:
  serviceName: 'nginx'
  replicas: {replicas}
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: {image}
          ports:
            - name: web
              containerPort: 80
          volumeMounts:
            - name: www
              mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
    - metadata:
        name: www
      spec:
        accessModes: ['ReadWriteOnce']
        resources:
          requests:
            storage: 1Gi
"
        )
    }
}
