"""reload end to end: a function edited on disk is swapped into the live process (also where a
dict of handlers holds it), refused where a code swap cannot apply the edit, undone by --undo and
by detach, on every supported CPython."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import TARGETS, Target, flight, flight_json


@pytest.fixture
def reloadable(version, tmp_path):
    script = tmp_path / "reloadable.py"
    shutil.copy(f"{TARGETS}/reloadable.py", script)
    t = Target(version, str(script), tmp_path)
    t.script = script
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def edit(t, old: str, new: str) -> None:
    text = t.script.read_text()
    assert old in text
    t.script.write_text(text.replace(old, new))


def reload(t, command: str) -> tuple:
    rc, records = flight_json(t.pid, command)
    return rc, records[-1] if records else {}


def test_reload_swaps_edited_code_everywhere_and_undo_puts_it_back(reloadable):
    t = reloadable
    t.wait_report(lambda r: r["price"] == 20)
    edit(t, "return qty * unit", "return qty * unit + 1")
    rc, record = reload(t, "reload __main__ price")
    assert rc == 0 and record["kind"] == "reload" and record["action"] == "reloaded", record
    assert record["target"] == "__main__.price" and record["file"] == str(t.script)
    # the process never held the running text: the diff says what the compiled code shows
    assert any("constant: 1" in line for line in record["diff"]), record["diff"]
    t.wait_report(lambda r: r["price"] == 21)  # through HANDLERS["price"], the same function
    # a second edit diffs against the text the first reload ran
    edit(t, "return qty * unit + 1", "return qty * unit + 2")
    rc, record = reload(t, "reload __main__ price")
    assert "-    return qty * unit + 1" in record["diff"] and "+    return qty * unit + 2" in record["diff"]
    t.wait_report(lambda r: r["price"] == 22)
    rc, record = reload(t, "reload __main__ price")
    assert record["action"] == "unchanged"
    # a literal default that changed is applied with the code
    edit(t, "def price(qty, unit=2):", "def price(qty, unit=3):")
    reload(t, "reload __main__ price")
    t.wait_report(lambda r: r["price"] == 32)
    rc, record = reload(t, "reload --undo __main__ price")
    assert rc == 0 and record["action"] == "undone"
    t.wait_report(lambda r: r["price"] == 20)
    rc, record = reload(t, "reload --undo __main__ price")
    assert rc != 0 and "was not reloaded" in record["message"]


def test_reload_methods_and_detach_undoes(reloadable):
    t = reloadable
    edit(t, "return n + 1\n", "return n + 100\n")
    edit(t, "return n * 10", "return n * 1000")
    assert reload(t, "reload __main__ Cart total")[1]["action"] == "reloaded"
    assert reload(t, "reload __main__ Cart tax")[1]["action"] == "reloaded"
    t.wait_report(lambda r: r["total"] == 101 and r["tax"] == 5000)
    done = flight(str(t.pid), "--cmd", "detach")
    assert done.returncode == 0, done.stderr
    t.wait_report(lambda r: r["total"] == 2 and r["tax"] == 50)


@pytest.mark.parametrize(
    ("command", "old", "new", "said"),
    [
        ("reload __main__ price", "return qty * unit", "return qty * (unit", "does not compile"),
        ("reload __main__ price", "return qty * unit", "return decimal.Decimal(qty)", "uses decimal"),
        ("reload __main__ price", "def price(qty, unit=2):", "def price(qty, unit=len('ab')):", "not a literal"),
        ("reload __main__ price", "def price(qty, unit=2):", "def cost(qty, unit=2):", "has no def price"),
        ("reload __main__ Cart tax", "    @staticmethod\n    def tax", "    @classmethod\n    def tax", "decorators"),
        ("reload __main__ numbers", "yield 1", "return 1", "generator"),
    ],
)
def test_reload_refuses_what_a_code_swap_cannot_apply(reloadable, command, old, new, said):
    t = reloadable
    edit(t, old, new)
    rc, record = reload(t, command)
    assert rc != 0 and record["kind"] == "error" and said in record["message"], record
    state = t.wait_report()
    assert state["price"] == 20 and state["tax"] == 50  # nothing changed in the target


def test_reload_refuses_a_closure_of_another_shape_a_nested_function_and_an_observed_one(reloadable):
    t = reloadable
    edit(t, "        return n + 1\n", "        return super().__hash__() and n + 1\n")  # a __class__ cell now
    rc, record = reload(t, "reload __main__ Cart total")
    assert rc != 0 and "closure changed shape" in record["message"], record
    rc, record = reload(t, "reload")
    assert rc != 0 and "expected 'module [class] method'" in record["message"]
    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab_flight.cli",
            str(t.pid),
            "--cmd",
            "watch __main__ price -n 100000",
            "--timeout",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "watching" in watch.stdout.readline()
        edit(t, "return qty * unit", "return qty * unit + 1")
        rc, record = reload(t, "reload __main__ price")
        assert rc != 0 and "being observed" in record["message"], record
    finally:
        watch.kill()
        watch.communicate(timeout=10)


def test_reload_diffs_against_the_text_the_process_loaded(reloadable):
    t = reloadable
    # what a traceback printed by the target does: its file's lines are in linecache
    rc, _ = flight_json(t.pid, "console -c 'import linecache, __main__; len(linecache.getlines(__main__.__file__))'")
    assert rc == 0
    edit(t, "return qty * unit", "return qty * unit * 2")
    rc, record = reload(t, "reload __main__ price")
    assert rc == 0 and record["diff"][0].endswith("(running)"), record
    assert "-    return qty * unit" in record["diff"] and "+    return qty * unit * 2" in record["diff"]
    t.wait_report(lambda r: r["price"] == 40)
    done = flight(str(t.pid), "--cmd", "reload --undo")
    assert done.returncode == 0 and "has its original code again" in done.stdout, done.stdout + done.stderr
    t.wait_report(lambda r: r["price"] == 20)
