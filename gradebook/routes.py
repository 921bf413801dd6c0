"""Routes of the gradebook package (pages and JSON API)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
