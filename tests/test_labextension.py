"""The JupyterLab extension is built and installed with the package, and JupyterLab loads it."""

from __future__ import annotations

import os
import subprocess
import sys


def test_labextension_is_enabled():
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    done = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    listing = done.stdout + done.stderr
    line = next((li for li in listing.splitlines() if "jupyterlab-flight" in li), "")
    assert "enabled" in line and "OK" in line, listing


def test_labextension_bundle_has_the_plugin():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    static = os.path.join(root, "server_ext", "jupyterlab_flight", "labextension", "static")
    bundles = "".join(open(os.path.join(static, f)).read() for f in os.listdir(static) if f.endswith(".js"))
    assert "jupyterlab-flight:plugin" in bundles
