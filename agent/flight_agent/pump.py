"""The stream pump: a running Stream's records to its client, until the stream ends.

It runs on the connection's own thread: every POLL_S it sends what the stream queued (a few
records per frame) and reads what the client sent meanwhile: ``stop`` for this request ends the
stream, any other request is refused while the stream runs. Whatever ends the stream (its limit,
a stop, the client gone, detach), its hooks are removed before its ``end`` record is sent.
"""

from __future__ import annotations

import select

from . import SCHEMA_VERSION, protocol
from .connection import Connection
from .streams import POLL_S, Stream

STOP_REASONS = ("stopped", "timeout")


def pump(connection: Connection, request_id, stream: Stream) -> None:
    def send(records: list) -> None:
        if records:
            for record in records:
                record.setdefault("v", SCHEMA_VERSION)
            connection.send_frames(protocol.encode_batches(request_id, records))

    agent = connection.agent
    connection.stream = (request_id, stream)
    try:
        send(stream.start())
        while stream.finished is None and not agent.stopping:
            send(stream.drain() + stream.tick())
            if stream.finished is not None:
                break
            ready, _, _ = select.select([connection.sock], [], [], POLL_S)
            if ready:
                _read_during_stream(connection, request_id, stream)
    finally:
        connection.stream = None
        stream.close()
    last = stream.drain()
    if stream.dropped:
        last.append({"kind": "message", "text": f"{stream.dropped} records were dropped: the client did not keep up"})
    last.append({"kind": "end", "reason": stream.finished or "detached"})
    send(last)


def _read_during_stream(connection: Connection, request_id, stream: Stream) -> None:
    message = protocol.read_frame(connection.sock, protocol.MAX_REQUEST_BYTES)
    if message.get("op") == "stop":
        if message.get("id") == request_id:
            reason = message.get("reason")
            stream.finish(reason if reason in STOP_REASONS else "stopped")
        return  # a stop for a request that has ended: nothing to do
    connection.reply(
        message.get("id"), {"kind": "error", "message": "a stream is running on this connection: stop it first"}
    )
