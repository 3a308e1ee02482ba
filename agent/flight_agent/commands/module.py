"""module filepath: which imported module(s) of the target come from this file."""

from __future__ import annotations

import os
import sys

from ..arguments import Arguments
from ..connection import Connection
from ..errors import CommandError


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def run(args: Arguments, connection: Connection) -> list:
    path = args.text("filepath")
    if "\0" in path:
        raise CommandError(f"{path!r} is not a file path (it has a null character)")
    target = os.path.realpath(path)
    names = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        if os.path.realpath(file) == target or (
            os.path.basename(file) == os.path.basename(target) and _same_file(file, target)
        ):
            names.append(name)
    if not names:
        raise CommandError(f"{path} is not imported in the target process")
    return [{"kind": "module", "file": path, "modules": sorted(names)}]
