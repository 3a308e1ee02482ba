"""Every record kind of docs/schema.md has a fixture, a text renderer, an HTML renderer, a type
and a JupyterLab view; and nothing is rendered or typed that the schema does not document."""

from __future__ import annotations

import json
import pathlib
import re

from jupyterlab_flight.records import RECORD_TYPES
from jupyterlab_flight.render.registry import HTML, TEXT
from jupyterlab_flight.render.text import render_text  # noqa: F401  (registers the renderers)

ROOT = pathlib.Path(__file__).parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "records"


def schema_kinds() -> set[str]:
    """The first column of every table of docs/schema.md whose first header is ``kind``."""
    kinds, in_table = set(), False
    for line in (ROOT / "docs" / "schema.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if not cells:
            in_table = False
        elif cells[0] == "kind":
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            match = re.fullmatch(r"`(\w+)`", cells[0])
            assert match, f"docs/schema.md: a kind table row without a `kind`: {line}"
            kinds.add(match.group(1))
    return kinds


def frontend_view_kinds() -> set[str]:
    """The kinds src/ registers a view for: ``registerView('kind', ...)`` (or a group view), or
    the keys of an object typed ``{ [kind: string]: ... }``."""
    kinds: set[str] = set()
    for path in (ROOT / "src").rglob("*.ts"):
        if "__tests__" in path.parts or path.name.endswith(".d.ts"):
            continue
        source = path.read_text()
        kinds.update(re.findall(r"\bregister\w*View\(\s*['\"](\w+)['\"]", source))
        for body in re.findall(r"\{\s*\[kind: string\]:\s*\w+\s*\}\s*=\s*\{(.*?)\};", source, re.S):
            kinds.update(re.findall(r"^\s*['\"]?(\w+)['\"]?\s*:", body, re.M))
    return kinds


KINDS = schema_kinds()


def test_the_schema_has_its_kinds():
    # the parser found the tables (a renamed header would make every check below vacuous)
    assert {"stack", "value", "watch", "trace", "tt_detail", "end", "processes", "sessions"} <= KINDS


def test_one_fixture_per_kind():
    fixtures = {p.stem: json.loads(p.read_text()) for p in FIXTURES.glob("*.json")}
    assert set(fixtures) == KINDS, "fixtures without a kind in docs/schema.md, or kinds without a fixture"
    for name, record in fixtures.items():
        assert record["kind"] == name and record["v"] == 1, f"tests/fixtures/records/{name}.json"


def test_every_kind_has_a_text_and_an_html_renderer():
    assert set(TEXT.kinds()) == KINDS, "text renderers: missing kinds, or kinds the schema does not document"
    assert set(HTML.kinds()) == KINDS, "HTML renderers: missing kinds, or kinds the schema does not document"


def test_every_kind_has_a_type():
    assert set(RECORD_TYPES) == KINDS


def test_every_kind_has_a_jupyterlab_view():
    views = frontend_view_kinds()
    assert KINDS <= views, f"no JupyterLab view registered in src/ for {sorted(KINDS - views)}"


# A traceback's layout words: 'Thread 7 "w" (most recent call last): File "x", line 3, in f' is
# 'w (7), innermost last: f  x:3' in HTML.
LAYOUT_WORDS = {"file", "line", "in", "the", "thread", "most", "recent", "call"}


def _facts(text: str) -> set[str]:
    """The words and numbers a reader takes from a rendering (case, layout and one-letter marks
    such as watch's '[x]' for a call that raised aside)."""
    words = re.findall(r"[A-Za-z_][\w.]+|\d+(?:[.,]\d+)*", text)
    return {t.lower() for t in words} - LAYOUT_WORDS


def test_every_kind_html_carries_the_facts_of_its_text():
    """The static HTML (what nbconvert, nbviewer and %flight report show) says at least what the
    terminal says, for every fixture: no number, name or note of the text is missing from it."""
    import html

    from jupyterlab_flight.render.mime import mime_bundle

    for path in sorted(FIXTURES.glob("*.json")):
        record = json.loads(path.read_text())
        bundle = mime_bundle([record])
        visible = html.unescape(re.sub(r"<[^>]+>", " ", bundle["text/html"]))
        missing = _facts(bundle["text/plain"]) - _facts(visible)
        assert not missing, f"{path.stem}: the HTML fallback lacks {sorted(missing)}"
