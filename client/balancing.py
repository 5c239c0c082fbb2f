"""Several seq2drum servers behind one channel: gRPC's own client-side load balancing, as the DAW helper uses it.

    target_for(["studio-pc:50051"])                      -> "studio-pc:50051" (a DNS name: every address it has)
    target_for(["10.0.0.5:50051", "10.0.0.6:50051"])     -> "ipv4:10.0.0.5:50051,10.0.0.6:50051"
    channel_options(target) -> the options of a channel that spreads calls round robin over every server that is up

The channel resolves the target to a list of addresses, keeps a connection (a subchannel) to each, and sends each
call to the next ready one in turn (`round_robin`). With `healthCheckConfig` gRPC's core also watches each server's
standard health service (`grpc.health.v1.Health/Watch`, which the seq2drum server runs), so a server that is shutting
down (health NOT_SERVING) or gone is skipped until it is back; the helper's retry of UNAVAILABLE then lands on
another server. Health checking lives in grpcio itself: the DAW machine needs no grpcio-health-checking package.
Needs grpcio only (this module imports nothing else outside the standard library).
"""

from __future__ import annotations

import ipaddress
import json
import socket

SERVICE_NAME = "seq2drum.v1.Seq2Drum"  # the name the server's health service reports on
DEFAULT_PORT = 50051


class ServerListError(ValueError):
    """A --server value that is not HOST:PORT, or a list that cannot share one channel."""


def service_config(health_service: str = SERVICE_NAME) -> str:
    """round_robin over every resolved address, each checked through the standard health service."""
    return json.dumps({
        "loadBalancingConfig": [{"round_robin": {}}],
        "healthCheckConfig": {"serviceName": health_service},
    })


def split_servers(values: list[str] | str) -> list[str]:
    """`--server` values (each one address or a comma list) -> one address per entry, blanks and repeats dropped."""
    if isinstance(values, str):
        values = [values]
    servers: list[str] = []
    for value in values:
        for entry in value.split(","):
            entry = entry.strip()
            if entry and entry not in servers:
                servers.append(entry)
    if not servers:
        raise ServerListError("no server given; pass --server HOST:PORT (several: repeat it or separate with commas)")
    return servers


def host_and_port(server: str) -> tuple[str, int]:
    """"host:port", "[v6]:port", "host" (port 50051) -> (host, port)."""
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif server.count(":") > 1:  # a bare IPv6 address
        host, port_text = server, ""
    else:
        host, _, port_text = server.partition(":")
    if not host:
        raise ServerListError(f"server {server[:80]!r} names no host; write HOST:PORT, e.g. studio-pc:{DEFAULT_PORT}")
    try:
        port = int(port_text) if port_text else DEFAULT_PORT
    except ValueError:
        raise ServerListError(f"server {server[:80]!r}: the port must be a number, e.g. "
                              f"{host[:80]}:{DEFAULT_PORT}") from None
    if not 1 <= port <= 65535:
        raise ServerListError(f"server {server[:80]!r}: the port must be 1-65535")
    return host, port


def _is_grpc_target(server: str) -> bool:
    """A target in gRPC's own syntax (dns:///name:port, ipv4:a:p,b:p, unix:path) rather than HOST:PORT."""
    return "://" in server or server.startswith(("ipv4:", "ipv6:", "dns:", "unix:", "unix-abstract:"))


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServerListError(f"server {host}:{port}: the name does not resolve ({exc.strerror}); check the spelling "
                              "or use its IP address") from None
    addresses = []
    for family, *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if address not in addresses and family in (socket.AF_INET, socket.AF_INET6):
            addresses.append(address)
    return addresses


def target_for(servers: list[str] | str) -> str:
    """The channel target for one or several servers.

    One entry is passed as it is: a DNS name then resolves to all its addresses (DNS round robin, re-resolved by
    gRPC when connections drop), and explicit targets such as `dns:///name:port` or `ipv4:...` work too. Several
    entries are resolved here, once, into one static `ipv4:` (or `ipv6:`) address list; a name with both kinds of
    address contributes its IPv4 ones, and a list that has only IPv6 addresses for some entries and only IPv4 for
    others is refused (one channel resolves to one family)."""
    entries = split_servers(servers)
    if len(entries) == 1:
        if not _is_grpc_target(entries[0]):
            host_and_port(entries[0])  # a mistyped port is named here, not after --wait seconds of retries
        return entries[0]
    per_entry = []
    for entry in entries:
        if _is_grpc_target(entry):
            raise ServerListError(f"server {entry[:80]!r}: in a list of servers write HOST:PORT only")
        host, port = host_and_port(entry)
        addresses = _addresses(host, port)
        per_entry.append(([f"{a}:{port}" for a in addresses if a.version == 4],
                          [f"[{a}]:{port}" for a in addresses if a.version == 6]))
    for family, index in (("ipv4", 0), ("ipv6", 1)):
        if all(addresses[index] for addresses in per_entry):
            unique = list(dict.fromkeys(a for addresses in per_entry for a in addresses[index]))
            return f"{family}:" + ",".join(unique)
    raise ServerListError("the servers mix IPv4-only and IPv6-only addresses; list servers of one kind, or give one "
                          "DNS name that has them all")


def channel_options() -> list[tuple[str, object]]:
    """Options for the helper's channel: round robin with health checking, no size limit on what comes back (the
    server enforces its own), and quick reconnects so a restarted server is back in the rotation within a second."""
    return [
        ("grpc.service_config", service_config()),
        ("grpc.max_receive_message_length", -1),
        ("grpc.max_send_message_length", -1),
        ("grpc.initial_reconnect_backoff_ms", 250),
        ("grpc.max_reconnect_backoff_ms", 1000),
    ]
