"""One place that turns errors into the JSON envelope (``/api/``) or a friendly page."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from eschool.errors import DomainError, TooManyRequests
from eschool.i18n import gettext as _
from eschool.middleware import add_security_headers, loggable_path

log = logging.getLogger("eschool.errors")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    422: "invalid",
    429: "too_many_requests",
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    if path.startswith("/api/"):
        return True
    if "text/html" in accept:
        return False
    # the live lesson's JSON endpoints live outside /api/ (CONTRACT.md)
    live_json = path.startswith("/live/") and path.endswith(
        ("/join", "/end", "/report", "/journal")
    )
    return live_json or "application/json" in accept


def _page_title(status: int) -> str:
    return {
        401: _("Please sign in"),
        403: _("You don't have access to this page"),
        404: _("Page not found"),
        413: _("That file is too large"),
        429: _("Too many attempts"),
    }.get(status, _("Something went wrong") if status >= 500 else _("That did not work"))


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: object = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error as JSON or as an HTML page, whichever the client asked for."""
    if _wants_json(request):
        body: dict[str, object] = {"code": code, "message": message}
        if details is not None:
            body["details"] = details
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": _page_title(status), "message": message},
        status_code=status,
        headers=headers,
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    """Services' domain errors."""
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return error_response(request, exc.status, exc.code, exc.message, exc.details, headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors (unknown route, wrong method)."""
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404:
        message = _("There is nothing at this address.")
    return error_response(request, exc.status_code, code, message, headers=exc.headers)


async def database_busy(request: Request, exc: Exception) -> Response:
    """No database connection came free in time: a clear 503, not a 500."""
    log.warning("database pool exhausted on %s %s", request.method, loggable_path(request.scope))
    return error_response(
        request,
        503,
        "busy",
        _("The server is busy. Try again in a moment."),
        headers={"Retry-After": "5"},
    )


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: logged with its traceback, shown without one."""
    log.exception(
        "unhandled error on %s %s", request.method, loggable_path(request.scope), exc_info=exc
    )
    response = error_response(
        request, 500, "internal_error", _("An unexpected error happened. It has been logged.")
    )
    # Sent by Starlette's outermost middleware, past the one that adds these to the others.
    add_security_headers(response.headers)
    return response
