#!/usr/bin/env bash
# halo-gateway against grpc-gateway v1.6.4 (Debian), both in front of the same Go backend of
# ../shared/peers/grpc-gateway, in one run: GET /v1/videos/1 and GET /v1/videos?limit=10 over
# HTTP/1.1 (wrk, keep-alive) for both, and over HTTP/2 (h2load, prior knowledge) for ours
# (grpc-gateway v1 speaks HTTP/1.1 only); req/s and each gateway's own CPU per request, from
# /proc (utime + stime over the run); halo-gateway's RSS idle and with 10 000 idle keep-alive
# connections.
#
# In the same rounds, the floor under the get route (halo-floor-bench, Benchmarks/Floor): a bare
# SwiftNIO HTTP/1.1 server answering a preformatted body, and the same server making one unary
# gRPC call per request over Halo's client connection (nghttp2) to the same backend, writing the
# response message back unread: the least a gateway built as Halo is can cost (FLOOR=0 leaves
# them out).
#
#   Benchmarks/gateway-rest.sh                      REPEAT=3 DURATION=10 by default
#   NICE=-15 REPEAT=5 Benchmarks/gateway-rest.sh    what RESULTS.md records
#   LOOPS=1 Benchmarks/gateway-rest.sh              every gateway and floor on one thread (halo's
#                                                   event_loops, the floors' --threads,
#                                                   grpc-gateway's GOMAXPROCS); default: their own
#
# Our gateway is configured like grpc-gateway v1's defaults (proto names, int64 as strings, zero
# values left out), so both answer the same bytes; the script checks that before measuring.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER_DIR="${PEER_DIR:-$root/../shared/peers/grpc-gateway}"
export PEERS_DIR="${PEERS_DIR:-/tmp/peers/grpc-gateway}"
# shellcheck source=/dev/null
source "$PEER_DIR/env.sh"
REPEAT="${REPEAT:-3}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
H2_REQUESTS="${H2_REQUESTS:-200000}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
NICE="${NICE:-0}"
LOOPS="${LOOPS:-}"
HALO_PORT="${HALO_PORT:-8088}"
HALO_ADMIN_PORT="${HALO_ADMIN_PORT:-9988}"
FLOOR="${FLOOR:-1}"
FLOOR_FIXED_PORT="${FLOOR_FIXED_PORT:-8097}"
FLOOR_GRPC_PORT="${FLOOR_GRPC_PORT:-8098}"

work="$(mktemp -d "${TMPDIR:-/tmp}/gateway-bench.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

"$PEER_DIR/setup.sh" >&2
(cd "$root" && swift build -c release --static-swift-stdlib --product halo-gateway >&2)
gateway_bin="$root/.build/release/halo-gateway"
if [[ "$FLOOR" == 1 ]]; then
    (cd "$root" && swift build -c release --static-swift-stdlib --product halo-floor-bench >&2)
fi
floor_bin="$root/.build/release/halo-floor-bench"

protoc -I "$PEER_DIR/demo/proto" -I "$GOOGLEAPIS_PROTO_DIR" -I /usr/include --include_imports \
    --descriptor_set_out="$work/demo.protoset" "$PEER_DIR/demo/proto/demo/v1/demo.proto"
cat >"$work/gateway.yaml" <<EOF
listen: {host: 127.0.0.1, port: $HALO_PORT}
admin: {host: 127.0.0.1, port: $HALO_ADMIN_PORT}
descriptor_set: $work/demo.protoset
json: {field_names: proto, emit_defaults: false, int64_as_number: false, enum_names: proto}
clusters:
  demo: {endpoints: ["127.0.0.1:$BACKEND_PORT"], health_check: false}
services:
  demo.v1.VideoService: demo
route_defaults: {auth: none, timeout: 5s}
EOF
[[ -n "$LOOPS" ]] && echo "event_loops: $LOOPS" >>"$work/gateway.yaml"
floor_threads=()
[[ -n "$LOOPS" ]] && floor_threads=(--threads "$LOOPS")

run_bg() {
    nice -n "$NICE" "$@" >>"$work/servers.log" 2>&1 &
    pids+=($!)
}
wait_http() {
    for _ in $(seq 100); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "gateway-rest: $1 does not answer" >&2
    cat "$work/servers.log" >&2
    exit 1
}

