"""tt (time tunnel): record calls (-t, a stream), list them, show one, replay one, forget."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import check_limit, limit_option, observed_request, render_options, render_request
from .requests import TtRequest


def _build(ns) -> TtRequest:
    chosen = [
        flag
        for flag, on in (
            ("-t", ns.record is not None),
            ("-l", ns.list),
            ("-i", ns.index is not None),
            ("-d", ns.delete is not None),
            ("-da", ns.delete_all),
        )
        if on
    ]
    if len(chosen) != 1:
        raise CommandSyntaxError("tt: give exactly one of -t module [class] method, -l, -i N, -d N, -da")
    if ns.play and ns.index is None:
        raise CommandSyntaxError("tt: -p replays the record given by -i N")
    if ns.record is not None:
        check_limit(ns.limit)
        return {
            **observed_request(ns.record, ns.nested, "tt -t"),
            "action": "record",
            "filter": ns.filter,
            "limit": ns.limit,
            **render_request(ns),
        }
    if ns.list:
        return {"action": "list", "method": ns.method, "filter": ns.filter, **render_request(ns)}
    if ns.index is not None:
        return {"action": "replay" if ns.play else "show", "index": ns.index, **render_request(ns)}
    if ns.delete is not None:
        return {"action": "delete", "index": ns.delete}
    return {"action": "delete_all"}


_CHANGES = {
    "replay": "calls the function again with the recorded arguments (its side effects happen again)",
    "delete": "deletes a recorded call (other clients' too)",
    "delete_all": "deletes every recorded call (other clients' too)",
}

COMMAND = Command(
    "tt",
    "time tunnel: record calls (-t), list (-l), show one (-i N), replay it (-i N -p), delete (-d N / -da)",
    (
        Option(
            ("-t", "--time-tunnel"),
            "record calls of module [class] method (a stream)",
            dest="record",
            nargs="+",
            metavar="NAME",
        ),
        Option(
            ("-nm", "--nested-method"),
            "with -t: the function NAME defined inside the method",
            dest="nested",
            metavar="NAME",
        ),
        Option(("-l", "--list"), "list the recorded calls", action="store_true"),
        Option(("-i", "--index"), "show record N", type=int, metavar="N"),
        Option(
            ("-p", "--play"),
            "with -i N: call the function again with the same arguments (runs its side effects again)",
            action="store_true",
        ),
        Option(("-d", "--delete"), "delete record N", type=int, metavar="N"),
        Option(("-da", "--delete-all"), "delete every record", dest="delete_all", action="store_true"),
        Option(
            ("-m", "--method"),
            "with -l: only this method (CLASS is None for module functions)",
            metavar="MODULE.CLASS.METHOD",
        ),
        Option(("-f", "--filter"), "with -t or -l: only calls where EXPR is true (names as in watch)", metavar="EXPR"),
        limit_option("with -t: stop after N calls", 50),
        *render_options(1),
    ),
    _build,
    examples=(
        "tt -t __main__ handle",
        "tt -l",
        "tt -i 1000 -x 3",
        "tt -i 1000 -p",
        "tt -l -m app.api.Handler.get",
        "tt -d 1000",
        "tt -da",
    ),
    streams_when=("-t",),
    long_running=True,  # -p runs the target's own function: the target's own switch interval, as for -t
    record_kinds=("message", "tt_record", "end", "tt_list", "tt_detail", "error"),
    changes=lambda request: _CHANGES.get(request["action"], ""),
    expressions=("-f",),
)
