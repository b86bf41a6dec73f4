#!/usr/bin/env bash
# Unary gRPC benchmark (issue 2 §5): our server against the Go gRPC backend of the grpc-gateway peer,
# same request, same load generator, same run. A benchmark, not a test: it fails only when it cannot
# measure (a server does not start or does not answer grpc-status 0).
#
#   Benchmarks/rpc-unary.sh                    REPEAT=3 N=200000, results in Benchmarks/results/<utc>/
#   REPEAT=5 N=500000 NICE=-15 Benchmarks/rpc-unary.sh
#
# What it does:
#   1. runs $PEER_DIR/setup.sh (builds the Go backend; idempotent) — it builds nothing else;
#   2. starts `halo-rpc-interop serve --threads 1` (release build) and the Go backend with
#      GOMAXPROCS=1 (and a second one with GOMAXPROCS=2 when GO_MAXPROCS2=1, the default);
#   3. checks each answers GetVideo{id:1} with grpc-status 0 and "Video number 1" (nghttp), because
#      h2load counts any HTTP 200 as success, gRPC errors included;
#   4. warms each up, then runs h2load -n $N -c $C -m $M with the same 7-byte request body
#      (00 00000002 08 01 = GetVideoRequest{id: 1}), the targets alternating, REPEAT times;
#   5. per run: req/s, server CPU (utime+stime from /proc/PID/stat) per request, and the machine's
#      other load (/proc/stat minus server minus h2load = "foreign"); then medians and ours/Go.
# Stops only the processes it started.
#
# Knobs: HALO_RPC_INTEROP (default .build/release/halo-rpc-interop), PEER_DIR (default
# ../shared/peers/grpc-gateway from the repo root), PEERS_DIR (the peer's build folder, see its env.sh),
# REPEAT N C M WARMUP_N HALO_THREADS GO_MAXPROCS2 WAIT_IDLE_MAX IDLE_CORES NICE OUT.
set -euo pipefail

# NICE=-15 raises the priority of everything this script starts (needs root): a build running on
# the same cores then disturbs the numbers less. Applied once, by re-executing the script.
if [[ -n "${NICE:-}" && -z "${_RPC_UNARY_NICED:-}" ]]; then
    export _RPC_UNARY_NICED=1
    exec nice -n "$NICE" "$0" "$@"
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

PEER_DIR="${PEER_DIR:-$root/../shared/peers/grpc-gateway}"
BIN="${HALO_RPC_INTEROP:-$root/.build/release/halo-rpc-interop}"
REPEAT="${REPEAT:-3}"
N="${N:-200000}"
C="${C:-8}"
M="${M:-32}"
WARMUP_N="${WARMUP_N:-$((N / 10))}"
HALO_THREADS="${HALO_THREADS:-1}"
GO_MAXPROCS2="${GO_MAXPROCS2:-1}"
WAIT_IDLE_MAX="${WAIT_IDLE_MAX:-20}"  # s to wait before each run for other load to drop (0 = off)
IDLE_CORES="${IDLE_CORES:-0.15}"
OUT="${OUT:-$root/Benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)}"

HALO_PATH="/halo.testing.v1.TestService/GetVideo"
GO_PATH="/demo.v1.VideoService/GetVideo"

die() { echo "rpc-unary: $*" >&2; exit 1; }

for tool in h2load nghttp python3; do
    command -v "$tool" >/dev/null || die "$tool missing (h2load and nghttp: apt-get install nghttp2-client)"
done
[[ -x "$PEER_DIR/setup.sh" && -x "$PEER_DIR/run-backend.sh" ]] || die "no Go peer in $PEER_DIR (set PEER_DIR)"
if [[ ! -x "$BIN" ]]; then
    die "$BIN missing: build it with
    swift build -c release --static-swift-stdlib --product halo-rpc-interop
or point HALO_RPC_INTEROP at a release build"
fi
[[ "$BIN" == *release* ]] || echo "rpc-unary: warning: $BIN does not look like a release build" >&2

mkdir -p "$OUT"
REQ="$OUT/getvideo-1.bin"
printf '\x00\x00\x00\x00\x02\x08\x01' > "$REQ"
CLK="$(getconf CLK_TCK)"
NCPU="$(nproc)"

# ---------------------------------------------------------------- Go backend build
echo "== building the Go peer ($PEER_DIR/setup.sh, log in $OUT/peer-setup.log)"
"$PEER_DIR/setup.sh" > "$OUT/peer-setup.log" 2>&1 || { tail -20 "$OUT/peer-setup.log" >&2; die "peer setup failed"; }

