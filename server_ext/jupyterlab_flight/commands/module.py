"""module filepath: which imported module(s) a source file is."""

from __future__ import annotations

from .descriptor import Command, Option

COMMAND = Command(
    "module",
    "which imported module(s) a source file is, to use with getglobal, watch, ...",
    (Option(("filepath",), "path of a Python source file"),),
    lambda ns: {"filepath": ns.filepath},
    examples=("module /srv/app/main.py",),
    record_kinds=("module", "error"),
)
