"""py-spy's failures as one line of the right error class, and how it is run (perf/sampler.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from jupyterlab_flight.errors import FlightError, PermissionDenied, TargetNotFound, UnsupportedTarget
from jupyterlab_flight.perf.sampler import (
    Sampler,
    SamplerOptions,
    find_pyspy,
    pyspy_error,
    pyspy_version,
    target_alive,
    thread_count,
)

ME = os.getpid()


def test_permission():
    error = pyspy_error(
        ME, "Permission Denied: Try running again with elevated permissions by going 'sudo env ...'", (3, 12), "0.4.3"
    )
    assert isinstance(error, PermissionDenied) and error.exit_code == 1 and error.status == 403
    assert error.message.startswith(f"permission denied: py-spy may not read pid {ME}")
    assert "ptrace_scope" in error.message and "CAP_SYS_PTRACE" in error.message and "\n" not in error.message


def test_a_process_that_is_gone():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(done.stdout)
    assert not target_alive(gone)
    error = pyspy_error(
        gone, "Error: Failed to get process executable name. Check that the process is running.", (3, 12), "0.4.3"
    )
    assert isinstance(error, TargetNotFound) and error.message == f"no process with pid {gone} (it exited)"


def test_an_interpreter_py_spy_cannot_read():
    error = pyspy_error(ME, "Error: Unsupported version of Python: 3.15.0a8", (3, 15), "0.4.3")
    assert isinstance(error, UnsupportedTarget)
    assert error.message == (
        f"py-spy 0.4.3 cannot read pid {ME} (Python 3.15); Python's own sampler can: python3.15 -m profiling.sampling attach {ME}"
    )
    error = pyspy_error(ME, "Error: Failed to find python version from target process", (3, 13), "0.4.3")
    assert isinstance(error, UnsupportedTarget) and "cannot find the Python 3.13 interpreter" in error.message


def test_anything_else_is_py_spys_first_error_line():
    output = "Error: something new\n\nStack backtrace:\n   0: anyhow::error\n"
    error = pyspy_error(ME, output, (3, 12), "0.4.3")
    assert type(error) is FlightError and error.message == f"py-spy cannot sample pid {ME}: something new"


def test_how_py_spy_is_run(tmp_path):
    engine = find_pyspy()
    assert os.access(engine, os.X_OK) and pyspy_version(engine)[0].isdigit()
    assert thread_count(ME) >= 1 and target_alive(ME)
    options = SamplerOptions(4242, 250, native=True, idle=True, gil=True, subprocesses=True, nonblocking=True)
    argv = Sampler(engine, "0.4.3", options, (3, 12), str(tmp_path)).argv()
    assert argv[:10] == [engine, "record", "-p", "4242", "-r", "250", "-f", "raw", "-F", "-t"]
    assert "--full-filenames" in argv and argv[argv.index("-d") + 1] == "30"  # a bound if we die
    assert {"-n", "-i", "-g", "-s", "--nonblocking"} <= set(argv)
    plain = Sampler(engine, "0.4.3", SamplerOptions(1, 100), (3, 12), str(tmp_path)).argv()
    assert not {"-n", "-i", "-g", "-s", "--nonblocking"} & set(plain)
