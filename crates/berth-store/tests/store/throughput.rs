//! Write throughput over redb with 64 concurrent writers; runs only with `BERTH_SLOW_TESTS=1` (measure with `--release`).

use std::sync::Arc;
use std::time::Instant;

use berth_store::{Precondition as P, RedbBackend, Store, StoreConfig, Write};

const WRITERS: usize = 64;
const WRITES_PER_WRITER: usize = 500;

#[test]
fn sixty_four_writers_report_writes_per_second_over_redb() {
    if std::env::var("BERTH_SLOW_TESTS").as_deref() != Ok("1") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = RedbBackend::open(&dir.path().join("store.redb")).expect("redb opens");
    let store = Store::open(Arc::new(backend), StoreConfig::default()).expect("store loads");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let value = vec![b'x'; 512];
    let started = Instant::now();
    rt.block_on(async {
        let mut writers = tokio::task::JoinSet::new();
        for w in 0..WRITERS {
            let store = store.clone();
            let value = value.clone();
            writers.spawn(async move {
                for i in 0..WRITES_PER_WRITER {
                    let value = value.clone();
                    let key = format!("/registry/pods/ns{w}/pod-{i}");
                    store
                        .write(Write::put(key, P::MustNotExist, move |_| value))
                        .await
                        .expect("write");
                }
            });
        }
        while let Some(done) = writers.join_next().await {
            done.expect("writer task");
        }
    });
    let elapsed = started.elapsed();
    let total = WRITERS * WRITES_PER_WRITER;
    println!(
        "berth-store throughput: {total} writes by {WRITERS} writers in {:.2?}: {:.0} writes/s",
        elapsed,
        total as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(store.revision(), total as u64);
}
