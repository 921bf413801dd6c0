"""Routing that looks only at the routes a path can match: the app's routes indexed by the
fixed segments their paths start with.

Starlette's router tries every route in order, a regular expression each: with ~175 routes a
request for one of the last ones, and every 404 (twice, with the trailing-slash retry), paid
hundreds of matches. A route whose path starts with fixed segments (``/api/v1/users/{id}``:
``api``, ``v1``, ``users``) can only match a path that starts with them. The routes sit in a
tree by those segments; a request walks down it by its own segments, and the routes on the
way (those whose fixed segments the path starts with, down to those that may match any path:
a parameter in the first segment, a root ``Mount``, a ``Host``, a route class it does not
know) are the only ones tried, in their order, by Starlette's own router. So the first route
to match, the 405 of a route that matches by path alone, a ``Mount``, the trailing-slash
redirect (a path and its twin with or without the slash walk the same way) and the 404 are
exactly what they were. The tree is made again whenever the list of routes changes.

A plain ``Route`` matches HTTP requests only and a ``WebSocketRoute`` sockets only (each
Starlette ``matches`` says no to the other kind first thing), so each kind of request is tried
only against the routes that may match it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, SupportsIndex

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send


def fixed_segments(route: BaseRoute) -> tuple[str, ...]:
    """The whole segments every path this route matches starts with (``/api/v1/users/{id}``:
    ``api``, ``v1``, ``users``); none for a route that may match any path."""
    kind = type(route)
    if kind.matches not in (Route.matches, WebSocketRoute.matches, Mount.matches):
        return ()
    path: str = route.path_format  # type: ignore[attr-defined]  # a Mount's ends in /{path}
    pattern: str = route.path_regex.pattern  # type: ignore[attr-defined]
    fixed = path.split("{", 1)[0]
    if not fixed.startswith("/") or not pattern.startswith("^" + re.escape(fixed)):
        return ()
    parts = fixed[1:].split("/")
    if fixed != path:
        parts.pop()  # the segment the first parameter is in is not whole
    while parts and not parts[-1]:
        parts.pop()  # a trailing slash: the path without it is redirected here
    return tuple(parts)


def path_segments(path: str) -> list[str]:
    """A request's route path in segments, without a trailing slash (redirected to or from
    the path with one); none when it has no leading slash."""
    return path[1:].rstrip("/").split("/") if path.startswith("/") else []


# The one kind of request a route class's own ``matches`` may say yes to.
_ONLY_FOR = {Route.matches: "http", WebSocketRoute.matches: "websocket"}


def may_match(route: BaseRoute, kind: str | None) -> bool:
    """Whether ``route`` may match a request of ``kind`` (``"http"``, ``"websocket"``; any
    request for ``None``)."""
    only = _ONLY_FOR.get(type(route).matches)
    return kind is None or only is None or only == kind


class _Node:
    """The routes whose fixed segments end here, and the segments that go further."""

    __slots__ = ("children", "parent", "routers", "routes")

    def __init__(self, parent: _Node | None) -> None:
        self.parent = parent
        self.children: dict[str, _Node] = {}
        self.routes: list[tuple[int, BaseRoute]] = []
        self.routers: dict[str | None, Router] = {}  # by the kind of request


class _Routes(list[BaseRoute]):
    """The router's list of routes: any change drops the index made of it."""

    def __init__(self, routes: Iterable[BaseRoute], router: IndexedRouter) -> None:
        super().__init__(routes)
        self._router = router

    def _changed(self) -> None:
        self._router._index = None

    def append(self, route: BaseRoute) -> None:
        super().append(route)
        self._changed()

    def extend(self, routes: Iterable[BaseRoute]) -> None:
        super().extend(routes)
        self._changed()

    def insert(self, index: SupportsIndex, route: BaseRoute) -> None:
        super().insert(index, route)
        self._changed()

    def remove(self, route: BaseRoute) -> None:
        super().remove(route)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> BaseRoute:
        route = super().pop(index)
        self._changed()
        return route

    def clear(self) -> None:
        super().clear()
        self._changed()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        super().reverse()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, routes: Iterable[BaseRoute]) -> _Routes:  # type: ignore[misc,override]
        super().__iadd__(routes)
        self._changed()
        return self

    def __imul__(self, times: SupportsIndex) -> _Routes:
        super().__imul__(times)
        self._changed()
        return self


class IndexedRouter(Router):
    """Starlette's router, run for each request over the routes its path can match (see the
    module docstring)."""

    _index: _Node | None = None

    @property
    def routes(self) -> list[BaseRoute]:
        return self._routes

    @routes.setter
    def routes(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = _Routes(routes, self)
        self._index = None

    def _build_index(self) -> _Node:
        root = _Node(None)
        for position, route in enumerate(self._routes):
            node = root
            for segment in fixed_segments(route):
                child = node.children.get(segment)
                if child is None:
                    child = node.children[segment] = _Node(node)
                node = child
            node.routes.append((position, route))
        return root

    def _router_of(self, node: _Node, kind: str | None) -> Router:
        """Starlette's router over the routes of ``node`` and of the nodes above it that may
        match a request of ``kind``."""
        router = node.routers.get(kind)
        if router is None:
            found: list[tuple[int, BaseRoute]] = []
            place: _Node | None = node
            while place is not None:
                found.extend(place.routes)
                place = place.parent
            found.sort(key=lambda item: item[0])
            router = node.routers[kind] = Router(
                [route for _position, route in found if may_match(route, kind)],
                redirect_slashes=self.redirect_slashes,
                default=self.default,
            )
        return router

    def router_for(self, path: str, kind: str | None = None) -> Router:
        """The router over the routes that can match ``path`` (a route path) in a request of
        ``kind`` (``scope["type"]``; any kind for ``None``)."""
        node = self._index
        if node is None:
            node = self._index = self._build_index()
        for segment in path_segments(path):
            child = node.children.get(segment)
            if child is None:
                break
            node = child
        return self._router_of(node, kind)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self  # url_for looks up every route, not the subset
        await self.router_for(get_route_path(scope), scope["type"]).app(scope, receive, send)
