#!/usr/bin/env bash
# Checks phifd as a Rust dependency and as a package (run by `make test-rust-package`):
#  1. a new crate outside the repository that depends on phifd by path builds and runs;
#  2. its dependency tree holds none of the header generator's crates (cbindgen, syn, serde,
#     toml, ...), and phifd compiles with no build script;
#  3. its target directory holds no C library (libphifd.so, libphifd.a), only phifd's rlib;
#  4. `cargo package -p phifd` passes (it builds the packaged crate) and the package holds only
#     the Cargo files, the README, src/**/*.rs and the two C headers.
# Usage: tools/check-rust-package.sh [PACKAGE_TARGET_DIR]
#   PACKAGE_TARGET_DIR  cargo's target directory for the package verification build (kept between
#                       runs to save time; default build/rust-package/target). The dependent crate
#                       always builds in a fresh temporary directory, so nothing stale is judged.
# Environment: CARGO (default cargo).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo="${CARGO:-cargo}"
pkg_target="${1:-$root/build/rust-package/target}"
fail() { echo "rust-package: FAILED: $*" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/phifd-dependent.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
# Its own workspace, so no Cargo.toml above the temporary directory can claim it.
cat > "$work/Cargo.toml" <<TOML
[package]
name = "phifd-dependent"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
phifd = { path = "$root" }

[workspace]
TOML
cat > "$work/src/main.rs" <<'RUST'
// A heartbeat every 100 ms from node 7, then 10 s of silence: phi must be far above 8.
fn main() -> Result<(), phifd::Error> {
    let mut cfg = phifd::Config::new();
    cfg.set_heartbeat_interval_ns(100_000_000)?;
    let monitor = phifd::Monitor::new(&cfg)?;
    let mut t = 1_000_000_000u64;
    for _ in 0..20 {
        monitor.heartbeat(7, 1, t)?;
        t += 100_000_000;
    }
    let phi = monitor.phi(7, t + 10_000_000_000)?;
    assert!(phi > 8.0, "phi after 10 s of silence is {phi}, expected > 8");
    println!("phifd {} as a dependency: phi after 10 s of silence > 8", phifd::VERSION);
    Ok(())
}
RUST
# The repository's lock file pins phifd's dependencies, so no registry lookup is needed.
cp "$root/Cargo.lock" "$work/Cargo.lock"

echo "== rust-package: a dependent crate in $work"
start=$(date +%s)
(cd "$work" && CARGO_TARGET_DIR="$work/target" "$cargo" build --quiet)
echo "   built in $(( $(date +%s) - start )) s (debug, from scratch)"
"$work/target/debug/phifd-dependent"

tree="$(cd "$work" && "$cargo" tree --prefix none -e normal,build --format '{p}')"
grep -q '^phifd v' <<<"$tree" || fail "cargo tree of the dependent does not list phifd:"$'\n'"$tree"
generator="$(grep -E '^(cbindgen|syn|serde|serde_json|serde_derive|toml|toml_edit|proc-macro2|quote|heck|indexmap) v' <<<"$tree" || true)"
[ -z "$generator" ] || fail "a crate depending on phifd compiles the header generator's dependencies:"$'\n'"$generator"
echo "   cargo tree: $(grep -c . <<<"$tree") crates, none of cbindgen/syn/serde/toml"

ls "$work"/target/debug/deps/libphifd-*.rlib >/dev/null 2>&1 || fail "no phifd rlib in $work/target/debug/deps"
clibs="$(find "$work/target" -name 'libphifd.so*' -o -name 'libphifd*.a' -o -name 'libphifd*.so')"
[ -z "$clibs" ] || fail "depending on phifd built C libraries:"$'\n'"$clibs"
scripts="$(find "$work/target/debug/build" -maxdepth 1 -name 'phifd-*' 2>/dev/null)"
[ -z "$scripts" ] || fail "phifd ran a build script in the dependent's build: $scripts"
echo "   target: phifd rlib only (no libphifd.so, no libphifd.a, no build script)"

echo "== rust-package: cargo package -p phifd"
# --allow-dirty: the check is about what the package holds and that it builds, not about
# whether every change in the working tree is committed yet.
list="$(cd "$root" && "$cargo" package -p phifd --allow-dirty --list 2>/dev/null)"
unexpected="$(grep -vE '^(\.cargo_vcs_info\.json|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|README\.md|src/.+\.rs|include/phifd\.(h|hpp))$' <<<"$list" || true)"
[ -z "$unexpected" ] || fail "the package holds files it should not:"$'\n'"$unexpected"
for needed in include/phifd.h src/lib.rs src/ffi/mod.rs README.md; do
  grep -qx "$needed" <<<"$list" || fail "the package lacks $needed"
done
(cd "$root" && CARGO_TARGET_DIR="$pkg_target" "$cargo" package -p phifd --allow-dirty --quiet) \
  || fail "cargo package -p phifd failed (see above)"
crate="$(ls "$pkg_target"/package/phifd-*.crate | head -1)"
echo "   $(grep -c . <<<"$list") files, $(( $(stat -c %s "$crate") / 1024 )) KiB: $crate (verified: it builds)"
echo "rust-package: OK"
