#!/usr/bin/env bash
# Installs what `make test-go` needs on a fresh Debian machine (idempotent; skips what is present):
# a Go toolchain of at least the version in bindings/go/go.mod, a C compiler for cgo and the race
# detector, pkg-config (the binding finds the C library with `pkg-config phifd-static`) and
# readelf (tests/go-module/run.sh checks what the programs link). The binding uses only the
# standard library, so no module is downloaded from the internet.
set -euo pipefail
need_go="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$(dirname "$0")/../bindings/go/go.mod")"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
pkgs=()
command -v cc >/dev/null || pkgs+=(gcc libc6-dev)
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || pkgs+=(golang-go)
command -v pkg-config >/dev/null || pkgs+=(pkg-config)
command -v readelf >/dev/null || pkgs+=(binutils)
if [ ${#pkgs[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"
fi
GO="$(command -v go || echo /usr/local/go/bin/go)"
have_go="$("$GO" env GOVERSION | sed 's/^go//')"
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  echo "setup-go: Go $have_go is older than the $need_go bindings/go needs: https://go.dev/dl/" >&2
  exit 1
fi
command -v go >/dev/null || echo "setup-go: add $(dirname "$GO") to PATH" >&2
echo "setup-go: Go $have_go OK"
