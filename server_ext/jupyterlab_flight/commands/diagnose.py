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
    from ..diagnose.router import WORKFLOWS, route

    problem = " ".join(ns.problem)
    if not problem.strip():
        raise CommandSyntaxError(f"diagnose: say the problem: one of {', '.join(WORKFLOWS)}, or a sentence")
    if not 0 < ns.duration <= MAX_DURATION:
        raise CommandSyntaxError(f"-d must be more than 0 and at most {MAX_DURATION:g} seconds; got {ns.duration:g}")
    if ns.problem[0] in WORKFLOWS:  # named: what follows is the target
        workflow, why = ns.problem[0], ""
    else:
        workflow, why = route(problem)
    if workflow is None:
        raise CommandSyntaxError(f"diagnose: {why}; name a workflow: {', '.join(WORKFLOWS)}")
    target = list(ns.problem[1:]) if ns.problem[0] == workflow else []
    if len(target) > 3:
        raise CommandSyntaxError("diagnose: at most module [class] method after the workflow")
    if workflow == "torch" and len(target) < 2:
        raise CommandSyntaxError(
            "diagnose torch: name the training step: diagnose torch module [class] method (e.g. "
            "diagnose torch __main__ Trainer train_step)"
        )
    return {
        "problem": problem,
        "workflow": workflow,
        "routed": why,
        "target": target if 2 <= len(target) <= 3 else [],
        "duration": float(ns.duration),
    }


def _workflows_help() -> str:
    from ..diagnose.router import WORKFLOWS

    return "; ".join(f"{name}: {text}" for name, text in WORKFLOWS.items())


def _run(parsed, session) -> Iterator[dict]:
    import importlib

    from ..diagnose.steps import Steps

    request = parsed.request
    steps = Steps(request["problem"], request["workflow"], session)
    if request["routed"]:  # free text: say which workflow it chose
        yield steps.progress(request["routed"])
    workflow = importlib.import_module(f"..diagnose.{request['workflow']}", __package__)
    yield from workflow.run(steps, session, request)


COMMAND = Command(
    "diagnose",
    "run a diagnosis workflow (hang, slow, memory, exception, torch; or a sentence) and name the cause: "
    "findings, evidence, next commands",
    (
        Option(
            ("problem",),
            "a workflow, then optionally module [class] method (slow: the method to trace; exception: the "
            "method whose escaping exceptions to count, needed before 3.12; torch: the training step, "
            "needed), or free text routed to one. " + _workflows_help(),
            nargs="+",
            metavar="PROBLEM",
        ),
        Option(("-d", "--duration"), "seconds the workflow samples for", default=3.0, type=float, metavar="SECONDS"),
    ),
    _build,
    usage="diagnose {hang,slow,memory,exception,torch} [module [class] method] [-d SECONDS] | diagnose TEXT",
    examples=(
        "diagnose hang",
        "diagnose hang -d 5",
        "diagnose slow -d 10",
        "diagnose slow myapp.service Worker handle",
        "diagnose memory -d 10",
        "diagnose exception -d 5",
        "diagnose exception myapp.service Worker handle -d 5",
        "diagnose torch __main__ Trainer train_step",
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
        "exceptions",
        "torch_tensors",
        "torch_profile",
        "torch_memory",
        "end",
        "diagnosis",
        "error",
    ),
    run=_run,
)
