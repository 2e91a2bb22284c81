#!/usr/bin/env bash
# Checks `make install` from the outside, as a user of an installed phifd would meet it:
#   1. install into a temporary prefix: files, links, SONAME, the tool, the notes printed;
#   2. C and C++ quick starts built in a temporary directory with nothing but pkg-config
#      (phifd: shared, with the rpath; phifd-static: the archive), run WITHOUT LD_LIBRARY_PATH;
#   3. a CMake project using find_package(phifd) and both imported targets, run from its build
#      tree without LD_LIBRARY_PATH; the version check; a moved copy of the prefix still works;
#   4. phifd.hpp with -std=c++14 stops with the one "requires C++17" line;
#   5. the rpath rule (none for a system libdir), DESTDIR staging, and uninstall.
# Run from the repository root after `make lib tool` (make test-install does both).
set -euo pipefail

ROOT=$(pwd)
MAKE=${MAKE:-make}
CC=${CC:-cc}
CXX=${CXX:-c++}
VERSION=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -1)
MAJOR=${VERSION%%.*}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phifd-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset LD_LIBRARY_PATH PKG_CONFIG_PATH PKG_CONFIG_LIBDIR CMAKE_PREFIX_PATH

fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
ok() { echo "test-install: ok: $*"; }
# needs_lib PROGRAM: 0 when the program has libphifd.so.MAJOR as a NEEDED entry.
needs_lib() { readelf -d "$1" | grep "NEEDED.*\[libphifd.so.$MAJOR\]" >/dev/null; }
# run_quickstart PROGRAM EXPECTED: runs with a clean environment and checks one line of output.
run_quickstart() {
  env -u LD_LIBRARY_PATH "./$1" >"$1.out" 2>&1 || fail "$1 failed: $(cat "$1.out")"
  grep -q -- "$2" "$1.out" || fail "$1: no '$2' in its output: $(cat "$1.out")"
}

# --- 1. install -------------------------------------------------------------------------------
PREFIX="$TMP/prefix"
$MAKE --no-print-directory -C "$ROOT" install PREFIX="$PREFIX" >"$TMP/install.log" 2>&1 \
  || { cat "$TMP/install.log" >&2; fail "make install PREFIX=$PREFIX"; }

LIB="$PREFIX/lib"
for f in "$LIB/libphifd.so.$VERSION" "$LIB/libphifd.a" "$PREFIX/include/phifd.h" \
         "$PREFIX/include/phifd.hpp" "$LIB/pkgconfig/phifd.pc" "$LIB/pkgconfig/phifd-static.pc" \
         "$LIB/cmake/phifd/phifdConfig.cmake" "$LIB/cmake/phifd/phifdConfigVersion.cmake"; do
  [ -f "$f" ] && [ ! -L "$f" ] || fail "missing regular file $f"
done
[ -x "$PREFIX/bin/phifd" ] || fail "the phifd tool is not installed as $PREFIX/bin/phifd"
[ "$(readlink "$LIB/libphifd.so.$MAJOR")" = "libphifd.so.$VERSION" ] || fail "libphifd.so.$MAJOR does not point to libphifd.so.$VERSION"
[ "$(readlink "$LIB/libphifd.so")" = "libphifd.so.$MAJOR" ] || fail "libphifd.so does not point to libphifd.so.$MAJOR"
cmp -s "$PREFIX/include/phifd.h" include/phifd.h || fail "installed phifd.h differs from include/phifd.h"
cmp -s "$PREFIX/include/phifd.hpp" include/phifd.hpp || fail "installed phifd.hpp differs from include/phifd.hpp"
ok "files and symlinks in $PREFIX"

SONAME=$(readelf -d "$LIB/libphifd.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$SONAME" = "libphifd.so.$MAJOR" ] || fail "SONAME is '$SONAME', want libphifd.so.$MAJOR"
ok "SONAME $SONAME"

env -u LD_LIBRARY_PATH "$PREFIX/bin/phifd" --help >"$TMP/help.txt" 2>&1 || fail "phifd --help failed: $(cat "$TMP/help.txt")"
grep -q 'simulate' "$TMP/help.txt" || fail "phifd --help does not list the simulate command"
ok "installed phifd --help runs"

# A temporary prefix is on no default path: the install says what to export.
grep -qF "export PKG_CONFIG_PATH=$LIB/pkgconfig" "$TMP/install.log" \
  || fail "make install did not print the PKG_CONFIG_PATH line: $(tail -5 "$TMP/install.log")"
grep -qF -- "-DCMAKE_PREFIX_PATH=$PREFIX" "$TMP/install.log" || fail "make install did not print the CMAKE_PREFIX_PATH hint"
ok "install printed the PKG_CONFIG_PATH and CMAKE_PREFIX_PATH lines"

