"""Check a real answer of the API against what its endpoint declares (``eschool.api_schema``).

``assert_conforms(app, response)`` finds the route and method the request went to, the
model or body its ``operation`` declares for the status, and validates the body with it:
a ``Public`` model refuses keys it does not declare, so an answer cannot grow or lose a
field unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import TypeAdapter
from starlette.applications import Starlette

from eschool.api_schema import Body, ErrorEnvelope, Operation, operations_of
from eschool.openapi import api_routes

_PARAMETER = re.compile(r"{[^}:]+(:[^}]+)?}")


def _hole(match: re.Match[str]) -> str:
    """What a path parameter matches: digits for ``{x:int}`` (as the router), else a segment."""
    return "[0-9]+" if match.group(1) == ":int" else "[^/]+"


def declared_operation(app: Starlette, method: str, path: str) -> Operation:
    """The operation that answers ``method path`` (AssertionError if none is declared)."""
    for route in api_routes(app.routes):
        pattern = "^" + _PARAMETER.sub(_hole, route.path) + "$"
        if method in route.methods and re.match(pattern, path):
            for op in operations_of(route.endpoint):
                if op.method == method:
                    return op
    raise AssertionError(f"no operation declared for {method} {path}")


def assert_conforms(app: Starlette, response: httpx.Response) -> Any:
    """Validate ``response`` against its declaration; answers the validated body."""
    request = response.request
    op = declared_operation(app, request.method, request.url.path)
    status = response.status_code
    if status >= 400:
        return ErrorEnvelope.model_validate_json(response.content)
    assert status in op.responses, f"{request.method} {request.url.path}: {status} not declared"
    spec = op.responses[status]
    if isinstance(spec, tuple):  # several media types: the one the answer came in
        spec = _matching(spec, response.headers.get("content-type", ""))
    if spec is None:
        assert status in (204, 304) or not response.content or spec is None
        return None
    if isinstance(spec, Body):
        assert _media_type_fits(spec.media_type, response.headers.get("content-type", ""))
        return response.content
    assert response.headers["content-type"].startswith("application/json")
    return TypeAdapter(spec).validate_json(response.content)


def _matching(specs: tuple[Any, ...], content_type: str) -> Any:
    """Of a status's several declared bodies, the one of the answer's media type."""
    for spec in specs:
        media_type = spec.media_type if isinstance(spec, Body) else "application/json"
        if _media_type_fits(media_type, content_type):
            return spec
    raise AssertionError(f"{content_type!r} is not among the declared media types")


def _media_type_fits(declared: str, content_type: str) -> bool:
    """Whether an answer's ``Content-Type`` is what was declared (``*/*``, ``image/*`` too)."""
    kind, _, sub = declared.split(";")[0].strip().partition("/")
    got_kind, _, got_sub = content_type.split(";")[0].strip().partition("/")
    return kind in ("*", got_kind) and sub in ("*", got_sub)
