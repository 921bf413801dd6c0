"""Routes of live lessons: the only module that touches a WebSocket."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
