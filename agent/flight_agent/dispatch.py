"""Dispatch: what one request asks for, and its answer.

Ops: ``run`` (a command of the registry, commands/__init__.py), ``interrupt`` (console code that
another connection runs), ``stop_stream`` (another connection's stream), ``detach``, ``ping``,
``threads`` (the client's ``stack --native`` names what it reads from outside).
A command's module returns either records (sent, then the request's end) or a Stream (pumped,
pump.py): the dispatcher knows no command by name.

Errors: a CommandError (bad arguments, lookups, expressions, what a command refuses) is one
``error`` record for the user; anything else is a bug of ours, reported as an internal error with
its traceback. Neither reaches the target's code.
"""

from __future__ import annotations

from . import protocol, runtime
from .arguments import Arguments
from .commands import COMMANDS
from .completion import candidates
from .connection import Connection
from .errors import CommandError
from .expressions import ExpressionError
from .pump import pump
from .streams import Stream


def handle(connection: Connection, request: dict) -> bool:
    """Answer one request; False ends the connection."""
    op = request.get("op")
    handler = OPS.get(op) if isinstance(op, str) else None
    if handler is None:
        connection.reply(request.get("id"), {"kind": "error", "message": f"unknown request {op!r}"})
        return True
    return handler(connection, request)


def _run(connection: Connection, request: dict) -> bool:
    # One-shot commands answer with a short switch interval (each socket call of the agent waits
    # for the GIL, a switch interval on a busy target); streams and console code run for long,
    # with the target's own interval.
    with runtime.switch_interval_for(request.get("long_running") is True):
        run_command(connection, request.get("id"), request.get("command"), request.get("args", {}))
    return True


def run_command(connection: Connection, request_id, command, args) -> None:
    module = COMMANDS.get(command) if isinstance(command, str) else None
    last: tuple = ()  # records sent with the end, in one write
    try:
        if module is None:
            raise CommandError(f"unknown command {command!r}")
        if not isinstance(args, dict):
            raise CommandError(f"bad request: the arguments of {command} must be an object")
        result = module.run(Arguments(command, args), connection)
        if isinstance(result, Stream):
            pump(connection, request_id, result)
        elif isinstance(result, (list, tuple)):
            last = tuple(result)
        else:  # records as they come (tt's replay says what it does before doing it)
            for record in result:
                connection.record(request_id, record)
    except (OSError, protocol.ProtocolError, protocol.ConnectionClosed):
        raise  # the client is gone: the connection ends
    except CommandError as e:
        last = (error_record(e),)
    except Exception as e:
        last = (internal_error_record(command, e),)
    connection.reply(request_id, *last)


def error_record(e: CommandError) -> dict:
    record: dict = {"kind": "error", "message": str(e)}
    if isinstance(e, ExpressionError):
        record["exception"] = {"type": e.error_type, "message": e.error_message}
    return record


def internal_error_record(command, e: Exception) -> dict:
    import traceback

    return {
        "kind": "error",
        "message": f"internal error in {command}: {type(e).__name__}: {e}",
        "internal": True,
        "traceback": traceback.format_exc(limit=8),
    }


def _interrupt(connection: Connection, request: dict) -> bool:
    target = _connection(connection, request.get("connection"))
    done = target.interrupt() if target is not None else False
    connection.reply(request.get("id"), {"kind": "message", "text": "interrupted" if done else "nothing to interrupt"})
    return True


def _stop_stream(connection: Connection, request: dict) -> bool:
    # Another connection ends this one's stream: a notebook's live view cannot reach its busy
    # kernel, so its stop button comes here through the server extension.
    target = _connection(connection, request.get("connection"))
    running = target.stream if target is not None else None
    stopped = False
    if running is not None and running[0] == request.get("request") and running[1].finished is None:
        running[1].finish("stopped")
        stopped = True
    text = "stopping the stream" if stopped else "no such stream: it has ended"
    connection.reply(request.get("id"), {"kind": "message", "text": text, "stopped": stopped})
    return True


def _connection(connection: Connection, number) -> Connection | None:
    if type(number) is not int:
        return None
    return connection.agent.connections.get(number)


def _detach(connection: Connection, request: dict) -> bool:
    agent = connection.agent
    agent.stop(keep=connection)
    text = f"detached from pid {agent.pid}: agent stopped, all hooks removed"
    connection.reply(request.get("id"), {"kind": "message", "text": text})
    return False


def _ping(connection: Connection, request: dict) -> bool:
    connection.reply(request.get("id"))
    return True


def _threads(connection: Connection, request: dict) -> bool:
    """For the client's ``stack --native``: which threads are the agent's, and the names and
    idents of the others (pystack reads native ids only)."""
    from .commands.stack import thread_list

    connection.reply(request.get("id"), thread_list(connection.agent))
    return True


def _complete(connection: Connection, request: dict) -> bool:
    """Tab completion (completion.py): names from sys.modules and the module or class named."""
    words = request.get("words")
    found = candidates(str(request.get("complete")), words if isinstance(words, list) else [])
    connection.reply(request.get("id"), {"kind": "completion", "candidates": found})
    return True


OPS = {
    "run": _run,
    "interrupt": _interrupt,
    "stop_stream": _stop_stream,
    "detach": _detach,
    "ping": _ping,
    "threads": _threads,
    "complete": _complete,
}


def reset(connection: Connection | None = None) -> None:
    """Every command module drops what ``connection`` owns (its client went away), or, with None,
    everything (detach). One module's failure does not keep the others from cleaning up."""
    seen: set = set()
    for module in COMMANDS.values():
        reset_module = getattr(module, "reset", None)
        if reset_module is None or id(module) in seen:
            continue
        seen.add(id(module))
        try:
            reset_module(connection)
        except Exception:
            pass
