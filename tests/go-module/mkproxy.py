#!/usr/bin/env python3
"""Writes a file-system Go module proxy holding one version of a module from this repository.

    mkproxy.py --repo ROOT --dir bindings/go --version v0.1.0 --out DIR

The layout is the one the go command reads through GOPROXY=file://DIR (the GOPROXY protocol,
https://go.dev/ref/mod#goproxy-protocol):

    DIR/<escaped module path>/@v/list          the known versions, one per line
    DIR/<escaped module path>/@v/<v>.info      {"Version": ..., "Time": ...}
    DIR/<escaped module path>/@v/<v>.mod       the module's go.mod
    DIR/<escaped module path>/@v/<v>.zip       the module's files, each entry "<path>@<v>/<file>"

The files are those git tracks or would track (tracked, or untracked and not ignored) under
--dir, read from the work tree, so the proxy serves what a tag of the current tree would publish.
Nested modules (subdirectories with their own go.mod) are left out, as the go command does.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import datetime, timezone


def escape(path):
    """The module path as the proxy protocol spells it: each capital letter becomes !lowercase."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


def module_path(gomod):
    m = re.search(r"^module\s+(\S+)", gomod, re.M)
    if not m:
        sys.exit("mkproxy: go.mod has no module line")
    return m.group(1).strip('"')


def module_files(repo, moddir):
    out = subprocess.run(
        ["git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", moddir],
        check=True,
        capture_output=True,
    ).stdout.decode()
    rels = sorted({os.path.relpath(p, moddir) for p in out.split("\0") if p})
    rels = [
        r
        for r in rels
        if os.path.isfile(os.path.join(repo, moddir, r)) and not os.path.islink(os.path.join(repo, moddir, r))
    ]
    nested = {os.path.dirname(r) for r in rels if os.path.basename(r) == "go.mod" and os.path.dirname(r)}

    def inside_nested(rel):
        return any(rel == d or rel.startswith(d + "/") for d in nested)

    return [r for r in rels if not inside_nested(r)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", required=True, help="root of the git checkout")
    ap.add_argument("--dir", required=True, help="the module's directory, relative to --repo")
    ap.add_argument("--version", required=True, help="semantic version with a v, e.g. v0.1.0")
    ap.add_argument("--out", required=True, help="the proxy directory (created)")
    a = ap.parse_args()
    if not re.fullmatch(r"v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", a.version):
        sys.exit(f"mkproxy: --version {a.version!r} is not a semantic version like v0.1.0")
    root = os.path.join(a.repo, a.dir)
    with open(os.path.join(root, "go.mod"), encoding="utf-8") as f:
        gomod = f.read()
    path = module_path(gomod)
    files = module_files(a.repo, a.dir)
    if "go.mod" not in files:
        sys.exit(f"mkproxy: {a.dir}/go.mod is not tracked by git")

    vdir = os.path.join(a.out, escape(path), "@v")
    os.makedirs(vdir, exist_ok=True)
    prefix = f"{path}@{a.version}/"
    with zipfile.ZipFile(os.path.join(vdir, a.version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for rel in files:
            z.write(os.path.join(root, rel), prefix + rel)
    with open(os.path.join(vdir, a.version + ".mod"), "w", encoding="utf-8") as f:
        f.write(gomod)
    stamp = subprocess.run(
        ["git", "-C", a.repo, "log", "-1", "--format=%cI"], capture_output=True, text=True
    ).stdout.strip()
    when = datetime.fromisoformat(stamp) if stamp else datetime.now(timezone.utc)
    with open(os.path.join(vdir, a.version + ".info"), "w", encoding="utf-8") as f:
        json.dump({"Version": a.version, "Time": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}, f)
    with open(os.path.join(vdir, "list"), "a", encoding="utf-8") as f:
        f.write(a.version + "\n")
    print(f"mkproxy: {path} {a.version}: {len(files)} files in {vdir}")


if __name__ == "__main__":
    main()
