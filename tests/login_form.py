"""Signing in through the login form the way a browser does: fetch the form (which sets the
``eschool_login`` cookie), then post it back with its ``csrf_token``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from eschool import signin

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_form_token(page: str) -> str:
    """The sign-in form's token in a rendered login page."""
    found = _TOKEN.search(page)
    assert found, "the login page carries no csrf_token"
    return found.group(1)


async def form_login(
    client: httpx.AsyncClient, login: str, password: str = "demo", **fields: str
) -> httpx.Response:
    """``GET /login`` then ``POST /login``; returns the POST's response (303 when signed in)."""
    page = await client.get("/login")
    token = login_form_token(page.text)
    data = {"login": login, "password": password, "csrf_token": token, **fields}
    return await client.post("/login", data=data)


async def post_board_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    """``GET /board`` then ``POST /board`` with the pairing ``code``, as a board computer does."""
    page = await client.get("/board")
    return await client.post(
        "/board", data={"code": code, "csrf_token": login_form_token(page.text)}
    )


class Clock:
    """The sign-in throttle's time, standing still until a test moves it on."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @classmethod
    def stop(cls, monkeypatch: pytest.MonkeyPatch) -> Clock:
        """Stop the throttle's clock for one test."""
        stopped = cls()
        monkeypatch.setattr(signin, "utcnow", stopped)
        return stopped
