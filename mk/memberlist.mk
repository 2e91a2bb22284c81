# memberlist integration (integrations/memberlist, its own Go module): the phifdml adapter that
# gives a hashicorp/memberlist cluster phifd's view of every member, its example node and the
# side-by-side experiment against memberlist's own detector (docs/memberlist.md). Go modules
# (memberlist and its dependencies) come from the Go module proxy into the normal module cache.
#   make test-memberlist   gofmt, go vet, go test -race (adapter, loss transport), then the short
#                          experiment: 5 members on loopback, a 1 s pause and a crash, with pass
#                          criteria (about 25 s)
#   make memberlist-exp    the full experiment (8 members, crash, pause, overload, lossy; about
#                          16 minutes, at nice 10): build/memberlist/exp-full/{results.json,*.csv,*.svg}
#   make memberlist-demo   four members on loopback; one is killed after 12 s
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
ML_DIR := integrations/memberlist
ML_BIN := $(BUILD)/memberlist
ML_GO_ENV := PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/go-pkgconfig

.PHONY: memberlist-build test-memberlist memberlist-exp memberlist-demo

memberlist-build: lib go-pc
	@mkdir -p $(ML_BIN)
	cd $(ML_DIR) && $(ML_GO_ENV) $(GO) build -o $(CURDIR)/$(ML_BIN)/ ./cmd/...

test-memberlist: memberlist-build
	@cd $(ML_DIR) && gofmt="$$(command -v gofmt || echo "$$($(GO) env GOROOT)/bin/gofmt")" && \
	  unformatted="$$("$$gofmt" -l .)" && \
	  if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:" $$unformatted >&2; exit 1; fi
	cd $(ML_DIR) && $(ML_GO_ENV) $(GO) vet ./...
	cd $(ML_DIR) && $(ML_GO_ENV) $(GO) test -race -count=1 ./...
	$(ML_BIN)/phifd-ml-exp --mode short --out $(ML_BIN)/exp-short

memberlist-exp: memberlist-build
	nice -n 10 $(ML_BIN)/phifd-ml-exp --mode full --out $(ML_BIN)/exp-full

memberlist-demo: memberlist-build
	bash $(ML_DIR)/demo.sh $(ML_BIN)/phifd-ml-node

TEST_TARGETS += test-memberlist
