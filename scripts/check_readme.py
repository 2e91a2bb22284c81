#!/usr/bin/env python3
"""Keeps the README's quick starts true: each `<!-- quickstart: PATH -->` marker must be followed by a
fenced code block whose text equals the file PATH, which the test suite builds and runs.
`--fix` rewrites the blocks from the files."""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LANG = {".c": "c", ".cpp": "cpp", ".py": "python", ".go": "go", ".rs": "rust"}
MARK = re.compile(r"<!-- quickstart: (\S+) -->\n(?:\n?```\w*\n(.*?)```\n)?", re.S)


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    fix = "--fix" in sys.argv
    problems = []

    def block(m: re.Match) -> str:
        path = ROOT / m.group(1)
        if not path.exists():
            problems.append(f"{m.group(1)}: file missing")
            return m.group(0)
        code = path.read_text()
        if m.group(2) != code:
            problems.append(f"{m.group(1)}: README block differs from the file")
        return f"<!-- quickstart: {m.group(1)} -->\n```{LANG.get(path.suffix, '')}\n{code}```\n"

    new = MARK.sub(block, text)
    if fix:
        readme.write_text(new)
        return 0
    for p in problems:
        print("README quick start:", p)
    count = len(MARK.findall(text))
    if count < 5:
        problems.append(f"only {count} quick starts")
    print(f"README quick starts: {count} checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
