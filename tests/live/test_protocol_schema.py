"""The live protocol's JSON Schema (``GET /api/v1/live/protocol.schema.json``): served without
signing in, naming every command the server parses and every close code, accepting what the
server accepts and refusing what it refuses, and matching the frames a real lesson sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, get_args

import httpx
import jsonschema_rs
import pytest
from pydantic import ValidationError

from eschool.settings import Settings
from live.close_codes import CloseCode
from live.protocol import ClientMessage, ProtocolError, RtcOfferData, parse_client_message
from tests.live.ws_support import (
    RIGHT_ANSWERS,
    LiveClient,
    ThreadServer,
    World,
    bearer,
    observer_token,
    seed_world,
    start_lesson,
    ws_url,
)

SCHEMA_PATH = "/api/v1/live/protocol.schema.json"


def _part(schema: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    """A validator of one of the document's definitions (``ClientMessage``, a frame's def)."""
    return jsonschema_rs.validator_for(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}
    )


def _mapping(schema: dict[str, Any], union: str) -> dict[str, str]:
    return {
        kind: ref.rsplit("/", 1)[-1]
        for kind, ref in schema["$defs"][union]["discriminator"]["mapping"].items()
    }


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(SCHEMA_PATH)  # no sign-in
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/schema+json")
    return response.json()


async def test_the_schema_names_every_client_command_and_close_code(
    schema: dict[str, Any],
) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema_rs.validator_for(schema)  # a well-formed 2020-12 document
    parsed = {
        get_args(model.model_fields["type"].annotation)[0]
        for model in get_args(get_args(ClientMessage)[0])
    }
    assert set(_mapping(schema, "ClientMessage")) == parsed
    server = set(_mapping(schema, "ServerMessage"))
    assert {"welcome", "ack", "error", "rtc.answer", "rtc.config", "rtc.state"} <= server
    assert {row["code"] for row in schema["x-close-codes"]} == {int(code) for code in CloseCode}
    assert {c["const"] for c in schema["$defs"]["CloseCode"]["oneOf"]} == set(map(int, CloseCode))
    assert "rtc.offer" in schema["x-rtc"]["client"] and "rtc.grant" in schema["x-rtc"]["server"]


ACCEPTED = [
    {"type": "ping", "id": "p1"},
    {"type": "slide.goto", "id": "c1", "data": {"index": 2}},
    {"type": "quiz.answer", "id": "c2", "data": {"block_id": "q", "answers": [1, None]}},
    {"type": "rtc.offer", "id": "c3", "data": {"role": "subscribe", "sdp": "v=0"}},
    {"type": "note.add", "id": "c4", "data": {"text": "Good pace"}},
]
REFUSED = [
    {"type": "quiz.answer", "id": "c5", "data": {"block_id": "q"}},
    {"type": "slide.goto", "id": "c6", "data": {"index": "2"}},
    {"type": "chat.post", "id": "c7", "data": {"text": "hi", "extra": 1}},
    {"type": "quiz.teleport", "id": "c8"},
    {"type": "rtc.offer", "id": "c9", "data": {"role": "publish"}},
]


def _server_accepts(frame: dict[str, Any]) -> bool:
    """Whether the server takes the frame: its parser, and for an offer the media layer."""
    try:
        message = parse_client_message(json.dumps(frame))
        if message.type == "rtc.offer":
            RtcOfferData.model_validate(message.data)
    except (ProtocolError, ValidationError):
        return False
    return True


async def test_client_frames_validate_as_the_server_parses_them(schema: dict[str, Any]) -> None:
    client = _part(schema, "ClientMessage")
    for frame in ACCEPTED:
        assert client.is_valid(frame) and _server_accepts(frame), frame
    for frame in REFUSED:
        assert not client.is_valid(frame) and not _server_accepts(frame), frame


@pytest.fixture
async def world(settings: Settings) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[ThreadServer]:
    running = ThreadServer(settings).start()
    yield running
    running.stop()


@dataclass
class Lesson:
    """A started lesson with the teacher, a pupil, an observer and the board connected."""

    code: str
    teacher_auth: dict[str, str]
    clients: dict[str, LiveClient]


@pytest.fixture
async def lesson(server: ThreadServer, world: World) -> AsyncIterator[Lesson]:
    code = (await start_lesson(server.base_url, world))["code"]
    teacher = await bearer(server.base_url, "teacher")
    pupil = await bearer(server.base_url, world.pupils[0].login)
    token = await observer_token(server.base_url, code, "Guest Galina")
    url = ws_url(server.ws_base, code)
    clients = {
        "teacher": await LiveClient.connect(url, headers=teacher),
        "pupil": await LiveClient.connect(url, headers=pupil),
        "observer": await LiveClient.connect(ws_url(server.ws_base, code, token=token)),
        "board": await LiveClient.connect(
            ws_url(server.ws_base, code, view="board"), headers=teacher
        ),
    }
    yield Lesson(code, teacher, clients)
    for client in clients.values():
        await client.close()


async def test_the_frames_of_a_lesson_match_the_server_part(
    server: ThreadServer, world: World, lesson: Lesson
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        schema = (await http.get(SCHEMA_PATH)).json()
    clients = lesson.clients
    teacher, pupil, observer = clients["teacher"], clients["pupil"], clients["observer"]
    await teacher.event("presence.counts")
    for command, data in [
        ("slide.goto", {"index": 1}),
        ("quiz.open", {"block_id": "quiz1"}),
    ]:
        await teacher.ok(command, data)
    await pupil.event("quiz.open")
    await pupil.ok("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    await teacher.ok("quiz.close")
    await teacher.ok("quiz.reveal")
    await teacher.ok("poll.open", {"block_id": "poll1"})
    await pupil.event("poll.open")
    await pupil.ok("poll.vote", {"option": 0})
    await teacher.ok("poll.close")
    await pupil.ok("chat.post", {"text": "Hello!"})
    await pupil.ok("hand.raise")
    await teacher.ok("board.show", {"chat": True})
    await teacher.ok("timer.start", {"seconds": 60})
    await teacher.ok("picker.pick")
    await teacher.ok("picker.show", {"on": True})
    await teacher.ok("rtc.grant", {"user_id": world.pupils[0].id})
    assert (await teacher.command("rtc.config"))["type"] == "ack"
    await teacher.ok("pace.set", {"mode": "pupil"})
    await pupil.event("pace.set")
    await pupil.ok("pupil.goto", {"index": 2})
    assert (await observer.command("slide.goto", {"index": 0}))["error"]["code"] == "forbidden"
    await observer.ok("note.add", {"text": "A lively start"})
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        ended = await http.post(f"/api/v1/live/{lesson.code}/end", headers=lesson.teacher_auth)
    assert ended.status_code == 200, ended.text

    server_types = _mapping(schema, "ServerMessage")
    validators = {kind: _part(schema, name) for kind, name in server_types.items()}
    seen: set[str] = set()
    for role, client in clients.items():
        await client.event("lesson.end")
        assert await client.closed() == CloseCode.ENDED
        for frame in client.frames:
            assert frame["type"] in validators, frame
            errors = [e.message for e in validators[frame["type"]].iter_errors(frame)]
            assert not errors, (role, frame, errors[:3])
            seen.add(frame["type"])
    assert {
        *("welcome", "ack", "error", "presence.join", "presence.counts", "slide.goto"),
        *("quiz.answer", "quiz.progress", "quiz.close", "quiz.reveal", "poll.vote"),
        *("poll.progress", "poll.close", "chat.post", "hand.raise", "board.show"),
        *("timer.start", "picker.pick", "picker.show", "rtc.grant", "rtc.config", "pace.set"),
        *("pupil.goto", "pace.counts", "note.list", "note.added", "lesson.end"),
    } <= seen
