"""Building blocks of the terminal text: aligned tables, clock times, milliseconds."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def clock(epoch: float) -> str:
    """Local wall-clock time with milliseconds: 14:03:27.512."""
    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch % 1 * 1000):03d}"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def megabytes(n: int) -> str:
    return f"{n / 1048576:.0f} MB"