# ---------------------------------------------------------------- servers (ours only are stopped)
declare -A PID=() PORT=() URLPATH=()
TARGETS=()
cleanup() {
    local name
    for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
    for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_halo() {  # name handler-kind (inline: runs on the event loop; async: a Task pinned to it)
    local name="$1" log="$OUT/$1.log" i
    "$BIN" serve --host 127.0.0.1 --port 0 --threads "$HALO_THREADS" --log-level warning \
        --get-video-handler "$2" > "$OUT/$name.stdout" 2> "$log" &
    PID[$name]=$!
    for ((i = 0; i < 100; i++)); do
        if grep -q '^listening ' "$OUT/$name.stdout" 2>/dev/null; then break; fi
        kill -0 "${PID[$name]}" 2>/dev/null || die "our server exited; see $log"
        sleep 0.1
    done
    PORT[$name]="$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$OUT/$name.stdout")"
    [[ -n "${PORT[$name]}" ]] || die "our server printed no 'listening HOST:PORT' in 10 s; see $log"
    URLPATH[$name]="$HALO_PATH"
    TARGETS+=("$name")
}

start_go() {  # name gomaxprocs
    local name="$1" port i
    port="$(free_port)"
    GOMAXPROCS="$2" BACKEND_PORT="$port" "$PEER_DIR/run-backend.sh" > "$OUT/$name.log" 2>&1 &
    PID[$name]=$!  # run-backend.sh execs the binary: this is the server's pid
    for ((i = 0; i < 100; i++)); do port_open "$port" && break; sleep 0.1; done
    port_open "$port" || die "Go backend did not open 127.0.0.1:$port; see $OUT/$name.log"
    PORT[$name]="$port"
    URLPATH[$name]="$GO_PATH"
    TARGETS+=("$name")
}

start_halo halo inline
start_halo haloasync async
start_go go1 1
if [[ "$GO_MAXPROCS2" == 1 ]]; then start_go go2 2; fi

label() {
    case "$1" in
        halo) echo "ours, handler on the event loop (--threads $HALO_THREADS)" ;;
        haloasync) echo "ours, async handler in a Task on the loop (--threads $HALO_THREADS)" ;;
        go1) echo "Go grpc backend, GOMAXPROCS=1" ;;
        go2) echo "Go grpc backend, GOMAXPROCS=2" ;;
    esac
}
url() { echo "http://127.0.0.1:${PORT[$1]}${URLPATH[$1]}"; }

# ---------------------------------------------------------------- correctness first
for t in "${TARGETS[@]}"; do
    check="$OUT/check-$t.txt"
    nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -d "$REQ" "$(url "$t")" > "$check" 2>&1 || true
    grep -aq 'grpc-status: 0' "$check" || { cat -v "$check" >&2; die "$t: no grpc-status 0"; }
    grep -aq 'Video number 1' "$check" || { cat -v "$check" >&2; die "$t: response is not Video 1"; }
    echo "check $t $(url "$t"): grpc-status 0, Video number 1"
done

# ---------------------------------------------------------------- accounting
machine() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }  # busy total
jiffies() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime + stime (fields 14, 15)
wait_idle() {
    ((WAIT_IDLE_MAX > 0)) || return 0
    local t0=$SECONDS b0 b1 busy
    while :; do
        read -r b0 _ < <(machine); sleep 1; read -r b1 _ < <(machine)
        busy="$(awk -v d=$((b1 - b0)) -v c="$CLK" 'BEGIN { printf "%.2f", d / c }')"
        awk -v b="$busy" -v l="$IDLE_CORES" 'BEGIN { exit !(b < l) }' && return 0
        if ((SECONDS - t0 >= WAIT_IDLE_MAX)); then
            echo "  (machine busy before the run: $busy cores used by others; measuring anyway)"
            return 0
        fi
    done
}

h2() {  # target n outfile
    h2load -n "$2" -c "$C" -m "$M" -H 'content-type: application/grpc' -H 'te: trailers' \
        -d "$REQ" "$(url "$1")" > "$3"
}

