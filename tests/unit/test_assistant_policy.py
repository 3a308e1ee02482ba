"""The read-only policy of the assistant tools (assistants/policy.py) and the descriptor traits it reads."""

from __future__ import annotations

import pytest
from jupyterlab_flight.assistants.policy import expression_refusal, refusal
from jupyterlab_flight.commands import COMMANDS, parse_command


@pytest.mark.parametrize(
    "expression",
    [
        "args, kwargs",
        "args[0]['query'] == 'hello'",
        "cost > 100 and exception is None",
        "len(target) if target else 0",
        "target.get('user', {}).keys()",
        "isinstance(return_obj, dict)",
        "str(type(instances[0]))",
        "target[1:3], -x + 2 * y",
    ],
)
def test_reading_expressions_pass(expression):
    assert expression_refusal(expression) == ""


@pytest.mark.parametrize(
    "expression, why",
    [
        ("__import__('os').system('id')", "calls system()"),
        ("open('/etc/passwd')", "calls open()"),
        ("target.clear()", "calls clear()"),
        ("target.__class__.__subclasses__()", "calls __subclasses__()"),
        ("getattr(target, 'x')", "calls getattr()"),
        ("[x for x in target]", "ListComp"),
        ("(lambda: 1)()", "Lambda"),
        ("(y := 1)", "NamedExpr"),
        ("10 ** 10 ** 10", "** or <<"),
        ("1 << 100000", "** or <<"),
        ("'a' * 10000000", "constant 10000000"),
        ("__builtins__", "names __builtins__"),
        ("type(target).__name__", "dunder attribute __name__"),  # refused even where it would only read
        ("f'{target}'", "JoinedStr"),
        ("1 +", "not a Python expression"),
    ],
)
def test_expressions_that_could_do_more_are_refused(expression, why):
    assert why in expression_refusal(expression)


def test_expression_options_are_declared():
    """An option that takes an expression (metavar EXPR) is one the policy checks: a new one must
    be named in its command's ``expressions`` trait."""
    for command in COMMANDS.values():
        for option in command.options:
            if option.metavar == "EXPR":
                assert option.flags[0] in command.expressions, (command.name, option.flags)


@pytest.mark.parametrize(
    "line",
    ["console -c 1", "reload a f", "reload --undo", "tt -i 1 -p", "tt -d 1", "tt -da", "detach", "gilstat off"],
)
def test_runs_that_change_the_target_say_so(line):
    assert refusal(parse_command(line))


@pytest.mark.parametrize(
    "line",
    [
        "stack",
        "stack --native",
        "watch a f -n 1",
        "trace a f -d 2 -n 1",
        "tt -t a f",
        "tt -l",
        "tt -i 1000 -x 3",
        "getglobal a X",
        "vmtool -a getInstances -c a B",
        "vmtool -a forceGc",
        "perf -d 1",
        "mem summary",
        "mem diff -i 1",
        "gilstat on -n 1",
        "torch tensors",
        "diagnose hang",
        "module /x.py",
        "help",
    ],
)
def test_observing_runs_pass(line):
    assert refusal(parse_command(line)) == ""


def test_files_and_expressions_in_a_run():
    parsed = parse_command("watch a f --expr 'args[0]' -f 'cost > 1' -n 2")
    assert parsed.expressions == ("args[0]", "cost > 1") and parsed.changes == "" and parsed.files == ()
    assert "writes /tmp/p.txt" in refusal(parse_command("perf -d 1 -f /tmp/p.txt"))
    assert "calls system()" in refusal(parse_command("""getglobal a X -e "__import__('os').system('id')" """))
