"""The diagnosis workflows, each with a one-line description (the one list front doors and
assistants read), and which one a problem names: a workflow's name, or free text routed by the
seed's keywords."""

from __future__ import annotations

import re

# workflow -> what it does, in one line (diagnose --help, docs/commands.md, assistants)
WORKFLOWS: dict[str, str] = {
    "hang": "threads that move and stuck ones, the lock graph (who waits on what, held by whom), deadlock "
    "cycles, queue and event waits, GIL starvation",
    "slow": "perf (hottest functions, application code told apart), gilstat (GIL-bound?), a trace of the "
    "hottest application function or the given method",
    "memory": "mem summary, diff by type over the interval, a collection, mem refs of the top growing type, "
    "RSS against Python objects",
    "exception": "exceptions raised over the interval grouped by type, message pattern and raising function, "
    "where they were caught, one full example stack each (process-wide on 3.12+, else the given method)",
    "torch": "torch tensors twice (growth by shape and device), a profile of the given step (top ops, "
    "host-device copies, synchronisations), torch memory -r of the step (peak, what is live at it)",
}

# workflow -> the words that send a free-text problem there (the seed's /diagnose router), in order
KEYWORDS: dict[str, tuple[str, ...]] = {
    "hang": (
        "hang",
        "hung",
        "hangs",
        "deadlock",
        "stuck",
        "freeze",
        "frozen",
        "unresponsive",
        "blocked",
        "not responding",
        "no progress",
        "lock",
        "wait",
        "waiting",
        "answering",
        "responding",
        "stopped",
    ),
    "slow": ("slow", "latency", "performance", "cpu", "hot", "lag", "throughput", "takes long", "timeout", "gil"),
    "memory": ("memory", "leak", "leaks", "leaking", "oom", "rss", "growing", "grows", "heap", "out of memory"),
    "exception": ("exception", "error", "traceback", "raise", "raises", "fail", "fails", "crash", "500"),
    "torch": ("torch", "pytorch", "cuda", "gpu", "tensor", "training", "model"),
}
assert tuple(KEYWORDS) == tuple(WORKFLOWS)


def route(problem: str) -> tuple[str | None, str]:
    """(workflow, why): a workflow's name as is; free text by the most keyword hits (earliest
    workflow on a tie); None when no keyword matches."""
    text = problem.strip().lower()
    if text in KEYWORDS:
        return text, f"workflow {text}"
    words = set(re.findall(r"[a-z0-9]+", text))
    scores = {}
    for workflow, keys in KEYWORDS.items():
        hits = [k for k in keys if (k in words if " " not in k else k in text)]
        if hits:
            scores[workflow] = hits
    if not scores:
        return None, f"no workflow's keywords in {problem!r}"
    best = max(scores, key=lambda w: (len(scores[w]), -tuple(WORKFLOWS).index(w)))
    return best, f"chose {best} for {problem!r} (matched {', '.join(repr(h) for h in scores[best])})"
