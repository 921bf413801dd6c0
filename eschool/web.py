"""What every package's routes share: auth guards, input parsing, JSON and page rendering."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from eschool.errors import BadRequest, Forbidden, Invalid, TooLarge, Unauthorized
from eschool.models import User

Model = TypeVar("Model", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response]]
MAX_JSON_BODY = 2 * 1024 * 1024


def current_user(request: Request) -> User | None:
    """The signed-in user of this request, if any (set by the auth middleware)."""
    return getattr(request.state, "user", None)


def acting_user(request: Request) -> User:
    """The signed-in user of a guarded endpoint (401 if somehow there is none)."""
    user = current_user(request)
    if user is None:
        raise Unauthorized("Sign in or send an API token.")
    return user


def db(request: Request) -> AsyncSession:
    """The database session of this request (opened by the middleware)."""
    return request.state.db


def api_endpoint(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard a JSON endpoint: 401 without a user, 403 for a role not listed (any if none)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                raise Unauthorized("Sign in or send an API token.")
            if roles and user.role not in roles:
                raise Forbidden("Your role may not do this.")
            return await endpoint(request)

        return guarded

    return decorate


def page_endpoint(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard an HTML page: send a visitor to the login page, refuse other roles with 403."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            if roles and user.role not in roles:
                raise Forbidden("This page is not for your role.")
            return await endpoint(request)

        return guarded

    return decorate


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as plain JSON: where and what."""
    return [
        {"loc": [str(part) for part in item["loc"]], "message": item["msg"]}
        for item in error.errors(include_url=False, include_context=False)
    ]


def parse_model(model: type[Model], data: Any) -> Model:
    """Validate data into ``model``; 422 with details when it does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        first = details[0] if details else {"loc": [], "message": "invalid"}
        where = ".".join(first["loc"]) or "body"
        raise Invalid(f"{where}: {first['message']}", details=details) from exc


async def read_json(request: Request, model: type[Model]) -> Model:
    """The request's JSON body parsed into ``model`` (400 for bad JSON, 422 for bad fields)."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type:
        from eschool.errors import UnsupportedType

        raise UnsupportedType("Send the body as application/json.")
    body = await request.body()
    if len(body) > MAX_JSON_BODY:
        raise TooLarge("The request body is too large.")
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest("The body is not valid JSON.", code="bad_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.", code="bad_json")
    return parse_model(model, data)


def query_int(
    request: Request, name: str, default: int | None = None, *, lo: int = 1, hi: int = 10**9
) -> int | None:
    """An integer query parameter within [lo, hi]; 400 when it is not one."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a whole number.") from exc
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}.")
    return value


def path_int(request: Request, name: str) -> int:
    """An integer path parameter (routes declare ``{id:int}``, this is the typed read)."""
    return int(request.path_params[name])


def pagination(request: Request, *, default_per_page: int = 20) -> tuple[int, int]:
    """``?page=&per_page=`` with sane bounds."""
    page = query_int(request, "page", 1) or 1
    per_page = query_int(request, "per_page", default_per_page, hi=200) or default_per_page
    return page, per_page


def json_ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON response."""
    return JSONResponse(data, status_code=status, headers=headers)


def json_list(
    items: Iterable[Any], total: int, *, page: int = 1, per_page: int = 0
) -> JSONResponse:
    """The list envelope ``{"items": [...], "total": N}``."""
    body: dict[str, Any] = {"items": list(items), "total": total}
    if per_page:
        body.update(page=page, per_page=per_page)
    return JSONResponse(body)


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """Render a Jinja2 template of any package with the common context."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status)


def client_address(request: Request) -> str:
    """The peer address used for rate limiting."""
    return request.client.host if request.client else "unknown"
