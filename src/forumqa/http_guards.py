"""Guards in front of the app, as pure ASGI middleware: they act while a request arrives, before FastAPI reads or parses it.

Each one answers with the same `{"detail": "<one line>"}` body as every other error of the API,
so a client (and the OpenAPI schema) sees one error shape whatever refused the request.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The page loads only its own script, style sheet and API; nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
#: Query parameters that would carry a credential (RFC 6750 section 2.3 names access_token).
TOKEN_PARAMETERS = frozenset({"token", "access_token"})


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)


# ---------------------------------------------------------------- body size


class _BodyTooLarge(Exception):
    """Raised from `receive` so the app stops reading; the middleware turns it into the 413."""


class BodySizeLimit:
    """413 for a body over `max_bytes`: up front from Content-Length, else as soon as the bytes received pass it.

    The app never holds more than `max_bytes` (plus one network chunk) of a body, so a 1 GB upload
    costs no memory and does not keep a worker busy parsing it. `routes` gives a (method, path) its own
    limit and message: the upload route takes files, every other route a few KB.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, routes: Mapping[tuple[str, str], tuple[int, str]] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes = dict(routes or {})

    def _limit(self, scope: Scope) -> tuple[int, str]:
        path = str(scope.get("path", "")).removeprefix(str(scope.get("root_path", "")))
        default = (self.max_bytes, f"request body too large: at most {self.max_bytes} bytes are accepted")
        return self.routes.get((str(scope.get("method", "")), path), default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _refuse(scope, receive, send, 400, "Content-Length is not a number")
                return
            if int(declared) > limit[0]:
                await _refuse(scope, receive, send, 413, limit[1])
                return
        await self._counting(scope, receive, send, limit)

    async def _counting(self, scope: Scope, receive: Receive, send: Send, limit: tuple[int, str]) -> None:
        max_bytes, detail = limit
        received = 0
        exceeded = started = replied = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replied
            if exceeded:
                # FastAPI turned our exception into its own error response: answer 413 in its place.
                if not replied and not started:
                    replied = True
                    await _refuse(scope, receive, send, 413, detail)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not replied and not started:
                await _refuse(scope, receive, send, 413, detail)


# ---------------------------------------------------------------- rate limit


class RateLimit:
    """429 with Retry-After once a client address has spent its bucket of `burst` requests, refilled at `per_second`.

    Buckets live in the event loop's thread only (no lock needed) and at most `max_clients` are kept,
    least recently seen dropped first, so many addresses cannot grow memory without bound. Behind a
    reverse proxy every client has the proxy's address unless uvicorn is told to trust its headers
    (`--forwarded-allow-ips`).
    """

    def __init__(
        self,
        app: ASGIApp,
        per_second: float,
        burst: int,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.per_second = per_second
        self.burst = burst
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_for(self, client: str) -> float:
        """Seconds until `client` may make a request; 0.0 means it may now (and a token is spent)."""
        now = self.clock()
        tokens, updated = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.per_second)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.per_second
        self._buckets[client] = (tokens - 1.0 if wait == 0.0 else tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.wait_for(str(client[0]) if client else "unknown")
        if wait > 0.0:
            retry = max(1, math.ceil(wait))
            limit = f"{self.per_second:g} per second, bursts of {self.burst}"
            detail = f"too many requests from this address (limit {limit}); retry in {retry} s"
            await _refuse(scope, receive, send, 429, detail, {"Retry-After": str(retry)})
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- headers and hosts


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


#: A Host header: a bracketed IPv6 literal or a DNS name / IPv4 address, then an optional port. Nothing else
#: (no user info, path or spaces) so that what is checked is exactly the name the browser resolved.
_HOST_HEADER = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::[0-9]{1,5})?")
#: Bind addresses that mean "every interface": not names a browser would send.
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})


def _normalise_host(host: str) -> str:
    return host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")


def host_of(header: str | None) -> str | None:
    """The lower-case host name of a Host header, or None when the header is missing or malformed."""
    match = _HOST_HEADER.fullmatch(header or "")
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["ipv6"]))
        except ValueError:
            return None
    return _normalise_host(match["name"])


class TrustedHosts:
    """400 for a Host header not in `allowed`: a page on another site that rebinds its name to this server
    cannot read the API, because the browser still sends that site's name.

    Patterns: an exact name or address, "*.example.org" for subdomains, "*" for any host.
    """

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        patterns = {_normalise_host(p) for p in allowed} - _ANY_ADDRESS
        self.allow_any = "*" in patterns
        self.exact = frozenset(str(ipaddress.ip_address(p)) if _is_ip(p) else p for p in patterns if not p.startswith("*"))
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*.") and len(p) > 2)

    def allows(self, host: str) -> bool:
        return self.allow_any or host in self.exact or host.endswith(self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.allow_any:
            await self.app(scope, receive, send)
            return
        host = host_of(Headers(scope=scope).get("host"))
        if host is None or not self.allows(host):
            detail = "this server does not answer to that Host name; add it to FORUMQA_ALLOWED_HOSTS if it should"
            await _refuse(scope, receive, send, 400, detail)
            return
        await self.app(scope, receive, send)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- credentials


class RejectQueryTokens:
    """400 for a request with a credential in its query string: URLs land in access logs, browser
    history and Referer headers, so the server never takes a token from one (RFC 6750 section 2.3 allows
    refusing it). The Authorization header is the only way in.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and has_query_token(scope.get("query_string", b"").decode("latin-1")):
            detail = "credentials are not accepted in the URL; send them as an 'Authorization: Bearer <token>' header"
            await _refuse(scope, receive, send, 400, detail)
            return
        await self.app(scope, receive, send)


def has_query_token(query: str) -> bool:
    """True when a query string (percent-encoded or not) names one of TOKEN_PARAMETERS, in any case."""
    return any(name.strip().lower() in TOKEN_PARAMETERS for name, _ in parse_qsl(query, keep_blank_values=True))
