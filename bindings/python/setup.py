"""Build script of the phifd Python package.

The package is pure Python over ctypes, but it bundles the native library: the `build_py`
step builds phifd's Rust crate as a C library with cargo (the command of `make lib`: `cargo
rustc --release --lib --crate-type cdylib ...`) and copies `libphifd.so`,
stripped of its debug information, into the built package. The wheel is therefore
platform-specific (`py3-none-<platform>`), not pure; `make wheel` retags it manylinux with
auditwheel.

Where the crate is found, first match wins:
  1. $PHIFD_SOURCE_DIR (a directory holding phifd's Cargo.toml);
  2. `rust/` next to this file: the copy of the crate that `sdist` puts into the source
     distribution (Cargo.toml made a standalone workspace, Cargo.lock, src/, include/,
     README.md, and a build script if the crate has one);
  3. the nearest ancestor of this directory whose Cargo.toml declares the package `phifd`
     (a checkout of the repository: ../..).

Environment:
  CARGO             the cargo executable (default `cargo` on PATH)
  CARGO_TARGET_DIR  honoured like cargo does (relative paths are relative to the crate)
  PHIFD_SOURCE_DIR  the crate's directory, if this directory was copied elsewhere
  STRIP             the strip executable (default `strip`, from binutils)
  PHIFD_NO_STRIP=1  bundle the library with its debug information (for profiling)
  PHIFD_BUILD_TTY=0 do not write the two progress lines to the terminal (see below)

Progress: the first line of output says that cargo is building the library and where its full
log goes (a file in the temporary directory, kept after the build); cargo's own lines follow.
pip shows a build's output only with `pip install -v` (and when the build fails), so the start
and end lines are also written to the controlling terminal, when there is one, unless
PHIFD_BUILD_TTY=0.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
LIBRARY = "libphifd.so"
#: Directory of the source distribution that carries the Rust crate.
SDIST_CRATE_DIR = "rust"
#: What cargo needs to build the library, relative to the crate root: the manifest and the
#: sources are required; the lock file (the tested dependency versions), a build script and its
#: configuration, the manifest's `readme` and the C headers are copied when present.
#: Directories are copied whole, without caches.
CRATE_REQUIRED = ["Cargo.toml", "src"]
CRATE_OPTIONAL = ["Cargo.lock", "build.rs", "cbindgen.toml", "README.md", "include"]

NO_CARGO = """\
phifd: building this package from source needs Rust's cargo, and `{cargo}` was not found on PATH.
  Either install Rust (https://rustup.rs, then open a new shell or run `. "$HOME/.cargo/env"`)
  and run the same pip command again,
  or install the prebuilt wheel, which needs no Rust: in a checkout of phifd run `make wheel`,
  then `pip install build/wheel/phifd-{version}-py3-none-manylinux_*.whl`."""


def package_version() -> str:
    text = (HERE / "src" / "phifd" / "_version.py").read_text()
    m = re.search(r'^VERSION = "([^"]+)"', text, re.M)
    if m is None:
        sys.exit(f"phifd: no VERSION line in {HERE / 'src' / 'phifd' / '_version.py'}")
    return m.group(1)


def is_phifd_crate(d: Path) -> bool:
    cargo_toml = d / "Cargo.toml"
    return cargo_toml.is_file() and bool(re.search(r'^name\s*=\s*"phifd"', cargo_toml.read_text(), re.M))


def find_crate_root() -> Path:
    """The directory of phifd's Cargo.toml (see the module docstring for the order)."""
    env = os.environ.get("PHIFD_SOURCE_DIR")
    if env:
        d = Path(env).expanduser().resolve()
        if not is_phifd_crate(d):
            sys.exit(
                f"phifd: PHIFD_SOURCE_DIR={env} does not hold phifd's Cargo.toml; "
                "point it to the root of a phifd checkout or unset it"
            )
        return d
    for d in [HERE / SDIST_CRATE_DIR, *HERE.parents]:
        if is_phifd_crate(d):
            return d
    sys.exit(
        f"phifd: cannot find the phifd Rust sources (Cargo.toml) in {HERE / SDIST_CRATE_DIR} or "
        f"above {HERE}. Build from a checkout (pip install ./bindings/python), from the sdist "
        "(make sdist), or set PHIFD_SOURCE_DIR to a checkout; or install the prebuilt wheel "
        "(make wheel), which needs no build."
    )


def cargo_version(root: Path) -> str:
    m = re.search(r'^version\s*=\s*"([^"]+)"', (root / "Cargo.toml").read_text(), re.M)
    return m.group(1) if m else "(none)"


class Progress:
    """Writes progress lines to stderr (pip shows them with -v and on failure), to a log file,
    and the important ones also to the terminal when pip captures the output."""

    def __init__(self) -> None:
        fd, path = tempfile.mkstemp(prefix="phifd-build-", suffix=".log")
        self.log_path = path
        self.log = os.fdopen(fd, "w", encoding="utf-8", errors="replace")
        self.tty = None
        if os.environ.get("PHIFD_BUILD_TTY", "1") != "0" and not sys.stderr.isatty():
            try:
                self.tty = open("/dev/tty", "w")  # noqa: SIM115 (closed in close())
            except OSError:
                self.tty = None

    def line(self, text: str, terminal: bool = False) -> None:
        print(text, file=sys.stderr, flush=True)
        self.log.write(text + "\n")
        self.log.flush()
        if terminal and self.tty is not None:
            try:
                self.tty.write("\n" + text + "\n")
                self.tty.flush()
            except OSError:
                self.tty = None

    def close(self) -> None:
        self.log.close()
        if self.tty is not None:
            self.tty.close()


def build_library() -> Path:
    """Builds the release library with cargo and returns the path of libphifd.so."""
    root = find_crate_root()
    want = package_version()
    have = cargo_version(root)
    if want != have:
        sys.exit(
            f"phifd: the Python package is version {want} but {root}/Cargo.toml is {have}; "
            "build the package from the same checkout as the library"
        )
    cargo = os.environ.get("CARGO", "cargo")
    cargo_path = shutil.which(cargo)
    if cargo_path is None:
        sys.exit(NO_CARGO.format(cargo=cargo, version=want))
    # The same command as `make lib`, so a checkout's target/ is shared without rebuilds: the
    # C library (cdylib; the crate's own [lib] may be an rlib only) with the SONAME of the
    # major version, libphifd.so.MAJOR.
    major = have.split(".")[0]
    cmd = [
        cargo_path,
        "rustc",
        "-p",
        "phifd",
        "--release",
        "--lib",
        "--crate-type",
        "cdylib",
        "--crate-type",
        "staticlib",
        "--",
        "-C",
        f"link-arg=-Wl,-soname,{LIBRARY}.{major}",
    ]
    progress = Progress()
    try:
        progress.line(
            f"phifd: building the native library {LIBRARY} with Rust's cargo (about a minute on "
            f"a first build); full log: {progress.log_path}",
            terminal=True,
        )
        progress.line(f"phifd: running {' '.join(cmd)} in {root}")
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        assert proc.stdout is not None
        tail: List[str] = []
        for raw in proc.stdout:
            text = raw.rstrip("\n")
            progress.line(text)
            tail = (tail + [text])[-15:]
        code = proc.wait()
        elapsed = time.monotonic() - started
        if code != 0:
            progress.line(
                f"phifd: cargo failed (exit status {code}) after {elapsed:.0f} s; the full log is {progress.log_path}",
                terminal=True,
            )
            sys.exit(
                f"phifd: `{' '.join(cmd)}` failed in {root} (exit status {code}). "
                f"Its last lines:\n  "
                + "\n  ".join(tail)
                + f"\nFull log: {progress.log_path}. A Rust older than the crate's "
                "rust-version needs `rustup update`; without network access cargo cannot "
                "fetch the crates it needs. Or install the prebuilt wheel (make wheel)."
            )
        progress.line(f"phifd: cargo finished in {elapsed:.0f} s", terminal=True)
    finally:
        progress.close()
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    if not target.is_absolute():
        target = root / target
    lib = target / "release" / LIBRARY
    if not lib.is_file():
        sys.exit(f"phifd: cargo succeeded but {lib} does not exist")
    return lib


def strip_library(path: Path) -> None:
    """Removes debug information and the static symbol table from the bundled copy (the
    dynamic symbols that ctypes looks up stay). Without `strip` the copy is bundled as is."""
    if os.environ.get("PHIFD_NO_STRIP") == "1":
        print(f"phifd: PHIFD_NO_STRIP=1: {path} keeps its debug information", file=sys.stderr)
        return
    strip = os.environ.get("STRIP", "strip")
    if shutil.which(strip) is None:
        print(
            f"phifd: warning: `{strip}` not found (Debian: apt-get install binutils); the "
            "bundled library keeps its debug information (several MB larger)",
            file=sys.stderr,
        )
        return
    before = path.stat().st_size
    subprocess.run([strip, "--strip-unneeded", str(path)], check=True)
    print(f"phifd: stripped {path.name}: {before} -> {path.stat().st_size} bytes", file=sys.stderr, flush=True)


class BuildPyWithLibrary(build_py):
    """build_py that also builds libphifd.so with cargo and bundles a stripped copy."""

    def run(self) -> None:
        super().run()
        lib = build_library()
        dest = Path(self.build_lib) / "phifd" / LIBRARY
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib, dest)
        os.chmod(dest, 0o755)
        strip_library(dest)
        print(f"phifd: bundled {lib} as {dest}", file=sys.stderr, flush=True)


