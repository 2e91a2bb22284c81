# phifd — build, test, demo, benchmarks, install.
#   make            build the release library (target/release/libphifd.{so,a})
#   make test       everything: Rust tests, C tests (ctest, shared + static), header drift check
#   make check      the quick tier (under 20 s with a warm build): build, clippy, unit tests,
#                   vectors, header drift, README quick starts, formatting (make fmt applies it)
#   make demo       the live cluster demo (examples/demo/demo.py); make demo-sim: the simulated C example
#   make bench      benchmarks (see BENCHMARKS.md)
#   make header     regenerate include/phifd.h after changing src/ffi
#   make check-header  fail if include/phifd.h differs from what the code generates
SHELL := /bin/bash
CARGO ?= cargo
BUILD := build
RELEASE := target/release
SONAME_MAJOR := $(shell sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -1)

.PHONY: all lib header check-header check check-rust test prereqs fmt-check test-rust test-c demo demo-sim bench clean

all: lib

# The crate's [lib] is an rlib only (a Rust dependent builds no C library); the C libraries are
# built here from the same sources, with the SONAME of the major version.
lib:
	$(CARGO) rustc -p phifd --release --lib --crate-type cdylib --crate-type staticlib \
	  -- -C link-arg=-Wl,-soname,libphifd.so.$(SONAME_MAJOR)
	@ln -sf libphifd.so $(RELEASE)/libphifd.so.$(SONAME_MAJOR)

# The header generator is the workspace member tools/gen-header (cbindgen, pinned there).
header:
	$(CARGO) run --quiet -p phifd-gen-header -- --write

check-header:
	$(CARGO) run --quiet -p phifd-gen-header -- --check
	$(CARGO) test --quiet -p phifd-gen-header
	$(CARGO) test --quiet --test header

# The quick tier, before a commit: the workspace builds, clippy, the unit tests of every workspace
# crate (src/, cli/, tools/gen-header; not the integration tests: long runs, limits, stress) and
# the vector replay, header drift, README quick starts, formatting. Measured on the 2-CPU build
# machine at load 7-9, warm build: 17 s after touching src/lib.rs and cli/src/lib.rs, 8 s with
# nothing changed (a cold build takes minutes). `make test` is the full tier.
check: check-header check-readme fmt-check check-imports check-rust

# No module of src/ or cli/src imports, directly or through others, a module that imports it.
check-imports:
	@python3 tools/import-graph --check src cli/src > /dev/null || \
	  { python3 tools/import-graph src cli/src | grep '^cycle'; exit 1; }

check-rust:
	$(CARGO) build --quiet --workspace
	$(CARGO) clippy --quiet --workspace
	$(CARGO) test --quiet --workspace --lib --bins
	$(CARGO) test --quiet --test vectors

# Prerequisites first: scripts/setup.sh installs what is missing (quick when nothing is), or
# names the one command to run when it cannot. PHIFD_SKIP_SETUP=1 skips it.
test: prereqs check-header check-readme fmt-check check-imports test-rust test-c test-examples

# Formatting (Rust, C/C++, Go, Python): `make fmt-check` checks, `make fmt` applies; see
# mk/format.mk (the pinned tools).

prereqs:
ifneq ($(PHIFD_SKIP_SETUP),1)
	@bash scripts/setup.sh
endif

test-rust:
	$(CARGO) test
	$(CARGO) run --quiet --example quickstart

test-c: lib
	cmake -S tests/c -B $(BUILD)/c -DPHIFD_ROOT=$(CURDIR) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD)/c -j2
	cd $(BUILD)/c && ctest --output-on-failure

demo: prereqs demo-live

demo-sim: lib
	@mkdir -p $(BUILD)
	cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude examples/c/demo.c -L$(RELEASE) -Wl,-rpath,$(CURDIR)/$(RELEASE) -lphifd -o $(BUILD)/demo
	./$(BUILD)/demo

bench: lib

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

# Each part of the project (bindings, tools) adds its own targets in mk/*.mk and appends its
# test target to TEST_TARGETS, which `make test` runs after the core tests.
TEST_TARGETS :=
-include mk/*.mk
test: $(TEST_TARGETS)

# The C examples build warning-free and run: the demo, and the receiver (3 s on loopback, exits
# non-zero if a healthy peer was ever suspected while its main loop blocked).
test-examples: lib
	@mkdir -p $(BUILD)
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude examples/c/receiver.c $(RELEASE)/libphifd.a -lpthread -ldl -lm -o $(BUILD)/receiver
	./$(BUILD)/receiver | tail -1
	cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude examples/c/demo.c $(RELEASE)/libphifd.a -lpthread -ldl -lm -o $(BUILD)/demo-static
	./$(BUILD)/demo-static | grep -q "STALE_GENERATION"

check-readme:
	python3 scripts/check_readme.py
