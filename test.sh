#!/usr/bin/env bash
# Runs every test of Basalt, installing what the tests need on first use (cargo-fuzz; the AWS
# SDKs for JavaScript from npm and boto3 and the AWS CLI from PyPI, into tests/e2e/):
#   1. unit, integration, crash and doc tests of the whole workspace (benches run once, as tests);
#   2. end-to-end tests of basalt-server with the real AWS SDKs and CLI (tests/e2e/run.sh);
#   3. the loom models (LOOM_MAX_PREEMPTIONS=2);
#   4. each fuzz target for BASALT_FUZZ_SECONDS seconds (default 30).
# Set BASALT_SKIP_E2E=1 or BASALT_SKIP_FUZZ=1 to leave out step 2 or 4 while iterating.
set -euo pipefail
cd "$(dirname "$0")"

echo "== workspace tests"
cargo test --workspace --all-targets
cargo test --workspace --doc

if [ "${BASALT_SKIP_E2E:-0}" != "1" ]; then
  echo "== end-to-end tests with the AWS SDKs and CLI"
  tests/e2e/run.sh
fi

echo "== loom models"
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
  cargo test -p basalt-wal --release --test loom_group_commit
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
  cargo test -p basalt --release --test loom_version_cell
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
  cargo test -p basalt --release --test loom_commit
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
  cargo test -p basalt --release --test loom_stream_wakeup
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
  cargo test -p basalt --release --test loom_deferred

if [ "${BASALT_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== fuzz targets"
  if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
  fi
  seconds="${BASALT_FUZZ_SECONDS:-30}"
  for target in $(cd fuzz && cargo fuzz list); do
    echo "-- $target (${seconds}s)"
    (cd fuzz && cargo fuzz run "$target" --sanitizer=none -- \
      -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 2>&1 | tail -n 12)
  done
fi
echo "all tests passed"