run_bg "$PEER_DIR/run-backend.sh"
backend_pid=$!
sleep 0.5
# Go's own default is one thread per core, as nproc counts them.
GOMAXPROCS="${LOOPS:-$(nproc)}" run_bg "$PEER_DIR/run-gateway.sh"
peer_pid=$!
HALO_LOG_LEVEL=warning run_bg "$gateway_bin" --config "$work/gateway.yaml"
halo_pid=$!
peer="http://127.0.0.1:$GATEWAY_PORT"
halo="http://127.0.0.1:$HALO_PORT"
wait_http "$peer/v1/videos/1"
wait_http "$halo/v1/videos/1"
if [[ "$FLOOR" == 1 ]]; then
    run_bg "$floor_bin" --mode fixed --listen "127.0.0.1:$FLOOR_FIXED_PORT" "${floor_threads[@]}"
    floor_fixed_pid=$!
    run_bg "$floor_bin" --mode grpc --listen "127.0.0.1:$FLOOR_GRPC_PORT" --upstream "127.0.0.1:$BACKEND_PORT" \
        "${floor_threads[@]}"
    floor_grpc_pid=$!
    floor_fixed="http://127.0.0.1:$FLOOR_FIXED_PORT"
    floor_grpc="http://127.0.0.1:$FLOOR_GRPC_PORT"
    wait_http "$floor_fixed/v1/videos/1"
    wait_http "$floor_grpc/v1/videos/1"
fi
# run-*.sh exec their binaries, so these pids are the servers themselves.

for path in "/v1/videos/1" "/v1/videos?limit=10&offset=0"; do
    a="$(curl -sf "$peer$path")"
    b="$(curl -sf "$halo$path")"
    if [[ "$a" != "$b" ]]; then
        echo "gateway-rest: answers differ for $path" >&2
        echo "  grpc-gateway: $a" >&2
        echo "  halo-gateway: $b" >&2
        exit 1
    fi
done
echo "checked: both gateways answer the same bytes" >&2

ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }  # user, system
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_rss=$(rss_kib "$halo_pid")

# One measured run: prints "req/s requests cpu_us_per_request user_us system_us".
measure() {
    local pid="$1" tool="$2" url="$3" out="$work/run.out"
    local before after
    before=$(cpu_ticks "$pid")
    if [[ "$tool" == wrk ]]; then
        nice -n "$NICE" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$url" >"$out"
        after=$(cpu_ticks "$pid")
        awk -v ub="${before% *}" -v kb="${before#* }" -v ua="${after% *}" -v ka="${after#* }" -v t="$ticks" '
            /requests in/ {n = $1}
            /Requests\/sec/ {r = $2}
            /Non-2xx/ {bad = $NF}
            END {
                if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }
                u = (ua - ub) / t * 1e6 / n; k = (ka - kb) / t * 1e6 / n
                printf "%.0f %d %.1f %.1f %.1f\n", r, n, u + k, u, k
            }' "$out"
    else
        nice -n "$NICE" h2load -n "$H2_REQUESTS" -c 16 -m 16 "$url" >"$out"
        after=$(cpu_ticks "$pid")
        awk -v ub="${before% *}" -v kb="${before#* }" -v ua="${after% *}" -v ka="${after#* }" -v t="$ticks" '
            /^finished in/ {r = $4}
            /^requests:/ {n = $8 + 0; failed = $6 + 0; errored = $10 + 0}
            /^status codes:/ {ok = $3 + 0}
            END {
                if (ok != n) { print "non-2xx answers over HTTP/2" > "/dev/stderr"; exit 1 }
                u = (ua - ub) / t * 1e6 / n; k = (ka - kb) / t * 1e6 / n
                printf "%.0f %d %.1f %.1f %.1f\n", r, n, u + k, u, k
            }' "$out"
    fi
}

# Warm-up, then REPEAT rounds alternating the gateways so drift hits both alike.
warm=("$peer/v1/videos/1" "$halo/v1/videos/1")
[[ "$FLOOR" == 1 ]] && warm+=("$floor_fixed/v1/videos/1" "$floor_grpc/v1/videos/1")
for url in "${warm[@]}"; do wrk -t2 -c16 -d2s "$url" >/dev/null; done
declare -A results
for round in $(seq "$REPEAT"); do
    for route in get list; do
        path="/v1/videos/1"
        [[ "$route" == list ]] && path="/v1/videos?limit=10&offset=0"
        results[peer-$route-h1]+="$(measure "$peer_pid" wrk "$peer$path");"
        results[halo-$route-h1]+="$(measure "$halo_pid" wrk "$halo$path");"
        results[halo-$route-h2]+="$(measure "$halo_pid" h2load "$halo$path");"
        if [[ "$FLOOR" == 1 && "$route" == get ]]; then
            results[floor-fixed-get-h1]+="$(measure "$floor_fixed_pid" wrk "$floor_fixed$path");"
            results[floor-grpc-get-h1]+="$(measure "$floor_grpc_pid" wrk "$floor_grpc$path");"
        fi
    done
    echo "round $round done" >&2
