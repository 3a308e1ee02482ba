"""Length-prefixed JSON frames, the only format on the agent socket (never pickle).

A frame is a 4-byte big-endian unsigned length followed by that many bytes of UTF-8 JSON whose
top level is an object. Anything else is a protocol error and the connection is closed.
"""

from __future__ import annotations

import json
import socket
import struct

HEADER = struct.Struct(">I")
MAX_REQUEST_BYTES = 1 << 20  # what a client may send the agent
MAX_RESPONSE_BYTES = 64 << 20  # what the agent may send back (bounded records, but big stacks)


class ProtocolError(Exception):
    """The peer broke the framing or sent something that is not a JSON object."""


class ConnectionClosed(Exception):
    """The peer closed the connection between frames."""


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 16))
        if not chunk:
            raise ProtocolError("connection closed inside a frame")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, max_bytes: int, idle_timeout: float | None = None) -> dict:
    """Read one frame; ``idle_timeout`` bounds each wait for data (None: forever).

    Every socket call releases the GIL, and on a busy target getting it back costs up to a switch
    interval: so two reads per frame, and the timeout is set only when it changes. (A client that
    stops in the middle of a frame blocks only its own connection's thread, which holds no GIL.)
    """
    if sock.gettimeout() != idle_timeout:
        sock.settimeout(idle_timeout)
    try:
        first = sock.recv(HEADER.size)
        if not first:
            raise ConnectionClosed()
        header = first if len(first) == HEADER.size else first + _recv_exact(sock, HEADER.size - len(first))
        (length,) = HEADER.unpack(header)
        if length > max_bytes:
            raise ProtocolError(f"frame of {length} bytes is over the limit of {max_bytes}")
        body = _recv_exact(sock, length)
    except socket.timeout:
        raise ProtocolError("no complete frame in time") from None
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(f"frame is not UTF-8 JSON: {e}") from None
    if not isinstance(message, dict):
        raise ProtocolError("frame is not a JSON object")
    return message


def encode_frame(message: dict) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=repr).encode("utf-8")
    return HEADER.pack(len(body)) + body


def write_frame(sock: socket.socket, message: dict) -> None:
    sock.sendall(encode_frame(message))


BATCH_BYTES = 1 << 20  # a batch frame stops growing past this


def encode_batches(request_id, records: list) -> list:
    """Frames ``{"id": request_id, "records": [...]}`` carrying ``records`` in order, each about
    BATCH_BYTES at most (a single larger record gets a frame of its own). A stream sends what it
    drained as a few frames, not one per record: each send releases the GIL, and on a busy
    target getting it back costs the target a thread switch."""
    head = b'{"id":' + json.dumps(request_id).encode("utf-8") + b',"records":['
    frames: list = []
    parts: list = []
    size = 0
    for record in records:
        part = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=repr).encode("utf-8")
        if parts and size + len(part) > BATCH_BYTES:
            frames.append(_batch_frame(head, parts))
            parts, size = [], 0
        parts.append(part)
        size += len(part) + 1
    if parts:
        frames.append(_batch_frame(head, parts))
    return frames


def _batch_frame(head: bytes, parts: list) -> bytes:
    body = head + b",".join(parts) + b"]}"
    return HEADER.pack(len(body)) + body
