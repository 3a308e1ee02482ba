"""Shared helpers for the benchmarks in bench/ (stdlib only).

Targets are started as child processes, tracked here, and killed on exit (normal exit, exception,
Ctrl-C or SIGTERM). Agents are detached before their target is killed.
"""

from __future__ import annotations

import atexit
import datetime
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS_DIR = os.path.join(HERE, "results")
VENV_BIN = os.path.join(REPO, ".venv", "bin")
PYENV = "/root/.pyenv/versions"

_children: list[subprocess.Popen] = []
_sessions: list = []
_tempdirs: list[str] = []


def pyenv_python(version: str) -> str:
    return os.path.join(PYENV, version, "bin", "python")


def tool(name: str) -> str:
    """A console script of the venv (flight_profiler, py-spy), else from PATH."""
    path = os.path.join(VENV_BIN, name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found (looked in {VENV_BIN} and PATH)")
    return found


def make_tempdir(prefix: str) -> str:
    path = tempfile.mkdtemp(prefix=prefix)
    _tempdirs.append(path)
    return path


def write_script(prefix: str, source: str) -> str:
    """A target script in a fresh temporary folder (removed by cleanup()); returns its path."""
    path = os.path.join(make_tempdir(prefix), "target.py")
    with open(path, "w") as f:
        f.write(source)
    return path


def print_problems(problems: list) -> None:
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems[:40]:
            print("  " + p)


def start_target(
    python: str, script: str, *args: str, stderr_path: str, ready_timeout: float = 20.0
) -> subprocess.Popen:
    """Start a target and wait until it prints 'ready' (its threads are up and its main loop runs).

    Its stderr goes to stderr_path (read back with target_stderr) so that anything the agent
    prints into the target is seen.
    """
    with open(stderr_path, "w") as err_file:
        proc = subprocess.Popen(
            [python, script, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
            start_new_session=True,  # Ctrl-C and signals sent by debuggers do not reach it or us; cleanup() kills it
        )
    proc.stderr_path = stderr_path
    _children.append(proc)
    ready, _, _ = select.select([proc.stdout], [], [], ready_timeout)
    line = proc.stdout.readline() if ready else ""  # the target flushes 'ready' once everything runs
    if line.strip() != "ready":
        kill_target(proc)
        err = target_stderr(proc)
        raise RuntimeError(f"target {script} did not become ready (got {line!r}) {err}")
    return proc


def target_stderr(proc: subprocess.Popen) -> str:
    try:
        with open(proc.stderr_path) as f:
            return f.read()
    except (OSError, AttributeError):
        return ""


def track_session(session) -> None:
    _sessions.append(session)


def detach_quietly(session) -> str | None:
    """Detach the agent of a session; returns an error text or None."""
    try:
        if session in _sessions:
            _sessions.remove(session)
        list(session.detach())
        return None
    except Exception as e:  # noqa: BLE001 - reported, never raised
        return f"{type(e).__name__}: {e}"


def kill_target(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    if proc in _children:
        _children.remove(proc)
    forget_runtime_files(proc.pid)


def forget_runtime_files(pid: int) -> None:
    """Remove what our tool leaves in its runtime dir for a pid that is gone (the lock stays after detach)."""
    directory = f"/tmp/jupyterlab-flight-{os.geteuid()}"
    for name in (f"agent-{pid}.sock", f"agent-{pid}.token", f"agent-{pid}.error", f"inject-{pid}.lock"):
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


def track_child(proc: subprocess.Popen) -> None:
    _children.append(proc)


def cleanup() -> None:
    for session in list(_sessions):
        detach_quietly(session)
    for proc in list(_children):
        kill_target(proc)
    for path in list(_tempdirs):
        shutil.rmtree(path, ignore_errors=True)
        _tempdirs.remove(path)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def install_cleanup() -> None:
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, _on_sigterm)


def thread_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return -1


def diagnose(pid: int, timeout: float = 15.0) -> str:
    """Native + Python stacks of every thread of pid (py-spy), to explain a failed or hung trial."""
    try:
        done = subprocess.run(
            [tool("py-spy"), "dump", "--native", "--pid", str(pid)], capture_output=True, text=True, timeout=timeout
        )
        return (done.stdout + done.stderr)[-4000:]
    except (subprocess.TimeoutExpired, OSError, SystemExit) as e:
        return f"(py-spy dump failed: {e})"


def gdb_backtrace(pid: int, timeout: float = 20.0) -> str:
    """Native backtraces of every thread of pid, read with gdb (py-spy cannot merge frames mid-gdb-call)."""
    cmd = ["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 12"]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, DEBUGINFOD_URLS=""), start_new_session=True)  # fmt: skip
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith(("#", "Thread"))]
        return "\n".join(lines)[-4000:]
    except (subprocess.TimeoutExpired, OSError) as e:
        return f"(gdb backtrace failed: {e})"


def git_state() -> dict:
    try:
        head = subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
        ).stdout
        return {"head": head, "modified_files": [line[3:] for line in dirty.splitlines()]}
    except OSError:
        return {}


def summary(samples_s: list[float]) -> dict:
    """median/min/max/p90 in milliseconds (p90: linear interpolation between order statistics)."""
    ms = sorted(s * 1000.0 for s in samples_s)
    if not ms:
        return {"n": 0}
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[8] if len(ms) > 1 else ms[0]
    return {"n": len(ms), "median": statistics.median(ms), "min": ms[0], "max": ms[-1], "p90": p90}


def python_version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    )
    return out.stdout.strip()


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "kernel": platform.release(), "bench_python": platform.python_version(),
            "loadavg_at_end": os.getloadavg()}  # fmt: skip
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        pass
    return info


def write_results(name: str, payload: dict) -> str:
    os.makedirs(RESULTS_DIR, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(RESULTS_DIR, f"{name}-{stamp}.json")
    payload = dict(
        payload,
        machine=machine_info(),
        git=git_state(),
        argv=sys.argv,
        finished=datetime.datetime.now().isoformat(timespec="seconds"),
    )
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
    return path


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:8.1f}"


def print_table(title: str, rows: list[tuple[str, dict, str]]) -> None:
    """rows: (label, summary dict, extra column text)."""
    print()
    print(title)
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'':{width}}  {'n':>3} {'median':>8} {'p90':>8} {'min':>8} {'max':>8}  (ms)")
    for label, s, extra in rows:
        if not s.get("n"):
            print(f"{label:{width}}  {0:>3} {'(no successful runs)':>35}  {extra}")
            continue
        print(
            f"{label:{width}}  {s['n']:>3} {fmt(s['median'])} {fmt(s['p90'])} {fmt(s['min'])} {fmt(s['max'])}  {extra}"
        )
