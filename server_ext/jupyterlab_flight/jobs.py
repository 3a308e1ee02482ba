"""A job's processes on this machine, found and labelled from any pid in it, without attaching.

A training job is a tree: the launcher (``torchrun``), one process per rank (``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, ``TORCHELASTIC_RUN_ID`` in its environment), each with forked
DataLoader workers; a service is a gunicorn or uvicorn master with workers, a multiprocessing
pool, a Ray node's workers. Everything here is read from ``/proc`` (stat, cmdline, comm,
environ), which the same user may read even where ptrace is restricted, so nothing is paused or
injected.

From the pid given, the job's root is found by going up from a process to its parent while the
process belongs to its parent's job: a rank to its launcher (``RANK`` in its environment), a
forked child (the same command line: pool, DataLoader and gunicorn workers), a multiprocessing
spawn or forkserver child; never into a process that is not Python (the shell that started the
job), a Jupyter server, another user's process, nor past a kernel. The job is the root and all its
descendants, plus, when the ranks carry a ``TORCHELASTIC_RUN_ID``, the other processes of this
user with the same run id (a job whose ranks were started by separate launchers). Each process
is keyed by its pid and start time (``key``), so a pid reused later is never taken for it.

Roles and labels (``role`` / ``label``):

- ``launcher``: the root of a job that has ranks or workers (``torchrun``, ``torch.distributed.run``,
  a gunicorn or uvicorn master, a pool's parent);
- ``rank``: ``RANK`` (else ``LOCAL_RANK``) in its environment: "rank 2";
- ``worker``: a child of a rank: "rank 2 worker 0" (DataLoader workers name their main thread
  ``pt_data_worker``; forked children have no other mark), numbered by start time;
- ``gunicorn``/``uvicorn`` workers, ``ray`` workers (title ``ray::...``), multiprocessing
  ``spawn``/``forkserver``/``resource_tracker`` processes and forked ``pool`` children;
- ``process``: anything else in the tree (a shell a rank started, a compiler).
"""

from __future__ import annotations

import os
import re

_RANK_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "TORCHELASTIC_RUN_ID", "GROUP_RANK")
_PYTHON_EXE = re.compile(r"^python(\d(\.\d+)?)?$|^pypy")
_LAUNCHERS = ("torchrun", "torch.distributed.run", "torch.distributed.launch", "torch/distributed/run.py")
_JUPYTER_SERVERS = ("jupyter-lab", "jupyter-server", "jupyter-notebook", "jupyterlab", "jupyter_server", "notebook.app")
_KERNEL = re.compile(r"kernel-[^/\s]+\.json|ipykernel")


def _read(path: str, binary: bool = False):
    with open(path, "rb" if binary else "r") as f:
        return f.read()


def _stat(pid: int) -> tuple | None:
    """(ppid, start time in ticks, comm) from /proc/PID/stat, or None when the process is gone."""
    try:
        data = _read(f"/proc/{pid}/stat")
    except OSError:
        return None
    open_paren, close_paren = data.index("("), data.rindex(")")
    fields = data[close_paren + 2 :].split()
    return int(fields[1]), int(fields[19]), data[open_paren + 1 : close_paren]


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _cmdline(pid: int) -> list:
    try:
        raw = _read(f"/proc/{pid}/cmdline", binary=True)
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _environ(pid: int) -> dict:
    """The job variables of a process's environment (as set at exec); {} when unreadable."""
    try:
        raw = _read(f"/proc/{pid}/environ", binary=True)
    except OSError:
        return {}
    out = {}
    for item in raw.split(b"\0"):
        name, _, value = item.partition(b"=")
        text = name.decode("ascii", "replace")
        if text in _RANK_VARS:
            out[text] = value.decode("utf-8", "replace")
    return out


