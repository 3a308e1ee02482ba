"""Which workflow a problem names: a workflow's name, or free text routed by the seed's keywords."""

from __future__ import annotations

import re

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
WORKFLOWS = tuple(KEYWORDS)
# the workflows this version runs (the others are routed to and said to be missing)
AVAILABLE = ("hang", "slow", "memory")


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
    best = max(scores, key=lambda w: (len(scores[w]), -WORKFLOWS.index(w)))
    return best, f"chose {best} for {problem!r} (matched {', '.join(repr(h) for h in scores[best])})"
