#!/usr/bin/env bash
# Checks or applies the formatting of every language in the repository (run by mk/format.mk):
#
#   scripts/format.sh check    list every file a formatter or the Python linter would change; exit 1 if any
#   scripts/format.sh apply    format them (and apply the linter's safe fixes)
#
# The tools and what they cover:
#   rustfmt        the root workspace (library, cli, gen-header), bench/ and fuzz/ (rustfmt.toml)
#   clang-format   every tracked C and C++ source (.clang-format; include/phifd.h is generated)
#   gofmt          every Go file (bindings/go, integrations/)
#   ruff           Python: `ruff format` and `ruff check` (ruff.toml), every .py file and tools/import-graph
#
# Environment (set by mk/format.mk): CLANG_FORMAT, RUFF, GOFMT, CARGO.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-check}"
case "$mode" in check | apply) ;; *)
  echo "usage: scripts/format.sh check|apply" >&2
  exit 2
  ;;
esac
CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"
RUFF="${RUFF:-ruff}"
CARGO="${CARGO:-cargo}"
GOFMT="${GOFMT:-gofmt}"

# collect NAME PATTERN...: the tracked and new (not ignored) files matching the patterns, into
# the array NAME.
collect() {
  local -n into="$1"
  shift
  local f all
  into=()
  mapfile -t all < <(git ls-files --cached --others --exclude-standard -- "$@" | sort -u)
  for f in "${all[@]}"; do
    [ -f "$f" ] && into+=("$f")
  done
}

bad=()
note() { printf 'fmt: %s\n' "$*"; }

# ----- Rust -----------------------------------------------------------------------------------
for ws in . bench fuzz; do
  if [ "$mode" = check ]; then
    # rustfmt -l: the files it would change (absolute paths).
    while IFS= read -r f; do
      [ -n "$f" ] || continue
      bad+=("${f#"$PWD"/} (rustfmt)")
    done < <(cd "$ws" && "$CARGO" fmt --all -- --check -l 2>/dev/null || true)
  else
    (cd "$ws" && "$CARGO" fmt --all)
  fi
done

# ----- C and C++ ------------------------------------------------------------------------------
if ! "$CLANG_FORMAT" --version 2>/dev/null | grep -q 'version 14\.'; then
  echo "fmt: $CLANG_FORMAT (clang-format 14) not found; its output differs between versions." >&2
  echo "     Install it: apt-get install clang-format-14 (or run scripts/setup.sh)" >&2
  exit 1
fi
collect cfiles '*.c' '*.h' '*.cpp' '*.hpp' '*.cc' ':!include/phifd.h'
for f in "${cfiles[@]}"; do
  if [ "$mode" = check ]; then
    "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f (clang-format)")
  else
    "$CLANG_FORMAT" -i "$f"
  fi
done

# ----- Go -------------------------------------------------------------------------------------
collect gofiles '*.go' ':!*/vendor/*'
if [ ${#gofiles[@]} -gt 0 ]; then
  if [ "$mode" = check ]; then
    while IFS= read -r f; do [ -n "$f" ] && bad+=("$f (gofmt)"); done < <("$GOFMT" -l "${gofiles[@]}")
  else
    "$GOFMT" -w "${gofiles[@]}"
  fi
fi

# ----- Python ---------------------------------------------------------------------------------
collect pyfiles '*.py' 'tools/import-graph'
if [ ${#pyfiles[@]} -gt 0 ]; then
  if [ "$mode" = check ]; then
    while IFS= read -r f; do
      [ -n "$f" ] && bad+=("$f (ruff format)")
    done < <("$RUFF" format --check --output-format concise "${pyfiles[@]}" 2>&1 |
      sed -n 's/^\(.*\):[0-9]*:[0-9]*: unformatted: .*/\1/p')
    if ! lint="$("$RUFF" check --quiet --output-format concise "${pyfiles[@]}" 2>&1)"; then
      while IFS= read -r l; do [ -n "$l" ] && bad+=("$l (ruff check)"); done <<<"$lint"
    fi
  else
    "$RUFF" format --quiet "${pyfiles[@]}"
    "$RUFF" check --quiet --fix "${pyfiles[@]}" || true
  fi
fi

if [ "$mode" = check ]; then
  if [ ${#bad[@]} -gt 0 ]; then
    printf 'fmt: not formatted:\n' >&2
    printf '  %s\n' "${bad[@]}" | sort -u >&2
    echo "fmt: run \`make fmt\` to format them (ruff check findings may need a hand)" >&2
    exit 1
  fi
  note "all formatted (rustfmt, clang-format, gofmt, ruff)"
fi
