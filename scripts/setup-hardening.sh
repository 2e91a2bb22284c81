#!/usr/bin/env bash
# Installs what mk/hardening.mk needs on a fresh Debian machine (idempotent; skips what is present):
# valgrind and binutils (nm) from apt, cargo-fuzz from crates.io, and the nightly toolchain's miri
# and rust-src components from rustup. cargo-fuzz and Miri are optional: if they cannot be installed,
# `make fuzz` and `make miri` skip with a message (the seed replay still runs on stable).
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
if command -v rustup >/dev/null && ! cargo +nightly miri --version >/dev/null 2>&1; then
  { rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal; } \
    && rustup component add --toolchain nightly miri rust-src \
    && cargo +nightly miri setup >/dev/null \
    || echo "setup-hardening: the nightly miri component could not be installed; make miri will skip" >&2
fi
