#!/usr/bin/env bash
# The Go binding as a user outside the repository gets it: through a module proxy, against an
# installed phifd, with nothing but PKG_CONFIG_PATH.
#
#   tests/go-module/run.sh [EXPECTED_OUTPUT]      (from the repository root, after make lib)
#
# In a temporary directory outside the checkout it
#   1. writes a file-system module proxy holding bindings/go as version v<Cargo.toml version>
#      (tests/go-module/mkproxy.py), and starts a fresh module with the Go quick start that
#      `go get`s the binding through GOPROXY=file://... (no replace directive);
#   2. builds it with no phifd installed and checks the messages: pkg-config's, and with
#      -tags phifd_nopkgconfig the binding's own #error naming what to install;
#   3. runs `make install PREFIX=<tmp>/prefix`, builds with PKG_CONFIG_PATH only, checks that the
#      program does not need libphifd.so and that its output is EXPECTED_OUTPUT (if given);
#   4. runs `go mod vendor` and builds with -mod=vendor, no proxy and an empty module cache;
#   5. builds with -tags phifd_nopkgconfig and CGO_CFLAGS/CGO_LDFLAGS (shared library, rpath);
#   6. removes the installed phifd: the static programs still run, the shared one does not.
# A fresh GOCACHE keeps results of earlier runs (another prefix) out: the go command does not
# notice pkg-config changes in its cache (golang/go#24544).
set -euo pipefail

