"""jupyterlab_flight: the Jupyter and terminal side of jupyterlab-flight.

Attach to a running Python process (attach/), talk to its agent (client.py), parse the command
language (commands/), render results (render/), and the ``flight_profiler`` CLI (cli.py).
"""

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-flight"}]
