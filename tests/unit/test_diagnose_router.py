"""diagnose's routing and its request: workflows by name, free text by keywords, refusals."""

from __future__ import annotations

import pytest
from jupyterlab_flight.commands.parser import parse_command
from jupyterlab_flight.diagnose.router import KEYWORDS, WORKFLOWS, route
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
    assert request == {"problem": "hang", "workflow": "hang", "routed": "", "target": [], "duration": 2.0}
    request = parse_command("diagnose slow app.service Worker handle").request
    assert request["workflow"] == "slow" and request["target"] == ["app.service", "Worker", "handle"]
    request = parse_command("diagnose the server is frozen").request
    assert request["workflow"] == "hang" and request["problem"] == "the server is frozen"
    assert request["routed"] == "chose hang for 'the server is frozen' (matched 'frozen')"
    request = parse_command("diagnose exception app.api handle -d 5").request
    assert request["target"] == ["app.api", "handle"] and request["routed"] == ""


@pytest.mark.parametrize(
    "line, says",
    [
        ("diagnose hello there", "no workflow's keywords"),
        ("diagnose hang -d 0", "-d must be"),
        ("diagnose hang -d 500", "-d must be"),
        ("diagnose slow a b c d", "at most module [class] method"),
        ("diagnose torch", "name the training step"),
        ("diagnose torch -d 2", "name the training step"),
    ],
)
def test_refused(line, says):
    with pytest.raises(CommandSyntaxError) as e:
        parse_command(line)
    assert says in str(e.value)


def test_every_workflow_is_described_once():
    # the one list front doors and assistants read: a name and a one-line description each
    assert tuple(WORKFLOWS) == tuple(KEYWORDS) == ("hang", "slow", "memory", "exception", "torch")
    assert all(text and "\n" not in text for text in WORKFLOWS.values())


def test_the_examples_parse():
    from jupyterlab_flight.commands.registry import COMMANDS

    examples = COMMANDS["diagnose"].examples
    assert {parse_command(example).request["workflow"] for example in examples} == set(WORKFLOWS)
