# gsa-theory: the README's commands. `make run` verifies the paper's claims and runs a
# default sweep; `make test` lints and runs the whole test suite.
SHELL := /bin/bash
OUT ?= out
# AVX2 + FMA code generation where the CPU has them (the kernels' SIMD paths rely on FMA).
CPU_FLAGS := $(shell grep -q avx2 /proc/cpuinfo 2>/dev/null && grep -q fma /proc/cpuinfo 2>/dev/null && echo "-Xswiftc -target-cpu -Xswiftc haswell")
SWIFT_FLAGS ?= $(CPU_FLAGS)
RELEASE_BIN = .build/release/gsa-theory

.PHONY: run test lint format deps build release bench compare docs docs-check clean

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

## The performance benchmark (long: run it on a quiet machine): writes docs/performance.md and its data,
## docs/data/performance.json, which the performance notebook turns into the page's figures (`make docs`
## runs this first).
bench: deps
	swift build -c release $(SWIFT_FLAGS) --product gsa-bench
	@mkdir -p docs/data
	.build/release/gsa-bench --output docs/performance.md --json docs/data/performance.json

## Optional: torch SDPA against the dense kernel and the reference layer against the GSA layer, in one run
## (needs PyTorch, e.g. `pip install torch` (CPU wheel), and a checkout of the reference:
## `make compare REFERENCE=/path/to/Gated-Sparse-Attention`); writes docs/data/side-by-side.json, which
## `make bench` renders into docs/performance.md. About 10 minutes; run it on a quiet machine.
PYTHON ?= python3
compare: release
	@test -n "$(REFERENCE)" || { echo "error: REFERENCE is not set; pass REFERENCE=/path/to/Gated-Sparse-Attention (scripts/reference/README.md)"; exit 2; }
	@mkdir -p docs/data
	$(PYTHON) Benchmarks/side_by_side.py --reference $(REFERENCE) --binary $(RELEASE_BIN) --json docs/data/side-by-side.json

lint:
	swift format lint --strict --recursive Sources Tests Package.swift

format:
	swift format format --in-place --recursive Sources Tests Package.swift

## The whole test suite (lint, build, Swift Testing).
test: deps lint
	swift build --build-tests $(SWIFT_FLAGS)
	swift test --skip-build $(SWIFT_FLAGS)

## Docs, in one command (about 8 minutes on 2 idle cores; timings need a quiet machine): the
## performance benchmark (as `make bench`), the datasets (plot-data), the notebooks and their
## docs/figures/*.png, docs/cli.md and docs/claims.md. `make docs SKIP_BENCH=1` keeps the committed
## docs/performance.md and docs/data/performance.json. Python packages are pinned in
## Notebooks/requirements.txt, installed in .venv.
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
DEBUG_BIN = .build/debug/gsa-theory

$(VENV)/.installed: Notebooks/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r Notebooks/requirements.txt
	touch $@

docs: release $(VENV)/.installed
	@mkdir -p $(OUT)
	@if [ -z "$(SKIP_BENCH)" ]; then $(MAKE) --no-print-directory bench; else echo "SKIP_BENCH: keeping docs/performance.md and docs/data/performance.json"; fi
	$(RELEASE_BIN) plot-data --out $(OUT)/plot-data
	GSA_PLOT_DATA=$(OUT)/plot-data GSA_PERF_DATA=docs/data/performance.json GSA_FIGURES=docs/figures \
	  $(VENV_PYTHON) scripts/run_notebooks.py --executed $(OUT)/notebooks
	scripts/gen_cli_md.sh $(RELEASE_BIN) docs/cli.md
	$(VENV_PYTHON) scripts/claims_md.py $(OUT)/plot-data/claims.json > docs/claims.md.tmp && mv docs/claims.md.tmp docs/claims.md
	$(VENV_PYTHON) scripts/check_docs.py

## CI: the notebooks on small data (debug build, plot-data --small; gsa-bench --smoke), figures into
## $(OUT)/docs-check; fails if a notebook errors, a .ipynb is out of sync with its .py, or a docs/ link is
## broken. gsa-bench --smoke (short lengths and a short roofline) takes about 15 s in the debug build.
## The smoke markdown must embed exactly the figures the notebook made.
docs-check: deps $(VENV)/.installed
	swift build $(SWIFT_FLAGS) --product gsa-theory
	swift build $(SWIFT_FLAGS) --product gsa-bench
	@mkdir -p $(OUT)/docs-check
	$(DEBUG_BIN) plot-data --small --out $(OUT)/docs-check/plot-data
	.build/debug/gsa-bench --smoke --output $(OUT)/docs-check/performance.md --json $(OUT)/docs-check/performance.json
	GSA_STRICT=1 GSA_PLOT_DATA=$(OUT)/docs-check/plot-data GSA_PERF_DATA=$(OUT)/docs-check/performance.json \
	  GSA_FIGURES=$(OUT)/docs-check/figures \
	  $(VENV_PYTHON) scripts/run_notebooks.py --check --executed $(OUT)/docs-check/notebooks
	$(VENV_PYTHON) scripts/check_docs.py --figures $(OUT)/docs-check/figures
	$(VENV_PYTHON) scripts/check_docs.py --docs $(OUT)/docs-check --figures $(OUT)/docs-check/figures

clean:
	rm -rf .build $(OUT)
