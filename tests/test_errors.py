"""Bad input gets one clear line, a non-zero exit, and harms nothing."""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile

import pytest
from conftest import flight, flight_json, interpreter


def error_of(records: list) -> str:
    errors = [r for r in records if r["kind"] == "error"]
    assert len(errors) == 1, records
    return errors[0]["message"]


def test_no_such_pid():
    rc, records = flight_json(999999, "stack")
    assert rc == 1 and error_of(records) == "no process with pid 999999"


def test_not_a_python_process():
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        rc, records = flight_json(sleeper.pid, "stack")
        assert rc == 1 and error_of(records).startswith(f"pid {sleeper.pid} is not a Python process")
    finally:
        sleeper.kill()


def test_unsupported_interpreter(tmp_path):
    old = subprocess.Popen([interpreter("3.8"), "-c", "import time; time.sleep(60)"])
    try:
        rc, records = flight_json(old.pid, "stack")
        assert rc == 1 and "unsupported interpreter" in error_of(records) and "3.8" in error_of(records)
    finally:
        old.kill()


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"), reason="needs root and a system python"
)
def test_permission_denied_says_what_to_do(target):
    # The client runs as 'nobody' against a root-owned target, from a copy of our sources that
    # nobody can read (the pyenv interpreters live under /root).
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = tempfile.mkdtemp(prefix="flight-perm-")  # pytest's tmp_path is private to root
    copy = pathlib.Path(base) / "src"
    shutil.copytree(
        os.path.join(root, "server_ext"), copy / "server_ext", ignore=shutil.ignore_patterns("labextension", "_native")
    )
    shutil.copytree(os.path.join(root, "agent"), copy / "agent")
    for path in [base, copy, *copy.rglob("*")]:
        os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    code = f"import sys; sys.path[:0] = [{str(copy / 'server_ext')!r}, {str(copy / 'agent')!r}]; from jupyterlab_flight.cli import main; sys.exit(main())"
    done = subprocess.run(
        ["/usr/bin/python3", "-c", code, str(target.pid), "--cmd", "stack", "--json"],
        capture_output=True,
        text=True,
        user=65534,
        group=65534,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        timeout=60,
    )
    shutil.rmtree(base)
    assert done.returncode == 1, done.stderr
    message = json.loads(done.stdout.splitlines()[-1])["message"]
    assert "permission denied" in message and "belongs to user root" in message and "as that user or as root" in message


def test_permission_denied_names_the_real_reason_for_root():
    """As root, a refusal is not about users: pid 1 of this machine (or container) cannot be read."""
    if os.geteuid() != 0 or os.access("/proc/1/exe", os.R_OK) and _readable_exe(1):
        pytest.skip("needs root on a machine whose pid 1 refuses to be read (a container, a VM's init)")
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab_flight.cli", "1", "--cmd", "stack"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "permission denied for pid 1: it is the init process" in done.stderr, done.stderr
    assert "as that user" not in done.stderr


def _readable_exe(pid: int) -> bool:
    try:
        os.readlink(f"/proc/{pid}/exe")
        return True
    except OSError:
        return False


def test_module_not_imported_is_never_imported(target):
    rc, records = flight_json(target.pid, "getglobal wave some_field")
    assert rc == 1 and error_of(records) == "module 'wave' is not imported in the target (flight never imports modules)"
    rc, records = flight_json(target.pid, "console -c 'import sys; \"wave\" in sys.modules'")
    assert [r for r in records if r["kind"] == "console"][0]["value"]["repr"] == "False"


def test_missing_class_and_field(target):
    rc, records = flight_json(target.pid, "getglobal __main__ Nope field")
    assert rc == 1 and error_of(records) == "no class named 'Nope' in module '__main__'"
    rc, records = flight_json(target.pid, "getglobal __main__ Model nope")
    assert rc == 1 and error_of(records) == "class 'Model' has no field named 'nope'"
    rc, records = flight_json(target.pid, "getglobal __main__ nope")
    assert rc == 1 and error_of(records) == "module '__main__' has no global named 'nope'"
    rc, records = flight_json(target.pid, "vmtool -a getInstances -c __main__ CONFIG")
    assert rc == 1 and "is a dict, not a class" in error_of(records)


def test_expression_that_raises(target):
    rc, records = flight_json(target.pid, "getglobal __main__ CONFIG -e \"target['missing']\"")
    assert rc == 1
    error = [r for r in records if r["kind"] == "error"][0]
    assert error["exception"] == {"type": "KeyError", "message": "'missing'"}
    assert "raised: KeyError: 'missing'" in error["message"]
    rc, records = flight_json(target.pid, "getglobal __main__ CONFIG -e 'target['")
    assert rc == 1 and "is not valid: SyntaxError" in error_of(records)
    # the target is unharmed
    report = target.wait_report(lambda r: r["results"]["iterations"] > 0)
    assert report["results"]["errors"] == 0


def test_bad_command_lines(target):
    for line, expected in [
        ("frobnicate", "unknown command 'frobnicate'"),
        ("getglobal", "getglobal: the following arguments are required"),
        ("getglobal a b c d", "expected 'module [class] field'"),
        ("vmtool -a getInstances", "needs -c module class"),
        ("getglobal __main__ CONFIG -x 9", "-x must be between 1 and 6"),
        ("stack 'unclosed", "cannot parse the command line"),
    ]:
        done = flight(str(target.pid), "--cmd", line, "--json")
        assert done.returncode == 2, (line, done.stdout)
        assert expected in json.loads(done.stdout.splitlines()[-1])["message"], line


@pytest.mark.parametrize("version", ["3.13"])
def test_a_reader_that_goes_away_ends_the_stream_quietly(target):
    # flight_profiler PID --cmd "watch ..." | head -2: no 'internal error', no traceback, exit 0, and
    # the observation ends in the target (the next watch of the same function starts at once)
    line = f"{shlex.quote(sys.executable)} -m jupyterlab_flight.cli {target.pid} --cmd 'watch json dump -n 100000'"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{line} | head -2"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.count("\n") == 2, (done.stdout, done.stderr)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    rc, records = flight_json(target.pid, "watch json dump -n 1")
    assert rc == 0 and [r["kind"] for r in records if r["kind"] == "watch"] == ["watch"]
