#!/usr/bin/env bash
# Checks `make install` from the outside: installs into a temporary prefix (and once more through
# DESTDIR), then builds the C quick start in a temporary directory with nothing but
# `pkg-config phifd` (shared, then static through Libs.private) and the C++ quick start against
# the installed phifd.hpp, runs them, and checks the installed files, links and SONAME.
# Run from the repository root after `make lib` (make test-install does both).
set -euo pipefail

ROOT=$(pwd)
MAKE=${MAKE:-make}
CC=${CC:-cc}
CXX=${CXX:-c++}
VERSION=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -1)
MAJOR=${VERSION%%.*}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phifd-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
ok() { echo "test-install: ok: $*"; }

PREFIX="$TMP/prefix"
$MAKE --no-print-directory -C "$ROOT" install PREFIX="$PREFIX" >"$TMP/install.log" 2>&1 \
  || { cat "$TMP/install.log" >&2; fail "make install PREFIX=$PREFIX"; }

# The files and links.
LIB="$PREFIX/lib"
for f in "$LIB/libphifd.so.$VERSION" "$LIB/libphifd.a" "$PREFIX/include/phifd.h" \
         "$PREFIX/include/phifd.hpp" "$LIB/pkgconfig/phifd.pc"; do
  [ -f "$f" ] && [ ! -L "$f" ] || fail "missing regular file $f"
done
[ "$(readlink "$LIB/libphifd.so.$MAJOR")" = "libphifd.so.$VERSION" ] || fail "libphifd.so.$MAJOR does not point to libphifd.so.$VERSION"
[ "$(readlink "$LIB/libphifd.so")" = "libphifd.so.$MAJOR" ] || fail "libphifd.so does not point to libphifd.so.$MAJOR"
cmp -s "$PREFIX/include/phifd.h" include/phifd.h || fail "installed phifd.h differs from include/phifd.h"
cmp -s "$PREFIX/include/phifd.hpp" include/phifd.hpp || fail "installed phifd.hpp differs from include/phifd.hpp"
ok "files and symlinks in $PREFIX"

SONAME=$(readelf -d "$LIB/libphifd.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$SONAME" = "libphifd.so.$MAJOR" ] || fail "SONAME is '$SONAME', want libphifd.so.$MAJOR"
ok "SONAME $SONAME"

# pkg-config sees only the temporary prefix.
export PKG_CONFIG_LIBDIR="$LIB/pkgconfig" PKG_CONFIG_PATH="$LIB/pkgconfig"
[ "$(pkg-config --modversion phifd)" = "$VERSION" ] || fail "pkg-config --modversion is not $VERSION"
[ "$(pkg-config --variable=prefix phifd)" = "$PREFIX" ] || fail "pkg-config prefix is not $PREFIX"
[ "$(pkg-config --variable=libdir phifd)" = "$LIB" ] || fail "pkg-config libdir is not $LIB"
pkg-config --static --libs phifd | grep -q -- '-lpthread -ldl -lm' || fail "Libs.private missing from --static"
ok "pkg-config phifd $VERSION"

# Build outside the tree, with only what pkg-config says.
WORK="$TMP/consumer"
mkdir -p "$WORK"
cp examples/quickstart/quickstart.c examples/quickstart/quickstart.cpp "$WORK/"
cd "$WORK"
# shellcheck disable=SC2046  # word splitting of pkg-config's flags is intended
$CC -std=c11 -Wall -Wextra -Wpedantic -Werror quickstart.c $(pkg-config --cflags --libs phifd) -o quickstart_shared
readelf -d quickstart_shared | grep -q "NEEDED.*\[libphifd.so.$MAJOR\]" || fail "the program does not need libphifd.so.$MAJOR"
LD_LIBRARY_PATH="$LIB" ./quickstart_shared >out_shared.txt || fail "quickstart (shared) failed"
grep -q 'SUSPECT -> FAILED' out_shared.txt || fail "quickstart (shared) output: $(cat out_shared.txt)"
ok "C program linked with pkg-config --libs runs"

# Static: the archive explicitly (-l:libphifd.a), everything else from --static (Libs.private).
# shellcheck disable=SC2046
$CC -std=c11 -Wall -Wextra -Wpedantic -Werror quickstart.c \
  $(pkg-config --cflags --static --libs phifd | sed 's/-lphifd\b/-l:libphifd.a/') -o quickstart_static
if readelf -d quickstart_static | grep -q 'NEEDED.*libphifd'; then fail "static build still needs libphifd.so"; fi
env -u LD_LIBRARY_PATH ./quickstart_static >out_static.txt || fail "quickstart (static) failed"
grep -q 'SUSPECT -> FAILED' out_static.txt || fail "quickstart (static) output: $(cat out_static.txt)"
ok "C program linked with pkg-config --static runs without libphifd.so"

# C++ against the installed phifd.hpp, with an rpath instead of LD_LIBRARY_PATH.
# shellcheck disable=SC2046
$CXX -std=c++17 -Wall -Wextra -Wpedantic -Werror quickstart.cpp $(pkg-config --cflags --libs phifd) \
  -Wl,-rpath,"$(pkg-config --variable=libdir phifd)" -o quickstart_cpp
./quickstart_cpp >out_cpp.txt || fail "C++ quickstart failed"
grep -q 'PHIFD_ERR_STALE_GENERATION' out_cpp.txt || fail "C++ quickstart output: $(cat out_cpp.txt)"
ok "C++ program against the installed phifd.hpp runs"
cd "$ROOT"

# DESTDIR stages under another root; the .pc file still names the final prefix.
STAGE="$TMP/stage"
$MAKE --no-print-directory -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/opt/phifd >"$TMP/install2.log" 2>&1 \
  || { cat "$TMP/install2.log" >&2; fail "make install DESTDIR=$STAGE"; }
[ -f "$STAGE/opt/phifd/lib/libphifd.so.$VERSION" ] || fail "DESTDIR: library not staged"
[ -f "$STAGE/opt/phifd/include/phifd.hpp" ] || fail "DESTDIR: headers not staged"
grep -qx 'prefix=/opt/phifd' "$STAGE/opt/phifd/lib/pkgconfig/phifd.pc" || fail "DESTDIR leaked into phifd.pc"
$MAKE --no-print-directory -C "$ROOT" uninstall DESTDIR="$STAGE" PREFIX=/opt/phifd >/dev/null
[ -z "$(find "$STAGE" -type f -o -type l)" ] || fail "uninstall left files: $(find "$STAGE" -type f -o -type l)"
ok "DESTDIR staging and uninstall"
echo "test-install: all checks passed"
