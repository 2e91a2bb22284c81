#!/usr/bin/env python3
"""Checks a built phifd wheel, or one shared library, the way `make wheel` needs them.

    check_wheel.py WHEEL        the wheel: tag, layout, bundled library
    check_wheel.py --elf FILE   only the library checks, on FILE (an installed libphifd.so)

The wheel must be tagged `py3-none-manylinux_*` (ctypes: no Python ABI; manylinux: installable
on other Linux distributions) in its file name and in its WHEEL file, install into platlib
(`Root-Is-Purelib: false`), and hold phifd/libphifd.so and phifd/py.typed. The library must
be stripped: no `.debug_*` section and no static symbol table (`.symtab`), while its dynamic
symbol table still exports every `phifd_*` function the binding declares (checked: phifd_version,
phifd_monitor_new, phifd_heartbeat). Prints one line per check and the library's size; exits 1
with the failures listed otherwise. Reads ELF itself (64-bit little-endian), so it needs no
binutils.
"""

from __future__ import annotations

import re
import struct
import sys
import zipfile
from typing import Dict, List, Tuple

LIBRARY = "phifd/libphifd.so"
REQUIRED_SYMBOLS = ("phifd_version", "phifd_monitor_new", "phifd_heartbeat")
SHT_DYNSYM = 11


def elf_sections(data: bytes) -> Dict[str, Tuple[int, int, int, int]]:
    """Section name -> (type, offset, size, link) of a 64-bit little-endian ELF image."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for i in range(shnum):
        name, typ, _flags, _addr, offset, size, link, _info, _align, _entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize
        )
        headers.append((name, typ, offset, size, link))
    strtab_offset = headers[shstrndx][2]
    out = {}
    for name, typ, offset, size, link in headers:
        end = data.index(b"\0", strtab_offset + name)
        out[data[strtab_offset + name : end].decode()] = (typ, offset, size, link)
    return out


def dynamic_symbols(data: bytes, sections: Dict[str, Tuple[int, int, int, int]]) -> List[str]:
    """Names in the dynamic symbol table (.dynsym, names in the section it links to)."""
    entries = [s for s in sections.values() if s[0] == SHT_DYNSYM]
    if not entries:
        return []
    _, offset, size, link = entries[0]
    strtab = list(sections.values())[link]
    names = []
    for pos in range(offset, offset + size, 24):
        (name,) = struct.unpack_from("<I", data, pos)
        end = data.index(b"\0", strtab[1] + name)
        names.append(data[strtab[1] + name : end].decode())
    return names


def check_library(data: bytes, what: str) -> List[str]:
    """The failures of the library checks (empty: all passed); prints what it found."""
    failures = []
    try:
        sections = elf_sections(data)
    except (ValueError, struct.error, IndexError) as e:
        return [f"{what}: cannot read it as ELF: {e}"]
    debug = sorted(n for n in sections if n.startswith(".debug"))
    print(
        f"{what}: {len(data)} bytes ({len(data) / 1e6:.2f} MB), "
        f"{len(debug)} debug sections, .symtab {'present' if '.symtab' in sections else 'absent'}"
    )
    if debug:
        failures.append(f"{what} is not stripped: it has {', '.join(debug)}")
    if ".symtab" in sections:
        failures.append(f"{what} still has its static symbol table (.symtab)")
    exported = set(dynamic_symbols(data, sections))
    missing = [s for s in REQUIRED_SYMBOLS if s not in exported]
    if missing:
        failures.append(f"{what} does not export {', '.join(missing)} (stripped too far?)")
    else:
        count = sum(1 for s in exported if s.startswith("phifd_"))
        print(f"{what}: exports {count} phifd_* functions")
    return failures


def check_wheel(path: str) -> List[str]:
    failures = []
    name = path.rsplit("/", 1)[-1]
    m = re.fullmatch(r"phifd-([^-]+)-(py3)-(none)-([^-]+)\.whl", name)
    if not m:
        return [f"{name}: not named phifd-VERSION-py3-none-PLATFORM.whl"]
    platforms = m.group(4).split(".")
    bad = [p for p in platforms if not re.fullmatch(r"manylinux(_\d+_\d+|2014|2010|1)_\w+", p)]
    if bad:
        failures.append(f"{name}: platform tag {'.'.join(bad)} is not manylinux (run auditwheel repair)")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        wheel_file = z.read(f"phifd-{m.group(1)}.dist-info/WHEEL").decode()
        tags = sorted(re.findall(r"^Tag: (\S+)$", wheel_file, re.M))
        want = sorted(f"py3-none-{p}" for p in platforms)
        print(f"{name}: WHEEL tags {', '.join(tags)}")
        if tags != want:
            failures.append(f"{name}: WHEEL file tags {tags} differ from the file name's {want}")
        if "Root-Is-Purelib: false" not in wheel_file:
            failures.append(f"{name}: Root-Is-Purelib is not false (the wheel holds native code)")
        for required in (LIBRARY, "phifd/py.typed", "phifd/__init__.py"):
            if required not in names:
                failures.append(f"{name}: {required} is missing")
        if LIBRARY in names:
            failures += check_library(z.read(LIBRARY), f"{name}:{LIBRARY}")
    return failures


def main(argv: List[str]) -> int:
    if len(argv) == 1 and not argv[0].startswith("-"):
        failures = check_wheel(argv[0])
    elif len(argv) == 2 and argv[0] == "--elf":
        with open(argv[1], "rb") as f:
            failures = check_library(f.read(), argv[1])
    else:
        print("usage: check_wheel.py WHEEL | check_wheel.py --elf FILE", file=sys.stderr)
        return 2
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    if not failures:
        print("check_wheel: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
