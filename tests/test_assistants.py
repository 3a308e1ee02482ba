"""The assistant tools against real targets: ``flight_profiler mcp`` driven by the MCP SDK's own stdio
client, and the same tools loaded by jupyter-server-mcp from our ``jupyter_server_mcp.tools`` entry
point and called over its HTTP transport.

One deadlocked target (targets/deadlock.py) and one leaking target (targets/leaky.py, a small heap)
serve every test here; one MCP client session is shared by the stdio tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from conftest import VERSIONS, Target
from jupyterlab_flight.assistants.peer import tcp_peer_uid
from jupyterlab_flight.assistants.tools import Toolbox
from jupyterlab_flight.diagnose.router import WORKFLOWS
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

PYTHON = VERSIONS[-1]
TOOLS = {"list_python_processes", "list_sessions", "command_help", "run_command", "diagnose"} | {
    f"diagnose_{w}" for w in WORKFLOWS
}


class McpClient:
    """An MCP client session (the SDK's) in a thread with its own event loop, for synchronous tests.
    ``connect`` opens the session over a transport: stdio (a server process) or streamable HTTP."""

    def __init__(self, connect):
        self._connect = connect
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise TimeoutError("the MCP session did not open")
        if self._failure is not None:
            raise self._failure

    async def _main(self):
        self.loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        try:
            async with self._connect() as streams, ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                self.session = session
                self._ready.set()
                await self._closing.wait()
        except BaseException as e:  # surfaced to the test that waits
            self._failure = e
            self._ready.set()

    def _run(self, coroutine, timeout: float = 90):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def tools(self) -> dict:
        return {t.name: t for t in self._run(self.session.list_tools()).tools}

    def call(self, name: str, **arguments) -> tuple[bool, str]:
        result = self._run(self.session.call_tool(name, arguments))
        return bool(result.is_error), "\n".join(c.text for c in result.content if c.type == "text")

    def close(self):
        self.loop.call_soon_threadsafe(self._closing.set)
        self._thread.join(30)


def stdio(*args: str):
    params = StdioServerParameters(command=sys.executable, args=["-m", "jupyterlab_flight.cli", "mcp", *args])
    return lambda: stdio_client(params)


@pytest.fixture(scope="module")
def deadlocked(tmp_path_factory):
    t = Target(PYTHON, "deadlock.py", tmp_path_factory.mktemp("assist"), "all")
    yield t
    assert t.proc.poll() is None, "the target died"
    err = t.stop()
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def mcp():
    client = McpClient(stdio())
    yield client
    client.close()


def test_the_tools_and_their_typed_schemas(mcp):
    tools = mcp.tools()
    assert set(tools) == TOOLS
    run = tools["run_command"].input_schema
    assert run["properties"]["pid"]["type"] == "integer" and run["properties"]["command"]["type"] == "string"
    assert set(run["required"]) == {"pid", "command"}
    assert run["properties"]["output"]["enum"] == ["text", "json"]
    for name in TOOLS - {"list_python_processes", "list_sessions", "command_help"}:
        assert tools[name].input_schema["properties"]["pid"]["type"] == "integer", name
    for tool in tools.values():
        assert len(tool.description) > 80, tool.name
        assert tool.annotations.read_only_hint is True, tool.name
    assert "Read-only" in tools["run_command"].description and "--allow-writes" in tools["run_command"].description


def test_processes_then_a_stack_that_names_the_threads(mcp, deadlocked):
    failed, text = mcp.call("list_python_processes", name_contains="deadlock.py")
    assert not failed and str(deadlocked.pid) in text and "PID" in text
    failed, text = mcp.call("run_command", pid=deadlocked.pid, command="stack")
    assert not failed, text
    for name in ("MainThread", "transfer", "audit", "consumer", "cache-holder"):
        assert f'"{name}"' in text
    failed, text = mcp.call("run_command", pid=deadlocked.pid, command="stack", output="json")
    records = [json.loads(line) for line in text.splitlines()]
    assert records[0]["kind"] == "stack" and {"transfer", "audit"} <= {t["name"] for t in records[0]["threads"]}
    failed, text = mcp.call("list_sessions")
    assert not failed and str(deadlocked.pid) in text and "last: stack" in text
    failed, text = mcp.call("command_help", command="watch")
    assert not failed and "usage: watch" in text
    failed, text = mcp.call("run_command", pid=deadlocked.pid, command="stack --nope")
    assert failed and "usage: stack" in text


def test_a_diagnosis_that_names_the_deadlock(mcp, deadlocked):
    lines = deadlocked.report()["lines"]
    failed, text = mcp.call("diagnose_hang", pid=deadlocked.pid, duration_s=1)
    assert not failed, text
    assert "diagnosis (hang): deadlock" in text and "Deadlock between 'audit' and 'transfer'" in text
    assert f"waits for ACCOUNTS_LOCK at deadlock.py:{lines['audit-accounts']}" in text
    failed, text = mcp.call("diagnose", pid=deadlocked.pid, problem="the service stopped answering", duration_s=1)
    assert not failed and "chose hang" in text and "Deadlock between" in text


def test_read_only_refuses_writes_code_and_files(mcp, deadlocked, tmp_path):
    written = tmp_path / "stacks.txt"
    for line, why in (
        ("console -c 'import os'", "runs Python code"),
        ("tt -i 1000 -p", "calls the function again"),
        ("tt -da", "deletes every recorded call"),
        ("reload __main__ audit", "swaps a function's code"),
        ("detach", "stops the agent"),
        ("gilstat off", "ends the GIL measurement"),
        (f"stack -f {written}", f"writes {written}"),
        ("getglobal __main__ LINES -e \"__import__('os').getpid()\"", "calls getpid()"),
        ("getglobal __main__ LINES -e \"__import__('os')\"", "calls __import__()"),
        ("getglobal __main__ LINES -e '__builtins__'", "names __builtins__"),
        ("getglobal __main__ LINES -e 'target.clear()'", "calls clear()"),
        ("watch __main__ consume -f 'args.__class__' -n 1", "dunder attribute __class__"),
        ("getglobal __main__ LINES -e '[k for k in target]'", "ListComp"),
    ):
        failed, text = mcp.call("run_command", pid=deadlocked.pid, command=line)
        assert failed and "refused in read-only mode" in text and why in text, (line, text)
    assert not written.exists()
    failed, text = mcp.call("run_command", pid=deadlocked.pid, command="getglobal __main__ LINES -e 'len(target)'")
    assert not failed and str(len(deadlocked.report()["lines"])) in text, text
    failed, text = mcp.call(
        "run_command", pid=deadlocked.pid, command="getglobal __main__ COUNTS -e \"target.get('busy') > 0\""
    )
    assert not failed and "True" in text, text
    failed, text = mcp.call("list_sessions")
    assert "yes" in text  # the agent connection is still open: detach was refused


def test_streams_always_end(mcp, deadlocked):
    started = time.monotonic()
    failed, text = mcp.call("run_command", pid=deadlocked.pid, command="gilstat on 10 10 0.3")  # no -n: gets one
    assert not failed and "reached the -n limit" in text, text
    failed, text = mcp.call("run_command", pid=deadlocked.pid, command="watch __main__ transfer -n 1", timeout_s=1.5)
    assert not failed and "timeout" in text, text  # transfer never returns: the timeout ends the stream
    assert time.monotonic() - started < 20


def test_output_is_capped_and_says_so(deadlocked):
    box = Toolbox(max_output=1000)
    try:
        text = box.run(deadlocked.pid, "stack")
        assert "[output cut: 1,000 of" in text and len(text) < 1300
        text = box.diagnose(deadlocked.pid, "hang", 1)  # the diagnosis comes after the cut
        assert "[output cut:" in text and "Deadlock between 'audit' and 'transfer'" in text
    finally:
        box.close()


def test_allow_writes_runs_code_when_the_user_started_it_so(deadlocked):
    client = McpClient(stdio("--allow-writes"))
    try:
        tools = client.tools()
        assert "allows writes" in tools["run_command"].description
        assert tools["run_command"].annotations.read_only_hint is False
        failed, text = client.call("run_command", pid=deadlocked.pid, command="console -c '6 * 7'")
        assert not failed and "42" in text, text
    finally:
        client.close()


def test_a_diagnosis_that_names_the_leak(mcp, tmp_path_factory):
    t = Target(PYTHON, "leaky.py", tmp_path_factory.mktemp("leak"), "1000")
    try:
        failed, text = mcp.call("diagnose_memory", pid=t.pid, duration_s=2)
        assert not failed, text
        assert "diagnosis (memory): leak" in text and "__main__.Session" in text and "__main__._SESSIONS" in text
    finally:
        err = t.stop()
        assert "Traceback" not in err, err


# -- the same tools in Jupyter's MCP server --------------------------------------------------------


@pytest.fixture(scope="module")
def jupyter_mcp(tmp_path_factory):
    """jupyter-server-mcp's extension started as Jupyter starts it (start_extension: entry points
    discovered, tools registered, its HTTP server bound), on a port of the OS's choosing."""
    from jupyter_server_mcp.extension import MCPExtensionApp

    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    before = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)  # where it publishes its port
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    app = MCPExtensionApp(mcp_port=0, mcp_tools=[])
    asyncio.run_coroutine_threadsafe(app.start_extension(), loop).result(60)
    try:
        yield app, f"http://localhost:{app.mcp_server_instance.port}/mcp"
    finally:
        asyncio.run_coroutine_threadsafe(app._stop_mcp_server_task(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if before is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = before


def test_jupyter_server_mcp_loads_and_serves_our_tools(jupyter_mcp, deadlocked):
    app, url = jupyter_mcp
    assert TOOLS <= set(app.mcp_server_instance._registered_tools)
    client = McpClient(lambda: streamable_http_client(url))
    try:
        tools = client.tools()
        assert TOOLS <= set(tools)
        schema = tools["run_command"].input_schema["properties"]
        assert schema["pid"]["type"] == "integer" and schema["command"]["type"] == "string"
        failed, text = client.call("run_command", pid=deadlocked.pid, command="stack")
        assert not failed and '"transfer"' in text and '"audit"' in text, text
        failed, text = client.call("run_command", pid=deadlocked.pid, command="console -c 1")
        assert failed and "refused in read-only mode" in text, text
    finally:
        client.close()


NOBODY = 65534
# MCP's streamable HTTP spoken by hand from a process that is another user: everything is imported
# as root first (the interpreter's files may lie where that user cannot read them, ~root/.pyenv)
OTHER_USER_CLIENT = """
import http.client, json, os, sys
import email.parser, email.message, encodings.idna
port = int(sys.argv[1])
os.setgid({uid}); os.setuid({uid})

def post(body, session=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}}
    if session:
        headers["mcp-session-id"] = session
    connection.request("POST", "/mcp", json.dumps(body), headers)
    response = connection.getresponse()
    text = response.read().decode()
    return response.getheader("mcp-session-id") or session, text

hello = {{"protocolVersion": "2025-06-18", "capabilities": {{}}, "clientInfo": {{"name": "other", "version": "0"}}}}
session, _ = post({{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}})
post({{"jsonrpc": "2.0", "method": "notifications/initialized"}}, session)
call = {{"name": "list_python_processes", "arguments": {{}}}}
print(post({{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call}}, session)[1])
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_jupyter_tools_refuse_another_user_of_the_machine(jupyter_mcp):
    app, _ = jupyter_mcp
    port = str(app.mcp_server_instance.port)
    done = subprocess.run(
        [sys.executable, "-c", OTHER_USER_CLIENT.format(uid=NOBODY), port], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = next(json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("data:"))
    assert data["result"]["isError"] is True, data
    assert data["result"]["content"][0]["text"].startswith("refused: the connecting process belongs to uid 65534")


def test_tcp_peer_uid_names_the_user_of_the_other_end():
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(20)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as mine:
            accepted, peer = server.accept()
            with accepted:
                assert tcp_peer_uid(peer[0], peer[1], port) == os.geteuid()
                assert mine.getsockname()[1] == peer[1]
        if os.geteuid() == 0:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    f"import os, socket, sys; os.setuid({NOBODY}); s = socket.socket(); s.connect(('127.0.0.1', {port}));"
                    " sys.stdin.read()",
                ],
                stdin=subprocess.PIPE,
            )
            try:
                accepted, peer = server.accept()
                with accepted:
                    assert tcp_peer_uid(peer[0], peer[1], port) == NOBODY
            finally:
                child.stdin.close()
                child.wait(10)
    assert tcp_peer_uid("127.0.0.1", 1, port) is None
