"""The observation hooks and the bytecode rewriter, checked inside each supported interpreter
(hooks_check.py, rewrite_check.py run there: the code under test is the interpreter's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
AGENT = os.path.join(ROOT, "agent")
NATIVE = os.path.join(ROOT, "server_ext", "jupyterlab_flight", "_native", "libflight_boot.so")
sys.path.insert(0, os.path.dirname(HERE))
from conftest import VERSIONS, interpreter  # noqa: E402


def run_check(version: str, script: str, *args: str) -> dict:
    done = subprocess.run(
        [interpreter(version), "-W", "ignore", os.path.join(HERE, script), AGENT, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("native", [True, False], ids=["C hooks", "Python hooks"])
@pytest.mark.parametrize("version", VERSIONS)
def test_hooks_see_every_call_and_leave_no_trace(version, native):
    if native and not os.path.exists(NATIVE):
        pytest.fail(f"{NATIVE} is not built (make -C native)")
    result = run_check(version, "hooks_check.py", *([NATIVE] if native else []))
    assert result["problems"] == []
    hooks = {(3, 9): ["CodeHook", "WrapperHook"], (3, 10): ["CodeHook", "WrapperHook"], (3, 11): ["CodeHook"]}
    # 3.9/3.10: one function nests too many blocks for the instrumented copy, and gets the wrapper
    assert result["hook"] == hooks.get(tuple(map(int, version.split("."))), ["MonitoringHook"])


@pytest.mark.parametrize("version", [v for v in VERSIONS if v in ("3.9", "3.10", "3.11")])
def test_instrumented_code_keeps_every_instruction_line_and_handler(version):
    result = run_check(version, "rewrite_check.py")
    assert result["problems"] == [] and result["instrumented"] == result["functions"] > 1000
    assert result["calls"] > 1000 and result["fallbacks"] == []
