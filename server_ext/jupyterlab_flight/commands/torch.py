"""torch profile | memory -r | memory -s | tensors: a live PyTorch job, with the target's own torch.

The agent runs torch.profiler (and CUDA memory history) around the next calls of a function, or
reads the allocator and the live tensors; what ``-f`` names is written here, on the client, from
what the agent sends back (a Chrome trace, or a snapshot pickle for pytorch.org/memory_viz).
"""

from __future__ import annotations

import base64
import gzip
import os
from collections.abc import Iterator

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import NESTED, observed_request
from .requests import TorchRequest

ACTIONS = ("profile", "memory", "tensors")
PROFILE_SUFFIXES = (".json", ".json.gz")
MEMORY_SUFFIXES = (".pickle", ".json", ".json.gz")
DEFAULT_TENSORS = 10


def file_format(path: str, suffixes: tuple) -> str:
    """The format -f's suffix names, or a CommandSyntaxError; also refuses a path that cannot be
    written (checked here, before anything starts in the target)."""
    lower = path.lower()
    suffix = next((s for s in sorted(suffixes, key=len, reverse=True) if lower.endswith(s)), None)
    if suffix is None:
        raise CommandSyntaxError(f"-f {path}: the suffix names the format, one of {', '.join(suffixes)}")
    full = os.path.abspath(os.path.expanduser(path))
    directory = os.path.dirname(full)
    if os.path.isdir(full):
        raise CommandSyntaxError(f"-f {path}: is a directory")
    if not os.path.isdir(directory):
        raise CommandSyntaxError(f"-f {path}: no such directory {directory}")
    if not os.access(full if os.path.exists(full) else directory, os.W_OK):
        raise CommandSyntaxError(f"-f {path}: not writable")
    return suffix.lstrip(".")


def _build(ns) -> TorchRequest:
    action, *names = ns.words
    if action not in ACTIONS:
        raise CommandSyntaxError(f"torch: the first word is one of {', '.join(ACTIONS)}; got {action!r}")
    if ns.calls_or_count is not None and ns.calls_or_count < 1:
        raise CommandSyntaxError(f"-n must be at least 1; got {ns.calls_or_count}")
    request: TorchRequest = {
        "action": action,
        "module": None,
        "class": None,
        "method": None,
        "nested": ns.nested,
        "calls": 1,
        "limit": DEFAULT_TENSORS,
        "device": ns.device,
        "file": ns.file,
        "file_format": None,
    }
    if action == "profile":
        if ns.record is not None or ns.snapshot:
            raise CommandSyntaxError("torch profile: -r and -s belong to torch memory")
        request.update(observed_request(names, ns.nested, "torch profile"))  # type: ignore[typeddict-item]
        request["calls"] = ns.calls_or_count or 1
        if ns.file is not None:
            request["file_format"] = file_format(ns.file, PROFILE_SUFFIXES)
    elif action == "memory":
        if names:
            raise CommandSyntaxError("torch memory: the function goes after -r (torch memory -r module [class] method)")
        if (ns.record is not None) == bool(ns.snapshot):
            raise CommandSyntaxError("torch memory: give one of -r module [class] method, or -s (not both)")
        if ns.record is not None:
            request.update(observed_request(ns.record, ns.nested, "torch memory -r"))  # type: ignore[typeddict-item]
            request["action"] = "memory_record"
            request["calls"] = ns.calls_or_count or 1
        else:
            request["action"] = "memory_snapshot"
            if ns.calls_or_count is not None:
                request["limit"] = ns.calls_or_count
        if ns.file is not None:
            suffixes = MEMORY_SUFFIXES if ns.record is not None else (".pickle",)
            request["file_format"] = file_format(ns.file, suffixes)
    else:
        if names or ns.record is not None or ns.snapshot or ns.file is not None or ns.nested:
            raise CommandSyntaxError("torch tensors takes [-n N] [--device D] only")
        if ns.calls_or_count is not None:
            request["limit"] = ns.calls_or_count
    return request


FILE_KINDS = ("torch_profile", "torch_memory", "torch_snapshot")


def write_file(path: str, data: dict) -> int:
    """Write what the agent sent for -f; returns the bytes written."""
    if data.get("encoding") == "base64":
        blob = base64.b64decode(data["data"])
    else:
        blob = str(data["data"]).encode("utf-8")
    if path.lower().endswith(".gz"):
        blob = gzip.compress(blob)
    full = os.path.abspath(os.path.expanduser(path))
    with open(full, "wb") as f:
        f.write(blob)
    return len(blob)


def _run(parsed, session) -> Iterator[dict]:
    path = parsed.request.get("file")
    for record in session.run_in_agent(parsed):
        data = record.pop("file_data", None) if isinstance(record, dict) else None
        yield record
        if data is not None and path:
            try:
                written = write_file(path, data)
            except OSError as e:
                yield {"v": 1, "kind": "error", "message": f"-f {path}: cannot write it: {e.strerror or e}"}
                continue
            what = "snapshot for pytorch.org/memory_viz" if data.get("format") == "pickle" else "Chrome trace"
            yield {"v": 1, "kind": "message", "text": f"wrote the {what} to {path} ({written} bytes)"}


COMMAND = Command(
    "torch",
    "PyTorch: profile the next calls of a function, its memory, the CUDA allocator, live tensors (streams)",
    (
        Option(
            ("words",),
            "profile module [class] method | memory | tensors",
            nargs="+",
            metavar="{profile,memory,tensors} [module [class] method]",
        ),
        NESTED,
        Option(
            ("-r", "--record"),
            "memory: record memory during the next call of module [class] method",
            dest="record",
            nargs="+",
            metavar="NAME",
        ),
        Option(("-s", "--snapshot"), "memory: the CUDA caching allocator's snapshot now", action="store_true"),
        Option(
            ("-n", "--number"),
            "profile, memory -r: calls to record (default 1); tensors: the N largest to list (default 10)",
            dest="calls_or_count",
            type=int,
            metavar="N",
        ),
        Option(("--device",), "tensors: only this device (cpu, cuda, cuda:1)", metavar="D"),
        Option(
            ("-f", "--file"),
            "write it here too: profile: .json / .json.gz Chrome trace; memory: .pickle for "
            "pytorch.org/memory_viz (CUDA), or .json / .json.gz trace with -r",
            metavar="FILE",
        ),
    ),
    _build,
    usage="torch profile module [class] method [-nm NAME] [-n CALLS] [-f FILE] | "
    "torch memory (-r module [class] method | -s) [-f FILE] | torch tensors [-n N] [--device D]",
    examples=(
        "torch profile __main__ Trainer train_step",
        "torch profile app.train Trainer train_step -n 3 -f /tmp/step.json.gz",
        "torch memory -r __main__ Trainer train_step -f /tmp/step.pickle",
        "torch memory -s -f /tmp/allocator.pickle",
        "torch tensors -n 20 --device cuda",
    ),
    streams=True,
    long_running=True,
    files=("-f",),
    record_kinds=("message", "torch_profile", "torch_memory", "torch_snapshot", "torch_tensors", "end", "error"),
    run=_run,
)
