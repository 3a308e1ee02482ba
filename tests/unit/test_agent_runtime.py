"""Stale files of agents in a runtime directory (flight_agent.runtime.remove_stale), judged against
real processes: one that has exited, one alive whose pid an earlier process used, and ours."""

from __future__ import annotations

import json
import os
import subprocess
import time

from flight_agent import runtime


def write(path, content: str = "", mtime: float | None = None) -> str:
    with open(path, "w") as f:
        f.write(content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def token(pid: int, start_time) -> str:
    return json.dumps({"token": "x" * 64, "pid": pid, "start_time": start_time})


def test_files_of_gone_and_reused_processes_go_and_live_ones_stay(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = subprocess.Popen(["sleep", "30"])
    try:
        me, start = os.getpid(), runtime.process_start_time(os.getpid())
        alive_start = runtime.process_start_time(alive.pid)
        alive_epoch = runtime.process_start_epoch(alive.pid)
        assert alive_epoch is not None and abs(alive_epoch - time.time()) < 60
        d = str(tmp_path)
        # the process has exited: everything of its goes
        for suffix in (".sock", ".token", ".error", ".token.123.tmp"):
            write(os.path.join(d, f"agent-{gone.pid}{suffix}"), token(gone.pid, 1))
        write(os.path.join(d, f"inject-{gone.pid}.lock"))
        # the pid is alive but was another process's: its token says another start time, its
        # socket is older than the process
        write(os.path.join(d, f"agent-{alive.pid}.token"), token(alive.pid, alive_start - 100))
        write(os.path.join(d, f"agent-{alive.pid}.sock"), mtime=alive_epoch - 3600)
        # ours: a live agent's files, and a socket of an agent that is starting (no token yet)
        write(os.path.join(d, f"agent-{me}.token"), token(me, start))
        write(os.path.join(d, f"agent-{me}.sock"))
        write(os.path.join(d, f"inject-{me}.lock"))
        write(os.path.join(d, "unrelated.txt"))
        removed = runtime.remove_stale(d)
        assert sorted(removed) == sorted(
            [f"agent-{gone.pid}{s}" for s in (".sock", ".token", ".error", ".token.123.tmp")]
            + [f"inject-{gone.pid}.lock", f"agent-{alive.pid}.token", f"agent-{alive.pid}.sock"]
        )
        assert sorted(os.listdir(d)) == sorted(
            [f"agent-{me}.token", f"agent-{me}.sock", f"inject-{me}.lock", "unrelated.txt"]
        )
        assert runtime.remove_stale(d) == [] and runtime.remove_stale(os.path.join(d, "missing")) == []
    finally:
        alive.kill()
        alive.wait()
