#!/usr/bin/env bash
# gRPC pass-through benchmark (issue 13 §3): unary calls through halo-gateway to the Go backend of
# ../shared/peers/grpc-gateway against direct calls to the same backend, same load generator, same
# run. The figure that matters is the gateway's own CPU per call (goal: under 5 µs): what a call
# costs the gateway process, from /proc (utime + stime over the run) divided by the calls.
# A benchmark, not a test: it fails only when it cannot measure (something does not start, or a
# call does not answer grpc-status 0 with the expected video).
#
#   Benchmarks/grpc-passthrough.sh                  REPEAT=1 N=200000 C=16 M=16 by default
#   REPEAT=3 N=500000 NICE=-15 Benchmarks/grpc-passthrough.sh
#
# What it does:
#   1. runs $PEER_DIR/setup.sh (builds the Go backend; idempotent) and builds halo-gateway (release);
#   2. starts the Go backend (GOMAXPROCS=1) and halo-gateway (its default two event loops) with a
#      configuration naming only the backend's service (demo.v1.VideoService), pass-through auth
#      `none` (no token to verify: the transport's cost, not the verifier's);
#   3. checks both paths answer GetVideo{id:1} with grpc-status 0 and "Video number 1" (nghttp),
#      because h2load counts any HTTP 200 as success, gRPC errors included;
#   4. warms both up, then runs h2load -n $N -c $C -m $M with the same 7-byte request body
#      (00 00000002 08 01), direct and through the gateway alternating, REPEAT times;
#   5. per run: calls/s, the gateway's CPU per call, the backend's CPU per call, the load average.
# Stops only the processes it started.
set -euo pipefail

if [[ -n "${NICE:-}" && -z "${_GRPC_PASSTHROUGH_NICED:-}" ]]; then
    export _GRPC_PASSTHROUGH_NICED=1
    exec nice -n "$NICE" "$0" "$@"
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PEER_DIR="${PEER_DIR:-$root/../shared/peers/grpc-gateway}"
export PEERS_DIR="${PEERS_DIR:-/tmp/peers/grpc-gateway}"
# shellcheck source=/dev/null
source "$PEER_DIR/env.sh"
REPEAT="${REPEAT:-1}"
N="${N:-200000}"
C="${C:-16}"
M="${M:-16}"
WARMUP_N="${WARMUP_N:-$((N / 10))}"
BUILD="${BUILD:-1}"
GATEWAY_BIN="${GATEWAY_BIN:-$root/.build/release/halo-gateway}"
OUT="${OUT:-$root/Benchmarks/results/grpc-passthrough-$(date -u +%Y%m%dT%H%M%SZ)}"
PATH_GET="/demo.v1.VideoService/GetVideo"

die() { echo "grpc-passthrough: $*" >&2; exit 1; }
for tool in h2load nghttp python3 protoc; do
    command -v "$tool" >/dev/null || die "$tool missing (apt-get install nghttp2-client protobuf-compiler)"
done
mkdir -p "$OUT"
REQ="$OUT/getvideo-1.bin"
printf '\x00\x00\x00\x00\x02\x08\x01' > "$REQ"
CLK="$(getconf CLK_TCK)"

echo "== building the Go peer ($PEER_DIR/setup.sh, log in $OUT/peer-setup.log)"
"$PEER_DIR/setup.sh" > "$OUT/peer-setup.log" 2>&1 || { tail -20 "$OUT/peer-setup.log" >&2; die "peer setup failed"; }
if [[ "$BUILD" == 1 ]]; then
    echo "== building halo-gateway (release)"
    swift build -c release --product halo-gateway >&2
fi
[[ -x "$GATEWAY_BIN" ]] || die "$GATEWAY_BIN missing"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
    local i
    for ((i = 0; i < 100; i++)); do port_open "$1" && return 0; sleep 0.1; done
    die "nothing listens on $1; see $OUT"
}

backend_port="$(free_port)"
gateway_port="$(free_port)"
admin_port="$(free_port)"
GOMAXPROCS=1 BACKEND_PORT="$backend_port" "$PEER_DIR/run-backend.sh" > "$OUT/backend.log" 2>&1 &
backend_pid=$!  # run-backend.sh execs the binary
pids+=("$backend_pid")
wait_port "$backend_port"

