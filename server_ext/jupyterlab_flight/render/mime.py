"""Result records -> one notebook MIME bundle that reads everywhere.

- ``application/vnd.jupyterlab-flight.v1+json``: the records themselves (the JupyterLab extension
  renders them as interactive views);
- ``text/html``: a self-contained static view (no scripts, inline styles only, colors that read on
  light and dark backgrounds) for nbconvert, nbviewer, VS Code, GitHub;
- ``text/plain``: the terminal text, for plain IPython.

What goes into a notebook is bounded: at most KEEP_PER_KIND records of a kind (the last ones; a
note before them counts the others and summarises all: count, errors, cost percentiles), and
MAX_NOTEBOOK_BYTES in all; when records are left out the bundle says so in all three forms. A
stream's calls (kinds with a row renderer: watch, tt_record, monitor) are one HTML table; kinds the
view charts over a result's records (gil_stats, mem_diff) get the same chart as an SVG above them. A running stream's output is a ``LiveBundle``: each record is rendered
once, and an update shows the last LIVE_WINDOW records, so its cost does not grow with the stream.
A record with ``"live": true`` (a profile while it samples) is a snapshot: the next record of the
same kind supersedes it, in a live output and in the saved bundle.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ..records import AnyRecord
from .markup import MUTED, TABLE_CLOSE, cell, escape, table_open
from .registry import CHARTS, HTML, ROWS
from .text import render_text

MIME_TYPE = "application/vnd.jupyterlab-flight.v1+json"
MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024
LIVE_WINDOW = 200
KEEP_PER_KIND = 500  # records of one kind a saved result keeps (a long watch makes thousands)


def record_html(record: AnyRecord) -> str:
    return HTML.render(record)


class _Piece:
    """One record with its JSON size, and its text and HTML once someone asked for them."""

    __slots__ = ("record", "kind", "size", "_text", "_html")

    def __init__(self, record: AnyRecord):
        self.record = record
        self.kind = str(record.get("kind"))
        self.size = len(json.dumps(record, ensure_ascii=False, default=repr))
        self._text: str | None = None
        self._html: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = render_text(self.record)
        return self._text

    @property
    def html(self) -> str:
        """The record's HTML: a table row (``<tr>``) for kinds shown as rows of one table."""
        if self._html is None:
            if self.kind in ROWS:
                self._html = "<tr>" + "".join(cell(c) for c in ROWS.cells(self.record)) + "</tr>"
            else:
                self._html = record_html(self.record)
        return self._html


def _charts(pieces: Sequence[_Piece]) -> list[str]:
    """The charts of the kinds that the view charts over a result's records, in kind order."""
    by_kind: dict[str, list[AnyRecord]] = {}
    for piece in pieces:
        if piece.kind in CHARTS:
            by_kind.setdefault(piece.kind, []).append(piece.record)
    return [CHARTS.render(kind, records) for kind, records in by_kind.items()]


def _html_body(pieces: Sequence[_Piece]) -> str:
    """The charts over the records (where the view has one), then each record's HTML;
    consecutive rows of one kind inside one table."""
    parts: list[str] = _charts(pieces)
    open_kind: str | None = None
    for piece in pieces:
        if open_kind is not None and piece.kind != open_kind:
            parts.append(TABLE_CLOSE)
            open_kind = None
        if piece.kind in ROWS and open_kind is None:
            parts.append(table_open(ROWS.headers(piece.kind)))
            open_kind = piece.kind
        parts.append(piece.html)
    if open_kind is not None:
        parts.append(TABLE_CLOSE)
    return "".join(parts)


def _percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(p * len(values)))]


def _summary(kind: str, pieces: Sequence[_Piece], kept: int) -> _Piece:
    """What the records of a kind that a notebook keeps only in part add up to, all of them."""
    count = len(pieces)
    errors = sum(1 for p in pieces if p.record.get("exception"))
    costs = sorted(c for c in (p.record.get("cost_ms") for p in pieces) if isinstance(c, (int, float)))
    summary: dict[str, Any] = {"kind": kind, "count": count, "kept": kept, "errors": errors}
    text = (
        f"{count:,} {kind} records: the last {kept:,} are kept in the notebook, "
        f"the first {count - kept:,} are not. All {count:,}: {errors:,} raised"
    )
    if costs:
        summary["cost_ms"] = {
            p: round(_percentile(costs, q), 6) for p, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
        }
        summary["cost_ms"]["max"] = round(costs[-1], 6)
        figures = summary["cost_ms"]
        text += (
            f"; cost p50 {figures['p50']:.3f} ms, p90 {figures['p90']:.3f} ms, p99 {figures['p99']:.3f} ms, "
            f"max {figures['max']:.3f} ms"
        )
    return _Piece({"v": 1, "kind": "message", "text": text, "summary": summary})


