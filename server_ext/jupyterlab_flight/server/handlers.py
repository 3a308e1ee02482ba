"""REST handlers. Blocking work (attach, agent round trips, /proc scans) runs in a thread."""

from __future__ import annotations

import asyncio
import json

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..commands import describe_commands, parse_command
from ..completion import completed_text
from ..errors import FlightError, internal_error
from ..processes import list_python_processes
from ..session import FlightSession, stop_stream
from .registry import ServerSession, SessionRegistry

AUTH_RESOURCE = "jupyterlab_flight:diagnostics"


async def in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class FlightHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def registry(self) -> SessionRegistry:
        return self.settings["jupyterlab_flight_registry"]

    def fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"message": message}))

    def fail_with(self, error: BaseException, where: str) -> None:
        """A FlightError with its own status; anything else is a bug of ours (500, logged)."""
        if not isinstance(error, FlightError):
            error = internal_error(error, where)
        self.fail(error.status, error.message)

    def body(self) -> dict:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, "the request body is not JSON") from None
        if not isinstance(data, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return data

    def session_or_404(self, session_id: str) -> ServerSession:
        session = self.registry.get(session_id)
        if session is None:
            raise web.HTTPError(404, f"no session {session_id}")
        return session

    def kernel_pids(self) -> dict:
        """{kernel id: pid} for this server's kernels (local provisioners)."""
        pids = {}
        km = self.kernel_manager
        for kernel_id in km.list_kernel_ids():
            kernel = km.get_kernel(kernel_id)
            provisioner = getattr(kernel, "provisioner", None)
            process = getattr(provisioner, "process", None)
            pid = getattr(process, "pid", None) or getattr(provisioner, "pid", None)
            if pid:
                pids[kernel_id] = pid
        return pids

    async def notebooks(self) -> dict:
        sessions = await self.session_manager.list_sessions()
        return {s["kernel"]["id"]: s.get("path") for s in sessions if s.get("kernel")}


class ProcessesHandler(FlightHandler):
    @web.authenticated
    @authorized("read")
    async def get(self):
        notebooks = await self.notebooks()
        processes = await in_thread(list_python_processes, notebooks)
        kernel_pids = self.kernel_pids()
        kernels = [{"kernel_id": k, "pid": pid, "notebook": notebooks.get(k)} for k, pid in kernel_pids.items()]
        for p in processes:
            p["this_server"] = p["kernel_id"] in kernel_pids
        self.finish(json.dumps({"processes": processes, "kernels": kernels}))


class CommandListHandler(FlightHandler):
    """The command descriptors: names, options, defaults and traits (the sidebar's completion)."""

    @web.authenticated
    @authorized("read")
    async def get(self):
        self.finish(json.dumps({"commands": describe_commands()}))


class SessionsHandler(FlightHandler):
    @web.authenticated
    @authorized("read")
    async def get(self):
        self.finish(json.dumps({"sessions": [s.describe() for s in self.registry.all()]}))

    @web.authenticated
    @authorized("execute")
    async def post(self):
        data = self.body()
        kernel_id = data.get("kernel_id")
        if kernel_id is not None:
            pid = self.kernel_pids().get(kernel_id)
            if pid is None:
                return self.fail(404, f"no running kernel {kernel_id} on this server")
        else:
            pid = data.get("pid")
            if not isinstance(pid, int) or isinstance(pid, bool):
                return self.fail(400, 'give {"pid": <integer>} or {"kernel_id": "<id>"}')
        try:
            flight = await in_thread(FlightSession.open, pid)
        except Exception as e:
            return self.fail_with(e, "attach")
        session = self.registry.add(flight, kernel_id)
        self.set_status(201)
        self.finish(json.dumps(session.describe()))


class SessionHandler(FlightHandler):
    @web.authenticated
    @authorized("read")
    async def get(self, session_id):
        self.finish(json.dumps(self.session_or_404(session_id).describe()))

    @web.authenticated
    @authorized("execute")
    async def delete(self, session_id):
        session = self.session_or_404(session_id)
        self.registry.remove(session_id)

        def detach():
            with session.lock:
                records = list(session.flight.detach())
                session.flight.close()
                return records

        try:
            records = await in_thread(detach)
        except FlightError as e:
            records = [{"v": 1, "kind": "message", "text": f"the agent was already gone: {e.message}"}]
        self.finish(json.dumps({"records": records}))


class CommandsHandler(FlightHandler):
    @web.authenticated
    @authorized("execute")
    async def post(self, session_id):
        session = self.session_or_404(session_id)
        line = self.body().get("command")
        if not isinstance(line, str) or not line.strip():
            return self.fail(400, 'give {"command": "<command line>"}')
        try:
            command = parse_command(line)
        except FlightError as e:
            return self.fail(e.status, e.message)
        if command.interactive:
            return self.fail(400, command.command.needs_terminal)

        def run():
            with session.lock:
                return list(session.flight.execute(command))

        try:
            records = await in_thread(run)
        except Exception as e:
            return self.fail_with(e, command.name)
        if command.command.ends_session:
            self.registry.remove(session_id)
        self.finish(json.dumps({"records": records}))


class CompletionHandler(FlightHandler):
    """Tab completion for the sidebar: ``{"line"}`` -> ``{"candidates", "text"}`` (completion.py),
    target names through a second agent connection, so a running stream does not hold it up."""

    @web.authenticated
    @authorized("read")
    async def post(self, session_id):
        session = self.session_or_404(session_id)
        line = self.body().get("line")
        if not isinstance(line, str):
            return self.fail(400, 'give {"line": "<command line typed so far>"}')
        try:
            candidates = await in_thread(session.flight.complete, line)
        except Exception as e:
            return self.fail_with(e, "complete")
        self.finish(json.dumps({"candidates": candidates, "text": completed_text(line, candidates)}))


class StreamStopHandler(FlightHandler):
    """Stops a stream by its agent ids, whoever runs it: the stop button of a notebook's live
    widget (the kernel that runs the magic is busy and reads no widget message)."""

    @web.authenticated
    @authorized("execute")
    async def post(self):
        data = self.body()
        ids = [data.get(key) for key in ("pid", "connection", "request")]
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            return self.fail(400, 'give {"pid": <integer>, "connection": <integer>, "request": <integer>}')
        try:
            stopped = await in_thread(stop_stream, *ids)
        except Exception as e:
            return self.fail_with(e, "stop the stream")
        message = "stopping the stream" if stopped else "the stream has already ended"
        self.finish(json.dumps({"stopped": stopped, "message": message}))


class JobsHandler(FlightHandler):
    """A whole job from any of its pids (fanout.py): ``{"pid"}`` lists it, ``{"pid", "command",
    "samples"?, "ranks"?}`` runs the command on every Python process of it; one ``job`` record."""

    @web.authenticated
    @authorized("execute")
    async def post(self):
        from .. import fanout

        data = self.body()
        pid, line, samples = data.get("pid"), data.get("command") or "", data.get("samples", 1)
        if type(pid) is not int or not isinstance(line, str) or type(samples) is not int or samples < 1:
            return self.fail(400, 'give {"pid": <int>, "command": "<command line>" (optional), "samples": <int>}')
        try:
            if line.strip():
                parse_command(line)  # a line that does not parse fails here, once
                record = await in_thread(
                    lambda: fanout.run_job(pid, line.strip(), samples=samples, ranks_only=bool(data.get("ranks")))
                )
            else:
                record = await in_thread(fanout.list_job, pid)
        except Exception as e:
            return self.fail_with(e, "job")
        self.finish(json.dumps({"records": [record]}))
