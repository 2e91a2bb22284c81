# The live demo cluster: real node processes in C, C++, Python, Go and Rust detecting each
# other's failures over UDP with phifd (examples/demo/demo.py drives them).
#   make demo-build   build the Rust node (cargo example `node`) and, where their targets
#                     exist, the C/C++ nodes (nodes-c) and the Go node (go-node)
#   make demo-live    build, then run the scripted cluster (about a minute); pass options
#                     with DEMO_ARGS, e.g. make demo-live DEMO_ARGS="--nodes 7 --short"
#   make test-demo    the short run (about 15 s) without a terminal table; the JSON summary is
#                     checked by examples/demo/check_summary.py: every fault detected within its
#                     bound, a new leader with a higher term, the old leader stepped down, and
#                     no false convictions
DEMO_SUMMARY := $(BUILD)/demo-summary.json
DEMO_ARGS ?=

.PHONY: demo-build demo-live test-demo

demo-build: lib
	$(CARGO) build --release --example node
	@# The other languages' nodes are optional: the demo runs the Rust node in their place.
	@$(MAKE) --no-print-directory nodes-c || echo "demo: the C and C++ nodes are unavailable (the Rust node stands in)"
	@$(MAKE) --no-print-directory go-node || echo "demo: the Go node is unavailable (the Rust node stands in)"

demo-live: demo-build
	python3 examples/demo/demo.py $(DEMO_ARGS)

test-demo: demo-build
	@mkdir -p $(BUILD)
	@rm -f $(DEMO_SUMMARY)
	python3 examples/demo/demo.py --short --no-tty --json-summary $(DEMO_SUMMARY); status=$$?; \
	  python3 examples/demo/check_summary.py $(DEMO_SUMMARY) && exit $$status

TEST_TARGETS += test-demo
