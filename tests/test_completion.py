"""Tab completion end to end: command names and flags from the descriptors, modules, classes,
functions and fields from a real target's agent (the CLI prompt and the sidebar share it)."""

from __future__ import annotations

import pytest
from jupyterlab_flight.completion import complete_line, completed_text
from jupyterlab_flight.session import FlightSession


@pytest.fixture
def session(target):
    s = FlightSession.open(target.pid)
    yield s
    s.close()


def test_names_and_flags_without_a_target():
    assert complete_line("wa", None) == ["watch"]
    assert "--expr" in complete_line("watch m f --ex", None)
    assert complete_line("vmtool -a get", None) == ["getInstances"]
    assert complete_line("mem su", None) == ["summary"]
    assert complete_line("watch __main__ Mo", None) == []  # target names need an agent
    assert complete_line("getglobal __main__ 'un", None) == []  # inside quotes: nothing
    assert completed_text("watch __main__ Mo", ["Model"]) == "watch __main__ Model "
    assert completed_text("watch __main__ M", ["Model", "ModelB"]) == "watch __main__ Model"


def test_target_names_from_the_agent(session):
    assert "__main__" in session.complete("watch __ma")
    assert not any(m.startswith("flight_agent") for m in session.complete("watch fl"))
    assert session.complete("watch __main__ Mod") == ["Model"]
    methods = session.complete("watch __main__ Model ")
    assert "__init__" not in methods and methods  # private names only when asked for
    assert "__init__" in session.complete("watch __main__ Model __i")
    assert session.complete("trace __main__ dee") == ["deep"]
    assert session.complete("getglobal __main__ CON") == ["CONFIG"]
    assert session.complete("vmtool -a getInstances -c __main__ Sub") == ["SubModel"]
    assert session.complete("reload __main__ wor") == ["work"]
    assert session.complete("watch no_such_module x") == []
