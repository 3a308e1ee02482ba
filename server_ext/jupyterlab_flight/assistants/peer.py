"""Which local user holds the other end of a loopback TCP connection (from /proc/net/tcp{,6}).

Jupyter's MCP server (jupyter-server-mcp) listens on a TCP port of its own, outside Jupyter's
token: any user of the machine can connect to it. TCP has no peer credentials, but the kernel
lists every socket with its owner's uid; the client's socket is the one whose local address is
the connection's remote end.
"""

from __future__ import annotations

import ipaddress

TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def _address(text: str) -> tuple:
    """/proc/net/tcp's ``0100007F:0BB9`` -> (127.0.0.1, 3001); IPv6 as four little-endian words."""
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(packed)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address, int(port, 16)


def _normal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def tcp_peer_uid(client_host: str, client_port: int, server_port: int) -> int | None:
    """The uid owning the socket at (client_host, client_port) connected to server_port, or None
    when no local socket matches (a client on another machine, or one that has gone)."""
    try:
        client = (_normal(client_host), client_port)
    except ValueError:
        return None
    for table in TABLES:
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 8:
                continue
            try:
                local, remote = _address(fields[1]), _address(fields[2])
            except ValueError:
                continue
            if local == client and remote[1] == server_port:
                return int(fields[7])
    return None
