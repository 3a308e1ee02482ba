"""Where an agent keeps its socket and token: a per-user 0700 directory.

``/tmp/jupyterlab-flight-<uid>/agent-<pid>.sock`` and ``agent-<pid>.token`` (0600). The directory
must be a real directory owned by that user with no access for others; anything else (a symlink, a
directory planted by another user) is refused rather than used.
"""

from __future__ import annotations

import json
import os
import stat
import sys

BASE = "/tmp"  # fixed, not $TMPDIR: the client and the target must agree whatever their environments


SHORT_SWITCH_INTERVAL_S = 0.0002


class ShortSwitchInterval:
    """A short switch interval while the agent boots or answers a one-shot command.

    Every socket call releases the GIL, and a thread spinning in Python gives it back only at the
    switch interval (5 ms by default), so each call would wait that long. ``end()`` gives the
    target its own interval back unless someone changed it meanwhile: overlapping uses (two
    connections) end with the target's value. CPython keeps whole microseconds and truncates, so
    values are set at the middle of their microsecond: read back and set again, they never drift.
    """

    def __init__(self, previous: float | None = None):
        """``previous``: the target's own interval when the attach's bootstrap already set the short
        one (before the agent's imports, which may read the standard library's files)."""
        if previous is None:
            previous = sys.getswitchinterval()
            _set_switch_interval(min(previous, SHORT_SWITCH_INTERVAL_S))
        self.previous = previous
        self.short = sys.getswitchinterval()
        self.active = True

    def end(self) -> None:
        if self.active:
            self.active = False
            if round(sys.getswitchinterval() * 1e6) == round(self.short * 1e6):
                _set_switch_interval(self.previous)

    def __enter__(self) -> ShortSwitchInterval:
        return self

    def __exit__(self, *exc) -> None:
        self.end()


class _KeepSwitchInterval:
    def __enter__(self) -> _KeepSwitchInterval:
        return self

    def __exit__(self, *exc) -> None:
        pass


def switch_interval_for(long_running: bool) -> ShortSwitchInterval | _KeepSwitchInterval:
    """The one policy for a request's run: a long-running one (a stream, console code; the
    request's ``long_running``) keeps the target's own interval, since the target's threads must
    run as usual meanwhile; a one-shot command has the short one until it has answered."""
    return _KeepSwitchInterval() if long_running else ShortSwitchInterval()


def _set_switch_interval(seconds: float) -> None:
    sys.setswitchinterval((round(seconds * 1e6) + 0.5) / 1e6)


def default_dir(uid: int) -> str:
    return os.path.join(BASE, f"jupyterlab-flight-{uid}")


def agent_paths(runtime_dir: str, pid: int) -> dict:
    base = os.path.join(runtime_dir, f"agent-{pid}")
    return {"socket": base + ".sock", "token": base + ".token", "error": base + ".error", "lock": base + ".lock"}


class UnsafeRuntimeDir(Exception):
    pass


def check_private_dir(path: str, uid: int) -> None:
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeRuntimeDir(f"{path} is not a directory (a symlink?); refusing to use it")
    if st.st_uid != uid:
        raise UnsafeRuntimeDir(f"{path} belongs to uid {st.st_uid}, not {uid}; refusing to use it")
    if st.st_mode & 0o077:
        raise UnsafeRuntimeDir(
            f"{path} is accessible to other users (mode {oct(st.st_mode & 0o777)}); refusing to use it"
        )


def ensure_private_dir(path: str) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    check_private_dir(path, os.geteuid())


def write_private_file(path: str, content: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(content, f)
    os.replace(tmp, path)


def process_start_time(pid: int) -> int | None:
    """Start time in clock ticks since boot (field 22 of /proc/PID/stat): tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rindex(")") + 2 :].split()[19])
