#!/usr/bin/env bash
# Installs what `make tsan` needs, and says so when it cannot. Idempotent: a second run only checks.
#
#   - a nightly Rust toolchain (rustc's -Zsanitizer=thread is unstable);
#   - its rust-src component: the standard library is rebuilt with ThreadSanitizer
#     (-Zbuild-std), because an uninstrumented std hides its own synchronisation from TSan and
#     produces false reports;
#   - a C compiler whose -fsanitize=thread links (Debian: gcc plus libtsan2).
#
# Exit status: 0 when everything is in place; 3 when it cannot be installed here (the reason is
# printed as "tsan: SKIPPED: ..."; `make tsan` then succeeds without running); 1 on a real error.
set -euo pipefail

skip() {
    echo "tsan: SKIPPED: $*" >&2
    exit 3
}

command -v rustup >/dev/null 2>&1 || skip "rustup not found (install Rust with rustup to get a nightly toolchain)"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "tsan: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal >&2 ||
        skip "cannot install the nightly toolchain (is the Rust distribution server reachable?)"
fi

if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "tsan: installing rust-src for nightly" >&2
    rustup component add --toolchain nightly rust-src >&2 ||
        skip "cannot install the rust-src component for nightly (needed by -Zbuild-std)"
fi

cc_tsan_works() {
    local dir
    dir=$(mktemp -d)
    printf 'int main(void) { return 0; }\n' >"$dir/t.c"
    local ok=1
    ${CC:-cc} -fsanitize=thread "$dir/t.c" -o "$dir/t" >/dev/null 2>&1 && "$dir/t" && ok=0
    rm -rf "$dir"
    return $ok
}

if ! cc_tsan_works; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "tsan: installing libtsan2 for ${CC:-cc}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q libtsan2 >&2 || true
    fi
    cc_tsan_works || skip "${CC:-cc} -fsanitize=thread does not link (install the compiler's TSan runtime, e.g. libtsan2)"
fi

echo "tsan: ready ($(rustup run nightly rustc --version))" >&2
