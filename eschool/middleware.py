"""ASGI middleware: request log, security headers, the request's database session,
who is signed in, CSRF for cookie-authenticated writes, and the page language."""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eschool import services
from eschool.auth_cache import AuthCache
from eschool.db import SessionMaker
from eschool.direct_read import DirectReads
from eschool.i18n import negotiate, set_language
from eschool.models import AuthSession, User
from eschool.security import same
from eschool.session_on_demand import session_on_demand

log = logging.getLogger("eschool.access")

SESSION_COOKIE = "eschool_session"
LANG_COOKIE = "lang"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_FORM_BODY = 1024 * 1024
PUBLIC_PREFIXES = ("/static/", "/healthz")
LOGIN_PATH = "/login"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(self), microphone=(self), display-capture=(self)",
}


def add_security_headers(headers: MutableHeaders) -> None:
    """Set the security headers a response does not set itself (every response, errors too)."""
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value


_RAW_SECURITY_HEADERS = [
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
]


def _add_raw_security_headers(message: Message) -> None:
    """:func:`add_security_headers` on a response's start message, in one pass over it."""
    headers = message["headers"] = list(message.get("headers", ()))
    present = {name.lower() for name, _value in headers}
    headers.extend(item for item in _RAW_SECURITY_HEADERS if item[0] not in present)


# Path parameters that carry a secret or a capability (a feed's key, a lesson's join code,
# a pass): a path with one of them is logged as its route template.
SECRET_PATH_PARAMS = frozenset({"secret", "code", "token", "pass"})


def loggable_path(scope: Scope) -> str:
    """The request's path as it may be written to a log: the route template wherever the path
    carries a secret (``/feeds/{secret}.ics``, ``/live/{code}/ws``), only the first segment
    when no route matched; never the query string."""
    route = scope.get("route")
    path: str = scope.get("path", "")
    if route is not None:
        params = scope.get("path_params") or {}
        template = getattr(route, "path_format", None)
        if template and SECRET_PATH_PARAMS.intersection(params):
            return str(template)
        return path
    first, _sep, rest = path.lstrip("/").partition("/")
    return f"/{first}/..." if rest else path


class _HideServerPaths(logging.Filter):
    """Drop uvicorn's own request lines: they carry the raw path and query string (where a
    WebSocket sends its pass); :class:`AccessLogMiddleware` writes a safe line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access":
            return False
        return '"WebSocket %s"' not in str(record.msg)


_HIDE_SERVER_PATHS = _HideServerPaths()


def hide_server_paths() -> None:
    """Install the filter on uvicorn's loggers (once per process; harmless without uvicorn)."""
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if _HIDE_SERVER_PATHS not in logger.filters:
            logger.addFilter(_HIDE_SERVER_PATHS)


