"""The result records of docs/schema.md (schema v1) as types, for the code that reads them.

Records arrive as JSON from the agent (or are built by the client), so nothing here is checked at
run time: these TypedDicts say what a reader may rely on. Fields a record may lack are in a
``total=False`` part. ``RECORD_TYPES`` maps each kind to its type; ``Record`` is their union,
discriminated on ``kind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Optional, TypedDict, Union

# A record as it comes off the wire, before anything looked at its kind.
AnyRecord = Mapping[str, Any]


# -- value trees ------------------------------------------------------------------------------


class ValueNode(TypedDict, total=False):
    """A node of a value tree: a leaf, a sequence, a mapping, an object, or a gap (``omitted``)."""

    type: str
    repr: str
    len: int
    cut: int  # the full repr's length, when the repr was cut
    cycle: bool
    error: bool  # the repr raised
    cut_any: bool  # on the root: something in the tree was cut
    cut_verbose: bool  # on the root: cut although -v was on
    qualname: str  # a function, method or code object: where it is defined
    file: str
    line: int
    signature: str
    items: list[ValueNode]
    entries: list[Entry]
    attrs: list[Attr]
    omitted: int


class Entry(TypedDict, total=False):
    key: ValueNode
    value: ValueNode
    omitted: int  # a gap among the entries


class Attr(TypedDict, total=False):
    name: str
    value: ValueNode
    omitted: int  # a gap among the attributes


class ExceptionInfo(TypedDict, total=False):
    type: str
    message: str
    traceback: str | None


# -- one-shot commands ------------------------------------------------------------------------


class Frame(TypedDict, total=False):
    function: str
    file: str | None
    line: int | None
    module: str | None
    native: bool
    library: str | None
    code: str  # the source line, added by the client where it can read the file (sourcelines.py)


class Thread(TypedDict, total=False):
    thread_id: int
    native_id: int | None
    name: str | None
    daemon: bool | None
    main: bool | None
    gil: bool | None  # None: unknown (inside the target the agent holds the GIL itself)
    frames: list[Frame]
    frames_omitted: int


class Task(TypedDict, total=False):
    name: str
    state: str  # "waiting" | "pending"
    coroutine: str | None
    thread_id: int | None
    awaiting: str | None
    frames: list[Frame]


class _StackRequired(TypedDict):
    v: int
    kind: Literal["stack"]
    threads: list[Thread]


class StackRecord(_StackRequired, total=False):
    pid: int
    source: Literal["agent", "pystack"]
    native: bool
    tasks: list[Task]


class _ValueRequired(TypedDict):
    v: int
    kind: Literal["value"]
    value: ValueNode


class ValueRecord(_ValueRequired, total=False):
    command: str  # "getglobal" | "vmtool"
    target: str
    expr: str | None
    type: str
    count: int  # vmtool: instances found
    shown: int  # vmtool: instances after -n


class GcRecord(TypedDict):
    v: int
    kind: Literal["gc"]
    collected: int
    uncollectable: int
    counts_before: list[int]


class ReloadRecord(TypedDict):
    v: int
    kind: Literal["reload"]
    target: str  # module[.class].method
    action: Literal["reloaded", "unchanged", "undone"]
    file: str
    line: int  # the def's first line (decorators included)
    diff: list[str]  # unified diff lines, running -> file (or a summary from the code objects)


class ModuleRecord(TypedDict):
    v: int
    kind: Literal["module"]
    file: str
    modules: list[str]


class ConsoleRecord(TypedDict, total=False):
    v: int
    kind: Literal["console"]
    stdout: str
    stderr: str
    value: ValueNode | None
    type: str | None
    error: ExceptionInfo | None


class HelpRecord(TypedDict):
    v: int
    kind: Literal["help"]
    command: str | None
    text: str


class _MessageRequired(TypedDict):
    v: int
    kind: Literal["message"]
    text: str


class MessageRecord(_MessageRequired, total=False):
    stop_hint: str  # a stream's first message: what stopping does; each front door says how


class _ErrorRequired(TypedDict):
    v: int
    kind: Literal["error"]
    message: str


class ErrorRecord(_ErrorRequired, total=False):
    exception: ExceptionInfo  # when a user expression raised


# -- streams ----------------------------------------------------------------------------------


class WatchValue(TypedDict, total=False):
    expr: str
    value: ValueNode
    error: ExceptionInfo  # the expression raised: no value


class FilterError(TypedDict):
    expr: str
    type: str
    message: str


class _CallRequired(TypedDict):
    """The fields every record of one observed call has (watch, trace, tt)."""

    v: int
    index: int
    method: str
    time: float  # epoch seconds, call start
    cost_ms: float


class _CallOptional(TypedDict, total=False):
    thread_id: int
    thread_name: str | None


class _WatchRequired(_CallRequired):
    kind: Literal["watch"]
    values: list[WatchValue]


class WatchRecord(_WatchRequired, _CallOptional, total=False):
    exception: ExceptionInfo | None
    filter_error: FilterError


class MonitorRecord(TypedDict):
    v: int
    kind: Literal["monitor"]
    method: str
    cycle: int
    start: float
    end: float
    calls: int
    successes: int
    failures: int
    avg_ms: float | None  # None when there were no calls
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class Folded(TypedDict):
    count: int
    cost_ms: float


# Functional form: "await" is a keyword, so it cannot be a class attribute.
CallNode = TypedDict(
    "CallNode",
    {
        "function": str,
        "file": Optional[str],
        "line": Optional[int],
        "cost_ms": float,
        "children": list["CallNode"],
        "builtin": bool,
        "await": bool,
        "folded": Optional[Folded],
        "raised": bool,  # the call ended by an exception (only when true)
    },
    total=False,
)


class _TraceRequired(_CallRequired):
    kind: Literal["trace"]
    root: CallNode


class TraceRecord(_TraceRequired, _CallOptional, total=False):
    cut: str  # why the tree was cut, when it was
    exception: ExceptionInfo  # the observed call raised this (its root is marked ``raised``)
    filter_error: FilterError  # -f raised on this call: it is shown anyway


class TtRow(TypedDict, total=False):
    """A recorded call as ``tt -t`` streams it and ``tt -l`` lists it."""

    v: int
    kind: Literal["tt_record"]
    index: int
    method: str
    time: float
    cost_ms: float
    thread_name: str | None
    is_return: bool
    is_exception: bool
    exception: ExceptionInfo | None


class _TtRecordRequired(_CallRequired):
    kind: Literal["tt_record"]
    is_return: bool
    is_exception: bool


class TtRecord(_TtRecordRequired, total=False):
    thread_name: str | None
    exception: ExceptionInfo | None


class _TtListRequired(TypedDict):
    v: int
    kind: Literal["tt_list"]
    records: list[TtRow]


class TtListRecord(_TtListRequired, total=False):
    evicted: int


class _TtDetailRequired(_CallRequired):
    kind: Literal["tt_detail"]
    args: ValueNode
    kwargs: ValueNode


class TtDetailRecord(_TtDetailRequired, _CallOptional, total=False):
    is_return: bool
    is_exception: bool
    target: ValueNode | None
    return_obj: ValueNode | None
    exception: ExceptionInfo | None
    replay_of: int


class EndRecord(TypedDict):
    v: int
    kind: Literal["end"]
    reason: str  # "limit" | "stopped" | "timeout" | "detached"


# -- perf: a sampling profile, read from outside the target (perf/) ---------------------------


class ProfileNode(TypedDict, total=False):
    """A call path of the profile: samples in it (total) and ending in it (self)."""

    function: str
    file: str | None
    line: int | None
    total: int
    self: int
    children: list[ProfileNode]
    native: bool
    base: int  # with --baseline: the baseline's samples on this path


class ProfileThread(TypedDict, total=False):
    thread_id: int
    name: str | None
    samples: int
    root: ProfileNode
    pid: int  # with --subprocesses: the process the thread belongs to


class TopFunction(TypedDict, total=False):
    function: str
    file: str | None
    line: int | None
    self: int
    total: int
    self_pct: float
    total_pct: float
    native: bool


class ProfileFlags(TypedDict):
    native: bool
    idle: bool
    gil: bool
    threads: bool
    subprocesses: bool
    nonblocking: bool


class Pruned(TypedDict):
    nodes: int
    samples: int


class ProfileChange(TypedDict):
    """A function whose share of self samples moved against the baseline (perf/baseline.py)."""

    function: str
    file: str | None
    self_pct: float
    base_self_pct: float
    delta_pct: float  # self_pct - base_self_pct, in percentage points


class _ProfileBaselineRequired(TypedDict):
    source: str
    samples: int


class ProfileBaseline(_ProfileBaselineRequired, total=False):
    changes: list[ProfileChange]


class ProfileFile(TypedDict, total=False):
    path: str
    format: str  # "svg" | "speedscope" | "collapsed"
    bytes: int


class _ProfileRequired(TypedDict):
    v: int
    kind: Literal["profile"]
    pid: int
    samples: int
    rate: int
    root: ProfileNode


class ProfileRecord(_ProfileRequired, total=False):
    engine: str
    engine_version: str
    live: bool  # a snapshot while sampling: the next profile record supersedes it
    errors: int
    achieved_rate: float
    duration_s: float
    lost_s: float
    behind: int  # py-spy's "behind in sampling" warnings
    agent_samples: int  # samples of our agent's own threads, left out
    flags: ProfileFlags
    threads: list[ProfileThread]
    top: list[TopFunction]
    pruned: Pruned
    baseline: ProfileBaseline | None
    file: ProfileFile | None


# -- client-side records: the notebook's and the sidebar's lists -------------------------------


class ProcessRow(TypedDict, total=False):
    pid: int
    user: str | None
    cmdline: str
    python: str | None
    cpu_percent: float | None
    rss_bytes: int
    kernel: bool
    kernel_id: str | None
    notebook: str | None
    self: bool  # the kernel asking
    # its job (jobs.annotate): the root's pid (None: alone), depth in the job's tree, role, label
    ppid: int
    start_time: int
    job: int | None
    depth: int
    role: str | None
    label: str | None
    rank: int | None


class ProcessesRecord(TypedDict):
    v: int
    kind: Literal["processes"]
    processes: list[ProcessRow]


class SessionRow(TypedDict):
    pid: int
    current: bool
    connected: bool
    python: str | None
    executable: str | None


class SessionsRecord(TypedDict):
    v: int
    kind: Literal["sessions"]
    sessions: list[SessionRow]


# -- a job: one command on every process of a job (fanout.py) ----------------------------------


class JobProcess(TypedDict, total=False):
    pid: int
    ppid: int
    start_time: int  # clock ticks since boot: with pid, the process's key
    depth: int  # in the job's tree (the root is 0)
    parent: int | None
    role: str  # launcher, rank, worker, forkserver, resource_tracker, ray, process
    label: str  # "rank 2", "rank 2 worker 0", "launcher (torchrun)"
    rank: int | None
    cmdline: str
    python: bool
    status: str  # ok, timeout, denied, not_python, gone, error, skipped
    reason: str
    source: str  # py-spy, pystack, agent
    stack: list[Frame]  # the main thread's, outermost first (stack only)
    threads: int
    moving: bool  # with samples > 1: whether its stack changed between samples
    records: list[dict]  # a command other than stack: the records it gave


class JobGroup(TypedDict, total=False):
    tier: str  # rank, worker, other: groups are compared within their tier
    count: int
    pids: list[int]
    ranks: list[int] | None
    labels: list[str]
    status: str  # ok, or the status its members share
    reason: str
    stack: list[Frame]
    majority: bool
    diverges_at: int | None  # index in stack of the first frame that differs from the majority's
    moving: list[int]  # with samples > 1: the members whose stacks changed


class JobRecord(TypedDict):
    v: int
    kind: Literal["job"]
    pid: int  # the pid asked
    root: int  # the job's root
    command: str
    samples: int
    by: str  # function or line: what makes two stacks the same
    elapsed_ms: float
    processes: list[JobProcess]
    groups: list[JobGroup]  # smallest first


Record = Union[
    StackRecord,
    ValueRecord,
    GcRecord,
    ModuleRecord,
    ReloadRecord,
    ConsoleRecord,
    HelpRecord,
    MessageRecord,
    ErrorRecord,
    WatchRecord,
    MonitorRecord,
    TraceRecord,
    TtRecord,
    TtListRecord,
    TtDetailRecord,
    EndRecord,
    ProfileRecord,
    ProcessesRecord,
    SessionsRecord,
    JobRecord,
    "MemSummaryRecord",
    "MemDiffRecord",
    "MemRefsRecord",
    "GilStatsRecord",
    "GilEventRecord",
]


class MemTypeRow(TypedDict):
    type: str  # module.qualname ("dict" for builtins)
    count: int
    size: int  # shallow bytes (sys.getsizeof)


class MemSummaryRecord(TypedDict):
    v: int
    kind: Literal["mem_summary"]
    time: float
    rows: list[MemTypeRow]
    types: int  # types seen (rows beyond --limit are left out)
    total_count: int
    total_size: int
    tracked: int
    untracked: int
    rss: int | None
    pss: int | None
    unaccounted: int | None  # rss - total_size
    engine: str  # "c" | "python"
    seconds: float
    longest_hold_ms: float | None  # wall clock: a loaded machine's preemption counts in it
    longest_hold_cpu_ms: float | None  # the same hold's CPU time in the walking thread
    gc_collected: int | None
    order: str


class MemDiffRow(TypedDict, total=False):
    type: str  # by type
    site: str  # by site: file:line of the allocation
    traceback: list[str]  # by site: file:line, oldest first
    count_delta: int
    size_delta: int
    count: int
    size: int


class MemDiffRecord(TypedDict, total=False):
    v: int
    kind: Literal["mem_diff"]
    by: str  # "type" | "site"
    cycle: int
    interval: float
    time: float
    rows: list[MemDiffRow]
    changed: int
    total_count_delta: int
    total_size_delta: int
    total_count: int
    total_size: int
    seconds: float
    engine: str
    rss: int | None
    rss_delta: int | None
    owned: bool  # by site: tracemalloc was started by this diff


class MemChain(TypedDict):
    path: str
    root: str
    length: int
    type: str


class MemRefsRecord(TypedDict):
    v: int
    kind: Literal["mem_refs"]
    target: str
    instances: int
    chains: list[MemChain]
    depth: int
    cut: str | None  # "depth" | "time" | None
    seconds: float


# -- gilstat: per-thread GIL statistics (agent/flight_agent/commands/gilstat.py, native/gil.c) ----


class GilShares(TypedDict):
    takes: int
    hold_ns: int
    wait_ns: int
    drops: int
    drop_ns: int
    avg_hold_ns: int | None  # per drop (per take while it never dropped)
    avg_wait_ns: int | None  # per take
    avg_drop_ns: int | None
    hold_pct: float | None  # of the wall time of the period
    wait_pct: float | None


class GilTotals(GilShares):
    contended: int  # timed waits on the GIL's condition (a take that had to wait 5 ms slices)
    max_hold_ms: float
    max_wait_ms: float


class GilThread(TypedDict):
    name: str
    native_id: int
    thread_id: int
    total: GilTotals  # since on
    last: GilShares  # the last interval


class GilStatsRecord(TypedDict):
    v: int
    kind: Literal["gil_stats"]
    index: int
    final: bool
    elapsed_s: float
    interval_s: float
    time: float
    busy_pct: float
    take_ms: float
    hold_ms: float
    threads: list[GilThread]
    overflow_threads: int
    events_dropped: int
    verdict: str


class GilEventRecord(TypedDict):
    v: int
    kind: Literal["gil_event"]
    thread_name: str
    thread_id: int
    native_id: int
    event: str  # "wait" | "hold"
    duration_ms: float
    threshold_ms: float
    start: float
    time: float
    stack: list[Frame] | None  # a hold: the holder's stack, outermost first
    stack_exact: bool | None  # the stack is the one of the hold (the thread had not run since)


# -- torch: a live PyTorch job (commands/torch.py, agent commands/torch/) ---------------------


class TorchShapes(TypedDict):
    shapes: str  # the input shapes of one group of calls, as torch lists them
    calls: int


class TorchOp(TypedDict):
    name: str
    calls: int
    self_cpu_us: float
    cpu_total_us: float
    self_device_us: float | None  # CUDA (None without CUDA)
    device_total_us: float | None
    self_cpu_memory: int  # bytes allocated minus freed by the op itself
    self_device_memory: int | None
    shapes: list[TorchShapes]


class TorchEvent(TypedDict, total=False):
    name: str
    cat: str | None  # cpu_op, python_function, cpu_instant_event, kernel, ...
    ph: str  # "X" a span, "i" an instant
    ts: float  # us from the first event
    dur: float
    pid: int
    tid: int
    bytes: int  # [memory] instants: allocated (+) or freed (-)
    total: int  # [memory] instants: the allocator's total then


class TorchTraceRow(TypedDict):
    pid: int
    tid: int
    name: str  # the thread's name (threading's for the profiled thread) or "stream N"
    process: str


class TorchTrace(TypedDict):
    events: list[TorchEvent]
    events_total: int
    truncated: bool  # the longest events kept
    rows: list[TorchTraceRow]
    duration_us: float


class TorchProfileRecord(TypedDict, total=False):
    v: int
    kind: Literal["torch_profile"]
    method: str
    calls: int
    calls_asked: int
    device: str  # "cpu" or "cuda:N"
    cost_ms: list[float]
    threads: list[str]
    ops: list[TorchOp]
    ops_total: int
    self_cpu_us: float
    self_device_us: float | None
    trace: TorchTrace


class TorchTimeline(TypedDict):
    t_us: list[float]
    allocated: list[int]
    reserved: list[int] | None  # CUDA only


class TorchCategoryTimeline(TypedDict):
    t_us: list[float]
    series: dict[str, list[int]]  # parameters, gradients, activations, optimizer state, ...


class TorchLiveCategory(TypedDict):
    category: str
    bytes: int


class TorchLiveStack(TypedDict):
    stack: str  # innermost first: "aten::mm < train.py(44): train_step < ..."
    bytes: int
    blocks: int


class TorchAtPeak(TypedDict):
    categories: list[TorchLiveCategory]
    stacks: list[TorchLiveStack]


class TorchMemoryRecord(TypedDict, total=False):
    v: int
    kind: Literal["torch_memory"]
    method: str
    calls: int
    calls_asked: int
    device: str
    cost_ms: list[float]
    threads: list[str]
    source: str  # "profiler memory events" | "cuda memory history"
    timeline: TorchTimeline
    category_timeline: TorchCategoryTimeline | None
    peak_bytes: int
    peak_t_us: float | None
    call_peak_bytes: int  # the peak of what the call itself allocated
    at_peak: TorchAtPeak
    notes: list[str]


class TorchSegment(TypedDict):
    device: int
    address: int
    stream: int
    type: str | None  # "large" | "small" pool
    total_bytes: int
    allocated_bytes: int
    largest_free_bytes: int
    blocks: int


class TorchBlock(TypedDict):
    bytes: int
    requested_bytes: int
    address: int
    stack: list[str]


class TorchSnapshotRecord(TypedDict, total=False):
    v: int
    kind: Literal["torch_snapshot"]
    segments: int
    reserved_bytes: int
    allocated_bytes: int
    free_bytes: int
    largest_free_bytes: int
    fragmentation: float  # 1 - largest free block / cached free bytes
    segment_rows: list[TorchSegment]
    largest_blocks: list[TorchBlock]
    history: bool
    stats: dict[str, int]


class TorchTensorGroup(TypedDict):
    device: str
    dtype: str
    shape: list[int]
    count: int
    bytes: int


class TorchTensor(TypedDict):
    name: str | None  # model.fc1.weight, opt.state[...]['exp_avg'], a global; None: not cheap to know
    device: str
    dtype: str
    shape: list[int]
    bytes: int
    requires_grad: bool
    parameter: bool


class TorchDeviceTotal(TypedDict):
    device: str
    bytes: int
    storage_bytes: int  # counting shared storages once


class TorchTensorsRecord(TypedDict):
    v: int
    kind: Literal["torch_tensors"]
    device_filter: str | None
    tensors: int
    total_bytes: int
    devices: list[TorchDeviceTotal]
    rows: list[TorchTensorGroup]
    rows_total: int
    largest: list[TorchTensor]


class ExceptionFrame(TypedDict):
    function: str
    file: str
    line: int
    module: str | None


class ExceptionSite(ExceptionFrame):
    count: int  # exceptions of the group this ``except`` kept


class ExceptionExample(TypedDict):
    message: str
    thread_name: str
    time: float
    stack: list[ExceptionFrame]  # outermost first, down to the raising frame


class ExceptionThreadCount(TypedDict):
    name: str
    count: int


class ExceptionGroup(TypedDict):
    type: str
    type_module: str | None
    pattern: str  # the message with numbers and ids folded (<n>, <hex>, <uuid>, <id>)
    count: int
    first: float
    last: float
    threads: list[ExceptionThreadCount]  # at most 3
    samples: list[str]  # up to 3 distinct messages
    caught: list[ExceptionSite]  # where they were caught (process-wide only), most first
    caught_elsewhere: int  # past the 5 sites kept
    not_caught: int  # no Python code caught them (caught in C, still on their way, or fatal)
    function: str  # the raising function (qualified)
    module: str | None
    file: str
    line: int
    example: ExceptionExample


class ExceptionCount(TypedDict):
    type: str
    count: int


class ExceptionsRecord(TypedDict):
    v: int
    kind: Literal["exceptions"]
    mechanism: str  # sys.monitoring | probe
    scope: str  # process | method
    method: str | None
    tool_id: int | None  # the sys.monitoring tool id used (freed at the end)
    duration_s: float
    reason: str  # why it ended: timeout | stopped | detached
    raised: int
    groups: list[ExceptionGroup]  # most raised first, at most 200
    overflow: list[ExceptionCount]  # past the group limit, by type
    fate_tracked: bool  # whether ``caught`` / ``not_caught`` are known


class DiagnosisFinding(TypedDict):
    title: str
    evidence: str  # one sentence naming threads, locks, functions, files:lines, figures
    records: list[int]  # indexes of the records of this run it rests on (0: the first)


class DiagnosisRecord(TypedDict):
    v: int
    kind: Literal["diagnosis"]
    problem: str  # as the user said it
    workflow: str  # hang | slow | ...
    classification: str  # hang: deadlock | lock_wait | waiting | running | stuck
    confidence: float  # 0..1
    summary: str
    cause: str  # the likely cause and what to change
    findings: list[DiagnosisFinding]
    next: list[str]  # command lines to run next (each parses)
    missing: list[str]  # steps' commands this version does not have
    stopped: bool  # Stop / Ctrl-C / --timeout ended the run early: what the steps so far found


RECORD_TYPES: dict[str, type] = {
    "stack": StackRecord,
    "value": ValueRecord,
    "gc": GcRecord,
    "module": ModuleRecord,
    "reload": ReloadRecord,
    "console": ConsoleRecord,
    "help": HelpRecord,
    "message": MessageRecord,
    "error": ErrorRecord,
    "watch": WatchRecord,
    "monitor": MonitorRecord,
    "trace": TraceRecord,
    "tt_record": TtRecord,
    "tt_list": TtListRecord,
    "tt_detail": TtDetailRecord,
    "end": EndRecord,
    "profile": ProfileRecord,
    "processes": ProcessesRecord,
    "sessions": SessionsRecord,
    "torch_profile": TorchProfileRecord,
    "torch_memory": TorchMemoryRecord,
    "torch_snapshot": TorchSnapshotRecord,
    "torch_tensors": TorchTensorsRecord,
    "job": JobRecord,
    "mem_summary": MemSummaryRecord,
    "mem_diff": MemDiffRecord,
    "mem_refs": MemRefsRecord,
    "gil_stats": GilStatsRecord,
    "gil_event": GilEventRecord,
    "diagnosis": DiagnosisRecord,
    "exceptions": ExceptionsRecord,
}
