"""Demo targets that live exactly as long as the notebook kernel that started them.

In the notebook (its first cell): ``service = start("slow_service.py")`` runs that script of
binder/ as a new process, waits until it says it is ready and returns it (``service.pid``);
the last cell calls ``service.stop()``.

In the target: ``serve_until_parent_exits()`` at the end of the script. The main thread reads
its stdin, a pipe whose only writer is the kernel, and ends the process at end of file. The
kernel's end of the pipe is closed by the kernel (``stop()``) or by the operating system when
the kernel dies in any way, SIGKILL included; nothing polls.

Why a pipe rather than the alternatives: ``prctl(PR_SET_PDEATHSIG)`` is Linux-only and fires
when the *thread* that forked exits, not the process (a kernel that starts the target from a
worker thread would lose it early); polling ``os.getppid()`` wakes the target every interval,
which shows in the very profiles the demos take. The target also runs in a session of its own
(``start_new_session``) so that the kernel's interrupt (the stop button, sent to the kernel's
process group) does not stop it.
"""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
READY = "ready"
START_TIMEOUT_S = 120.0  # a cold `import torch` on a loaded machine


class DemoTarget:
    """A running demo target: ``pid``, ``log`` (its stderr: torch's profiler, say, is chatty
    there, and the notebook should show our results, not that), ``stop()``."""

    def __init__(self, process: subprocess.Popen, log: str):
        self.process = process
        self.pid = process.pid
        self.log = log

    def stop(self, timeout: float = 10.0) -> str:
        """Close the pipe (the target ends itself); kill it if it has not after ``timeout``."""
        if self.process.poll() is None and self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        try:
            os.unlink(self.log)
        except OSError:
            pass
        return f"demo target {self.pid} stopped"

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"ended ({self.process.returncode})"
        return f"<demo target {os.path.basename(self.process.args[-1])} pid {self.pid}, {state}>"


def start(script: str, python: str | None = None, *args: str) -> DemoTarget:
    """Start binder/``script`` under ``python`` (default: this kernel's interpreter) and wait
    for its ready line."""
    import selectors
    import tempfile
    import time

    fd, log = tempfile.mkstemp(prefix=f"{os.path.splitext(script)[0]}-", suffix=".log")
    with os.fdopen(fd, "w") as stderr:
        process = subprocess.Popen(
            [python or sys.executable, "-u", os.path.join(HERE, script), *args],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
    target = DemoTarget(process, log)
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT_S
        line = ""
        while not line.startswith(READY):
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                target.stop(0)
                raise RuntimeError(f"{script} did not get ready in {START_TIMEOUT_S:.0f} s")
            line = process.stdout.readline()
            if not line:
                with open(log) as f:
                    tail = f.read()[-2000:]
                raise RuntimeError(f"{script} ended before it was ready (exit status {process.wait()}):\n{tail}")
    return target


def serve_until_parent_exits() -> None:
    """In the target: say it is ready, then hold the main thread until the kernel's end of
    stdin closes, and end the process (its other threads included)."""
    _let_siblings_trace()
    print(f"{READY} pid {os.getpid()}", flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def _let_siblings_trace() -> None:
    """Under Yama's ptrace_scope 1 (many distributions, some container hosts) only a process's
    ancestors may trace it, and py-spy and the injector run beside the target, not above it:
    let this user's other processes trace this demo (PR_SET_PTRACER_ANY). No-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_ptracer, ptracer_any = 0x59616D61, ctypes.c_ulong(-1)
        libc.prctl(pr_set_ptracer, ptracer_any, 0, 0, 0)
    except (OSError, AttributeError):
        pass
