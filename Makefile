# runas-guard. Everything beyond Rust and Python 3.11 installs into .venv.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CARGO_TERM_COLOR ?= never

.PHONY: all venv build test lint unit integration rehearsal emulator-test infra-test tools-test demo demo-stop deploy-local package dist release bench clean

# Where cargo puts what it builds (CARGO_TARGET_DIR, build.target-dir, else
# target/), as `cargo metadata` says; asked only by the recipes that use it.
TARGET_DIR = $(shell python3 tools/local_aws.py target-dir)
LAMBDA_DIR = $(TARGET_DIR)/lambda

all: build

$(STAMP): tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r tools/requirements.txt
	touch $@

venv: $(STAMP)

# checkov, the scanner platform teams gate templates on, in a venv of its own
# inside .venv: it pins a boto3 older than moto's.
SCAN := $(VENV)/scan/.installed
$(SCAN): $(STAMP)
	python3 -m venv $(VENV)/scan
	$(VENV)/scan/bin/pip install --quiet checkov==3.3.30
	touch $@

build:
	cargo build

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

unit:
	cargo test --lib

# The deterministic simulation (tests/sim; docs/internals.md "Simulation"):
# the reactor against a simulated AWS in virtual time, one seed per schedule.
# `make simulation` (in `make test`) plays a fixed budget of seeds and the
# regression seeds; a finding fails unless its profile tolerates its shape
# (tests/sim/profile.rs) or tests/sim/known.txt names it.
# `make simulate` explores fresh seeds for SECONDS (default 180) and prints
# schedules per minute; `make simulate SEED=n` replays one schedule with its
# trace (twice the same). FROM=n starts the exploration at seed n.
# `make simulation` also runs the differential check (tests/sim/diff/):
# the same scenarios against the simulated AWS and against moto (.venv).
# SIM_PROFILE=sim plays the budget optimised (its first build compiles the
# dependencies once more; make test keeps the test profile, built already).
SIM_BUDGET ?= 20
# The fault profile `make simulate` plays (tests/sim/profile.rs): aws, harsh
# (the default, as `make simulation`), aimed.
FAULTS ?= harsh
SIM_PROFILE ?= test
SECONDS ?= 180
.PHONY: simulation simulate sim-scale
simulation: $(STAMP)
	SIM_BUDGET=$(SIM_BUDGET) cargo test --profile $(SIM_PROFILE) --test simulation -- --nocapture --test-threads=1

simulate:
ifdef SEED
	SIM_FAULTS=$(FAULTS) SIM_SEED=$(SEED) cargo test --profile sim --test simulation simulate -- --nocapture
else
	SIM_FAULTS=$(FAULTS) SIM_SECONDS=$(SECONDS) SIM_FROM=$(FROM) cargo test --profile sim --test simulation simulate -- --nocapture
endif

# Integration tests (one binary, tests/main.rs) start their own moto servers
# (one per test) on loopback, forked from one process that imported moto once
# (tests/moto_zygote.py). Four at a time: a test mostly waits on its servers
# and binaries, and 4 finished a fifth sooner than 2 on a busy 2-core machine.
integration: $(STAMP)
	cargo test --test integration --no-fail-fast -- --test-threads=4

# The tests' local AWS checks itself: the fault proxy, the emulated State Manager,
# Identity Center's attributes, trust conditions, Lambda Invoke and atomic
# DynamoDB requests.
emulator-test: $(STAMP)
	$(PY) tests/fault_proxy_selftest.py
	$(PY) tests/moto_ssm_associations_selftest.py
	$(PY) tests/moto_sso_attributes_selftest.py
	$(PY) tests/moto_cfn_selftest.py
	$(PY) tests/moto_dynamodb_atomic_selftest.py
	$(PY) tests/moto_dynamodb_expressions_selftest.py
	$(PY) tests/moto_ssm_created_date_selftest.py
	$(PY) tests/moto_ssm_sessions_selftest.py
	$(PY) tests/moto_securityhub_selftest.py

infra-test: $(STAMP) $(SCAN)
	$(VENV)/bin/cfn-lint infra/hub.yaml infra/member.yaml
	$(VENV)/scan/bin/checkov -f infra/hub.yaml -f infra/member.yaml --framework cloudformation --compact --quiet --skip-download
	$(PY) -m unittest discover -s infra/tests -t . -v

# The tools make runs: the binary found through cargo (CARGO_TARGET_DIR), a
# kept local AWS stopped by the next KEEP=1 run and by demo-stop, release's checks,
# rust-version against Cargo.lock's crates (whose sources cargo fetch extracts).
tools-test: $(STAMP)
	cargo fetch --locked --quiet  # every locked crate's sources, which the rust-version test reads
	$(PY) tools/test_tools.py
	$(PY) bench/latency_proxy_selftest.py

