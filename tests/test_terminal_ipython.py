"""Terminal IPython (no kernel): each result is printed once, as the CLI's text (issue 18, item 3)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import Target


def test_terminal_ipython_prints_each_result_once(tmp_path):
    target = Target("3.12", "observed.py", tmp_path)
    try:
        script = "\n".join(
            [
                "%load_ext jupyterlab_flight",
                f"%flight attach {target.pid}",
                "%getglobal __main__ CHECKS -x 1",
                "%flight watch __main__ compute -n 2",
                "%flight detach",
                "",
            ]
        )
        ipython = os.path.join(os.path.dirname(sys.executable), "ipython")
        done = subprocess.run(
            [ipython, "--no-banner", "--colors=NoColor", "--quick"],
            input=script,
            capture_output=True,
            text=True,
            timeout=120,
        )
        out = done.stdout
        assert out.count("EXPR:  target") == 1, out
        assert out.count("flight ") and out.count(f"flight {target.pid}> getglobal __main__ CHECKS -x 1") == 1, out
        # a stream's records are printed as they come, once each, then its end
        # (a call may have raised: [x] instead of [+])
        assert len(re.findall(r"\[[+x]\] #1 ", out)) == 1 and len(re.findall(r"\[[+x]\] #2 ", out)) == 1, out
        assert out.count("(end: reached the -n limit; hooks removed)") == 1, out
        assert out.count("detached from pid") == 1, out
    finally:
        target.stop()
