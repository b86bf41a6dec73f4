#!/usr/bin/env bash
# JSON <-> protobuf wire on a video, a list of 20 videos and a counts map of 20 entries: Halo's
# descriptor-driven transcoder against swift-protobuf's typed JSON path (decode JSON + serialize;
# parse + encode JSON), in one release-built process (fastest of five 0.3 s rounds per case), with
# allocations per message counted by interposing malloc (Benchmarks/Transcode/CMallocCounter).
# Prints a Markdown table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
swift build -c release --static-swift-stdlib --product halo-transcode-bench >&2
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
echo "command: Benchmarks/transcode.sh ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
.build/release/halo-transcode-bench
