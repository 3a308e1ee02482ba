"""Result records (docs/schema.md) as plain text, for the terminal and text/plain.

The renderers live in render/kinds/, one module per record family, registered by kind.
"""

from __future__ import annotations

from ..records import AnyRecord
from . import kinds  # noqa: F401  (registers every kind's renderers)
from .kinds.lists import processes_rows
from .registry import TEXT
from .value_text import value_text

__all__ = ["processes_rows", "render_text", "value_text"]


def render_text(record: AnyRecord) -> str:
    return TEXT.render(record)
