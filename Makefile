# Halo — the two commands a new machine needs: `make run` and `make test` (README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SWIFT ?= swift
VENV ?= .venv
export HALO_PYTHON := $(CURDIR)/$(VENV)/bin/python
export HALO_RPC_INTEROP := $(CURDIR)/.build/debug/halo-rpc-interop
# Modules that call C: their tests also run under AddressSanitizer (UpstreamTests on its own, as in
# unit-test: its replica processes keep both cores busy).
ASAN_TESTS := HTTP2Tests|RPCTests|SodiumTests|TokensTests|RedisTests
ASAN_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp
ASAN_SWIFT := $(SWIFT) test --sanitize=address --scratch-path .build-asan

.PHONY: help run setup python build lint protos protos-check unit-test interop-test test test-asan bench bench-client clean \
	fuzz fuzz-build fuzz-smoke bench-transcode

help:
	@echo "make run        install what is missing, build (release), start the stack under .halo/"
	@echo "make test       install what is missing, build, lint, check generated code, run every test"
	@echo "make test-asan  the C-facing modules' tests under AddressSanitizer"
	@echo "make bench      Benchmarks/rpc-unary.sh (release build against the Go peer)"
	@echo "make bench-client  Benchmarks/rpc-client.sh (our client vs grpc-go against the Go peer)"
	@echo "make protos     regenerate Sources/Protos and Sources/TestProtos from protos/"
	@echo "make fuzz       the transcoder's libFuzzer targets under AddressSanitizer, FUZZ_SECONDS each (default 600)"
	@echo "make bench-transcode  Benchmarks/transcode.sh (release build against swift-protobuf)"

setup:
	scripts/setup

python: setup
	scripts/python-env

build: setup
	$(SWIFT) build --build-tests

lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests services Package.swift

protos:
	scripts/gen-protos

protos-check: setup
	scripts/gen-protos --check

# The auth suite hashes with Argon2id at OWASP parameters, the upstream suite drives real replica
# processes under load, and the transcoding and JSON suites are seconds of CPU-bound property checks
# on both threads of the test process: each runs on its own, so that the other suites' deadlines are
# not measured against starved threads.
# Each test stage runs under a time limit (scripts/time-limit), far above its usual time.
unit-test: build python
	scripts/time-limit 15m scripts/with-test-services $(SWIFT) test --skip-build --skip AuthServiceTests --skip UpstreamTests --skip 'TranscodingTests|JSONTests'
	scripts/time-limit 10m $(SWIFT) test --skip-build --filter 'TranscodingTests|JSONTests'
	scripts/time-limit 10m scripts/with-test-services $(SWIFT) test --skip-build --filter AuthServiceTests
	scripts/time-limit 10m scripts/with-test-services $(SWIFT) test --skip-build --filter UpstreamTests

interop-test: build python
	scripts/time-limit 20m $(VENV)/bin/python -m pytest -q Tests/Interop

test-asan: setup python
	$(ASAN_ENV) scripts/time-limit 40m scripts/with-test-services $(ASAN_SWIFT) --filter '$(ASAN_TESTS)'
	$(ASAN_ENV) scripts/time-limit 15m scripts/with-test-services $(ASAN_SWIFT) --skip-build --filter UpstreamTests

test: setup python build lint protos-check unit-test interop-test test-asan fuzz-smoke

run: setup
	$(SWIFT) build -c release --static-swift-stdlib
	scripts/run-stack

bench: setup
	$(SWIFT) build -c release --static-swift-stdlib --product halo-rpc-interop
	Benchmarks/rpc-unary.sh

bench-client: setup
	$(SWIFT) build -c release --static-swift-stdlib --product halo-rpc-bench
	Benchmarks/rpc-client.sh

clean:
	rm -rf .halo/test

# The transcoder's libFuzzer targets (Fuzz/), built with libFuzzer and AddressSanitizer in their own scratch
# folder; `make fuzz` runs each for FUZZ_SECONDS, `make test` for FUZZ_SMOKE_SECONDS. Findings go to
# .build-fuzz/findings (crash-* files replay with the same binary, or with a normal build of the target).
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_TARGETS := halo-fuzz-json-to-wire halo-fuzz-wire-to-json
# Coverage instrumentation and AddressSanitizer everywhere; libFuzzer without its own main (the targets' main
# hands control to LLVMFuzzerRunDriver), so Swift's main and libFuzzer's do not collide at link time.
FUZZ_RUNTIME = $(firstword $(wildcard $(dir $(realpath $(shell command -v $(SWIFT))))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-$(shell uname -m).a))
FUZZ_FLAGS = -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp -Xswiftc -DFUZZING \
	-Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++ --scratch-path .build-fuzz

fuzz-build: setup
	test -n "$(FUZZ_RUNTIME)" || { echo "libclang_rt.fuzzer_no_main not found beside $(SWIFT)"; exit 1; }
	for target in $(FUZZ_TARGETS); do $(SWIFT) build $(FUZZ_FLAGS) --product $$target; done

define run-fuzzers
	mkdir -p .build-fuzz/findings
	for target in $(FUZZ_TARGETS); do \
		mkdir -p .build-fuzz/corpus/$$target; \
		ASAN_OPTIONS=detect_leaks=0 .build-fuzz/debug/$$target -max_total_time=$(1) -max_len=4096 \
			-artifact_prefix=.build-fuzz/findings/$$target- .build-fuzz/corpus/$$target; \
	done
endef

fuzz: fuzz-build
	$(call run-fuzzers,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call run-fuzzers,$(FUZZ_SMOKE_SECONDS))

bench-transcode: setup
	Benchmarks/transcode.sh
