"""What the target is: does it exist, may we attach, which CPython is it."""

from __future__ import annotations

import os
import pwd
import re
from dataclasses import dataclass

from ..errors import PermissionDenied, TargetNotFound, UnsupportedTarget

MIN_VERSION = (3, 9)
REMOTE_EXEC_VERSION = (3, 14)
_LIBPYTHON = re.compile(r"libpython(\d)\.(\d+)")
_EXE = re.compile(r"python(\d)\.(\d+)")


@dataclass
class TargetProcess:
    pid: int
    uid: int
    exe: str
    version: tuple  # (major, minor)
    start_time: int | None
    cmdline: str

    @property
    def user(self) -> str:
        try:
            return pwd.getpwuid(self.uid).pw_name
        except KeyError:
            return str(self.uid)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def process_uid(pid: int) -> int:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])  # effective uid
    raise TargetNotFound(f"cannot read the owner of pid {pid}")


def start_time(pid: int) -> int | None:
    try:
        data = _read(f"/proc/{pid}/stat")
    except OSError:
        return None
    return int(data[data.rindex(")") + 2 :].split()[19])


def _permission_hint(pid: int, uid: int) -> str:
    """Why the kernel refused us pid's files, said as the user can act on it."""
    me = os.geteuid()
    if me not in (0, uid):
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = str(uid)
        return f"permission denied: pid {pid} belongs to user {owner}; run flight_profiler as that user or as root"
    # our own user's process, or we are root: the refusal has another cause
    if me != 0:
        scope = _ptrace_scope()
        if scope is not None and scope >= 1:
            return (
                f"permission denied for pid {pid}: /proc/sys/kernel/yama/ptrace_scope is {scope}, which lets a"
                " user trace only its own children; run as root, or set it to 0 (sysctl kernel.yama.ptrace_scope=0)"
            )
    if not _has_ptrace_capability():
        return (
            f"permission denied for pid {pid}: this process lacks CAP_SYS_PTRACE (a container started without"
            " --cap-add=SYS_PTRACE, or kubectl debug without --profile=general)"
        )
    if pid == 1:
        return (
            "permission denied for pid 1: it is the init process of this machine or container, which the kernel"
            " keeps from being read or traced; pick the pid of the Python process itself (%flight ps and the sidebar list them)"
        )
    return (
        f"permission denied for pid {pid} although this user may trace it: the process is not dumpable (it set"
        " PR_SET_DUMPABLE to 0, or changed its user with setuid), or a security module (SELinux, AppArmor) refuses"
    )


def _ptrace_scope() -> int | None:
    try:
        return int(_read("/proc/sys/kernel/yama/ptrace_scope").strip())
    except (OSError, ValueError):
        return None  # no Yama: nothing restricts tracing by user beyond ownership


def _has_ptrace_capability() -> bool:
    try:
        for line in _read("/proc/self/status").splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> 19 & 1)  # CAP_SYS_PTRACE is bit 19
    except (OSError, ValueError):
        pass
    return True  # unknown: do not blame it


def python_version(pid: int, exe: str) -> tuple | None:
    try:
        maps = _read(f"/proc/{pid}/maps")
    except OSError:
        maps = ""
    m = _LIBPYTHON.search(maps)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = _EXE.search(os.path.basename(exe))
    if m:
        return int(m.group(1)), int(m.group(2))
    return None


def inspect_process(pid: int) -> TargetProcess:
    if pid <= 0 or not os.path.exists(f"/proc/{pid}"):
        raise TargetNotFound(f"no process with pid {pid}")
    try:
        uid = process_uid(pid)
        cmdline = _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()
    except FileNotFoundError:
        raise TargetNotFound(f"no process with pid {pid}") from None
    me = os.geteuid()
    if me not in (0, uid):
        raise PermissionDenied(_permission_hint(pid, uid))
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except PermissionError:
        raise PermissionDenied(_permission_hint(pid, uid)) from None
    except FileNotFoundError:
        raise UnsupportedTarget(f"pid {pid} is a kernel thread or a zombie, not a Python process") from None
    version = python_version(pid, exe)
    if version is None:
        raise UnsupportedTarget(f"pid {pid} is not a Python process ({exe})")
    if version[0] != 3 or version < MIN_VERSION:
        raise UnsupportedTarget(
            f"unsupported interpreter: pid {pid} runs Python {version[0]}.{version[1]}; jupyterlab-flight attaches to CPython 3.9 and later"
        )
    return TargetProcess(pid=pid, uid=uid, exe=exe, version=version, start_time=start_time(pid), cmdline=cmdline)
