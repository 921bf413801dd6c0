"""What every package's routes share: auth guards, input parsing, JSON and page rendering."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar, get_args, get_origin
from urllib.parse import quote

import pydantic_core
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from eschool.errors import (
    BadRequest,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    Unauthorized,
    UnsupportedType,
)
from eschool.i18n import gettext as _
from eschool.models import MAX_ID, User, id_from_text

Model = TypeVar("Model", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response]]
MAX_JSON_BODY = 2 * 1024 * 1024
MAX_JSON_DEPTH = 64
# Escapes that decode to what no database column takes: NUL, and halves of a surrogate pair
# (a whole pair decodes to one character, an unpaired half cannot be encoded as UTF-8).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


class IdConvertor(IntegerConvertor):
    """``{name:int}`` in every route: ten digits at most, so that routing never parses a
    10,000-digit number and an id no database can hold matches nothing (404). The rest of the
    range is ``path_int``'s to refuse."""

    regex = "[0-9]{1,10}"


# Routes compile their paths when they are made, and every routes module imports this one
# first: so ``{id:int}`` everywhere means this convertor (tests/eschool/test_no_server_errors).
register_url_convertor("int", IdConvertor())


def current_user(request: HTTPConnection) -> User | None:
    """The signed-in user of this request, if any (set by the auth middleware)."""
    return getattr(request.state, "user", None)


def acting_user(request: Request) -> User:
    """The signed-in user of a guarded endpoint (401 if somehow there is none)."""
    user = current_user(request)
    if user is None:
        raise Unauthorized(_("Sign in or send an API token."))
    return user


def db(request: Request) -> AsyncSession:
    """The database session of this request (opened by the middleware)."""
    return request.state.db


def check_address(request: Request) -> None:
    """Refuse what the address names before the endpoint reads anything: 404 for an id in
    the path beyond what the database holds (however the body looks), 400 for a NUL
    character in the query or the path (PostgreSQL refuses it in any text)."""
    for value in request.path_params.values():
        if isinstance(value, int) and value > MAX_ID:
            raise NotFound(_("There is nothing with that number."))
    params = (*request.query_params.multi_items(), *request.path_params.items())
    if any("\x00" in key or "\x00" in str(value) for key, value in params):
        raise BadRequest(_("The address may not contain NUL characters."))


