#!/usr/bin/env bash
# Instructions per message under callgrind (repeatable on a shared machine, unlike times): for each message and
# direction, Halo's transcoder and swift-protobuf's typed path each run SMALL and LARGE times in
# `halo-transcode-bench --count`, and the difference in instructions over LARGE - SMALL is one message's cost
# (setup, descriptor loading and the warm-up cancel out). Prints a Markdown table. Uses the release build that
# Benchmarks/transcode.sh makes, in .build unless SCRATCH_PATH names another build directory (a worktree's own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SMALL=${SMALL:-50}
LARGE=${LARGE:-250}
scratch=${SCRATCH_PATH:-.build}
swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product halo-transcode-bench >&2
bench=$scratch/release/halo-transcode-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

instructions() {  # message path direction iterations
    valgrind --tool=callgrind --callgrind-out-file="$work/out" "$bench" --count "$@" >/dev/null 2>"$work/log"
    grep -m1 '^summary:' "$work/out" | awk '{print $2}'
}

per_message() {  # message path direction
    local small large
    small=$(instructions "$1" "$2" "$3" "$SMALL")
    large=$(instructions "$1" "$2" "$3" "$LARGE")
    echo $(((large - small) / (LARGE - SMALL)))
}

echo "command: Benchmarks/transcode-callgrind.sh (SMALL=$SMALL LARGE=$LARGE, $(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "| message | direction | Halo instructions/msg | swift-protobuf instructions/msg | ratio |"
echo "|---|---|---|---|---|"
for message in video list counts; do
    for direction in to-wire to-json; do
        ours=$(per_message "$message" halo "$direction")
        theirs=$(per_message "$message" swift-protobuf "$direction")
        ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.1fx", a / b }')
        echo "| $message | $direction | $ours | $theirs | $ratio |"
    done
done
