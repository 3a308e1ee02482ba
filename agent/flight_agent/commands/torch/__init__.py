"""torch profile | memory -r | memory -s | tensors: a live PyTorch job, with the target's own torch.

    torch profile module [class] method [-n CALLS]   torch.profiler around the next calls (a stream)
    torch memory -r module [class] method            memory during the next call (a stream)
    torch memory -s                                  the CUDA allocator's snapshot (CPU: the census)
    torch tensors [-n N] [--device D]                live tensors by device, dtype, shape

torch is never imported here: a target that has not imported it gets one clear error. What
recording we start is kept in recording.py; ``recording.stop_recording()`` ends it (detach, a
client gone, a forked child).
"""

from __future__ import annotations

from ...arguments import Arguments
from ...connection import Connection
from ...streams import Stream
from . import calls, census, recording
from .recording import stop_recording

ACTIONS = ("profile", "memory_record", "memory_snapshot", "tensors")

__all__ = ["run", "reset", "stop_recording"]


class Answer(Stream):
    """A one-shot answer in a stream's shape (every torch command streams, ending with ``end``)."""

    def __init__(self, records: list):
        super().__init__()
        self.records = records

    def start(self) -> list:
        self.finish("done")
        return self.records


def run(args: Arguments, connection: Connection) -> Stream:
    action = args.choice("action", ACTIONS)
    if action == "profile":
        return calls.CallStream(args, "profile")
    if action == "memory_record":
        return calls.CallStream(args, "memory")
    if action == "memory_snapshot":
        return Answer(census.snapshot_records(args))
    return Answer([census.tensors_record(args)])


def reset(connection=None) -> None:
    """A stream's hooks go when it ends (pump.py); on detach, any recording still on stops too."""
    if connection is None:
        recording.stop_recording()
