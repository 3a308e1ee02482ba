"""The agent channel: who may connect, and what malformed input does (nothing, to the target)."""

from __future__ import annotations

import json
import os
import random
import socket
import stat
import struct

from jupyterlab_flight.attach import attach
from jupyterlab_flight.client import agent_paths
from test_lifecycle import RESULTS, settled


def test_socket_and_token_are_private(target):
    client = attach(target.pid)
    try:
        paths = agent_paths(os.geteuid(), target.pid)
        directory = os.path.dirname(paths["socket"])
        assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o700
        assert stat.S_IMODE(os.lstat(paths["socket"]).st_mode) & 0o077 == 0
        assert stat.S_IMODE(os.lstat(paths["token"]).st_mode) == 0o600
    finally:
        client.detach()


def _connect(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def _frame(obj) -> bytes:
    body = json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body


def _recv_exact(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        assert chunk, "the agent closed an authenticated session on a malformed request"
        data += chunk
    return data


def _drain(s: socket.socket) -> bytes:
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, OSError):
        pass
    return data


def test_fuzzed_frames_are_rejected_and_harmless(target):
    baseline = target.report()
    client = attach(target.pid)
    paths = agent_paths(os.geteuid(), target.pid)
    with open(paths["token"]) as f:
        token = json.load(f)["token"]
    rng = random.Random(1234)
    sent = 0

    # 1. before authentication: garbage, truncated, oversized, non-object and wrong-token frames
    for i in range(600):
        s = _connect(paths["socket"])
        choice = i % 6
        if choice == 0:
            s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200))))
        elif choice == 1:
            s.sendall(struct.pack(">I", 100) + b"x" * rng.randint(0, 99))  # truncated, then closed
        elif choice == 2:
            s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"{}")  # oversized
        elif choice == 3:
            s.sendall(_frame(rng.choice([[], 1, "hello", None, [1, 2]])))
        elif choice == 4:
            s.sendall(_frame({"op": "hello", "token": f"{rng.getrandbits(256):064x}"}))
            assert b"authentication failed" in _drain(s)
        else:
            body = bytes(rng.getrandbits(8) for _ in range(50))
            s.sendall(struct.pack(">I", len(body)) + body)
        sent += 1
        s.close()

    # 2. after authentication: malformed requests get an error record, and the session goes on
    s = _connect(paths["socket"])
    s.sendall(_frame({"op": "hello", "token": token}))
    instances = {
        "module": "__main__",
        "class": "X",
        "expr": None,
        "limit": 10,
        "expand": 2,
        "verbose": False,
        "raw": False,
    }
    bad_requests = [
        {"op": "run", "command": "getglobal", "args": {}},
        {"op": "run", "command": "getglobal", "args": "not an object"},
        {"op": "run", "command": 42},
        {"op": "run", "command": "no-such-command", "args": {}},
        {"op": "run", "command": "vmtool", "args": dict(instances, action="explode")},
        {"op": "run", "command": "getglobal", "args": dict(RESULTS, module=["x"], field={})},
        {"op": "run", "command": "stack", "args": {"pid": None, "file": None, "native": False, "asyncio": "yes"}},
        {"op": "frobnicate"},
        {"op": "interrupt", "connection": "nope"},
    ]
    s.settimeout(10)
    (length,) = struct.unpack(">I", _recv_exact(s, 4))
    assert json.loads(_recv_exact(s, length))["ok"] is True
    for i in range(500):
        request = dict(rng.choice(bad_requests), id=i)
        s.sendall(_frame(request))
        sent += 1
        kinds = []
        while True:
            (length,) = struct.unpack(">I", _recv_exact(s, 4))
            reply = json.loads(_recv_exact(s, length))
            assert reply["id"] == i
            if reply.get("end"):
                break
            kinds.append(reply["record"]["kind"])
        assert kinds and set(kinds) <= {"error", "message", "stack"}, (request, kinds)
    s.close()
    assert sent >= 1000

    # the agent still answers, the target is still correct and leaks nothing
    records = list(client.run("getglobal", RESULTS))
    assert records[0]["kind"] == "value"
    client.detach()
    report = settled(target, baseline, timeout=10.0)
    assert report["results"]["errors"] == 0


def test_stream_batches_keep_every_record_in_order_within_the_size_bound():
    """A stream's drained records travel a few per frame: none lost, none reordered, a frame past
    BATCH_BYTES only when one record alone is that big, and every frame readable by a client."""
    from flight_agent import protocol

    records = [{"kind": "watch", "index": i, "text": "x" * (i % 700)} for i in range(5000)]
    records.insert(2500, {"kind": "trace", "index": -1, "blob": "y" * (protocol.BATCH_BYTES + 10)})
    frames = protocol.encode_batches(7, records)
    assert 3 <= len(frames) < 10  # ~1.7 MB of small records around one of 1 MB
    import threading

    a, b = socket.socketpair()
    received = []
    sender = threading.Thread(target=lambda: [a.sendall(frame) for frame in frames])  # frames > socket buffer
    sender.start()
    try:
        for frame in frames:
            message = protocol.read_frame(b, protocol.MAX_RESPONSE_BYTES)
            assert message["id"] == 7 and set(message) == {"id", "records"}
            size = len(frame) - protocol.HEADER.size
            assert size <= protocol.BATCH_BYTES + 64 or len(message["records"]) == 1
            received.extend(message["records"])
    finally:
        sender.join(10)
        a.close()
        b.close()
    assert received == records
    assert protocol.encode_batches(1, []) == []
