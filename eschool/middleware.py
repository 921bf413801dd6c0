"""ASGI middleware: request log, security headers, the request's database session,
who is signed in, CSRF for cookie-authenticated writes, and the page language."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eschool import services
from eschool.db import SessionMaker
from eschool.i18n import negotiate, set_language
from eschool.security import same

log = logging.getLogger("eschool.access")

SESSION_COOKIE = "eschool_session"
LANG_COOKIE = "lang"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_FORM_BODY = 1024 * 1024
PUBLIC_PREFIXES = ("/static/", "/healthz")

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


class AccessLogMiddleware:
    """One log line per request: method, path (no query), status, duration. No personal data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            took = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.1fms", scope["method"], scope["path"], status, took)


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
        async with sessionmaker() as session:
            found = await services.auth_resolve(session, secret=secret) if secret else None
            user, auth = found if found else (None, None)
            state.update(user=user, auth=auth, auth_via="bearer" if bearer else "cookie")
            lang = (user.lang if user else None) or _cookie(headers, LANG_COOKIE)
            set_language(lang or negotiate(headers.get("accept-language")))
            if scope["type"] == "websocket":
                session.expunge_all()
                await session.close()
                await self.app(scope, receive, send)
                return
            state["db"] = session
            if auth is not None and not bearer and scope["method"] in UNSAFE_METHODS:
                receive = await self._check_csrf(scope, receive, send, headers, auth.csrf_token)
                if receive is None:
                    return
            await self.app(scope, receive, send)

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
