"""Build script of the phifd Python package.

The package is pure Python over ctypes, but it bundles the native library: the `build_py`
step runs `cargo build --release --lib` in the repository root (found by walking up from this
file to the directory holding the phifd `Cargo.toml`, or given by $PHIFD_SOURCE_DIR) and copies
`libphifd.so` into the built package. The wheel is therefore platform-specific
(`py3-none-<platform>`), not pure.

Environment: CARGO (default `cargo`), CARGO_TARGET_DIR (honoured like cargo does),
PHIFD_SOURCE_DIR (the repository root, if this directory was copied elsewhere).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
LIBRARY = "libphifd.so"


def package_version() -> str:
    text = (HERE / "src" / "phifd" / "_version.py").read_text()
    return re.search(r'^VERSION = "([^"]+)"', text, re.M).group(1)


def find_repo_root() -> Path:
    """The directory of phifd's Cargo.toml: $PHIFD_SOURCE_DIR, or the nearest ancestor of this
    directory (normally ../..) whose Cargo.toml declares the package `phifd`."""
    candidates = []
    if os.environ.get("PHIFD_SOURCE_DIR"):
        candidates.append(Path(os.environ["PHIFD_SOURCE_DIR"]).resolve())
    candidates.extend(HERE.parents)
    for d in candidates:
        cargo_toml = d / "Cargo.toml"
        if cargo_toml.is_file() and re.search(r'^name\s*=\s*"phifd"', cargo_toml.read_text(), re.M):
            return d
    sys.exit(
        "phifd: cannot find the phifd Rust sources (Cargo.toml) above "
        f"{HERE}; build from a checkout of the repository (pip install ./bindings/python) "
        "or set PHIFD_SOURCE_DIR to it"
    )


def cargo_version(root: Path) -> str:
    text = (root / "Cargo.toml").read_text()
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def build_library() -> Path:
    """Builds the release library with cargo and returns the path of libphifd.so."""
    root = find_repo_root()
    want = package_version()
    have = cargo_version(root)
    if want != have:
        sys.exit(f"phifd: the Python package is version {want} but {root}/Cargo.toml is {have}")
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        sys.exit("phifd: building the package needs Rust's cargo on PATH (https://rustup.rs)")
    cmd = [cargo, "build", "--release", "--lib"]
    print(f"phifd: running {' '.join(cmd)} in {root}", flush=True)
    subprocess.run(cmd, cwd=root, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    if not target.is_absolute():
        target = root / target
    lib = target / "release" / LIBRARY
    if not lib.is_file():
        sys.exit(f"phifd: cargo succeeded but {lib} does not exist")
    return lib


class BuildPyWithLibrary(build_py):
    """build_py that also builds libphifd.so with cargo and copies it into the package."""

    def run(self) -> None:
        super().run()
        lib = build_library()
        dest = Path(self.build_lib) / "phifd" / LIBRARY
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib, dest)
        os.chmod(dest, 0o755)
        print(f"phifd: bundled {lib} as {dest}", flush=True)


class PlatformWheel(bdist_wheel):
    """Marks the wheel as platform-specific (it holds a native library) but independent of the
    Python version and ABI (the library is loaded with ctypes): tag py3-none-<platform>."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):  # type: ignore[no-untyped-def]
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel})
