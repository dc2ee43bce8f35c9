//! End to end: `--feature-gates` parsing at the command line (the gates' effects are tested by the
//! S9 scenarios in `statefulset_scenarios.rs`).

use std::process::Command;

fn up(gates: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(["--feature-gates", gates])
        .env_remove("BERTH_FEATURE_GATES")
        .output()
        .expect("berth runs")
}

#[test]
fn an_unknown_feature_gate_is_rejected_naming_it_and_the_known_ones() {
    let out = up("MaxUnavailableStatefulSet=true,NoSuchGate=true");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'MaxUnavailableStatefulSet=true,NoSuchGate=true' for '--feature-gates <GATES>'")
            && err.contains("unrecognized feature gate: NoSuchGate (known gates: MaxUnavailableStatefulSet)"),
        "{err}"
    );
}

#[test]
fn a_feature_gate_without_a_bool_is_rejected() {
    let out = up("MaxUnavailableStatefulSet=yes");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value of MaxUnavailableStatefulSet=yes"), "{err}");
}
