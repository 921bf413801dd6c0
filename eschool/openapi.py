"""The OpenAPI 3.1 document of ``/api/v1``, built from the routes and their declarations.

Every ``/api/v1`` route's endpoint declares its methods with :func:`eschool.api_schema.operation`;
this module walks the app's routes, turns each declaration into an OpenAPI operation and
the declared pydantic models into ``components.schemas`` (one generation pass, so a model
used in several places is one component). :func:`undocumented` names the routes and methods
without a declaration, which a test keeps at none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode
from starlette.routing import BaseRoute, Mount, Route

from eschool import __version__ as VERSION
from eschool.api_schema import Body, ErrorEnvelope, Operation, operations_of
from eschool.middleware import SESSION_COOKIE
from eschool.models import MAX_ID

API_PREFIX = "/api/v1"
REF_TEMPLATE = "#/components/schemas/{model}"
_PARAMETER = re.compile(r"{([^}:]+)(?::([^}]+))?}")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_TAGS = {
    "eschool": "school",
    "lessons": "library",
    "gradebook": "gradebook",
    "classwork": "homework",
    "live": "live lessons",
    "messaging": "messages",
}


@dataclass(frozen=True)
class ApiRoute:
    """One ``/api/v1`` path with the endpoint that answers it."""

    path: str  # as Starlette writes it, with convertors: /api/v1/classes/{id:int}
    methods: tuple[str, ...]
    endpoint: Any


def api_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[ApiRoute]:
    """Every route under ``/api/v1``, mounts followed."""
    for route in routes:
        if isinstance(route, Mount):
            yield from api_routes(list(route.routes or []), prefix + route.path)
        elif isinstance(route, Route):
            path = prefix + route.path
            if path.startswith(API_PREFIX):
                methods = tuple(m for m in _METHODS if m in (route.methods or {"GET"}))
                yield ApiRoute(path, methods, route.endpoint)


def undocumented(routes: list[BaseRoute]) -> list[str]:
    """``METHOD /path`` of every ``/api/v1`` route and method that declares no operation."""
    missing = []
    for route in api_routes(routes):
        declared = {op.method for op in operations_of(route.endpoint)}
        missing += [f"{m} {route.path}" for m in route.methods if m not in declared]
    return missing


def openapi_document(routes: list[BaseRoute]) -> dict[str, Any]:
    """The whole document (OpenAPI 3.1)."""
    found = [
        (route, op)
        for route in api_routes(routes)
        for op in operations_of(route.endpoint)
        if op.method in route.methods
    ]
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for route, op in found:
        openapi_path = _PARAMETER.sub(lambda m: "{" + m.group(1) + "}", route.path)
        entry = _operation(route, op, schemas)
        entry["operationId"] = _operation_id(route, op, used_ids)
        paths.setdefault(openapi_path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "eschool API",
            "version": VERSION,
            "description": (
                "The JSON API of eschool: the school, the lesson library, the gradebook, "
                "homework, live lessons and messages. Sign in with `POST /api/v1/auth/token` "
                "and send the token as `Authorization: Bearer …`. Every error answers "
                '`{"error": {"code", "message"}}`. The live lessons\' WebSocket protocol '
                "is described by `/api/v1/live/protocol.schema.json`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [{"name": name} for name in sorted(set(_TAGS.values()))],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.resolve(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
            },
        },
    }


class _Schemas:
    """The models the document refers to, generated together into ``components.schemas``."""

    def __init__(self) -> None:
        self._wanted: dict[tuple[int, JsonSchemaMode], tuple[Any, JsonSchemaMode]] = {}
        self._slots: list[tuple[dict[str, Any], tuple[int, JsonSchemaMode]]] = []

    def ref(self, annotation: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        """A placeholder for ``annotation``'s schema, filled in by :meth:`resolve`."""
        key = (id(annotation), mode)
        self._wanted[key] = (annotation, mode)
        slot: dict[str, Any] = {}
        self._slots.append((slot, key))
        return slot

    def resolve(self) -> dict[str, Any]:
        inputs = [(key, mode, TypeAdapter(t)) for key, (t, mode) in self._wanted.items()]
        by_key, top = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
        for slot, key in self._slots:
            slot.update(by_key[(key, key[1])])
        return dict(sorted(top.get("$defs", {}).items()))


