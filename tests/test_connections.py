"""Closing one client's connection from inside the server (server/connections.py, issue 89 P1): gRPC's peer names
parsed, and the socket whose far end is that peer shut down, no other."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from server.connections import close_connection, peer_endpoint


@pytest.mark.parametrize("peer, endpoint", [
    ("ipv4:10.0.0.5:51234", ("10.0.0.5", 51234)),
    ("ipv6:[::1]:51234", ("::1", 51234)),
    ("ipv6:%5B::1%5D:51234", ("::1", 51234)),
    ("ipv6:[::ffff:127.0.0.1]:80", ("127.0.0.1", 80)),
    ("unix:/tmp/seq2drum.sock", None),
    ("ipv4:not-an-address:1", None),
], ids=["ipv4", "ipv6", "ipv6-escaped", "ipv4-mapped", "unix", "garbage"])
def test_grpc_peers_are_read_as_address_and_port(peer: str, endpoint: tuple[str, int] | None) -> None:
    expected = None if endpoint is None else (ipaddress.ip_address(endpoint[0]), endpoint[1])
    assert peer_endpoint(peer) == expected


def test_the_connection_from_that_peer_is_shut_down_and_no_other() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        accepted = [listener.accept()[0] for _ in clients]
        try:
            target, other = (client.getsockname()[1] for client in clients)
            assert not close_connection("ipv4:127.0.0.1:1")  # nobody there
            assert close_connection(f"ipv4:127.0.0.1:{target}")
            clients[0].settimeout(5)
            assert clients[0].recv(1) == b""  # the server's end was shut down: the client reads its end
            clients[1].setblocking(False)
            with pytest.raises(BlockingIOError):  # the other connection is open, nothing to read
                clients[1].recv(1)
            accepted[1].sendall(b"x")
            clients[1].settimeout(5)
            assert clients[1].recv(1) == b"x" and other != target
        finally:
            for sock in clients + accepted:
                sock.close()