protoc -I "$PEER_DIR/demo/proto" -I "$GOOGLEAPIS_PROTO_DIR" -I /usr/include --include_imports \
    --descriptor_set_out="$OUT/demo.protoset" "$PEER_DIR/demo/proto/demo/v1/demo.proto"
cat > "$OUT/gateway.yaml" <<EOF
listen: {host: 127.0.0.1, port: $gateway_port}
admin: {host: 127.0.0.1, port: $admin_port}
descriptor_set: $OUT/demo.protoset
clusters:
  demo: {endpoints: ["127.0.0.1:$backend_port"], health_check: false}
services:
  demo.v1.VideoService: demo
route_defaults: {auth: none, timeout: 5s}
grpc: {default_auth: none}
EOF
HALO_LOG_LEVEL=warning "$GATEWAY_BIN" --config "$OUT/gateway.yaml" > "$OUT/gateway.log" 2>&1 &
gateway_pid=$!
pids+=("$gateway_pid")
wait_port "$gateway_port"

url_direct="http://127.0.0.1:$backend_port$PATH_GET"
url_gateway="http://127.0.0.1:$gateway_port$PATH_GET"
for url in "$url_direct" "$url_gateway"; do
    check="$OUT/check.txt"
    for ((i = 0; i < 50; i++)); do
        nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -d "$REQ" "$url" > "$check" 2>&1 || true
        grep -aq 'grpc-status: 0' "$check" && break
        sleep 0.1
    done
    grep -aq 'grpc-status: 0' "$check" || { cat -v "$check" >&2; die "$url: no grpc-status 0"; }
    grep -aq 'Video number 1' "$check" || { cat -v "$check" >&2; die "$url: response is not Video 1"; }
    echo "check $url: grpc-status 0, Video number 1"
done

jiffies() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime + stime
h2() {  # url n outfile
    h2load -n "$2" -c "$C" -m "$M" -H 'content-type: application/grpc' -H 'te: trailers' -d "$REQ" "$1" > "$3"
}

{
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "gateway: $GATEWAY_BIN (built $(date -u -r "$GATEWAY_BIN" +%FT%TZ)), source $(git -C "$root" rev-parse --short HEAD)"
    echo "backend: Go grpc (Debian golang-google-grpc-dev $(dpkg-query -W -f='${Version}' golang-google-grpc-dev 2>/dev/null)), GOMAXPROCS=1"
    echo "load: h2load -n $N -c $C -m $M, body 00 00000002 08 01 (GetVideo{id:1}), REPEAT=$REPEAT, warm-up $WARMUP_N"
    echo "command: REPEAT=$REPEAT N=$N C=$C M=$M Benchmarks/grpc-passthrough.sh"
} | tee "$OUT/env.txt"

echo "== warm-up"
h2 "$url_direct" "$WARMUP_N" /dev/null
h2 "$url_gateway" "$WARMUP_N" /dev/null

printf '\n| run | path | calls/s | succeeded | gateway CPU µs/call | backend CPU µs/call | load avg (1 min) |\n'
printf '|---|---|---:|---:|---:|---:|---:|\n'
for ((r = 1; r <= REPEAT; r++)); do
    for target in direct gateway; do
        url="$url_direct"
        [[ "$target" == gateway ]] && url="$url_gateway"
        f="$OUT/$target.$r.txt"
        g0="$(jiffies "$gateway_pid")"
        b0="$(jiffies "$backend_pid")"
        h2 "$url" "$N" "$f"
        g1="$(jiffies "$gateway_pid")"
        b1="$(jiffies "$backend_pid")"
        rps="$(awk '/^finished in/ {print $4}' "$f")"
        ok="$(awk '/^status codes:/ {print $3 + 0}' "$f")"
        [[ "$ok" == "$N" ]] || die "$target run $r: only $ok of $N calls answered 200 (see $f)"
        awk -v t="$target" -v r="$r" -v rps="$rps" -v n="$N" -v g="$((g1 - g0))" -v b="$((b1 - b0))" -v c="$CLK" \
            -v load="$(cut -d' ' -f1 /proc/loadavg)" \
            'BEGIN { printf "| %d | %s | %.0f | %d | %.2f | %.2f | %s |\n", r, t, rps, n, g / c * 1e6 / n, b / c * 1e6 / n, load }'
    done
done | tee "$OUT/runs.md"
echo
echo "results in $OUT"
