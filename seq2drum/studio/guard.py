"""Who may talk to the studio, checked before any route runs, each refusal one line of JSON as every error is:

- the Host rule: a studio on a loopback address answers only the names of this computer (`allowed`, from
  serve.allowed_hosts), so a web page elsewhere cannot reach it through a name of its own that it points at 127.0.0.1
  or ::1 (DNS rebinding): 400;
- the Origin rule: a request that changes anything (any method but GET, HEAD, OPTIONS), and any request of the API
  (/api/...), must come from the studio's own page. A browser says where a request comes from (Sec-Fetch-Site,
  Origin); a POST without a body needs no preflight, so without this any page on the web could open sessions until
  the user's is evicted, or close it, and send the API's GETs (a session's files, the style list that waits on a
  server): 403. A request with neither header comes from no browser (curl, the DAW helper, tests), which no web page
  can drive; the page itself and its scripts open from anywhere (a link on another site);
- the security headers on every response: the page may reach only the studio's own address.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
API_PREFIX = "/api/"  # every request here, GETs too, comes from the studio's own page (or from no browser)
SAME_SITE_FETCHES = ("same-origin", "none")  # the studio's own page; an address typed or a bookmark
SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
                                  b"base-uri 'none'; frame-ancestors 'none'; form-action 'self'")),
    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store")]


def host_name(host: str) -> str:
    """The name of a Host header without its port, lower case: "[::1]:8765" -> "[::1]", "LOCALHOST" -> "localhost"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """The Host and Origin rules, and the security headers, around the studio's application."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str] | None) -> None:
        self.app = app
        self.allowed = None if allowed_hosts is None else {name.lower() for name in allowed_hosts}

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "")
        if self.allowed is not None and host_name(host) not in self.allowed:
            return 400, (f"this studio answers only to this computer's own names ({', '.join(sorted(self.allowed))}), "
                         f"not {host[:60]!r}; open it at the address it printed")
        if scope["method"] in SAFE_METHODS and not scope.get("path", "").startswith(API_PREFIX):
            return None
        fetch_site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{host}".lower()
        if (fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCHES) or (
                origin is not None and origin.lower() != own):
            return 403, ("refused: the request came from another site's page, not the studio's own; only the page at "
                         f"{own} can reach or change what the studio holds")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if refused is None:
            await self.app(scope, receive, send_with_headers)
            return
        status, line = refused
        body = json.dumps({"error": line}).encode()
        await send_with_headers({"type": "http.response.start", "status": status,
                                 "headers": [(b"content-type", b"application/json"),
                                             (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
