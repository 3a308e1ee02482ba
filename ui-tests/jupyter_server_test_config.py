"""JupyterLab for the browser tests: galata's test configuration on our own port."""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
c.ServerApp.port = int(os.environ.get("FLIGHT_UI_PORT", "8899"))  # noqa: F821
# let the notebook's kernel find its own server's sessions (notebook names in the process list)
c.ServerApp.allow_root = True  # noqa: F821
