"""A lesson started on a test server, for the end-to-end socket tests (test_ws*): its code, the
people connected to it, and the HTTP calls a test makes as one of them."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from tests.live.ws_support import (
    RIGHT_ANSWERS,
    WRONG_ANSWERS,
    LiveClient,
    ThreadServer,
    World,
    bearer,
    observer_token,
    ws_url,
)

HALF_RIGHT = RIGHT_ANSWERS[:3] + WRONG_ANSWERS[3:]


@dataclasses.dataclass
class Room:
    """A started lesson and a way to connect people to it."""

    server: ThreadServer
    world: World
    code: str
    clients: list[LiveClient]
    tokens: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    async def auth(self, login: str) -> dict[str, str]:
        """The login's bearer headers (signing in once: argon2 is slow on purpose)."""
        if login not in self.tokens:
            self.tokens[login] = await bearer(self.server.base_url, login)
        return self.tokens[login]

    async def join(self, login: str, **params: Any) -> LiveClient:
        headers = await self.auth(login)
        client = await LiveClient.connect(
            ws_url(self.server.ws_base, self.code, **params), headers=headers
        )
        self.clients.append(client)
        return client

    async def observe(self, name: str = "Guest Galina", **params: Any) -> LiveClient:
        token = await observer_token(self.server.base_url, self.code, name)
        client = await LiveClient.connect(
            ws_url(self.server.ws_base, self.code, token=token, **params)
        )
        self.clients.append(client)
        return client

    async def http(
        self, method: str, path: str, login: str = "teacher", **kwargs: Any
    ) -> httpx.Response:
        headers = await self.auth(login)
        async with httpx.AsyncClient(base_url=self.server.base_url) as http:
            return await http.request(method, path, headers=headers, **kwargs)
