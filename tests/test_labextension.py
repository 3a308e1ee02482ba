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


def test_widget_module_versions_agree():
    """The kernel asks for the widget module by version: widget.py, src/widget.ts and package.json
    must say the same, and the built extension must share @jupyter-widgets/base (not bundle it)."""
    import json

    from jupyterlab_flight import widget

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    package = json.load(open(os.path.join(root, "package.json")))
    assert widget.MODULE_VERSION == "^" + package["version"]
    assert widget.MODULE_NAME == package["name"]
    assert f"MODULE_VERSION = '{package['version']}'" in open(os.path.join(root, "src", "widget.ts")).read()
    built = json.load(open(os.path.join(root, "server_ext", "jupyterlab_flight", "labextension", "package.json")))
    assert built["jupyterlab"]["sharedPackages"]["@jupyter-widgets/base"] == {"bundled": False, "singleton": True}
