# Python binding (bindings/python, package `phifd`, pure ctypes).
#   make test-python   1. pytest against the development build (PHIFD_LIBRARY=target/release/libphifd.so)
#                      2. the real install path: a fresh venv in build/py-venv, `pip install
#                         ./bindings/python` (which runs cargo and bundles libphifd.so), then the
#                         quick start and the same tests with that venv's python, without
#                         PHIFD_LIBRARY or PYTHONPATH.
#                      3. the demo node examples/nodes/python/node.py: three instances on loopback
#                         (examples/nodes/python/test_node.py, development build)
#   make bench-python  per-call and batch throughput (bindings/python/bench.py, development build)
# Needs scripts/setup-python.sh on a fresh machine (venv support, pytest).
# pytest exits non-zero when it collects no tests (exit code 5), which fails the target.
PYTHON ?= python3
PY_VENV := $(BUILD)/py-venv
PY_DEV_ENV := PHIFD_LIBRARY=$(CURDIR)/$(RELEASE)/libphifd.so PYTHONPATH=$(CURDIR)/bindings/python/src
PY_CLEAN_ENV := env -u PHIFD_LIBRARY -u PYTHONPATH -u PHIFD_SOURCE_DIR
PYTEST_ARGS := -q -p no:cacheprovider

.PHONY: test-python test-python-dev test-python-install test-python-node bench-python

test-python: test-python-dev test-python-install test-python-node

test-python-dev: lib
	@echo "== python: tests against the development build"
	$(PY_DEV_ENV) $(PYTHON) -m pytest $(PYTEST_ARGS) bindings/python/tests

test-python-install: lib
	@echo "== python: pip install ./bindings/python into $(PY_VENV)"
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv --system-site-packages $(PY_VENV)
	$(PY_CLEAN_ENV) $(PY_VENV)/bin/python -m pip install -q ./bindings/python
	$(PY_VENV)/bin/python -c 'import pytest' 2>/dev/null || $(PY_VENV)/bin/python -m pip install -q pytest
	@echo "== python: installed package, without PHIFD_LIBRARY"
	cd $(PY_VENV) && $(PY_CLEAN_ENV) ./bin/python -c 'import phifd, sys; p = phifd.library_path(); \
	  assert p.startswith(sys.prefix), p; print("phifd", phifd.version(), "loaded from", p)'
	cd $(PY_VENV) && out=$$($(PY_CLEAN_ENV) ./bin/python $(CURDIR)/examples/quickstart/quickstart.py) \
	  && echo "$$out" && grep -q 'SUSPECT -> FAILED' <<<"$$out"
	cd $(PY_VENV) && $(PY_CLEAN_ENV) ./bin/python -m pytest $(PYTEST_ARGS) $(CURDIR)/bindings/python/tests

test-python-node: lib
	@echo "== python: demo node (three processes on loopback)"
	$(PY_DEV_ENV) $(PYTHON) -m pytest $(PYTEST_ARGS) examples/nodes/python

bench-python: lib
	$(PY_DEV_ENV) $(PYTHON) bindings/python/bench.py

TEST_TARGETS += test-python
