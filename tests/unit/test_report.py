"""%flight report's page (report.py): every result kept in order under the line that made it,
target strings escaped, nothing to run or fetch, bounded."""

from __future__ import annotations

import json
import pathlib
import re

from jupyterlab_flight.report import SessionReport

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "records"
HOSTILE = '<script>alert(1)</script><img src="https://example.com/x.png">'


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


def test_results_in_order_under_their_lines():
    report = SessionReport()
    report.add("%flight stack", [fixture("stack")], 4242, execution_count=3)
    report.add("%%flight console", [fixture("console")], 4242, cell="print('hi')", execution_count=4)
    report.add(
        "%flight nope", [{"v": 1, "kind": "error", "message": "unknown command 'nope'"}], None, execution_count=5
    )
    page = report.html()
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings == ["In [3]: %flight stack", "In [4]: %%flight console", "In [5]: %flight nope"]
    assert "print(&#x27;hi&#x27;)" in page and "unknown command" in page
    assert page.count('class="jupyterlab-flight-result"') == 3


def test_target_strings_cannot_add_markup():
    report = SessionReport()
    record = fixture("value")
    record["value"] = {"type": "str", "repr": HOSTILE}
    report.add(f"%flight getglobal m {HOSTILE}", [record], 1)
    page = report.html()
    assert "<script" not in page and "<img" not in page
    assert not re.search(r'(src|href)="https?:', page)


def test_bounded_with_a_note(tmp_path):
    report = SessionReport(max_results=3)
    for n in range(5):
        report.add(f"%flight ps #{n}", [fixture("message")], None, execution_count=n)
    page = report.html()
    assert [h.split(": ", 1)[1] for h in re.findall(r"<h2>(.*?)</h2>", page)] == [
        "%flight ps #2",
        "%flight ps #3",
        "%flight ps #4",
    ]
    assert "2 earlier results are not in this report" in page
    size = report.write(str(tmp_path / "r.html"))
    assert size == len((tmp_path / "r.html").read_bytes()) and size > 0


def test_the_magic_keeps_what_it_showed_and_writes_it(tmp_path, capsys):
    """Through the magics' own logic (outside a kernel: results print as text): an empty
    session has nothing to report, errors are results too, a path that cannot be written is
    one error line, and the report itself is not a result."""
    from jupyterlab_flight.magics import FlightMagicsMixin, FlightState

    magics = FlightMagicsMixin()
    magics.state = FlightState()
    magics.run_line("report")
    assert "no results to report yet" in capsys.readouterr().out
    magics.run_line("sessions")
    magics.run_line("getglobal m x")  # not attached: an error, shown and kept
    magics.run_line(f"report {tmp_path}/missing/r.html")
    assert "cannot write the report" in capsys.readouterr().out
    magics.run_line(f"report {tmp_path}/r.html")
    assert "2 results of this session written to" in capsys.readouterr().out
    page = (tmp_path / "r.html").read_text()
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["%flight sessions", "%flight getglobal m x"]
    assert "not attached" in page
