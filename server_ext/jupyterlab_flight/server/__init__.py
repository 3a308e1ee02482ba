"""The Jupyter server extension: REST and WebSocket API under ``<base_url>flight/``.

    GET    flight/commands                   the command descriptors: options, defaults, traits
    GET    flight/processes                  Python processes (+ this server's kernels and notebooks)
    GET    flight/sessions                   open sessions
    POST   flight/sessions                   attach: {"pid": N} or {"kernel_id": "..."}
    DELETE flight/sessions/<id>              detach (the agent leaves the target)
    POST   flight/sessions/<id>/commands     {"command": "<command line>"} -> {"records": [...]}
    WS     flight/sessions/<id>/stream       send {"command": ...}; records stream back; {"stop": true}
    POST   flight/streams/stop               {"pid", "connection", "request"}: stop a stream by its agent ids

Every route needs Jupyter's authentication and authorization on the resource AUTH_RESOURCE
(``jupyterlab_flight:diagnostics``), so an administrator's authorizer can deny it.
"""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .handlers import (
    CommandListHandler,
    CommandsHandler,
    CompletionHandler,
    JobsHandler,
    ProcessesHandler,
    SessionHandler,
    SessionsHandler,
    StreamStopHandler,
)
from .registry import SessionRegistry
from .websocket import CommandSocketHandler

_SESSION = r"(?P<session_id>[0-9a-f]{32})"


def setup_handlers(web_app) -> None:
    base = url_path_join(web_app.settings["base_url"], "flight")
    registry = SessionRegistry()
    web_app.settings["jupyterlab_flight_registry"] = registry
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "commands"), CommandListHandler),
            (url_path_join(base, "processes"), ProcessesHandler),
            (url_path_join(base, "jobs"), JobsHandler),
            (url_path_join(base, "sessions"), SessionsHandler),
            (url_path_join(base, "sessions", _SESSION), SessionHandler),
            (url_path_join(base, "sessions", _SESSION, "commands"), CommandsHandler),
            (url_path_join(base, "sessions", _SESSION, "complete"), CompletionHandler),
            (url_path_join(base, "sessions", _SESSION, "stream"), CommandSocketHandler),
            (url_path_join(base, "streams", "stop"), StreamStopHandler),
        ],
    )


def load_jupyter_server_extension(serverapp) -> None:
    setup_handlers(serverapp.web_app)
    serverapp.log.info("jupyterlab_flight: diagnostics API at %sflight/", serverapp.base_url)
