"""Conditional GETs: an ETag on a response and 304 Not Modified when the client already has it.

Two ways, one rule for matching:

- :func:`not_modified` when the caller knows a version of the resource before building it (a
  counter bumped on every write, the newest change's time): ask first, build only on a miss;
- :func:`etag_response` when the body is built anyway: the tag is a hash of the bytes, so a
  client polling an unchanged resource (a calendar app every hour) downloads nothing.

Tags are weak (``W/"…"``) so a proxy that compresses the body keeps them valid, and they include
what varies the representation besides the data (the caller's role and language, given by the
caller as ``vary``), so one user's cached copy never answers another's.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

# Private: a shared cache must not keep one user's journal or diary for another.
CACHE_CONTROL = "private, no-cache"


def make_etag(*parts: object) -> str:
    """A weak tag from the parts that identify one representation."""
    digest = hashlib.blake2b(
        "\x1f".join(str(part) for part in parts).encode(), digest_size=12
    ).hexdigest()
    return f'W/"{digest}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def _validator_headers(etag: str, headers: dict[str, str] | None) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, **(headers or {})}


def not_modified(request: Request, etag: str) -> Response | None:
    """304 with the tag when the client's ``If-None-Match`` names it, else ``None``."""
    if _matches(request, etag):
        return Response(status_code=304, headers=_validator_headers(etag, None))
    return None


def with_etag(response: Response, etag: str) -> Response:
    """Mark a freshly built 200 with its tag (after :func:`not_modified` missed)."""
    for name, value in _validator_headers(etag, None).items():
        response.headers[name] = value
    return response


def body_etag(body: bytes, *vary: object) -> str:
    """The tag of a body (and ``vary``): what :func:`etag_response` sends, for a caller that
    keeps the body and its tag together."""
    return make_etag(hashlib.blake2b(body, digest_size=16).hexdigest(), *vary)


def etag_response(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    vary: tuple[object, ...] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """The body with a tag hashed from it (and ``vary``), or 304 when the client has it."""
    etag = body_etag(body, *vary)
    if _matches(request, etag):
        return Response(status_code=304, headers=_validator_headers(etag, headers))
    return Response(body, media_type=media_type, headers=_validator_headers(etag, headers))
