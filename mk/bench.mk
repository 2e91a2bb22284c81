# Benchmarks through the C ABI (see BENCHMARKS.md).
#   make bench-c      build benches/c/bench.c against the static library (-O2) and run it
#   make test-bench   run the same program in --smoke mode: tiny sizes, functional checks only
#                     (full windows, no events from an all-ALIVE poll, churn events seen); no timing
#                     is ever judged.
BENCH_DIR := $(BUILD)/bench
BENCH_BIN := $(BENCH_DIR)/bench
BENCH_ARGS ?=

.PHONY: bench-c test-bench

$(BENCH_BIN): benches/c/bench.c include/phifd.h $(RELEASE)/libphifd.a
	@mkdir -p $(BENCH_DIR)
	cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude benches/c/bench.c $(RELEASE)/libphifd.a \
	  -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o $@

# The library target is phony, so the binary is relinked after every `make lib`.
bench-c: lib
	@$(MAKE) --no-print-directory -W $(RELEASE)/libphifd.a $(BENCH_BIN)
	./$(BENCH_BIN) $(BENCH_ARGS)

test-bench: lib
	@$(MAKE) --no-print-directory -W $(RELEASE)/libphifd.a $(BENCH_BIN)
	./$(BENCH_BIN) --smoke

bench: bench-c
TEST_TARGETS += test-bench