# The rehearsal (deploy-local: the shipped stacks, the function run on
# Invoke, on-call's seat with IAM enforced) ends it, with the binary the
# integration tests built: a plain `cargo build` would build tokio and the
# SDK again without the tests' features.
test: lint unit simulation infra-test emulator-test tools-test integration rehearsal

rehearsal: $(STAMP)
	$(PY) tools/deploy_local.py

# KEEP=1: leave the local AWS running afterwards and print the environment to
# explore it (the next KEEP=1 run stops it first). The binary is found through
# cargo metadata, so CARGO_TARGET_DIR is honoured.
demo: $(STAMP)
	cargo build
	KEEP=$(KEEP) $(PY) tools/demo.py

# Stops the local AWS that `make demo KEEP=1` or `make deploy-local KEEP=1`
# left running (recorded in the checkout's .runas-guard-local/, whatever
# CARGO_TARGET_DIR is).
demo-stop:
	python3 tools/local_aws.py stop

# The shipped stacks (infra/hub.yaml, infra/member.yaml) deployed into a local
# AWS as infra/docs/deploy.md's deploy steps do; prints their outputs and the next
# commands. KEEP=1 leaves it running.
deploy-local: $(STAMP)
	cargo build
	KEEP=$(KEEP) $(PY) tools/deploy_local.py

# Lambda artifact of this checkout, named by Cargo.toml's version and the git
# revision (with -dirty when the tree has changes), so a change request can
# name what it deploys: dist/runas-guard-<version>-g<rev>-lambda-arm64.zip,
# bootstrap (aarch64) only; the function reads its policy from S3 (hub stack
# output PolicyUrl, deploy step 2). POLICY=path checks that file first and
# also bundles it as policy.toml, for a deployment that sets
# RUNAS_GUARD_POLICY=/var/task/policy.toml. `make dist` builds a release's.
GIT_REV = $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git status --porcelain 2>/dev/null | grep -q . && echo -dirty)
PACKAGE_ZIP = dist/runas-guard-$(CARGO_VERSION)-g$(GIT_REV)-lambda-arm64.zip
package: $(STAMP)
ifneq ($(strip $(POLICY)),)
	test -f "$(POLICY)" || { echo "POLICY=$(POLICY) does not exist" >&2; exit 2; }
	cargo run --quiet -- policy check "$(POLICY)"
endif
	cargo lambda build --release --arm64 --output-format zip --lambda-dir "$(LAMBDA_DIR)"
	mkdir -p dist
	cp "$(LAMBDA_DIR)/runas-guard/bootstrap.zip" "$(PACKAGE_ZIP)"
ifneq ($(strip $(POLICY)),)
	cp "$(POLICY)" "$(LAMBDA_DIR)/runas-guard/policy.toml"
	cd "$(LAMBDA_DIR)/runas-guard" && $(CURDIR)/$(PY) -c "import zipfile,sys; z=zipfile.ZipFile('$(CURDIR)/$(PACKAGE_ZIP)','a'); z.write('policy.toml'); z.close()"
	@echo "$(PACKAGE_ZIP): bootstrap + policy.toml ($(POLICY)), for RUNAS_GUARD_POLICY=/var/task/policy.toml"
else
	@echo "$(PACKAGE_ZIP): bootstrap only; the function reads its policy from S3 (RUNAS_GUARD_POLICY=s3://bucket/key)"
endif

# Release artifacts in dist/, named by Cargo.toml's version: the CLI for
# x86_64 and aarch64 Linux (runas-guard-<version>-<target>.tar.gz: static,
# musl, linked by cargo-lambda's zig), the Lambda zip
# (runas-guard-<version>-lambda-arm64.zip: the same static aarch64 binary as
# bootstrap, for provided.al2023 on arm64), SHA256SUMS. `--version` of each
# names the version and the git revision (build.rs; dist.py checks it).
# Targets' standard libraries come from rustup; cargo-lambda and zig from .venv.
CARGO_VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
dist: $(STAMP)
	rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
	rm -rf dist && mkdir -p dist
	cargo lambda build --release --target x86_64-unknown-linux-musl --lambda-dir "$(LAMBDA_DIR)"
	$(PY) tools/dist.py pack $(CARGO_VERSION) x86_64-unknown-linux-musl "$(LAMBDA_DIR)/runas-guard/bootstrap"
	cargo lambda build --release --target aarch64-unknown-linux-musl --output-format zip --lambda-dir "$(LAMBDA_DIR)"
	cp "$(LAMBDA_DIR)/runas-guard/bootstrap.zip" dist/runas-guard-$(CARGO_VERSION)-lambda-arm64.zip
	$(PY) tools/dist.py pack $(CARGO_VERSION) aarch64-unknown-linux-musl "$(LAMBDA_DIR)/runas-guard/bootstrap.zip"
	$(PY) tools/dist.py sums
	$(PY) tools/dist.py check $(CARGO_VERSION)

