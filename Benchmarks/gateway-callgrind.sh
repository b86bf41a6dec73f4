#!/usr/bin/env bash
# Instructions per request through halo-gateway, counted by callgrind: the repeatable figure beside
# the wall-clock runs of gateway-rest.sh and grpc-passthrough.sh (which this shared machine moves
# by 20-30% between back-to-back runs). Same Go backend, same routes as those two.
#
#   Benchmarks/gateway-callgrind.sh                         N=20000 requests per scenario
#   GATEWAY_BIN=/path/to/other/halo-gateway BUILD=0 Benchmarks/gateway-callgrind.sh
#
# What it does:
#   1. builds halo-gateway (release, as the other benchmarks) unless BUILD=0, and measures a copy
#      without debug information (valgrind 3.19 gives up on the DWARF 5 the Swift toolchain writes);
#   2. starts the Go backend of ../shared/peers/grpc-gateway (GOMAXPROCS=1) and the gateway under
#      `valgrind --tool=callgrind` (its default event loops, auth none, grpc-gateway's JSON options);
#   3. per scenario: warm-up, counters zeroed, N requests, counters dumped: unary gRPC pass-through
#      (h2load -c16 -m16, GetVideo{id:1}), GET /v1/videos/1 over HTTP/1.1 (h2load --h1 -c16) and
#      HTTP/2 (-c16 -m16), GET /v1/videos?limit=10 over HTTP/1.1;
#   4. prints instructions per request, split by where they ran (the gateway binary with Swift's
#      runtime and NIO linked in, libnghttp2, libc), and calls to malloc per request;
#   5. unless FLOOR=0, counts the floor under the REST get the same way (halo-floor-bench,
#      Benchmarks/Floor): a bare SwiftNIO HTTP/1.1 server with a preformatted answer, and the same
#      server making one unary gRPC call per request over Halo's client connection (nghttp2).
# Counts are of user space only: the kernel's socket work (a third of the gateway's CPU in the
# wall-clock runs) is not in them. Stops only the processes it started.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PEER_DIR="${PEER_DIR:-$root/../shared/peers/grpc-gateway}"
export PEERS_DIR="${PEERS_DIR:-/tmp/peers/grpc-gateway}"
# shellcheck source=/dev/null
source "$PEER_DIR/env.sh"
N="${N:-20000}"
WARMUP_N="${WARMUP_N:-2000}"
BUILD="${BUILD:-1}"
FLOOR="${FLOOR:-1}"
GATEWAY_BIN="${GATEWAY_BIN:-$root/.build/release/halo-gateway}"
FLOOR_BIN="${FLOOR_BIN:-$root/.build/release/halo-floor-bench}"
OUT="${OUT:-$root/Benchmarks/results/gateway-callgrind-$(date -u +%Y%m%dT%H%M%SZ)}"

die() { echo "gateway-callgrind: $*" >&2; exit 1; }
for tool in h2load valgrind callgrind_control protoc python3 curl; do
    command -v "$tool" >/dev/null || die "$tool missing (apt-get install nghttp2-client valgrind protobuf-compiler)"
done
mkdir -p "$OUT"
"$PEER_DIR/setup.sh" > "$OUT/peer-setup.log" 2>&1 || { tail -20 "$OUT/peer-setup.log" >&2; die "peer setup failed"; }
if [[ "$BUILD" == 1 ]]; then
    swift build -c release --static-swift-stdlib --product halo-gateway >&2
    [[ "$FLOOR" == 1 ]] && swift build -c release --static-swift-stdlib --product halo-floor-bench >&2
fi
[[ -x "$GATEWAY_BIN" ]] || die "$GATEWAY_BIN missing"
cp "$GATEWAY_BIN" "$OUT/halo-gateway"
strip --strip-debug "$OUT/halo-gateway"
if [[ "$FLOOR" == 1 ]]; then
    [[ -x "$FLOOR_BIN" ]] || die "$FLOOR_BIN missing"
    cp "$FLOOR_BIN" "$OUT/halo-floor-bench"
    strip --strip-debug "$OUT/halo-floor-bench"
fi

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

backend_port="$(free_port)"
gateway_port="$(free_port)"
admin_port="$(free_port)"
GOMAXPROCS=1 BACKEND_PORT="$backend_port" "$PEER_DIR/run-backend.sh" > "$OUT/backend.log" 2>&1 &
pids+=($!)
protoc -I "$PEER_DIR/demo/proto" -I "$GOOGLEAPIS_PROTO_DIR" -I /usr/include --include_imports \
    --descriptor_set_out="$OUT/demo.protoset" "$PEER_DIR/demo/proto/demo/v1/demo.proto"
