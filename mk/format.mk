# Formatting of every language: rustfmt (root workspace, bench/, fuzz/), clang-format (C, C++),
# gofmt (Go), ruff (Python: format and a small lint set). scripts/format.sh does the work.
#   make fmt-check   list what is not formatted; fails if anything is (part of `make test` and
#                    `make check`)
#   make fmt         format everything (and apply ruff's safe lint fixes)
# Pinned, because their output changes between versions: clang-format 14 (Debian 12's package
# clang-format-14, installed by scripts/setup.sh; the check refuses another version) and ruff
# (RUFF_VERSION, installed from PyPI into build/fmt-tools on first use). rustfmt and gofmt come
# with the toolchains the README names.
CLANG_FORMAT ?= clang-format-14
RUFF_VERSION := 0.17.6
FMT_TOOLS := $(BUILD)/fmt-tools
RUFF := $(FMT_TOOLS)/bin/ruff
FMT_ENV = CARGO="$(CARGO)" CLANG_FORMAT="$(CLANG_FORMAT)" RUFF="$(CURDIR)/$(RUFF)" \
  GOFMT="$$(command -v gofmt || echo "$$($(GO) env GOROOT)/bin/gofmt")"

.PHONY: fmt fmt-check

$(FMT_TOOLS)/.ruff-$(RUFF_VERSION):
	@rm -rf $(FMT_TOOLS) && $(PYTHON) -m venv $(FMT_TOOLS)
	$(FMT_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "ruff==$(RUFF_VERSION)" \
	  || { echo "fmt: could not install ruff $(RUFF_VERSION) from PyPI into $(FMT_TOOLS)" >&2; exit 1; }
	@touch $@

fmt-check: $(FMT_TOOLS)/.ruff-$(RUFF_VERSION)
	@$(FMT_ENV) scripts/format.sh check

fmt: $(FMT_TOOLS)/.ruff-$(RUFF_VERSION)
	@$(FMT_ENV) scripts/format.sh apply
