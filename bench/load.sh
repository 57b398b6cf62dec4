#!/usr/bin/env bash
# The service under load, over loopback HTTP (issue 7's load benchmark).
#
#   bash bench/load.sh [--bin PATH] [--customers N] [--days N] [--rate R] [--duration S]
#                      [--connections C] [--body-mib M] [--keep]
#
# 1. Simulates a world (default 20,000 customers over 90 days, the demo's size).
# 2. (b) Batch ingest: a release `clawback serve` on a new data directory on disk takes
#    the whole world as JSON Lines bodies of ~M MiB (default 8) over 2 keep-alive
#    connections; events per second = events / wall time, each body answered only once
#    fsync'd. This also pre-loads the world's customers and orders.
# 3. (a) Single-refund decisions on that server: POST /v1/events of one new
#    `refund_requested` each (unique event_id and refund_id, a real order of the world;
#    bench/load_refunds.py), open loop at a fixed R requests/s (default 5,000) for S
#    seconds (default 10) after 2 s of warm-up, on C connections (default 32), by
#    bench/loadgen.rs (std-only Rust; oha -Z would resend random lines, i.e. duplicates).
#    Latency is from each request's due time to its whole answer. Each answer is checked:
#    200, accepted 1 and a refund decision in it.
# 4. The same on a data directory in /dev/shm (tmpfs: fsync costs nothing), the world
#    loaded with `clawback ingest`: the service's own time without the disk's flush.
# 5. (c) The server's peak RSS (VmHWM from /proc) after each phase, and its CPU time.
# If oha is in ~/.cache/clawback-tools/bin (cargo install oha --locked --root
# ~/.cache/clawback-tools), it is also run on GET /healthz at the same rate next to
# loadgen, as a check of the generator.
#
# Everything stays on 127.0.0.1 and every loop is bounded in count and time. Needs ~2.5 GB
# of disk and ~1.5 GB of /dev/shm for the default world; both are removed at the end
# (--keep keeps them).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=
CUSTOMERS=20000
DAYS=90
RATE=5000
DURATION=10
WARMUP=2
CONNECTIONS=32
BODY_MIB=8
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --customers) CUSTOMERS=$2; shift 2 ;;
    --days) DAYS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --body-mib) BODY_MIB=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$BIN" ]; then
  echo "== building the release binary (cargo build --release --locked)"
  cargo build --release --locked --bin clawback
  BIN=${CARGO_TARGET_DIR:-target}/release/clawback
fi
[ -x "$BIN" ] || { echo "load.sh: $BIN is not an executable" >&2; exit 1; }

CACHE=${HOME:-/tmp}/.cache/clawback-bench
mkdir -p "$CACHE"
LOADGEN=$CACHE/loadgen-$(sha256sum bench/loadgen.rs | cut -c1-16)
if [ ! -x "$LOADGEN" ]; then
  rustc -O --edition 2021 bench/loadgen.rs -o "$LOADGEN"
fi
OHA=${OHA:-$HOME/.cache/clawback-tools/bin/oha}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clawback-load-XXXXXX")
SHM=$(mktemp -d /dev/shm/clawback-load-XXXXXX)
PID=
stop_server() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi
}
cleanup() {
  stop_server
  if [ "$KEEP" = 1 ]; then echo "kept $WORK and $SHM"; else rm -rf "$WORK" "$SHM"; fi
}
trap cleanup EXIT

# Starts `clawback serve` on DIR; sets PID and ADDR.
start_server() {
  local dir=$1
  "$BIN" serve --data "$dir" --listen 127.0.0.1:0 --rate-limit 1000000 --burst 1000000 \
    --max-body-mib 16 >"$dir.out" 2>"$dir.err" &
  PID=$!
  for _ in $(seq 1 1200); do
    grep -q '^listening on ' "$dir.out" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$dir.err" >&2; exit 1; }
    sleep 0.1
  done
  ADDR=$(sed -n 's|^listening on http://||p' "$dir.out")
  [ -n "$ADDR" ] || { echo "load.sh: the server did not start" >&2; cat "$dir.err" >&2; exit 1; }
}

# VmHWM and VmRSS of the server, in MiB.
rss() {
  awk '/^VmHWM/ {h=$2} /^VmRSS/ {r=$2} END {printf "peak RSS %.0f MiB (now %.0f MiB)", h/1024, r/1024}' "/proc/$PID/status"
}
# CPU seconds the server has used.
cpu() {
  awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/t}' "/proc/$PID/stat"
}

