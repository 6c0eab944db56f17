#!/usr/bin/env bash
# End-to-end tests of Basalt's DynamoDB endpoint with real AWS clients.
#
#   tests/e2e/run.sh            install what is missing, build, start servers, run every suite
#
# Environment:
#   BASALT_SERVER_BIN=PATH      use this server binary instead of `cargo build --release -p basalt-server`
#   BASALT_E2E_SUITES="a b"     run only these suites (names as in SUITES below, e.g. "boto3_test.py")
#   BASALT_E2E_SKIP_AUTH=1      skip the second server (started with --credentials) and its checks
#   BASALT_E2E_KEEP=1           keep the temp folder (data dirs, server logs, suite outputs) at the end
#
# Installs go into git-ignored folders next to this script: node/node_modules (npm ci from
# node/package-lock.json) and .venv (pip, requirements.txt). Each is redone only when its lock file
# changed. Prints one line per suite and closes with 'e2e: N passed, N failed' (tests, all suites);
# exits non-zero if any test failed or a server could not be started.
set -uo pipefail

E2E_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_DIR="$(cd "$E2E_DIR/../.." && pwd)"
NODE_DIR="$E2E_DIR/node"
VENV_DIR="$E2E_DIR/.venv"

SUITES_DEFAULT="js_v2_doc_example.js js_v3.mjs boto3_test.py awscli_test.sh http_test.py"
SUITES="${BASALT_E2E_SUITES:-$SUITES_DEFAULT}"

log() { printf '== %s\n' "$*"; }
die() { printf 'e2e: %s\n' "$*" >&2; exit 2; }

hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# ---------------------------------------------------------------- 1. installs
install_node() {
  command -v node >/dev/null || die "node is not installed"
  command -v npm >/dev/null || die "npm is not installed"
  local want stamp="$NODE_DIR/node_modules/.basalt-e2e-lock"
  want="$(hash_of "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json") node-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "npm ci (tests/e2e/node)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  printf '%s' "$want" >"$stamp"
}

install_venv() {
  local want stamp="$VENV_DIR/.basalt-e2e-requirements"
  want="$(hash_of "$E2E_DIR/requirements.txt") $(python3 --version 2>&1)"
  if [ -x "$VENV_DIR/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "python venv (tests/e2e/.venv)"
  rm -rf "$VENV_DIR"
  python3 -m venv "$VENV_DIR" || die "python3 -m venv failed"
  "$VENV_DIR/bin/pip" install --quiet --disable-pip-version-check -r "$E2E_DIR/requirements.txt" \
    || die "pip install failed"
  printf '%s' "$want" >"$stamp"
}

install_node
install_venv
PY="$VENV_DIR/bin/python"

# ---------------------------------------------------------------- 2. server binary
if [ -n "${BASALT_SERVER_BIN:-}" ]; then
  SERVER_BIN="$BASALT_SERVER_BIN"
else
  log "cargo build --release -p basalt-server"
  (cd "$REPO_DIR" && cargo build --release -p basalt-server) || die "cargo build failed"
  SERVER_BIN="${CARGO_TARGET_DIR:-$REPO_DIR/target}/release/basalt"
fi
[ -x "$SERVER_BIN" ] || die "server binary not found or not executable: $SERVER_BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/basalt-e2e.XXXXXX")"
SERVER_PIDS=()
cleanup() {
  local pid i
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || continue
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "${BASALT_E2E_KEEP:-0}" = "1" ]; then
    echo "e2e: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME [extra flags...]: sets STARTED_ENDPOINT; the log is $WORK/NAME.log
start_server() {
  local name="$1"; shift
  local port pid deadline
  port="$(free_port)"
  mkdir -p "$WORK/$name-data"
  "$SERVER_BIN" --port "$port" --bind 127.0.0.1 --data-dir "$WORK/$name-data" \
    --log-level "${BASALT_E2E_LOG_LEVEL:-warn}" --ttl-scan-interval 0.2 "$@" >"$WORK/$name.log" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid")
  deadline=$((SECONDS + 30))
  # Any HTTP answer to GET / will do here (http_test.py and auth_test.py check it is a 200).
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null)" != "000" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "---- $name server log"; cat "$WORK/$name.log"
      die "server '$name' exited before answering GET /"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "---- $name server log"; cat "$WORK/$name.log"
      die "server '$name' did not answer GET / on port $port within 30 s"
    fi
    sleep 0.2
  done
  STARTED_ENDPOINT="http://127.0.0.1:$port"
  log "server '$name' (pid $pid) at $STARTED_ENDPOINT"
}

# ---------------------------------------------------------------- 3. suites
export AWS_ACCESS_KEY_ID=basalt-test
export AWS_SECRET_ACCESS_KEY=basalt-test-secret
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
# Nothing from the user's ~/.aws may leak in, and nothing may be looked up elsewhere.
export AWS_CONFIG_FILE="$WORK/aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_EC2_METADATA_DISABLED=true
export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1
export AWS_PAGER=""
export PYTHONDONTWRITEBYTECODE=1
export PATH="$VENV_DIR/bin:$PATH"

TOTAL_PASSED=0
TOTAL_FAILED=0
SUITE_FAILURES=()

# run_suite LABEL FILE: runs one suite file against $BASALT_ENDPOINT and adds up its counts
# from its closing 'NAME: N passed, N failed' line.
run_suite() {
  local label="$1" file="$2" out rc line passed failed
  out="$WORK/suite-$label.out"
  log "suite $label"
  case "$file" in
    *.js | *.mjs) timeout 120 node --no-warnings "$E2E_DIR/$file" >"$out" 2>&1 ;;
    *.py) timeout 120 "$PY" "$E2E_DIR/$file" >"$out" 2>&1 ;;
    *.sh) timeout 120 bash "$E2E_DIR/$file" >"$out" 2>&1 ;;
    *) die "unknown suite type: $file" ;;
  esac
  rc=$?
  cat "$out"
  line="$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)"
  if [ -n "$line" ]; then
    passed="$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")"
    failed="$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")"
  else
    passed=0; failed=1
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1   # crashed or timed out after (or without) its summary
    echo "e2e: suite $label exited with status $rc"
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  [ "$failed" -eq 0 ] || SUITE_FAILURES+=("$label")
}

start_server open
export BASALT_ENDPOINT="$STARTED_ENDPOINT"
for suite in $SUITES; do
  run_suite "$suite" "$suite"
done

if [ "${BASALT_E2E_SKIP_AUTH:-0}" != "1" ]; then
  cat >"$WORK/credentials.ini" <<EOF
[default]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
EOF
  start_server auth --credentials "$WORK/credentials.ini"
  export BASALT_ENDPOINT="$STARTED_ENDPOINT"
  run_suite "auth:auth_test.py" auth_test.py
  run_suite "auth:boto3_test.py" boto3_test.py
fi

# A server that logged a panic fails the run even if every client was happy.
for f in "$WORK"/*.log; do
  if grep -q "panicked at" "$f"; then
    echo "e2e: server log $(basename "$f") has a panic:"; grep -A5 "panicked at" "$f" | head -20
    TOTAL_FAILED=$((TOTAL_FAILED + 1)); SUITE_FAILURES+=("server-panic:$(basename "$f")")
  fi
done

echo
if [ "${#SUITE_FAILURES[@]}" -gt 0 ]; then
  echo "e2e: failing: ${SUITE_FAILURES[*]}"
fi
echo "e2e: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" -eq 0 ]