def api_endpoint(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard a JSON endpoint: 401 without a user, 403 for a role not listed (any if none)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                raise Unauthorized(_("Sign in or send an API token."))
            if roles and user.role not in roles:
                raise Forbidden(_("Your role may not do this."))
            check_address(request)
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
                raise Forbidden(_("This page is not for your role."))
            check_address(request)
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


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_shape_error(data: Any, *, check_text: bool) -> str | None:
    """Why parsed JSON may not go further: too deeply nested, or text no column can hold.

    Walks the data without recursion, so no depth can overflow the stack here.
    """
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return _(
                    "The JSON is nested too deeply (at most {limit} levels).", limit=MAX_JSON_DEPTH
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                pending.append((item, depth + 1))
                if check_text and isinstance(key, str):
                    pending.append((key, depth + 1))
        elif check_text and isinstance(value, str) and _unstorable(value):
            return _("Text may not contain NUL characters or unpaired surrogates.")
    return None


def _unstorable(text: str) -> bool:
    """Whether no database text column takes ``text`` (a NUL, an unpaired surrogate)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(body: bytes) -> Any:
    """JSON bytes as data; 400 ``bad_json`` for what is not JSON or what the code after the
    parser cannot take: nesting deeper than ``MAX_JSON_DEPTH``, numbers beyond the digit
    limit or the float range, NaN and Infinity, NUL characters and unpaired surrogates."""
    try:
        data = json.loads(body or b"null", parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError as exc:
        message = _("The JSON is nested too deeply (at most {limit} levels).", limit=MAX_JSON_DEPTH)
        raise BadRequest(message, code="bad_json") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(_("The body is not valid JSON."), code="bad_json") from exc
    except ValueError as exc:  # more digits than int() takes, a float beyond range, NaN
        message = _("A number in the body is too long, too large or not a number.")
        raise BadRequest(message, code="bad_json") from exc
    problem = _json_shape_error(data, check_text=bool(_SUSPECT_ESCAPE.search(body)))
    if problem:
        raise BadRequest(problem, code="bad_json")
    return data


async def read_json(request: Request, model: type[Model]) -> Model:
    """The request's JSON body parsed into ``model`` (400 for bad JSON, 422 for bad fields)."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type:
        raise UnsupportedType("Send the body as application/json.")
    body = await request.body()
    if len(body) > MAX_JSON_BODY:
        raise TooLarge("The request body is too large.")
    data = parse_json(body)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.", code="bad_json")
    return parse_model(model, data)


async def read_form(request: Request) -> dict[str, str]:
    """The text fields of a page's posted form; 422 for a NUL character, which no database
    text column takes. Pages post ``application/x-www-form-urlencoded``; multipart (files)
    goes to the API's upload endpoints, so it is refused here (415): Starlette's parser
    leaves the spool file of a cut-off part open."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        raise UnsupportedType(_("Send the form as application/x-www-form-urlencoded."))
    async with request.form() as form:
        fields = {key: value for key, value in form.items() if not isinstance(value, UploadFile)}
    if any(_unstorable(key) or _unstorable(value) for key, value in fields.items()):
        raise Invalid(_("Text may not contain NUL characters or unpaired surrogates."))
    return fields


def _is_list(annotation: Any) -> bool:
    """Whether a field's type is a list, or a list or ``None``."""
    return get_origin(annotation) is list or any(
        get_origin(arg) is list for arg in get_args(annotation)
    )


def read_query(request: Request, model: type[Model]) -> Model:
    """The query string parsed into ``model`` (the model an endpoint's ``operation`` declares
    as its ``query``): 400 ``bad_request`` with details when a parameter does not fit. A
    parameter given more than once arrives as a list where the field is a list."""
    data: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            raise BadRequest(_("The address may not contain NUL characters."))
        field = model.model_fields.get(key)
        if field is not None and _is_list(field.annotation):
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        first = details[0] if details else {"loc": [], "message": "invalid"}
        where = ".".join(first["loc"]) or "query"
        raise BadRequest(f"{where}: {first['message']}", details=details) from exc


def parse_id(raw: object) -> int:
    """An id sent as text (a path, a form field): 404 unless a whole number from 1 to
    ``MAX_ID`` — anything else names nothing that can exist."""
    number = id_from_text(raw) if isinstance(raw, str) else None
    if number is None:
        raise NotFound(_("There is nothing with that number."))
    return number


def form_id(form: Mapping[str, str], name: str) -> int:
    """The id in form field ``name`` (404 when missing, not a number or out of range)."""
    return parse_id(form.get(name))


def query_int(
    request: Request, name: str, default: int | None = None, *, lo: int = 1, hi: int = MAX_ID
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
    """An integer path parameter (routes declare ``{id:int}``, this is the typed read); 404
    beyond the ids the database can hold."""
    value = request.path_params[name]
    return value if isinstance(value, int) and value <= MAX_ID else parse_id(str(value))


def pagination(request: Request, *, default_per_page: int = 20) -> tuple[int, int]:
    """``?page=&per_page=`` with sane bounds."""
    page = query_int(request, "page", 1) or 1
    per_page = query_int(request, "per_page", default_per_page, hi=200) or default_per_page
    return page, per_page


class ModelJSONResponse(JSONResponse):
    """JSON serialized by pydantic, once: ``*Public`` models (at any depth, in lists and
    dicts too), dates and datetimes as ISO 8601, no ``None`` fields dropped."""

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content, inf_nan_mode="null")


def json_ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON response: a ``*Public`` model, or plain data holding them."""
    return ModelJSONResponse(data, status_code=status, headers=headers)


def json_list(
    items: Iterable[Any], total: int, *, page: int = 1, per_page: int = 0
) -> JSONResponse:
    """The list envelope ``{"items": [...], "total": N}`` (see ``api_schema.ItemList``)."""
    body: dict[str, Any] = {"items": list(items), "total": total}
    if per_page:
        body.update(page=page, per_page=per_page)
    return ModelJSONResponse(body)


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """Render a Jinja2 template of any package with the common context."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status)


def client_address(request: Request) -> str:
    """The peer address used for rate limiting."""
    return request.client.host if request.client else "unknown"


def deprecated_path(request: Request, response: Response, *, successor: str) -> Response:
    """Mark the answer of an old path that keeps answering for one release: ``Deprecation``
    and a ``Link`` to the ``successor`` path that replaces it."""
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = f'<{successor}>; rel="successor-version"'
    return response
