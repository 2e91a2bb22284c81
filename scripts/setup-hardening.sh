#!/usr/bin/env bash
# Installs what mk/hardening.mk needs on a fresh Debian machine (idempotent; skips what is present):
# valgrind and binutils (nm) from apt, cargo-fuzz from crates.io. cargo-fuzz is optional: if it
# cannot be installed, `make fuzz` skips with a message (the seed replay still runs on stable).
set -euo pipefail
need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v nm >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}"
fi
if ! cargo fuzz --help >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked || echo "setup-hardening: cargo-fuzz could not be installed; make fuzz will skip" >&2
fi
