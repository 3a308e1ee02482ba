"""The Python processes on this machine, and which of them are Jupyter kernels (``%flight ps``).

psutil gives CPU and memory; a process counts as Python when its executable or a mapped library
is a CPython (``python3.X`` / ``libpython3.X``). A Jupyter kernel is recognized by its connection
file on the command line (``kernel-<id>.json``); its notebook path comes from the Jupyter
server's sessions when one is known.
"""

from __future__ import annotations

import os
import re
import time

import psutil

from .attach.process import python_version

_KERNEL_FILE = re.compile(r"kernel-([^/\s]+)\.json")
_PYTHON_EXE = re.compile(r"python(\d)(?:\.(\d+))?")


def kernel_id_of(cmdline: list) -> str | None:
    """The kernel id from the connection file name; "" for a kernel with another file name."""
    for arg in cmdline:
        m = _KERNEL_FILE.search(arg)
        if m:
            return m.group(1)
    if any("ipykernel" in arg for arg in cmdline):
        return ""
    return None


def _python_version(proc: psutil.Process) -> str | None:
    """ "3.11" (the attach step's detector), "3" when only the executable's name says Python."""
    try:
        exe = proc.exe()
    except (psutil.Error, OSError):
        return None
    m = _PYTHON_EXE.match(os.path.basename(exe))
    if not m:  # only executables named python* are read further: /proc/<pid>/maps is not free
        return None
    version = python_version(proc.pid, exe)
    return f"{version[0]}.{version[1]}" if version else m.group(1)


def list_python_processes(notebooks: dict | None = None, sample_s: float = 0.1) -> list:
    """[{pid, user, cmdline, python, cpu_percent, rss_bytes, kernel, kernel_id, notebook, self}] by pid,
    with the job fields of jobs.annotate (``job``, ``depth``, ``role``, ``label``, ``ppid``, ...):
    the processes of one job follow its root, depth first.

    ``notebooks`` maps kernel ids to notebook paths (from a Jupyter server's sessions).
    """
    candidates = []
    for proc in psutil.process_iter(["pid", "username", "cmdline"]):
        version = _python_version(proc)
        if version is None:
            continue
        try:
            proc.cpu_percent(None)  # starts the CPU sample
        except psutil.Error:
            continue
        candidates.append((proc, version))
    time.sleep(sample_s)
    out = []
    me = os.getpid()
    for proc, version in candidates:
        try:
            with proc.oneshot():
                cmdline = proc.info["cmdline"] or []
                kernel = kernel_id_of(cmdline)
                out.append(
                    {
                        "pid": proc.pid,
                        "user": proc.info["username"],
                        "cmdline": " ".join(cmdline),
                        "python": version,
                        "cpu_percent": round(proc.cpu_percent(None), 1),
                        "rss_bytes": proc.memory_info().rss,
                        "kernel": kernel is not None,
                        "kernel_id": kernel or None,
                        "notebook": (notebooks or {}).get(kernel) if kernel else None,
                        "self": proc.pid == me,
                    }
                )
        except psutil.Error:
            continue
    from .jobs import annotate

    return annotate(sorted(out, key=lambda p: p["pid"]))  # a job's processes follow its root, as a tree


def running_server_notebooks() -> dict:
    """{kernel id: notebook path} from the sessions of the Jupyter servers of this user."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return {}
    import json
    import urllib.request

    found: dict = {}
    for server in list_running_servers():
        url = server.get("url", "").rstrip("/") + "/api/sessions"
        request = urllib.request.Request(url, headers={"Authorization": f"token {server.get('token', '')}"})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                sessions = json.load(response)
        except (OSError, ValueError):
            continue
        for s in sessions:
            kernel = (s.get("kernel") or {}).get("id")
            if kernel:
                found[kernel] = s.get("path")
    return found


def resolve_kernel(spec: str, notebooks: dict | None = None) -> int:
    """The pid of the kernel named by id (or its prefix) or by notebook name/path."""
    from .errors import FlightError, TargetNotFound

    notebooks = running_server_notebooks() if notebooks is None else notebooks
    kernels = [p for p in list_python_processes(notebooks, sample_s=0.0) if p["kernel_id"]]
    by_id = [p for p in kernels if p["kernel_id"].startswith(spec)]
    if len(by_id) == 1:
        return by_id[0]["pid"]
    by_name = [
        p
        for p in kernels
        if p["notebook"] and (p["notebook"] == spec or os.path.basename(p["notebook"]) in (spec, spec + ".ipynb"))
    ]
    if len(by_name) == 1:
        return by_name[0]["pid"]
    if len(by_id) > 1 or len(by_name) > 1:
        raise FlightError(f"kernel:{spec} matches several kernels; give more of the kernel id")
    known = ", ".join(f"{p['kernel_id'][:8]} ({p['notebook'] or 'no notebook'})" for p in kernels) or "none"
    raise TargetNotFound(f"no kernel matches {spec!r}; kernels on this machine: {known}")
