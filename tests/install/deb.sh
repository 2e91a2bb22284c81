#!/usr/bin/env bash
# Checks the Debian packages built by `make deb` without installing them on this machine:
#   - each package's file list (and nothing of another package in it), the SONAME link;
#   - Depends: libphifd-dev on libphifd0 (= this version); the library and the tool on libc6
#     through dpkg-shlibdeps; the shlibs file and ldconfig trigger of libphifd0;
#   - the three extracted into a temporary root: ldd of the tool finds everything, its --help
#     runs; a C program (pkg-config phifd and phifd-static) and a CMake project build against
#     the extracted -dev tree and run.
# Usage: tests/install/deb.sh DEB_DIR DEB_VERSION (make test-deb passes both).
set -euo pipefail

DEB_DIR=${1:?usage: deb.sh DEB_DIR DEB_VERSION}
DEB_VERSION=${2:?usage: deb.sh DEB_DIR DEB_VERSION}
ROOT=$(pwd)
UPSTREAM=${DEB_VERSION%-*}
MAJOR=${UPSTREAM%%.*}
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/phifd-deb.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset LD_LIBRARY_PATH PKG_CONFIG_PATH PKG_CONFIG_LIBDIR CMAKE_PREFIX_PATH

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "test-deb: ok: $*"; }

RUNTIME="$DEB_DIR/libphifd${MAJOR}_${DEB_VERSION}_${ARCH}.deb"
DEV="$DEB_DIR/libphifd-dev_${DEB_VERSION}_${ARCH}.deb"
TOOLS="$DEB_DIR/phifd-tools_${DEB_VERSION}_${ARCH}.deb"
for d in "$RUNTIME" "$DEV" "$TOOLS"; do [ -f "$d" ] || fail "missing package $d"; done

# files PACKAGE: its regular files and links, one per line, as "path" or "path -> target".
files() {
  dpkg-deb -c "$1" | awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p); if ($7 == "->") p = p " -> " $8; print p }' |
    grep -v '^/usr/share/doc/' | sort
}
expect_files() {
  local deb=$1; shift
  diff -u <(printf '%s\n' "$@" | sort) <(files "$deb") >"$TMP/diff" || fail "$(basename "$deb"): unexpected file list:
$(cat "$TMP/diff")"
}
L=/usr/lib/$MA
expect_files "$RUNTIME" "$L/libphifd.so.$UPSTREAM" "$L/libphifd.so.$MAJOR -> libphifd.so.$UPSTREAM"
expect_files "$DEV" /usr/include/phifd.h /usr/include/phifd.hpp "$L/libphifd.so -> libphifd.so.$MAJOR" \
  "$L/libphifd.a" "$L/pkgconfig/phifd.pc" "$L/pkgconfig/phifd-static.pc" \
  "$L/cmake/phifd/phifdConfig.cmake" "$L/cmake/phifd/phifdConfigVersion.cmake"
expect_files "$TOOLS" /usr/bin/phifd
for d in "$RUNTIME" "$DEV" "$TOOLS"; do
  pkg=$(dpkg-deb -f "$d" Package)
  dpkg-deb -c "$d" | grep "/usr/share/doc/$pkg/copyright" >/dev/null || fail "$(basename "$d") has no copyright file"
done
ok "file lists of libphifd$MAJOR, libphifd-dev and phifd-tools (each with its copyright file)"

# Dependencies.
dev_depends=$(dpkg-deb -f "$DEV" Depends)
grep -qF "libphifd$MAJOR (= $DEB_VERSION)" <<<"$dev_depends" || fail "libphifd-dev Depends is '$dev_depends', want libphifd$MAJOR (= $DEB_VERSION)"
for d in "$RUNTIME" "$TOOLS"; do
  dep=$(dpkg-deb -f "$d" Depends)
  grep -qE '(^|, )libc6 \(>= [0-9.]+\)' <<<"$dep" || fail "$(basename "$d") Depends '$dep' lacks a versioned libc6 (dpkg-shlibdeps)"
  if grep -q 'libphifd' <<<"$dep"; then fail "$(basename "$d") depends on itself or the -dev package: $dep"; fi
done
[ "$(dpkg-deb -f "$RUNTIME" Multi-Arch)" = same ] || fail "libphifd$MAJOR is not Multi-Arch: same"
mkdir "$TMP/ctrl"
dpkg-deb -e "$RUNTIME" "$TMP/ctrl"
grep -qx "libphifd $MAJOR libphifd$MAJOR (>= $UPSTREAM)" "$TMP/ctrl/shlibs" \
  || fail "libphifd$MAJOR shlibs is '$(cat "$TMP/ctrl/shlibs" 2>/dev/null)', want 'libphifd $MAJOR libphifd$MAJOR (>= $UPSTREAM)'"