def _windowed(pieces: Sequence[_Piece], keep: int = KEEP_PER_KIND) -> list[_Piece]:
    """At most ``keep`` records of each kind, the last ones, after a note that sums up them all."""
    by_kind: dict[str, list[_Piece]] = {}
    for piece in pieces:
        by_kind.setdefault(piece.kind, []).append(piece)
    over = {kind: group for kind, group in by_kind.items() if len(group) > keep}
    if not over:
        return list(pieces)
    dropped = {id(p) for group in over.values() for p in group[:-keep]}
    first_kept = {id(group[-keep]): kind for kind, group in over.items()}
    out: list[_Piece] = []
    for piece in pieces:
        kind = first_kept.get(id(piece))
        if kind is not None:
            out.append(_summary(kind, over[kind], keep))
        if id(piece) not in dropped:
            out.append(piece)
    return out


def _note(text: str) -> _Piece:
    return _Piece({"v": 1, "kind": "message", "text": text})


def _bounded(pieces: Iterable[_Piece]) -> tuple[list[_Piece], bool]:
    """Keep whole records while they fit; those that do not are counted in one note at the end
    (a note per record would itself grow without bound on a long stream)."""
    kept: list[_Piece] = []
    size = 0
    left_out: Counter[str] = Counter()
    left_bytes = 0
    for piece in pieces:
        if size + piece.size > MAX_NOTEBOOK_BYTES:
            left_out[str(piece.record.get("kind"))] += 1
            left_bytes += piece.size
            continue
        kept.append(piece)
        size += piece.size
    if left_out:
        what = ", ".join(f"{n:,} {kind}" for kind, n in left_out.items())
        count = sum(left_out.values())
        records = "1 record" if count == 1 else f"{count:,} records"
        kept.append(
            _note(
                f"{records} ({what}; {left_bytes:,} bytes) left out of the notebook "
                f"(limit {MAX_NOTEBOOK_BYTES:,} bytes)"
            )
        )
    return kept, bool(left_out)


def _bundle(pieces: Sequence[_Piece], command: str, pid: int | None, cut: bool) -> dict[str, Any]:
    payload = {"v": 1, "command": command, "pid": pid, "records": [p.record for p in pieces], "cut": cut}
    header = f"flight {pid}> {command}" if command else ""
    head_html = f'<div style="{MUTED};font-family:monospace;font-size:11px">{escape(header)}</div>' if header else ""
    body = _html_body(pieces)
    return {
        MIME_TYPE: payload,
        "text/html": f'<div class="jupyterlab-flight-result">{head_html}{body}</div>',
        "text/plain": "\n".join(p.text for p in pieces),
    }


def newest(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    """The records less the live snapshots that a later record of the same kind supersedes."""
    kept: list[AnyRecord] = []
    later: set[str] = set()
    for record in reversed(list(records)):
        kind = str(record.get("kind"))
        if record.get("live") is True and kind in later:
            continue
        later.add(kind)
        kept.append(record)
    kept.reverse()
    return kept


def mime_bundle(records: Iterable[AnyRecord], command: str = "", pid: int | None = None) -> dict[str, Any]:
    kept, cut = _bounded(_windowed([_Piece(r) for r in newest(records)]))
    return _bundle(kept, command, pid, cut)


class LiveBundle:
    """The output of a stream while it runs, updated in place at a cost that does not grow with it.

    ``add(record)`` renders the record's text and HTML once; ``bundle()`` is a display update
    showing the last ``window`` records, headed by a line that counts the earlier ones it leaves
    out; ``final()`` is what ``mime_bundle`` of every record gives, from the renderings kept.
    """

    def __init__(self, command: str = "", pid: int | None = None, window: int = LIVE_WINDOW):
        self.command, self.pid, self.window = command, pid, window
        self._pieces: list[_Piece] = []
        self._counts: Counter[str] = Counter()
        self._live: dict[str, _Piece] = {}  # kind -> its live snapshot, which the next record of the kind replaces

    def add(self, record: AnyRecord) -> None:
        kind = str(record.get("kind"))
        old = self._live.pop(kind, None)
        if old is not None:
            for i in range(len(self._pieces) - 1, -1, -1):
                if self._pieces[i] is old:
                    del self._pieces[i]
                    self._counts[kind] -= 1
                    break
        piece = _Piece(record)
        piece.text, piece.html  # noqa: B018  (render now, once, while the record is fresh)
        self._pieces.append(piece)
        self._counts[kind] += 1
        if record.get("live") is True:
            self._live[kind] = piece

    def __len__(self) -> int:
        return len(self._pieces)

    @property
    def records(self) -> list[AnyRecord]:
        return [p.record for p in self._pieces]

    def bundle(self) -> dict[str, Any]:
        shown, cut = _bounded(self._pieces[-self.window :] if self.window > 0 else [])
        hidden = len(self._pieces) - min(len(self._pieces), max(self.window, 0))
        if hidden:
            so_far = ", ".join(f"{n:,} {kind}" for kind, n in self._counts.items())
            shown.insert(
                0,
                _note(
                    f"... {hidden:,} earlier records are not shown while the stream runs "
                    f"({len(self._pieces):,} so far: {so_far}); the result keeps the last {KEEP_PER_KIND:,} "
                    f"of each kind, with a summary of all"
                ),
            )
        return _bundle(shown, self.command, self.pid, cut)

    def final(self) -> dict[str, Any]:
        kept, cut = _bounded(_windowed(self._pieces))
        return _bundle(kept, self.command, self.pid, cut)
