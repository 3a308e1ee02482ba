"""Renderers found by record kind: one registry for text, one for the notebook's HTML.

A family module (render/kinds/) registers its renderers with ``@TEXT.renderer("watch")``; a kind
nobody registered goes to the registry's fallback, so an agent newer than this client still shows
something. Registering a kind twice is a mistake and raises at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from ..records import AnyRecord
from .markup import pre

# A renderer takes the record of its kind (typed in its own signature) and returns text or HTML.
Renderer = Callable[[Any], str]
R = TypeVar("R", bound=Renderer)
# A row renderer takes a record and returns its table cells.
RowRenderer = Callable[[Any], Sequence[Any]]
RR = TypeVar("RR", bound=RowRenderer)


class Registry:
    def __init__(self, name: str, fallback: Renderer):
        self.name = name
        self.fallback = fallback
        self._renderers: dict[str, Renderer] = {}

    def renderer(self, *kinds: str) -> Callable[[R], R]:
        """Decorator: the function renders records of these kinds."""

        def register(fn: R) -> R:
            for kind in kinds:
                if kind in self._renderers:
                    raise ValueError(f"{self.name}: a renderer for {kind!r} is already registered")
                self._renderers[kind] = fn
            return fn

        return register

    def get(self, kind: str) -> Renderer:
        """The renderer of a kind; the fallback for a kind nobody registered."""
        return self._renderers.get(kind, self.fallback)

    def render(self, record: AnyRecord) -> str:
        # The one place an untyped record meets its typed renderer: dispatch on its kind.
        return self.get(str(record.get("kind")))(record)

    def kinds(self) -> list[str]:
        return sorted(self._renderers)

    def __contains__(self, kind: object) -> bool:
        return kind in self._renderers


def _text_fallback(record: AnyRecord) -> str:
    return str(record)


TEXT = Registry("text", _text_fallback)


def _html_fallback(record: AnyRecord) -> str:
    return pre(TEXT.render(record))


HTML = Registry("html", _html_fallback)


class RowRegistry:
    """Kinds whose consecutive records the notebook's HTML shows as rows of one table (a stream's
    calls): ``@ROWS.renderer("watch", headers)`` registers a function record -> cells, where a
    cell is a string, or ``(text, "pre")`` for text that keeps its line breaks."""

    def __init__(self):
        self._rows: dict[str, tuple[Sequence[str], RowRenderer]] = {}

    def renderer(self, kind: str, headers: Sequence[str]) -> Callable[[RR], RR]:
        def register(fn: RR) -> RR:
            if kind in self._rows:
                raise ValueError(f"rows: a renderer for {kind!r} is already registered")
            self._rows[kind] = (headers, fn)
            return fn

        return register

    def headers(self, kind: str) -> Sequence[str]:
        return self._rows[kind][0]

    def cells(self, record: AnyRecord) -> Sequence[Any]:
        return self._rows[str(record.get("kind"))][1](record)

    def __contains__(self, kind: object) -> bool:
        return kind in self._rows


ROWS = RowRegistry()


# A chart renderer takes every record of its kind in one result and returns HTML (an SVG chart).
ChartRenderer = Callable[[Any], str]
CR = TypeVar("CR", bound=ChartRenderer)


class ChartRegistry:
    """Kinds whose records of one result the JupyterLab view charts together (gilstat's reports,
    mem diff's cycles): ``@CHARTS.renderer("mem_diff")`` registers a function records -> HTML,
    drawn once above the result's records in its static HTML, as the view shows its chart."""

    def __init__(self):
        self._charts: dict[str, ChartRenderer] = {}

    def renderer(self, kind: str) -> Callable[[CR], CR]:
        def register(fn: CR) -> CR:
            if kind in self._charts:
                raise ValueError(f"charts: a renderer for {kind!r} is already registered")
            self._charts[kind] = fn
            return fn

        return register

    def render(self, kind: str, records: Sequence[Any]) -> str:
        return self._charts[kind](records)

    def kinds(self) -> list[str]:
        return sorted(self._charts)

    def __contains__(self, kind: object) -> bool:
        return kind in self._charts


CHARTS = ChartRegistry()