# --- 2. pkg-config ----------------------------------------------------------------------------
# pkg-config sees only the temporary prefix (the line the install printed).
export PKG_CONFIG_LIBDIR="$LIB/pkgconfig"
[ "$(pkg-config --modversion phifd)" = "$VERSION" ] || fail "pkg-config --modversion phifd is not $VERSION"
[ "$(pkg-config --modversion phifd-static)" = "$VERSION" ] || fail "pkg-config --modversion phifd-static is not $VERSION"
[ "$(pkg-config --variable=prefix phifd)" = "$PREFIX" ] || fail "pkg-config prefix is not $PREFIX"
[ "$(pkg-config --variable=libdir phifd)" = "$LIB" ] || fail "pkg-config libdir is not $LIB"
pkg-config --libs phifd | grep -F -- "-Wl,-rpath,$LIB" >/dev/null || fail "phifd.pc has no rpath for the non-system libdir $LIB: $(pkg-config --libs phifd)"
pkg-config --static --libs phifd | grep -- '-lpthread -ldl -lm' >/dev/null || fail "Libs.private missing from --static"
[ "$(pkg-config --libs phifd-static | awk '{print $1}')" = "$LIB/libphifd.a" ] \
  || fail "phifd-static's Libs does not start with the archive's full path: $(pkg-config --libs phifd-static)"
ok "pkg-config phifd and phifd-static $VERSION"

WORK="$TMP/consumer"
mkdir -p "$WORK"
cp examples/quickstart/quickstart.c examples/quickstart/quickstart.cpp "$WORK/"
cd "$WORK"
CWARN=(-Wall -Wextra -Wpedantic -Werror)
# shellcheck disable=SC2046  # word splitting of pkg-config's flags is intended
$CC -std=c11 "${CWARN[@]}" quickstart.c $(pkg-config --cflags --libs phifd) -o c_shared
# shellcheck disable=SC2046
$CXX -std=c++17 "${CWARN[@]}" quickstart.cpp $(pkg-config --cflags --libs phifd) -o cpp_shared
# shellcheck disable=SC2046
$CC -std=c11 "${CWARN[@]}" quickstart.c $(pkg-config --cflags --libs phifd-static) -o c_static
# shellcheck disable=SC2046
$CXX -std=c++17 "${CWARN[@]}" quickstart.cpp $(pkg-config --cflags --static --libs phifd-static) -o cpp_static
for p in c_shared cpp_shared; do
  needs_lib $p || fail "$p does not need libphifd.so.$MAJOR"
  readelf -d $p | grep -E '\((RPATH|RUNPATH)\)' | grep -F "$LIB" >/dev/null || fail "$p has no RUNPATH naming $LIB"
done
for p in c_static cpp_static; do
  if needs_lib $p; then fail "$p (phifd-static) still needs libphifd.so"; fi
done
for p in c_shared c_static; do run_quickstart $p 'SUSPECT -> FAILED'; done
for p in cpp_shared cpp_static; do run_quickstart $p 'PHIFD_ERR_STALE_GENERATION'; done
ok "C and C++ via pkg-config phifd (shared, rpath) and phifd-static run without LD_LIBRARY_PATH"
unset PKG_CONFIG_LIBDIR

# --- 3. CMake ---------------------------------------------------------------------------------
# cmake_consumer PREFIX_PATH BUILD_DIR [extra cmake args]: configure and build the consumer.
cmake_consumer() {
  local prefix_path=$1 build=$2; shift 2
  mkdir -p "$build"
  cp "$ROOT/tests/install/consumer/CMakeLists.txt" "$WORK/quickstart.c" "$WORK/quickstart.cpp" "$build/.."
  cmake -S "$build/.." -B "$build" -DCMAKE_PREFIX_PATH="$prefix_path" "$@" >"$build.log" 2>&1
}
cmake_consumer "$PREFIX" "$WORK/cmake/build" || { cat "$WORK/cmake/build.log" >&2; fail "cmake configure with find_package(phifd)"; }
cmake --build "$WORK/cmake/build" -j2 >>"$WORK/cmake/build.log" 2>&1 || { cat "$WORK/cmake/build.log" >&2; fail "cmake --build"; }
cd "$WORK/cmake/build"
for p in quickstart_c_shared quickstart_cpp_shared; do needs_lib $p || fail "CMake: $p does not need libphifd.so.$MAJOR"; done
for p in quickstart_c_static quickstart_cpp_static; do if needs_lib $p; then fail "CMake: $p (phifd::phifd_static) needs libphifd.so"; fi; done
for p in quickstart_c_shared quickstart_c_static; do run_quickstart $p 'SUSPECT -> FAILED'; done
for p in quickstart_cpp_shared quickstart_cpp_static; do run_quickstart $p 'PHIFD_ERR_STALE_GENERATION'; done
ok "CMake find_package(phifd): phifd::phifd and phifd::phifd_static, C and C++, run without LD_LIBRARY_PATH"

# The version file: a newer minor or another major is refused, with phifd's version named.
if cmake_consumer "$PREFIX" "$WORK/cmake-v/build" -DPHIFD_REQUEST="$((MAJOR + 1)).0"; then
  fail "find_package(phifd $((MAJOR + 1)).0) accepted version $VERSION"
fi
grep -q "$VERSION" "$WORK/cmake-v/build.log" || fail "the version refusal does not name $VERSION: $(cat "$WORK/cmake-v/build.log")"
ok "find_package(phifd $((MAJOR + 1)).0) is refused"

