"""The route index picks, for every path, the route Starlette's ordered match picks: the
first full match, else the first match by path alone (405), else a trailing-slash redirect,
else nothing (404); and it follows changes to the list of routes."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Host, Match, Mount, Route, Router

from eschool.app import create_app
from eschool.route_index import IndexedRouter, fixed_segments
from eschool.settings import Settings

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
SAMPLE = {"int": "7", "str": "x", "path": "a/b", "float": "1.5", "uuid": "0" * 32}


def _choice(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[str, BaseRoute | None]:
    """What Starlette's router does with ``scope`` over ``routes``, in their order."""
    partial = None
    for route in routes:
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return "full", route
        if match is Match.PARTIAL and partial is None:
            partial = route
    if partial is not None:
        return "partial", partial
    path = scope["path"]
    if scope["type"] == "http" and path != "/":
        other = {**scope, "path": path.rstrip("/") if path.endswith("/") else path + "/"}
        for route in routes:
            if route.matches(other)[0] is not Match.NONE:
                return "redirect", route
    return "none", None


def _sample_paths(route: BaseRoute) -> list[str]:
    """Paths the route matches, and near misses of them."""
    template = getattr(route, "path_format", None)
    if template is None:
        return []
    path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(_convertor(route, m[1]), "x"), template)
    return [path, path + "/", path.rstrip("/"), path + "x", path + "/extra", path.upper()]


def _convertor(route: BaseRoute, name: str) -> str:
    convertor = route.param_convertors[name]  # type: ignore[attr-defined]
    return {"IdConvertor": "int", "IntegerConvertor": "int", "PathConvertor": "path"}.get(
        type(convertor).__name__, "str"
    )


def _scopes(path: str) -> list[dict[str, Any]]:
    base = {"path": path, "root_path": "", "headers": [], "query_string": b""}
    return [{**base, "type": "http", "method": method} for method in METHODS] + [
        {**base, "type": "websocket"}
    ]


def _assert_same(router: IndexedRouter, paths: list[str]) -> None:
    everything = list(router.routes)
    for path in paths:
        subset = list(router.router_for(path).routes)
        for scope in _scopes(path):
            assert _choice(subset, scope) == _choice(everything, scope), (path, scope["type"])
            # Each kind of request is tried against the routes that may match its kind.
            kind = list(router.router_for(path, scope["type"]).routes)
            assert _choice(kind, scope) == _choice(everything, scope), (path, scope["type"])


def test_every_registered_path_routes_as_starlette_does(tmp_path) -> None:
    app = create_app(Settings(data_dir=tmp_path, database_url="sqlite+aiosqlite:///:memory:"))
    router = app.router
    assert isinstance(router, IndexedRouter)
    paths = [path for route in router.routes for path in _sample_paths(route)]
    misses = ["/", "", "/nothing/here", "/api", "/api/", "/api/v1", "/static", "/static/", "//"]
    misses += ["/api/v1/", "/api//v1", "/api/v1/nothing/", "/api/v1/me//", "x"]
    _assert_same(router, paths + misses)
    # Most routes are not tried for a path: that is the point.
    assert len(router.router_for("/api/v1/me").routes) < len(router.routes) / 10


async def endpoint(request: Any) -> PlainTextResponse:
    return PlainTextResponse(request.scope["route"].path)


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("not called")


def test_fixed_segments() -> None:
    assert fixed_segments(Route("/api/v1/me", endpoint)) == ("api", "v1", "me")
    assert fixed_segments(Route("/api/v1/users/{id:int}/x", endpoint)) == ("api", "v1", "users")
    assert fixed_segments(Route("/b/", endpoint)) == ("b",)
    assert fixed_segments(Route("/feeds/{secret}.ics", endpoint)) == ("feeds",)
    assert fixed_segments(Route("/feeds/x{secret}.ics", endpoint)) == ("feeds",)
    assert fixed_segments(Mount("/static", app=asgi_app)) == ("static",)
    for anything in (
        Route("/", endpoint),
        Route("/{id:int}", endpoint),
        Route("/feed{name}", endpoint),
        Mount("", app=asgi_app),
        Host("example.org", app=asgi_app),
    ):
        assert fixed_segments(anything) == ()


def _routes() -> list[BaseRoute]:
    return [
        Route("/a/{id:int}", endpoint, methods=["POST"]),
        Route("/{name}/{id:int}", endpoint),
        Route("/a/{id:int}", endpoint, methods=["GET"]),
        Route("/b/", endpoint),
        Route("/", endpoint),
        Mount("/m", routes=[Route("/inner", endpoint)]),
    ]


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/a/1", 200, "/{name}/{id:int}"),  # the earlier wildcard wins, as before
        ("POST", "/a/1", 200, "/a/{id:int}"),
        ("GET", "/b", 307, None),  # redirected to /b/
        ("GET", "/m/inner", 200, "/inner"),
        ("GET", "/", 200, "/"),
        ("GET", "/c", 404, None),
    ],
)
async def test_order_mounts_redirects_and_misses(method, path, status, body) -> None:
    plain, indexed = Router(_routes()), IndexedRouter(_routes())
    for router in (plain, indexed):
        transport = httpx.ASGITransport(app=router)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.request(method, path)
        assert response.status_code == status
        if body is not None:
            assert response.text == body


async def test_a_changed_list_of_routes_is_indexed_again() -> None:
    router = IndexedRouter(_routes())
    transport = httpx.ASGITransport(app=router)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/c")).status_code == 404
        router.routes.insert(0, Route("/c", endpoint))
        assert (await client.get("/c")).text == "/c"
        router.routes[0] = Route("/d", endpoint)
        assert (await client.get("/c")).status_code == 404
        assert (await client.get("/d")).text == "/d"
        router.routes = [Route("/e", endpoint)]
        assert (await client.get("/d")).status_code == 404
        assert (await client.get("/e")).text == "/e"