grep -q 'ldconfig' "$TMP/ctrl/triggers" || fail "libphifd$MAJOR does not trigger ldconfig"
ok "Depends: libphifd-dev -> libphifd$MAJOR (= $DEB_VERSION); libc6 via dpkg-shlibdeps; shlibs and ldconfig trigger"

# Extracted, not installed.
R="$TMP/root"
for d in "$RUNTIME" "$DEV" "$TOOLS"; do dpkg-deb -x "$d" "$R"; done
SONAME=$(readelf -d "$R$L/libphifd.so.$UPSTREAM" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$SONAME" = "libphifd.so.$MAJOR" ] || fail "SONAME is '$SONAME', want libphifd.so.$MAJOR"
if readelf -S "$R/usr/bin/phifd" | grep '\.debug_info' >/dev/null; then fail "/usr/bin/phifd is not stripped"; fi
ldd "$R/usr/bin/phifd" >"$TMP/ldd.txt" 2>&1 || fail "ldd /usr/bin/phifd: $(cat "$TMP/ldd.txt")"
if grep -q 'not found' "$TMP/ldd.txt"; then fail "the tool misses libraries: $(cat "$TMP/ldd.txt")"; fi
"$R/usr/bin/phifd" --help | grep 'simulate' >/dev/null || fail "the packaged phifd --help does not list simulate"
ok "phifd-tools: ldd finds every library, phifd --help runs"

grep -q 'rpath' <(grep '^Libs' "$R$L/pkgconfig/phifd.pc") && fail "the packaged phifd.pc has an rpath (libdir $L is a system directory)"
grep -qx 'prefix=/usr' "$R$L/pkgconfig/phifd.pc" || fail "the packaged phifd.pc's prefix is not /usr"
# pkg-config on the extracted tree: the prefix redefined to where it was unpacked.
PC=(env PKG_CONFIG_LIBDIR="$R$L/pkgconfig" pkg-config --define-variable=prefix="$R/usr")
W="$TMP/app"
mkdir -p "$W"
cp "$ROOT/examples/quickstart/quickstart.c" "$ROOT/examples/quickstart/quickstart.cpp" "$ROOT/tests/install/consumer/CMakeLists.txt" "$W/"
# shellcheck disable=SC2046  # word splitting of pkg-config's flags is intended
cc -std=c11 -Wall -Wextra -Werror "$W/quickstart.c" $("${PC[@]}" --cflags --libs phifd) -o "$W/c_shared"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "$W/quickstart.c" $("${PC[@]}" --cflags --libs phifd-static) -o "$W/c_static"
readelf -d "$W/c_shared" | grep "NEEDED.*\[libphifd.so.$MAJOR\]" >/dev/null || fail "the shared build does not need libphifd.so.$MAJOR"
if readelf -d "$W/c_static" | grep 'NEEDED.*libphifd' >/dev/null; then fail "the phifd-static build needs libphifd.so"; fi
# Installed, the loader finds /usr/lib/<multiarch>; extracted, it has to be told.
LD_LIBRARY_PATH="$R$L" "$W/c_shared" | grep 'SUSPECT -> FAILED' >/dev/null || fail "C program (shared) against the extracted tree"
"$W/c_static" | grep 'SUSPECT -> FAILED' >/dev/null || fail "C program (phifd-static) against the extracted tree"
ok "C program builds with pkg-config phifd and phifd-static against the extracted libphifd-dev and runs"

cmake -S "$W" -B "$W/build" -DCMAKE_PREFIX_PATH="$R/usr" >"$W/cmake.log" 2>&1 || { cat "$W/cmake.log" >&2; fail "find_package(phifd) in the extracted tree"; }
grep -qF "phifd $UPSTREAM: $R$L/libphifd.so.$UPSTREAM" "$W/cmake.log" || fail "CMake found another phifd: $(grep 'phifd ' "$W/cmake.log")"
cmake --build "$W/build" -j2 >>"$W/cmake.log" 2>&1 || { cat "$W/cmake.log" >&2; fail "cmake --build against the extracted tree"; }
"$W/build/quickstart_cpp_shared" | grep 'PHIFD_ERR_STALE_GENERATION' >/dev/null || fail "CMake C++ program (phifd::phifd) against the extracted tree"
"$W/build/quickstart_c_static" | grep 'SUSPECT -> FAILED' >/dev/null || fail "CMake C program (phifd::phifd_static) against the extracted tree"
ok "CMake find_package(phifd) in the extracted tree: both targets build and run"
echo "test-deb: all checks passed"
