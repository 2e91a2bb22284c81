"""Packaging: the helpers of setup.py (standalone manifest of the sdist, the crate copy, the
message when cargo is missing) and the installed library (stripped, when it is the bundled one)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import phifd
import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def setup_py() -> ModuleType:
    pytest.importorskip("setuptools", reason="setup.py's helpers need setuptools")
    return load(PACKAGE_DIR / "setup.py", "phifd_setup_py")


def test_standalone_manifest_drops_only_the_member_lists(setup_py: ModuleType) -> None:
    manifest = (
        '[package]\nname = "phifd"\nexclude = ["x"]\n\n'
        "[workspace]\n"
        'members = [\n    ".",\n    "cli",  # the tool\n    "tools/gen-header",\n]\n'
        'exclude = ["fuzz"]\n'
        'resolver = "2"\n'
        'default-members = ["."]  # only the library\n\n'
        '[workspace.dependencies]\nlibc = "0.2"\n'
    )
    expected = (
        '[package]\nname = "phifd"\nexclude = ["x"]\n\n'
        "[workspace]\n"
        'resolver = "2"\n\n'
        '[workspace.dependencies]\nlibc = "0.2"\n'
    )
    assert setup_py.standalone_manifest(manifest) == expected
    one_line = '[workspace]\nmembers = [".", "cli"]\n\n[profile.release]\ndebug = 1\n'
    assert setup_py.standalone_manifest(one_line) == "[workspace]\n\n[profile.release]\ndebug = 1\n"


def test_crate_copy_is_a_standalone_crate(setup_py: ModuleType, root: Path, tmp_path: Path) -> None:
    dest = tmp_path / "rust"
    setup_py.copy_crate(root, dest)
    manifest = (dest / "Cargo.toml").read_text()
    assert 'name = "phifd"' in manifest
    assert "[workspace]" in manifest and "members" not in manifest.split("[workspace]")[1]
    assert (dest / "src" / "lib.rs").is_file() and (dest / "src" / "ffi").is_dir()
    assert (dest / "Cargo.lock").read_text() == (root / "Cargo.lock").read_text()
    assert not (dest / "target").exists() and not (dest / "bindings").exists()
    assert setup_py.is_phifd_crate(dest)


def test_missing_cargo_is_one_clear_message(setup_py: ModuleType, tmp_path: Path) -> None:
    env = dict(os.environ, CARGO=str(tmp_path / "no-such-cargo"))
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('s', {str(PACKAGE_DIR / 'setup.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "m.build_library()\n"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "no-such-cargo` was not found on PATH" in r.stderr
    assert "https://rustup.rs" in r.stderr and "make wheel" in r.stderr
    assert "Traceback" not in r.stderr


def test_bundled_library_is_stripped() -> None:
    """The library inside an installed package has no debug information (the repository's
    target/release copy keeps it); a PHIFD_LIBRARY override is not checked."""
    if os.environ.get("PHIFD_LIBRARY"):
        pytest.skip("PHIFD_LIBRARY overrides the bundled library")
    checker = load(PACKAGE_DIR / "scripts" / "check_wheel.py", "phifd_check_wheel")
    data = Path(phifd.library_path()).read_bytes()
    assert checker.check_library(data, phifd.library_path()) == []
    assert len(data) < 2_000_000, f"{len(data)} bytes: debug information left in?"


def synthetic_elf(debug: bool, symtab: bool, exports: tuple) -> bytes:
    """A minimal 64-bit little-endian ELF image with a dynamic symbol table exporting `exports`
    and, on request, a .debug_info section and a .symtab (laid out by hand from the ELF spec:
    64-byte file header, section contents, then 64-byte section headers)."""
    import struct

    dynstr = b"\0" + b"".join(n.encode() + b"\0" for n in exports)
    dynsym = bytes(24)  # symbol 0 is the null symbol
    pos = 1
    for n in exports:
        dynsym += struct.pack("<IBBHQQ", pos, 0x12, 0, 1, 0x1000, 16)  # GLOBAL FUNC
        pos += len(n) + 1
    # (name, type, contents); type 3 = STRTAB, 11 = DYNSYM, 2 = SYMTAB, 1 = PROGBITS
    sections = [(".dynstr", 3, dynstr), (".dynsym", 11, dynsym)]
    if debug:
        sections.append((".debug_info", 1, b"\x01" * 32))
    if symtab:
        sections.append((".symtab", 2, bytes(24)))
    names = [s[0] for s in sections] + [".shstrtab"]
    shstrtab = b"\0" + b"".join(n.encode() + b"\0" for n in names)
    sections.append((".shstrtab", 3, shstrtab))
    body, headers, offset = b"", [bytes(64)], 64
    for name, typ, data in sections:
        link = 1 if typ == 11 else 0  # .dynsym names live in section 1 (.dynstr)
        name_off = shstrtab.index(b"\0" + name.encode() + b"\0") + 1
        headers.append(struct.pack("<IIQQQQIIQQ", name_off, typ, 0, 0, offset, len(data), link, 0, 1, 0))
        body += data
        offset += len(data)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, offset, 0, 64, 0, 0, 64, len(headers), len(headers) - 1
    )
    return header + body + b"".join(headers)


def test_strip_checker_tells_stripped_from_unstripped() -> None:
    checker = load(PACKAGE_DIR / "scripts" / "check_wheel.py", "phifd_check_wheel")
    full = ("phifd_version", "phifd_monitor_new", "phifd_heartbeat")
    assert checker.check_library(synthetic_elf(False, False, full), "ok") == []
    debug = checker.check_library(synthetic_elf(True, False, full), "dbg")
    assert debug == ["dbg is not stripped: it has .debug_info"]
    symbols = checker.check_library(synthetic_elf(False, True, full), "sym")
    assert symbols == ["sym still has its static symbol table (.symtab)"]
    gone = checker.check_library(synthetic_elf(False, False, ("phifd_version",)), "few")
    assert gone == ["few does not export phifd_monitor_new, phifd_heartbeat (stripped too far?)"]
    assert "cannot read it as ELF" in checker.check_library(b"not an ELF file", "junk")[0]
