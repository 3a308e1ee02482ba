"""The renderers of every record kind, one module per record family.

Importing this package registers them all with render/registry.py's TEXT and HTML registries;
a new record family is a module here and a line below.
"""

from . import (
    diagnosis,
    exceptions,
    gil,
    job,
    lists,
    mem,
    messages,
    monitor,
    profile,
    reload,
    runtime,
    stack,
    torch,
    trace,
    tt,
    values,
    watch,
)

__all__ = [
    "diagnosis",
    "exceptions",
    "gil",
    "job",
    "lists",
    "mem",
    "messages",
    "monitor",
    "profile",
    "reload",
    "runtime",
    "stack",
    "torch",
    "trace",
    "tt",
    "values",
    "watch",
]
