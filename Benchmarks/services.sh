#!/usr/bin/env bash
# The services' data path against our own transport (issue 14), in one run: each service started on
# its embedded defaults (video on SQLite, and again on PostgreSQL; engagement on Redis), loaded with
# h2load over gRPC, and `halo-rpc-interop serve` with an inline GetVideo handler as the baseline.
# Reports req/s and each server's own CPU per call (utime + stime from /proc/PID/stat over the run),
# and the ratio of each call's CPU to the transport's. A benchmark, not a test: it fails only when
# it cannot measure (a server does not start, or a call does not answer grpc-status 0).
#
#   Benchmarks/services.sh                          REPEAT=3, results in Benchmarks/results/services-<utc>/
#   PERF=1 Benchmarks/services.sh                   also a perf profile per call (perf record -e cpu-clock -g)
#   DATABASES=sqlite CALLS='GetVideo ListVideos20' Benchmarks/services.sh
#
# Calls: VideoService/CreateVideo, GetVideo, ListVideos (limit 20) on each database;
# EngagementService/GetCounts (anonymous: 3 Redis reads in one MULTI/EXEC) and Like (one Lua script;
# the same user each time, so after the first it changes nothing and publishes nothing) on Redis.
# Engagement asks the video service (SQLite) whether the video exists, cached for 0.5 s, so that
# call is a few per second, not one per request. CreateVideo runs first: it fills the table that
# ListVideos pages through (N_WRITE rows per repeat and database).
#
# Login (in CALLS by default) is measured by Benchmarks/login.sh, run from here in the same run: its
# cost is one Argon2id verification (for unknown users too, so timing does not tell them apart),
# which drowns the rest of the call in a CPU-per-call figure; that script finds the rest by
# attributing profile samples, and the summary puts that own work beside this run's transport.
#
# PostgreSQL and Redis: private servers from scripts/with-test-services (the script re-runs itself
# under it unless HALO_TEST_REDIS_URL and HALO_TEST_POSTGRES_URL are set). That PostgreSQL runs with
# fsync off (a throwaway cluster): CreateVideo on it measures the service, not a disk.
#
# Knobs: BIN_DIR (default .build/release: halo-video, halo-engagement, halo-rpc-interop; build them with
#   swift build -c release --static-swift-stdlib --product halo-video   (and --product halo-engagement, --product halo-rpc-interop)),
# DATABASES (sqlite postgres) CALLS REPEAT N N_WRITE C M WARMUP_N TRANSPORT_THREADS PERF PERF_SECONDS OUT.
# Stops only the processes it started.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "${HALO_TEST_REDIS_URL:-}" || -z "${HALO_TEST_POSTGRES_URL:-}" ]]; then
    exec "$root/scripts/with-test-services" "$0" "$@"
fi

BIN_DIR="${BIN_DIR:-$root/.build/release}"
DATABASES="${DATABASES:-sqlite postgres}"
CALLS="${CALLS:-CreateVideo GetVideo ListVideos20 GetCounts Like Login}"
REPEAT="${REPEAT:-3}"
N="${N:-100000}"
N_WRITE="${N_WRITE:-20000}"
C="${C:-8}"
M="${M:-16}"
WARMUP_N="${WARMUP_N:-$((N / 10))}"
TRANSPORT_THREADS="${TRANSPORT_THREADS:-$(nproc)}"
PERF="${PERF:-0}"
PERF_SECONDS="${PERF_SECONDS:-5}"
OUT="${OUT:-$root/Benchmarks/results/services-$(date -u +%Y%m%dT%H%M%SZ)}"
USER_ID="0190a5b4-2c3d-7e8f-9a0b-1c2d3e4f5a6b"

die() { echo "services: $*" >&2; exit 1; }
for tool in h2load nghttp python3; do
    command -v "$tool" >/dev/null || die "$tool missing (h2load and nghttp: apt-get install nghttp2-client)"
