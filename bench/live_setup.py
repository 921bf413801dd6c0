"""The app's side of a live benchmark: starting live lessons on a published lesson, the
WebSocket path of each, the participants' targets and the keepalive their sockets send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from bench.seeded_school import School
from bench.servers import Server

# The app closes a socket that sends nothing for a minute; browsers send this ping.
APP_KEEPALIVE = {"every": 20.0, "text": '{"type":"ping","id":"keepalive-%d"}'}


class LiveSetupError(RuntimeError):
    """The app could not start a live lesson for the benchmark."""


async def published_lesson(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """The id of a published lesson with at least two blocks (slides to switch between)."""
    response = await client.get(
        "/api/v1/lessons", params={"status": "published", "per_page": 50}, headers=headers
    )
    if response.status_code != 200:
        raise LiveSetupError(f"GET /api/v1/lessons: {response.status_code} {response.text[:200]}")
    for item in response.json().get("items", []):
        detail = await client.get(f"/api/v1/lessons/{item['id']}", headers=headers)
        if detail.status_code == 200 and len(detail.json().get("blocks", [])) >= 2:
            return int(item["id"])
    raise LiveSetupError("no published lesson with two or more blocks")


async def start_live(
    client: httpx.AsyncClient, headers: dict[str, str], lesson_id: int
) -> dict[str, Any]:
    """Start a live lesson as the teacher of ``headers``; ``{"id","code","join_url","ws_url"}``."""
    response = await client.post(
        "/api/v1/live", json={"lesson_id": lesson_id, "allow_observers": True}, headers=headers
    )
    if response.status_code != 201:
        raise LiveSetupError(f"POST /api/v1/live: {response.status_code} {response.text[:300]}")
    return response.json()


async def start_rooms(
    server: Server, school: School, teachers: Sequence[str]
) -> list[dict[str, Any]]:
    """One live lesson per teacher login, all on the same published lesson."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        lesson_id = await published_lesson(client, school.bearer(teachers[0]))
        return [await start_live(client, school.bearer(login), lesson_id) for login in teachers]


def ws_path(live: dict[str, Any]) -> str:
    """The WebSocket path of a started live lesson."""
    return f"/live/{live['code']}/ws"


def participant_targets(school: School, logins: Sequence[str], path: str) -> list[dict[str, Any]]:
    """Receiver targets for ``logins`` joining ``path`` with their bearer tokens."""
    return [{"path": path, "headers": school.bearer(login)} for login in logins]
