"""diagnose's routing and its request: workflows by name, free text by keywords, refusals."""

from __future__ import annotations

import pytest
from jupyterlab_flight.commands.parser import parse_command
from jupyterlab_flight.diagnose.router import AVAILABLE, route
from jupyterlab_flight.errors import CommandSyntaxError


@pytest.mark.parametrize(
    "text, workflow",
    [
        ("hang", "hang"),
        ("the worker threads deadlock", "hang"),
        ("requests are slow, high latency", "slow"),
        ("RSS keeps growing, a leak?", "memory"),
        ("it raises an exception on some inputs", "exception"),
        ("the CUDA training loop", "torch"),
    ],
)
def test_route(text, workflow):
    assert route(text)[0] == workflow


def test_nothing_to_route():
    assert route("hello there")[0] is None


def test_requests():
    request = parse_command("diagnose hang -d 2").request
    assert request == {"problem": "hang", "workflow": "hang", "routed": "workflow hang", "target": [], "duration": 2.0}
    request = parse_command("diagnose slow app.service Worker handle").request
    assert request["workflow"] == "slow" and request["target"] == ["app.service", "Worker", "handle"]
    request = parse_command("diagnose the server is frozen").request
    assert request["workflow"] == "hang" and request["problem"] == "the server is frozen"


@pytest.mark.parametrize(
    "line, says",
    [
        ("diagnose hello there", "no workflow's keywords"),
        ("diagnose hang -d 0", "-d must be"),
        ("diagnose hang -d 500", "-d must be"),
        ("diagnose slow a b c d", "at most module [class] method"),
    ],
)
def test_refused(line, says):
    with pytest.raises(CommandSyntaxError) as e:
        parse_command(line)
    assert says in str(e.value)


def test_unbuilt_workflows_are_said():
    for workflow in ("exception", "torch"):
        assert workflow not in AVAILABLE
        with pytest.raises(CommandSyntaxError) as e:
            parse_command(f"diagnose {workflow}")
        assert "not built yet" in str(e.value)


def test_the_examples_parse():
    from jupyterlab_flight.commands.registry import COMMANDS

    for example in COMMANDS["diagnose"].examples:
        assert parse_command(example).request["workflow"] in AVAILABLE
