"""Attach to a target: find a running agent and reuse it, or inject one.

    client = attach(pid)      # an authenticated AgentClient

Steps: check the process (process.py), look for its agent's token and socket in the target
user's runtime directory (reuse), else start one (inject.py) and wait for it to come up.
"""

from __future__ import annotations

import fcntl
import json
import os
import time

from ..client import AgentClient, agent_paths, runtime_dir_for
from ..errors import FlightError
from .inject import inject_agent
from .process import TargetProcess, inspect_process

ATTACH_TIMEOUT_S = 5.0


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
    paths = agent_paths(target.uid, target.pid)
    info = _read_token(paths, target)
    if info is None:
        return None
    try:
        return AgentClient.connect(target.pid, paths["socket"], info["token"], timeout=timeout)
    except FlightError:
        return None


def _wait_for_agent(target: TargetProcess, deadline: float) -> AgentClient:
    paths = agent_paths(target.uid, target.pid)
    while time.monotonic() < deadline:
        if os.path.exists(paths["error"]):
            try:
                with open(paths["error"]) as f:
                    detail = json.load(f).get("error", "")
            except (OSError, ValueError):
                detail = ""
            os.unlink(paths["error"])
            last = detail.strip().splitlines()[-1] if detail.strip() else "unknown error"
            raise FlightError(f"the agent failed to start in pid {target.pid}: {last}")
        info = _read_token(paths, target)
        if info is not None:
            return AgentClient.connect(target.pid, paths["socket"], info["token"], timeout=2.0)
        time.sleep(0.001)
    raise FlightError(
        f"pid {target.pid} did not start the agent within {ATTACH_TIMEOUT_S:g} s: a thread may hold the GIL "
        f"without releasing it (a long C call?). 'stack --native' still reads it from outside: "
        f"flight_profiler {target.pid} --cmd 'stack --native'"
    )


def _injection_lock(pid: int):
    """Serialize injections into one pid from this user (the injector also refuses overlaps)."""
    directory = runtime_dir_for(os.geteuid())
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(directory, f"inject-{pid}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def attach(pid: int, timeout: float = ATTACH_TIMEOUT_S) -> AgentClient:
    target = inspect_process(pid)
    client = find_agent(target)
    if client is not None:
        return client
    lock = _injection_lock(pid)
    try:
        client = find_agent(target)  # another client may have injected while we waited
        if client is not None:
            return client
        deadline = time.monotonic() + timeout
        inject_agent(target)
        return _wait_for_agent(target, deadline)
    finally:
        os.close(lock)


__all__ = ["attach", "find_agent", "inspect_process", "TargetProcess"]
