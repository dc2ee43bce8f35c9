#!/usr/bin/env bash
# Runs berth's whole test suite on a fresh Debian 12 machine: installs what is missing, builds once, tests.
# Every end-to-end test shares the one `berth` binary that cargo builds for the test run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages the suite needs (none of them is a runtime dependency of berth itself).
pkgs=()
command -v cc >/dev/null || pkgs+=(build-essential)
command -v pkg-config >/dev/null || pkgs+=(pkg-config)
command -v ip >/dev/null || pkgs+=(iproute2)
if [ ${#pkgs[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${pkgs[@]}"
fi
# The stock kubectl is the client under test; it is not in Debian's archive, so it must be on the machine.
if ! command -v kubectl >/dev/null; then
  echo "scripts/test.sh: the stock kubectl (1.27-1.33) must be on PATH; set KUBECTL=/path/to/kubectl" >&2
  exit 1
fi
command -v cargo >/dev/null || { echo "scripts/test.sh: cargo (rustup) is required" >&2; exit 1; }

# Slow property and crash tests run too; they are gated so that a plain `cargo test` stays quick.
export BERTH_SLOW_TESTS="${BERTH_SLOW_TESTS:-1}"
# A one-shot build gains nothing from incremental state, which would double the disk it needs.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cargo build --workspace --all-targets --locked
# Integration tests outside the `berth` package find the binary here (inside it, cargo tells them).
export BERTH_BIN="$PWD/target/debug/berth"
cargo test --workspace --locked --no-fail-fast "$@"
