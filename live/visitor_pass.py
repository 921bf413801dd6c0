"""Where a visitor's pass comes from on an HTTP request: an observer's (from ``/join``) or a
board's (from pairing a screen). One rule for every route that takes one:

1. ``?token=<pass>``;
2. ``Authorization: Bearer <pass>`` — when the bearer token named no signed-in user (the shell's
   middleware tried it as an API token first);
3. the cookie the join or the pairing form set for the lesson in the path.

A signed-in person's request carries no visitor pass unless it says ``?token=`` itself.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from eschool.web import current_user
from live.queries import code_normalize

OBSERVER_COOKIE_PREFIX = "live_guest_"  # set by ``POST /join`` for one lesson
BOARD_COOKIE_PREFIX = "live_board_"  # set by ``POST /board`` for one lesson
VISITOR_COOKIES = (OBSERVER_COOKIE_PREFIX, BOARD_COOKIE_PREFIX)


def pass_cookie(request: HTTPConnection, prefix: str) -> str | None:
    """The pass kept in the cookie ``prefix`` for the lesson whose code is in the path."""
    canonical = code_normalize(str(request.path_params.get("code", "")))
    return request.cookies.get(prefix + canonical) if canonical else None


def bearer_pass(request: HTTPConnection) -> str | None:
    """A pass sent as ``Authorization: Bearer`` (whatever the header names; callers ask only
    when no user is signed in)."""
    scheme, _space, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def visitor_pass(
    request: HTTPConnection, *, cookies: tuple[str, ...] = VISITOR_COOKIES
) -> str | None:
    """The visitor's pass on this request, by the rule in the module docstring, or None."""
    token: str | None = request.query_params.get("token", "").strip()
    if token:
        return token
    if current_user(request) is not None:
        return None
    token = bearer_pass(request)
    if token:
        return token
    for prefix in cookies:
        token = pass_cookie(request, prefix)
        if token:
            return token
    return None
