#!/usr/bin/env bash
# The cluster layer's cost per unary call over the bare connection (issue 10 §3: under 1 µs),
# counted rather than timed, so that a busy machine cannot hide it in noise.
#
#   Benchmarks/rpc-layer-cost.sh          results in Benchmarks/results/rpc-layer-cost-<utc>/
#
# What it does:
#   1. starts `halo-rpc-interop serve --threads 1` (GetVideo answered on its event loop) on a free port;
#   2. for each mode of `halo-rpc-bench` (connection: the bare `Subchannel`; cluster: the Upstream
#      `LoopPool` on top), runs it under `valgrind --tool=callgrind` at two call counts, N1 and N2
#      (after the same warm-up, C calls in flight): instructions per call = (Ir(N2) - Ir(N1)) /
#      (N2 - N1), so start-up, warm-up and shutdown cancel out; the layer's cost is cluster minus
#      connection;
#   3. the same under `valgrind --tool=memcheck` for heap allocations per call (its "total heap
#      usage" line, same difference);
#   4. converts instructions to time with this machine's own figure: each mode run natively for
#      NATIVE_CALLS calls, REPEAT times, user CPU ns per call (getrusage); instructions per ns =
#      callgrind instructions per call / the median native user ns per call (the layer runs in user
#      space, the same kind of code).
# Stops only the processes it started.
#
# Knobs: HALO_RPC_BENCH (default .build-release/release/halo-rpc-bench), HALO_RPC_INTEROP
# (default .build/debug/halo-rpc-interop: the server's speed does not change the client's counts),
# N1 (3000), N2 (13000), C (32), NATIVE_CALLS (300000), REPEAT (5), OUT.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

BENCH="${HALO_RPC_BENCH:-$root/.build-release/release/halo-rpc-bench}"
SERVER="${HALO_RPC_INTEROP:-$root/.build/debug/halo-rpc-interop}"
N1="${N1:-3000}"
N2="${N2:-13000}"
C="${C:-32}"
NATIVE_CALLS="${NATIVE_CALLS:-300000}"
REPEAT="${REPEAT:-5}"
OUT="${OUT:-$root/Benchmarks/results/rpc-layer-cost-$(date -u +%Y%m%dT%H%M%SZ)}"

for binary in "$BENCH" "$SERVER"; do
    [[ -x "$binary" ]] || { echo "no $binary (swift build -c release --scratch-path .build-release --product halo-rpc-bench; swift build --product halo-rpc-interop)" >&2; exit 1; }
done
command -v valgrind > /dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
mkdir -p "$OUT"
# valgrind 3.19 (Debian 12) gives up on the DWARF 5 the Swift toolchain writes: measure a copy
# without debug information (the code is the same bytes).
cp "$BENCH" "$OUT/halo-rpc-bench"
strip --strip-debug "$OUT/halo-rpc-bench"
BENCH="$OUT/halo-rpc-bench"

exec 3< <("$SERVER" serve --port 0 --threads 1 --log-level error)
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
read -r first <&3
target="${first#listening }"
path=/halo.testing.v1.TestService/GetVideo

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "valgrind: $(valgrind --version); N1=$N1 N2=$N2 C=$C NATIVE_CALLS=$NATIVE_CALLS REPEAT=$REPEAT"
} | tee "$OUT/setup.txt"

bench() {  # mode, calls, command prefix...
    local mode="$1" calls="$2"; shift 2
    "$@" "$BENCH" --mode "$mode" --target "$target" --path "$path" --concurrency "$C" \
        --calls "$calls" --warmup-calls 1000
}

for mode in connection cluster; do
    for calls in "$N1" "$N2"; do
        bench "$mode" "$calls" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            > "$OUT/callgrind-$mode-$calls.out" 2> "$OUT/callgrind-$mode-$calls.err"
        bench "$mode" "$calls" valgrind --tool=memcheck --leak-check=no \
            > "$OUT/memcheck-$mode-$calls.out" 2> "$OUT/memcheck-$mode-$calls.err"
    done
done
for _ in $(seq "$REPEAT"); do
    for mode in connection cluster; do
        echo "$mode $(bench "$mode" "$NATIVE_CALLS")" | tee -a "$OUT/native.txt"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/setup.txt"

python3 - "$OUT" "$N1" "$N2" << 'PY' | tee "$OUT/summary.txt"
import re, statistics, sys
out, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def number(path, pattern):
    text = open(path).read()
    match = re.search(pattern, text)
    if not match:
        sys.exit(f"{path}: no match for {pattern}")
    return int(match.group(1).replace(",", ""))

def failures(path):
    return int(re.search(r"failures=(\d+)", open(path).read()).group(1))

per_call = {}
allocs = {}
for mode in ("connection", "cluster"):
    for calls in (n1, n2):
        for tool in ("callgrind", "memcheck"):
            if failures(f"{out}/{tool}-{mode}-{calls}.out"):
                sys.exit(f"{tool} {mode} {calls}: calls failed")
    ir = [number(f"{out}/callgrind-{mode}-{c}.err", r"Collected : ([\d,]+)") for c in (n1, n2)]
    heap = [number(f"{out}/memcheck-{mode}-{c}.err", r"total heap usage: ([\d,]+) allocs") for c in (n1, n2)]
    per_call[mode] = (ir[1] - ir[0]) / (n2 - n1)
    allocs[mode] = (heap[1] - heap[0]) / (n2 - n1)

native = {"connection": [], "cluster": []}
for line in open(f"{out}/native.txt"):
    mode, *fields = line.split()
    values = dict(field.split("=", 1) for field in fields)
    if int(values["failures"]):
        sys.exit(f"native {mode}: calls failed")
    native[mode].append(float(values["user_us_per_call"]) * 1000)

layer = per_call["cluster"] - per_call["connection"]
for mode in ("connection", "cluster"):
    user_ns = statistics.median(native[mode])
    print(f"{mode:10} {per_call[mode]:9.0f} instructions/call  {allocs[mode]:5.2f} allocations/call  "
          f"native user CPU {user_ns:7.0f} ns/call (median of {len(native[mode])})  "
          f"-> {per_call[mode] / user_ns:.2f} instructions/ns")
rate = statistics.median([per_call[m] / statistics.median(native[m]) for m in native])
print(f"\nlayer: {layer:+.0f} instructions/call, {allocs['cluster'] - allocs['connection']:+.2f} allocations/call;"
      f" at {rate:.2f} instructions/ns (this machine, this workload): {layer / rate:+.0f} ns/call")
PY
