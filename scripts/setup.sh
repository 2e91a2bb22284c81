#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian machine, beyond the toolchains
# the README names (Rust stable + nightly through rustup, Go, Python 3, a C/C++ compiler).
# Idempotent and quick when everything is present: each part checks before it installs.
#
#   scripts/setup.sh           install what is missing (apt-get as root, or through `sudo -n`)
#   scripts/setup.sh --check   only report what is missing; exit 1 if anything is
#
# `make test` and `make demo` run this first (target `prereqs`), so on a fresh machine the one
# command is enough when run as root. Without root and without password-less sudo it stops with
# one message naming the command to run: `sudo scripts/setup.sh`.
#
# The parts (each script says what it installs and why):
#   setup-cpp.sh        cmake, pkg-config, GoogleTest, nlohmann-json   (C and C++ tests)
#   setup-python.sh     python3 venv support, pytest                   (Python binding tests)
#   setup-go.sh         checks the Go toolchain version                (Go binding tests)
#   setup-hardening.sh  valgrind, binutils, cargo-fuzz, Miri           (docs/testing.md)
#   setup-tsan.sh       rust-src for ThreadSanitizer builds            (docs/testing.md)
#   setup-deb.sh        debhelper and friends                          (make deb)
#   setup-format.sh     clang-format 14 (pinned), python3 venv for ruff (make fmt-check)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="${1:-install}"

# Toolchains the README names as prerequisites: these are never installed here.
missing_tool=()
command -v cargo >/dev/null || missing_tool+=("Rust (cargo): https://rustup.rs")
command -v python3 >/dev/null || missing_tool+=("python3: apt-get install python3")
if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  missing_tool+=("Go: apt-get install golang-go, or https://go.dev/dl/")
fi
if [ ${#missing_tool[@]} -gt 0 ]; then
  echo "setup: these toolchains are required and missing:" >&2
  printf '  - %s\n' "${missing_tool[@]}" >&2
  exit 1
fi

if [ "$mode" = "--check" ]; then
  # A quick look at the markers of each part; the parts themselves know the full list.
  gaps=()
  for cmd in cmake pkg-config cc c++ valgrind nm clang-format-14; do command -v "$cmd" >/dev/null || gaps+=("$cmd"); done
  [ -f /usr/include/nlohmann/json.hpp ] || gaps+=("nlohmann-json3-dev")
  [ -f /usr/include/gtest/gtest.h ] || [ -f /usr/src/googletest/CMakeLists.txt ] || gaps+=("libgtest-dev")
  python3 -c 'import venv, ensurepip, pytest' 2>/dev/null || gaps+=("python3-venv/pytest")
  command -v dh >/dev/null || gaps+=("debhelper")
  if [ ${#gaps[@]} -gt 0 ]; then
    echo "setup: missing: ${gaps[*]}. Run: sudo scripts/setup.sh" >&2
    exit 1
  fi
  echo "setup: all prerequisites present"
  exit 0
fi

if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
  # Installing needs root; say so once instead of failing halfway through apt-get.
  if bash "$0" --check >/dev/null 2>&1; then
    echo "setup: all prerequisites present"
    exit 0
  fi
  bash "$0" --check || true
  echo "setup: installing them needs root. Run once: sudo scripts/setup.sh" >&2
  exit 1
fi

start=$(date +%s)
for part in cpp python go hardening tsan deb format; do
  script="$here/setup-$part.sh"
  [ -f "$script" ] || continue
  if ! bash "$script"; then
    echo "setup: $(basename "$script") failed (see above). Fix it, then run: sudo scripts/setup.sh" >&2
    exit 1
  fi
done
echo "setup: prerequisites ready ($(( $(date +%s) - start )) s)"
