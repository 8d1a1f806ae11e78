# runas-guard. Everything beyond Rust and Python 3.11 installs into .venv.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CARGO_TERM_COLOR ?= never

.PHONY: all venv build test lint unit integration infra-test demo package bench clean

all: build

$(STAMP): tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r tools/requirements.txt
	touch $@

venv: $(STAMP)

build:
	cargo build

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

unit:
	cargo test --lib

# Integration tests start their own moto servers (one per test) on loopback.
integration: $(STAMP)
	cargo test --test '*' --no-fail-fast -- --test-threads=2

infra-test: $(STAMP)
	$(VENV)/bin/cfn-lint infra/hub.yaml infra/member.yaml
	$(PY) -m unittest discover -s infra/tests -t . -v

test: lint unit infra-test integration

demo: $(STAMP)
	cargo build
	$(PY) tools/demo.py

# Lambda artifact: dist/runas-guard.zip with bootstrap (aarch64) and policy.toml.
POLICY ?= examples/policy.toml
package: $(STAMP)
	test -f "$(POLICY)" || { echo "POLICY=$(POLICY) does not exist" >&2; exit 2; }
	cargo run --quiet -- policy check "$(POLICY)"
	cargo lambda build --release --arm64 --output-format zip
	mkdir -p dist
	cp target/lambda/runas-guard/bootstrap.zip dist/runas-guard.zip
	cp "$(POLICY)" target/lambda/runas-guard/policy.toml
	cd target/lambda/runas-guard && $(CURDIR)/$(PY) -c "import zipfile,sys; z=zipfile.ZipFile('$(CURDIR)/dist/runas-guard.zip','a'); z.write('policy.toml'); z.close()"
	@echo "dist/runas-guard.zip: bootstrap + policy.toml ($(POLICY))"

bench: $(STAMP)
	cargo build --release
	cargo run --release --example bench

clean:
	cargo clean
	rm -rf dist .demo
