"""perf's descriptor: defaults, traits, bad input refused at parse time (commands/perf.py)."""

from __future__ import annotations

import pytest
from jupyterlab_flight.commands import OUTSIDE, describe_commands, parse_command
from jupyterlab_flight.errors import EXIT_USAGE, CommandSyntaxError


def test_defaults_and_traits():
    parsed = parse_command("perf")
    assert parsed.request == {
        "pid": None,
        "duration": None,
        "rate": 100,
        "file": None,
        "native": False,
        "idle": False,
        "gil": False,
        "threads": False,
        "subprocesses": False,
        "nonblocking": False,
        "baseline": None,
    }
    assert (parsed.where, parsed.streams, parsed.long_running, parsed.interactive) == (OUTSIDE, True, True, False)
    assert parsed.command.needs_session and parsed.command.files == ("-f",)
    assert set(parsed.command.record_kinds) == {"message", "profile", "end", "error"}
    line = "perf 4242 -d 2.5 -r 500 -f /tmp/p.json --native --idle --gil --threads --subprocesses --nonblocking --baseline /tmp/b.txt"
    request = parse_command(line).request
    assert request["pid"] == 4242 and request["duration"] == 2.5 and request["rate"] == 500
    assert request["file"] == "/tmp/p.json" and request["baseline"] == "/tmp/b.txt"
    assert all(request[f] for f in ("native", "idle", "gil", "threads", "subprocesses", "nonblocking"))


@pytest.mark.parametrize(
    "line, message",
    [
        ("perf -r 0", "-r must be between 1 and 10000; got 0"),
        ("perf -r 100000", "-r must be between 1 and 10000; got 100000"),
        ("perf -d 0", "-d must be a positive number of seconds; got 0"),
        ("perf -d -3", "-d must be a positive number of seconds; got -3"),
        ("perf -f /tmp/p.png", "-f /tmp/p.png: the suffix names the format, one of .svg, .json, .txt"),
        ("perf -f /tmp/p", "the suffix names the format"),
        ("perf -r fast", "invalid int value: 'fast'"),
    ],
)
def test_bad_input_is_refused_at_parse_time(line, message):
    with pytest.raises(CommandSyntaxError) as raised:
        parse_command(line)
    assert message in raised.value.message and "\n" not in raised.value.message.split("usage:")[0].strip()
    assert raised.value.exit_code == EXIT_USAGE


def test_suffixes_in_any_case():
    for suffix in (".svg", ".SVG", ".json", ".txt"):
        assert parse_command(f"perf -f /tmp/p{suffix}").request["file"] == f"/tmp/p{suffix}"


def test_described_for_the_sidebar():
    perf = next(d for d in describe_commands() if d["name"] == "perf")
    assert perf["where"] == OUTSIDE and perf["streams"] and perf["files"] == ["-f"]
    rate = next(o for o in perf["options"] if "-r" in o["flags"])
    assert rate["default"] == 100 and "(default 100)" in rate["help"]
    assert perf["usage"].startswith("perf [pid] [-d SECONDS] [-r RATE] [-f FILE]")