def standalone_manifest(text: str) -> str:
    """Cargo.toml without the workspace's member list: in the sdist the crate stands alone (the
    repository's other members are not shipped), so its `[workspace]` table keeps only what
    does not name other directories."""
    out: List[str] = []
    table: Optional[str] = None
    skipping = False
    for line in text.splitlines():
        stripped = line.strip()
        if skipping:
            if "]" in stripped.split("#", 1)[0]:
                skipping = False
            continue
        header = re.match(r"^\[([^\[\]]+)\]", stripped)
        if header:
            table = header.group(1).strip()
        elif table == "workspace" and re.match(r"^(members|exclude|default-members)\s*=", stripped):
            value = stripped.split("=", 1)[1].split("#", 1)[0]
            skipping = "[" in value and "]" not in value
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def copy_crate(root: Path, dest: Path) -> None:
    """Copies what cargo needs to build libphifd.so from `root` into `dest`."""
    missing = [n for n in CRATE_REQUIRED if not (root / n).exists()]
    if missing:
        sys.exit(f"phifd: cannot make the sdist: {root} lacks {', '.join(missing)}")
    manifest = (root / "Cargo.toml").read_text()
    names = CRATE_REQUIRED + CRATE_OPTIONAL
    for key in ("build", "readme"):  # files the manifest names, if not the defaults
        m = re.search(rf'^{key}\s*=\s*"([^"]+)"', manifest, re.M)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = root / name
        if name == "Cargo.toml":
            (dest / name).write_text(standalone_manifest(manifest))
        elif src.is_dir():
            shutil.copytree(
                src, dest / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("target", "__pycache__", "*.pyc")
            )
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


