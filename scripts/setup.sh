#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine (idempotent; skips what is present).
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(gcc)
command -v c++ >/dev/null || need+=(g++)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v cargo >/dev/null || { echo "setup: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
# The bindings' own requirements.
here="$(cd "$(dirname "$0")" && pwd)"
for part in cpp python go hardening; do
  if [ -f "$here/setup-$part.sh" ]; then bash "$here/setup-$part.sh"; fi
done
