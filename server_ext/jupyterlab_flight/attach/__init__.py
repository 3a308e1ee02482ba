"""Attach to a target: find a running agent and reuse it, or inject one.

    client = attach(pid)      # an authenticated AgentClient

Steps: check the process (process.py), look for its agent's token and socket in the target
user's runtime directory (reuse; stale files of other agents are removed first), else start one
(inject.py) and wait for it to come up.
"""

from __future__ import annotations

import fcntl
import json
import os
import time

from flight_agent import runtime

from ..client import AgentClient, agent_paths, runtime_dir_for
from ..errors import AgentRefused, AttachFailed, FlightError
from .inject import inject_agent
from .process import TargetProcess, inspect_process

ATTACH_TIMEOUT_S = 10.0  # the agent's thread must win the GIL; busy targets take longer


def _read_token(paths: dict, target: TargetProcess) -> dict | None:
    try:
        with open(paths["token"]) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    # A token left by a dead process whose pid was reused is not this target's.
    if info.get("pid") != target.pid or info.get("start_time") != target.start_time:
        return None
    return info


def find_agent(target: TargetProcess, timeout: float = 2.0) -> AgentClient | None:
    """Connect to the target's running agent, or None if it has none."""
    remove_stale_files(target.uid)
    paths = agent_paths(target.uid, target.pid)
    info = _read_token(paths, target)
    if info is None:
        return None
    try:
        return AgentClient.connect(target.pid, paths["socket"], info["token"], timeout=timeout)
    except FlightError:
        return None


def _wait_for_agent(target: TargetProcess, token: str, deadline: float, timeout: float, reused: bool) -> AgentClient:
    """Connect as soon as the new agent listens, with the token we gave it."""
    paths = agent_paths(target.uid, target.pid)
    while time.monotonic() < deadline:
        if os.path.exists(paths["error"]):
            raise AttachFailed(f"the agent failed to start in pid {target.pid}: {_boot_error(paths['error'])}")
        if os.path.exists(paths["socket"]):
            try:
                return AgentClient.connect(target.pid, paths["socket"], token, timeout=2.0)
            except AgentRefused:  # an agent that was already there, with its own token
                existing = find_agent(target)
                if existing is not None:
                    return existing
            except FlightError:
                pass  # not listening yet: try again
        time.sleep(0.001)
    waiting = (
        "the boot thread of an earlier try is still waiting for it (this try gave it its code: no other was started)"
        if reused
        else "the agent's boot thread waits for it (a later try reuses that thread)"
    )
    raise AttachFailed(
        f"pid {target.pid} did not start the agent within {timeout:g} s: a thread may hold the GIL without "
        f"releasing it (a long C call?); {waiting}. 'stack --native' still reads the process from outside: "
        f"flight_profiler {target.pid} --cmd 'stack --native'"
    )


def _boot_error(path: str) -> str:
    """The last line of the traceback the bootstrap left (it may still be writing it)."""
    detail = ""
    for _ in range(50):
        try:
            with open(path) as f:
                detail = json.load(f).get("error", "")
            break
        except (OSError, ValueError):
            time.sleep(0.005)
    try:
        os.unlink(path)
    except OSError:
        pass
    return detail.strip().splitlines()[-1] if detail.strip() else "unknown error (no traceback was left)"


def _injection_lock(pid: int) -> tuple:
    """Serialize injections into one pid from this user (the injector also refuses overlaps)."""
    directory = runtime_dir_for(os.geteuid())
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = os.path.join(directory, f"inject-{pid}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, path


def remove_stale_files(uid: int) -> list:
    """Forget agents of processes that are gone (killed without a detach) or whose pid now belongs
    to another process (by start time; runtime.remove_stale). Returns the names removed."""
    directory = runtime_dir_for(uid)
    if not os.path.isdir(directory):
        return []
    agent_paths(uid, 0)  # the directory must be safe to use (UnsafeRuntime otherwise)
    return runtime.remove_stale(directory)


def attach(pid: int, timeout: float = ATTACH_TIMEOUT_S) -> AgentClient:
    target = inspect_process(pid)
    client = find_agent(target)
    if client is not None:
        return client
    lock, lock_path = _injection_lock(pid)
    try:
        client = find_agent(target)  # another client may have injected while we waited
        if client is not None:
            return client
        try:  # an error left by an earlier attach that gave up waiting is not this one's
            os.unlink(agent_paths(target.uid, target.pid)["error"])
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        token, reused = inject_agent(target, timeout)
        return _wait_for_agent(target, token, deadline, timeout, reused)
    finally:
        try:  # no lock files pile up; a waiter on the old file re-checks for the agent anyway
            os.unlink(lock_path)
        except OSError:
            pass
        os.close(lock)


def attach_self() -> AgentClient:
    """Diagnose this process (a notebook's own kernel) in-process: start the agent here, with
    no injection, and connect to it."""
    from flight_agent.runtime import default_dir
    from flight_agent.server import start_agent

    from .inject import BOOT_LIBRARY

    start_agent(default_dir(os.geteuid()), native_library=BOOT_LIBRARY)
    return attach(os.getpid())


__all__ = ["attach", "attach_self", "find_agent", "inspect_process", "TargetProcess"]
