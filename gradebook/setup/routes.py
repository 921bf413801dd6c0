"""Every route of the set-up: its pages and its API pieces (included by `gradebook.routes`)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from gradebook.setup import api, pages

routes: list[BaseRoute] = [*pages.routes, *api.routes]