# ---------------------------------------------------------------- facts
source_of() {  # the checkout a binary was built in, and whether it had uncommitted changes
    local dir top rev dirty=""
    dir="$(dirname "$1")"
    top="$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null)" || { echo "source unknown"; return; }
    rev="$(git -C "$top" rev-parse --short HEAD)"
    [[ -z "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" \
        && -z "$(git -C "$top" ls-files --others --exclude-standard 2>/dev/null | head -1)" ]] \
        || dirty=" + uncommitted changes"
    echo "source $top at $rev$dirty"
}
{
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "ours: $BIN (built $(date -u -r "$BIN" +%FT%TZ), sha256 $(sha256sum "$BIN" | cut -c1-12)), $(source_of "$BIN")"
    echo "go: $(go version 2>/dev/null | cut -d' ' -f3-), grpc-go (Debian golang-google-grpc-dev) $(dpkg-query -W -f='${Version}' golang-google-grpc-dev 2>/dev/null)"
    echo "h2load: $(h2load --version 2>&1 | head -1)"
    echo "load: h2load -n $N -c $C -m $M (1 thread), body 00 00000002 08 01, REPEAT=$REPEAT, warm-up $WARMUP_N, nice $(nice)"
} | tee "$OUT/env.txt"

echo "== warm-up"
for t in "${TARGETS[@]}"; do h2 "$t" "$WARMUP_N" /dev/null; done

# ---------------------------------------------------------------- measure
TSV="$OUT/runs.tsv"
printf 'run\ttarget\treq_s\tsucceeded\tserver_cpu_s\tcpu_us_per_req\tserver_cores\th2load_cores\tforeign_cores\n' > "$TSV"
printf '\n%-4s %-5s %10s %10s %12s %10s %12s %13s %13s\n' run target req/s succeeded server_cpu_s us/req server_cores h2load_cores foreign_cores
TIMEFORMAT='%3U %3S'
for ((r = 1; r <= REPEAT; r++)); do
    for t in "${TARGETS[@]}"; do
        wait_idle
        f="$OUT/$t.$r.txt"
        read -r b0 tot0 < <(machine)
        s0="$(jiffies "${PID[$t]}")"
        { time h2 "$t" "$N" "$f"; } 2> "$f.time"
        s1="$(jiffies "${PID[$t]}")"
        read -r b1 tot1 < <(machine)
        rps="$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$f")"
        ok="$(awk '/^requests:/ { gsub(",", ""); print $8 }' "$f")"
        read -r lu ls < <(tail -1 "$f.time")
        [[ -n "$rps" && -n "$ok" ]] || die "could not read h2load's output $f"
        ((ok == N)) || echo "  warning: $t run $r: only $ok of $N requests succeeded"
        line="$(awk -v rps="$rps" -v ok="$ok" -v s=$((s1 - s0)) -v b=$((b1 - b0)) -v tot=$((tot1 - tot0)) \
            -v lu="$lu" -v ls="$ls" -v n="$NCPU" -v c="$CLK" 'BEGIN {
            el = tot / n / c                     # elapsed seconds, from the machine counters
            cpu = s / c; us = ok ? cpu * 1e6 / ok : 0
            srv = cpu / el; lg = (lu + ls) / el; fo = b / c / el - srv - lg; if (fo < 0) fo = 0
            printf "%.0f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f", rps, ok, cpu, us, srv, lg, fo }')"
        printf '%d\t%s\t%s\n' "$r" "$t" "$line" >> "$TSV"
        # shellcheck disable=SC2086
        printf '%-4s %-9s %10s %10s %12s %10s %12s %13s %13s\n' "$r" "$t" $line
    done
done

# ---------------------------------------------------------------- medians and ratio
median() {  # target column
    awk -F'\t' -v t="$1" -v k="$2" 'NR > 1 && $2 == t { a[++n] = $k + 0 }
        END { if (!n) { print "-"; exit }
              for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
              print (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }' "$TSV"
}
{
    echo
    echo "medians of $REPEAT runs:"
    echo
    echo "| target | req/s | server CPU us/request | server cores | foreign cores |"
    echo "|---|---:|---:|---:|---:|"
    for t in "${TARGETS[@]}"; do
        printf '| %s | %.0f | %.2f | %.2f | %.2f |\n' "$(label "$t")" \
            "$(median "$t" 3)" "$(median "$t" 6)" "$(median "$t" 7)" "$(median "$t" 9)"
    done
    echo
    for h in halo haloasync; do
        for g in go1 go2; do
            [[ -n "${PID[$g]:-}" ]] || continue
            awk -v ou="$(median "$h" 6)" -v gu="$(median "$g" 6)" -v orps="$(median "$h" 3)" \
                -v grps="$(median "$g" 3)" -v h="$(label "$h")" -v g="$(label "$g")" 'BEGIN {
                printf "%s / %s: CPU per request %.2f (goal <= 0.50: %s), req/s %.2f\n", h, g, ou / gu,
                    (ou / gu <= 0.5 ? "met" : "not met"), orps / grps }'
        done
    done
} | tee "$OUT/summary.md"
echo "results: $OUT"