def process_table() -> dict:
    """{pid: (ppid, start time, comm)} of every process visible in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            found = _stat(int(name))
            if found is not None:
                table[int(name)] = found
    return table


def _children_map(table: dict) -> dict:
    children: dict = {}
    for pid, (ppid, start, _) in table.items():
        children.setdefault(ppid, []).append((start, pid))
    return {ppid: [pid for _, pid in sorted(kids)] for ppid, kids in children.items()}


def _is_python(pid: int, cmdline: list, comm: str) -> bool:
    try:
        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        exe = os.path.basename(cmdline[0]) if cmdline else comm
    return bool(_PYTHON_EXE.match(exe)) or exe.startswith("python")


def _joined(cmdline: list) -> str:
    return " ".join(cmdline)


def _is_jupyter_server(cmdline: list) -> bool:
    text = _joined(cmdline[:3])
    return any(name in text for name in _JUPYTER_SERVERS) and not _KERNEL.search(_joined(cmdline))


def _is_kernel(cmdline: list) -> bool:
    return bool(_KERNEL.search(_joined(cmdline)))


def _belongs_to_parent(pid: int, cmdline: list, ppid: int, parent_cmdline: list) -> bool:
    """Whether ``pid`` is part of its parent's job: a rank (its launcher), a forked child (the same
    command line: pool and DataLoader workers, gunicorn workers), a multiprocessing spawn or
    forkserver child, a uvicorn worker."""
    if "RANK" in _environ(pid) or "LOCAL_RANK" in _environ(pid):
        return True
    if cmdline == parent_cmdline or _mp_role(cmdline) is not None:
        return True
    return False


def find_root(pid: int, table: dict | None = None) -> int:
    """The job's root above ``pid``: up from a process to its parent while it belongs to its parent's
    job (_belongs_to_parent), the parent is Python, of the same user, not a Jupyter server; a
    kernel is a root."""
    table = process_table() if table is None else table
    if pid not in table:
        from .errors import TargetNotFound

        raise TargetNotFound(f"no process with pid {pid}")
    uid = _uid(pid)
    current = pid
    cmdline = _cmdline(current)
    while True:
        if _is_kernel(cmdline):
            return current
        ppid = table[current][0]
        if ppid <= 1 or ppid not in table or _uid(ppid) != uid:
            return current
        parent_cmdline = _cmdline(ppid)
        if not _is_python(ppid, parent_cmdline, table[ppid][2]) or _is_jupyter_server(parent_cmdline):
            return current
        if not _belongs_to_parent(current, cmdline, ppid, parent_cmdline):
            return current
        current, cmdline = ppid, parent_cmdline


def _descendants(root: int, children: dict, table: dict) -> list:
    """(pid, depth, parent) of the job under ``root``, depth first, children by start time: the
    children that belong to their parent's job (_belongs_to_parent), and those that are not Python
    (a shell, a compiler, ``nvidia-smi``: shown, never asked); a Python child with a job of its own
    (a script that another one started) is left out."""
    out = []
    stack: list = [(root, 0, None, _cmdline(root))]
    while stack:
        pid, depth, parent, cmdline = stack.pop()
        out.append((pid, depth, parent))
        for child in reversed(children.get(pid, [])):
            if child not in table:
                continue
            child_cmdline = _cmdline(child)
            python = _is_python(child, child_cmdline, table[child][2])
            if python and not _belongs_to_parent(child, child_cmdline, pid, cmdline):
                continue
            stack.append((child, depth + 1, pid, child_cmdline))
    return out


def _program(cmdline: list, comm: str) -> str:
    """What a Python command line runs: the script's name, ``-m module``, or the command's name."""
    words = cmdline[1:]
    for i, word in enumerate(words):
        if word == "-m" and i + 1 < len(words):
            return words[i + 1]
        if word == "-c":
            return "python -c"
        if not word.startswith("-"):
            return os.path.basename(word)
    return comm


def _mp_role(cmdline: list) -> str | None:
    text = _joined(cmdline)
    if "multiprocessing.spawn import spawn_main" in text or "multiprocessing-fork" in text:
        return "spawn"
    if "multiprocessing.forkserver" in text:
        return "forkserver"
    if "multiprocessing.resource_tracker" in text or "multiprocessing.semaphore_tracker" in text:
        return "resource_tracker"
    return None


def _describe(pid: int, table: dict, depth: int, parent: int | None) -> dict:
    ppid, start, comm = table[pid]
    cmdline = _cmdline(pid)
    env = _environ(pid)
    rank = env.get("RANK", env.get("LOCAL_RANK"))
    return {
        "pid": pid,
        "ppid": ppid,
        "start_time": start,
        "key": f"{pid}:{start}",
        "depth": depth,
        "parent": parent,
        "comm": comm,
        "cmdline": _joined(cmdline)[:300],
        "python": _is_python(pid, cmdline, comm),
        "rank": int(rank) if rank is not None and rank.isdigit() else None,
        "local_rank": int(env["LOCAL_RANK"]) if env.get("LOCAL_RANK", "").isdigit() else None,
        "world_size": int(env["WORLD_SIZE"]) if env.get("WORLD_SIZE", "").isdigit() else None,
        "run_id": env.get("TORCHELASTIC_RUN_ID"),
        "role": "process",
        "label": comm,
        "_cmdline": cmdline,
    }


def _label(processes: list) -> None:
    by_pid = {p["pid"]: p for p in processes}
    worker_counts: dict = {}
    for p in processes:  # depth first: a parent is labelled before its children
        cmdline, parent = p.pop("_cmdline"), by_pid.get(p["parent"])
        text = _joined(cmdline)
        mp = _mp_role(cmdline)
        if p["rank"] is not None and (parent is None or parent["rank"] != p["rank"]):
            p["role"], p["label"] = "rank", f"rank {p['rank']}"
        elif p["comm"].startswith("ray::") or text.startswith("ray::"):
            p["role"], p["label"] = "ray", p["comm"] if p["comm"].startswith("ray::") else cmdline[0]
        elif "gunicorn" in text:  # titles "gunicorn: master [app]" / "gunicorn: worker [app]", or none
            master = parent is None or "gunicorn" not in parent.get("cmdline", "")
            p["role"], p["label"] = ("launcher", "gunicorn master") if master else ("worker", "gunicorn worker")
        elif parent is not None and parent["role"] == "forkserver":
            p["role"], p["label"] = "worker", "forkserver child"
        elif mp in ("forkserver", "resource_tracker"):
            p["role"], p["label"] = mp, f"multiprocessing {mp.replace('_', ' ')}"
        elif parent is not None and parent["role"] in ("rank", "worker") and p["python"]:
            owner = parent if parent["role"] == "rank" else by_pid.get(parent["parent"]) or parent
            index = worker_counts.get(owner["pid"], 0)
            worker_counts[owner["pid"]] = index + 1
            kind = "DataLoader worker" if p["comm"] == "pt_data_worker" else "worker"
            p["role"] = "worker"
            p["label"] = f"{owner['label']} {kind} {index}" if owner["role"] == "rank" else f"{kind} {index}"
        elif parent is not None and mp == "spawn":
            server = "uvicorn" in parent.get("cmdline", "")
            p["role"], p["label"] = "worker", ("uvicorn worker" if server else "spawned child")
        elif parent is not None and p["python"] and parent["python"]:
            p["role"], p["label"] = "worker", "forked child" if p["cmdline"] == parent["cmdline"] else "child"
        if parent is None:  # the root
            text_root = _joined(cmdline[:3])
            if any(name in text_root for name in _LAUNCHERS):
                p["role"], p["label"] = "launcher", "launcher (torchrun)"
            elif len(processes) > 1 and p["role"] == "process":
                p["role"] = "launcher"
                p["label"] = (
                    "uvicorn master" if "uvicorn" in text_root else f"launcher ({_program(cmdline, p['comm'])})"
                )


def find_job(pid: int) -> dict:
    """The job that ``pid`` belongs to: {"root", "pid" (asked), "processes": [...] depth first}."""
    table = process_table()
    root = find_root(pid, table)
    children = _children_map(table)
    members = _descendants(root, children, table)
    processes = [_describe(p, table, depth, parent) for p, depth, parent in members if p in table]
    run_ids = {p["run_id"] for p in processes if p["run_id"]}
    if run_ids:  # ranks of the same run started elsewhere on this machine
        seen = {p["pid"] for p in processes}
        uid = _uid(root)
        for other in sorted(table):
            if other in seen or _uid(other) != uid:
                continue
            env = _environ(other)
            if env.get("TORCHELASTIC_RUN_ID") in run_ids:
                other_root = find_root(other, table)
                for p, depth, parent in _descendants(other_root, children, table):
                    if p not in seen and p in table:
                        seen.add(p)
                        processes.append(_describe(p, table, depth, parent))
    if _is_ray_worker(root, table):  # a Ray node's workers are the raylet's children: gather them
        seen = {p["pid"] for p in processes}
        uid = _uid(root)
        for other in sorted(table):
            if other not in seen and _uid(other) == uid and _is_ray_worker(other, table):
                for p, depth, parent in _descendants(other, children, table):
                    if p not in seen:
                        seen.add(p)
                        processes.append(_describe(p, table, depth, parent))
    _label(processes)
    return {"root": root, "pid": pid, "processes": processes}


def _is_ray_worker(pid: int, table: dict) -> bool:
    """A Ray worker: its title (``ray::Class.method``, ``ray::IDLE``) or Ray's worker script."""
    if table[pid][2].startswith("ray::"):
        return True
    cmdline = _cmdline(pid)
    return bool(cmdline) and (
        cmdline[0].startswith("ray::") or "ray/_private/workers/default_worker.py" in " ".join(cmdline)
    )