class SdistWithCrate(sdist):
    """sdist that also carries the Rust crate in `rust/`, so the source distribution builds on
    its own (with cargo), outside the repository."""

    def make_release_tree(self, base_dir: str, files: List[str]) -> None:
        super().make_release_tree(base_dir, files)
        root = find_crate_root()
        copy_crate(root, Path(base_dir) / SDIST_CRATE_DIR)
        print(f"phifd: copied the Rust crate from {root} into the sdist's {SDIST_CRATE_DIR}/", file=sys.stderr)


class BinaryDistribution(Distribution):
    """A distribution with native code: the package is built into the platform directory
    (build/lib.<platform>) and installed from the wheel's root into platlib, like a package
    with compiled extensions (instead of from `<name>.data/purelib`)."""

    def has_ext_modules(self) -> bool:
        return True


def main() -> None:
    try:  # setuptools >= 70.1 ships bdist_wheel itself
        from setuptools.command.bdist_wheel import bdist_wheel
    except ImportError:  # older setuptools: the wheel package's
        from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

    class PlatformWheel(bdist_wheel):
        """Marks the wheel as platform-specific (it holds a native library) but independent of the
        Python version and ABI (the library is loaded with ctypes): tag py3-none-<platform>."""

        def finalize_options(self) -> None:
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self):  # type: ignore[no-untyped-def]
            _, _, plat = super().get_tag()
            return "py3", "none", plat

    setup(
        distclass=BinaryDistribution,
        cmdclass={"build_py": BuildPyWithLibrary, "sdist": SdistWithCrate, "bdist_wheel": PlatformWheel},
    )


if __name__ == "__main__":  # as setuptools runs it; tests import the helpers above
    main()