done
binaries=(halo-video halo-engagement halo-rpc-interop)
[[ " $CALLS " == *" Login "* ]] && binaries+=(halo-auth)
for binary in "${binaries[@]}"; do
    [[ -x "$BIN_DIR/$binary" ]] || die "$BIN_DIR/$binary missing: swift build -c release --static-swift-stdlib --product $binary"
done
((PERF == 0)) || command -v perf >/dev/null || die "PERF=1 needs perf (apt-get install linux-perf)"
[[ " $CALLS " != *" Login "* ]] || command -v perf >/dev/null || die "Login needs perf (apt-get install linux-perf)"

mkdir -p "$OUT"
CLK="$(getconf CLK_TCK)"
NCPU="$(nproc)"

# ---------------------------------------------------------------- request bodies (gRPC frames)
frame() {  # file, then protobuf fields as python literals: (number, bytes-or-int) ...
    python3 - "$@" <<'EOF'
import struct, sys
out, fields = sys.argv[1], eval("[" + ",".join(sys.argv[2:]) + "]")
def varint(n):
    b = bytearray()
    while True:
        b.append((n & 0x7F) | (0x80 if n > 0x7F else 0)); n >>= 7
        if not n: return bytes(b)
msg = b""
for number, value in fields:
    if isinstance(value, int): msg += varint(number << 3) + varint(value)
    else: msg += varint(number << 3 | 2) + varint(len(value)) + value
open(out, "wb").write(b"\0" + struct.pack(">I", len(msg)) + msg)
EOF
}
frame "$OUT/create.bin" '(1, b"Benchmark video")' \
    '(2, b"A video made by Benchmarks/services.sh to measure the data path.")' \
    '(4, b"https://cdn.example.com/live/bench.m3u8")' '(5, 3600)' '(8, b"bench")' '(8, b"music")'
frame "$OUT/list20.bin" '(1, 20)'
frame "$OUT/list1.bin" '(1, 1)'
frame "$OUT/transport.bin" '(1, 1)'

# ---------------------------------------------------------------- servers (ours only are stopped)
declare -A PID=() PORT=()
cleanup() {
    local name
    for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
    for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # name port
    local i
    for ((i = 0; i < 300; i++)); do
        port_open "$2" && return 0
        kill -0 "${PID[$1]}" 2>/dev/null || die "$1 exited; see $OUT/$1.log"
        sleep 0.1
    done
    die "$1 did not open 127.0.0.1:$2 in 30 s; see $OUT/$1.log"
}

start_transport() {
    local i
    "$BIN_DIR/halo-rpc-interop" serve --host 127.0.0.1 --port 0 --threads "$TRANSPORT_THREADS" \
        --log-level warning --get-video-handler inline > "$OUT/transport.stdout" 2> "$OUT/transport.log" &
    PID[transport]=$!
    for ((i = 0; i < 100; i++)); do
        grep -q '^listening ' "$OUT/transport.stdout" 2>/dev/null && break
        sleep 0.1
    done
    PORT[transport]="$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$OUT/transport.stdout")"
    [[ -n "${PORT[transport]}" ]] || die "the transport printed no 'listening HOST:PORT'; see $OUT/transport.log"
}

start_video() {  # database
    local name="video-$1" port
    port="$(free_port)"
    mkdir -p "$OUT/data-$1"
    local url=""
    [[ "$1" == postgres ]] && url="$HALO_TEST_POSTGRES_URL"
    HALO_VIDEO_PORT="$port" HALO_DATA_DIR="$OUT/data-$1" HALO_VIDEO_DATABASE_URL="$url" HALO_LOG_LEVEL=warning \
        "$BIN_DIR/halo-video" > "$OUT/$name.log" 2>&1 &
    PID[$name]=$!
    PORT[$name]="$port"
    wait_port "$name" "$port"
}

