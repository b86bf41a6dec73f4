# Halo — the two commands a new machine needs: `make run` and `make test` (README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SWIFT ?= swift
VENV ?= .venv
export HALO_PYTHON := $(CURDIR)/$(VENV)/bin/python
export HALO_RPC_INTEROP := $(CURDIR)/.build/debug/halo-rpc-interop
# Modules that call C: their tests also run under AddressSanitizer.
ASAN_TESTS := HTTP2Tests|RPCTests|UpstreamTests|SodiumTests|TokensTests|RedisTests

.PHONY: help run setup python build lint protos protos-check unit-test interop-test test test-asan bench bench-client clean

help:
	@echo "make run        install what is missing, build (release), start the stack under .halo/"
	@echo "make test       install what is missing, build, lint, check generated code, run every test"
	@echo "make test-asan  the C-facing modules' tests under AddressSanitizer"
	@echo "make bench      Benchmarks/rpc-unary.sh (release build against the Go peer)"
	@echo "make bench-client  Benchmarks/rpc-client.sh (our client vs grpc-go against the Go peer)"
	@echo "make protos     regenerate Sources/Protos and Sources/TestProtos from protos/"

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

# The auth suite hashes with Argon2id at OWASP parameters and keeps both cores busy: it runs on its
# own, so the transport tests' deadlines are not measured against starved threads.
unit-test: build python
	scripts/with-test-services $(SWIFT) test --skip-build --skip AuthServiceTests
	scripts/with-test-services $(SWIFT) test --skip-build --filter AuthServiceTests

interop-test: build python
	$(VENV)/bin/python -m pytest -q Tests/Interop

test-asan: setup python
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp scripts/with-test-services $(SWIFT) test --sanitize=address --scratch-path .build-asan --filter '$(ASAN_TESTS)'

test: setup python build lint protos-check unit-test interop-test test-asan

run: setup
	$(SWIFT) build -c release
	scripts/run-stack

bench: setup
	$(SWIFT) build -c release --product halo-rpc-interop
	Benchmarks/rpc-unary.sh

bench-client: setup
	$(SWIFT) build -c release --product halo-rpc-bench
	Benchmarks/rpc-client.sh

clean:
	rm -rf .halo/test
