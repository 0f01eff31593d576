# gsa-theory: the README's commands. `make run` verifies the paper's claims and runs a
# default sweep; `make test` lints and runs the whole test suite.
SHELL := /bin/bash
OUT ?= out
# AVX2 + FMA code generation where the CPU has them (the kernels' SIMD paths rely on FMA).
CPU_FLAGS := $(shell grep -q avx2 /proc/cpuinfo 2>/dev/null && grep -q fma /proc/cpuinfo 2>/dev/null && echo "-Xswiftc -target-cpu -Xswiftc haswell")
SWIFT_FLAGS ?= $(CPU_FLAGS)
RELEASE_BIN = .build/release/gsa-theory

.PHONY: run test lint format deps build release docs clean

deps:
	@scripts/ensure-deps.sh

release: deps
	swift build -c release $(SWIFT_FLAGS) --product gsa-theory

build: deps
	swift build $(SWIFT_FLAGS)

## The main job: every paper claim checked, then a default sweep; data lands in $(OUT)/.
run: release
	@mkdir -p $(OUT)
	scripts/run-main.sh $(RELEASE_BIN) $(OUT)

lint:
	swift format lint --strict --recursive Sources Tests Package.swift

format:
	swift format format --in-place --recursive Sources Tests Package.swift

## The whole test suite (lint, build, Swift Testing).
test: deps lint
	swift build --build-tests $(SWIFT_FLAGS)
	swift test --skip-build $(SWIFT_FLAGS)

clean:
	rm -rf .build $(OUT)