start_engagement() {  # video service name
    local port
    port="$(free_port)"
    HALO_ENGAGEMENT_PORT="$port" HALO_ENGAGEMENT_REDIS_URL="$HALO_TEST_REDIS_URL" \
        HALO_ENGAGEMENT_VIDEO_ADDRESS="127.0.0.1:${PORT[$1]}" HALO_DATA_DIR="$OUT/data-engagement" \
        HALO_LOG_LEVEL=warning "$BIN_DIR/halo-engagement" > "$OUT/engagement.log" 2>&1 &
    PID[engagement]=$!
    PORT[engagement]="$port"
    wait_port engagement "$port"
}

# ---------------------------------------------------------------- calls
# A measured call: which server, path, body, extra headers.
declare -A SERVER=() URLPATH=() BODY=() USERHDR=()
define_call() {  # key server path body user(0/1)
    SERVER[$1]="$2"; URLPATH[$1]="$3"; BODY[$1]="$4"; USERHDR[$1]="$5"
}
headers() {  # key -> h2load/nghttp -H arguments, one per line
    printf '%s\n' -H 'content-type: application/grpc' -H 'te: trailers'
    [[ "${USERHDR[$1]}" == 1 ]] && printf '%s\n' -H "x-halo-user-id: $USER_ID"
    return 0
}
url() { echo "http://127.0.0.1:${PORT[${SERVER[$1]}]}${URLPATH[$1]}"; }
call_once() {  # key outfile: one call with nghttp; fails unless grpc-status 0
    local args
    mapfile -t args < <(headers "$1")
    nghttp -v "${args[@]}" -d "${BODY[$1]}" "$(url "$1")" > "$2" 2>&1 || true
    grep -aq 'grpc-status: 0' "$2" || { cat -v "$2" | tail -20 >&2; die "$1: no grpc-status 0"; }
}
h2() {  # key n outfile
    local args
    mapfile -t args < <(headers "$1")
    h2load -n "$2" -c "$C" -m "$M" "${args[@]}" -d "${BODY[$1]}" "$(url "$1")" > "$3"
}

# ---------------------------------------------------------------- accounting
machine() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
jiffies() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime + stime

TSV="$OUT/runs.tsv"
printf 'run\tcall\treq_s\tsucceeded\tserver_cpu_s\tcpu_us_per_req\tserver_cores\tforeign_cores\n' > "$TSV"
measure() {  # run key n
    local f="$OUT/$2.$1.txt" pid="${PID[${SERVER[$2]}]}" b0 b1 tot0 tot1 s0 s1 rps ok line lu ls
    read -r b0 tot0 < <(machine)
    s0="$(jiffies "$pid")"
    TIMEFORMAT='%3U %3S'
    { time h2 "$2" "$3" "$f"; } 2> "$f.time"
    s1="$(jiffies "$pid")"
    read -r b1 tot1 < <(machine)
    rps="$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$f")"
    ok="$(awk '/^requests:/ { gsub(",", ""); print $8 }' "$f")"
    read -r lu ls < <(tail -1 "$f.time")
    [[ -n "$rps" && -n "$ok" ]] || die "could not read h2load's output $f"
    ((ok == $3)) || echo "  warning: $2 run $1: only $ok of $3 requests succeeded"
    line="$(awk -v rps="$rps" -v ok="$ok" -v s=$((s1 - s0)) -v b=$((b1 - b0)) -v tot=$((tot1 - tot0)) \
        -v lu="$lu" -v ls="$ls" -v n="$NCPU" -v c="$CLK" 'BEGIN {
        el = tot / n / c; cpu = s / c; us = ok ? cpu * 1e6 / ok : 0
        srv = cpu / el; fo = b / c / el - srv - (lu + ls) / el; if (fo < 0) fo = 0
        printf "%.0f\t%d\t%.2f\t%.2f\t%.2f\t%.2f", rps, ok, cpu, us, srv, fo }')"
    printf '%d\t%s\t%s\n' "$1" "$2" "$line" >> "$TSV"
    # shellcheck disable=SC2086
    printf '%-4s %-22s %10s %10s %10s %10s %8s %8s\n' "$1" "$2" $line
}

