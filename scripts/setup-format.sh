#!/usr/bin/env bash
# Installs what `make fmt-check` / `make fmt` need on a fresh Debian machine (idempotent): the
# pinned clang-format (Debian 12's clang-format-14; another version formats differently, so
# mk/format.mk refuses it) and python3-venv for ruff, which mk/format.mk installs from PyPI at
# its pinned version into build/fmt-tools on first use. rustfmt and gofmt come with the Rust and
# Go toolchains.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
pkgs=()
command -v clang-format-14 >/dev/null || pkgs+=(clang-format-14)
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
if [ ${#pkgs[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"
fi
command -v rustfmt >/dev/null || { echo "setup-format: rustfmt missing: rustup component add rustfmt" >&2; exit 1; }
echo "setup-format: $(clang-format-14 --version | sed 's/^.*\(clang-format version [0-9.]*\).*/\1/') OK"