def job_members(job: dict, ranks_only: bool = False) -> list:
    """The processes a fanned-out command runs on: every Python process of the job (``ranks_only``:
    the ranks, or every Python process when there are none)."""
    python = [p for p in job["processes"] if p["python"]]
    if ranks_only:
        ranks = [p for p in python if p["role"] == "rank"]
        return ranks or python
    return python


def annotate(processes: list) -> list:
    """``%flight ps`` and the sidebar: each process dict gets ``ppid``, ``start_time``, ``job``
    (the pid of its job's root, or None when it is alone), ``depth``, ``role`` and ``label``;
    members of one job follow their root, depth first."""
    table = process_table()
    children = _children_map(table)
    by_pid = {p["pid"]: p for p in processes}
    roots: dict = {}
    for p in processes:
        try:
            roots.setdefault(find_root(p["pid"], table), []).append(p["pid"])
        except Exception:
            continue
    placed: set = set()
    ordered = []
    for root in sorted(roots):
        members = [(pid, depth, parent) for pid, depth, parent in _descendants(root, children, table) if pid in table]
        described = [_describe(pid, table, depth, parent) for pid, depth, parent in members]
        _label(described)
        in_job = [d for d in described if d["pid"] in by_pid and d["pid"] not in placed]
        alone = len(in_job) <= 1 and len(described) <= 1
        for d in in_job:
            p = by_pid[d["pid"]]
            placed.add(d["pid"])
            p.update(
                ppid=d["ppid"],
                start_time=d["start_time"],
                job=None if alone else root,
                depth=0 if alone else d["depth"],
                role=None if alone else d["role"],
                label=None if alone else d["label"],
                rank=d["rank"],
            )
            ordered.append(p)
    for p in processes:
        if p["pid"] not in placed:
            p.update(job=None, depth=0, role=None, label=None, rank=None)
            ordered.append(p)
    return ordered
