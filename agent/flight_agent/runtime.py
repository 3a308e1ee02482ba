"""Where an agent keeps its socket and token: a per-user 0700 directory.

``/tmp/jupyterlab-flight-<uid>/agent-<pid>.sock`` and ``agent-<pid>.token`` (0600). The directory
must be a real directory owned by that user with no access for others; anything else (a symlink, a
directory planted by another user) is refused rather than used.

Files of agents whose process is gone (killed without a detach) or whose pid now belongs to
another process are removed whenever the directory is used (``remove_stale``: by the client
before it looks for an agent, by an agent when it starts). A process is told apart from an
earlier one with the same pid by its start time: the one the token file records, and, for the
other files, their modification time against it.
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
        _active.append(self)

    def end(self) -> None:
        if self.active:
            self.active = False
            try:
                _active.remove(self)
            except ValueError:
                pass
            if round(sys.getswitchinterval() * 1e6) == round(self.short * 1e6):
                _set_switch_interval(self.previous)

    def __enter__(self) -> ShortSwitchInterval:
        return self

    def __exit__(self, *exc) -> None:
        self.end()


_active: list = []  # the ShortSwitchIntervals not ended yet, oldest first


def forget_in_child() -> None:
    """In the child of a fork (forksafe.py, registered by server.py) made while the agent
    answered: the target's own switch interval back (the thread that would have ended the short
    one is not there)."""
    active = list(_active)
    _active.clear()
    for interval in reversed(active):  # the oldest last: its previous is the target's own
        interval.end()


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


def process_start_epoch(pid: int) -> float | None:
    """When the process started, in seconds since the epoch (to compare with file times)."""
    ticks = process_start_time(pid)
    if ticks is None:
        return None
    try:
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


_AGENT_FILE_SUFFIXES = (".sock", ".token", ".error", ".lock")
CLOCK_SLACK_S = 2.0  # the boot time is kept in whole seconds: a file this close to the start is not judged


def _agent_pid(name: str) -> int | None:
    """The pid of ``agent-<pid>.<suffix>`` (and its ``.tmp`` files), ``inject-<pid>.lock``."""
    for prefix in ("agent-", "inject-"):
        if name.startswith(prefix):
            digits = name[len(prefix) :].split(".", 1)[0]
            return int(digits) if digits.isdigit() else None
    return None


def remove_stale(directory: str) -> list:
    """Remove the files of agents whose process is gone or is another process now; returns
    their names. Files of a live agent, or of one that is starting, are never touched."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    starts: dict = {}
    for name in sorted(names):
        pid = _agent_pid(name)
        if pid is None:
            continue
        path = os.path.join(directory, name)
        if pid not in starts:
            starts[pid] = (process_start_time(pid), process_start_epoch(pid))
        ticks, epoch = starts[pid]
        if ticks is None:
            stale = True  # the process is gone
        elif name.startswith("inject-"):
            stale = False  # a client holds it while it injects
        elif name.endswith(".token"):
            # written by another process with this pid (read twice: a new agent may replace it)
            stale = _token_start(path) not in (ticks, None) and _token_start(path) not in (ticks, None)
        else:
            try:
                stale = epoch is not None and os.lstat(path).st_mtime < epoch - CLOCK_SLACK_S
            except OSError:
                continue
        if stale:
            try:
                os.unlink(path)
                removed.append(name)
            except OSError:
                pass
    return removed


def _token_start(path: str) -> int | None:
    try:
        with open(path) as f:
            started = json.load(f).get("start_time")
    except (OSError, ValueError, AttributeError):
        return None
    return started if isinstance(started, int) else None


def process_start_time(pid: int) -> int | None:
    """Start time in clock ticks since boot (field 22 of /proc/PID/stat): tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rindex(")") + 2 :].split()[19])
