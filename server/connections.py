"""Closing one client's connection from inside the server: the one way this server has to end a call whose client
does not read its answers.

gRPC's Python server cannot cancel a call. Its final status goes out after the answers before it, and HTTP/2 flow
control holds those back until the client reads: a PlayAlong stream that never read lived on after its idle limit
and after its slot was given to another player, with its buffers (27 cycles of 4 such streams: 100 calls in flight
and 811 MB, issue 89 P1). Shutting down the TCP socket under the call makes gRPC cancel every call on that
connection at once; the socket itself stays gRPC's to close.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import stat
from pathlib import Path
from urllib.parse import unquote

_FD_FOLDERS = (Path("/proc/self/fd"), Path("/dev/fd"))  # Linux; macOS


def peer_endpoint(peer: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int] | None:
    """gRPC's peer ('ipv4:10.0.0.5:51234', 'ipv6:[::1]:51234', 'ipv6:%5B::1%5D:51234') -> (address, port); None for
    any other kind (a Unix socket) or a peer that does not parse."""
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host, _, port = unquote(rest).rpartition(":")
    try:
        return _plain(ipaddress.ip_address(host.strip("[]").split("%")[0])), int(port)
    except ValueError:
        return None


def close_connection(peer: str) -> bool:
    """Shut down this process's TCP socket whose far end is `peer` (gRPC's `context.peer()`), so that gRPC cancels
    every call on that connection; whether one was found. Reads this process's open descriptors (a few microseconds
    each): for a call that must end, not for every call."""
    endpoint = peer_endpoint(peer)
    folder = next((folder for folder in _FD_FOLDERS if folder.is_dir()), None)
    if endpoint is None or folder is None:
        return False
    for name in os.listdir(folder):
        try:
            fd = int(name)
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=os.dup(fd))  # a duplicate: closing it leaves gRPC's descriptor open
        except (ValueError, OSError):  # not a descriptor (the folder's own), closed meanwhile
            continue
        try:
            if probe.family in (socket.AF_INET, socket.AF_INET6) and _far_end(probe) == endpoint:
                probe.shutdown(socket.SHUT_RDWR)  # acts on the connection, shared by every descriptor of it
                return True
        except OSError:  # not connected (a listening socket), or gone meanwhile
            continue
        finally:
            probe.close()
    return False


def _far_end(probe: socket.socket) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    address = probe.getpeername()
    return _plain(ipaddress.ip_address(str(address[0]).split("%")[0])), int(address[1])


def _plain(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IPv4 address mapped into IPv6 (a dual-stack socket's '::ffff:127.0.0.1') as the IPv4 address gRPC names."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address
