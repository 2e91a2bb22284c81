# The C-ABI stress run (tests/stress/stress.c; docs/testing.md, "Stress run of the C ABI").
#   make test-stress   9 threads on one shared monitor for STRESS_SECONDS (default 20): heartbeats
#                      with restarts and stale generations, removals and re-adds, polls, readers
#                      (phi, node info, batches, snapshots, counts, stats), and a thread creating
#                      and freeing whole monitors; checks the documented statuses, finite
#                      non-negative phi, documented states and event kinds, consistent counts, and
#                      that resident memory grows by at most STRESS_RSS_BOUND_KB (default 8192)
#                      after a 3 s warm-up. Part of `make test`.
# Options: STRESS_SECONDS, STRESS_RSS_BOUND_KB, STRESS_VERBOSE=1 (RSS and counts every second).
STRESS_DIR := $(BUILD)/stress
STRESS_SECONDS ?= 20
STRESS_RSS_BOUND_KB ?= 8192

.PHONY: test-stress

# Release static library at -O2: the run measures what a production server would link.
test-stress: lib
	@mkdir -p $(STRESS_DIR)
	cc -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Werror -Iinclude tests/stress/stress.c \
	  $(RELEASE)/libphifd.a -lpthread -ldl -lm -o $(STRESS_DIR)/stress
	STRESS_SECONDS=$(STRESS_SECONDS) STRESS_RSS_BOUND_KB=$(STRESS_RSS_BOUND_KB) $(STRESS_DIR)/stress

TEST_TARGETS += test-stress