done

# Idle keep-alive connections: each sends one request and stays open.
busy_rss=$(python3 - "$HALO_PORT" "$IDLE_CONNECTIONS" "$halo_pid" <<'PY'
import resource, socket, sys, time
port, count, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /v1/videos/1 HTTP/1.1\r\nhost: x\r\n\r\n")
    sockets.append(s)
for s in sockets:
    s.recv(4096)
time.sleep(1)
print(next(line.split()[1] for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS")))
PY
)

median() { tr ';' '\n' | awk NF | awk -v f="$1" '{print $f}' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
row() {
    local key="$1" label="$2"
    printf '| %s | %s | %s | %s / %s |\n' "$label" "$(echo "${results[$key]}" | median 1)" \
        "$(echo "${results[$key]}" | median 3)" "$(echo "${results[$key]}" | median 4)" "$(echo "${results[$key]}" | median 5)"
}

echo
echo "gateway-rest.sh, $(date -u +%FT%TZ), $(nproc) cores, REPEAT=$REPEAT DURATION=${DURATION}s wrk -t2 -c$CONNECTIONS, h2load -n $H2_REQUESTS -c16 -m16, NICE=$NICE, LOOPS=${LOOPS:-default}"
echo
echo "| target | req/s (median) | gateway CPU µs/request (median) | of which user / kernel (medians) |"
echo "|---|---:|---:|---:|"
row peer-get-h1 "grpc-gateway GET /v1/videos/1, HTTP/1.1"
row halo-get-h1 "halo-gateway GET /v1/videos/1, HTTP/1.1"
row halo-get-h2 "halo-gateway GET /v1/videos/1, HTTP/2"
row peer-list-h1 "grpc-gateway GET /v1/videos?limit=10, HTTP/1.1"
row halo-list-h1 "halo-gateway GET /v1/videos?limit=10, HTTP/1.1"
row halo-list-h2 "halo-gateway GET /v1/videos?limit=10, HTTP/2"
if [[ "$FLOOR" == 1 ]]; then
    row floor-fixed-get-h1 "floor: bare SwiftNIO HTTP/1.1, preformatted answer"
    row floor-grpc-get-h1 "floor: bare SwiftNIO HTTP/1.1 + one gRPC call (nghttp2), message unread"
fi
echo
for route in get list; do
    p_cpu=$(echo "${results[peer-$route-h1]}" | median 3)
    h_cpu=$(echo "${results[halo-$route-h1]}" | median 3)
    p_rps=$(echo "${results[peer-$route-h1]}" | median 1)
    h_rps=$(echo "${results[halo-$route-h1]}" | median 1)
    awk -v r="$route" -v pc="$p_cpu" -v hc="$h_cpu" -v pr="$p_rps" -v hr="$h_rps" \
        'BEGIN {printf "%s over HTTP/1.1: CPU per request halo / grpc-gateway = %.2f; req/s halo / grpc-gateway = %.2f\n", r, hc / pc, hr / pr}'
done
# Per round (the targets of a round ran back to back): each floor's CPU per request over
# grpc-gateway's, beside halo-gateway's.
per_round_ratio() {
    paste -d' ' <(echo "${results[$1]}" | tr ';' '\n' | awk NF) <(echo "${results[$2]}" | tr ';' '\n' | awk NF) |
        awk '{printf "%s%.2f", (NR > 1 ? ", " : ""), $3 / $8}'
}
if [[ "$FLOOR" == 1 ]]; then
    echo "get over HTTP/1.1, CPU per request over grpc-gateway's, per round:"
    echo "  halo-gateway: $(per_round_ratio halo-get-h1 peer-get-h1)"
    echo "  floor, bare SwiftNIO: $(per_round_ratio floor-fixed-get-h1 peer-get-h1)"
    echo "  floor, bare SwiftNIO + one gRPC call: $(per_round_ratio floor-grpc-get-h1 peer-get-h1)"
fi
echo "halo-gateway RSS: idle $((idle_rss / 1024)) MiB; with $IDLE_CONNECTIONS idle keep-alive connections $((busy_rss / 1024)) MiB"
echo "per run (req/s requests µs user-µs kernel-µs):"
for key in "${!results[@]}"; do echo "  $key: ${results[$key]}"; done | sort
