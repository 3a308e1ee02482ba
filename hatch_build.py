"""Hatch build hook: compile native/ (the attach injector and the in-target boot library).

The binaries do not depend on the Python version (the boot library finds the C API at run time),
so the wheel is tagged for the platform only.
"""

from __future__ import annotations

import os
import subprocess

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        root = self.root
        out = os.path.join(root, "server_ext", "jupyterlab_flight", "_native")
        subprocess.run(["make", "-C", os.path.join(root, "native"), f"OUT={out}"], check=True)
        # a development build of the labextension (`jlpm build`) writes its own install.json there;
        # the wheel takes the repository's (shared-data) and refuses a second file at that path
        stale = os.path.join(root, "server_ext", "jupyterlab_flight", "labextension", "install.json")
        if os.path.exists(stale):
            os.remove(stale)
        if self.target_name == "wheel":
            build_data["pure_python"] = False
            build_data["tag"] = "py3-none-linux_x86_64"
