# netwarden: `make demo` and `make test` install what they need on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := nftables iproute2 conntrack iperf3 procps curl netcat-openbsd iputils-ping graphviz chromium
PYTEST_ARGS ?=

.PHONY: all install system-deps kustomize-deps demo test lint unit lab bench fuzz clean

all: test

# System packages are installed only when one is missing, so a warm machine skips apt.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing system packages:$$missing (run as root)"; exit 1; fi; \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# kustomize for -k and kustomization folders (and its test): Debian's kubernetes-client ships
# `kubectl kustomize`. Installed only when no kubectl or kustomize is on PATH, since another
# kubectl package (the Cloud SDK's) owns /usr/bin/kubectl where one is installed.
KUSTOMIZE_PACKAGE := kubernetes-client

kustomize-deps:
	@if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing kubectl or kustomize (run as root)"; exit 1; fi; \
	  echo "installing $(KUSTOMIZE_PACKAGE) (kubectl kustomize)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(KUSTOMIZE_PACKAGE); \
	fi

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev,kube]'
	touch $(STAMP)

install: system-deps kustomize-deps $(STAMP)

demo: install
	$(VENV)/bin/netwarden demo examples/seed-prod-dev

lint: install
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/mypy

# The whole suite and the package's doctests (testpaths and --doctest-modules in
# pyproject.toml); pytest's exit code 5 (no tests collected) fails like any other.
test: install lint
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

unit: install
	$(PY) -m pytest -q -m "not lab" $(PYTEST_ARGS)

lab: install
	$(PY) -m pytest -q -m lab $(PYTEST_ARGS)

# A larger run of the seeded mutation fuzzer than make test's (tests/load/test_fuzz.py).
FUZZ_CASES ?= 10000
FUZZ_SEED ?= 1
fuzz: install
	$(PY) tests/load/fuzz.py --cases $(FUZZ_CASES) --seed $(FUZZ_SEED)

bench: install
	$(PY) benchmarks/run.py --write docs/performance.md

clean:
	-$(VENV)/bin/netwarden lab down --all 2>/dev/null
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
