"""diagnose exception: which exceptions the process raises, where, how often, and who catches them.

Steps (read-only):
1. the agent's ``diagnose`` step ``exceptions`` for SECONDS (one ``exceptions`` record at the
   end): every exception raised in the process, grouped by type, message pattern (numbers and
   ids folded) and raising function, with where each was caught and one example stack
   (``sys.monitoring`` RAISE / RERAISE / EXCEPTION_HANDLED, CPython 3.12+); or, given
   ``module [class] method``, the exceptions that escape that function (the hook of ``watch -e``,
   any version, and the only way before 3.12).
A group's exceptions are *caught in the application* (an ``except`` in application code kept
them), *escaped the application* (only the standard library or a library caught them: a thread's
end, a server's error handler) or *not caught in Python code* (caught in C, such as ``getattr``
with a default, still on their way, or they ended the process).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import FlightError
from .slow import origin
from .steps import Steps, agent_stream, method_words, short

FINDINGS = 5  # groups named in findings (the record has them all)
GRACE_S = 5.0  # beyond -d, how long the agent may take to send the census


def _where(entry: dict) -> str:
    return f"{entry['function']} ({short(entry['file'])}:{entry['line']})"


def _caught_text(group: dict) -> tuple[str, bool]:
    """(where the group's exceptions were caught, in words; whether some escaped the application)."""
    parts = []
    escaped = False
    for site in group["caught"][:3]:
        kind = origin(site["file"])
        if kind != "app":
            escaped = True
        place = "where raised" if (site["function"], site["file"]) == (group["function"], group["file"]) else ""
        parts.append(
            f"{site['count']} caught in {_where(site)}"
            + (f" ({place})" if place else "")
            + ("" if kind == "app" else f" ({'the standard library' if kind == 'stdlib' else kind})")
        )
    if group["caught_elsewhere"]:
        parts.append(f"{group['caught_elsewhere']} caught elsewhere")
    if group["not_caught"]:
        escaped = True
        parts.append(f"{group['not_caught']} not caught in Python code")
    return "; ".join(parts), escaped


def _stack_text(stack: list) -> str:
    shown = stack[-6:]
    text = " -> ".join(f"{f['function']} ({short(f['file'])}:{f['line']})" for f in shown)
    return ("... -> " if len(stack) > len(shown) else "") + text


def _label(group: dict) -> str:
    return f"{group['type']} {group['pattern']!r}"


def run(steps: Steps, session, request: dict) -> Iterator[dict]:
    duration = request["duration"]
    target = request["target"]
    args = {"step": "exceptions", "seconds": duration, "module": None, "class": None, "method": None, "nested": None}
    if target:
        args.update(module=target[0], method=target[-1], **{"class": target[1] if len(target) == 3 else None})
    scope = " ".join(target) if target else "the whole process"
    yield steps.progress(f"exceptions raised in {scope} for {duration:g} s")
    census = None
    census_index = None
    refused = None
    try:
        for record in agent_stream(session, "diagnose", args, duration + GRACE_S):
            kind = record.get("kind")
            if kind == "exceptions":
                census, census_index = record, steps.index()
            elif kind == "error":
                refused = record.get("message", "")
            yield steps.emit(record)
    except FlightError as e:
        refused = str(e)
        yield steps.emit({"v": 1, "kind": "error", "message": f"exceptions: {e}"})

    if census is None:
        next_: list = ["stack"]
        if refused and "give a function" in refused:
            summary = "this Python cannot count exceptions process-wide cheaply: name a function"
            cause = refused.removeprefix("diagnose exception: ")
        else:
            summary = "the exceptions could not be counted" + (f": {refused}" if refused else "")
            cause = ""
        yield steps.diagnosis("unknown", 0.0, summary, cause, next_)
        return

    groups = census["groups"]
    seconds = max(census.get("duration_s") or duration, 1e-3)
    how = (
        f"sys.monitoring (RAISE, RERAISE, EXCEPTION_HANDLED; tool id {census.get('tool_id')}, freed after)"
        if census["mechanism"] == "sys.monitoring"
        else f"the hook of watch -e on {census['method']} (the exceptions that escape it)"
    )
    steps.find(
        "How the exceptions were counted",
        f"{census['raised']} exceptions in {len(groups)} groups over {seconds:g} s, by {how}"
        + (f"; {sum(o['count'] for o in census['overflow'])} more past the group limit" if census["overflow"] else "")
        + ".",
        [census_index],
    )
    escaping = []
    for group in groups[:FINDINGS]:
        threads = ", ".join(f"'{t['name']}' {t['count']}" for t in group["threads"])
        samples = ", ".join(repr(m) for m in group["samples"])
        example = group.get("example") or {}
        parts = [
            f"{group['count']} raised ({group['count'] / seconds:.1f}/s) by {_where(group)} on {threads}",
            f"messages like {samples}",
        ]
        if census.get("fate_tracked"):
            caught, escaped = _caught_text(group)
            if caught:
                parts.append(caught)
            if escaped:
                escaping.append(group)
        else:
            parts.append(f"each escaped {census['method']}")
            escaping.append(group)
        if example.get("stack"):
            parts.append(f"example stack ({example.get('thread_name')}): {_stack_text(example['stack'])}")
        steps.find(
            f"{_label(group)} from {group['function']}: {group['count']} times",
            "; ".join(parts) + ".",
            [census_index],
        )

    next_ = []
    for group in groups[:2]:
        words = method_words(group.get("module"), group["function"])
        if words is not None:
            next_.append(" ".join(["watch", *words, "-e", "-n", "5", "--expr", '"args, exception"']))
    if census["scope"] == "process" and groups:
        words = method_words(groups[0].get("module"), groups[0]["function"])
        if words is not None:
            next_.append(f"diagnose exception {' '.join(words)} -d {duration:g}")
    if not groups:
        verdict, confidence = "none", 0.7
        summary = (
            f"no exception escaped {census['method']} in {seconds:g} s (calls that started after the hook went in)"
            if census["scope"] == "method"
            else f"no exception was raised in the process in {seconds:g} s"
        )
        cause = "nothing raised over the interval: diagnose over a longer one (-d), while the failure happens"
        next_.append(" ".join(["diagnose", "exception", *target, "-d", f"{max(duration * 4, 10):g}"]))
    else:
        top = groups[0]
        listed = ", ".join(f"{_label(g)} x{g['count']}" for g in groups[:3])
        if escaping:
            verdict, confidence = "escaping", 0.8
            where = census["method"] if census["scope"] == "method" else "the application's code"
            summary = f"{sum(g['count'] for g in escaping)} exceptions escaped {where} in {seconds:g} s: " + ", ".join(
                f"{_label(g)} x{g['count']}" for g in escaping[:3]
            )
        else:
            verdict, confidence = "caught", 0.7
            summary = f"{census['raised']} exceptions, all caught in the application: {listed}"
        cause = (
            f"{top['function']} ({short(top['file'])}:{top['line']}) raises {top['type']} for some inputs "
            f"({top['count'] / seconds:.1f}/s, e.g. {top['samples'][0]!r}): see which with the watch below"
        )
    yield steps.diagnosis(verdict, confidence, summary, cause, next_)
