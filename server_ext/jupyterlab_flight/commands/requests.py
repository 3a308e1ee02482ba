"""What each command sends to the agent: the ``args`` of a ``run`` request, with every default
filled in (the agent states none). One TypedDict per request shape; the agent's command modules
read the same fields (flight_agent/commands/*.py)."""

from __future__ import annotations

from typing import Optional, TypedDict, Union


class RenderRequest(TypedDict):
    expand: int
    verbose: bool
    raw: bool


ObservedRequest = TypedDict(
    "ObservedRequest", {"module": str, "class": Optional[str], "method": str, "nested": Optional[str]}
)


class StackRequest(TypedDict):
    pid: int | None
    file: str | None
    native: bool
    asyncio: bool


GetglobalRequest = TypedDict(
    "GetglobalRequest",
    {
        "module": str,
        "class": Optional[str],
        "field": str,
        "expr": Optional[str],
        "expand": int,
        "verbose": bool,
        "raw": bool,
    },
)
InstancesRequest = TypedDict(
    "InstancesRequest",
    {
        "action": str,
        "module": str,
        "class": str,
        "expr": Optional[str],
        "limit": int,
        "expand": int,
        "verbose": bool,
        "raw": bool,
    },
)


class ForceGcRequest(TypedDict):
    action: str


class ModuleRequest(TypedDict):
    filepath: str


class ConsoleRequest(RenderRequest):
    code: str | None


class WatchRequest(ObservedRequest, RenderRequest):
    expr: str
    filter: str | None
    exception: bool
    limit: int


class TraceRequest(ObservedRequest):
    interval: float
    depth: int | None
    entrance_time: float | None
    filter: str | None
    limit: int


class MonitorRequest(ObservedRequest):
    cycle: float
    limit: int | None


class TtRecordRequest(ObservedRequest, RenderRequest):
    action: str  # "record"
    filter: str | None
    limit: int


class TtListRequest(RenderRequest):
    action: str  # "list"
    method: str | None
    filter: str | None


class TtIndexRequest(RenderRequest):
    action: str  # "show" | "replay"
    index: int


class TtDeleteRequest(TypedDict, total=False):
    action: str  # "delete" | "delete_all"
    index: int


# module, class and method are None for "reload --undo" (every reloaded function)
ReloadRequest = TypedDict(
    "ReloadRequest", {"module": Optional[str], "class": Optional[str], "method": Optional[str], "undo": bool}
)


MemRequest = TypedDict(
    "MemRequest",
    {
        "action": str,  # "summary" | "diff" | "refs"
        "limit": int,
        "order": str,
        "gc": bool,
        "interval": float,
        "by": str,  # "type" | "site"
        "cycles": int,
        "module": Optional[str],
        "class": Optional[str],
        "count": int,
        "depth": int,
    },
)


TorchRequest = TypedDict(
    "TorchRequest",
    {
        "action": str,  # "profile" | "memory_record" | "memory_snapshot" | "tensors"
        "module": Optional[str],
        "class": Optional[str],
        "method": Optional[str],
        "nested": Optional[str],
        "calls": int,  # profile, memory -r: calls to record
        "limit": int,  # tensors (and memory -s on CPU): the N largest
        "device": Optional[str],
        "file": Optional[str],  # written on the client
        "file_format": Optional[str],  # "json" | "json.gz" | "pickle": what the agent sends for -f
    },
)


class GilstatRequest(TypedDict):
    action: str  # "on" | "off"
    take_ms: float
    hold_ms: float
    interval_s: float
    max_threads: int
    limit: int | None


class HelpRequest(TypedDict):
    command: str | None


class DiagnoseRequest(TypedDict):
    problem: str  # as given: a workflow's name (and target) or free text
    workflow: str  # the workflow it runs (diagnose/router.py)
    routed: str  # for free text: which workflow was chosen and why ("" when named)
    target: list[str]  # module [class] method, or []
    duration: float


VmtoolRequest = Union[InstancesRequest, ForceGcRequest]
TtRequest = Union[TtRecordRequest, TtListRequest, TtIndexRequest, TtDeleteRequest]
