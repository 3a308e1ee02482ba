"""diagnose PROBLEM [module [class] method] [-d SECONDS]: a diagnosis workflow, run from the client.

PROBLEM is a workflow (hang, slow, memory, exception, torch) or free text routed by keywords
(diagnose/router.py). The workflow runs other commands read-only (never console, never tt -p),
streams their records with a progress line per step, and ends with one ``diagnosis`` record.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import CommandSyntaxError
from .descriptor import CLIENT, Command, Option
from .requests import DiagnoseRequest

MAX_DURATION = 120.0


def _build(ns) -> DiagnoseRequest:
    from ..diagnose.router import AVAILABLE, WORKFLOWS, route

    problem = " ".join(ns.problem)
    if not problem.strip():
        raise CommandSyntaxError(f"diagnose: say the problem: one of {', '.join(WORKFLOWS)}, or a sentence")
    if not 0 < ns.duration <= MAX_DURATION:
        raise CommandSyntaxError(f"-d must be more than 0 and at most {MAX_DURATION:g} seconds; got {ns.duration:g}")
    workflow, why = route(problem)
    if workflow is None:
        raise CommandSyntaxError(f"diagnose: {why}; name a workflow: {', '.join(WORKFLOWS)}")
    if workflow not in AVAILABLE:
        raise CommandSyntaxError(
            f"diagnose: {why}, but the {workflow} workflow is not built yet (this version runs {', '.join(AVAILABLE)})"
        )
    target = list(ns.problem[1:]) if ns.problem[0] == workflow else []
    if len(target) > 3:
        raise CommandSyntaxError("diagnose: at most module [class] method after the workflow")
    return {
        "problem": problem,
        "workflow": workflow,
        "routed": why,
        "target": target if 2 <= len(target) <= 3 else [],
        "duration": float(ns.duration),
    }


def _run(parsed, session) -> Iterator[dict]:
    import importlib

    from ..diagnose.steps import Steps

    request = parsed.request
    steps = Steps(request["problem"], request["workflow"])
    if request["problem"] != request["workflow"]:
        yield steps.progress(request["routed"])
    workflow = importlib.import_module(f"..diagnose.{request['workflow']}", __package__)
    yield from workflow.run(steps, session, request)


COMMAND = Command(
    "diagnose",
    "run a diagnosis workflow (hang, slow, memory; or a sentence) and name the cause: findings, evidence, next commands",
    (
        Option(
            ("problem",),
            "hang | slow | memory, then optionally module [class] method (slow: the method to trace); "
            "or free text (exception, torch: routed to, not built yet)",
            nargs="+",
            metavar="PROBLEM",
        ),
        Option(("-d", "--duration"), "seconds the workflow samples for", default=3.0, type=float, metavar="SECONDS"),
    ),
    _build,
    usage="diagnose {hang,slow,memory} [module [class] method] [-d SECONDS] | diagnose TEXT",
    examples=(
        "diagnose hang",
        "diagnose hang -d 5",
        "diagnose slow -d 10",
        "diagnose slow myapp.service Worker handle",
        "diagnose memory -d 10",
        'diagnose "the server stopped answering"',
    ),
    where=CLIENT,
    streams=True,
    long_running=True,
    record_kinds=(
        "message",
        "stack",
        "profile",
        "gil_stats",
        "gil_event",
        "module",
        "trace",
        "mem_summary",
        "mem_diff",
        "mem_refs",
        "end",
        "diagnosis",
        "error",
    ),
    run=_run,
)
