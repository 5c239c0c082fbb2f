"""Who may call the server: TLS from a certificate and key (gRPC's own SSL credentials) and a shared token.

By default the server listens on loopback without either: only programs on the same machine reach it. A server on
a studio network should run with `--tls-cert/--tls-key` (the helper then checks the server with `--tls-ca`) and a
shared token (`--token-file` on both sides, or SEQ2DRUM_TOKEN): every call but the health check must then carry
`authorization: Bearer TOKEN`, or it is refused with UNAUTHENTICATED before any of its work starts. Health stays
open so that load balancers can probe it; reflection can be turned off with `--no-reflection`.
"""

from __future__ import annotations

import hmac
import re
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

from seq2drum.credentials import TOKEN_ENV
from seq2drum.errors import ConfigError
from seq2drum.user_files import read_user_file

_OPEN_PREFIX = "/grpc.health.v1.Health/"
MAX_PEM_BYTES = 1 << 20  # a certificate chain is a few KiB
PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"  # load balancers probe health without credentials


def server_credentials(cert: Path | None, key: Path | None) -> grpc.ServerCredentials | None:
    """SSL credentials from a PEM certificate (chain) and its private key; None when neither is given. ConfigError
    saying what is wrong with the files: unreadable, not regular files, not PEM, or a key that is not the
    certificate's (gRPC said only "Failed to bind to address" for each, issue 42, 14)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigError("TLS needs both --tls-cert and --tls-key (PEM files), or neither")
    cert_pem = read_user_file(cert, "--tls-cert", MAX_PEM_BYTES, "name the server's PEM certificate (chain)")
    key_pem = read_user_file(key, "--tls-key", MAX_PEM_BYTES, "name the PEM private key of --tls-cert")
    if PEM_CERTIFICATE not in cert_pem:
        raise ConfigError(f"--tls-cert {cert} is not a PEM certificate (no '{PEM_CERTIFICATE.decode()}' line)")
    if not re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----", key_pem):
        raise ConfigError(f"--tls-key {key} is not a PEM private key (no '-----BEGIN ... PRIVATE KEY-----' line)")
    check_key_pair(cert, key)
    return grpc.ssl_server_credentials([(key_pem, cert_pem)])


def check_key_pair(cert: Path, key: Path) -> None:
    """ConfigError unless `key` is the private key of the certificate `cert` (both PEM), checked by OpenSSL through
    the standard library. A key with a passphrase is refused: the server cannot ask for one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key, password=_no_passphrase)
    except (ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        if "MISMATCH" in str(reason).upper():
            raise ConfigError(f"--tls-key {key} is not the private key of --tls-cert {cert}; pass the key the "
                              "certificate was made with") from None
        raise ConfigError(f"--tls-cert {cert} with --tls-key {key} cannot be used ({reason}): pass a PEM "
                          "certificate and its unencrypted PEM private key") from None


def _no_passphrase() -> bytes:
    raise ValueError("the key is encrypted with a passphrase")


class TokenCheck(grpc.aio.ServerInterceptor):
    """Refuses, with UNAUTHENTICATED, every call but health whose metadata lacks `authorization: Bearer TOKEN`."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(_OPEN_PREFIX):
            return handler
        given = dict(details.invocation_metadata or ()).get("authorization", "")
        given_bytes = given.encode() if isinstance(given, str) else bytes(given)
        if hmac.compare_digest(given_bytes, self._expected):  # constant time: the token is not guessed byte by byte
            return handler
        return _refusal(handler)


def _refusal(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as `handler` that ends the call with UNAUTHENTICATED, reading nothing."""

    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "this server needs its shared token: pass --token-file "
                            f"(or set {TOKEN_ENV}) with the token its operator gave you")

    kinds = {(False, False): grpc.unary_unary_rpc_method_handler, (False, True): grpc.unary_stream_rpc_method_handler,
             (True, False): grpc.stream_unary_rpc_method_handler, (True, True): grpc.stream_stream_rpc_method_handler}
    make = kinds[(handler.request_streaming, handler.response_streaming)]
    return make(refuse, request_deserializer=None, response_serializer=handler.response_serializer)