profile() {  # key: perf record on the server while h2load runs for PERF_SECONDS
    local pid="${PID[${SERVER[$1]}]}" data="$OUT/perf-$1.data" args
    mapfile -t args < <(headers "$1")
    perf record -q -e cpu-clock -g -p "$pid" -o "$data" -- sleep "$PERF_SECONDS" 2> /dev/null &
    local perf_pid=$!
    h2load -D "$PERF_SECONDS" -c "$C" -m "$M" "${args[@]}" -d "${BODY[$1]}" "$(url "$1")" > /dev/null || true
    wait "$perf_pid" || true
    # Flat (-g none): the top symbols and libraries, white space squeezed.
    perf report -i "$data" --no-children -g none --sort symbol --percent-limit 1 --stdio 2> /dev/null \
        | grep -E '^ +[0-9.]+%' | sed 's/  */ /g' > "$OUT/perf-$1.txt" || true
    perf report -i "$data" --no-children -g none --sort dso --stdio 2> /dev/null \
        | grep -E '^ +[0-9.]+%' | sed 's/  */ /g' > "$OUT/perf-$1.dso.txt" || true
    rm -f "$data"
}

# ---------------------------------------------------------------- facts
source_of() {
    local top rev dirty=""
    top="$(git -C "$1" rev-parse --show-toplevel 2>/dev/null)" || { echo "source unknown"; return; }
    rev="$(git -C "$top" rev-parse --short HEAD)"
    [[ -z "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ]] || dirty=" + uncommitted changes"
    echo "source $top at $rev$dirty"
}
{
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "binaries: $BIN_DIR (halo-video built $(date -u -r "$BIN_DIR/halo-video" +%FT%TZ)), $(source_of "$BIN_DIR")"
    echo "h2load: $(h2load --version 2>&1 | head -1); load: -c $C -m $M, N=$N reads, N_WRITE=$N_WRITE writes, REPEAT=$REPEAT"
    echo "transport: halo-rpc-interop serve --threads $TRANSPORT_THREADS --get-video-handler inline"
} | tee "$OUT/env.txt"

# ---------------------------------------------------------------- start and check
start_transport
define_call Transport transport /halo.testing.v1.TestService/GetVideo "$OUT/transport.bin" 0
KEYS=(Transport)
first_db=""
for db in $DATABASES; do
    start_video "$db"
    first_db="${first_db:-$db}"
    define_call "CreateVideo.$db" "video-$db" /halo.video.v1.VideoService/CreateVideo "$OUT/create.bin" 1
    define_call "ListVideos1.$db" "video-$db" /halo.video.v1.VideoService/ListVideos "$OUT/list1.bin" 0
    call_once "CreateVideo.$db" "$OUT/check-create-$db.txt"
    call_once "ListVideos1.$db" "$OUT/check-list-$db.txt"
    id="$(grep -aoE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$OUT/check-list-$db.txt" | head -1)"
    [[ -n "$id" ]] || die "no video id in ListVideos' answer on $db"
    frame "$OUT/get-$db.bin" "(1, b\"$id\")"
    define_call "GetVideo.$db" "video-$db" /halo.video.v1.VideoService/GetVideo "$OUT/get-$db.bin" 0
    define_call "ListVideos20.$db" "video-$db" /halo.video.v1.VideoService/ListVideos "$OUT/list20.bin" 0
    for call in $CALLS; do
        case "$call" in CreateVideo | GetVideo | ListVideos20) KEYS+=("$call.$db") ;; esac
    done
    [[ "$db" == "$first_db" ]] && video_id="$id"
