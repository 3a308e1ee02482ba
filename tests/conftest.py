"""Fixtures: real target processes on every supported CPython, and helpers to read them.

Targets are started with the pyenv interpreters (3.9-3.13); none of our packages is importable
there: the agent must come in by attach alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

PYENV = os.path.expanduser("~/.pyenv/versions")
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets")


def interpreter(version: str) -> str:
    if os.path.isdir(PYENV):
        for name in sorted(os.listdir(PYENV), reverse=True):
            if name == version or name.startswith(version + "."):
                path = os.path.join(PYENV, name, "bin", "python")
                if os.path.exists(path):
                    return path
    found = shutil.which(f"python{version}")
    if found:
        return found
    pytest.fail(f"Python {version} is not installed (make test installs targets with pyenv)")


class Target:
    """A running target process with its self-report file."""

    def __init__(self, version: str, script: str, tmp_path, *args: str):
        self.version = version
        self.report_path = str(tmp_path / f"report-{version}-{uuid.uuid4().hex[:8]}.json")
        self.proc = subprocess.Popen(
            [interpreter(version), "-u", os.path.join(TARGETS, script), self.report_path, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
            cwd=str(tmp_path),
        )
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            self.proc.kill()
            raise RuntimeError(f"target did not start: {line!r} {self.proc.stderr.read()}")
        self.wait_report()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def report(self) -> dict:
        with open(self.report_path) as f:
            return json.load(f)

    def wait_report(self, predicate=lambda r: True, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.report()
                if predicate(last):
                    return last
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"target report never matched; last: {last}")

    def stop(self) -> str:
        """Kill the target; return what it wrote on stderr (must be nothing)."""
        self.proc.kill()
        _, err = self.proc.communicate(timeout=10)
        return err


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param


@pytest.fixture
def target(version, tmp_path):
    t = Target(version, "service.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


@pytest.fixture
def observed(version, tmp_path):
    """A target whose functions are called continuously (targets/observed.py)."""
    t = Target(version, "observed.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


TORCH_VENV = os.path.join(os.path.dirname(HERE), ".venv-torch")


@pytest.fixture(scope="session")
def torch_python() -> str:
    """The Python 3.11 of the torch target venv (``make torch-venv``: CPU torch 2.13.0, numpy),
    made here when it is missing; skipped only where there is no Python 3.11 at all."""
    path = os.path.join(TORCH_VENV, "bin", "python")
    if not os.path.exists(path):
        try:
            interpreter("3.11")
        except pytest.fail.Exception:
            pytest.skip("no Python 3.11 for the torch target venv (make torch-venv)")
        done = subprocess.run(["make", "-s", "torch-venv"], cwd=os.path.dirname(HERE), capture_output=True, text=True)
        if done.returncode != 0 or not os.path.exists(path):
            pytest.fail(f"make torch-venv failed: {done.stdout}{done.stderr}")
    return path


def flight(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run the flight_profiler CLI of this installation."""
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_flight.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def flight_json(pid: int, command: str, *extra: str) -> tuple[int, list]:
    done = flight(str(pid), "--cmd", command, "--json", *extra)
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, records
