#!/usr/bin/env bash
# AuthService/Login's cost beside its password hash (issue 14): Login is one Argon2id verification
# (~70 ms of CPU at the configured cost) plus the service's own work (the user read, the rate-limit
# bookkeeping, two Ed25519 token signatures, the refresh token written). The hash drowns the rest in
# a CPU-per-call figure, so the rest is found by attribution: the auth service is loaded with logins
# under `perf record -g`, and every sample whose stack is in libsodium (Argon2id and its memory) is
# the hash; the others are the service's own work. Own work per login = its share of samples x the
# service's CPU per login (utime + stime from /proc). Beside it, our transport's CPU per call
# (`halo-rpc-interop serve`, inline GetVideo), measured in the same run, for the ratio.
#
#   Benchmarks/login.sh                  LOGINS=200 on SQLite, results in Benchmarks/results/login-<utc>/
#   DATABASES='sqlite postgres' Benchmarks/login.sh
#
# Release binaries: swift build -c release --static-swift-stdlib --product halo-auth (and halo-rpc-interop).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
DATABASES="${DATABASES:-sqlite}"
if [[ " $DATABASES " == *" postgres "* && -z "${HALO_TEST_POSTGRES_URL:-}" ]]; then
    exec "$root/scripts/with-test-services" "$0" "$@"
fi
BIN_DIR="${BIN_DIR:-$root/.build/release}"
LOGINS="${LOGINS:-200}"
TRANSPORT_N="${TRANSPORT_N:-50000}"
OUT="${OUT:-$root/Benchmarks/results/login-$(date -u +%Y%m%dT%H%M%SZ)}"

die() { echo "login: $*" >&2; exit 1; }
for tool in h2load nghttp perf python3; do command -v "$tool" >/dev/null || die "$tool missing"; done
for binary in halo-auth halo-rpc-interop; do
    [[ -x "$BIN_DIR/$binary" ]] || die "$BIN_DIR/$binary missing: swift build -c release --static-swift-stdlib --product $binary"
done
mkdir -p "$OUT"
CLK="$(getconf CLK_TCK)"

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
frame "$OUT/register.bin" '(1, b"bench@example.com")' '(2, b"bench_user")' '(3, b"correct horse battery")'
frame "$OUT/login.bin" '(1, b"bench@example.com")' '(2, b"correct horse battery")'
frame "$OUT/transport.bin" '(1, 1)'

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
    die "nothing listens on $1"
}
jiffies() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
grpc=(-H 'content-type: application/grpc' -H 'te: trailers')

{
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, kernel $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "binaries: $BIN_DIR, source $(git rev-parse --short HEAD)"
} | tee "$OUT/env.txt"

# The transport: CPU per call.
"$BIN_DIR/halo-rpc-interop" serve --host 127.0.0.1 --port 0 --threads "$(nproc)" --log-level warning \
    --get-video-handler inline > "$OUT/transport.stdout" 2> "$OUT/transport.log" &
transport=$!
pids+=("$transport")
for _ in $(seq 100); do grep -q '^listening ' "$OUT/transport.stdout" 2>/dev/null && break; sleep 0.1; done
tport="$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$OUT/transport.stdout")"
[[ -n "$tport" ]] || die "the transport did not start"
h2load -n 5000 -c 8 -m 16 "${grpc[@]}" -d "$OUT/transport.bin" \
    "http://127.0.0.1:$tport/halo.testing.v1.TestService/GetVideo" > /dev/null
before="$(jiffies "$transport")"
h2load -n "$TRANSPORT_N" -c 8 -m 16 "${grpc[@]}" -d "$OUT/transport.bin" \
    "http://127.0.0.1:$tport/halo.testing.v1.TestService/GetVideo" > "$OUT/transport.txt"
after="$(jiffies "$transport")"
transport_us="$(awk -v t=$((after - before)) -v c="$CLK" -v n="$TRANSPORT_N" 'BEGIN {printf "%.2f", t / c * 1e6 / n}')"