done
if [[ " $CALLS " == *" GetCounts "* || " $CALLS " == *" Like "* ]]; then
    start_engagement "video-$first_db"
    frame "$OUT/counts.bin" "(1, b\"$video_id\")"
    define_call GetCounts engagement /halo.engagement.v1.EngagementService/GetCounts "$OUT/counts.bin" 0
    define_call Like engagement /halo.engagement.v1.EngagementService/Like "$OUT/counts.bin" 1
    for call in GetCounts Like; do [[ " $CALLS " == *" $call "* ]] && KEYS+=("$call"); done
fi
for key in "${KEYS[@]}"; do
    call_once "$key" "$OUT/check-$key.txt"
    echo "check $key $(url "$key"): grpc-status 0"
done

n_for() { [[ "$1" == CreateVideo.* ]] && echo "$N_WRITE" || echo "$N"; }

echo "== warm-up"
for key in "${KEYS[@]}"; do
    n="$(n_for "$key")"
    h2 "$key" "$((n / 10 > 0 ? (WARMUP_N < n / 10 ? WARMUP_N : n / 10) : 1))" /dev/null
done

printf '\n%-4s %-22s %10s %10s %10s %10s %8s %8s\n' run call req/s succeeded cpu_s us/req cores foreign
for ((r = 1; r <= REPEAT; r++)); do
    for key in "${KEYS[@]}"; do measure "$r" "$key" "$(n_for "$key")"; done
done

if ((PERF == 1)); then
    echo "== profiles ($PERF_SECONDS s each)"
    for key in "${KEYS[@]}"; do
        [[ "$key" == CreateVideo.* ]] && continue  # a profile of writes would grow the table further
        profile "$key"
        echo "-- $key"; head -15 "$OUT/perf-$key.txt"
    done
fi

if [[ " $CALLS " == *" Login "* ]]; then
    echo "== Login beside its password hash (Benchmarks/login.sh, in this run)"
    BIN_DIR="$BIN_DIR" DATABASES="$DATABASES" OUT="$OUT/login" "$root/Benchmarks/login.sh"
fi

# ---------------------------------------------------------------- medians and ratios
median() {  # key column
    awk -F'\t' -v t="$1" -v k="$2" 'NR > 1 && $2 == t { a[++n] = $k + 0 }
        END { if (!n) { print "-"; exit }
              for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
              print (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }' "$TSV"
}
goal() {  # key -> the issue's goal as a ratio to the transport, or -
    case "$1" in
        GetVideo.sqlite) echo 5 ;;
        ListVideos20.sqlite) echo 15 ;;
        GetCounts) echo 3 ;;
        *) echo - ;;
    esac
}
{
    echo
    echo "medians of $REPEAT runs (h2load -c $C -m $M; server CPU = utime + stime of the server process):"
    echo
    echo "| call | req/s | server CPU µs/call | × transport | goal |"
    echo "|---|---:|---:|---:|---|"
    base="$(median Transport 6)"
    for key in "${KEYS[@]}"; do
        us="$(median "$key" 6)"
        g="$(goal "$key")"
        awk -v k="$key" -v rps="$(median "$key" 3)" -v us="$us" -v b="$base" -v g="$g" 'BEGIN {
            r = us / b
            verdict = (g == "-") ? "-" : sprintf("≤ %s×: %s", g, (r <= g ? "met" : "not met"))
            printf "| %s | %.0f | %.1f | %.1f | %s |\n", k, rps, us, r, verdict }'
    done
    # Login's own work (its samples outside Argon2id, by profile attribution), against this run's transport.
    if [[ -f "$OUT/login/own.tsv" ]]; then
        while IFS=$'\t' read -r db per own; do
            awk -v db="$db" -v per="$per" -v own="$own" -v b="$base" 'BEGIN {
                printf "| Login.%s, its own work beside the hash (%.0f µs with it) | - | %.1f | %.1f | - |\n",
                    db, per, own, own / b }'
        done < "$OUT/login/own.tsv"
    fi
} | tee "$OUT/summary.md"
echo "results: $OUT"
