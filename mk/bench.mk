# Benchmarks (see BENCHMARKS.md). `make bench` runs all of them (about 4 to 5 minutes in all).
#   make bench-c             C harness: benches/c/bench.c against the static library (-O2)
#   make bench-rust          bench/ (crate phifd-bench, its own workspace): phifd's Rust API and C ABI
#                            against the phi-accrual crates of crates.io, the minimal loop,
#                            correctness on a steady heartbeat, scale and contention
#   make bench-python-peers  bindings/python/bench_peers.py: phifd via ctypes against the pure-Python
#                            phi-accrual-failure-detector from PyPI (installed into build/py-bench-venv;
#                            skipped with a message if PyPI cannot be reached)
#   make bench-go-peers      bindings/go/bench (its own Go module): phifd via cgo against pure-Go
#   make test-bench          the C harness in --smoke mode and the Rust bench crate's --quick run
#                            (tiny sizes, functional checks only; no timing is ever judged)
#   make bench-plain-loop    the C harness's plain loop only (2,000,000 heartbeats to one node timed
#                            as a whole, wall and CPU clock, beside slice medians), about 15 s
#   make bench-ceiling       the C harness's two-thread ceiling of this machine only, about 10 s
#   make bench-before        the C harness of commit BENCH_BEFORE (default e374e77, before the
#                            lock-light core work) built in a clone under build/bench/before and run
#                            on the hot-node and 1,000-node rows, for the "before" column
# Options: BENCH_ARGS (C harness), BENCH_RUST_ARGS, BENCH_PY_ARGS, BENCH_GO_ARGS.
BENCH_DIR := $(BUILD)/bench
BENCH_BIN := $(BENCH_DIR)/bench
BENCH_ARGS ?=
BENCH_RUST_TARGET := $(CURDIR)/$(BENCH_DIR)/rust-target
BENCH_RUST_BIN := $(BENCH_RUST_TARGET)/release/phifd-bench
BENCH_RUST_ARGS ?=
BENCH_PY_VENV := $(BUILD)/py-bench-venv
BENCH_PY_ARGS ?=
BENCH_GO_ARGS ?=

.PHONY: bench-c bench-rust bench-python-peers bench-go-peers test-bench bench-plain-loop bench-ceiling \
  bench-before bench-load
BENCH_BEFORE ?= e374e77
BENCH_BEFORE_DIR := $(BENCH_DIR)/before

$(BENCH_BIN): benches/c/bench.c include/phifd.h $(RELEASE)/libphifd.a
	@mkdir -p $(BENCH_DIR)
	cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude benches/c/bench.c $(RELEASE)/libphifd.a \
	  -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o $@

# The library target is phony, so the binary is relinked after every `make lib`.
bench-c: lib
	@$(MAKE) --no-print-directory -W $(RELEASE)/libphifd.a $(BENCH_BIN)
	./$(BENCH_BIN) $(BENCH_ARGS)

# The bench crate builds phifd from source with the library's release settings, in its own
# target directory (so the root workspace's artifacts and lock file are never touched).
bench-rust:
	cd bench && CARGO_TARGET_DIR=$(BENCH_RUST_TARGET) $(CARGO) build --release --locked
	$(BENCH_RUST_BIN) $(BENCH_RUST_ARGS)

bench-python-peers: lib
	@if [ ! -x $(BENCH_PY_VENV)/bin/python ]; then python3 -m venv $(BENCH_PY_VENV); fi
	@if $(BENCH_PY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	      "phi-accrual-failure-detector==0.3.3"; then \
	  PHIFD_LIBRARY=$(CURDIR)/$(RELEASE)/libphifd.so PYTHONPATH=$(CURDIR)/bindings/python/src \
	    $(BENCH_PY_VENV)/bin/python bindings/python/bench_peers.py $(BENCH_PY_ARGS); \
	else \
	  echo "SKIP bench-python-peers: could not install phi-accrual-failure-detector from PyPI"; \
	fi

bench-go-peers: lib
	cd bindings/go/bench && go run . $(BENCH_GO_ARGS)

# The Rust crate's --quick run checks phifd's phi against the hand-computed values and the scale
# harness (full windows, no event from an all-ALIVE poll); a cold build takes about 40 s.
test-bench: lib
	@$(MAKE) --no-print-directory -W $(RELEASE)/libphifd.a $(BENCH_BIN)
	./$(BENCH_BIN) --smoke
	cd bench && CARGO_TARGET_DIR=$(BENCH_RUST_TARGET) $(CARGO) build --release --locked --quiet
	$(BENCH_RUST_BIN) --quick > $(BENCH_DIR)/rust-quick.txt && tail -1 $(BENCH_DIR)/rust-quick.txt

bench-plain-loop: lib
	@$(MAKE) --no-print-directory -W $(RELEASE)/libphifd.a $(BENCH_BIN)
	./$(BENCH_BIN) --plain-loop

bench-ceiling: lib
	@$(MAKE) --no-print-directory -W $(RELEASE)/libphifd.a $(BENCH_BIN)
	./$(BENCH_BIN) --ceiling

# A fresh clone of this repository at BENCH_BEFORE (never the working tree), its own library and
# its own C harness; only the single-thread rows of 1 and 1,000 nodes (--nodes 1000), 7 runs.
bench-before:
	@rm -rf $(BENCH_BEFORE_DIR) && git clone --quiet $(CURDIR) $(BENCH_BEFORE_DIR)
	git -C $(BENCH_BEFORE_DIR) checkout --quiet $(BENCH_BEFORE)
	cd $(BENCH_BEFORE_DIR) && $(CARGO) rustc --quiet -p phifd --release --lib --crate-type staticlib
	cc -std=c11 -O2 -I$(BENCH_BEFORE_DIR)/include $(BENCH_BEFORE_DIR)/benches/c/bench.c \
	  $(BENCH_BEFORE_DIR)/target/release/libphifd.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
	  -o $(BENCH_BEFORE_DIR)/bench-c
	cd $(BENCH_BEFORE_DIR) && ./bench-c --nodes 1000 --runs 7 | grep -E '^\| phifd_(heartbeat|phi),|^load|^phifd'

# The load of the (possibly shared) machine, printed at the start of `make bench`.
bench-load:
	@echo "make bench at commit $$(git rev-parse --short HEAD)$$(git diff --quiet HEAD -- src || echo ' (src modified)'), $$(nproc) CPUs; uptime:$$(uptime)"

bench: bench-load bench-c bench-rust bench-python-peers bench-go-peers
TEST_TARGETS += test-bench
