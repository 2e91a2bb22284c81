# Go binding (bindings/go): cgo package `phifd`. It finds the C library with pkg-config (package
# phifd-static: the header directory and libphifd.a by absolute path), as a user's build does
# against an installed phifd. Inside the checkout, go-pc writes a phifd-static.pc describing the
# checkout's own build (include/, target/release/libphifd.a) into build/go-pkgconfig, and every Go
# command here runs with PKG_CONFIG_PATH pointing there. By hand:
#     make go-pc && export PKG_CONFIG_PATH=$PWD/build/go-pkgconfig && cd bindings/go && go test ./...
#   make test-go    gofmt and go vet checks, tests with the race detector (including the
#                   three-node cluster test of examples/node), the GC-stress test with GOGC=1, the
#                   quick start and its README copy, the go-node build, and tests/go-module/run.sh:
#                   the module fetched through a file-system module proxy by a fresh module outside
#                   the checkout, built against `make install PREFIX=<tmp>` with go get, then
#                   after go mod vendor, then the error message with no phifd installed
#   make go-pc      build/go-pkgconfig/phifd-static.pc for the checkout's build
#   make go-node    the demo cluster's Go node (bindings/go/examples/node) as build/go-node/node
#   make bench-go   Go benchmarks (single calls and batches)
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GO_DIR := bindings/go
GO_PC_DIR := $(BUILD)/go-pkgconfig
GO_VERSION_PHIFD := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -1)
# The environment of every Go command run against the checkout's build.
GO_ENV := PKG_CONFIG_PATH=$(CURDIR)/$(GO_PC_DIR)

.PHONY: test-go bench-go go-node go-pc

go-pc:
	@mkdir -p $(GO_PC_DIR)
	@printf '%s\n' '# phifd-static for the Go binding, describing the build of the checkout $(CURDIR)' \
	  '# (written by make go-pc; an installed phifd has its own phifd-static.pc).' \
	  'prefix=$(CURDIR)' 'libdir=$${prefix}/$(RELEASE)' 'includedir=$${prefix}/include' '' \
	  'Name: phifd-static' 'Description: phifd, static library of the checkout (development)' \
	  'Version: $(GO_VERSION_PHIFD)' 'Cflags: -I$${includedir}' \
	  'Libs: $${libdir}/libphifd.a -lpthread -ldl -lm' > $(GO_PC_DIR)/phifd-static.pc.tmp
	@cmp -s $(GO_PC_DIR)/phifd-static.pc.tmp $(GO_PC_DIR)/phifd-static.pc 2>/dev/null || \
	  mv $(GO_PC_DIR)/phifd-static.pc.tmp $(GO_PC_DIR)/phifd-static.pc
	@rm -f $(GO_PC_DIR)/phifd-static.pc.tmp

go-node: lib go-pc
	@mkdir -p $(BUILD)/go-node
	cd $(GO_DIR) && $(GO_ENV) $(GO) build -o $(CURDIR)/$(BUILD)/go-node/node ./examples/node

test-go: lib go-pc go-node
	@mkdir -p $(BUILD)
	@cd $(GO_DIR) && gofmt="$$(command -v gofmt || echo "$$($(GO) env GOROOT)/bin/gofmt")" && \
	  unformatted="$$("$$gofmt" -l .)" && \
	  if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:" $$unformatted >&2; exit 1; fi
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_DIR) && $(GO_ENV) $(GO) test -race -count=1 ./...
	cd $(GO_DIR) && $(GO_ENV) GOGC=1 $(GO) test -race -count=1 -run 'GCStress|CloseWhileInUse' ./...
	set -o pipefail; cd $(GO_DIR) && $(GO_ENV) $(GO) run ./examples/quickstart | tee $(CURDIR)/$(BUILD)/go-quickstart.out
	@# bindings/go/README.md shows the quick start verbatim (first go block) and its output (next block).
	@awk '/^```go$$/{n++; on=(n==1); next} /^```$$/{on=0} on' $(GO_DIR)/README.md | \
	  diff -u $(GO_DIR)/examples/quickstart/main.go - >&2 || \
	  { echo "bindings/go/README.md: the quick start differs from examples/quickstart/main.go" >&2; exit 1; }
	@awk '/^```$$/{if(!open){n++; open=1; on=(n==1&&seen); next} else {open=0; on=0; next}} /^```go$$/{seen=1; open=1; next} on' \
	  $(GO_DIR)/README.md | diff -u $(BUILD)/go-quickstart.out - >&2 || \
	  { echo "bindings/go/README.md: the quick start output differs from the program's" >&2; exit 1; }
	GO="$(GO)" MAKE="$(MAKE)" tests/go-module/run.sh $(BUILD)/go-quickstart.out

bench-go: lib go-pc
	cd $(GO_DIR) && $(GO_ENV) $(GO) test -run '^$$' -bench . -benchmem ./...

# bench-go-peers (mk/bench.mk) builds bindings/go/bench, which uses this binding.
bench-go-peers: go-pc
bench-go-peers: export PKG_CONFIG_PATH := $(CURDIR)/$(GO_PC_DIR)

TEST_TARGETS += test-go
