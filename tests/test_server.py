"""The Jupyter server extension against real targets (pytest-jupyter's jp_fetch / jp_ws_fetch),
under a non-root base_url."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from jupyterlab_flight.server.handlers import AUTH_RESOURCE
from tornado.httpclient import HTTPClientError


@pytest.fixture
def version():
    """The server is the subject here: one target interpreter is enough."""
    return "3.11"


ROUTES = [
    ("GET", "flight/processes"),
    ("GET", "flight/sessions"),
    ("POST", "flight/sessions"),
    ("GET", "flight/sessions/" + "0" * 32),
    ("DELETE", "flight/sessions/" + "0" * 32),
    ("POST", "flight/sessions/" + "0" * 32 + "/commands"),
    ("POST", "flight/sessions/" + "0" * 32 + "/complete"),
    ("POST", "flight/streams/stop"),
    ("POST", "flight/jobs"),
]


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyterlab_flight": True}}}


@pytest.fixture
def jp_base_url():
    return "/jupyter-base/"


async def fetch_json(jp_fetch, *parts, method="GET", body=None):
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    try:
        response = await jp_fetch(*parts, **kwargs)
    except HTTPClientError as e:  # say what the server said, not only its status
        body = e.response.body.decode(errors="replace") if e.response is not None and e.response.body else ""
        e.message = f"{e.message}: {method} {'/'.join(parts)}: {body}"
        raise
    return response.code, json.loads(response.body)


async def error_of(jp_fetch, *parts, method="GET", body=None):
    with pytest.raises(HTTPClientError) as caught:
        await fetch_json(jp_fetch, *parts, method=method, body=body)
    return caught.value.code, json.loads(caught.value.response.body)["message"]


async def attach_session(jp_fetch, pid: int) -> str:
    code, session = await fetch_json(jp_fetch, "flight", "sessions", method="POST", body={"pid": pid})
    assert code == 201 and session["pid"] == pid and session["connected"]
    return session["id"]


async def test_processes_lists_the_target(target, jp_fetch):
    code, data = await fetch_json(jp_fetch, "flight", "processes")
    assert code == 200
    mine = [p for p in data["processes"] if p["pid"] == target.pid]
    assert mine and mine[0]["python"] == "3.11" and "service.py" in mine[0]["cmdline"]
    assert "kernels" in data


async def test_attach_run_detach(target, jp_fetch):
    session_id = await attach_session(jp_fetch, target.pid)
    code, listing = await fetch_json(jp_fetch, "flight", "sessions")
    assert [s["id"] for s in listing["sessions"]] == [session_id]
    code, result = await fetch_json(
        jp_fetch,
        "flight",
        "sessions",
        session_id,
        "commands",
        method="POST",
        body={"command": "getglobal __main__ CONFIG -e \"target['name']\""},
    )
    assert code == 200 and result["records"][0]["kind"] == "value" and result["records"][0]["value"]["repr"] == "'svc'"
    code, result = await fetch_json(
        jp_fetch, "flight", "sessions", session_id, "commands", method="POST", body={"command": "stack"}
    )
    assert {t["name"] for t in result["records"][0]["threads"]} >= {"MainThread", "deep-sleeper"}
    # an expression that raises is an error record, not an HTTP failure
    code, result = await fetch_json(
        jp_fetch,
        "flight",
        "sessions",
        session_id,
        "commands",
        method="POST",
        body={"command": "getglobal __main__ CONFIG -e 1/0"},
    )
    assert result["records"][0]["kind"] == "error" and result["records"][0]["exception"]["type"] == "ZeroDivisionError"
    # Tab completion from the target (the sidebar's)
    code, result = await fetch_json(
        jp_fetch, "flight", "sessions", session_id, "complete", method="POST", body={"line": "watch __main__ Mod"}
    )
    assert code == 200 and result == {"candidates": ["Model"], "text": "watch __main__ Model "}
    code, result = await fetch_json(jp_fetch, "flight", "sessions", session_id, method="DELETE")
    assert "detached" in result["records"][0]["text"]
    assert target.wait_report(lambda r: not r["flight_modules"])
    code, listing = await fetch_json(jp_fetch, "flight", "sessions")
    assert listing["sessions"] == []


async def test_bad_requests_get_4xx_json(target, jp_fetch):
    assert await error_of(jp_fetch, "flight", "sessions", method="POST", body={"pid": 999999}) == (
        404,
        "no process with pid 999999",
    )
    code, message = await error_of(jp_fetch, "flight", "sessions", method="POST", body={"pid": "12"})
    assert code == 400 and "pid" in message
    code, message = await error_of(jp_fetch, "flight", "sessions", method="POST", body={"kernel_id": "nope"})
    assert code == 404 and "no running kernel" in message
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("flight", "sessions", method="POST", body="not json")
    assert caught.value.code == 400
    assert (
        await error_of(jp_fetch, "flight", "sessions", "f" * 32, "commands", method="POST", body={"command": "stack"})
    )[0] == 404
    session_id = await attach_session(jp_fetch, target.pid)
    code, message = await error_of(
        jp_fetch, "flight", "sessions", session_id, "commands", method="POST", body={"command": "getglobal"}
    )
    assert code == 400 and "required" in message
    code, message = await error_of(
        jp_fetch, "flight", "sessions", session_id, "commands", method="POST", body={"nothing": 1}
    )
    assert code == 400
    # a target that died: the command fails cleanly and the server keeps serving
    target.proc.kill()
    target.proc.wait()
    code, message = await error_of(
        jp_fetch, "flight", "sessions", session_id, "commands", method="POST", body={"command": "stack"}
    )
    assert code in (400, 409) and "pid" in message
    code, data = await fetch_json(jp_fetch, "flight", "sessions")
    assert code == 200


async def test_every_route_refuses_unauthenticated_requests(http_server_client, jp_base_url, jp_ws_fetch):
    for method, path in ROUTES:
        body = "{}" if method == "POST" else None
        response = await http_server_client.fetch(jp_base_url + path, method=method, body=body, raise_error=False)
        assert response.code == 403, (method, path, response.code)
    with pytest.raises(HTTPClientError) as caught:
        await jp_ws_fetch("flight", "sessions", "0" * 32, "stream", headers={"Authorization": "token not-the-token"})
    assert caught.value.code == 403


async def test_an_authorizer_can_deny_the_resource(jp_serverapp, jp_fetch):
    seen = []

    def is_authorized(handler, user, action, resource):
        seen.append(resource)
        return resource != AUTH_RESOURCE

    jp_serverapp.web_app.settings["authorizer"].is_authorized = is_authorized
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("flight", "processes")
    assert caught.value.code == 403 and AUTH_RESOURCE in seen


async def next_message(ws) -> dict:
    message = await asyncio.wait_for(ws.read_message(), timeout=30)
    assert message is not None, "the stream closed"
    return json.loads(message)


async def test_stream_records_and_stop(target, jp_fetch, jp_ws_fetch):
    session_id = await attach_session(jp_fetch, target.pid)
    ws = await jp_ws_fetch("flight", "sessions", session_id, "stream")
    ws.write_message(json.dumps({"command": "stack"}))
    record = await next_message(ws)
    assert record["record"]["kind"] == "stack"
    assert (await next_message(ws)) == {"end": True, "interrupted": False}
    # a long-running command, stopped from the client
    ws.write_message(json.dumps({"command": "console -c 'import time\nwhile True: time.sleep(0.01)'"}))
    await asyncio.sleep(1.0)
    ws.write_message(json.dumps({"stop": True}))
    messages = [await next_message(ws)]
    while "end" not in messages[-1]:
        messages.append(await next_message(ws))
    assert messages[-1] == {"end": True, "interrupted": True}
    console = [m["record"] for m in messages if "record" in m and m["record"]["kind"] == "console"]
    assert console and console[0]["error"]["type"] == "KeyboardInterrupt"
    ws.write_message(json.dumps({"command": "frobnicate"}))
    assert "unknown command" in (await next_message(ws))["error"]
    ws.close()


async def test_the_sidebar_console_keeps_its_namespace_and_waits_for_open_blocks(target, jp_fetch, jp_ws_fetch):
    session_id = await attach_session(jp_fetch, target.pid)
    ws = await jp_ws_fetch("flight", "sessions", session_id, "stream")

    async def run(message: dict) -> list:
        ws.write_message(json.dumps(message))
        messages = [await next_message(ws)]
        while "end" not in messages[-1]:
            messages.append(await next_message(ws))
        return messages

    assert (await run({"console": "x = 41"}))[-1] == {"end": True, "interrupted": False, "more": False}
    assert (await run({"console": "for i in range(2):", "check": True})) == [
        {"end": True, "interrupted": False, "more": True}
    ]
    done = await run({"console": "for i in range(2):\n    x += i\n"})
    assert done[-1]["more"] is False
    messages = await run({"console": "x"})
    value = [m["record"] for m in messages if "record" in m][0]
    assert value["kind"] == "console" and value["value"]["repr"] == "42"
    # the namespace is the console's own, not the target's
    messages = await run({"command": "getglobal __main__ x"})
    assert [m["record"]["kind"] for m in messages if "record" in m] == ["error"]
    ws.close()
    await fetch_json(jp_fetch, "flight", "sessions", session_id, method="DELETE")


async def test_stream_a_watch_and_stop_it(jp_fetch, jp_ws_fetch, tmp_path):
    from conftest import Target

    observed = Target("3.11", "observed.py", tmp_path)
    try:
        session_id = await attach_session(jp_fetch, observed.pid)
        ws = await jp_ws_fetch("flight", "sessions", session_id, "stream")
        ws.write_message(json.dumps({"command": "watch __main__ compute -n 100000"}))
        first = [await next_message(ws) for _ in range(3)]
        assert [m["record"]["kind"] for m in first] == ["message", "watch", "watch"]
        ws.write_message(json.dumps({"stop": True}))
        messages = first
        while "end" not in messages[-1]:
            messages.append(await next_message(ws))
        assert messages[-2]["record"] == {"v": 1, "kind": "end", "reason": "stopped"}
        assert messages[-1] == {"end": True, "interrupted": True}
        ws.close()
        assert observed.wait_report(lambda r: r["codes_original"] and not r["monitoring_tools"])
        await fetch_json(jp_fetch, "flight", "sessions", session_id, method="DELETE")
    finally:
        assert "Traceback" not in observed.stop()


async def test_stop_a_stream_another_client_runs(jp_fetch, tmp_path):
    """The stop button of a notebook's live widget: the stream runs in a kernel (here: a thread
    with its own connection); the server ends it by its agent ids."""
    import threading

    from conftest import Target
    from jupyterlab_flight.commands import parse_command
    from jupyterlab_flight.session import FlightSession

    observed = Target("3.11", "observed.py", tmp_path)
    try:
        runner = FlightSession.open(observed.pid)
        records: list = []
        thread = threading.Thread(
            target=lambda: records.extend(runner.execute(parse_command("watch __main__ compute -n 100000")))
        )
        thread.start()
        for _ in range(200):
            if runner.stream_ids()[1] is not None:
                break
            await asyncio.sleep(0.05)
        # the stream is running once its first call is in (list.extend appends as records come)
        for _ in range(200):
            if any(r["kind"] == "watch" for r in list(records)):
                break
            await asyncio.sleep(0.05)
        connection, request = runner.stream_ids()
        ids = {"pid": observed.pid, "connection": connection, "request": request}
        # wrong ids stop nothing
        code, answer = await fetch_json(
            jp_fetch, "flight", "streams", "stop", method="POST", body=dict(ids, request=request + 1)
        )
        assert code == 200 and answer["stopped"] is False
        assert thread.is_alive()
        code, answer = await fetch_json(jp_fetch, "flight", "streams", "stop", method="POST", body=ids)
        assert code == 200 and answer == {"stopped": True, "message": "stopping the stream"}
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 30)
        assert not thread.is_alive() and records[-1] == {"v": 1, "kind": "end", "reason": "stopped"}
        assert any(r["kind"] == "watch" for r in records)
        assert observed.wait_report(lambda r: r["codes_original"] and not r["monitoring_tools"])
        code, answer = await fetch_json(jp_fetch, "flight", "streams", "stop", method="POST", body=ids)
        assert answer["stopped"] is False and "ended" in answer["message"]
        for bad in ({}, dict(ids, pid="1"), dict(ids, connection=True), dict(ids, request=0)):
            code, message = await error_of(jp_fetch, "flight", "streams", "stop", method="POST", body=bad)
            assert code == 400 and "pid" in message
        runner.close()
    finally:
        assert "Traceback" not in observed.stop()
    # a process without an agent has no stream
    code, message = await error_of(jp_fetch, "flight", "streams", "stop", method="POST", body=dict(ids, pid=1))
    assert code in (403, 404), message


async def test_attach_to_a_kernel_of_this_server(jp_fetch):
    code, kernel = await fetch_json(jp_fetch, "api", "kernels", method="POST", body={"name": "python3"})
    try:
        # a kernel the sidebar lists has started: wait for its first idle, as a user would see it
        # (attaching 50 ms after the start, while the kernel was still importing, failed once)
        deadline = time.monotonic() + 60
        while kernel.get("execution_state") != "idle" and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            code, kernel = await fetch_json(jp_fetch, "api", "kernels", kernel["id"])
        code, session = await fetch_json(
            jp_fetch, "flight", "sessions", method="POST", body={"kernel_id": kernel["id"]}
        )
        assert code == 201 and session["kernel_id"] == kernel["id"]
        code, data = await fetch_json(jp_fetch, "flight", "processes")
        assert any(p["kernel_id"] == kernel["id"] and p["this_server"] for p in data["processes"])
        code, result = await fetch_json(
            jp_fetch, "flight", "sessions", session["id"], "commands", method="POST", body={"command": "stack"}
        )
        frames = [f["file"] for t in result["records"][0]["threads"] for f in t["frames"]]
        assert any("ipykernel" in f for f in frames)
        await fetch_json(jp_fetch, "flight", "sessions", session["id"], method="DELETE")
    finally:
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")


async def test_the_sidebar_stops_a_diagnose_and_gets_its_diagnosis(jp_fetch, jp_ws_fetch, tmp_path):
    """Stop in the sidebar during a diagnose: the run ends within the server's grace, with the
    records so far and a diagnosis marked stopped."""
    from conftest import Target

    t = Target("3.13", "deadlock.py", tmp_path, "queue")
    try:
        session_id = await attach_session(jp_fetch, t.pid)
        ws = await jp_ws_fetch("flight", "sessions", session_id, "stream")
        ws.write_message(json.dumps({"command": "diagnose hang -d 30"}))
        await asyncio.sleep(2.0)
        stopped_at = asyncio.get_running_loop().time()
        ws.write_message(json.dumps({"stop": True}))
        messages = [await next_message(ws)]
        while "end" not in messages[-1]:
            messages.append(await next_message(ws))
        assert asyncio.get_running_loop().time() - stopped_at < 2.0  # before the server drops the connection
        records = [m["record"] for m in messages if "record" in m]
        diagnosis = records[-1]
        assert diagnosis["kind"] == "diagnosis" and diagnosis["stopped"] is True, records
        assert diagnosis["classification"] == "waiting"  # what the samples so far showed
        assert "the empty queue jobs" in " ".join(f["evidence"] for f in diagnosis["findings"])
        assert messages[-1] == {"end": True, "interrupted": True}
        ws.close()
    finally:
        assert "Traceback" not in t.stop()
