#!/usr/bin/env bash
# Unary gRPC client benchmark (issue 10 §3): our client against the Go gRPC backend of the
# grpc-gateway peer, beside a grpc-go client doing the same, in one run. A benchmark, not a test:
# it fails only when it cannot measure (a client fails calls, or the backend does not start).
#
#   Benchmarks/rpc-client.sh                 REPEAT=3 DURATION=5 C=32, results in Benchmarks/results/<utc>/
#
# What it does:
#   1. runs $PEER_DIR/setup.sh (builds the Go backend; idempotent) and builds the Go client
#      (Benchmarks/go-client, GOPATH mode against Debian's grpc-go and the peer's generated code);
#   2. starts the Go backend (GOMAXPROCS=$BACKEND_PROCS) on a free port;
#   3. runs, alternating, REPEAT times each: `halo-rpc-bench --mode connection` (our bare
#      Subchannel), `halo-rpc-bench --mode cluster` (the Upstream LoopPool on top: pick, breaker,
#      limits, retry bookkeeping, deadline) and the Go client with GOMAXPROCS=$GO_PROCS; each keeps
#      C calls in flight for DURATION s after a warm-up, GetVideo{id: 1} with a 5 s deadline;
#   4. reports per client the median req/s and client CPU µs per call (getrusage of the client
#      process over the measured window), ours ÷ Go, and the layer's cost: the median over repeats
#      of cluster − connection.
# Stops only the processes it started.
#
# Knobs: HALO_RPC_BENCH (default .build/release/halo-rpc-bench), PEER_DIR, REPEAT, DURATION,
# WARMUP, C, GO_PROCS (default 1), BACKEND_PROCS (default 1), OUT.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

PEER_DIR="${PEER_DIR:-$root/../shared/peers/grpc-gateway}"
BIN="${HALO_RPC_BENCH:-$root/.build/release/halo-rpc-bench}"
REPEAT="${REPEAT:-3}"
DURATION="${DURATION:-5}"
WARMUP="${WARMUP:-1}"
C="${C:-32}"
GO_PROCS="${GO_PROCS:-1}"
BACKEND_PROCS="${BACKEND_PROCS:-1}"
OUT="${OUT:-$root/Benchmarks/results/rpc-client-$(date -u +%Y%m%dT%H%M%SZ)}"

"$PEER_DIR/setup.sh" > /dev/null
# shellcheck source=/dev/null
source "$PEER_DIR/env.sh"
[[ -x "$BIN" ]] || { echo "no $BIN: swift build -c release --static-swift-stdlib --product halo-rpc-bench" >&2; exit 1; }

mkdir -p "$PEERS_DIR/gopath/src/halobench" "$OUT"
cp "$root/Benchmarks/go-client/main.go" "$PEERS_DIR/gopath/src/halobench/main.go"
GO_CLIENT="$PEERS_DIR/bin/halo-bench-go-client"
(go_env && go build -o "$GO_CLIENT" halobench)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
GOMAXPROCS="$BACKEND_PROCS" "$PEERS_DIR/bin/demo-backend" -addr "127.0.0.1:$port" > "$OUT/backend.log" 2>&1 &
backend=$!
trap 'kill "$backend" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
done

run() {  # name, command...
    local name="$1"; shift
    local line
    line="$("$@")"
    echo "$name $line" | tee -a "$OUT/runs.txt"
    if ! grep -q ' failures=0 ' <<< "$line"; then echo "$name failed calls" >&2; exit 1; fi
}

echo "client concurrency=$C duration=${DURATION}s repeat=$REPEAT go_procs=$GO_PROCS backend_procs=$BACKEND_PROCS" \
    | tee "$OUT/setup.txt"
for _ in $(seq "$REPEAT"); do
    args=(--target "127.0.0.1:$port" --concurrency "$C" --duration "$DURATION" --warmup "$WARMUP")
    run connection "$BIN" --mode connection "${args[@]}"
    run cluster "$BIN" --mode cluster "${args[@]}"
    run go env GOMAXPROCS="$GO_PROCS" "$GO_CLIENT" -target "127.0.0.1:$port" -concurrency "$C" \
        -duration "$DURATION" -warmup "$WARMUP"
done

python3 - "$OUT/runs.txt" << 'PY' | tee "$OUT/summary.txt"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, *fields = line.split()
    values = dict(field.split("=", 1) for field in fields)
    runs.setdefault(name, []).append((float(values["rps"]), float(values["cpu_us_per_call"])))
median = {name: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for name, v in runs.items()}
print("| client | req/s (median) | client CPU µs/call (median) | ÷ Go |")
print("|---|---:|---:|---:|")
for name in ("connection", "cluster", "go"):
    rps, cpu = median[name]
    print(f"| {name} | {rps:,.0f} | {cpu:.2f} | {cpu / median['go'][1]:.2f} |")
# The layer's cost per repeat (cluster minus the connection run just before it): load that drifts
# between repeats cancels out better than in a difference of medians.
pairs = [c[1] - b[1] for b, c in zip(runs["connection"], runs["cluster"])]
print(f"\ncluster layer cost: {statistics.median(pairs):+.2f} µs/call over the bare connection"
      f" (median of per-repeat differences {', '.join(f'{p:+.2f}' for p in pairs)})")
PY