# Relocatable: a copy of the prefix elsewhere is found there, not at the original place.
cp -a "$PREFIX" "$TMP/moved"
cmake_consumer "$TMP/moved" "$WORK/cmake-moved/build" || { cat "$WORK/cmake-moved/build.log" >&2; fail "cmake with the moved prefix"; }
grep -qF "phifd $VERSION: $TMP/moved/lib/libphifd.so.$VERSION" "$WORK/cmake-moved/build.log" \
  || fail "the moved package does not point into $TMP/moved: $(grep 'phifd ' "$WORK/cmake-moved/build.log")"
rm -rf "$TMP/moved"
ok "the CMake package is relocatable"
cd "$ROOT"

# --- 4. C++14 ---------------------------------------------------------------------------------
printf '#include <phifd.hpp>\nint main() { return 0; }\n' >"$WORK/old.cpp"
if $CXX -std=c++14 -I"$PREFIX/include" -c "$WORK/old.cpp" -o "$WORK/old.o" >"$WORK/old.txt" 2>&1; then
  fail "phifd.hpp compiled with -std=c++14"
fi
grep -q 'error.*phifd.hpp requires C++17' "$WORK/old.txt" || fail "no 'phifd.hpp requires C++17' error: $(head -5 "$WORK/old.txt")"
[ "$(grep -c ': error:' "$WORK/old.txt")" -eq 1 ] && [ "$(wc -l <"$WORK/old.txt")" -le 5 ] \
  || fail "-std=c++14 gives more than the one error: $(cat "$WORK/old.txt")"
ok "-std=c++14: one error, 'phifd.hpp requires C++17' ($(wc -l <"$WORK/old.txt") lines)"

# --- 5. the rpath rule, DESTDIR staging, uninstall --------------------------------------------
# Staged for /usr: a system libdir, so no rpath (the loader finds it; ldconfig is the packager's).
STAGE="$TMP/stage-usr"
$MAKE --no-print-directory -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/usr >"$TMP/install-usr.log" 2>&1 \
  || { cat "$TMP/install-usr.log" >&2; fail "make install DESTDIR=$STAGE PREFIX=/usr"; }
grep -q '^Libs:' "$STAGE/usr/lib/pkgconfig/phifd.pc" || fail "no Libs line in the staged phifd.pc"
if grep -q '^Libs:.*rpath' "$STAGE/usr/lib/pkgconfig/phifd.pc"; then fail "phifd.pc for /usr/lib has an rpath"; fi
if grep -q 'ldconfig\|PKG_CONFIG_PATH' "$TMP/install-usr.log"; then fail "a DESTDIR install ran ldconfig or printed notes"; fi
rm -rf "$STAGE"
ok "no rpath for the system libdir /usr/lib"

# Staged for /opt/phifd: the .pc and CMake files name the final prefix, never DESTDIR.
STAGE="$TMP/stage"
$MAKE --no-print-directory -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/opt/phifd >"$TMP/install2.log" 2>&1 \
  || { cat "$TMP/install2.log" >&2; fail "make install DESTDIR=$STAGE"; }
[ -f "$STAGE/opt/phifd/lib/libphifd.so.$VERSION" ] || fail "DESTDIR: library not staged"
[ -f "$STAGE/opt/phifd/include/phifd.hpp" ] || fail "DESTDIR: headers not staged"
[ -x "$STAGE/opt/phifd/bin/phifd" ] || fail "DESTDIR: tool not staged"
for pc in phifd phifd-static; do
  grep -qx 'prefix=/opt/phifd' "$STAGE/opt/phifd/lib/pkgconfig/$pc.pc" || fail "DESTDIR leaked into $pc.pc"
done
grep -q '^Libs:.*-Wl,-rpath,${libdir}' "$STAGE/opt/phifd/lib/pkgconfig/phifd.pc" || fail "phifd.pc for /opt/phifd/lib has no rpath"
if grep -rqF "$STAGE" "$STAGE/opt/phifd/lib/pkgconfig" "$STAGE/opt/phifd/lib/cmake"; then fail "DESTDIR leaked into the .pc or CMake files"; fi
$MAKE --no-print-directory -C "$ROOT" uninstall DESTDIR="$STAGE" PREFIX=/opt/phifd >/dev/null
[ -z "$(find "$STAGE" -type f -o -type l)" ] || fail "uninstall left files: $(find "$STAGE" -type f -o -type l)"
ok "DESTDIR staging and uninstall"

# PC_RPATH is checked, not ignored.
if $MAKE --no-print-directory -C "$ROOT" install DESTDIR="$TMP/bad" PREFIX=/opt/phifd PC_RPATH=maybe >"$TMP/bad.log" 2>&1; then
  fail "make install accepted PC_RPATH=maybe"
fi
grep -q 'PC_RPATH must be auto, yes or no' "$TMP/bad.log" || fail "PC_RPATH=maybe: unclear message: $(tail -3 "$TMP/bad.log")"
ok "a bad PC_RPATH is refused with a message"
echo "test-install: all checks passed"
