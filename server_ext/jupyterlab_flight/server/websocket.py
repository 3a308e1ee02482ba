"""WebSocket ``flight/sessions/<id>/stream``: a command's records as they come, and a way to stop.

Client -> server: ``{"command": "<command line>"}`` starts a command; ``{"console": "<code>"}``
runs console code in a namespace kept for this socket (the sidebar's interactive console; with
``"check": true`` it only says whether the code is complete);
``{"stop": true}`` interrupts it in the target. Server -> client: ``{"record": {...}}`` for each
record, then ``{"end": true, "interrupted": bool}`` (with ``"more": true`` for console code that
opens a block and needs more lines); ``{"error": "..."}`` for a request it cannot run.

The socket has its own agent connection: what a streaming command installs belongs to that
connection, and closing the WebSocket removes it.
"""

from __future__ import annotations

import asyncio
import json
import threading

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from tornado import web, websocket

from ..commands import parse_command
from ..errors import FlightError, internal_error
from ..session import FlightSession
from .handlers import AUTH_RESOURCE


class CommandSocketHandler(JupyterHandler, websocket.WebSocketHandler):
    auth_resource = AUTH_RESOURCE

    async def pre_get(self):
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, session_id):
        await ensure_async(self.pre_get())
        registry = self.settings["jupyterlab_flight_registry"]
        session = registry.get(session_id)
        if session is None:
            raise web.HTTPError(404, f"no session {session_id}")
        self.pid = session.flight.pid
        self.flight: FlightSession | None = None
        self.running = threading.Event()
        self.interrupted = False
        res = super().get(session_id)
        if res is not None:
            await res

    def check_origin(self, origin):  # same rules as Jupyter's own WebSockets
        return JupyterHandler.check_origin(self, origin)

    def send(self, message: dict) -> None:
        try:
            self.write_message(json.dumps(message))
        except websocket.WebSocketClosedError:
            pass

    async def on_message(self, message):
        try:
            data = json.loads(message)
        except ValueError:
            return self.send({"error": "messages must be JSON objects"})
        if not isinstance(data, dict):
            return self.send({"error": "messages must be JSON objects"})
        if data.get("stop"):
            return await self.stop()
        code = data.get("console")
        if isinstance(code, str):  # the sidebar's interactive console: one snippet, one namespace
            if self.running.is_set():
                return self.send({"error": "a command is already running on this stream; stop it first"})
            self.running.set()
            self.interrupted = False
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, self._run_console, code, bool(data.get("check")), loop)
            return
        line = data.get("command")
        if not isinstance(line, str):
            return self.send({"error": 'send {"command": "<command line>"} or {"stop": true}'})
        if self.running.is_set():
            return self.send({"error": "a command is already running on this stream; stop it first"})
        try:
            command = parse_command(line)
        except FlightError as e:
            return self.send({"error": e.message})
        if command.interactive:
            return self.send({"error": command.command.needs_terminal})
        self.running.set()
        self.interrupted = False
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, self._run, command, loop)

    def _run(self, command, loop) -> None:
        def emit(message):
            loop.call_soon_threadsafe(self.send, message)

        try:
            if self.flight is None:
                # attaches on the first command that needs the agent (perf, stack PID never do)
                self.flight = FlightSession(self.pid)
            for record in self.flight.execute(command):
                emit({"record": record})
        except Exception as e:
            error = e if isinstance(e, FlightError) else internal_error(e, command.name)
            if not self.interrupted:
                emit({"record": {"v": 1, "kind": "error", "message": error.message}})
        finally:
            self.running.clear()
            emit({"end": True, "interrupted": self.interrupted})

    def _run_console(self, code: str, check: bool, loop) -> None:
        """Console code typed in the sidebar: an open block (``for x in y:``) answers ``more``
        (the agent's compiler says so); complete code runs in this stream's console namespace,
        kept while the stream lives, as the terminal's console keeps one. ``check``: only say
        whether it is complete."""

        def emit(message):
            loop.call_soon_threadsafe(self.send, message)

        more = False
        try:
            if self.flight is None:
                self.flight = FlightSession(self.pid)
            answer = next(iter(self.flight.client.run("console", {"incomplete": code})), {})
            more = bool(answer.get("more"))
            if not more and not check:
                parsed = parse_command("console", cell=code)
                snippet = parsed.with_request(dict(parsed.request, session=True), line=code)
                for record in self.flight.execute(snippet):
                    emit({"record": record})
        except Exception as e:
            error = e if isinstance(e, FlightError) else internal_error(e, "console")
            if not self.interrupted:
                emit({"record": {"v": 1, "kind": "error", "message": error.message}})
        finally:
            self.running.clear()
            emit({"end": True, "interrupted": self.interrupted, "more": more})

    async def stop(self) -> None:
        if not self.running.is_set() or self.flight is None:
            return self.send({"end": True, "interrupted": False})
        self.interrupted = True
        flight = self.flight
        cancelled = await asyncio.get_running_loop().run_in_executor(None, flight.cancel)
        if not cancelled:
            flight.close()
            return
        await asyncio.sleep(2.0)
        if self.running.is_set():  # did not end by itself: drop the connection
            flight.close()

    def on_close(self):
        if self.flight is not None:
            self.flight.request_stop()  # a stream that runs here (perf) ends too
            self.flight.close()  # the stream's hooks go with its connection
