"""The generated declarations (phifd._cdefs) against the header and against a C compiler."""

from __future__ import annotations

import ctypes
import importlib.util
import keyword
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Tuple

import phifd
import pytest
from phifd import _cdefs, _ffi


def generator(root: Path) -> ModuleType:
    path = root / "bindings" / "python" / "scripts" / "gen_cdefs.py"
    spec = importlib.util.spec_from_file_location("gen_cdefs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_declarations_match_the_header(root: Path) -> None:
    # What `make check-python-ffi` checks, here too so a plain pytest run catches drift.
    gen = generator(root)
    fresh = gen.render(gen.Header((root / "include" / "phifd.h").read_text()))
    current = Path(_cdefs.__file__).read_text()
    assert current == fresh, "phifd/_cdefs.py is stale: run `make python-ffi` and commit it"


def test_the_loaded_library_gets_every_generated_prototype() -> None:
    for name, (restype, argtypes) in _cdefs.FUNCTIONS.items():
        fn = getattr(_ffi.lib, name)
        assert fn.restype is restype, name
        assert list(fn.argtypes) == argtypes, name


def test_generator_refuses_what_it_cannot_declare(root: Path) -> None:
    gen = generator(root)
    by_value = "typedef struct phifd_x { uint32_t a; } phifd_x;\nuint32_t phifd_f(struct phifd_x x);\n"
    with pytest.raises(gen.HeaderError, match=r"phifd_f.*by value"):
        gen.render(gen.Header(by_value))
    unknown = "uint32_t phifd_g(long double *x);\n"
    with pytest.raises(gen.HeaderError, match="phifd_g"):
        gen.render(gen.Header(unknown))
    with pytest.raises(gen.HeaderError, match="no function"):
        gen.Header("#define PHIFD_X 1\n")


def test_generator_type_rules(root: Path) -> None:
    gen = generator(root)
    header = gen.Header(
        "#define PHIFD_A (1 << 4)\n"
        "#define PHIFD_B 281474976710656ull\n"
        "typedef struct phifd_thing phifd_thing;\n"
        "typedef uint32_t phifd_code;\n"
        "typedef struct phifd_pair { uint64_t from; phifd_code kind; } phifd_pair;\n"
        "phifd_code phifd_thing_new(struct phifd_thing **out);\n"
        "const char *phifd_name(phifd_code c);\n"
        "phifd_code phifd_read(const struct phifd_thing *t, const uint8_t *buf, size_t len,\n"
        "                      char *text, uint8_t *out, struct phifd_pair *pair, bool *flag);\n"
    )
    ns: Dict[str, Any] = {}
    exec(compile(gen.render(header), "<generated>", "exec"), ns)
    assert ns["PHIFD_A"] == 16 and ns["PHIFD_B"] == 1 << 48
    assert [f[0] for f in ns["PairStruct"]._fields_] == ["from_", "kind"]
    c = ctypes
    assert ns["FUNCTIONS"]["phifd_thing_new"] == (c.c_uint32, [c.POINTER(c.c_void_p)])
    assert ns["FUNCTIONS"]["phifd_name"] == (c.c_char_p, [c.c_uint32])
    assert ns["FUNCTIONS"]["phifd_read"][1] == [
        c.c_void_p,
        c.c_char_p,
        c.c_size_t,
        c.POINTER(c.c_char),
        c.POINTER(c.c_uint8),
        c.POINTER(ns["PairStruct"]),
        c.POINTER(c.c_bool),
    ]


def test_generator_reads_the_stdint_limits(root: Path) -> None:
    # A "default" value spelled UINT64_MAX (PHIFD_QOS_WARMUP_DEFAULT) is 2**64 - 1; an unknown
    # name is still refused.
    gen = generator(root)
    header = gen.Header("#define PHIFD_D UINT64_MAX\n#define PHIFD_E (UINT32_MAX - 1)\nuint32_t phifd_f(uint64_t x);\n")
    ns: Dict[str, Any] = {}
    exec(compile(gen.render(header), "<generated>", "exec"), ns)
    assert ns["PHIFD_D"] == 18_446_744_073_709_551_615 and ns["PHIFD_E"] == 4_294_967_294
    with pytest.raises(gen.HeaderError, match="PHIFD_G"):
        gen.Header("#define PHIFD_G SIZE_MAX\nuint32_t phifd_f(uint64_t x);\n")


def _c_field(name: str) -> str:
    return name[:-1] if name.endswith("_") and keyword.iskeyword(name[:-1]) else name


def test_struct_layouts_and_constants_match_the_c_compiler(root: Path, tmp_path: Path) -> None:
    """sizeof and every field's offset of every struct, and every integer constant, as a C
    compiler sees the header, against the generated ctypes declarations."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler (cc, gcc or clang) on PATH to compile the layout probe")
    expected: List[Tuple[str, int]] = []
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "phifd.h"', "int main(void) {"]
    for c_name, cls in _cdefs.STRUCTS.items():
        lines.append(f'  printf("sizeof {c_name} %zu\\n", sizeof(struct {c_name}));')
        expected.append((f"sizeof {c_name}", ctypes.sizeof(cls)))
        for field, _ in cls._fields_:
            cf = _c_field(field)
            lines.append(f'  printf("offsetof {c_name}.{cf} %zu\\n", offsetof(struct {c_name}, {cf}));')
            expected.append((f"offsetof {c_name}.{cf}", getattr(cls, field).offset))
    for name in dir(_cdefs):
        value = getattr(_cdefs, name)
        if name.isupper() and isinstance(value, int) and not isinstance(value, bool):
            lines.append(f'  printf("define {name} %llu\\n", (unsigned long long)({name}));')
            expected.append((f"define {name}", value))
    lines += ["  return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    build = subprocess.run(
        [cc, "-std=c11", "-Wall", "-Werror", f"-I{root / 'include'}", str(src), "-o", str(exe)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    seen = {}
    for line in out.splitlines():
        key, value = line.rsplit(" ", 1)
        seen[key] = int(value)
    assert len(seen) == len(expected) > 40
    mismatches = [(k, v, seen[k]) for k, v in expected if seen[k] != v]
    assert not mismatches, f"ctypes vs C (name, ctypes, C): {mismatches}"
    assert seen["sizeof phifd_node_info"] == 120 and seen["sizeof phifd_event"] == 48


def test_enum_names_come_from_the_library() -> None:
    for state in phifd.State:
        assert _ffi.lib.phifd_state_name(int(state)).decode() == state.name
    for kind in phifd.EventKind:
        assert _ffi.lib.phifd_event_kind_name(int(kind)).decode() == kind.name
    assert _ffi.lib.phifd_state_name(99) == b"INVALID"


def test_a_library_that_names_a_state_differently_is_refused() -> None:
    class Renamed:
        @staticmethod
        def phifd_state_name(code: int) -> bytes:
            return b"DEAD" if code == phifd.State.FAILED else phifd.State(code).name.encode()

        phifd_event_kind_name = staticmethod(_ffi.lib.phifd_event_kind_name)

    with pytest.raises(ImportError, match=r"State code 3 'DEAD'.*'FAILED'"):
        _ffi._check_names(Renamed(), "/x/libphifd.so")