# make release VERSION=x.y.z: Cargo.toml's version is VERSION, CHANGELOG.md
# has a dated `## [x.y.z] - YYYY-MM-DD` section naming its release commit
# (`Commit: `hash``, in this history, HEAD or before, with version x.y.z),
# the tree is clean (nothing changed or untracked) and tag vx.y.z is new
# (tools/release.py); then `make test` and `make dist`, the tree checked
# clean again, and the command that makes the annotated tag vx.y.z on the
# named commit (its message the CHANGELOG section) is printed: nothing is
# tagged or pushed. SKIP_CHECKS=1 leaves out `make test` (the message says so).
release:
	@test -n "$(VERSION)" || { echo "make release VERSION=x.y.z" >&2; exit 2; }
	python3 tools/release.py check "$(VERSION)"
ifeq ($(strip $(SKIP_CHECKS)),)
	$(MAKE) test
else
	@echo "release: SKIP_CHECKS=1: make test not run"
endif
	$(MAKE) dist
	python3 tools/release.py tag "$(VERSION)" "$(if $(strip $(SKIP_CHECKS)),Tagged with SKIP_CHECKS=1: make test was not run for this tag.)"

bench: $(STAMP)
	cargo build --release
	cargo run --release --example bench
	$(PY) bench/single_event.py

clean: demo-stop
	cargo clean
	rm -rf dist .demo .deploy-local

# Organization-scale benchmark (bench/scale.py): runas-guard against moto behind an
# RTT-injecting proxy, beside a plain boto3 peer; prints a report, writes bench/results.md.
# Sweeps and vends are recorded at RTT 0, then replayed from the proxy at their RTT without moto.
# Smoke run: make bench-scale ACCOUNTS=50 REGIONS=2. Concurrency sweep: SWEEP_CONCURRENCY=1.
# Run-as user check phase: NODES nodes per account-region (0 skips it), BIG_FLEET nodes for the memory measure.
# Vend before the member stack: VEND_PENDING=0 skips it; REATTEMPTS re-attempts counted (0 skips them).
# Member StackSet update of one settled account (VEND_REGIONS events + duplicates at once): always runs.
.PHONY: bench-scale
ACCOUNTS ?= 1000
REGIONS ?= 4
RTT_MS ?= 50
CONCURRENCY ?= 16
VEND_REGIONS ?= 17
VEND_RTT_MS ?= 30
CONCURRENCIES ?= 16,32,64
SWEEP_CONCURRENCY ?= 0
NODES ?= 3
BIG_FLEET ?= 5000
VEND_PENDING ?= 1
REATTEMPTS ?= 3
bench-scale: $(STAMP)
	cargo build --release
	ACCOUNTS=$(ACCOUNTS) REGIONS=$(REGIONS) RTT_MS=$(RTT_MS) CONCURRENCY=$(CONCURRENCY) \
	VEND_REGIONS=$(VEND_REGIONS) VEND_RTT_MS=$(VEND_RTT_MS) CONCURRENCIES=$(CONCURRENCIES) \
	SWEEP_CONCURRENCY=$(SWEEP_CONCURRENCY) NODES=$(NODES) BIG_FLEET=$(BIG_FLEET) \
	VEND_PENDING=$(VEND_PENDING) REATTEMPTS=$(REATTEMPTS) $(PY) bench/scale.py
	$(MAKE) sim-scale

# The same sweep in virtual time at sizes the local AWS cannot hold
# (bench/sim_scale.py, tests/sim/run/scale.rs): the simulated AWS at RTT_MS,
# no faults, fanned out as deployed; SIM_SCALES sizes (ACCOUNTSxREGIONS),
# built with SIM_SCALE_PROFILE (sim: optimised, the dependencies compiled once
# more on its first build); then SIM_SCALES_FINDINGS sizes with Security Hub
# CSPM findings on (the baseline and its read-back, behind the API's rate
# limits; 10000x17 there takes longer than the run without findings).
# Writes bench/results.md's simulation section.
SIM_SCALES ?= 1000x4 10000x17
SIM_SCALES_FINDINGS ?= 1000x4 2000x17
SIM_SCALE_PROFILE ?= sim
sim-scale:
	RTT_MS=$(RTT_MS) SIM_SCALES="$(SIM_SCALES)" SIM_SCALES_FINDINGS="$(SIM_SCALES_FINDINGS)" SIM_SCALE_PROFILE=$(SIM_SCALE_PROFILE) python3 bench/sim_scale.py