def _operation(route: ApiRoute, op: Operation, schemas: _Schemas) -> dict[str, Any]:
    module = getattr(route.endpoint, "__module__", "eschool").split(".")[0]
    entry: dict[str, Any] = {"summary": op.summary, "tags": list(op.tags or [_TAGS[module]])}
    description = op.description or _first_paragraph(route.endpoint.__doc__)
    if op.roles:
        description = f"{description}\n\nFor: {', '.join(op.roles)}.".strip()
    if description:
        entry["description"] = description
    if op.deprecated:
        entry["deprecated"] = True
    if op.public:
        entry["security"] = []
    parameters = _path_parameters(route.path)
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if parameters:
        entry["parameters"] = parameters
    if op.body is not None:
        entry["requestBody"] = {
            "required": op.body_required,
            "content": _content(op.body, schemas, "validation"),
        }
    entry["responses"] = _responses(route, op, schemas)
    return entry


def _responses(route: ApiRoute, op: Operation, schemas: _Schemas) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status, spec in sorted(op.responses.items()):
        answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if spec is not None:
            if isinstance(spec, Body) and spec.description:
                answer["description"] = spec.description
            answer["content"] = _content(spec, schemas, "serialization")
        answers[str(status)] = answer
    error = {"application/json": {"schema": schemas.ref(ErrorEnvelope, "serialization")}}
    for status in sorted(_error_statuses(route, op)):
        if str(status) not in answers:
            answers[str(status)] = {"description": HTTPStatus(status).phrase, "content": error}
    answers["default"] = {"description": "Any other error, in the same envelope.", "content": error}
    return answers


def _error_statuses(route: ApiRoute, op: Operation) -> set[int]:
    """The statuses the guard and the input rules can answer, beside the declared ones."""
    statuses = set(op.errors)
    if not op.public:
        statuses.add(401)
    if op.roles:
        statuses.add(403)
    if _PARAMETER.search(route.path):
        statuses.add(404)
    if op.body is not None or op.query is not None:
        statuses |= {400, 422}
    if op.body is not None:
        statuses |= {413, 415}
    return statuses


def _content(spec: Any, schemas: _Schemas, mode: JsonSchemaMode) -> dict[str, Any]:
    if isinstance(spec, tuple):
        merged: dict[str, Any] = {}
        for one in spec:
            merged |= _content(one, schemas, mode)
        return merged
    if isinstance(spec, Body):
        return {spec.media_type: {"schema": dict(spec.schema)}}
    return {"application/json": {"schema": schemas.ref(spec, mode)}}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    parameters = []
    for name, convertor in _PARAMETER.findall(path):
        schema: dict[str, Any] = {"type": "string"}
        if convertor == "int":
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One query parameter per field of ``model``. A query is flat: an enum's values are
    written inline, and ``null`` is left out of a type (an absent parameter is the ``None``)."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        inline = _without_null(_inlined(field_schema, definitions, model))
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in inline.items() if k not in ("title", "description")},
        }
        if field_schema.get("description"):
            parameter["description"] = field_schema["description"]
        parameters.append(parameter)
    return parameters


def _inlined(schema: Any, definitions: dict[str, Any], model: type[BaseModel]) -> Any:
    """``schema`` with every reference replaced by the definition (enums; no nested models)."""
    if isinstance(schema, list):
        return [_inlined(item, definitions, model) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = definitions[schema["$ref"].rsplit("/", 1)[-1]]
        if target.get("type") == "object":
            raise ValueError(f"{model.__name__}: query parameters must be flat (no nested models)")
        return _inlined({k: v for k, v in target.items() if k != "title"}, definitions, model)
    return {key: _inlined(value, definitions, model) for key, value in schema.items()}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [option for option in options if option.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if rest.get("default", ...) is None:
        del rest["default"]
    return {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}


def _operation_id(route: ApiRoute, op: Operation, used: set[str]) -> str:
    base = f"{op.method.lower()}_{getattr(route.endpoint, '__name__', 'endpoint')}"
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}_{number}", number + 1
    used.add(candidate)
    return candidate


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())
