"""The agent's arguments (flight_agent/arguments.py) and how the dispatcher answers a request:
user errors are one error record, anything else an internal error with its traceback. Pure: the
requests go through a socket pair to the agent's own dispatcher in this process, no target."""

from __future__ import annotations

import socket
import sys
import types

import pytest
from flight_agent import SCHEMA_VERSION, dispatch, protocol
from flight_agent.arguments import ArgumentError, Arguments
from flight_agent.commands import COMMANDS
from flight_agent.connection import Connection
from flight_agent.errors import CommandError
from flight_agent.streams import Stream

SETTING = 42  # what getglobal reads in these tests
RENDER = {"expand": 2, "verbose": False, "raw": False}
GETGLOBAL = {"module": __name__, "class": None, "field": "SETTING", "expr": None, **RENDER}


# -- the accessors ----------------------------------------------------------------------------


def test_each_accessor_returns_a_value_of_its_type():
    args = Arguments("cmd", {"s": "x", "i": 3, "f": 0.5, "fi": 2, "b": True, "n": None, "c": "list"})
    assert args.text("s") == "x" and args.integer("i") == 3 and args.flag("b") is True
    assert args.number("f") == 0.5 and args.number("fi") == 2.0 and isinstance(args.number("fi"), float)
    assert args.optional_text("n") is None and args.optional_integer("n") is None and args.optional_number("n") is None
    assert args.optional_text("s") == "x" and args.optional_number("fi") == 2.0
    assert args.choice("c", ("list", "show")) == "list"
    assert args.has("n") and not args.has("missing")


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda a: a.integer("limit"), "bad request: watch needs argument 'limit' (an integer)"),
        (lambda a: a.optional_text("class"), "bad request: watch needs argument 'class' (a string or null)"),
        (lambda a: a.flag("verbose"), "bad request: watch needs argument 'verbose' (true or false)"),
        (lambda a: a.number("cycle"), "bad request: watch needs argument 'cycle' (a number)"),
    ],
)
def test_a_missing_argument_names_the_command_the_argument_and_its_type(read, message):
    with pytest.raises(ArgumentError) as raised:
        read(Arguments("watch", {}))
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("values", "read", "message"),
    [
        ({"limit": "10"}, lambda a: a.integer("limit"), "watch's argument 'limit' must be an integer, not str"),
        ({"limit": True}, lambda a: a.integer("limit"), "watch's argument 'limit' must be an integer, not bool"),
        ({"limit": 1.5}, lambda a: a.integer("limit"), "watch's argument 'limit' must be an integer, not float"),
        ({"limit": None}, lambda a: a.integer("limit"), "watch's argument 'limit' must be an integer, not null"),
        ({"depth": "3"}, lambda a: a.optional_integer("depth"), "must be an integer or null, not str"),
        ({"module": ["x"]}, lambda a: a.text("module"), "watch's argument 'module' must be a string, not list"),
        ({"raw": 1}, lambda a: a.flag("raw"), "watch's argument 'raw' must be true or false, not int"),
        ({"cycle": False}, lambda a: a.number("cycle"), "watch's argument 'cycle' must be a number, not bool"),
        ({"action": "x"}, lambda a: a.choice("action", ("a", "b")), "'action' must be one of a, b, not 'x'"),
        ({"action": 3}, lambda a: a.choice("action", ("a", "b")), "'action' must be a string, not int"),
    ],
)
def test_an_ill_typed_argument_is_a_user_error(values, read, message):
    with pytest.raises(ArgumentError) as raised:
        read(Arguments("watch", values))
    assert message in str(raised.value) and str(raised.value).startswith("bad request: ")
    assert isinstance(raised.value, CommandError)


# -- the dispatcher ---------------------------------------------------------------------------


class Agent:
    """What the dispatcher and the commands read of the agent."""

    def __init__(self):
        self.pid = 4242
        self.connections: dict = {}
        self.stopping = False

    def own_thread_idents(self) -> set:
        return set()


@pytest.fixture
def channel():
    """(connection, the client's end of its socket)."""
    ours, theirs = socket.socketpair()
    theirs.settimeout(5)
    agent = Agent()
    connection = Connection(agent, ours, 1)  # type: ignore[arg-type]
    agent.connections[1] = connection
    yield connection, theirs
    ours.close()
    theirs.close()


def answer(channel, request: dict) -> list:
    """The records of one request, up to its end (the dispatcher runs in this thread: the socket
    pair's buffer holds these small answers)."""
    connection, client = channel
    assert dispatch.handle(connection, dict(request, id=7)) is True
    records = []
    while True:
        frame = protocol.read_frame(client, protocol.MAX_RESPONSE_BYTES)
        assert frame["id"] == 7
        if frame.get("end"):
            return records
        records.extend([frame["record"]] if "record" in frame else frame["records"])


def run(channel, command, args, **request) -> list:
    return answer(channel, {"op": "run", "command": command, "args": args, **request})


def test_a_command_answers_its_records_then_ends(channel):
    (record,) = run(channel, "getglobal", GETGLOBAL)
    assert record["kind"] == "value" and record["v"] == SCHEMA_VERSION and record["value"]["repr"] == "42"


