# ThreadSanitizer (docs/testing.md, "ThreadSanitizer"):
#   make tsan        the concurrency tests under TSan: tests/concurrency.rs (Rust, nightly
#                    -Zsanitizer=thread with the standard library rebuilt instrumented), and the C
#                    thread test tests/c/test_threads.c linked against a TSan-instrumented static
#                    library; a canary racing inside the library (tests/c/tsan_canary.c) must be
#                    reported, so a build that lost the instrumentation fails instead of passing
#   make test-tsan   the same; part of `make test` (TEST_TARGETS)
# Needs a nightly toolchain with rust-src and a C compiler with TSan: scripts/setup-tsan.sh
# installs them, or the target prints "tsan: SKIPPED: <why>" and succeeds. Artifacts live in
# build/tsan-target (never in target/). Cold build: 2.5 minutes on 2 shared cores (std is
# rebuilt once); afterwards a run takes about 12 s.
TSAN_TARGET_DIR := $(CURDIR)/$(BUILD)/tsan-target
TSAN_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
TSAN_CARGO := RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=$(TSAN_TARGET_DIR) \
	$(CARGO) +nightly
TSAN_CARGO_ARGS := -Zbuild-std --target $(TSAN_TRIPLE)
TSAN_LIB := $(TSAN_TARGET_DIR)/$(TSAN_TRIPLE)/debug/libphifd.a
TSAN_C_DIR := $(BUILD)/tsan-c
# halt_on_error: the first report fails the run; second_deadlock_stack: full lock-order reports.
TSAN_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -g -O1 \
	-fsanitize=thread -Iinclude
# The C programs are instrumented by cc (-fsanitize=thread when compiling) but linked against the
# TSan runtime that ships with the nightly toolchain, not the C compiler's: the library's LLVM
# instrumentation calls __tsan_memcpy/__tsan_memset, which GCC 12's libtsan does not provide,
# and one process must have exactly one TSan runtime.
TSAN_RT = $(shell rustc +nightly --print sysroot 2>/dev/null)/lib/rustlib/$(TSAN_TRIPLE)/lib/librustc-nightly_rt.tsan.a
TSAN_LINK = $(TSAN_LIB) -Wl,--whole-archive $(TSAN_RT) -Wl,--no-whole-archive -lpthread -ldl -lm -lrt
# history_size=7: the longest per-thread history, so an earlier access's stack can be restored
# (TSan stays silent about a race whose earlier access it can no longer place).
TSAN_RUN_OPTIONS := halt_on_error=1 second_deadlock_stack=1 history_size=7 exitcode=66

.PHONY: tsan test-tsan

tsan test-tsan:
	@status=0; scripts/setup-tsan.sh || status=$$?; \
	if [ $$status -eq 3 ]; then exit 0; elif [ $$status -ne 0 ]; then exit $$status; fi; \
	$(MAKE) --no-print-directory tsan-run

.PHONY: tsan-run
tsan-run:
	@mkdir -p $(TSAN_C_DIR)
	@# Rust: the concurrency tests, the library and std all instrumented.
	TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" $(TSAN_CARGO) test --quiet $(TSAN_CARGO_ARGS) --test concurrency
	@# C: the same library as an instrumented static archive (it carries the instrumented std).
	$(TSAN_CARGO) rustc --quiet $(TSAN_CARGO_ARGS) --lib --crate-type staticlib
	@nm $(TSAN_LIB) 2>/dev/null | grep -q ' U __tsan_func_entry' || \
	  { echo "tsan: $(TSAN_LIB) is not instrumented (no __tsan_func_entry reference)" >&2; exit 1; }
	cc $(TSAN_CFLAGS) -c tests/c/test_threads.c -o $(TSAN_C_DIR)/test_threads.o
	cc $(TSAN_C_DIR)/test_threads.o $(TSAN_LINK) -o $(TSAN_C_DIR)/test_threads
	TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" $(TSAN_C_DIR)/test_threads
	@# The canary: a forbidden race inside the library (two threads setting one config) must be
	@# reported (exit 66), or the instrumentation is not live and the runs above proved nothing.
	@cc $(TSAN_CFLAGS) -c tests/c/tsan_canary.c -o $(TSAN_C_DIR)/tsan_canary.o
	@cc $(TSAN_C_DIR)/tsan_canary.o $(TSAN_LINK) -o $(TSAN_C_DIR)/tsan_canary
	@status=0; TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" $(TSAN_C_DIR)/tsan_canary 2>$(TSAN_C_DIR)/canary.log || status=$$?; \
	if [ $$status -eq 66 ] && grep -q 'ThreadSanitizer: data race' $(TSAN_C_DIR)/canary.log; then \
	  echo "tsan: the canary's deliberate race was reported (the instrumentation is live)"; \
	else echo "tsan: the canary's deliberate race was NOT reported (exit $$status): TSan is not working" >&2; exit 1; fi
TEST_TARGETS += test-tsan
