"""Start the agent in a target that has none.

CPython 3.9-3.13: the native injector (native/inject.c, shipped as _native/flight-inject) makes
the target load _native/libflight_boot.so, whose thread runs the bootstrap below.
CPython 3.14+: ``sys.remote_exec`` (PEP 768) runs the same bootstrap at the target's next safe
point; it is called from an interpreter of the target's version (ours, or the target's own).

The bootstrap loads ``flight_agent`` by path from this installation (the target's environment does
not have it), without touching the target's ``sys.path``, and starts it. Failures are written to
the agent's ``.error`` file for the client to show.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import tempfile

from flight_agent.runtime import SHORT_SWITCH_INTERVAL_S, process_start_epoch

from ..client import agent_paths, runtime_dir_for
from ..errors import AttachFailed, PermissionDenied
from .process import REMOTE_EXEC_VERSION, TargetProcess

NATIVE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_native")
INJECTOR = os.path.join(NATIVE_DIR, "flight-inject")
BOOT_LIBRARY = os.path.join(NATIVE_DIR, "libflight_boot.so")

_INJECTOR_EXIT = {
    3: "no such process",
    4: "permission denied",
    5: "cannot find libc symbols in the target",
    6: "no safe moment to attach",
    7: "injection failed",
    8: "the target exited during attach",
    9: "the target refused the agent",
}

# Runs in the target, in a fresh namespace. The agent's sources come inside the code itself and
# are imported through a finder that lives only during the boot: loading them from files would
# release the GIL at every file operation, and on a busy target each release costs a GIL wait.
BOOTSTRAP = """\
import sys
def _flight_boot(sources, runtime, error_path, token, switch_interval):
    if "flight_agent.server" not in sys.modules:
        ModuleSpec = type(sys.__spec__)

        class Finder:
            @staticmethod
            def find_spec(name, path=None, target=None):
                entry = sources.get(name)
                if entry is None:
                    return None
                spec = ModuleSpec(name, Finder, origin=entry[0], is_package=entry[1])
                spec.has_location = True
                return spec

            @staticmethod
            def create_module(spec):
                return None

            @staticmethod
            def exec_module(module):
                origin, _, source = sources[module.__name__]
                exec(compile(source, origin, "exec"), module.__dict__)

        sys.meta_path.insert(0, Finder)
        try:
            __import__("flight_agent.server")
        except BaseException:
            for name in [n for n in sys.modules if n == "flight_agent" or n.startswith("flight_agent.")]:
                del sys.modules[name]
            raise
        finally:
            sys.meta_path.remove(Finder)
    sys.modules["flight_agent.server"].start_agent(runtime, token, NATIVE, switch_interval)
# A boot that gets the GIL only after its attach gave up (the target held the GIL: a long C call)
# leaves, starting nothing; the next attach starts a fresh one (or its code runs in this thread,
# if it is still waiting then: native/boot.c).
if __import__("time").time() < DEADLINE:
    # The boot and the first answer wait for the GIL at every file and socket call (the agent's
    # imports may read the standard library's files); threads spinning in Python hand it over only
    # every switch interval (5 ms): a short one from here (runtime.ShortSwitchInterval, which the
    # agent ends after its first answer; started in the agent instead, after the imports, an attach
    # with one busy thread took 151 ms instead of 58). CPython keeps whole microseconds, truncating.
    _flight_switch_interval = sys.getswitchinterval()
    sys.setswitchinterval((round(min(_flight_switch_interval, BOOST_SWITCH_INTERVAL) * 1e6) + 0.5) / 1e6)
    try:
        _flight_boot(SOURCES, RUNTIME, ERROR_PATH, TOKEN, _flight_switch_interval)
    except BaseException:
        sys.setswitchinterval((round(_flight_switch_interval * 1e6) + 0.5) / 1e6)
        import json, os, traceback
        try:
            os.makedirs(RUNTIME, 0o700, exist_ok=True)
            with open(ERROR_PATH + ".tmp", "w") as _f:
                json.dump({"error": traceback.format_exc(limit=6)}, _f)
            os.replace(ERROR_PATH + ".tmp", ERROR_PATH)
        except OSError:
            pass
