# Go binding (bindings/go): cgo package `phifd`, linked against target/release/libphifd.a.
#   make test-go    gofmt and go vet checks, tests with the race detector (including the
#                   three-node cluster test of examples/node), the GC-stress test with GOGC=1, the
#                   quick start, a separate module using the binding through a `replace` directive
#                   (as bindings/go/README.md tells users to do), and the go-node build
#   make go-node    the demo cluster's Go node (bindings/go/examples/node) as build/go-node/node
#   make bench-go   Go benchmarks (single calls and batches)
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GO_DIR := bindings/go
GO_CONSUMER := $(BUILD)/go-consumer

.PHONY: test-go bench-go go-node

go-node: lib
	@mkdir -p $(BUILD)/go-node
	cd $(GO_DIR) && $(GO) build -o $(CURDIR)/$(BUILD)/go-node/node ./examples/node

test-go: lib go-node
	@mkdir -p $(BUILD)
	@cd $(GO_DIR) && gofmt="$$(command -v gofmt || echo "$$($(GO) env GOROOT)/bin/gofmt")" && \
	  unformatted="$$("$$gofmt" -l .)" && \
	  if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:" $$unformatted >&2; exit 1; fi
	cd $(GO_DIR) && $(GO) vet ./...
	cd $(GO_DIR) && $(GO) test -race -count=1 ./...
	cd $(GO_DIR) && GOGC=1 $(GO) test -race -count=1 -run 'GCStress|CloseWhileInUse' ./...
	set -o pipefail; cd $(GO_DIR) && $(GO) run ./examples/quickstart | tee $(CURDIR)/$(BUILD)/go-quickstart.out
	@# bindings/go/README.md shows the quick start verbatim (first go block) and its output (next block).
	@awk '/^```go$$/{n++; on=(n==1); next} /^```$$/{on=0} on' $(GO_DIR)/README.md | \
	  diff -u $(GO_DIR)/examples/quickstart/main.go - >&2 || \
	  { echo "bindings/go/README.md: the quick start differs from examples/quickstart/main.go" >&2; exit 1; }
	@awk '/^```$$/{if(!open){n++; open=1; on=(n==1&&seen); next} else {open=0; on=0; next}} /^```go$$/{seen=1; open=1; next} on' \
	  $(GO_DIR)/README.md | diff -u $(BUILD)/go-quickstart.out - >&2 || \
	  { echo "bindings/go/README.md: the quick start output differs from the program's" >&2; exit 1; }
	@rm -rf $(GO_CONSUMER) && mkdir -p $(GO_CONSUMER)
	@printf '%s\n' 'module example.com/consumer' '' 'go 1.22' '' \
	  'require github.com/phifd/phifd/bindings/go v0.0.0' '' \
	  'replace github.com/phifd/phifd/bindings/go => $(CURDIR)/$(GO_DIR)' > $(GO_CONSUMER)/go.mod
	@cp $(GO_DIR)/examples/quickstart/main.go $(GO_CONSUMER)/main.go
	cd $(GO_CONSUMER) && $(GO) build -o consumer . && ./consumer >/dev/null && echo "go: consumer module OK"

bench-go: lib
	cd $(GO_DIR) && $(GO) test -run '^$$' -bench . -benchmem ./...

TEST_TARGETS += test-go