# Load average of the machine (other jobs share its cores and its disk).
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average $(loadavg); $("$BIN" --version)"
echo "== simulating $CUSTOMERS customers over $DAYS days"
"$BIN" simulate --customers "$CUSTOMERS" --days "$DAYS" --seed 53 --out "$WORK/world" >/dev/null 2>&1
EVENTS=$(wc -l <"$WORK/world/events.jsonl")
echo "   $EVENTS events, $(du -m "$WORK/world/events.jsonl" | cut -f1) MiB"
NREF=$(awk -v r="$RATE" -v d="$DURATION" -v w="$WARMUP" 'BEGIN {printf "%d", r*(d+w)+1000}')
python3 bench/load_refunds.py "$WORK/world/events.jsonl" $((NREF * 2)) "$WORK/refunds.jsonl" --tag load
head -n "$NREF" "$WORK/refunds.jsonl" >"$WORK/refunds-disk.jsonl"
tail -n "$NREF" "$WORK/refunds.jsonl" >"$WORK/refunds-shm.jsonl"

echo
sync   # the simulated world was just written: flush it before timing the service
echo "== (b) batch ingest over HTTP, data directory on disk ($WORK/data; load average $(loadavg))"
ADMIN=$("$BIN" keys create --data "$WORK/data" --role admin --name load 2>/dev/null)
start_server "$WORK/data"
"$LOADGEN" batch --addr "$ADDR" --header "Authorization: Bearer $ADMIN" \
  --content-type application/x-ndjson --file "$WORK/world/events.jsonl" \
  --body-mib "$BODY_MIB" --connections 2 >"$WORK/batch.json"
echo "   server after the batch: $(rss); CPU $(cpu) s, $(awk -v c="$(cpu)" -v n="$EVENTS" 'BEGIN {printf "%.2f", c*1e6/n}') µs per event"

echo
# The benchmark has just written ~2 GB of its own (the world, the refunds, the batch's log):
# let the kernel write that back now, or its writeback queues in front of the service's
# fsyncs and the disk phase measures the benchmark's own files.
sync
echo "== (a) single-refund decisions at $RATE/s for ${DURATION}s, data directory on disk (load average $(loadavg))"
CPU0=$(cpu)
"$LOADGEN" rate --addr "$ADDR" --header "Authorization: Bearer $ADMIN" \
  --bodies "$WORK/refunds-disk.jsonl" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
  --connections "$CONNECTIONS" >"$WORK/rate-disk.json" || true
echo "   server: $(rss); CPU $(awk -v a="$CPU0" -v b="$(cpu)" -v n="$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' "$WORK/rate-disk.json")" -v w="$(awk -v r="$RATE" -v w="$WARMUP" 'BEGIN {print r*w}')" 'BEGIN {printf "%.2f s during the run, %.0f µs per request", b-a, (b-a)*1e6/(n+w)}')"
stop_server

echo
echo "== (a') the same with the data directory in /dev/shm (no disk flush; load average $(loadavg))"
"$BIN" ingest --data "$SHM/data" "$WORK/world/events.jsonl" >/dev/null
ADMIN=$("$BIN" keys create --data "$SHM/data" --role admin --name load 2>/dev/null)
start_server "$SHM/data"
echo "   server after replaying the world on start: $(rss)"
CPU0=$(cpu)
"$LOADGEN" rate --addr "$ADDR" --header "Authorization: Bearer $ADMIN" \
  --bodies "$WORK/refunds-shm.jsonl" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
  --connections "$CONNECTIONS" >"$WORK/rate-shm.json" || true
echo "   server: $(rss); CPU $(awk -v a="$CPU0" -v b="$(cpu)" -v n="$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' "$WORK/rate-shm.json")" -v w="$(awk -v r="$RATE" -v w="$WARMUP" 'BEGIN {print r*w}')" 'BEGIN {printf "%.2f s during the run, %.0f µs per request", b-a, (b-a)*1e6/(n+w)}')"
if [ -x "$OHA" ]; then
  echo
  echo "== generator check: GET /healthz at $RATE/s, loadgen then oha"
  "$LOADGEN" rate --method GET --path /healthz --addr "$ADDR" --rate "$RATE" --duration 5 --warmup 1 \
    --connections "$CONNECTIONS" >/dev/null || true
  "$OHA" --no-tui -q "$RATE" -z 5s -c "$CONNECTIONS" --latency-correction "http://$ADDR/healthz" 2>&1 |
    grep -E 'Requests/sec|50.00%|90.00%|99.00%|99.90%|Slowest' | sed 's/^/   oha: /' || true
fi
stop_server
echo
echo "== results (JSON): batch $(cat "$WORK/batch.json")"
echo "   rate on disk: $(cat "$WORK/rate-disk.json")"
echo "   rate on tmpfs: $(cat "$WORK/rate-shm.json")"
