"""module filepath: which imported module(s) a source file is."""

from __future__ import annotations

import os

from .descriptor import Command, Option

COMMAND = Command(
    "module",
    "which imported module(s) a source file is, to use with getglobal, watch, ...",
    (Option(("filepath",), "path of a Python source file"),),
    # a relative path means the client's working directory, where the user typed it
    lambda ns: {"filepath": os.path.abspath(ns.filepath)},
    examples=("module /srv/app/main.py",),
    record_kinds=("module", "error"),
)