def test_a_missing_argument_is_one_user_error_record(channel):
    args = dict(GETGLOBAL)
    del args["expand"]
    assert run(channel, "getglobal", args) == [
        {"v": SCHEMA_VERSION, "kind": "error", "message": "bad request: getglobal needs argument 'expand' (an integer)"}
    ]


def test_ill_typed_arguments_lookups_and_expressions_are_user_errors(channel):
    (bad,) = run(channel, "getglobal", dict(GETGLOBAL, module=["x"]))
    assert bad["message"] == "bad request: getglobal's argument 'module' must be a string, not list"
    (missing,) = run(channel, "getglobal", dict(GETGLOBAL, module="no_such_module_of_the_target"))
    assert "is not imported in the target" in missing["message"] and "internal" not in missing
    (raised,) = run(channel, "getglobal", dict(GETGLOBAL, expr="target / 0"))
    assert raised["exception"] == {"type": "ZeroDivisionError", "message": "division by zero"}
    (refused,) = run(
        channel,
        "monitor",
        {"module": __name__, "class": None, "method": "answer", "nested": None, "cycle": 0, "limit": None},
    )
    assert refused == {"v": SCHEMA_VERSION, "kind": "error", "message": "-c must be a positive number of seconds"}
    (unknown,) = run(channel, "nope", {})
    assert unknown["message"] == "unknown command 'nope'"
    (not_object,) = run(channel, "getglobal", "x")
    assert not_object["message"] == "bad request: the arguments of getglobal must be an object"


@pytest.fixture
def command(monkeypatch):
    """Registers a command module made of the given functions, under the name 'probe_me'."""

    def register(**functions):
        module = types.SimpleNamespace(**functions)
        monkeypatch.setitem(COMMANDS, "probe_me", module)
        return module

    return register


def test_any_other_exception_is_an_internal_error_with_its_traceback(channel, command):
    def run_it(args, connection):
        return [{"kind": "message", "text": {}["oops"]}]

    command(run=run_it)
    (record,) = run(channel, "probe_me", {})
    assert record["message"] == "internal error in probe_me: KeyError: 'oops'" and record["internal"] is True
    assert "KeyError" in record["traceback"] and "run_it" in record["traceback"]


def test_records_already_sent_stay_before_the_error(channel, command):
    def run_it(args, connection):
        yield {"kind": "message", "text": "first"}
        raise CommandError("then this")

    command(run=run_it)
    assert [r.get("text", r.get("message")) for r in run(channel, "probe_me", {})] == ["first", "then this"]


def test_a_returned_stream_is_pumped_until_it_ends(channel, command):
    class Once(Stream):
        def start(self):
            self.push({"kind": "watch", "index": 1})
            self.finish("limit")
            return [{"kind": "message", "text": "watching"}]

    command(run=lambda args, connection: Once())
    records = run(channel, "probe_me", {}, long_running=True)
    assert [r["kind"] for r in records] == ["message", "watch", "end"] and records[-1]["reason"] == "limit"


def test_long_running_keeps_the_switch_interval_and_one_shots_shorten_it(channel, command):
    seen = []
    command(run=lambda args, connection: seen.append(sys.getswitchinterval()) or [])
    own = sys.getswitchinterval()
    run(channel, "probe_me", {}, long_running=True)
    run(channel, "probe_me", {})
    run(channel, "probe_me", {}, long_running=False)
    assert seen[0] == own and seen[1] < own and seen[2] < own and sys.getswitchinterval() == own


def test_reset_reaches_every_module_that_declares_it(command):
    calls = []
    command(run=lambda args, connection: [], reset=lambda connection=None: calls.append(connection))
    dispatch.reset("a connection")  # type: ignore[arg-type]
    dispatch.reset()
    assert calls == ["a connection", None]


def test_a_console_namespace_lives_as_long_as_its_connection(channel):
    console = {"expand": 2, "verbose": False, "raw": False, "session": True}
    run(channel, "console", dict(console, code="kept = 5"), long_running=True)
    (record,) = run(channel, "console", dict(console, code="kept"), long_running=True)
    assert record["value"]["repr"] == "5"
    (fresh,) = run(channel, "console", dict(console, code="kept", session=False), long_running=True)
    assert fresh["error"]["type"] == "NameError"
    dispatch.reset(channel[0])
    (gone,) = run(channel, "console", dict(console, code="kept"), long_running=True)
    assert gone["error"]["type"] == "NameError"
    (more,) = run(channel, "console", {"incomplete": "if True:"})
    assert more == {"v": SCHEMA_VERSION, "kind": "console_more", "more": True}


def test_other_ops(channel):
    assert answer(channel, {"op": "ping"}) == []
    (unknown,) = answer(channel, {"op": "frobnicate"})
    assert unknown["kind"] == "error" and unknown["message"] == "unknown request 'frobnicate'"
    for number in ("nope", 99, [1]):
        (record,) = answer(channel, {"op": "interrupt", "connection": number})
        assert record["text"] == "nothing to interrupt"
        (record,) = answer(channel, {"op": "stop_stream", "connection": number, "request": 3})
        assert record["stopped"] is False and record["text"] == "no such stream: it has ended"