ROOT=$(pwd)
GO=${GO:-go}
MAKE=${MAKE:-make}
EXPECTED=${1:+$ROOT/$1}
MODDIR=bindings/go
VERSION=v$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -1)
MODULE=$(sed -n 's/^module[[:space:]]*//p' "$MODDIR/go.mod")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phifd-go-module.XXXXXX")
case "$TMP" in "$ROOT"/*) echo "go-module: $TMP is inside the checkout; set TMPDIR" >&2; exit 1 ;; esac
KEEP=${KEEP:-}
trap '[ -n "$KEEP" ] && echo "go-module: kept $TMP" || rm -rf "$TMP"' EXIT

fail() { echo "go-module: FAIL: $*" >&2; exit 1; }
ok() { echo "go-module: ok: $*"; }

# Nothing from the caller's environment may help: no workspace, flags, library path or system
# pkg-config directories; only the proxy and, once installed, the temporary prefix.
unset LD_LIBRARY_PATH CGO_CFLAGS CGO_CPPFLAGS CGO_LDFLAGS GOFLAGS GOWORK
export GOTOOLCHAIN=local CGO_ENABLED=1
export GOPATH="$TMP/gopath" GOMODCACHE="$TMP/gopath/pkg/mod" GOCACHE="$TMP/gocache"
export GOPROXY="file://$TMP/proxy" GOSUMDB=off GONOSUMDB="$MODULE"
PREFIX="$TMP/prefix"
mkdir -p "$TMP/no-system-pc"
export PKG_CONFIG_LIBDIR="$TMP/no-system-pc" PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"

# 1. The proxy and the consumer module.
python3 tests/go-module/mkproxy.py --repo "$ROOT" --dir "$MODDIR" --version "$VERSION" --out "$TMP/proxy"
APP="$TMP/app"
mkdir -p "$APP"
cp "$MODDIR/examples/quickstart/main.go" "$APP/main.go"
cd "$APP"
"$GO" mod init example.com/app >/dev/null 2>&1
"$GO" get "$MODULE@$VERSION" >"$TMP/get.log" 2>&1 || { cat "$TMP/get.log" >&2; fail "go get $MODULE@$VERSION"; }
grep -Eq "^require $MODULE $VERSION( // indirect)?\$" go.mod || fail "go.mod does not require $MODULE $VERSION: $(cat go.mod)"
grep -q replace go.mod && fail "go.mod has a replace directive"
ok "go get $MODULE@$VERSION through GOPROXY=file://"

# 2. phifd not installed.
if "$GO" build -o app . >"$TMP/missing.log" 2>&1; then fail "built with no phifd installed"; fi
grep -q "Package phifd-static was not found" "$TMP/missing.log" && grep -q "PKG_CONFIG_PATH" "$TMP/missing.log" \
  || { cat "$TMP/missing.log" >&2; fail "no pkg-config message naming phifd-static and PKG_CONFIG_PATH"; }
ok "not installed: $(grep -m1 'phifd-static was not found' "$TMP/missing.log")"
if [ -e /usr/include/phifd.h ] || [ -e /usr/local/include/phifd.h ]; then
  echo "go-module: skip: phifd.h is installed system-wide, so the #error cannot be seen"
else
  if "$GO" build -tags phifd_nopkgconfig -o app . >"$TMP/missing-tag.log" 2>&1; then
    fail "built with -tags phifd_nopkgconfig and no phifd.h"
  fi
  grep -q '#error "phifd: phifd.h not found. Install .*libphifd-dev.*make install PREFIX=' "$TMP/missing-tag.log" \
    || { cat "$TMP/missing-tag.log" >&2; fail "no #error naming what to install"; }
  ok "not installed, -tags phifd_nopkgconfig: the binding's #error says what to install"
fi

# 3. Installed into a prefix; built with PKG_CONFIG_PATH only.
"$MAKE" --no-print-directory -C "$ROOT" install PREFIX="$PREFIX" >"$TMP/install.log" 2>&1 \
  || { cat "$TMP/install.log" >&2; fail "make install PREFIX=$PREFIX"; }
[ -f "$PREFIX/lib/pkgconfig/phifd-static.pc" ] || fail "make install wrote no $PREFIX/lib/pkgconfig/phifd-static.pc"
check_run() { # program label
  if [ -n "$EXPECTED" ]; then
    env -u LD_LIBRARY_PATH "./$1" >"$TMP/$1.out" || fail "$2: the program failed"
    diff -u "$EXPECTED" "$TMP/$1.out" >&2 || fail "$2: the output differs from $EXPECTED"
  else
    env -u LD_LIBRARY_PATH "./$1" | grep 'SUSPECT -> FAILED' >/dev/null || fail "$2: unexpected output"
  fi
}
"$GO" build -o app-proxy . >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; fail "go build against $PREFIX"; }
readelf -d app-proxy | grep 'NEEDED.*libphifd' >/dev/null && fail "app-proxy needs the shared library"
check_run app-proxy "module from the proxy"
ok "built against the installed phifd with PKG_CONFIG_PATH only; runs without LD_LIBRARY_PATH"

# 4. Vendored: everything the build needs is inside vendor/.
"$GO" mod vendor
for f in gophifd.h cgo.go call.go; do
  [ -f "vendor/$MODULE/$f" ] || fail "go mod vendor left out $f"
done
grep -rnE --include='*.go' --include='*.c' --include='*.h' 'SRCDIR|\.\./\.\.' "vendor/$MODULE" \
  && fail "the vendored package refers to files outside itself"
GOFLAGS=-mod=vendor GOPROXY=off GOMODCACHE="$TMP/empty-modcache" "$GO" build -o app-vendor . \
  >"$TMP/vendor.log" 2>&1 || { cat "$TMP/vendor.log" >&2; fail "go build -mod=vendor"; }
check_run app-vendor "vendored module"
ok "go mod vendor; go build -mod=vendor with no proxy and an empty module cache"

# 5. Without pkg-config: the build tag and the caller's flags (here the shared library).
CGO_CFLAGS="-I$PREFIX/include" CGO_LDFLAGS="-L$PREFIX/lib -Wl,-rpath,$PREFIX/lib" \
  "$GO" build -tags phifd_nopkgconfig -o app-shared . >"$TMP/shared.log" 2>&1 \
  || { cat "$TMP/shared.log" >&2; fail "go build -tags phifd_nopkgconfig"; }
readelf -d app-shared | grep 'NEEDED.*libphifd.so' >/dev/null || fail "app-shared does not need libphifd.so"
check_run app-shared "-tags phifd_nopkgconfig, shared"
ok "-tags phifd_nopkgconfig with CGO_CFLAGS/CGO_LDFLAGS (shared, rpath)"

# 6. The installed phifd removed: the statically linked programs need nothing from it.
mv "$PREFIX" "$PREFIX.removed"
check_run app-proxy "after removing $PREFIX"
check_run app-vendor "after removing $PREFIX"
if env -u LD_LIBRARY_PATH ./app-shared >/dev/null 2>&1; then fail "app-shared ran without its library"; fi
ok "with the installed phifd removed the static programs run (the shared one does not)"
