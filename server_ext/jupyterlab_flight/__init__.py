"""jupyterlab_flight: the Jupyter and terminal side of jupyterlab-flight.

Attach to a running Python process (attach/), talk to its agent (client.py), parse the command
language (commands/), render results (render/), and the ``flight_profiler`` CLI (cli.py).
"""

__version__ = "0.1.0"


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_flight"}]


def _load_jupyter_server_extension(serverapp):
    from .server import load_jupyter_server_extension

    load_jupyter_server_extension(serverapp)


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-flight"}]


def load_ipython_extension(ipython):
    """``%load_ext jupyterlab_flight``: the %flight magics (magics.py)."""
    from .magics import load_ipython_extension as load

    load(ipython)
