"""The OpenAPI document (issue #16): served to anyone, built from every ``/api/v1`` route's
own declaration, none missing, and well formed enough for a generator to take."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from eschool.api_schema import Body, operation, operations_of
from eschool.openapi import openapi_document, undocumented

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
async def test_the_document_is_served_to_anyone(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/classes" in document["paths"]
    reference = await client.get("/api", follow_redirects=False)
    assert reference.status_code == 307
    assert reference.headers["location"] == "/static/api/index.html"


@sqlite_only
def test_every_api_route_and_method_is_declared(app: Starlette) -> None:
    assert undocumented(list(app.routes)) == []


@sqlite_only
def test_operations_are_complete_and_refer_to_what_exists(app: Starlette) -> None:
    document = openapi_document(list(app.routes))
    schemas = document["components"]["schemas"]
    text = repr(document)
    for name in set(re.findall(r"#/components/schemas/([^'\"]+)", text)):
        assert name in schemas, f"a reference to a missing schema: {name}"
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for path, item in document["paths"].items():
        holes = set(re.findall(r"{(\w+)}", path))
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            declared = {p["name"] for p in op.get("parameters", ()) if p["in"] == "path"}
            assert declared == holes, where
            assert op["summary"], where
            successes = [s for s in op["responses"] if s.startswith(("2", "3"))]
            assert successes, f"{where}: no success answer declared"
            if op.get("security") != []:
                assert "401" in op["responses"], where


def test_a_method_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):

        @operation("GET", "one")
        @operation("GET", "two")
        async def twice() -> None: ...

    @operation("GET", "read", responses={200: Body("text/csv")})
    @operation("POST", "write", responses={201: None})
    async def both() -> None: ...

    assert [op.method for op in operations_of(both)] == ["GET", "POST"]
