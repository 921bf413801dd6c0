"""What an ``/api/v1`` endpoint declares about itself, for the OpenAPI document.

Each JSON endpoint carries one :func:`operation` per HTTP method it answers, stacked under
its guard::

    @api_endpoint()
    @operation("GET", "The classes the caller may see", responses={200: ItemList[ClassPublic]})
    @operation(
        "POST", "Add a class", body=ClassCreate, roles=("admin",),
        responses={201: ClassPublic}, errors=(409,),
    )
    async def api_classes(request: Request) -> Response: ...

:mod:`eschool.openapi` walks the app's routes and turns the declarations into the document
at ``GET /api/v1/openapi.json``; a test requires one for every ``/api/v1`` route and method.
The declared models are the ones the endpoint validates its input with and builds its
answer from, so the document cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from eschool.timeutil import iso

Item = TypeVar("Item")
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
OPERATIONS_ATTRIBUTE = "__api_operations__"
BINARY = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class Body:
    """A body that is not a pydantic model's JSON: a file, a CSV, a page, a raw schema.

    ``schema`` is the JSON Schema of the content (binary by default)."""

    media_type: str
    description: str = ""
    schema: Mapping[str, Any] = field(default_factory=lambda: dict(BINARY))


# What a response status answers with: a model's JSON, another kind of body, or nothing; a
# tuple of these where the same status comes in several types (JSON, or a CSV download).
ResponseSpec = type[BaseModel] | Any | Body | tuple[Any, ...] | None


@dataclass(frozen=True)
class Operation:
    """One method of one endpoint, as the OpenAPI document describes it.

    - ``body``: the JSON request body's model, or a :class:`Body` (an upload, a zip);
      ``body_required=False`` where the endpoint also takes no body at all.
    - ``query``: a model whose fields are the query parameters.
    - ``responses``: status → the answer's model (any pydantic-serializable type, e.g.
      ``ItemList[ClassPublic]`` or ``list[int]``), a :class:`Body`, a tuple of these for a
      status that comes in several media types, or ``None`` for no body.
    - ``roles``: who may call it (empty: every signed-in user); ``public``: no sign-in.
    - ``errors``: statuses beyond the ones the guard and the input rules imply (409, 429…).
    """

    method: str
    summary: str
    description: str = ""
    body: type[BaseModel] | Body | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    public: bool = False
    errors: tuple[int, ...] = ()
    deprecated: bool = False
    tags: tuple[str, ...] = ()


def operation(
    method: str,
    summary: str,
    *,
    description: str = "",
    body: type[BaseModel] | Body | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    responses: Mapping[int, ResponseSpec] | None = None,
    roles: tuple[str, ...] = (),
    public: bool = False,
    errors: tuple[int, ...] = (),
    deprecated: bool = False,
    tags: tuple[str, ...] = (),
) -> Callable[[EndpointT], EndpointT]:
    """Declare how an endpoint answers ``method`` (see the module's docstring)."""
    declared = Operation(
        method=method.upper(),
        summary=summary,
        description=description,
        body=body,
        body_required=body_required,
        query=query,
        responses=dict(responses if responses is not None else {200: None}),
        roles=tuple(str(role) for role in roles),
        public=public,
        errors=errors,
        deprecated=deprecated,
        tags=tags,
    )

    def attach(endpoint: EndpointT) -> EndpointT:
        existing: list[Operation] = list(getattr(endpoint, OPERATIONS_ATTRIBUTE, ()))
        if any(other.method == declared.method for other in existing):
            raise ValueError(f"{endpoint.__name__}: {declared.method} is declared twice")
        # Decorators apply bottom-up: put this one first so they read top-down.
        setattr(endpoint, OPERATIONS_ATTRIBUTE, [declared, *existing])
        return endpoint

    return attach


def operations_of(endpoint: Any) -> list[Operation]:
    """The operations an endpoint declared (none if it declared nothing)."""
    return list(getattr(endpoint, OPERATIONS_ATTRIBUTE, ()))


# --- shapes every package shares --------------------------------------------------------------


Moment = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-09-01T08:30:00Z"]}),
]
"""A moment on the wire: ISO 8601 in UTC to the second with ``Z`` (``eschool.timeutil.iso``),
e.g. ``2026-09-01T08:30:00Z``. Every package's answers send moments this way."""


class Public(BaseModel):
    """Base of the ``*Public`` answer models: built from rows or attributes, serialized once
    by pydantic. Extra keys are refused, so an answer is exactly what the model says."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class ItemList(Public, Generic[Item]):
    """The list envelope ``{"items": [...], "total": N}`` (``page``, ``per_page`` when paged)."""

    items: list[Item]
    total: int = Field(ge=0, description="How many there are in all (across pages).")
    page: int | None = Field(default=None, ge=1)
    per_page: int | None = Field(default=None, ge=1)


class ErrorDetail(BaseModel):
    """What is wrong, and where."""

    code: str = Field(description="A stable machine-readable code, e.g. `invalid`, `not_found`.")
    message: str = Field(description="A sentence for a person, in the request's language.")
    details: Any = Field(
        default=None,
        description="More about it where there is more: for `invalid`, a list of "
        "`{loc, message}`; for some conflicts, what conflicts.",
    )


class ErrorEnvelope(BaseModel):
    """Every 4xx and 5xx answer under ``/api/``."""

    error: ErrorDetail