class AccessLogMiddleware:
    """One log line per request or WebSocket: method, a path without secrets (see
    :func:`loggable_path`), status, duration. Adds the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        hide_server_paths()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                status = message["status"]
                _add_raw_security_headers(message)
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close" and status == 500:
                status = 403  # closed before the handshake was accepted
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            took = (time.perf_counter() - started) * 1000
            method = scope.get("method", "WS") if scope["type"] == "http" else "WS"
            log.info("%s %s %s %.1fms", method, loggable_path(scope), status, took)


class ProxyHeadersMiddleware:
    """Believe ``X-Forwarded-For`` and ``X-Forwarded-Proto`` only from a trusted proxy
    (``ESCHOOL_TRUSTED_PROXIES``): the client becomes the right-most forwarded address that is
    not itself a trusted proxy. From anyone else the headers are ignored, so a client cannot
    pick its own address (and escape the per-address sign-in limit)."""

    def __init__(self, app: ASGIApp, trusted: tuple[str, ...] = ()) -> None:
        self.app = app
        self.trusted = tuple(ipaddress.ip_network(item, strict=False) for item in trusted)

    def _is_trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.strip())
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if (
            self.trusted
            and scope["type"] in ("http", "websocket")
            and client
            and self._is_trusted(client[0])
        ):
            headers = Headers(scope=scope)
            forwarded = [h.strip() for h in headers.get("x-forwarded-for", "").split(",")]
            forwarded = [h for h in forwarded if h]
            if forwarded:
                host = next((h for h in reversed(forwarded) if not self._is_trusted(h)), None)
                scope["client"] = (host or forwarded[0], 0)
            proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                secure = proto == "https"
                if scope["type"] == "websocket":
                    scope["scheme"] = "wss" if secure else "ws"
                else:
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _cookie(headers: Headers, name: str) -> str | None:
    for chunk in headers.get("cookie", "").split(";"):
        key, _, value = chunk.strip().partition("=")
        if key == name:
            return value
    return None


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    import json

    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _resolve_alone(
    sessionmaker: SessionMaker, secret: str, reads: DirectReads | None, kept: AuthCache | None
) -> tuple[User, AuthSession] | None:
    """Who is signed in, looked up (straight on the driver with ``reads``, unless ``kept``)
    in a session of its own, opened only if the read needs one and closed on return."""
    async with session_on_demand(sessionmaker) as session:
        return await services.auth_resolve(session, secret=secret, reads=reads, kept=kept)


class AuthMiddleware:
    """Open the request's database session, find the signed-in user, enforce CSRF."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        sessionmaker: SessionMaker = scope["app"].state.sessionmaker
        headers = Headers(scope=scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        bearer = _bearer(headers)
        cookie = None if bearer else _cookie(headers, SESSION_COOKIE)
        secret = bearer or cookie
        if scope["type"] == "websocket":
            # The socket may live for hours: its lookup's session is closed (and let go of,
            # with this frame's) before the app runs, and the socket keeps only the user. A
            # secret with a dot is a live lesson's pass (a sign-in secret never has one): not
            # looked up, so an open lesson's thousand observers cost no query each.
            lookup = secret if secret and "." not in secret else None
            app_state = scope["app"].state
            reads = getattr(app_state, "direct_reads", None)
            kept = getattr(app_state, "auth_cache", None)
            found = await _resolve_alone(sessionmaker, lookup, reads, kept) if lookup else None
            self._sign_in(state, headers, found, bearer=bearer is not None)
            # Not held by this frame for the socket's life (the app takes the user; the
            # handshake's headers are let go of once it is admitted).
            del found, headers
            await self.app(scope, receive, send)
            return
        app_state = scope["app"].state
        reads = getattr(app_state, "direct_reads", None)
        kept = getattr(app_state, "auth_cache", None)
        # Opened at its first use: a request whose reads and writes all go straight on the
        # driver (a signed-in one's look-up, a new mark) never pays for a session.
        async with session_on_demand(sessionmaker) as session:
            found = (
                await services.auth_resolve(session, secret=secret, reads=reads, kept=kept)
                if secret
                else None
            )
            auth = self._sign_in(state, headers, found, bearer=bearer is not None)
            state["db"] = session
            # The sign-in form has its own token (a session may not exist yet): see signin_pages.
            if (
                auth is not None
                and not bearer
                and scope["method"] in UNSAFE_METHODS
                and scope["path"] != LOGIN_PATH
            ):
                checked = await self._check_csrf(scope, receive, send, headers, auth.csrf_token)
                if checked is None:
                    return
                receive = checked
            await self.app(scope, receive, send)

    @staticmethod
    def _sign_in(
        state: dict[str, Any],
        headers: Headers,
        found: tuple[User, AuthSession] | None,
        *,
        bearer: bool,
    ) -> AuthSession | None:
        """Put who is signed in on the request's state and choose the page language; returns
        the session (or token) signed in with."""
        user, auth = found if found else (None, None)
        state.update(user=user, auth=auth, auth_via="bearer" if bearer else "cookie")
        lang = (user.lang if user else None) or _cookie(headers, LANG_COOKIE)
        set_language(lang or negotiate(headers.get("accept-language")))
        return auth

    async def _check_csrf(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, expected: str
    ) -> Receive | None:
        """Return a receive callable for the app, or None after refusing the request."""
        token = headers.get("x-csrf-token")
        if token is not None:
            if same(token, expected):
                return receive
            await _send_error(send, 403, "csrf_failed", "The security token is wrong. Reload.")
            return None
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM_BODY:
                    await _send_error(send, 413, "too_large", "The form is too large.")
                    return None
            form_token = parse_qs(body.decode("latin-1")).get("csrf_token", [""])[0]
            if form_token and same(form_token, expected):
                replayed = False

                async def replay() -> Message:
                    nonlocal replayed
                    if not replayed:
                        replayed = True
                        return {"type": "http.request", "body": body, "more_body": False}
                    return await receive()

                return replay
        await _send_error(
            send, 403, "csrf_failed", "This request needs the page's security token. Reload."
        )
        return None
