//! Crash safety: a child process is SIGKILLed mid-stream; every write it acknowledged survives.

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use berth_store::{Precondition as P, RedbBackend, Store, StoreConfig, Write};

/// Set (to the store directory) only in the child process.
const CHILD_DIR_ENV: &str = "BERTH_STORE_CRASH_CHILD_DIR";
const CHILD_ROUND_ENV: &str = "BERTH_STORE_CRASH_CHILD_ROUND";
const CHILD_TEST: &str = "crash::crash_child_writes_and_prints_each_acknowledged_key";
const KILL_AFTER: usize = 300;
const ROUNDS: usize = 3;

fn value_of(key: &str) -> Vec<u8> {
    format!("value of {key}").into_bytes()
}

fn open(dir: &Path) -> Store {
    let backend = RedbBackend::open(&dir.join("store.redb")).expect("redb opens");
    Store::open(Arc::new(backend), StoreConfig::default()).expect("store loads")
}

/// The child half: does nothing unless the parent marked this process as its child.
#[test]
fn crash_child_writes_and_prints_each_acknowledged_key() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let round = std::env::var(CHILD_ROUND_ENV).expect("the parent sets the round");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = open(Path::new(&dir));
        let mut writers = tokio::task::JoinSet::new();
        for w in 0..8 {
            let store = store.clone();
            let round = round.clone();
            writers.spawn(async move {
                // Bounded, so an orphaned child stops by itself.
                for i in 0..5_000 {
                    let key = format!("/crash/r{round}/w{w}/{i:05}");
                    let value = value_of(&key);
                    store
                        .write(Write::put(key.clone(), P::MustNotExist, move |_| value))
                        .await
                        .expect("write");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {key}").expect("stdout");
                    out.flush().expect("stdout");
                }
            });
        }
        while let Some(done) = writers.join_next().await {
            done.expect("writer task");
        }
    });
}

#[test]
fn a_killed_store_keeps_every_acknowledged_write() {
    if std::env::var_os(CHILD_DIR_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary path");
    let mut all_acked = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR_ENV, dir.path())
            .env(CHILD_ROUND_ENV, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("child starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut acked = 0;
        // Every line read was printed after its write returned Ok, including those still in the
        // pipe when the kill lands, so all of them must survive.
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("child stdout");
            if let Some(key) = line.strip_prefix("ACK ") {
                all_acked.push(key.to_owned());
                acked += 1;
                if acked == KILL_AFTER {
                    child.kill().expect("SIGKILL the child");
                }
            }
        }
        let status = child.wait().expect("child exits");
        assert!(
            acked >= KILL_AFTER,
            "round {round}: child stopped after {acked} writes ({status})"
        );
        assert!(!status.success(), "round {round}: the child was killed, not finished");

        let store = open(dir.path());
        eprintln!(
            "round {round}: {acked} writes acknowledged before the kill landed; store at revision {}",
            store.revision()
        );
        for key in &all_acked {
            let (_, value) = store
                .get(key)
                .unwrap_or_else(|| panic!("round {round}: acknowledged {key} is lost"));
            assert_eq!(value, value_of(key), "round {round}: {key}");
        }
        let max_mod = store.list("").items.iter().map(|i| i.1).max().unwrap_or(0);
        assert!(
            store.revision() >= max_mod,
            "revision {} behind a key's {max_mod}",
            store.revision()
        );
    }
}