"""

BOOT_GRACE_S = 2.0  # a boot that gets the GIL this long after its attach's deadline still starts


def agent_package_dir() -> str:
    spec = importlib.util.find_spec("flight_agent")  # locate, do not import
    if spec is None or not spec.submodule_search_locations:
        raise AttachFailed("the flight_agent package is not installed next to jupyterlab_flight")
    return list(spec.submodule_search_locations)[0]


def agent_sources() -> dict:
    """{module name: (file, is_package, source)} for every module of flight_agent."""
    root = agent_package_dir()
    sources = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        relative = os.path.relpath(directory, root)
        package = "flight_agent" if relative == "." else "flight_agent." + relative.replace(os.sep, ".")
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            path = os.path.join(directory, file)
            with open(path, encoding="utf-8") as f:
                source = f.read()
            if file == "__init__.py":
                sources[package] = (path, True, source)
            else:
                sources[f"{package}.{file[:-3]}"] = (path, False, source)
    return sources


def bootstrap_code(target: TargetProcess, token: str, deadline: float) -> str:
    """``deadline``: time.time() after which a boot that has just got the GIL leaves."""
    runtime = runtime_dir_for(target.uid)
    code = (
        f"SOURCES = {agent_sources()!r}\n"
        f"TOKEN = {token!r}\n"
        f"DEADLINE = {deadline + BOOT_GRACE_S!r}\n"
        f"NATIVE = {BOOT_LIBRARY!r}\n"
        f"RUNTIME = {runtime!r}\n"
        f"ERROR_PATH = {agent_paths(target.uid, target.pid)['error']!r}\n"
        f"BOOST_SWITCH_INTERVAL = {SHORT_SWITCH_INTERVAL_S!r}\n" + BOOTSTRAP
    )
    # Whatever namespace runs this (a fresh dict from the boot library; __main__'s under
    # sys.remote_exec), it binds no name there.
    return f"exec(compile({code!r}, '<flight bootstrap>', 'exec'), {{'__builtins__': __builtins__}})\n"


def _write_temp(code: str, owner_uid: int) -> str:
    """A private file with the bootstrap (it holds the token); owned by the target's user when root
    attaches to someone else's process, since sys.remote_exec reads it as the target."""
    fd, path = tempfile.mkstemp(prefix="flight-boot-", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(code)
    if os.geteuid() == 0 and owner_uid != 0:
        os.chown(path, owner_uid, -1)
    return path


def _inject_native(target: TargetProcess, code_path: str) -> bool:
    """True when the boot thread of an earlier attach, still waiting for the GIL, got this code."""
    if not os.access(INJECTOR, os.X_OK):
        raise AttachFailed(f"the native injector is missing ({INJECTOR}); reinstall jupyterlab-flight")
    try:
        done = subprocess.run(
            [INJECTOR, str(target.pid), BOOT_LIBRARY, code_path], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        raise AttachFailed(f"attaching to pid {target.pid} timed out") from None
    if done.returncode != 0:
        message = (
            done.stderr.strip().splitlines()[-1]
            if done.stderr.strip()
            else _INJECTOR_EXIT.get(done.returncode, "injection failed")
        )
        error = NotInitialized if "not initialized" in message else AttachFailed
        raise error(message.replace("flight-inject: ", "cannot attach: ", 1))
    return "reused the waiting boot thread" in done.stdout


class NotInitialized(AttachFailed):
    """The target's Python is not running yet (still starting) or no longer (exiting)."""


YOUNG_PROCESS_S = 30.0  # a process this young whose Python is not initialized is still starting
STARTUP_WAIT_S = 5.0  # how long an attach waits for such a process to finish starting


def _inject_native_when_started(target: TargetProcess, code_path: str, timeout: float) -> bool:
    """_inject_native, waiting for a process that was just started (a kernel the user opened a
    moment ago) to initialize its Python; one clear line for one that is exiting."""
    import time

    deadline = time.monotonic() + min(timeout, STARTUP_WAIT_S)
    while True:
        try:
            return _inject_native(target, code_path)
        except NotInitialized:
            started = process_start_epoch(target.pid)
            young = started is not None and time.time() - started < YOUNG_PROCESS_S
            if not young:
                raise NotInitialized(
                    f"cannot attach: Python in pid {target.pid} is finalizing (the process is exiting)"
                ) from None
            if time.monotonic() >= deadline:
                raise NotInitialized(
                    f"cannot attach: Python in pid {target.pid} is still starting up: try again in a moment"
                ) from None
            time.sleep(0.05)


def _inject_remote_exec(target: TargetProcess, code_path: str) -> None:
    # sys.remote_exec needs an interpreter of the target's version: ours if it matches, else the target's own.
    python = sys.executable if sys.version_info[:2] == target.version else target.exe
    call = f"import sys; sys.remote_exec({target.pid}, {code_path!r})"
    done = subprocess.run([python, "-c", call], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "sys.remote_exec failed"
        if "PermissionError" in last:
            raise PermissionDenied(
                f"permission denied by sys.remote_exec for pid {target.pid}: run as the target's user or root"
            )
        raise AttachFailed(f"cannot attach to pid {target.pid}: {last}")


def inject_agent(target: TargetProcess, timeout: float) -> tuple:
    """Start the agent; returns (the token it will accept, whether the boot thread of an earlier
    attach that is still waiting for the GIL will run it). ``timeout``: how long the caller waits
    for the agent (a boot that starts later leaves)."""
    import time

    token = secrets.token_hex(32)
    code_path = _write_temp(bootstrap_code(target, token, time.time() + timeout), target.uid)
    reused = False
    try:
        if target.version >= REMOTE_EXEC_VERSION:
            _inject_remote_exec(target, code_path)
        else:
            reused = _inject_native_when_started(target, code_path, timeout)
    finally:
        if target.version < REMOTE_EXEC_VERSION:
            os.unlink(code_path)
        # remote_exec reads the file later, at the target's next safe point: the file is
        # removed by the next attach's cleanup of old boot files (cleanup_boot_files).
    cleanup_boot_files()
    return token, reused


def cleanup_boot_files(max_age_s: float = 300.0) -> None:
    import glob
    import time

    now = time.time()
    for path in glob.glob(os.path.join(tempfile.gettempdir(), "flight-boot-*.py")):
        try:
            if now - os.stat(path).st_mtime > max_age_s and os.stat(path).st_uid == os.geteuid():
                os.unlink(path)
        except OSError:
            pass
