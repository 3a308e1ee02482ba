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
import subprocess
import sys
import tempfile

from ..client import agent_paths, runtime_dir_for
from ..errors import FlightError
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

BOOTSTRAP = """\
import sys
try:
    _m = sys.modules.get("flight_agent")
    if _m is None:
        import importlib.util as _u
        _s = _u.spec_from_file_location("flight_agent", {init!r}, submodule_search_locations=[{package!r}])
        _m = _u.module_from_spec(_s)
        sys.modules["flight_agent"] = _m
        try:
            _s.loader.exec_module(_m)
        except BaseException:
            sys.modules.pop("flight_agent", None)
            raise
    _m.start({runtime!r})
except BaseException:
    import json, os, traceback
    try:
        os.makedirs({runtime!r}, 0o700, exist_ok=True)
        with open({error!r}, "w") as _f:
            json.dump({{"error": traceback.format_exc(limit=6)}}, _f)
    except OSError:
        pass
"""


def agent_package_dir() -> str:
    spec = importlib.util.find_spec("flight_agent")  # locate, do not import
    if spec is None or not spec.submodule_search_locations:
        raise FlightError("the flight_agent package is not installed next to jupyterlab_flight")
    return list(spec.submodule_search_locations)[0]


def bootstrap_code(target: TargetProcess) -> str:
    package = agent_package_dir()
    runtime = runtime_dir_for(target.uid)
    return BOOTSTRAP.format(
        init=os.path.join(package, "__init__.py"),
        package=package,
        runtime=runtime,
        error=agent_paths(target.uid, target.pid)["error"],
    )


def _write_temp(code: str) -> str:
    # Readable by the target user too (3.14's remote_exec reads it as the target); holds no secret.
    fd, path = tempfile.mkstemp(prefix="flight-boot-", suffix=".py")
    with os.fdopen(fd, "w") as f:
        f.write(code)
    os.chmod(path, 0o644)
    return path


def _inject_native(target: TargetProcess, code_path: str) -> None:
    if not os.access(INJECTOR, os.X_OK):
        raise FlightError(f"the native injector is missing ({INJECTOR}); reinstall jupyterlab-flight")
    try:
        done = subprocess.run([INJECTOR, str(target.pid), BOOT_LIBRARY, code_path], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise FlightError(f"attaching to pid {target.pid} timed out") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else _INJECTOR_EXIT.get(done.returncode, "injection failed")
        raise FlightError(message.replace("flight-inject: ", "cannot attach: ", 1))


def _inject_remote_exec(target: TargetProcess, code_path: str) -> None:
    # sys.remote_exec needs an interpreter of the target's version: ours if it matches, else the target's own.
    python = sys.executable if sys.version_info[:2] == target.version else target.exe
    call = f"import sys; sys.remote_exec({target.pid}, {code_path!r})"
    done = subprocess.run([python, "-c", call], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "sys.remote_exec failed"
        if "PermissionError" in last:
            raise FlightError(f"permission denied by sys.remote_exec for pid {target.pid}: run as the target's user or root")
        raise FlightError(f"cannot attach to pid {target.pid}: {last}")


def inject_agent(target: TargetProcess) -> None:
    code_path = _write_temp(bootstrap_code(target))
    try:
        if target.version >= REMOTE_EXEC_VERSION:
            _inject_remote_exec(target, code_path)
        else:
            _inject_native(target, code_path)
    finally:
        if target.version < REMOTE_EXEC_VERSION:
            os.unlink(code_path)
        # remote_exec reads the file later, at the target's next safe point: the file is
        # removed by the next attach's cleanup of old boot files (cleanup_boot_files).
    cleanup_boot_files()


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