cat > "$OUT/gateway.yaml" <<EOC
listen: {host: 127.0.0.1, port: $gateway_port}
admin: {host: 127.0.0.1, port: $admin_port}
descriptor_set: $OUT/demo.protoset
json: {field_names: proto, emit_defaults: false, int64_as_number: false, enum_names: proto}
clusters:
  demo: {endpoints: ["127.0.0.1:$backend_port"], health_check: false}
services:
  demo.v1.VideoService: demo
route_defaults: {auth: none, timeout: 5s}
grpc: {default_auth: none}
EOC
# Waits (valgrind starts slowly) until `url` answers, or gives up naming `what`.
wait_until_answering() {  # url, what
    for _ in $(seq 600); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
    die "$2 does not answer"
}
HALO_LOG_LEVEL=warning valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.%p" \
    "$OUT/halo-gateway" --config "$OUT/gateway.yaml" > "$OUT/gateway.log" 2>&1 &
gateway_pid=$!
pids+=("$gateway_pid")
base="http://127.0.0.1:$gateway_port"
wait_until_answering "$base/v1/videos/1" "the gateway (see $OUT/gateway.log)"
if [[ "$FLOOR" == 1 ]]; then
    floor_fixed_port="$(free_port)"
    floor_grpc_port="$(free_port)"
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.%p" "$OUT/halo-floor-bench" --mode fixed \
        --listen "127.0.0.1:$floor_fixed_port" > "$OUT/floor-fixed.log" 2>&1 &
    floor_fixed_pid=$!
    pids+=("$floor_fixed_pid")
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.%p" "$OUT/halo-floor-bench" --mode grpc \
        --listen "127.0.0.1:$floor_grpc_port" --upstream "127.0.0.1:$backend_port" > "$OUT/floor-grpc.log" 2>&1 &
    floor_grpc_pid=$!
    pids+=("$floor_grpc_pid")
    wait_until_answering "http://127.0.0.1:$floor_fixed_port/v1/videos/1" "halo-floor-bench --mode fixed"
    wait_until_answering "http://127.0.0.1:$floor_grpc_port/v1/videos/1" "halo-floor-bench --mode grpc"
fi

printf '\x00\x00\x00\x00\x02\x08\x01' > "$OUT/getvideo-1.bin"
grpc=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$OUT/getvideo-1.bin")
{
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "gateway: $GATEWAY_BIN (built $(date -u -r "$GATEWAY_BIN" +%FT%TZ)); this checkout at $(git rev-parse --short HEAD)"
    echo "valgrind: $(valgrind --version); N=$N per scenario after $WARMUP_N warm-up"
} | tee "$OUT/env.txt"

declare -A dumps
scenario() {  # server pid, label, h2load arguments...
    local pid="$1" label="$2"; shift 2
    h2load -n "$WARMUP_N" "$@" > /dev/null
    callgrind_control -z "$pid" > /dev/null 2>&1
    h2load -n "$N" "$@" > "$OUT/$label.h2load.txt"
    callgrind_control -d "$pid" > /dev/null 2>&1
    dumps[$pid]=$((${dumps[$pid]:-0} + 1))
    local ok dump="$OUT/callgrind.$pid.${dumps[$pid]}"
    ok="$(awk '/^status codes:/ {print $3 + 0}' "$OUT/$label.h2load.txt")"
    [[ "$ok" == "$N" ]] || die "$label: only $ok of $N requests answered 2xx"
    for _ in $(seq 50); do [[ -s "$dump" ]] && break; sleep 0.2; done
    sleep 0.5
    python3 "$root/Benchmarks/tools/callgrind_split.py" "$dump" "$N" "$label"
}
{
    scenario "$gateway_pid" grpc-passthrough -c 16 -m 16 "${grpc[@]}" "$base/demo.v1.VideoService/GetVideo"
    scenario "$gateway_pid" rest-get-h1 --h1 -c 16 -m 1 "$base/v1/videos/1"
    scenario "$gateway_pid" rest-get-h2 -c 16 -m 16 "$base/v1/videos/1"
    scenario "$gateway_pid" rest-list10-h1 --h1 -c 16 -m 1 "$base/v1/videos?limit=10&offset=0"
    if [[ "$FLOOR" == 1 ]]; then
        scenario "$floor_fixed_pid" floor-fixed-h1 --h1 -c 16 -m 1 "http://127.0.0.1:$floor_fixed_port/v1/videos/1"
        scenario "$floor_grpc_pid" floor-grpc-h1 --h1 -c 16 -m 1 "http://127.0.0.1:$floor_grpc_port/v1/videos/1"
    fi
} | tee "$OUT/summary.txt"
echo "results in $OUT"
