#!/usr/bin/env python3
"""Generates the ctypes declarations of the Python binding from ``include/phifd.h``.

The header is cbindgen's output and regular: ``#define NAME value`` constants, ``typedef``
aliases, opaque handle typedefs, plain-data structs and one prototype per function. This
script reads them and writes ``bindings/python/src/phifd/_cdefs.py``: every constant, every
struct as a ``ctypes.Structure`` with its ``_fields_``, and every function's ``restype`` and
``argtypes``. ``_ffi.py`` applies them to the loaded library, so no prototype is written by hand
and a change to the C API cannot silently break the binding.

Usage (from anywhere; paths default to the checkout this script is in)::

    gen_cdefs.py                 # rewrite _cdefs.py
    gen_cdefs.py --check         # exit 1, with a diff, if _cdefs.py differs from the header
    gen_cdefs.py --output FILE   # write elsewhere (``-`` for stdout)

Type rules (one place, so every function follows them):

- scalars: ``uint8_t``/``uint32_t``/``uint64_t``/``size_t``/``double``/``bool`` to the ctypes
  type of the same width; ``typedef``s of them keep their C name as a Python alias;
- ``const char *`` is ``c_char_p`` (a NUL-terminated string in or out); ``char *`` is
  ``POINTER(c_char)`` (a buffer the library writes);
- ``const uint8_t *`` is ``c_char_p``, so ``bytes`` (NULs included) pass without a copy;
  ``uint8_t *`` is ``POINTER(c_uint8)``;
- a pointer to an opaque handle is ``c_void_p`` (the handle travels as an ``int``), a pointer to
  a pointer to one (a constructor's out-parameter) ``POINTER(c_void_p)``;
- a pointer to a struct with a layout is ``POINTER(<Name>Struct)``; ``phifd_node_info`` becomes
  ``NodeInfoStruct``; a field named like a Python keyword gets a trailing ``_`` (``from_``).

Anything else stops the generator with a message naming the function and the type, so a new
kind of parameter is a decision, not a silent ``c_int``. Standard library only; Python >= 3.8.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

HERE = Path(__file__).resolve()
ROOT = HERE.parents[3]
DEFAULT_HEADER = ROOT / "include" / "phifd.h"
DEFAULT_OUTPUT = HERE.parents[1] / "src" / "phifd" / "_cdefs.py"
SCRIPT_NAME = "bindings/python/scripts/gen_cdefs.py"

SCALARS = {
    "uint8_t": "c_uint8",
    "uint16_t": "c_uint16",
    "uint32_t": "c_uint32",
    "uint64_t": "c_uint64",
    "int32_t": "c_int32",
    "int64_t": "c_int64",
    "size_t": "c_size_t",
    "double": "c_double",
    "float": "c_float",
    "bool": "c_bool",
    "char": "c_char",
}


class HeaderError(Exception):
    """The header holds something this generator does not know how to declare."""


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


#: The limit macros of ``<stdint.h>`` a constant may be defined as (``UINT64_MAX``: the
#: "default" value of a ``uint64_t`` setting). Their values do not depend on the platform.
STDINT_LIMITS = {
    "UINT8_MAX": (1 << 8) - 1,
    "UINT16_MAX": (1 << 16) - 1,
    "UINT32_MAX": (1 << 32) - 1,
    "UINT64_MAX": (1 << 64) - 1,
    "INT32_MAX": (1 << 31) - 1,
    "INT64_MAX": (1 << 63) - 1,
}


def eval_int(expr: str, name: str) -> int:
    """The value of a C integer constant expression made of literals, the fixed-width limits of
    ``<stdint.h>`` (:data:`STDINT_LIMITS`), parentheses, ``<<``, ``|``, ``+``, ``-`` and ``*``
    (literal suffixes ``u``/``l`` are dropped)."""
    cleaned = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
    try:
        tree = ast.parse(cleaned, mode="eval")
    except SyntaxError:
        raise HeaderError(f"#define {name}: cannot read the value {expr!r}") from None
    allowed_ops = (ast.LShift, ast.RShift, ast.BitOr, ast.BitAnd, ast.Add, ast.Sub, ast.Mult)

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name) and node.id in STDINT_LIMITS:
            return STDINT_LIMITS[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, allowed_ops):
            left, right = ev(node.left), ev(node.right)
            ops = {
                ast.LShift: lambda a, b: a << b,
                ast.RShift: lambda a, b: a >> b,
                ast.BitOr: lambda a, b: a | b,
                ast.BitAnd: lambda a, b: a & b,
                ast.Add: lambda a, b: a + b,
                ast.Sub: lambda a, b: a - b,
                ast.Mult: lambda a, b: a * b,
            }
            return ops[type(node.op)](left, right)  # type: ignore[no-any-return]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise HeaderError(f"#define {name}: {expr!r} is not a plain integer expression")

    return ev(tree)


Constant = Union[int, str]


class Header:
    """What the generator needs of the header, in header order."""

    def __init__(self, text: str) -> None:
        self.constants: List[Tuple[str, Constant]] = []
        self.aliases: Dict[str, str] = {}  # typedef name -> scalar C type
        self.opaque: List[str] = []
        self.structs: List[Tuple[str, List[Tuple[str, str]]]] = []  # name, [(C type, field)]
        self.functions: List[Tuple[str, str, List[str]]] = []  # name, return type, [param]
        self._parse(strip_comments(text))

    def _parse(self, text: str) -> None:
        for m in re.finditer(r"^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*$", text, re.M):
            name, value = m.group(1), m.group(2)
            if value.startswith('"'):
                self.constants.append((name, ast.literal_eval(value)))
            else:
                self.constants.append((name, eval_int(value, name)))
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            tag, body, name = m.group(1), m.group(2), m.group(3)
            if tag != name:
                raise HeaderError(f"typedef struct {tag} {{...}} {name}: tag and name differ")
            fields = []
            for decl in body.split(";"):
                decl = " ".join(decl.split())
                if not decl:
                    continue
                fm = re.fullmatch(r"([\w ]+?)\s+(\w+)", decl)
                if fm is None:
                    raise HeaderError(f"struct {name}: cannot read the field {decl!r}")
                fields.append((fm.group(1), fm.group(2)))
            self.structs.append((name, fields))
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s+(\w+)\s*;", text):
            self.opaque.append(m.group(2))
        for m in re.finditer(r"typedef\s+(\w+)\s+(\w+)\s*;", text):
            if m.group(1) != "struct":
                self.aliases[m.group(2)] = m.group(1)
        pattern = r"^([A-Za-z_][\w \t\*]*?)\b(\w+)\s*\(([^()]*)\)\s*;"
        for m in re.finditer(pattern, text, re.M):
            ret = " ".join(m.group(1).split())
            params = [" ".join(p.split()) for p in m.group(3).split(",")]
            if params in (["void"], [""]):
                params = []
            self.functions.append((m.group(2), ret, params))
        if not self.functions:
            raise HeaderError("no function prototypes found; is this include/phifd.h?")

    def struct_names(self) -> List[str]:
        return [name for name, _ in self.structs]


def struct_class(c_name: str) -> str:
    """``phifd_node_info`` -> ``NodeInfoStruct``."""
    bare = c_name[len("phifd_") :] if c_name.startswith("phifd_") else c_name
    return "".join(part.capitalize() for part in bare.split("_")) + "Struct"


def py_field(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) else name


class TypeMapper:
    def __init__(self, header: Header) -> None:
        self.header = header
        self.structs = set(header.struct_names())
        self.opaque = set(header.opaque)

    def scalar(self, base: str, where: str) -> str:
        if base in self.header.aliases:
            if self.header.aliases[base] not in SCALARS:
                raise HeaderError(f"{where}: typedef {base} of an unknown type")
            return base
        if base in SCALARS:
            return SCALARS[base]
        raise HeaderError(f"{where}: unknown type {base!r}; teach {SCRIPT_NAME} how to declare it")

    def map(self, ctype: str, where: str, is_return: bool = False) -> str:
        """The ctypes expression for a C type (a parameter without its name, or a return type)."""
        stars = ctype.count("*")
        words = ctype.replace("*", " ").split()
        const = "const" in words
        words = [w for w in words if w != "const"]
        is_struct = bool(words) and words[0] == "struct"
        if is_struct:
            words = words[1:]
        if len(words) != 1:
            raise HeaderError(f"{where}: cannot read the type {ctype!r}")
        base = words[0]
        if stars == 0:
            if base == "void":
                if not is_return:
                    raise HeaderError(f"{where}: a `void` parameter")
                return "None"
            if is_struct or base in self.structs or base in self.opaque:
                raise HeaderError(f"{where}: a struct passed by value ({ctype!r})")
            return self.scalar(base, where)
        if base in self.opaque:
            if stars == 1:
                return "c_void_p"
            if stars == 2:
                return "POINTER(c_void_p)"
        elif stars == 1:
            if base == "void":
                return "c_void_p"
            if base == "char":
                return "c_char_p" if const else "POINTER(c_char)"
            if base == "uint8_t" and const and not is_return:
                return "c_char_p"
            if base in self.structs:
                return f"POINTER({struct_class(base)})"
            return f"POINTER({self.scalar(base, where)})"
        raise HeaderError(f"{where}: unsupported type {ctype!r}; teach {SCRIPT_NAME} how to declare it")

    def param_type(self, param: str, where: str) -> str:
        m = re.fullmatch(r"(.*?[\s\*])(\w+)", param)
        if m is None:
            raise HeaderError(f"{where}: cannot read the parameter {param!r} (unnamed?)")
        return self.map(m.group(1).strip(), f"{where}, parameter `{m.group(2)}`")


def render(header: Header) -> str:
    mapper = TypeMapper(header)
    out: List[str] = []
    w = out.append
    w('"""ctypes declarations of ``include/phifd.h``: constants, structs and function prototypes.')
    w("")
    w(f"Generated from include/phifd.h by {SCRIPT_NAME}: do not edit.")
    w("After changing the header run `make python-ffi`; `make check-python-ffi` fails while this")
    w("file differs from what the header generates.")
    w('"""')
    w("")
    used = {"Structure", "POINTER"}
    body: List[str] = []
    b = body.append

    b("# Constants: every `#define` of the header.")
    for name, value in header.constants:
        b(f"{name} = {json.dumps(value) if isinstance(value, str) else value}")
    b("")
    b("# Type aliases: the header's `typedef`s of scalar types.")
    for name, base in header.aliases.items():
        if base not in SCALARS:
            raise HeaderError(f"typedef {base} {name}: unknown type {base!r}")
        b(f"{name} = {SCALARS[base]}")
    b("")
    b("#: Opaque handle types: passed as ``c_void_p`` (an ``int`` address, or ``None`` for NULL).")
    line = "OPAQUE = (" + ", ".join(f'"{n}"' for n in header.opaque) + ("," if len(header.opaque) == 1 else "") + ")"
    if len(line) <= 120:
        b(line)
    else:
        b("OPAQUE = (")
        for n in header.opaque:
            b(f'    "{n}",')
        b(")")
    for name, fields in header.structs:
        b("")
        b("")
        b(f"class {struct_class(name)}(Structure):")
        b(f'    """``struct {name}``."""')
        b("")
        b("    _fields_ = [")
        for ctype, field in fields:
            b(f'        ("{py_field(field)}", {mapper.map(ctype, f"struct {name}, field `{field}`")}),')
        b("    ]")
    b("")
    b("")
    b("#: C name -> ctypes class of every struct of the header.")
    b("STRUCTS = {")
    for name in header.struct_names():
        b(f'    "{name}": {struct_class(name)},')
    b("}")
    b("")
    b("#: Function name -> (restype, argtypes) of every function of the header, in header order.")
    b("FUNCTIONS: Dict[str, Tuple[Any, List[Any]]] = {")
    for name, ret, params in header.functions:
        restype = mapper.map(ret, f"{name}, return type", is_return=True)
        args = [mapper.param_type(p, name) for p in params]
        line = f'    "{name}": ({restype}, [{", ".join(args)}]),'
        if len(line) <= 120:
            b(line)
        else:
            b(f'    "{name}": (')
            b(f"        {restype},")
            b("        [")
            for a in args:
                b(f"            {a},")
            b("        ],")
            b("    ),")
    b("}")

    text = "\n".join(body)
    names = sorted(set(re.findall(r"\b(c_\w+)\b", text)) | used)
    w("from ctypes import (")

    # isort's order (as ruff applies it): constants, classes, then the rest, numbers compared
    # as numbers (c_uint8 before c_uint32).
    def import_order(name: str) -> Tuple[int, List[Union[int, str]]]:
        rank = 0 if name.isupper() else 1 if name[0].isupper() else 2
        return rank, [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]

    for n in sorted(names, key=import_order):
        w(f"    {n},")
    w(")")
    w("from typing import Any, Dict, List, Tuple")
    w("")
    out.extend(body)
    return "\n".join(out) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--header", type=Path, default=DEFAULT_HEADER, help="the C header (default: %(default)s)")
    ap.add_argument("--output", default=str(DEFAULT_OUTPUT), help="where to write, or - (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="compare with --output instead of writing it")
    args = ap.parse_args(argv)
    try:
        text = render(Header(args.header.read_text(encoding="utf-8")))
    except HeaderError as e:
        print(f"gen_cdefs: {args.header}: {e}", file=sys.stderr)
        return 2
    if args.check:
        path = Path(args.output)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            print(f"gen_cdefs: {path} matches {args.header}")
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), str(path), f"generated from {args.header}"
            )
        )
        print(
            f"gen_cdefs: {path} is stale: it differs from what {args.header} generates (diff above). "
            "Run `make python-ffi` and commit the result.",
            file=sys.stderr,
        )
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
