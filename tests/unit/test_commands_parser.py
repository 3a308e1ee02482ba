"""The command language without a target: parsing, defaults, traits, help, descriptors."""

from __future__ import annotations

import json

import pytest
from jupyterlab_flight.commands import AGENT, COMMANDS, LOCAL, OUTSIDE, describe_commands, help_text, parse_command
from jupyterlab_flight.errors import EXIT_USAGE, CommandSyntaxError


def test_defaults_are_filled_in_from_the_descriptor():
    request = parse_command("watch __main__ Handler get").request
    assert request == {
        "module": "__main__",
        "class": "Handler",
        "method": "get",
        "nested": None,
        "expr": "args, kwargs",
        "filter": None,
        "exception": False,
        "limit": 10,
        "expand": 1,
        "verbose": False,
        "raw": False,
    }
    assert parse_command("getglobal m X").request["expand"] == 2
    assert parse_command("tt -t m f").request["limit"] == 50
    assert parse_command("trace m f").request["interval"] == 0.1
    assert parse_command("monitor m f").request["cycle"] == 5.0
    assert parse_command("monitor m f").request["limit"] is None
    assert parse_command("vmtool -a getInstances -c m C").request["limit"] == 10


def test_help_states_each_default_as_the_parser_uses_it():
    # one statement of each default: the help text is generated from it
    for name, command in COMMANDS.items():
        text = help_text(name)
        for option in command.options:
            if option.takes_value and option.default not in (None, False) and not option.positional:
                assert "(default " in option.help_text(), (name, option.flags)
                assert option.help_text().split("(default ")[1].rstrip(")") in " ".join(text.split()), (
                    name,
                    option.flags,
                )


@pytest.mark.parametrize(
    "line, where, streams, long_running, interactive",
    [
        ("stack", AGENT, False, False, False),
        ("stack 4242", OUTSIDE, False, False, False),
        ("stack --native", OUTSIDE, False, False, False),
        ("watch m f", AGENT, True, True, False),
        ("tt -t m f", AGENT, True, True, False),
        ("tt -l", AGENT, False, True, False),
        ("tt -i 1000 -p", AGENT, False, True, False),
        ("console", AGENT, False, True, True),
        ("console -c 'x = 1'", AGENT, False, True, False),
        ("help", LOCAL, False, False, False),
        ("detach", LOCAL, False, False, False),
    ],
)
def test_traits_follow_the_options_given(line, where, streams, long_running, interactive):
    parsed = parse_command(line)
    assert (parsed.where, parsed.streams, parsed.long_running, parsed.interactive) == (
        where,
        streams,
        long_running,
        interactive,
    )


def test_a_cell_body_supplies_the_code_of_console_only():
    parsed = parse_command("console -x 3", cell="import os\nos.getpid()")
    assert parsed.request["code"] == "import os\nos.getpid()" and not parsed.interactive
    assert parsed.request["expand"] == 3
    with pytest.raises(CommandSyntaxError, match="only %%flight console takes a cell body"):
        parse_command("stack", cell="x")


@pytest.mark.parametrize(
    "line, message",
    [
        ("", "empty command"),
        ("flamegraph", "unknown command 'flamegraph'; commands: console, detach"),
        ("watch m", "watch: expected 'module [class] method', got m"),
        ("watch m f -n 0", "-n must be at least 1; got 0"),
        ("watch m f -x 9", "-x must be between 1 and 6, or -1; got 9"),
        ("monitor m f -c 0", "-c must be a positive number of seconds; got 0"),
        ("trace m f -d 0", "-d must be at least 1"),
        ("tt -l -i 3", "tt: give exactly one of"),
        ("tt -l -p", "tt: -p replays the record given by -i N"),
        ("vmtool -a getInstances", "vmtool -a getInstances needs -c module class"),
        ("vmtool -a getInstances -c m C -n -2", "-n must be a positive number of instances, or -1 for all"),
        ("vmtool", "the following arguments are required: -a/--action"),
        ("getglobal m", "getglobal: expected 'module [class] field'"),
        ("reload", "reload: expected 'module [class] method'"),
        ("reload m", "reload: expected 'module [class] method', got 'm'"),
        ("reload a b c d", "reload: expected 'module [class] method', got 'a b c d'"),
        ("stack 'unclosed", "cannot parse the command line"),
    ],
)
def test_bad_command_lines_say_what_is_wrong(line, message):
    with pytest.raises(CommandSyntaxError) as raised:
        parse_command(line)
    assert message in raised.value.message
    assert raised.value.exit_code == EXIT_USAGE and raised.value.status == 400


def test_usage_names_one_target_for_observation_commands():
    # argparse would print "module [class] method [module [class] method ...]"
    for name in ("watch", "trace", "monitor"):
        first = help_text(name).splitlines()[0]
        assert first.startswith(f"usage: {name} module [class] method [") and "..." not in first


def test_dash_h_is_help_for_that_command():
    parsed = parse_command("watch -h")
    assert parsed.name == "help" and parsed.request == {"command": "watch"}


def test_descriptors_travel_as_json_with_their_traits():
    described = {d["name"]: d for d in json.loads(json.dumps(describe_commands()))}
    assert set(described) == set(COMMANDS)
    watch = described["watch"]
    assert watch["streams"] is True and watch["long_running"] is True and watch["where"] == AGENT
    limit = next(o for o in watch["options"] if "-n" in o["flags"])
    assert limit["default"] == 10 and limit["dest"] == "limit" and limit["takes_value"]
    assert described["tt"]["streams"] is False and described["tt"]["streams_when"] == ["-t"]
    assert described["stack"]["where_when"] == {"outside": ["pid", "--native"]}
    assert described["console"]["interactive_unless"] == ["-c"]
    assert described["detach"]["ends_session"] is True
    assert described["watch"]["usage"].startswith("watch module [class] method")
    assert "examples:" in described["watch"]["help"]


def test_reload_requests():
    assert parse_command("reload app Cart total").request == {
        "module": "app",
        "class": "Cart",
        "method": "total",
        "undo": False,
    }
    assert parse_command("reload --undo app price").request == {
        "module": "app",
        "class": None,
        "method": "price",
        "undo": True,
    }
    assert parse_command("reload --undo").request == {"module": None, "class": None, "method": None, "undo": True}