for db in $DATABASES; do
    port="$(free_port)"
    url=""
    [[ "$db" == postgres ]] && url="$HALO_TEST_POSTGRES_URL"
    mkdir -p "$OUT/data-$db"
    HALO_AUTH_PORT="$port" HALO_DATA_DIR="$OUT/data-$db" HALO_AUTH_DATABASE_URL="$url" HALO_LOG_LEVEL=warning \
        "$BIN_DIR/halo-auth" > "$OUT/auth-$db.log" 2>&1 &
    auth=$!
    pids+=("$auth")
    wait_port "$port"
    base="http://127.0.0.1:$port/halo.auth.v1.AuthService"
    nghttp -v "${grpc[@]}" -d "$OUT/register.bin" "$base/Register" > "$OUT/register-$db.txt" 2>&1 || true
    grep -aq 'grpc-status: 0' "$OUT/register-$db.txt" || grep -aq 'grpc-status: 6' "$OUT/register-$db.txt" \
        || die "Register failed on $db: $(tail -5 "$OUT/register-$db.txt")"
    nghttp -v "${grpc[@]}" -d "$OUT/login.bin" "$base/Login" > "$OUT/check-$db.txt" 2>&1 || true
    grep -aq 'grpc-status: 0' "$OUT/check-$db.txt" || die "Login failed on $db: $(tail -5 "$OUT/check-$db.txt")"

    before="$(jiffies "$auth")"
    perf record -q -e cpu-clock -F 4000 -g -p "$auth" -o "$OUT/perf-$db.data" 2> /dev/null &
    perf_pid=$!
    sleep 0.3
    h2load -n "$LOGINS" -c 2 -m 1 "${grpc[@]}" -d "$OUT/login.bin" "$base/Login" > "$OUT/login-$db.txt"
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    after="$(jiffies "$auth")"
    ok="$(awk '/^requests:/ { gsub(",", ""); print $8 }' "$OUT/login-$db.txt")"
    [[ "$ok" == "$LOGINS" ]] || die "only $ok of $LOGINS logins succeeded on $db"
    # A sample is the hash's when its stack is in libsodium (Argon2id itself), or in the kernel's
    # handling of anonymous memory (page faults, mmap, munmap): Argon2id takes and frees its
    # 19 MiB per verification, and the service's own work maps no memory per call. The others
    # are the service's own work; their leaf symbols go to own-<db>.txt to be read.
    perf script -i "$OUT/perf-$db.data" -F ip,sym,dso 2> /dev/null | awk -v own="$OUT/own-$db.txt" '
        function finish() {
            if (!inside) return
            total++
            if (hash) hashed++; else leaves[leaf]++
            inside = 0; hash = 0
        }
        /^$/ { finish(); next }
        {
            if (!inside) { leaf = $2 " " $NF; inside = 1 }
            if ($0 ~ /libsodium|handle_mm_fault|vm_mmap_pgoff|mm_populate|munmap|__mmap|mlock|madvise/) hash = 1
        }
        END {
            finish()
            for (l in leaves) printf "%d %s\n", leaves[l], l | "sort -rn | head -40 > \"" own "\""
            printf "%d %d\n", total, hashed
        }' > "$OUT/samples-$db.txt"
    read -r total hashed < "$OUT/samples-$db.txt"
    perf report -i "$OUT/perf-$db.data" --no-children -g none --sort dso,symbol --percent-limit 0.5 --stdio 2> /dev/null \
        | grep -E "^ +[0-9.]+%" | sed "s/  */ /g" > "$OUT/perf-$db.txt" || true
    [[ -n "${KEEP_PERF:-}" ]] || rm -f "$OUT/perf-$db.data"
    awk -v t=$((after - before)) -v c="$CLK" -v n="$LOGINS" -v total="$total" -v hashed="$hashed" \
        -v tr="$transport_us" -v db="$db" -v ownfile="$OUT/own.tsv" 'BEGIN {
        per = t / c * 1e6 / n; own = (total - hashed) / total
        printf "Login on %s: %.0f us CPU per login; %d samples, %.2f%% outside the hash: %.1f us of own work per login = %.1fx the transport (%.2f us)\n",
            db, per, total, own * 100, per * own, per * own / tr, tr
        # For Benchmarks/services.sh, which puts the own work beside its other calls: db, CPU per
        # login, own work per login (us).
        printf "%s\t%.1f\t%.1f\n", db, per, per * own >> ownfile }' | tee -a "$OUT/summary.txt"
    kill -TERM "$auth"
    wait "$auth" 2>/dev/null || true
done
